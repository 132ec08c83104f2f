//! The report model: what a study's records say, row by row of the paper's Table 1 and cell by
//! cell of the distillation grid, before any of it is written out.

use crate::engine::loss::SoftTargetMode;
use crate::report::stats::{PairedTest, Summary};
use crate::study::record::{DistillSettings, Role, Source};
use serde::Serialize;

/// The report of a study, as written to `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyReport {
    /// Table 1, in the paper's order, then the extra rows.
    pub rows: Vec<RowSummary>,
    /// Every distillation setting present, sorted by source, mode, T, α.
    pub grid: Vec<GridCell>,
    /// The T and α of rows 2 and 4.
    pub main_temperature: f64,
    pub main_alpha: f64,
    /// Distinct repetitions found in the records.
    pub repetitions: usize,
    /// The distilled arms' stopping rule when it is not the protocol's (absent otherwise, and
    /// in every summary.json before the stopping variants existed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distill_stopping: Option<String>,
    /// What each kind of deployed model cost to produce, in training FLOPs (empty, and absent
    /// from summary.json, for records from before FLOPs were counted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compute: Vec<crate::report::compute::ComputeRow>,
    /// The class count of the models (their output width), if any record gives their layers.
    pub classes: Option<usize>,
    /// The classes without a training example (in no summary.json before this field existed).
    pub empty_classes: Vec<usize>,
    /// Which cell of a study with grid axes Table 1 shows (absent without axes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table1_cell: Option<Table1Cell>,
}

/// The cell of a study with grid axes (training-set size, student width) that Table 1, the
/// grid and the figures show: the largest training size, the ensemble members' width.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table1Cell {
    /// The cell's training samples; `None` for the whole training split.
    pub train_samples: Option<usize>,
    /// The students' layer sizes, e.g. `[784, 100, 10]`.
    pub student_arch: Vec<usize>,
}

impl Table1Cell {
    /// "10 000 training samples, student 784-100-10".
    pub fn describe(&self) -> String {
        let samples = match self.train_samples {
            Some(n) => format!("{} training samples", group_thousands(n)),
            None => "the whole training split".to_string(),
        };
        let arch: Vec<String> = self.student_arch.iter().map(|n| n.to_string()).collect();
        format!("{samples}, student {}", arch.join("-"))
    }
}

/// `10000` → `10 000`, as the docs write counts.
fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// One row of Table 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowSummary {
    pub label: String,
    pub role: Role,
    /// The distillation settings (distilled rows only).
    pub distill: Option<DistillSettings>,
    /// The paper's mean test error, as a fraction, where it gives one for this row.
    pub paper_error: Option<f64>,
    /// Our test errors, as fractions.
    pub summary: Summary,
    /// This row − the independent student, paired by repetition (fractions).
    pub vs_independent: Option<PairedTest>,
}

/// One distillation setting of the grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridCell {
    pub distill: DistillSettings,
    /// Test errors of the students with these settings, as fractions.
    pub summary: Summary,
    /// Student − independent student, paired by repetition (fractions).
    pub vs_independent: Option<PairedTest>,
    /// The paired test's p-value after Holm's adjustment over every tested cell of the grid
    /// ([`crate::report::stats::holm_adjust`]).
    pub p_holm: Option<f64>,
}

/// The paper's Table 1, as fractions.
pub(super) const PAPER_TEACHER: f64 = 0.0201;
pub(super) const PAPER_FROM_TEACHER: f64 = 0.0289;
pub(super) const PAPER_ENSEMBLE: f64 = 0.0181;
pub(super) const PAPER_FROM_ENSEMBLE: f64 = 0.0268;
pub(super) const PAPER_INDEPENDENT: f64 = 0.0226;

/// The rows of the report, in order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum RowKind {
    Teacher,
    Distilled(Source, SoftTargetMode),
    Ensemble,
    Independent,
    Member,
}

pub(super) const ROW_ORDER: [RowKind; 10] = [
    RowKind::Teacher,
    RowKind::Distilled(Source::Teacher, SoftTargetMode::Probabilities),
    RowKind::Distilled(Source::Teacher, SoftTargetMode::Logits),
    RowKind::Distilled(Source::Teacher, SoftTargetMode::DoubleSoftmax),
    RowKind::Ensemble,
    RowKind::Distilled(Source::Ensemble, SoftTargetMode::Probabilities),
    RowKind::Distilled(Source::Ensemble, SoftTargetMode::Logits),
    RowKind::Distilled(Source::Ensemble, SoftTargetMode::DoubleSoftmax),
    RowKind::Independent,
    RowKind::Member,
];

