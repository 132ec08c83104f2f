//! The gradient audit behind `kd-mlp gradcheck`: the analytic gradient of a whole network, as
//! training computes it, against central finite differences, in f64.
//!
//! Everything goes through the library code that trains ([`Mlp::forward`], [`Mlp::backward`] with
//! a [`Workspace`], [`softmax_cross_entropy`], [`cross_entropy_backward`],
//! [`distillation_loss`]), instantiated in `f64` instead of `f32`. Three losses are audited: the
//! hard-label cross-entropy and the distillation loss in both soft-target modes.
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

use crate::activation::relu_forward;
use crate::dense::dense_forward;
use crate::error::Error;
use crate::loss::{
    cross_entropy_backward, distillation_loss, softmax_cross_entropy, softmax_row, Distillation,
    SoftTargetMode,
};
use crate::mlp::{layer_view_mut, param_count, Mlp, Workspace};
use crate::rng::derive_seed;
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

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
const MAX_DRAWS: u64 = 1000;

/// `|a − n| / max(|a| + |n|, TINY)`; infinite if either value is not finite.
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn rel_err(a: f64, n: f64) -> f64 {
    if !(a.is_finite() && n.is_finite()) {
        return f64::INFINITY;
    }
    (a - n).abs() / (a.abs() + n.abs()).max(TINY)
}

/// How an analytic gradient and a numeric one differ, entry by entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// Number of entries compared.
    pub entries: usize,
    /// Largest `|a − n|`.
    pub max_abs_diff: f64,
    /// Largest [`rel_err`].
    pub max_rel_err: f64,
    /// Flat (row-major) index of the entry with the largest `rel_err`.
    pub worst_index: usize,
    /// Analytic value there.
    pub analytic: f64,
    /// Numeric value there.
    pub numeric: f64,
}

/// Compares `analytic` and `numeric` (same length) entry by entry. A non-finite entry counts as
/// an infinite error.
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn compare(analytic: &[f64], numeric: &[f64]) -> Comparison {
    assert_eq!(analytic.len(), numeric.len(), "gradient lengths differ");
    let mut c = Comparison {
        entries: analytic.len(),
        max_abs_diff: 0.0,
        max_rel_err: 0.0,
        worst_index: 0,
        analytic: analytic.first().copied().unwrap_or(0.0),
        numeric: numeric.first().copied().unwrap_or(0.0),
    };
    for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
        // A NaN difference counts as infinite (f64::max would ignore it).
        let diff = (a - n).abs();
        c.max_abs_diff = c
            .max_abs_diff
            .max(if diff.is_nan() { f64::INFINITY } else { diff });
        let e = rel_err(a, n);
        if e > c.max_rel_err {
            c.max_rel_err = e;
            c.worst_index = i;
            c.analytic = a;
            c.numeric = n;
        }
    }
    c
}

/// Central differences of `loss` with respect to every entry of `vals`, with step `step`.
/// `loss` receives the perturbed values; `vals` is restored exactly afterwards.
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn numeric_gradient(
    vals: &mut [f64],
    step: f64,
    mut loss: impl FnMut(&[f64]) -> f64,
) -> Vec<f64> {
    let mut grad = Vec::with_capacity(vals.len());
    for i in 0..vals.len() {
        let v = vals[i];
        let (up, down) = (v + step, v - step);
        vals[i] = up;
        let l_up = loss(vals);
        vals[i] = down;
        let l_down = loss(vals);
        vals[i] = v;
        grad.push((l_up - l_down) / (up - down));
    }
    grad
}

/// The check of one parameter tensor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorCheck {
    /// 0-based Dense layer.
    pub layer: usize,
    /// `"W"` or `"b"`.
    pub tensor: &'static str,
    /// `[in, out]` for `W`, `[out]` for `b`.
    pub shape: Vec<usize>,
    #[serde(flatten)]
    pub comparison: Comparison,
    /// `max_rel_err < tolerance`.
    pub passed: bool,
}

/// Splits two flat gradients laid out like [`Mlp`]'s parameters (per layer `W` then `b`) into
/// their tensors and compares each; a tensor passes when its largest [`rel_err`] is below
/// `tolerance`.
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn compare_per_tensor(
    sizes: &[usize],
    analytic: &[f64],
    numeric: &[f64],
    tolerance: f64,
) -> Vec<TensorCheck> {
    assert_eq!(analytic.len(), param_count(sizes), "gradient length");
    assert_eq!(numeric.len(), param_count(sizes), "gradient length");
    let mut checks = Vec::with_capacity(2 * (sizes.len() - 1));
    let mut offset = 0;
    for (layer, io) in sizes.windows(2).enumerate() {
        let (i, o) = (io[0], io[1]);
        for (tensor, shape) in [("W", vec![i, o]), ("b", vec![o])] {
            let len: usize = shape.iter().product();
            let range = offset..offset + len;
            let comparison = compare(&analytic[range.clone()], &numeric[range]);
            checks.push(TensorCheck {
                layer,
                tensor,
                shape,
                passed: comparison.max_rel_err < tolerance,
                comparison,
            });
            offset += len;
        }
    }
    checks
}

