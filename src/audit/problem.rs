//! The audited problem (a random network, batch, labels and teacher, away from the ReLU kink)
//! and both gradients of a loss on it: analytic through the training code, numeric by finite
//! differences.

use super::{compare::numeric_gradient, KINK_MARGIN, MAX_DRAWS, STEP};
use crate::engine::activation::relu_forward;
use crate::engine::dense::dense_forward;
use crate::engine::loss::{
    cross_entropy_backward, distillation_loss, label_smoothing_loss, softmax_cross_entropy,
    softmax_row, Distillation, SoftTargetMode,
};
use crate::engine::mlp::{layer_view_mut, Mlp, Workspace};
use crate::engine::rng::derive_seed;
use crate::error::Error;
use crate::Float;
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which loss is audited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AuditedLoss {
    /// Sparse categorical cross-entropy of the labels.
    Hard,
    /// The distillation loss against soft targets.
    Distill(Distillation),
    /// Cross-entropy against the labels smoothed by ε.
    Smoothed(f64),
}

impl AuditedLoss {
    /// `hard`, `distill-logits`, `distill-probabilities`, `distill-double-softmax` or `smoothed`.
    pub fn name(&self) -> String {
        match self {
            AuditedLoss::Hard => "hard".into(),
            AuditedLoss::Distill(d) => format!("distill-{}", d.mode),
            AuditedLoss::Smoothed(_) => "smoothed".into(),
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
    /// ε of the label-smoothing check.
    pub smoothing: f64,
}

impl Default for GradcheckConfig {
    fn default() -> Self {
        Self {
            sizes: vec![6, 5, 4, 3],
            batch: 4,
            seed: 1,
            temperature: 2.0,
            alpha: 0.5,
            smoothing: 0.1,
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
pub(super) fn hidden_preactivations(mlp: &Mlp<f64>, x: ArrayView2<f64>) -> (f64, usize, usize) {
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

    /// The teacher's soft targets for `d`, as [`crate::train::teacher::Teacher::soft_targets`] computes
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
                SoftTargetMode::Probabilities | SoftTargetMode::DoubleSoftmax => {
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
pub(super) fn forward_loss<F: Float>(
    mlp: &Mlp<F>,
    x: ArrayView2<F>,
    labels: &[usize],
    loss: &AuditedLoss,
    q: ArrayView2<F>,
    ws: &mut Workspace<F>,
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
        AuditedLoss::Smoothed(epsilon) => {
            let (logits, probs, dlogits) = ws.loss_buffers(rows);
            label_smoothing_loss(logits, labels, *epsilon, probs, dlogits)
        }
    };
    sum / rows as f64
}

/// The batch-mean loss of `problem` under `loss` and its analytic gradient (laid out like the
/// parameters), through `Mlp::forward`, the loss and `Mlp::backward`.
pub fn analytic_gradient(problem: &Problem, loss: &AuditedLoss) -> (f64, Vec<f64>) {
    let q = soft_targets_for(problem, loss);
    loss_and_gradient(
        &problem.mlp,
        problem.x.view(),
        &problem.labels,
        loss,
        q.view(),
    )
}

/// The batch-mean loss of `mlp` on the rows `x` (with `labels`, and soft targets `q` for a
/// distillation loss; any `(B, classes)` array for the hard loss) and its analytic gradient,
/// laid out like the parameters, in `F`: what one training step computes before Adam.
///
/// # Shapes
/// `x: (B, inputs)`, `labels: (B)`, `q: (B, classes)`; returns the loss and `(parameters)`.
pub fn loss_and_gradient<F: Float>(
    mlp: &Mlp<F>,
    x: ArrayView2<F>,
    labels: &[usize],
    loss: &AuditedLoss,
    q: ArrayView2<F>,
) -> (f64, Vec<F>) {
    let mut ws = Workspace::new(mlp.sizes(), x.nrows());
    let value = forward_loss(mlp, x, labels, loss, q, &mut ws);
    // Pre-filled with garbage: the backward pass must write every entry.
    let mut grads = vec![F::of(7.0); mlp.params().len()];
    mlp.backward(x, &mut ws, &mut grads);
    (value, grads)
}

/// The central-difference gradient of the batch-mean loss in every parameter.
pub fn finite_difference_gradient(problem: &Problem, loss: &AuditedLoss) -> Vec<f64> {
    let q = soft_targets_for(problem, loss);
    finite_differences(
        &problem.mlp,
        problem.x.view(),
        &problem.labels,
        loss,
        q.view(),
    )
}

/// The central-difference gradient of the batch-mean loss of `mlp` on `x` (as in
/// [`loss_and_gradient`]) in every parameter, with the step [`step_for`]`(loss)`.
pub fn finite_differences(
    mlp: &Mlp<f64>,
    x: ArrayView2<f64>,
    labels: &[usize],
    loss: &AuditedLoss,
    q: ArrayView2<f64>,
) -> Vec<f64> {
    let sizes = mlp.sizes().to_vec();
    let mut ws = Workspace::new(&sizes, x.nrows());
    let mut params = mlp.params().to_vec();
    numeric_gradient(&mut params, step_for(loss), |p| {
        let mlp = Mlp::from_params(&sizes, p.to_vec()).expect("the parameter count is unchanged");
        forward_loss(&mlp, x, labels, loss, q, &mut ws)
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
        AuditedLoss::Hard | AuditedLoss::Smoothed(_) => STEP,
        AuditedLoss::Distill(d) => STEP * d.temperature.max(1.0),
    }
}

/// Soft targets for a distillation loss; an unused (B, classes) zero array for the hard loss.
fn soft_targets_for(problem: &Problem, loss: &AuditedLoss) -> Array2<f64> {
    match loss {
        AuditedLoss::Hard | AuditedLoss::Smoothed(_) => Array2::zeros(problem.teacher_logits.dim()),
        AuditedLoss::Distill(d) => problem.soft_targets(d),
    }
}
