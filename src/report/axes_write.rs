//! Writing the grid axes' report: `axes.md` (the tables), `axes.json` (the same, whole) and
//! `figures/axes.svg`, each atomically; only for records with grid axes, so that a study of the
//! protocol's cell alone writes exactly what it wrote before the axes existed.

use super::axes::{build_axes_report, AxesReport};
use super::cells::has_axes;
use super::figures::{axes_curve, Drawn, Figure};
use crate::error::Error;
use crate::persist::write_atomically;
use crate::report::stats::Summary;
use crate::study::record::{Record, Role};
use std::fmt::Write as _;
use std::path::Path;

/// Writes the axes report of `records` into `dir` if they have grid axes; the figure uses the
/// arms at `temperature` and `alpha` (Table 1's). Returns the figure (drawn, or why not) for
/// `report.html` when it wrote anything.
pub fn write_axes_report(
    dir: &Path,
    records: &[Record],
    temperature: f64,
    alpha: f64,
) -> Result<Option<Figure>, Error> {
    if !has_axes(records) {
        return Ok(None);
    }
    let Some(report) = build_axes_report(records) else {
        return Ok(None);
    };
    let json = serde_json::to_string_pretty(&report)
        .map_err(|e| Error::Config(format!("serializing the axes report: {e}")))?;
    write_atomically(&dir.join("axes.json"), (json + "\n").as_bytes())?;
    let figure = axes_curve::render(&report, temperature, alpha);
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir).map_err(|e| Error::io(&figures_dir, e))?;
    let figure_path = figures_dir.join("axes.svg");
    let figure_note = match &figure {
        Ok(svg) => {
            write_atomically(&figure_path, svg.as_bytes())?;
            format!(
                "![{}](figures/axes.svg)\n\n{}\n",
                axes_curve::TITLE,
                axes_curve::READING
            )
        }
        Err(why) => {
            match std::fs::remove_file(&figure_path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(&figure_path, e))
                }
                _ => {}
            }
            format!("(No figure: {why}.)\n")
        }
    };
    let markdown = render_axes_markdown(&report) + "\n" + &figure_note;
    write_atomically(&dir.join("axes.md"), markdown.as_bytes())?;
    Ok(Some(Figure {
        file: "axes.svg",
        title: axes_curve::TITLE,
        reading: axes_curve::READING,
        drawn: match figure {
            Ok(svg) => Drawn::Svg(svg),
            Err(why) => Drawn::Absent(why),
        },
    }))
}

fn pct(s: &Summary) -> String {
    format!("{:.2} ± {:.2} %", 100.0 * s.mean, 100.0 * s.sd)
}

fn size_text(size: Option<usize>) -> String {
    size.map_or("all".into(), |n| n.to_string())
}

/// The axes report as Markdown: the teachers per size, then every comparison.
pub fn render_axes_markdown(report: &AxesReport) -> String {
    let mut md = String::new();
    let tested = report
        .comparisons
        .iter()
        .filter(|c| c.test.is_some())
        .count();
    let _ = writeln!(md, "# When does distillation pay? The grid axes\n");
    let _ = writeln!(
        md,
        "{} repetitions. Errors are test errors, mean ± sd over repetitions. Δ = distilled − \
         baseline, in percentage points, paired by repetition (the students of a repetition \
         share their initial weights and batch order and, at a given size, their training \
         samples), with its 95 % confidence interval and the paired t-test's p; p (Holm) is \
         adjusted over all {tested} comparisons of this table.\n",
        report.repetitions
    );
    let _ = writeln!(md, "## Teachers per training-set size\n");
    let _ = writeln!(
        md,
        "| training samples | teacher | ensemble |\n|---:|---:|---:|"
    );
    let mut sizes: Vec<Option<usize>> = report.sources.iter().map(|s| s.train_size).collect();
    sizes.dedup();
    for size in sizes {
        let cell = |role: Role| {
            report
                .sources
                .iter()
                .find(|s| s.train_size == size && s.role == role)
                .map_or("—".into(), |s| pct(&s.summary))
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            size_text(size),
            cell(Role::Teacher),
            cell(Role::Ensemble)
        );
    }
    let _ = writeln!(md, "\n## Distilled students against their baselines\n");
    let _ = writeln!(
        md,
        "| training samples | student | source | mode | T | α | baseline | n | baseline error | distilled error | Δ (pp) | 95 % CI (pp) | p | p (Holm) |\n\
         |---:|---|---|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|"
    );
    for c in &report.comparisons {
        let widths: Vec<String> = c.student_hidden.iter().map(|w| w.to_string()).collect();
        let (n, delta, ci, p) = match c.test {
            Some(t) => (
                t.n.to_string(),
                format!("{:+.2}", 100.0 * t.mean_diff),
                format!("[{:+.2}, {:+.2}]", 100.0 * t.ci95_low, 100.0 * t.ci95_high),
                format!("{:.3}", t.p_value),
            ),
            None => ("—".into(), "—".into(), "—".into(), "—".into()),
        };
        let holm = c.p_holm.map_or("—".into(), |p| {
            format!("{p:.3}{}", if p < 0.05 { " †" } else { "" })
        });
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {n} | {} | {} | {delta} | {ci} | {p} | {holm} |",
            size_text(c.train_size),
            widths.join("-"),
            c.distill.source,
            c.distill.mode,
            c.distill.temperature,
            c.distill.alpha,
            c.baseline.label(),
            pct(&c.baseline_error),
            pct(&c.distilled),
        );
    }
    let _ = writeln!(md, "\n† significant at 5 % after Holm's correction.");
    md
}