/// Which loss is audited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AuditedLoss {
    /// Sparse categorical cross-entropy of the labels.
    Hard,
    /// The distillation loss against soft targets.
    Distill(Distillation),
}

impl AuditedLoss {
    /// `hard`, `distill-logits` or `distill-probabilities`.
    pub fn name(&self) -> String {
        match self {
            AuditedLoss::Hard => "hard".into(),
            AuditedLoss::Distill(d) => format!("distill-{}", d.mode),
        }
    }
}

/// What `kd-mlp gradcheck` audits; the defaults are the command's.
#[derive(Debug, Clone, PartialEq)]
pub struct GradcheckConfig {
    /// `[inputs, hidden…, classes]`.
    pub sizes: Vec<usize>,
    /// Rows in the batch.
    pub batch: usize,
    /// Seed of the network, the batch, the labels and the teacher.
    pub seed: u64,
    /// Temperature of both distillation checks.
    pub temperature: f64,
    /// α of both distillation checks.
    pub alpha: f64,
}

impl Default for GradcheckConfig {
    fn default() -> Self {
        Self {
            sizes: vec![6, 5, 4, 3],
            batch: 4,
            seed: 1,
            temperature: 2.0,
            alpha: 0.5,
        }
    }
}

/// A random problem: a network with Glorot weights and random biases, a batch, labels and a
/// random teacher's logits, drawn so that no hidden pre-activation is near the ReLU kink.
#[derive(Debug, Clone)]
pub struct Problem {
    pub mlp: Mlp<f64>,
    /// `(B, inputs)`, uniform in [−1, 1).
    pub x: Array2<f64>,
    /// `(B)`, uniform over the classes.
    pub labels: Vec<usize>,
    /// `(B, classes)`, uniform in [−4, 4): the teacher whose soft targets distillation uses.
    pub teacher_logits: Array2<f64>,
    /// Smallest |pre-activation| of a hidden unit over the batch.
    pub kink_distance: f64,
    /// Hidden (unit, row) pairs the ReLU masks and passes.
    pub masked: usize,
    pub passed: usize,
    /// Problems drawn until this one was far enough from the kink (1 if the first was).
    pub draws: u64,
}

/// The hidden pre-activations through the library's dense layer and ReLU: the smallest |z| and
/// the number of negative and positive entries.
fn hidden_preactivations(mlp: &Mlp<f64>, x: ArrayView2<f64>) -> (f64, usize, usize) {
    let mut input = x.to_owned();
    let (mut min, mut neg, mut pos) = (f64::INFINITY, 0, 0);
    for l in 0..mlp.layers() - 1 {
        let (w, b) = mlp.layer(l);
        let mut z = Array2::zeros((x.nrows(), w.ncols()));
        dense_forward(input.view(), w, b, z.view_mut());
        min = z.iter().fold(min, |m, v| m.min(v.abs()));
        neg += z.iter().filter(|&&v| v < 0.0).count();
        pos += z.iter().filter(|&&v| v > 0.0).count();
        relu_forward(z.view_mut());
        input = z;
    }
    (min, neg, pos)
}