impl RowKind {
    pub(super) fn of(row: &RowSummary) -> RowKind {
        match (row.role, row.distill) {
            (Role::Teacher, _) => RowKind::Teacher,
            (Role::Ensemble, _) => RowKind::Ensemble,
            (Role::Independent, _) => RowKind::Independent,
            (Role::Member, _) => RowKind::Member,
            (Role::Distilled, Some(d)) => RowKind::Distilled(d.source, d.mode),
            // Not produced by `build_report`; shown like the Hinton row.
            (Role::Distilled, None) => RowKind::Distilled(Source::Teacher, SoftTargetMode::Logits),
            // Not produced by `build_report` (Table 1 has no smoothed row; the grid axes' report
            // compares them); a student on hard labels, like the independent one.
            (Role::Smoothed, _) => RowKind::Independent,
        }
    }

    /// The row number in the paper's Table 1 (`a`/`b` for our split by mode).
    pub(super) fn number(self) -> &'static str {
        use SoftTargetMode::{DoubleSoftmax, Logits, Probabilities};
        match self {
            RowKind::Teacher => "1",
            RowKind::Distilled(Source::Teacher, Probabilities) => "2a",
            RowKind::Distilled(Source::Teacher, Logits) => "2b",
            RowKind::Distilled(Source::Teacher, DoubleSoftmax) => "2c",
            RowKind::Ensemble => "3",
            RowKind::Distilled(Source::Ensemble, Probabilities) => "4a",
            RowKind::Distilled(Source::Ensemble, Logits) => "4b",
            RowKind::Distilled(Source::Ensemble, DoubleSoftmax) => "4c",
            RowKind::Independent => "5",
            RowKind::Member => "extra",
        }
    }

    /// The short name of the figure's category axis.
    pub(super) fn short(self) -> &'static str {
        use SoftTargetMode::{DoubleSoftmax, Logits, Probabilities};
        match self {
            RowKind::Teacher => "teacher",
            RowKind::Distilled(Source::Teacher, Probabilities) => "KD←teacher (prob.)",
            RowKind::Distilled(Source::Teacher, Logits) => "KD←teacher (logits)",
            RowKind::Distilled(Source::Teacher, DoubleSoftmax) => "KD←teacher (2×softmax)",
            RowKind::Ensemble => "ensemble",
            RowKind::Distilled(Source::Ensemble, Probabilities) => "KD←ensemble (prob.)",
            RowKind::Distilled(Source::Ensemble, Logits) => "KD←ensemble (logits)",
            RowKind::Distilled(Source::Ensemble, DoubleSoftmax) => "KD←ensemble (2×softmax)",
            RowKind::Independent => "independent",
            RowKind::Member => "member",
        }
    }

    pub(super) fn label(self, ensemble_size: Option<usize>) -> String {
        let mode = |m: SoftTargetMode| match m {
            SoftTargetMode::Probabilities => "probabilities (paper-literal)",
            SoftTargetMode::Logits => "logits (Hinton)",
            SoftTargetMode::DoubleSoftmax => {
                "double softmax (probabilities, hard term on softmax(p))"
            }
        };
        match self {
            RowKind::Teacher => "big network (teacher)".into(),
            RowKind::Distilled(Source::Teacher, m) => {
                format!("small network distilled from the big network — {}", mode(m))
            }
            RowKind::Ensemble => match ensemble_size {
                Some(n) => format!("ensemble of {n} small networks"),
                None => "ensemble of small networks".into(),
            },
            RowKind::Distilled(Source::Ensemble, m) => {
                format!("small network distilled from the ensemble — {}", mode(m))
            }
            RowKind::Independent => "small network trained independently on hard labels".into(),
            RowKind::Member => "single ensemble member".into(),
        }
    }

    /// The paper's value; its one number per distilled row goes on the paper-literal row.
    pub(super) fn paper_error(self) -> Option<f64> {
        match self {
            RowKind::Teacher => Some(PAPER_TEACHER),
            RowKind::Distilled(Source::Teacher, SoftTargetMode::Probabilities) => {
                Some(PAPER_FROM_TEACHER)
            }
            RowKind::Ensemble => Some(PAPER_ENSEMBLE),
            RowKind::Distilled(Source::Ensemble, SoftTargetMode::Probabilities) => {
                Some(PAPER_FROM_ENSEMBLE)
            }
            RowKind::Independent => Some(PAPER_INDEPENDENT),
            _ => None,
        }
    }

    pub(super) fn role(self) -> Role {
        match self {
            RowKind::Teacher => Role::Teacher,
            RowKind::Distilled(..) => Role::Distilled,
            RowKind::Ensemble => Role::Ensemble,
            RowKind::Independent => Role::Independent,
            RowKind::Member => Role::Member,
        }
    }
}
