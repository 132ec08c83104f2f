//! What defines a study (the protocol, which a results folder is bound to), what a run covers
//! (repetitions, arms, a shard), and the seeds of the paired design.

use crate::data::Dataset;
use crate::engine::loss::{Distillation, SoftTargetMode};
use crate::engine::rng::derive_seed;
use crate::error::Error;
use crate::study::axes::Axes;
use crate::study::record::{DistillSettings, Role, Source};
use crate::study::stopping::ArmStopping;
use crate::train::TrainConfig;
use serde::{Deserialize, Serialize};

/// What defines a study: two runs with the same protocol produce the same records, so a results
/// folder may only be resumed or extended with the same protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// The study's seed; every model's seed derives from it.
    pub seed: u64,
    pub ensemble_size: usize,
    pub teacher_hidden: Vec<usize>,
    pub student_hidden: Vec<usize>,
    /// Training settings shared by every model (its `seed` field is replaced per model).
    pub train: TrainConfig,
    pub validation_fraction: f64,
    /// Samples, pixels and a checksum of the training labels, so that a folder is not resumed
    /// on other data.
    pub data_fingerprint: String,
    /// The class count of the data (the models' output width), so that a folder is not resumed
    /// with another count. A `config.json` written before this field existed was MNIST's: it
    /// reads as 10.
    #[serde(default = "ten_classes")]
    pub classes: usize,
}

/// The class count of a protocol saved before the count was part of it: MNIST's.
fn ten_classes() -> usize {
    crate::data::MNIST_CLASSES
}

/// A study to run: the protocol, how many repetitions, which distillation arms.
#[derive(Debug, Clone)]
pub struct Study {
    pub protocol: Protocol,
    pub repetitions: usize,
    pub arms: Vec<DistillSettings>,
    /// Run only one slice of the repetitions (for several machines); all of them if `None`.
    pub shard: Option<Shard>,
    /// Training-set sizes, student widths and label-smoothing arms (`Axes::default()`: none,
    /// the protocol's cell alone).
    pub axes: Axes,
}

impl Study {
    /// The repetitions this run trains: all, or those of its shard.
    pub fn repetitions_to_run(&self) -> Vec<usize> {
        (0..self.repetitions)
            .filter(|&r| self.shard.is_none_or(|s| s.contains(r)))
            .collect()
    }
}

/// The `index`-th (1-based) of `count` slices of a study. A slice is a set of whole
/// repetitions, `r ≡ index − 1 (mod count)`, because a repetition's students need its teacher
/// and ensemble: shards share nothing while they run, and their records, made with the same
/// seeds as an unsharded run, merge into the same report (`kd-mlp report DIR...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with `1 <= I <= N`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = || {
            Error::Config(format!(
                "--shard wants I/N with 1 <= I <= N, e.g. 2/4; got '{text}'"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// Whether repetition `r` belongs to this shard.
    pub fn contains(&self, r: usize) -> bool {
        r % self.count == self.index - 1
    }
}

/// Every arm of a grid: both sources, the given modes, temperatures and alphas (each with the
/// protocol's stopping rule).
pub fn grid_arms(
    modes: &[SoftTargetMode],
    temperatures: &[f64],
    alphas: &[f64],
) -> Result<Vec<DistillSettings>, Error> {
    let mut arms = Vec::new();
    for source in [Source::Teacher, Source::Ensemble] {
        for &mode in modes {
            for &temperature in temperatures {
                for &alpha in alphas {
                    Distillation::new(alpha, temperature, mode)?;
                    arms.push(DistillSettings {
                        source,
                        mode,
                        temperature,
                        alpha,
                        stopping: ArmStopping::default(),
                    });
                }
            }
        }
    }
    Ok(arms)
}

/// A short description of a data set that changes when the data does.
pub fn data_fingerprint(data: &Dataset) -> String {
    let label_sum: u64 = data.labels().iter().map(|&l| u64::from(l)).sum();
    let pixel_sum: u64 = data
        .images()
        .iter()
        .step_by(997)
        .map(|&p| u64::from(p))
        .sum();
    format!(
        "{} samples of {}x{}, label sum {label_sum}, sampled pixel sum {pixel_sum}",
        data.len(),
        data.rows(),
        data.cols()
    )
}

/// The seed of a model: `(study seed, repetition, role, member)`. Every student of a repetition
/// (independent, distilled and smoothed) gets the same one: the paired design.
pub fn model_seed(study_seed: u64, repetition: usize, role: Role, member: usize) -> u64 {
    let role_code = match role {
        Role::Teacher => 1,
        Role::Member | Role::Ensemble => 2,
        Role::Independent | Role::Distilled | Role::Smoothed => 3,
    };
    derive_seed(&[study_seed, repetition as u64, role_code, member as u64])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition_the_repetitions() {
        let s = Shard::parse("2/3").unwrap();
        assert_eq!((s.index, s.count), (2, 3));
        let owners: Vec<usize> = (0..7)
            .map(|r| {
                (1..=3)
                    .filter(|&i| Shard { index: i, count: 3 }.contains(r))
                    .collect::<Vec<_>>()
            })
            .map(|v| {
                assert_eq!(v.len(), 1, "every repetition in exactly one shard");
                v[0]
            })
            .collect();
        assert_eq!(owners, vec![1, 2, 3, 1, 2, 3, 1]);
        for bad in ["0/3", "4/3", "1/0", "2", "a/b", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_old_protocol_without_a_class_count_reads_as_mnist() {
        let protocol = Protocol {
            seed: 1,
            ensemble_size: 2,
            teacher_hidden: vec![4],
            student_hidden: vec![2],
            train: TrainConfig::default(),
            validation_fraction: 0.1,
            data_fingerprint: "f".into(),
            classes: 26,
        };
        let mut json = serde_json::to_value(&protocol).unwrap();
        assert_eq!(json["classes"], 26);
        json.as_object_mut().unwrap().remove("classes");
        let old: Protocol = serde_json::from_value(json).unwrap();
        assert_eq!(old.classes, 10);
        assert_eq!(
            old,
            Protocol {
                classes: 10,
                ..protocol
            }
        );
    }

    #[test]
    fn students_of_a_repetition_share_a_seed_and_roles_do_not() {
        let s = |r, role, m| model_seed(2024, r, role, m);
        assert_eq!(s(3, Role::Independent, 0), s(3, Role::Distilled, 0));
        assert_ne!(s(3, Role::Independent, 0), s(4, Role::Independent, 0));
        assert_ne!(s(3, Role::Teacher, 0), s(3, Role::Member, 0));
        assert_ne!(s(3, Role::Member, 0), s(3, Role::Member, 1));
    }
}
