//! Early stopping: stop when the monitored quantity has not improved for `patience` epochs, and
//! remember the best epoch so its weights can be restored (Keras's `EarlyStopping` with
//! `restore_best_weights=True`; unlike Keras 2, the best weights are restored also when training
//! ends at the epoch cap, so a model is always the best one seen).

use serde::{Deserialize, Serialize};

/// What early stopping watches. All are "lower is better".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Monitor {
    /// Hard-label cross-entropy on the validation split (the protocol's default).
    ValLoss,
    /// Classification error on the validation split.
    ValError,
    /// Mean training loss of the epoch (one reading of the paper's words; trains much longer).
    TrainLoss,
    /// The objective's own loss on the validation split: for a distilled student the combined
    /// distillation loss, what Keras 3 reports as a distiller's `val_loss`; for hard labels the
    /// same as `ValLoss`. Chosen per distilled arm (`--distill-monitor combined`), not by
    /// `--monitor`.
    #[value(skip)]
    ValCombined,
}

/// What an epoch's value means for training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A new best: keep these weights.
    Improved,
    /// No improvement, but patience is not used up.
    Wait,
    /// No improvement for `patience` epochs in a row: stop.
    Stop,
}

/// The state of early stopping across epochs.
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    patience: usize,
    min_delta: f64,
    best: f64,
    best_epoch: usize,
    wait: usize,
}

impl EarlyStopping {
    /// `patience`: epochs without improvement before stopping; an epoch improves when
    /// `value + min_delta < best`, Keras's test for a loss (with `min_delta = 0`, any decrease
    /// counts).
    pub fn new(patience: usize, min_delta: f64) -> Self {
        Self {
            patience,
            min_delta,
            best: f64::INFINITY,
            best_epoch: 0,
            wait: 0,
        }
    }

    /// Records `value` for `epoch` (1-based) and says what to do.
    ///
    /// Derivation: `docs/MATH.md`, section "Early stopping".
    pub fn observe(&mut self, epoch: usize, value: f64) -> Verdict {
        if value + self.min_delta < self.best {
            self.best = value;
            self.best_epoch = epoch;
            self.wait = 0;
            Verdict::Improved
        } else {
            self.wait += 1;
            if self.wait >= self.patience {
                Verdict::Stop
            } else {
                Verdict::Wait
            }
        }
    }

    /// The best epoch so far (0 before the first observation).
    pub fn best_epoch(&self) -> usize {
        self.best_epoch
    }

    /// The best value so far.
    pub fn best(&self) -> f64 {
        self.best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a scripted sequence; returns (epoch stopped at, best epoch).
    fn run(values: &[f64], patience: usize, min_delta: f64) -> (Option<usize>, usize) {
        let mut es = EarlyStopping::new(patience, min_delta);
        for (i, &v) in values.iter().enumerate() {
            if es.observe(i + 1, v) == Verdict::Stop {
                return (Some(i + 1), es.best_epoch());
            }
        }
        (None, es.best_epoch())
    }

    #[test]
    fn scripted_loss_sequences() {
        // best at epoch 3, epochs 4 and 5 do not improve: stop after epoch 5
        assert_eq!(run(&[0.5, 0.3, 0.2, 0.25, 0.21, 0.1], 2, 0.0), (Some(5), 3));
        // an equal value is not an improvement (min_delta 0, strict)
        assert_eq!(run(&[0.5, 0.4, 0.4, 0.4], 2, 0.0), (Some(4), 2));
        // a single bad epoch is tolerated with patience 2
        assert_eq!(run(&[0.5, 0.6, 0.4, 0.3], 2, 0.0), (None, 4));
        // patience 1 stops at the first non-improvement
        assert_eq!(run(&[0.5, 0.6, 0.4], 1, 0.0), (Some(2), 1));
        // min_delta: 0.395 is not 0.01 below 0.4
        assert_eq!(run(&[0.4, 0.395, 0.399], 2, 0.01), (Some(3), 1));
        // Keras's test is value + min_delta < best: 0.39 + 0.01 is not below 0.4, 0.38 is
        assert_eq!(run(&[0.4, 0.39, 0.38, 0.385, 0.39], 2, 0.01), (Some(5), 3));
        // NaN never improves
        assert_eq!(run(&[0.4, f64::NAN, f64::NAN], 2, 0.0), (Some(3), 1));
    }
}
