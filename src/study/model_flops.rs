//! What a model of the study cost: the analytic FLOPs of its training and of the soft-target
//! pass a distilled student needed, counted from the protocol's shapes and the epochs it ran
//! (docs/MATH.md, "Cost of training a model"), and added to a record written before they were
//! counted.

use super::models::Context;
use crate::error::Error;
use crate::study::record::{Record, Role, Source};
use crate::train::flops::{soft_target_flops, TrainingShape};

impl Context<'_> {
    /// The analytic FLOPs of training a model of `sizes` for the epochs it ran.
    pub(super) fn train_flops(&self, sizes: &[usize], epochs: &[crate::train::EpochRecord]) -> f64 {
        TrainingShape {
            sizes,
            train_samples: self.split.train.len(),
            val_samples: self.split.validation.len(),
            batch_size: self.study.protocol.train.batch_size,
        }
        .run_flops(epochs)
    }

    /// The FLOPs of the soft-target pass a distilled student of `source` needed.
    pub(super) fn soft_target_flops(&self, source: Source) -> f64 {
        let protocol = &self.study.protocol;
        let (hidden, members) = match source {
            Source::Teacher => (&protocol.teacher_hidden, 1),
            Source::Ensemble => (&protocol.student_hidden, protocol.ensemble_size),
        };
        soft_target_flops(&self.sizes(hidden), members, self.train_data.len())
    }

    /// A record written before FLOPs were counted gets them, from its own epochs and the
    /// protocol's shapes (the count is analytic: the same as training would have written), and
    /// is saved again; nothing else in it changes.
    pub(super) fn with_flops(&self, mut record: Record) -> Result<Record, Error> {
        if record.role == Role::Ensemble || record.train_flops.is_some() {
            return Ok(record);
        }
        record.train_flops = Some(self.train_flops(&record.arch, &record.epochs));
        if let Some(d) = record.distill {
            record.soft_target_flops = Some(self.soft_target_flops(d.source));
        }
        self.store.save(&record, None)?;
        Ok(record)
    }
}
