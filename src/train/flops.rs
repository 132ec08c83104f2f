//! The analytic cost of training, in floating-point operations: what it takes to *produce* a
//! model, counted the way `docs/MATH.md` ("Cost of training a model") derives it, so that the
//! report can weigh a distilled student against the compute its teacher needed.

use crate::engine::mlp::{forward_flops_per_sample, param_count, train_flops_per_sample};
use crate::train::EpochRecord;

/// FLOPs of one Adam update per parameter: `m ← β1·m + (1−β1)·g` (3), `v ← β2·v + (1−β2)·g²`
/// (4), `θ ← θ − lr_t·m/(sqrt(v) + ε)` (5, a square root and a division counted as one each).
pub const ADAM_FLOPS_PER_PARAMETER: u64 = 12;

/// The shape of the work of one training run, without its epoch count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainingShape<'a> {
    /// Layer sizes of the model.
    pub sizes: &'a [usize],
    /// Training samples per epoch.
    pub train_samples: usize,
    /// Validation samples evaluated after each epoch.
    pub val_samples: usize,
    /// Samples per step.
    pub batch_size: usize,
}

impl TrainingShape<'_> {
    /// FLOPs of one epoch: forward and backward over the training samples, one Adam update per
    /// step, and `val_passes` forward passes over the validation split.
    pub fn epoch_flops(&self, val_passes: usize) -> f64 {
        let steps = self.train_samples.div_ceil(self.batch_size.max(1)) as f64;
        let update = (ADAM_FLOPS_PER_PARAMETER * param_count(self.sizes) as u64) as f64;
        self.train_samples as f64 * train_flops_per_sample(self.sizes) as f64
            + steps * update
            + (val_passes * self.val_samples) as f64 * forward_flops_per_sample(self.sizes) as f64
    }

    /// FLOPs of a whole run: every epoch it ran, each with one validation pass for the
    /// hard-label loss and error and a second where the objective's loss was measured too
    /// ([`EpochRecord::val_objective_loss`]).
    pub fn run_flops(&self, epochs: &[EpochRecord]) -> f64 {
        epochs
            .iter()
            .map(|e| self.epoch_flops(1 + usize::from(e.val_objective_loss.is_some())))
            .sum()
    }
}

/// FLOPs of a teacher's soft-target pass: one forward pass of each of `members` models with
/// layer sizes `sizes` over `samples` samples (the softmaxes left out as negligible).
pub fn soft_target_flops(sizes: &[usize], members: usize, samples: usize) -> f64 {
    (members * samples) as f64 * forward_flops_per_sample(sizes) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(objective: bool) -> EpochRecord {
        EpochRecord {
            epoch: 1,
            train_loss: 0.0,
            val_loss: 0.0,
            val_error: 0.0,
            seconds: 0.0,
            samples_per_s: 0.0,
            val_seconds: 0.0,
            val_objective_loss: objective.then_some(0.0),
        }
    }

    #[test]
    fn the_student_epoch_of_the_protocol_by_hand() {
        // 784-100-10 on 54 000 samples in batches of 32, 6 000 validation samples:
        // 54 000·319 600 + 1 688 steps·12·79 510 + 6 000·158 800
        let shape = TrainingShape {
            sizes: &[784, 100, 10],
            train_samples: 54_000,
            val_samples: 6_000,
            batch_size: 32,
        };
        let want = 54_000.0 * 319_600.0 + 1_688.0 * 12.0 * 79_510.0 + 6_000.0 * 158_800.0;
        assert_eq!(shape.epoch_flops(1), want);
        assert_eq!(shape.run_flops(&[epoch(false), epoch(false)]), 2.0 * want);
        // a second validation pass where the objective's loss was measured
        assert_eq!(shape.run_flops(&[epoch(true)]), want + 6_000.0 * 158_800.0);
        assert_eq!(shape.run_flops(&[]), 0.0);
    }

    #[test]
    fn an_ensemble_pass_is_members_times_one_forward() {
        assert_eq!(
            soft_target_flops(&[784, 100, 10], 10, 60_000),
            10.0 * 60_000.0 * 158_800.0
        );
    }
}
