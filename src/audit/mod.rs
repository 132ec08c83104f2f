//! The gradient audit behind `kd-mlp gradcheck`: the analytic gradient of a whole network, as
//! training computes it, against central finite differences, in f64.
//!
//! Everything goes through the library code that trains ([`crate::Mlp::forward`],
//! [`crate::Mlp::backward`] with a [`crate::engine::mlp::Workspace`],
//! [`crate::engine::loss::softmax_cross_entropy`], [`crate::engine::loss::cross_entropy_backward`],
//! [`crate::engine::loss::distillation_loss`]), instantiated in `f64` instead of `f32`. Four losses are audited: the
//! hard-label cross-entropy and the distillation loss in each soft-target mode (logits,
//! probabilities, double-softmax).
//!
//! [`model_gradients`] computes the same gradient for a saved model on real test samples, in
//! f32 and f64, and writes it with its inputs as safetensors for another framework to check
//! (`kd-mlp gradcheck --model FILE --dump grads.safetensors`, `docs/INTEROP.md`).
//!
//! Derivation of the numeric gradient and of the error measure: `docs/MATH.md`, section
//! "Gradient audit".
//!
//! # The numeric gradient
//!
//! For every parameter θ_k, with a fixed step `h` ([`STEP`], times `max(T, 1)` for distillation,
//! see [`step_for`]):
//!
//! ```text
//! n_k = (L(θ + h·e_k) − L(θ − h·e_k)) / ((θ_k + h) − (θ_k − h))
//! ```
//!
//! dividing by the step as represented in f64 rather than by `2h`. Its truncation error
//! `h²·L'''/6` and its rounding error `ε·|L|/h` are both about 1e-11 for the O(1) losses here.
//!
//! # The error measure
//!
//! ```text
//! err(a, n) = |a − n| / max(|a| + |n|, TINY)          TINY = 1e-4
//! ```
//!
//! a relative error for entries larger than about 1e-4, an absolute error measured against 1e-4
//! below that (where a finite difference is mostly rounding noise). A tensor passes when its
//! largest `err` is below [`TOLERANCE`] = 1e-6.
//!
//! # Away from the ReLU kink
//!
//! A finite difference across `max(z, 0)`'s corner measures neither side's derivative, so the
//! problem is re-drawn until every hidden pre-activation is at least [`KINK_MARGIN`] from 0; a
//! step of 1e-5 in one parameter moves a pre-activation by far less than that.

mod compare;
mod dump;
mod problem;
mod run;

pub use compare::{
    compare, compare_per_tensor, numeric_gradient, rel_err, Comparison, TensorCheck,
};
pub use dump::{model_gradients, ModelGradients};
pub use problem::{
    analytic_gradient, finite_difference_gradient, finite_differences, loss_and_gradient, step_for,
    AuditedLoss, GradcheckConfig, Problem,
};
pub use run::{check_loss, run, GradcheckReport, LossCheck};

/// Finite-difference step of the hard loss (fixed: every value in the audited problem is O(1));
/// see [`step_for`] for distillation.
pub const STEP: f64 = 1e-5;
/// Floor of the error measure's denominator.
pub const TINY: f64 = 1e-4;
/// Largest accepted error of a tensor.
pub const TOLERANCE: f64 = 1e-6;
/// Smallest accepted distance of a hidden pre-activation from the ReLU kink at 0.
pub const KINK_MARGIN: f64 = 1e-3;
/// How many problems are drawn, at most, before giving up on finding one away from the kink.
pub(crate) const MAX_DRAWS: u64 = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_measure_is_relative_above_tiny_and_absolute_below() {
        assert!((rel_err(1.0, 1.0 + 2e-6) - 1e-6).abs() < 1e-12);
        // below TINY, |a − n| is measured against 1e-4
        assert!((rel_err(1e-8, 2e-8) - 1e-4).abs() < 1e-12);
        assert_eq!(rel_err(f64::NAN, 0.0), f64::INFINITY);
    }

    #[test]
    fn numeric_gradient_of_a_cubic_restores_the_values() {
        let mut v = vec![1.0, -2.0];
        let g = numeric_gradient(&mut v, 1e-5, |p| p[0].powi(3) + 2.0 * p[1]);
        assert_eq!(v, vec![1.0, -2.0]);
        assert!((g[0] - 3.0).abs() < 1e-9 && (g[1] - 2.0).abs() < 1e-9);
    }
}
