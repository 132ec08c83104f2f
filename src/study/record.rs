//! The record of one trained (or assembled) model in a results folder: what it is, how it was
//! trained, and how well it does. One JSON file per model, written atomically the moment the
//! model is done, so an interrupted study resumes where it stopped and folders from several
//! machines can be merged.

use crate::engine::loss::SoftTargetMode;
use crate::study::stopping::ArmStopping;
use crate::train::EpochRecord;
use serde::{Deserialize, Serialize};

/// What part of the study a model plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The big network, `784-500-400-300-200-100-10` on MNIST.
    Teacher,
    /// One small network of the ensemble.
    Member,
    /// The ensemble of the members of a repetition (assembled, not trained).
    Ensemble,
    /// The small network trained on hard labels alone.
    Independent,
    /// A small network distilled from the teacher or the ensemble.
    Distilled,
    /// A small network trained on label-smoothed hard labels: distillation's control, a
    /// softened target without a teacher.
    Smoothed,
}

/// Whom a distilled student learned from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Teacher,
    Ensemble,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Teacher => "teacher",
            Source::Ensemble => "ensemble",
        })
    }
}

/// The distillation settings of a distilled student.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DistillSettings {
    pub source: Source,
    pub mode: SoftTargetMode,
    pub temperature: f64,
    pub alpha: f64,
    /// How this arm stops, where it departs from the protocol's rule; absent (the protocol's
    /// rule) in every record written before the variants existed.
    #[serde(default, skip_serializing_if = "ArmStopping::is_protocol")]
    pub stopping: ArmStopping,
}

/// One model of a study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Unique within a study, e.g. `rep03/distilled-teacher-logits-T1-a0.1`; also the file stem.
    pub key: String,
    pub role: Role,
    /// 0-based repetition.
    pub repetition: usize,
    /// Member index (members only).
    pub member: Option<usize>,
    /// Distillation settings (distilled students only).
    pub distill: Option<DistillSettings>,
    /// Seed of the initial weights and of the batch order.
    pub seed: u64,
    /// Layer sizes (of one member, for an ensemble).
    pub arch: Vec<usize>,
    /// Parameters (all members together, for an ensemble).
    pub parameters: usize,
    /// Per-epoch history (empty for an ensemble).
    pub epochs: Vec<EpochRecord>,
    /// The epoch whose weights were kept (0 for an ensemble).
    pub best_epoch: usize,
    pub stopped_early: bool,
    /// Validation loss and error of the kept weights.
    pub val_loss: f64,
    pub val_error: f64,
    /// Test loss (hard-label cross-entropy) and error.
    pub test_loss: f64,
    pub test_error: f64,
    /// Seconds spent in training steps.
    pub train_seconds: f64,
    /// Wall-clock seconds from start to record, including validation and soft targets.
    pub wall_seconds: f64,
    /// Floating-point operations of this model's own training, counted analytically
    /// ([`crate::train::flops`]): forward, backward and Adam per epoch and the validation
    /// passes. Absent for an ensemble (its members carry theirs) and in records written before
    /// the count existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_flops: Option<f64>,
    /// For a distilled student: the FLOPs of the soft-target pass of its teacher or ensemble
    /// over the training file (absent otherwise, and in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_target_flops: Option<f64>,
    /// The classes of the data without a training example (EMNIST letters: class 0), so the
    /// report can say how many classes the models really learned. Absent when there are none
    /// (MNIST), and in records written before the field existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub empty_classes: Vec<usize>,
    /// The subset of the training split the model learned from, in a study with a
    /// training-set-size axis (`--train-sizes`); absent when it learned from the whole split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_subset: Option<TrainSubset>,
    /// How the labels were smoothed (smoothed students only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoothing: Option<SmoothingSettings>,
}

/// Which part of the training split a model of a size-axis study learned from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainSubset {
    /// Training samples used (the validation split stays whole).
    pub samples: usize,
    /// Samples of the whole training split.
    pub of: usize,
    /// A hash of the chosen indices (16 hex digits): equal for every model of a repetition and
    /// size, so a reader can check that they learned from the same images.
    pub fingerprint: String,
}

/// The label smoothing of a smoothed student.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmoothingSettings {
    /// The ε used: targets `(1 − ε)·onehot(y) + ε/C`.
    pub epsilon: f64,
    /// For `--label-smoothing auto`: the temperature T at which the ensemble's mean soft-target
    /// entropy (over the training samples) was matched; absent for a fixed ε.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_temperature: Option<f64>,
}

impl Record {
    /// The record with its timings zeroed: what must be identical between two runs of the same
    /// study, whatever the machine load or thread count.
    pub fn without_timings(&self) -> Record {
        let mut r = self.clone();
        r.train_seconds = 0.0;
        r.wall_seconds = 0.0;
        for e in &mut r.epochs {
            e.seconds = 0.0;
            e.samples_per_s = 0.0;
            e.val_seconds = 0.0;
        }
        r
    }
}

/// The key of a distilled student, e.g. `rep03/distilled-ensemble-probabilities-T4-a0.5`, with
/// its stopping rule's suffix when it departs from the protocol's (`...-a0.1-ep3`).
pub fn distilled_key(repetition: usize, d: &DistillSettings) -> String {
    format!("rep{repetition:02}/{}", distilled_name(d))
}

/// The last part of a distilled student's key, e.g. `distilled-ensemble-logits-T4-a0.5`.
pub fn distilled_name(d: &DistillSettings) -> String {
    format!(
        "distilled-{}-{}-T{}-a{}{}",
        d.source,
        d.mode,
        d.temperature,
        d.alpha,
        d.stopping.key_suffix()
    )
}
