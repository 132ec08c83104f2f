//! The forensic report: Table 1's rows 2 and 4 under each cell of the forensic matrix
//! ([`crate::study::forensics`]), against the paper's values, with rows 1, 3 and 5 beside them.
//! `build` turns records into the model below; `render` writes `forensics.md` and `.csv`,
//! `figure` draws `figures/forensics.svg`; [`write_forensics`] writes all four (and
//! `forensics.json`) when the records hold any cell beyond the default study's.

mod build;
mod figure;
mod render;

pub use build::build_forensics;
pub use figure::render_forensics_svg;
pub use render::{render_forensics_csv, render_forensics_markdown};

use crate::engine::loss::SoftTargetMode;
use crate::error::Error;
use crate::persist::write_atomically;
use crate::report::stats::{PairedTest, Summary};
use crate::study::record::Record;
use crate::study::stopping::ArmStopping;
use serde::Serialize;
use std::path::Path;

/// The forensic report, as `forensics.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForensicReport {
    /// The T and α of every cell.
    pub temperature: f64,
    pub alpha: f64,
    /// Distinct repetitions in the records.
    pub repetitions: usize,
    /// Rows 1, 3 and 5: trained once per repetition under the protocol's rule, shared by every
    /// cell.
    pub baselines: Vec<BaselineRow>,
    pub cells: Vec<ForensicCell>,
}

/// Row 1, 3 or 5.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineRow {
    /// `1`, `3` or `5`.
    pub row: &'static str,
    pub label: &'static str,
    pub paper_error: f64,
    pub summary: Summary,
    /// Our mean − the paper's, as a fraction.
    pub difference: f64,
    pub paper_in_ci: bool,
    /// Mean epochs run (0 for the ensemble, which is not trained itself).
    pub mean_epochs: f64,
}

/// One cell of the matrix: a soft-target mode and a stopping rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForensicCell {
    pub mode: SoftTargetMode,
    pub stopping: ArmStopping,
    /// The stopping rule in words.
    pub stopping_label: String,
    /// Why the cell is in the matrix.
    pub why: &'static str,
    /// Row 2 (from the big network) and row 4 (from the ensemble), where the records have them.
    pub row2: Option<RowFit>,
    pub row4: Option<RowFit>,
}

/// Our distilled students of one row and cell against the paper's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowFit {
    pub paper_error: f64,
    pub summary: Summary,
    /// Our mean − the paper's, as a fraction.
    pub difference: f64,
    /// Whether the paper's value lies inside our 95 % confidence interval of the mean.
    pub paper_in_ci: bool,
    /// This cell − the independent student, paired by repetition.
    pub vs_independent: Option<PairedTest>,
    pub mean_epochs: f64,
}

/// What a cell says about rows 2 and 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The paper's value lies in our CI for both rows.
    BothReproduce,
    /// For one row only (`2` or `4`).
    OneReproduces(&'static str),
    /// For neither: the variant is ruled out as the explanation at the 5 % level per row.
    RuledOut,
    /// A row has fewer than two repetitions.
    Undecided,
}

impl ForensicCell {
    pub fn verdict(&self) -> Verdict {
        let in_ci = |r: &Option<RowFit>| {
            r.as_ref()
                .filter(|f| f.summary.n >= 2)
                .map(|f| f.paper_in_ci)
        };
        match (in_ci(&self.row2), in_ci(&self.row4)) {
            (Some(true), Some(true)) => Verdict::BothReproduce,
            (Some(true), Some(false)) => Verdict::OneReproduces("2"),
            (Some(false), Some(true)) => Verdict::OneReproduces("4"),
            (Some(false), Some(false)) => Verdict::RuledOut,
            _ => Verdict::Undecided,
        }
    }

    /// `probabilities · 3 epochs, last weights`.
    pub fn name(&self) -> String {
        format!("{} · {}", self.mode, self.stopping_label)
    }
}

/// Whether `records` hold a distilled cell that the default study does not run (another
/// stopping rule or the double-softmax mode): then the folder gets the forensic report.
pub fn has_forensic_cells(records: &[Record]) -> bool {
    records.iter().any(|r| {
        r.distill
            .is_some_and(|d| !d.stopping.is_protocol() || d.mode == SoftTargetMode::DoubleSoftmax)
    })
}

/// Writes `forensics.md`, `forensics.csv`, `forensics.json` and `figures/forensics.svg` into
/// `dir`, each atomically, for the cells at `temperature` and `alpha`. Returns the Markdown.
pub fn write_forensics(
    dir: &Path,
    records: &[Record],
    temperature: f64,
    alpha: f64,
) -> Result<String, Error> {
    let report = build_forensics(records, temperature, alpha)?;
    let markdown = render_forensics_markdown(&report);
    let json = serde_json::to_string_pretty(&report)
        .map_err(|e| Error::Config(format!("serializing the forensic report: {e}")))?;
    let figures = dir.join("figures");
    std::fs::create_dir_all(&figures).map_err(|e| Error::io(&figures, e))?;
    write_atomically(&dir.join("forensics.md"), markdown.as_bytes())?;
    write_atomically(
        &dir.join("forensics.csv"),
        render_forensics_csv(&report).as_bytes(),
    )?;
    write_atomically(&dir.join("forensics.json"), (json + "\n").as_bytes())?;
    write_atomically(
        &figures.join("forensics.svg"),
        render_forensics_svg(&report)?.as_bytes(),
    )?;
    Ok(markdown)
}
