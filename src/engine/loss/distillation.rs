//! The distillation loss of Hinton et al. in both soft-target modes, with its fused gradient
//! with respect to the student's logits. Derivation: `docs/MATH.md`, "Knowledge distillation".

use super::cross_entropy::softmax_row;
use crate::Float;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2};

/// Where the soft distributions of distillation come from.
///
/// Derivation: `docs/MATH.md`, section "Knowledge distillation".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum SoftTargetMode {
    /// Hinton's distillation: `softmax(v/T)` of the teacher's logits against `softmax(z/T)` of the
    /// student's.
    Logits,
    /// The paper-literal variant: the softmax of *probabilities*, `softmax(p/T)`, for both the
    /// teacher's output `p` and the student's `softmax(z)`. Every exponent lies in `[0, 1/T]`, so
    /// both distributions are nearly uniform and the soft term nearly vanishes.
    Probabilities,
    /// The probabilities mode's soft term *and* a hard term on a second softmax,
    /// `−log softmax(p)_y` of the student's probabilities `p`: what Keras 3's torch and jax
    /// backends, or PyTorch's `CrossEntropyLoss` after a `Softmax` layer, compute when the
    /// network ends in softmax. That hard term cannot fall below `−log(e/(e + C − 1))`
    /// (about 1.46 for 10 classes) and barely moves.
    DoubleSoftmax,
}

impl SoftTargetMode {
    /// Whether the soft distributions are softmaxes of probabilities (the teacher's soft
    /// targets are then `softmax(p/T)` of its probabilities).
    pub fn softens_probabilities(self) -> bool {
        matches!(
            self,
            SoftTargetMode::Probabilities | SoftTargetMode::DoubleSoftmax
        )
    }
}

impl std::fmt::Display for SoftTargetMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SoftTargetMode::Logits => "logits",
            SoftTargetMode::Probabilities => "probabilities",
            SoftTargetMode::DoubleSoftmax => "double-softmax",
        })
    }
}

/// The settings of the distillation loss
/// `L = α·CE(y, softmax(z)) + (1 − α)·T²·KL(q ‖ softmax(·/T))`.
///
/// Derivation: `docs/MATH.md`, section "Knowledge distillation".
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Distillation {
    /// Weight of the hard-label term, in `[0, 1]`.
    pub alpha: f64,
    /// Temperature `T > 0`.
    pub temperature: f64,
    pub mode: SoftTargetMode,
}

impl Distillation {
    /// Checks α ∈ [0, 1] and T > 0 (both finite).
    pub fn new(alpha: f64, temperature: f64, mode: SoftTargetMode) -> Result<Self, crate::Error> {
        if !(0.0..=1.0).contains(&alpha) {
            return Err(crate::Error::Config(format!(
                "alpha must be in [0, 1], got {alpha}"
            )));
        }
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(crate::Error::Config(format!(
                "the temperature must be a positive number, got {temperature}"
            )));
        }
        Ok(Self {
            alpha,
            temperature,
            mode,
        })
    }
}

