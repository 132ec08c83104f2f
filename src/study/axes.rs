//! The grid axes beyond the distillation settings, each asking when distillation pays: the
//! training-set size (`--train-sizes`), the student's capacity (`--student-archs`) and the
//! label-smoothing control arm (`--label-smoothing`). With none given, a study is the protocol's
//! single cell and its keys and records are what they were before the axes existed.

use crate::engine::loss::check_smoothing;
use crate::error::Error;
use crate::study::record::DistillSettings;

/// The extra axes of a study; empty lists mean "the protocol's cell only".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Axes {
    /// Training samples per cell, each drawn from the training split (the validation split stays
    /// whole); empty: the whole split, with the protocol's keys.
    pub train_sizes: Vec<usize>,
    /// Hidden widths of the students (independent, distilled, smoothed) per cell; empty: the
    /// protocol's student. The ensemble keeps the protocol's members.
    pub student_archs: Vec<Vec<usize>>,
    /// The label-smoothing arms; empty: none.
    pub smoothing: Vec<SmoothingSpec>,
}

/// One value of `--label-smoothing`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SmoothingSpec {
    /// A fixed ε in [0, 1].
    Fixed(f64),
    /// ε chosen per repetition and cell so that the smoothed target's entropy equals the mean
    /// entropy of the ensemble's soft targets (logits mode) at each temperature of the grid.
    Auto,
}

impl SmoothingSpec {
    /// Parses `auto` or a number in [0, 1].
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("auto") {
            return Ok(SmoothingSpec::Auto);
        }
        let epsilon: f64 = text.parse().map_err(|_| {
            Error::Config(format!(
                "--label-smoothing wants a number in [0, 1] or 'auto', got '{text}'"
            ))
        })?;
        Ok(SmoothingSpec::Fixed(check_smoothing(epsilon)?))
    }
}

/// A smoothed student of one cell, as the graph trains it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SmoothingArm {
    Fixed(f64),
    /// ε matched to the ensemble's soft targets at this temperature.
    MatchEnsemble {
        temperature: f64,
    },
}

impl SmoothingArm {
    /// The last part of its key: `smoothed-e0.1` or `smoothed-auto-T4`.
    pub fn name(&self) -> String {
        match self {
            SmoothingArm::Fixed(e) => format!("smoothed-e{e}"),
            SmoothingArm::MatchEnsemble { temperature } => format!("smoothed-auto-T{temperature}"),
        }
    }
}

impl Axes {
    /// Checks the lists: sizes at least 1 and at most `train_split` and distinct, widths at
    /// least 1 and architectures distinct.
    pub fn check(&self, train_split: usize) -> Result<(), Error> {
        for (i, &n) in self.train_sizes.iter().enumerate() {
            if n == 0 || n > train_split {
                return Err(Error::Config(format!(
                    "--train-sizes: {n} is not between 1 and the {train_split} samples of the training split"
                )));
            }
            if self.train_sizes[..i].contains(&n) {
                return Err(Error::Config(format!("--train-sizes lists {n} twice")));
            }
        }
        for (i, arch) in self.student_archs.iter().enumerate() {
            if arch.is_empty() || arch.contains(&0) {
                return Err(Error::Config(format!(
                    "--student-archs: {arch:?} is not a list of positive hidden widths"
                )));
            }
            if self.student_archs[..i].contains(arch) {
                return Err(Error::Config(format!(
                    "--student-archs lists {arch:?} twice"
                )));
            }
        }
        Ok(())
    }

    /// The sizes of the study's cells: `None` (the whole split) when there is no size axis.
    pub fn sizes(&self) -> Vec<Option<usize>> {
        if self.train_sizes.is_empty() {
            vec![None]
        } else {
            self.train_sizes.iter().map(|&n| Some(n)).collect()
        }
    }

    /// The students' hidden widths: the protocol's when there is no width axis.
    pub fn archs(&self, protocol_student: &[usize]) -> Vec<Vec<usize>> {
        if self.student_archs.is_empty() {
            vec![protocol_student.to_vec()]
        } else {
            self.student_archs.clone()
        }
    }

