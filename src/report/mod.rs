//! The report of a study: Table 1 of the paper beside ours, the distillation grid, the
//! deployment size/speed table, and the figure.
//!
//! [`build_report`] turns the records of a results folder into a [`StudyReport`]:
//!
//! * the rows of the paper's Table 1 in its order, each with the paper's value beside ours
//!   (1 teacher, 2 distilled from the teacher, 3 ensemble, 4 distilled from the ensemble,
//!   5 independent student). Rows 2 and 4 are split by soft-target mode: `a` the paper-literal
//!   `probabilities` mode, which carries the paper's number, and `b` Hinton's `logits` mode, for
//!   which the paper has no number of its own. They use the records at the main temperature and
//!   α. An extra row follows: the single ensemble member (every member of every repetition);
//! * every row's test error summarized (mean, sd, 95 % CI, min, max) and compared with the
//!   independently trained student by a paired t-test over the repetitions present on both sides
//!   (so a partial study still reports), except the independent row itself and the member row;
//! * one [`GridCell`] per distinct distillation setting (source, mode, T, α) found in the records.
//!
//! [`write_report`] writes `table.md`, `table.csv`, `summary.json` and `figure.svg`;
//! [`write_report_folder`] also measures (or keeps) the size/speed table, draws the
//! [`figures`] (learning curves, dark knowledge, first-layer weights, confusion matrices, the
//! grid) under `figures/` from the records, the saved models and the test data when it has it,
//! and writes `report.html` ([`render_html`]): the one writer that `reproduce` and `report` both
//! call.
//!
//!
//! It uses the study layer (records), train and persistence; only the CLI is above it.

pub mod axes;
mod axes_write;
mod build;
pub mod cells;

pub mod compute;
mod csv;
mod figure;
pub mod figures;
pub mod forensics;
mod html;
mod markdown;
mod model;
pub mod speed;
pub mod stats;
#[cfg(test)]
mod tests;
mod write;

pub use axes::{build_axes_report, AxesReport};
pub use axes_write::{render_axes_markdown, write_axes_report};
pub use build::build_report;
pub use csv::render_csv;
pub use figure::render_figure_svg;
pub use html::{escape, render_html, Page};
pub use markdown::render_markdown;
pub use model::{GridCell, RowSummary, StudyReport, Table1Cell};
pub use write::{write_report, write_report_folder, SpeedTable};
