//! What a training run is told (the protocol's defaults), what it reports per epoch and at the
//! end, and the progress events a display receives.

use crate::data::{Dataset, Split};
use crate::engine::adam::AdamConfig;
use crate::error::Error;
use crate::train::early_stopping::Monitor;
use serde::{Deserialize, Serialize};

/// How to train; the defaults are the protocol's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Samples per step; the last, shorter batch of an epoch is kept.
    pub batch_size: usize,
    /// Epoch cap, whatever early stopping says.
    pub max_epochs: usize,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Improvement threshold of early stopping.
    pub min_delta: f64,
    /// What early stopping watches.
    pub monitor: Monitor,
    pub adam: AdamConfig,
    /// Seed of the batch order (the model's `Shuffle` stream).
    pub seed: u64,
    /// Train exactly this many epochs, with no early stopping, and keep the last epoch's weights
    /// (the Keras distillation example's `fit(..., epochs=3)`). Absent from a `config.json`
    /// that does not use it, so older protocols read and compare unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_epochs: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch_size: 32,
            max_epochs: 100,
            patience: 2,
            min_delta: 0.0,
            monitor: Monitor::ValLoss,
            adam: AdamConfig::default(),
            seed: 1,
            fixed_epochs: None,
        }
    }
}

/// What happened in one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss (the objective's) over the epoch's batches, weights changing as it goes,
    /// as Keras reports it.
    pub train_loss: f64,
    pub val_loss: f64,
    /// Fraction misclassified on the validation split.
    pub val_error: f64,
    /// Seconds spent on the training steps (not the validation pass).
    pub seconds: f64,
    /// Training samples per second.
    pub samples_per_s: f64,
    /// Seconds of the validation pass.
    pub val_seconds: f64,
    /// The objective's own loss on the validation split (the distillation loss for a distilled
    /// student), measured only when early stopping watches it ([`Monitor::ValCombined`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_objective_loss: Option<f64>,
}

/// The outcome of a training run. The model holds the best epoch's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub epochs: Vec<EpochRecord>,
    /// The epoch whose weights the model holds.
    pub best_epoch: usize,
    /// Whether early stopping ended the run (rather than the epoch cap).
    pub stopped_early: bool,
    /// Seconds spent on training steps, summed over epochs.
    pub train_seconds: f64,
}

/// Progress, for a display.
#[derive(Debug, Clone, Copy)]
pub enum TrainEvent<'a> {
    /// An epoch is starting and will run `batches` steps.
    EpochStarted { epoch: usize, batches: usize },
    /// Step `batch` (1-based) of the epoch is done.
    BatchDone {
        epoch: usize,
        batch: usize,
        batches: usize,
    },
    /// The epoch and its validation pass are done.
    EpochDone(&'a EpochRecord),
}

pub(super) fn check_config(
    cfg: &TrainConfig,
    split: &Split,
    data: &Dataset,
    inputs: usize,
) -> Result<(), Error> {
    let bad = |what: String| Err(Error::Config(what));
    if cfg.batch_size == 0 {
        return bad("batch size must be at least 1".into());
    }
    if cfg.max_epochs == 0 {
        return bad("the epoch cap must be at least 1".into());
    }
    if cfg.fixed_epochs == Some(0) {
        return bad("a fixed number of epochs must be at least 1".into());
    }
    if !(cfg.min_delta.is_finite() && cfg.min_delta >= 0.0) {
        return bad(format!(
            "the early-stopping min-delta must be a number >= 0, got {}",
            cfg.min_delta
        ));
    }
    if split.train.is_empty() || split.validation.is_empty() {
        return bad(format!(
            "training needs both training and validation samples; got {} and {}",
            split.train.len(),
            split.validation.len()
        ));
    }
    if split.train.end > data.len() || split.validation.end > data.len() {
        return bad(format!(
            "the split {split:?} runs past the {} samples of the data set",
            data.len()
        ));
    }
    if inputs != data.pixels() {
        return bad(format!(
            "the model takes {inputs} inputs but the images have {} pixels ({}x{})",
            data.pixels(),
            data.rows(),
            data.cols()
        ));
    }
    let lr = cfg.adam.learning_rate;
    if !(lr.is_finite() && lr > 0.0) {
        return bad(format!("the learning rate must be positive, got {lr}"));
    }
    Ok(())
}