/// The distillation loss of a batch and its fused gradient with respect to the student logits.
/// Derivation: `docs/MATH.md`, "Knowledge distillation".
///
/// Per sample, with `p = softmax(z)` and the teacher's soft distribution `q` (precomputed, see
/// [`crate::train::teacher`]):
/// - mode `Logits`: `u = softmax(z/T)`, loss `α·(−log p_y) + (1 − α)·T²·KL(q ‖ u)`, gradient
///   `α·(p − onehot(y)) + (1 − α)·T·(u − q)`;
/// - mode `Probabilities`: `u = softmax(p/T)`, the same loss, and the soft part of the gradient
///   goes back through both softmaxes: with `g = (1 − α)·T·(u − q)` (the gradient with respect to
///   `p`), `∂/∂z = p ⊙ (g − ⟨p, g⟩)`.
///
/// The gradient is divided by `B` (the loss is a batch mean); the returned loss is the *sum* over
/// rows, in f64. With `α = 1` the soft part is multiplied by exactly zero, so the gradient and the
/// loss are bit for bit those of [`super::softmax_cross_entropy`] and
/// [`super::cross_entropy_backward`].
///
/// # Shapes
/// `z: (B, C)`, `labels: (B)`, `q: (B, C)`, `p: (B, C)` (overwritten with `softmax(z)`),
/// `dz: (B, C)` (overwritten).
pub fn distillation_loss<F: Float>(
    z: ArrayView2<F>,
    labels: &[usize],
    q: ArrayView2<F>,
    d: &Distillation,
    mut p: ArrayViewMut2<F>,
    mut dz: ArrayViewMut2<F>,
) -> f64 {
    let alpha = F::of(d.alpha);
    let soft_weight = F::of(1.0 - d.alpha);
    let t = F::of(d.temperature);
    let inv_t = F::one() / t;
    let scale = F::one() / F::of(labels.len() as f64);
    let mut loss_sum = 0.0f64;
    let rows = z
        .rows()
        .into_iter()
        .zip(q.rows())
        .zip(p.rows_mut())
        .zip(dz.rows_mut());
    for ((((z_row, q_row), mut p_row), mut d_row), &y) in rows.zip(labels) {
        let (max, log_sum) = softmax_row(z_row, p_row.view_mut());
        let hard = match d.mode {
            SoftTargetMode::DoubleSoftmax => second_softmax_cross_entropy(p_row.view(), y),
            _ => (max - z_row[y]) + log_sum,
        };
        // u = softmax(a/T) of a = the logits or the probabilities, written into d_row as scratch,
        // with log u_j = a_j/T − m − log Σ_k exp(a_k/T − m), m = max_k a_k/T.
        let source = match d.mode {
            SoftTargetMode::Logits => z_row.view(),
            SoftTargetMode::Probabilities | SoftTargetMode::DoubleSoftmax => p_row.view(),
        };
        let m = source.fold(F::neg_infinity(), |acc, &a| acc.max(a)) * inv_t;
        let mut sum = F::zero();
        for (u, &a) in d_row.iter_mut().zip(source.iter()) {
            *u = (a * inv_t - m).libm_exp();
            sum += *u;
        }
        let inv_sum = sum.recip();
        d_row.mapv_inplace(|u| u * inv_sum);
        let log_norm = m + sum.libm_ln();
        // KL(q ‖ u) = Σ_j q_j·(log q_j − log u_j), a zero q_j contributing nothing.
        let mut kl = F::zero();
        for (&qj, &a) in q_row.iter().zip(source.iter()) {
            if qj > F::zero() {
                kl += qj * (qj.libm_ln() - (a * inv_t - log_norm));
            }
        }
        loss_sum += d.alpha * hard.to_f64() + (1.0 - d.alpha) * (t * t * kl).to_f64();
        // The soft part, (1 − α)·T·(u − q): of ∂L/∂z in logits mode, of ∂L/∂p in probabilities
        // mode, where it still has to go back through p = softmax(z). Then the hard part.
        for (dj, &qj) in d_row.iter_mut().zip(q_row.iter()) {
            *dj = soft_weight * t * (*dj - qj);
        }
        if d.mode == SoftTargetMode::DoubleSoftmax {
            // The hard part with respect to p, α·(softmax(p) − onehot(y)), joins the soft one
            // before both go back through p = softmax(z). p lies in [0, 1]: exp cannot overflow.
            let pmax = p_row.fold(F::neg_infinity(), |acc, &a| acc.max(a));
            let sum = p_row
                .iter()
                .fold(F::zero(), |acc, &pj| acc + (pj - pmax).libm_exp());
            let inv_sum = sum.recip();
            for (j, (dj, &pj)) in d_row.iter_mut().zip(p_row.iter()).enumerate() {
                let indicator = if j == y { F::one() } else { F::zero() };
                *dj += alpha * ((pj - pmax).libm_exp() * inv_sum - indicator);
            }
        }
        if d.mode.softens_probabilities() {
            let dot = d_row
                .iter()
                .zip(p_row.iter())
                .fold(F::zero(), |acc, (&g, &pj)| acc + g * pj);
            for (dj, &pj) in d_row.iter_mut().zip(p_row.iter()) {
                *dj = pj * (*dj - dot);
            }
        }
        if d.mode == SoftTargetMode::DoubleSoftmax {
            d_row.mapv_inplace(|g| g * scale);
        } else {
            for (j, (dj, &pj)) in d_row.iter_mut().zip(p_row.iter()).enumerate() {
                let indicator = if j == y { F::one() } else { F::zero() };
                *dj = (alpha * (pj - indicator) + *dj) * scale;
            }
        }
    }
    loss_sum
}

/// `−log softmax(p)_y` of a row of probabilities `p`: `(max p − p_y) + log Σ_k exp(p_k − max p)`,
/// the cross-entropy a framework computes when it takes a softmax output for logits.
fn second_softmax_cross_entropy<F: Float>(p: ArrayView1<F>, y: usize) -> F {
    let max = p.fold(F::neg_infinity(), |acc, &a| acc.max(a));
    let sum = p
        .iter()
        .fold(F::zero(), |acc, &a| acc + (a - max).libm_exp());
    (max - p[y]) + sum.libm_ln()
}