impl Problem {
    /// Draws problems from `cfg.seed` until one keeps every hidden pre-activation at least
    /// [`KINK_MARGIN`] from 0. Errors on bad sizes or an empty batch.
    ///
    /// Derivation: `docs/MATH.md`, section "Gradient audit".
    pub fn draw(cfg: &GradcheckConfig) -> Result<Self, Error> {
        if cfg.batch == 0 {
            return Err(Error::Config("the batch needs at least one row".into()));
        }
        let sizes = &cfg.sizes;
        Mlp::<f64>::zeros(sizes)?;
        let classes = sizes[sizes.len() - 1];
        for draw in 0..MAX_DRAWS {
            let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(&[cfg.seed, 0x6AD, draw]));
            let mut mlp = Mlp::<f64>::glorot(sizes, rng.gen())?;
            // Non-zero biases, so that every bias path carries a gradient.
            for l in 0..mlp.layers() {
                let (_, mut b) = layer_view_mut(sizes, mlp.params_mut(), l);
                b.mapv_inplace(|_| rng.gen_range(-0.3..0.3));
            }
            let x =
                Array2::from_shape_simple_fn((cfg.batch, sizes[0]), || rng.gen_range(-1.0..1.0));
            let labels = (0..cfg.batch).map(|_| rng.gen_range(0..classes)).collect();
            let teacher_logits =
                Array2::from_shape_simple_fn((cfg.batch, classes), || rng.gen_range(-4.0..4.0));
            let (kink_distance, masked, passed) = hidden_preactivations(&mlp, x.view());
            if kink_distance >= KINK_MARGIN {
                return Ok(Self {
                    mlp,
                    x,
                    labels,
                    teacher_logits,
                    kink_distance,
                    masked,
                    passed,
                    draws: draw + 1,
                });
            }
        }
        Err(Error::Config(format!(
            "no draw out of {MAX_DRAWS} kept every hidden pre-activation {KINK_MARGIN:e} away from the ReLU kink; try a smaller network or batch"
        )))
    }

    /// The teacher's soft targets for `d`, as [`crate::teacher::Teacher::soft_targets`] computes
    /// them for one model: `softmax(v/T)` in logits mode, `softmax(softmax(v)/T)` in
    /// probabilities mode.
    ///
    /// # Shapes
    /// returns `(B, classes)`.
    pub fn soft_targets(&self, d: &Distillation) -> Array2<f64> {
        let t = d.temperature;
        let mut q = Array2::zeros(self.teacher_logits.dim());
        for (v, q_row) in self.teacher_logits.rows().into_iter().zip(q.rows_mut()) {
            let source = match d.mode {
                SoftTargetMode::Logits => v.to_owned(),
                SoftTargetMode::Probabilities => {
                    let mut p = v.to_owned();
                    softmax_row(v, p.view_mut());
                    p
                }
            };
            softmax_row(source.mapv(|a| a / t).view(), q_row);
        }
        q
    }
}

/// One training step's forward pass and loss, as [`crate::train::Trainer::step`] does it: the
/// batch-mean loss, with `∂L/∂z` left in the workspace.
fn forward_loss(
    mlp: &Mlp<f64>,
    x: ArrayView2<f64>,
    labels: &[usize],
    loss: &AuditedLoss,
    q: ArrayView2<f64>,
    ws: &mut Workspace<f64>,
) -> f64 {
    let rows = x.nrows();
    mlp.forward(x, ws);
    let sum = match loss {
        AuditedLoss::Hard => {
            let (logits, probs, _) = ws.loss_buffers(rows);
            let sum = softmax_cross_entropy(logits, labels, probs);
            let (_, probs, dlogits) = ws.loss_buffers(rows);
            cross_entropy_backward(probs.view(), labels, dlogits);
            sum
        }
        AuditedLoss::Distill(d) => {
            let (logits, probs, dlogits) = ws.loss_buffers(rows);
            distillation_loss(logits, labels, q, d, probs, dlogits)
        }
    };
    sum / rows as f64
}

/// The batch-mean loss of `problem` under `loss` and its analytic gradient (laid out like the
/// parameters), through `Mlp::forward`, the loss and `Mlp::backward`.
pub fn analytic_gradient(problem: &Problem, loss: &AuditedLoss) -> (f64, Vec<f64>) {
    let q = soft_targets_for(problem, loss);
    let mut ws = Workspace::new(problem.mlp.sizes(), problem.x.nrows());
    let value = forward_loss(
        &problem.mlp,
        problem.x.view(),
        &problem.labels,
        loss,
        q.view(),
        &mut ws,
    );
    // Pre-filled with garbage: the backward pass must write every entry.
    let mut grads = vec![7.0; problem.mlp.params().len()];
    problem.mlp.backward(problem.x.view(), &mut ws, &mut grads);
    (value, grads)
}

/// The central-difference gradient of the batch-mean loss in every parameter.
pub fn finite_difference_gradient(problem: &Problem, loss: &AuditedLoss) -> Vec<f64> {
    let q = soft_targets_for(problem, loss);
    let sizes = problem.mlp.sizes().to_vec();
    let mut ws = Workspace::new(&sizes, problem.x.nrows());
    let mut params = problem.mlp.params().to_vec();
    numeric_gradient(&mut params, step_for(loss), |p| {
        let mlp = Mlp::from_params(&sizes, p.to_vec()).expect("the parameter count is unchanged");
        forward_loss(
            &mlp,
            problem.x.view(),
            &problem.labels,
            loss,
            q.view(),
            &mut ws,
        )
    })
}

/// The finite-difference step for `loss`: [`STEP`] for the hard loss, `STEP·max(T, 1)` for
/// distillation. The soft term `T²·KL` is evaluated as a sum of O(1) logarithms multiplied by T²,
/// so its rounding error grows like T² while the term itself flattens as T grows (it tends to a
/// squared distance of centred logits divided by C, whose derivatives do not grow with T); a step
/// growing with T keeps the rounding error `ε·|L|/h` down without a visible truncation error.
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn step_for(loss: &AuditedLoss) -> f64 {
    match loss {
        AuditedLoss::Hard => STEP,
        AuditedLoss::Distill(d) => STEP * d.temperature.max(1.0),
    }
}

