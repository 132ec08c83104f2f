//! Writing a report folder: `table.md`, `table.csv`, `summary.json`, `figure.svg`,
//! `speed.json`, the figures under `figures/` and `report.html`, each atomically; the one writer
//! behind both `reproduce` and `report`.

use super::axes_write::write_axes_report;
use super::build::build_report;
use super::cells::protocol_cell;
use super::csv::render_csv;
use super::figure::render_figure_svg;
use super::figures::{render_figures, Drawn, Evidence};
use super::html::{render_html, Page};
use super::markdown::render_markdown;
use super::model::StudyReport;
use crate::data::Mnist;
use crate::error::Error;
use crate::persist::{checkpoint, write_atomically};
use crate::report::speed::{measure, SizeSpeed};
use crate::study::record::{Record, Role};
use serde::Serialize;
use std::path::Path;

/// What `summary.json` holds.
#[derive(Serialize)]
struct SummaryFile<'a> {
    #[serde(flatten)]
    report: &'a StudyReport,
    size_speed: &'a [SizeSpeed],
}

/// Writes `table.md`, `table.csv`, `summary.json` (the report and the size/speed table, pretty
/// JSON; non-finite numbers become `null`) and `figure.svg` into `dir` (created if missing), each
/// file atomically.
pub fn write_report(
    dir: &Path,
    report: &StudyReport,
    size_speed: &[SizeSpeed],
) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let json = serde_json::to_string_pretty(&SummaryFile { report, size_speed })
        .map_err(|e| Error::Config(format!("serializing the report: {e}")))?;
    let figure = render_figure_svg(report)?;
    let files = [
        ("table.md", render_markdown(report, size_speed)),
        ("table.csv", render_csv(report)),
        ("summary.json", json + "\n"),
        ("figure.svg", figure),
    ];
    for (name, text) in files {
        write_atomically(&dir.join(name), text.as_bytes())?;
    }
    Ok(())
}

/// Where the size/speed table (`speed.json`) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeedTable {
    /// Measured now from repetition 0's saved models on the test data (`reproduce`, which has
    /// just trained them on this machine).
    Measure,
    /// The folder's own `speed.json`, a measurement of the machine that ran the study, kept as
    /// it is; measured only when there is none and the data and repetition 0's models are at
    /// hand (`report`).
    Keep,
}

/// Builds the report of `records` and writes it to `dir`: the four files of [`write_report`],
/// `speed.json` (see [`SpeedTable`]), the figures under `figures/` (those that need the models
/// of `dir/models` and the test data are drawn when both are there) and `report.html`. Returns
/// the Markdown, for printing.
pub fn write_report_folder(
    dir: &Path,
    records: &[Record],
    temperature: f64,
    alpha: f64,
    mnist: Option<&Mnist>,
    speed_table: SpeedTable,
) -> Result<String, Error> {
    // Table 1, the grid and the figures are the protocol's cell; the grid axes have their own
    // report (`axes.md`, `axes.json`, `figures/axes.svg`), written when the records have axes.
    // In the order of their keys, whoever read them: a mean over repetitions then sums in one
    // order, and `reproduce` (records in the order models finished) and `report` (records as
    // read from disk) write the same bytes.
    let mut all_records = records.to_vec();
    all_records.sort_by(|a, b| a.key.cmp(&b.key));
    let all_records = &all_records[..];
    let records = &protocol_cell(all_records)[..];
    let mut report = build_report(records, temperature, alpha)?;
    report.table1_cell = super::cells::table1_cell(all_records);
    let speed_file = dir.join("speed.json");
    let kept = match speed_table {
        SpeedTable::Measure => None,
        SpeedTable::Keep => match std::fs::read(&speed_file) {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| {
                Error::Config(format!("{}: unreadable ({e})", speed_file.display()))
            })?),
            Err(_) => None,
        },
    };
    let speed = match (kept, mnist) {
        (Some(rows), _) => rows,
        (None, Some(mnist))
            if speed_table == SpeedTable::Measure || has_speed_models(dir, records) =>
        {
            let rows = size_speed(dir, records, mnist)?;
            let text = serde_json::to_string_pretty(&rows).expect("rows serialise");
            write_atomically(&speed_file, text.as_bytes())?;
            rows
        }
        (None, _) => Vec::new(),
    };
    write_report(dir, &report, &speed)?;
    let evidence = Evidence::new(dir, mnist.map(|m| &m.test));
    let figures = render_figures(&report, records, &evidence)?;
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir).map_err(|e| Error::io(&figures_dir, e))?;
    for f in &figures {
        let path = figures_dir.join(f.file);
        match &f.drawn {
            Drawn::Svg(svg) => write_atomically(&path, svg.as_bytes())?,
            // A figure of an earlier report that this one cannot draw would be stale.
            Drawn::Absent(_) => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(&path, e))
                }
                _ => {}
            },
        }
    }
    // The grid axes' own report, and its figure on the page after the others.
    let mut figures = figures;
    figures.extend(write_axes_report(dir, all_records, temperature, alpha)?);
    let html = render_html(&Page {
        report: &report,
        size_speed: &speed,
        table1_figure: &render_figure_svg(&report)?,
        figures: &figures,
        math_href: &math_href(dir),
    });
    write_atomically(&dir.join("report.html"), html.as_bytes())?;

    if super::forensics::has_forensic_cells(records) {
        super::forensics::write_forensics(dir, records, temperature, alpha)?;
    }
    Ok(render_markdown(&report, &speed))
}

