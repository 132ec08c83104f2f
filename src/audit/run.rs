//! The whole audit behind `kd-mlp gradcheck`: every loss on one problem, and the report.

use super::problem::{analytic_gradient, finite_difference_gradient, step_for};
use super::{compare_per_tensor, AuditedLoss, GradcheckConfig, Problem, TensorCheck};
use super::{STEP, TINY, TOLERANCE};
use crate::engine::loss::{check_smoothing, Distillation, SoftTargetMode};
use crate::error::Error;
use serde::Serialize;

/// The audit of one loss.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LossCheck {
    /// `hard`, `distill-logits`, `distill-probabilities` or `distill-double-softmax`.
    pub loss: String,
    /// T and α of a distillation loss.
    pub temperature: Option<f64>,
    pub alpha: Option<f64>,
    /// ε of the label-smoothing loss.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
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
        AuditedLoss::Hard | AuditedLoss::Smoothed(_) => (None, None),
        AuditedLoss::Distill(d) => (Some(d.temperature), Some(d.alpha)),
    };
    LossCheck {
        loss: loss.name(),
        temperature,
        alpha,
        epsilon: match loss {
            AuditedLoss::Smoothed(e) => Some(*e),
            _ => None,
        },
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
    /// Smallest |hidden pre-activation| of the audited problem (at least [`super::KINK_MARGIN`]).
    pub kink_distance: f64,
    /// Hidden (unit, row) pairs the ReLU masks and passes.
    pub relu_masked: usize,
    pub relu_passed: usize,
    /// Problems drawn to get one away from the kink.
    pub draws: u64,
    /// Hard loss, distillation in logits, probabilities and double-softmax mode, label
    /// smoothing.
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

/// Draws the problem and audits the five losses (hard, distillation with logits, with
/// probabilities and with the double softmax, the latter three at `cfg.temperature` and
/// `cfg.alpha`, and label smoothing at `cfg.smoothing`).
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
        AuditedLoss::Distill(Distillation::new(
            cfg.alpha,
            cfg.temperature,
            SoftTargetMode::DoubleSoftmax,
        )?),
        AuditedLoss::Smoothed(check_smoothing(cfg.smoothing)?),
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