/// Soft targets for a distillation loss; an unused (B, classes) zero array for the hard loss.
fn soft_targets_for(problem: &Problem, loss: &AuditedLoss) -> Array2<f64> {
    match loss {
        AuditedLoss::Hard => Array2::zeros(problem.teacher_logits.dim()),
        AuditedLoss::Distill(d) => problem.soft_targets(d),
    }
}

/// The audit of one loss.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LossCheck {
    /// `hard`, `distill-logits` or `distill-probabilities`.
    pub loss: String,
    /// T and α of a distillation loss.
    pub temperature: Option<f64>,
    pub alpha: Option<f64>,
    /// The batch-mean loss at the audited parameters.
    pub value: f64,
    /// The finite-difference step used ([`step_for`]).
    pub step: f64,
    pub tensors: Vec<TensorCheck>,
    /// Every tensor passed.
    pub passed: bool,
}

/// Audits `loss` on `problem`: analytic against numeric gradient, tensor by tensor.
pub fn check_loss(problem: &Problem, loss: &AuditedLoss) -> LossCheck {
    let (value, analytic) = analytic_gradient(problem, loss);
    let numeric = finite_difference_gradient(problem, loss);
    let tensors = compare_per_tensor(problem.mlp.sizes(), &analytic, &numeric, TOLERANCE);
    let (temperature, alpha) = match loss {
        AuditedLoss::Hard => (None, None),
        AuditedLoss::Distill(d) => (Some(d.temperature), Some(d.alpha)),
    };
    LossCheck {
        loss: loss.name(),
        temperature,
        alpha,
        value,
        step: step_for(loss),
        passed: tensors.iter().all(|t| t.passed),
        tensors,
    }
}

/// The whole audit, as `kd-mlp gradcheck` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradcheckReport {
    pub sizes: Vec<usize>,
    pub batch: usize,
    pub seed: u64,
    pub parameters: usize,
    /// Finite-difference step of the hard loss (distillation: see [`step_for`]).
    pub step: f64,
    /// Floor of the error measure's denominator.
    pub tiny: f64,
    /// A tensor passes when its largest relative error is below this.
    pub tolerance: f64,
    /// Smallest |hidden pre-activation| of the audited problem (at least [`KINK_MARGIN`]).
    pub kink_distance: f64,
    /// Hidden (unit, row) pairs the ReLU masks and passes.
    pub relu_masked: usize,
    pub relu_passed: usize,
    /// Problems drawn to get one away from the kink.
    pub draws: u64,
    /// Hard loss, distillation in logits mode, distillation in probabilities mode.
    pub checks: Vec<LossCheck>,
    /// Largest relative error over every tensor of every loss.
    pub worst_rel_err: f64,
    /// Every tensor of every loss passed.
    pub passed: bool,
}

impl GradcheckReport {
    /// Every tensor check, with the name of its loss.
    pub fn rows(&self) -> impl Iterator<Item = (&str, &TensorCheck)> {
        self.checks
            .iter()
            .flat_map(|c| c.tensors.iter().map(move |t| (c.loss.as_str(), t)))
    }
}

/// Draws the problem and audits the three losses (hard, distillation with logits, distillation
/// with probabilities, the latter two at `cfg.temperature` and `cfg.alpha`).
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn run(cfg: &GradcheckConfig) -> Result<GradcheckReport, Error> {
    let losses = [
        AuditedLoss::Hard,
        AuditedLoss::Distill(Distillation::new(
            cfg.alpha,
            cfg.temperature,
            SoftTargetMode::Logits,
        )?),
        AuditedLoss::Distill(Distillation::new(
            cfg.alpha,
            cfg.temperature,
            SoftTargetMode::Probabilities,
        )?),
    ];
    let problem = Problem::draw(cfg)?;
    let checks: Vec<LossCheck> = losses.iter().map(|l| check_loss(&problem, l)).collect();
    let worst_rel_err = checks
        .iter()
        .flat_map(|c| &c.tensors)
        .fold(0.0f64, |m, t| m.max(t.comparison.max_rel_err));
    Ok(GradcheckReport {
        sizes: cfg.sizes.clone(),
        batch: cfg.batch,
        seed: cfg.seed,
        parameters: problem.mlp.params().len(),
        step: STEP,
        tiny: TINY,
        tolerance: TOLERANCE,
        kink_distance: problem.kink_distance,
        relu_masked: problem.masked,
        relu_passed: problem.passed,
        draws: problem.draws,
        passed: checks.iter().all(|c| c.passed),
        checks,
        worst_rel_err,
    })
}

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
