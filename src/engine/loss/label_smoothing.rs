//! Cross-entropy against label-smoothed hard targets, with its fused gradient with respect to the
//! logits, and the ε whose smoothed target has a given entropy. The control arm of distillation:
//! a softened target that carries no teacher's knowledge. Derivation: `docs/MATH.md`,
//! "Label smoothing".

use super::cross_entropy::softmax_row;
use crate::Float;
use ndarray::{ArrayView2, ArrayViewMut2};

/// Checks that ε is a number in `[0, 1]` (0: the hard labels; 1: the uniform distribution).
pub fn check_smoothing(epsilon: f64) -> Result<f64, crate::Error> {
    if (0.0..=1.0).contains(&epsilon) {
        Ok(epsilon)
    } else {
        Err(crate::Error::Config(format!(
            "the label-smoothing ε must be in [0, 1], got {epsilon}"
        )))
    }
}

/// The loss of a batch against the smoothed targets `t = (1 − ε)·onehot(y) + ε/C` and its fused
/// gradient: per sample, with `p = softmax(z)`,
/// `L = −Σ_j t_j·log p_j = (1 − ε)·(−log p_y) + (ε/C)·Σ_j (−log p_j)`, `∂L/∂z = p − t`.
///
/// Each `−log p_j` is computed as `(max z − z_j) + log Σ_k exp(z_k − max z)`, as the hard loss
/// computes it, so that it stays finite when `p_j` underflows. The gradient is divided by `B`
/// (the loss is a batch mean); the returned loss is the *sum* over rows, in f64.
///
/// Derivation: `docs/MATH.md`, section "Label smoothing".
///
/// # Shapes
/// `z: (B, C)`, `labels: (B)`, `p: (B, C)` (overwritten with `softmax(z)`), `dz: (B, C)`
/// (overwritten).
pub fn label_smoothing_loss<F: Float>(
    z: ArrayView2<F>,
    labels: &[usize],
    epsilon: f64,
    mut p: ArrayViewMut2<F>,
    mut dz: ArrayViewMut2<F>,
) -> f64 {
    let classes = z.ncols();
    let spread = F::of(epsilon / classes as f64);
    let on_label = F::of(1.0 - epsilon) + spread;
    let scale = F::one() / F::of(labels.len() as f64);
    let mut loss_sum = 0.0f64;
    let rows = z.rows().into_iter().zip(p.rows_mut()).zip(dz.rows_mut());
    for (((z_row, mut p_row), mut d_row), &y) in rows.zip(labels) {
        let (max, log_sum) = softmax_row(z_row, p_row.view_mut());
        let mut loss = F::zero();
        for (j, (dj, (&zj, &pj))) in d_row
            .iter_mut()
            .zip(z_row.iter().zip(p_row.iter()))
            .enumerate()
        {
            let target = if j == y { on_label } else { spread };
            loss += target * ((max - zj) + log_sum);
            *dj = (pj - target) * scale;
        }
        loss_sum += loss.to_f64();
    }
    loss_sum
}

/// The entropy, in nats, of the smoothed target `(1 − ε)·onehot + ε/C` over `classes` classes:
/// `−a·ln a − (C − 1)·b·ln b` with `a = 1 − ε + ε/C`, `b = ε/C`.
pub fn smoothed_entropy(epsilon: f64, classes: usize) -> f64 {
    let c = classes as f64;
    let b = epsilon / c;
    let a = 1.0 - epsilon + b;
    let term = |v: f64| if v > 0.0 { -v * libm::log(v) } else { 0.0 };
    term(a) + (c - 1.0) * term(b)
}

/// The ε in `[0, 1]` whose smoothed target over `classes` classes has entropy `entropy` (nats):
/// the entropy grows monotonically from 0 at ε = 0 to `ln C` at ε = 1, so bisection finds it to
/// f64 precision; an entropy outside `[0, ln C]` gives the nearer end.
///
/// Derivation: `docs/MATH.md`, section "Label smoothing" ("Matching an entropy").
pub fn epsilon_for_entropy(entropy: f64, classes: usize) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    // NaN and non-positive entropies alike: the hard labels.
    if entropy.is_nan() || entropy <= 0.0 || classes < 2 {
        return 0.0;
    }
    if entropy >= smoothed_entropy(1.0, classes) {
        return 1.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if smoothed_entropy(mid, classes) < entropy {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn loss_and_gradient_match_the_smoothed_cross_entropy_by_hand() {
        // z = [0, ln 2, ln 3]: p = [1, 2, 3]/6; ε = 0.3, C = 3, y = 2: t = [0.1, 0.1, 0.8]
        let z = array![[0.0f64, 2f64.ln(), 3f64.ln()]];
        let (mut p, mut dz) = (Array2::zeros((1, 3)), Array2::zeros((1, 3)));
        let loss = label_smoothing_loss(z.view(), &[2], 0.3, p.view_mut(), dz.view_mut());
        let want = -(0.1 * (1.0f64 / 6.0).ln() + 0.1 * (2.0f64 / 6.0).ln() + 0.8 * 0.5f64.ln());
        assert!((loss - want).abs() < 1e-14, "{loss} vs {want}");
        let want_grad = [1.0 / 6.0 - 0.1, 2.0 / 6.0 - 0.1, 0.5 - 0.8];
        for (got, want) in dz.iter().zip(want_grad) {
            assert!((got - want).abs() < 1e-15);
        }
    }

    #[test]
    fn zero_epsilon_is_the_hard_loss() {
        let z = array![[1.5f64, -0.5, 0.25], [0.0, 3.0, -2.0]];
        let (mut p, mut dz) = (Array2::zeros((2, 3)), Array2::zeros((2, 3)));
        let loss = label_smoothing_loss(z.view(), &[0, 2], 0.0, p.view_mut(), dz.view_mut());
        let (mut p2, mut dz2) = (Array2::zeros((2, 3)), Array2::zeros((2, 3)));
        let hard = super::super::softmax_cross_entropy(z.view(), &[0, 2], p2.view_mut());
        super::super::cross_entropy_backward(p2.view(), &[0, 2], dz2.view_mut());
        assert!((loss - hard).abs() < 1e-14);
        assert_eq!(dz, dz2);
    }

    #[test]
    fn the_entropy_is_matched_and_its_ends_are_known() {
        assert_eq!(smoothed_entropy(0.0, 10), 0.0);
        assert!((smoothed_entropy(1.0, 10) - 10f64.ln()).abs() < 1e-14);
        for eps in [1e-4, 0.05, 0.1, 0.5, 0.9] {
            let h = smoothed_entropy(eps, 10);
            assert!((epsilon_for_entropy(h, 10) - eps).abs() < 1e-12, "{eps}");
        }
        assert_eq!(epsilon_for_entropy(-1.0, 10), 0.0);
        assert_eq!(epsilon_for_entropy(5.0, 10), 1.0);
        assert!(check_smoothing(1.5).is_err() && check_smoothing(f64::NAN).is_err());
    }
}