    /// The smoothed students of each cell: one per fixed ε, and for `auto` one per temperature
    /// of the distillation arms.
    pub fn smoothing_arms(&self, arms: &[DistillSettings]) -> Vec<SmoothingArm> {
        let mut out: Vec<SmoothingArm> = Vec::new();
        let mut add = |a: SmoothingArm| {
            if !out.contains(&a) {
                out.push(a);
            }
        };
        for spec in &self.smoothing {
            match *spec {
                SmoothingSpec::Fixed(e) => add(SmoothingArm::Fixed(e)),
                SmoothingSpec::Auto => arms.iter().for_each(|arm| {
                    add(SmoothingArm::MatchEnsemble {
                        temperature: arm.temperature,
                    })
                }),
            }
        }
        out
    }

    /// The key part of a size cell: `n1000/`, or nothing without a size axis.
    pub fn size_prefix(&self, size: Option<usize>) -> String {
        size.map_or(String::new(), |n| format!("n{n}/"))
    }

    /// The key part of a student's width: `w16/`, `w100x100/`, or nothing without a width axis.
    pub fn width_prefix(&self, hidden: &[usize]) -> String {
        if self.student_archs.is_empty() {
            String::new()
        } else {
            let widths: Vec<String> = hidden.iter().map(|w| w.to_string()).collect();
            format!("w{}/", widths.join("x"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::loss::SoftTargetMode;
    use crate::study::record::Source;

    #[test]
    fn without_axes_the_study_is_the_protocols_cell_with_its_keys() {
        let axes = Axes::default();
        assert_eq!(axes.sizes(), vec![None]);
        assert_eq!(axes.archs(&[100]), vec![vec![100]]);
        assert_eq!(axes.size_prefix(None), "");
        assert_eq!(axes.width_prefix(&[100]), "");
        assert!(axes.smoothing_arms(&[]).is_empty());
    }

    #[test]
    fn axes_name_their_cells_and_are_checked() {
        let axes = Axes {
            train_sizes: vec![1000, 54000],
            student_archs: vec![vec![16], vec![100, 100]],
            smoothing: vec![SmoothingSpec::Fixed(0.1), SmoothingSpec::Auto],
        };
        axes.check(54000).unwrap();
        assert!(axes.check(999).is_err(), "a size above the split");
        assert_eq!(axes.size_prefix(Some(1000)), "n1000/");
        assert_eq!(axes.width_prefix(&[100, 100]), "w100x100/");
        let arm = |t| DistillSettings {
            source: Source::Ensemble,
            mode: SoftTargetMode::Logits,
            temperature: t,
            alpha: 0.5,
            stopping: Default::default(),
        };
        let names: Vec<String> = axes
            .smoothing_arms(&[arm(4.0), arm(4.0), arm(2.0)])
            .iter()
            .map(|a| a.name())
            .collect();
        assert_eq!(
            names,
            ["smoothed-e0.1", "smoothed-auto-T4", "smoothed-auto-T2"]
        );
        for bad in [
            Axes {
                train_sizes: vec![5, 5],
                ..Axes::default()
            },
            Axes {
                train_sizes: vec![0],
                ..Axes::default()
            },
            Axes {
                student_archs: vec![vec![16], vec![16]],
                ..Axes::default()
            },
            Axes {
                student_archs: vec![vec![0]],
                ..Axes::default()
            },
        ] {
            assert!(bad.check(100).is_err(), "{bad:?}");
        }
        assert_eq!(SmoothingSpec::parse("AUTO").unwrap(), SmoothingSpec::Auto);
        assert_eq!(
            SmoothingSpec::parse(" 0.25").unwrap(),
            SmoothingSpec::Fixed(0.25)
        );
        for bad in ["1.5", "-0.1", "x", ""] {
            assert!(SmoothingSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