/// Where `docs/MATH.md` is, for the page's links: relative to `dir` when the results folder lies
/// inside a kd-mlp source tree (the default `results/reproduce`), else the source tree kd-mlp was
/// built from if it is still there, else the path inside the repository.
fn math_href(dir: &Path) -> String {
    const MATH: &str = "docs/MATH.md";
    if let Ok(dir) = dir.canonicalize() {
        for (up, ancestor) in dir.ancestors().enumerate() {
            if ancestor.join(MATH).is_file() {
                return format!("{}{MATH}", "../".repeat(up));
            }
        }
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join(MATH);
    if built_from.is_file() {
        return format!("file://{}", built_from.display());
    }
    MATH.to_string()
}

/// Whether `dir/models` holds every model the size/speed table of `records` measures.
fn has_speed_models(dir: &Path, records: &[Record]) -> bool {
    records
        .iter()
        .filter(|r| r.repetition == 0)
        .filter(|r| matches!(r.role, Role::Teacher | Role::Member | Role::Independent))
        .all(|r| {
            dir.join("models")
                .join(format!("{}.safetensors", r.key))
                .is_file()
        })
}

/// The size/speed table from repetition 0's models in `dir`, if they are there.
fn size_speed(dir: &Path, records: &[Record], mnist: &Mnist) -> Result<Vec<SizeSpeed>, Error> {
    let model = |key: &str| {
        checkpoint::load::<f32>(&dir.join("models").join(format!("{key}.safetensors")))
            .map(|(m, _)| m)
    };
    let mut rows = Vec::new();
    let has = |role: Role| records.iter().any(|r| r.role == role && r.repetition == 0);
    // The key of repetition 0's model of a role (`rep00/teacher`, or with a grid axis's prefix).
    let key_of = |role: Role| {
        records
            .iter()
            .find(|r| r.role == role && r.repetition == 0)
            .map_or(String::new(), |r| r.key.clone())
    };
    if has(Role::Teacher) {
        rows.push(measure(
            "teacher",
            &[model(&key_of(Role::Teacher))?],
            &mnist.test,
        ));
    }
    if has(Role::Ensemble) {
        let members: Vec<_> = records
            .iter()
            .filter(|r| r.role == Role::Member && r.repetition == 0)
            .map(|r| model(&r.key))
            .collect::<Result<_, _>>()?;
        rows.push(measure(
            &format!("ensemble of {}", members.len()),
            &members,
            &mnist.test,
        ));
    }
    if has(Role::Independent) {
        rows.push(measure(
            "student",
            &[model(&key_of(Role::Independent))?],
            &mnist.test,
        ));
    }
    Ok(rows)
}
