//! How a distilled arm stops training, where it departs from the protocol's rule: the variants
//! that model how the paper's code may have stopped its distiller (`docs/PROTOCOL.md`, "How a
//! distilled arm stops"). The baselines keep the protocol's rule; an arm with no departure is
//! written, keyed and compared exactly as before these variants existed.

use crate::error::Error;
use crate::train::early_stopping::Monitor;
use crate::train::TrainConfig;
use serde::{Deserialize, Serialize};

/// What early stopping watches for a distilled arm.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum DistillMonitor {
    /// The hard-label cross-entropy on the validation split (the protocol's `val-loss`).
    Hard,
    /// The distillation loss itself on the validation split, as Keras 3 reports a distiller's
    /// `val_loss`.
    Combined,
}

/// A distilled arm's departures from the protocol's stopping rule; each `None` keeps the
/// protocol's setting.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ArmStopping {
    /// What early stopping watches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<DistillMonitor>,
    /// Keras's `min_delta`: an epoch improves only if `monitored + min_delta < best`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_delta: Option<f64>,
    /// Train exactly this many epochs, no early stopping, keep the last weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
}

impl ArmStopping {
    /// Checks the settings: a fixed epoch count of at least 1 that is not combined with a
    /// monitor or min-delta (it has no early stopping for them to change), a min-delta >= 0.
    pub fn new(
        monitor: Option<DistillMonitor>,
        min_delta: Option<f64>,
        epochs: Option<usize>,
    ) -> Result<Self, Error> {
        if epochs == Some(0) {
            return Err(Error::Config("--distill-epochs must be at least 1".into()));
        }
        if epochs.is_some() && (monitor.is_some() || min_delta.is_some()) {
            return Err(Error::Config(
                "--distill-epochs trains a fixed number of epochs without early stopping; it \
                 cannot be combined with --distill-monitor or --distill-min-delta"
                    .into(),
            ));
        }
        if let Some(d) = min_delta {
            if !(d.is_finite() && d >= 0.0) {
                return Err(Error::Config(format!(
                    "--distill-min-delta must be a number >= 0, got {d}"
                )));
            }
        }
        Ok(Self {
            monitor,
            min_delta,
            epochs,
        })
    }

    /// Whether this is the protocol's rule unchanged (nothing overridden).
    pub fn is_protocol(&self) -> bool {
        *self == Self::default()
    }

    /// The training configuration of an arm: `protocol` with this arm's departures.
    pub fn apply(&self, protocol: &TrainConfig) -> TrainConfig {
        let mut cfg = protocol.clone();
        if let Some(m) = self.monitor {
            cfg.monitor = match m {
                DistillMonitor::Hard => Monitor::ValLoss,
                DistillMonitor::Combined => Monitor::ValCombined,
            };
        }
        if let Some(d) = self.min_delta {
            cfg.min_delta = d;
        }
        if self.epochs.is_some() {
            cfg.fixed_epochs = self.epochs;
        }
        cfg
    }

    /// What the arm's key gets appended: empty for the protocol's rule (so its key is the one
    /// of a folder made before the variants existed), else e.g. `-mon-combined-md0.01` or
    /// `-ep3`.
    pub fn key_suffix(&self) -> String {
        let mut s = String::new();
        if let Some(m) = self.monitor {
            s.push_str(match m {
                DistillMonitor::Hard => "-mon-hard",
                DistillMonitor::Combined => "-mon-combined",
            });
        }
        if let Some(d) = self.min_delta {
            s.push_str(&format!("-md{d}"));
        }
        if let Some(n) = self.epochs {
            s.push_str(&format!("-ep{n}"));
        }
        s
    }

    /// A short description for tables: `protocol`, `combined val loss`, `3 epochs, last
    /// weights`, `min-delta 0.01`...
    pub fn describe(&self) -> String {
        if self.is_protocol() {
            return "protocol's rule".into();
        }
        let mut parts = Vec::new();
        if let Some(m) = self.monitor {
            parts.push(match m {
                DistillMonitor::Hard => "hard val loss".to_string(),
                DistillMonitor::Combined => "combined val loss".to_string(),
            });
        }
        if let Some(d) = self.min_delta {
            parts.push(format!("min-delta {d}"));
        }
        if let Some(n) = self.epochs {
            parts.push(format!("{n} epochs, last weights"));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_rule_serialises_to_nothing_and_keys_unchanged() {
        let p = ArmStopping::default();
        assert!(p.is_protocol());
        assert_eq!(p.key_suffix(), "");
        assert_eq!(serde_json::to_string(&p).unwrap(), "{}");
        let cfg = TrainConfig::default();
        assert_eq!(p.apply(&cfg), cfg);
    }

    #[test]
    fn departures_change_the_config_and_the_key() {
        let cfg = TrainConfig::default();
        let c = ArmStopping::new(Some(DistillMonitor::Combined), Some(0.01), None).unwrap();
        let applied = c.apply(&cfg);
        assert_eq!(applied.monitor, Monitor::ValCombined);
        assert_eq!(applied.min_delta, 0.01);
        assert_eq!(applied.fixed_epochs, None);
        assert_eq!(c.key_suffix(), "-mon-combined-md0.01");
        let e = ArmStopping::new(None, None, Some(3)).unwrap();
        assert_eq!(e.apply(&cfg).fixed_epochs, Some(3));
        assert_eq!(e.key_suffix(), "-ep3");
        assert_eq!(e.describe(), "3 epochs, last weights");
        let back: ArmStopping = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn contradictions_and_bad_values_are_errors() {
        assert!(ArmStopping::new(None, None, Some(0)).is_err());
        assert!(ArmStopping::new(Some(DistillMonitor::Hard), None, Some(3)).is_err());
        assert!(ArmStopping::new(None, Some(0.1), Some(3)).is_err());
        assert!(ArmStopping::new(None, Some(-0.1), None).is_err());
        assert!(ArmStopping::new(None, Some(f64::NAN), None).is_err());
    }
}
