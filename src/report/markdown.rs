//! `table.md`: Table 1 beside the paper's, the grid as one heat-map table per source and mode,
//! and the size/speed table.

use super::model::{GridCell, RowKind, RowSummary, StudyReport};
use crate::engine::loss::SoftTargetMode;
use crate::report::speed::SizeSpeed;
use crate::report::stats::PairedTest;
use crate::study::record::Source;
use std::fmt::Write as _;

/// A fraction as a percentage with 2 decimals, without the sign `%`; `—` if not finite.
pub(super) fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}", 100.0 * x)
    } else {
        "—".into()
    }
}

/// A difference of fractions in percentage points, signed, 2 decimals.
pub(super) fn pp(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.2}", 100.0 * x)
    } else {
        "—".into()
    }
}

/// A p-value with 3 significant digits, or `< 0.001`.
pub(super) fn format_p(p: f64) -> String {
    if !p.is_finite() {
        return "—".into();
    }
    if p < 0.001 {
        return "< 0.001".into();
    }
    let decimals = (2 - p.log10().floor() as i32).max(0) as usize;
    format!("{p:.decimals$}")
}

/// `*` p < 0.05, `**` p < 0.01, `***` p < 0.001.
pub(super) fn stars(p: f64) -> &'static str {
    match p {
        p if p < 0.001 => "***",
        p if p < 0.01 => "**",
        p if p < 0.05 => "*",
        _ => "",
    }
}

/// `+0.63 [+0.41, +0.85] **`, or `—`.
pub(super) fn diff_cell(t: Option<&PairedTest>) -> String {
    match t {
        Some(t) => {
            let marks = stars(t.p_value);
            let sep = if marks.is_empty() { "" } else { " " };
            format!(
                "{} [{}, {}]{sep}{marks}",
                pp(t.mean_diff),
                pp(t.ci95_low),
                pp(t.ci95_high)
            )
        }
        None => "—".into(),
    }
}

/// A Table 1 row's paper value (`2.01 %`) and our 95 % CI (`[2.07, 3.04] %`), `—` if absent.
pub(super) fn paper_and_ci(row: &RowSummary) -> (String, String) {
    let s = &row.summary;
    let paper = row
        .paper_error
        .map_or("—".to_string(), |p| format!("{} %", pct(p)));
    let ci = if s.ci95_low.is_finite() {
        format!("[{}, {}] %", pct(s.ci95_low), pct(s.ci95_high))
    } else {
        "—".into()
    };
    (paper, ci)
}

pub(super) fn mode_name(mode: SoftTargetMode) -> &'static str {
    match mode {
        SoftTargetMode::Probabilities => "probabilities (paper-literal)",
        SoftTargetMode::Logits => "logits (Hinton)",
        SoftTargetMode::DoubleSoftmax => "double softmax (probabilities, hard term on softmax(p))",
    }
}

/// What a Table 1 of one cell of the grid axes says above it.
pub(super) fn table1_cell_sentence(cell: &super::model::Table1Cell) -> String {
    format!(
        "This study has grid axes; Table 1, the grid and the figures are its cell of {} (every \
         cell is in axes.md). The paper's numbers are for 54 000 training samples and the \
         784-100-10 student.",
        cell.describe()
    )
}

/// The markdown report: Table 1 beside the paper's, the grid as one heat-map table per source and
/// mode, and the size/speed table when `size_speed` is not empty.
pub fn render_markdown(report: &StudyReport, size_speed: &[SizeSpeed]) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Hard labels versus knowledge distillation\n");
    let classes = match (report.classes, report.empty_classes.as_slice()) {
        (None, _) => String::new(),
        (Some(n), []) => format!(" Classes: {n}."),
        (Some(n), empty) => format!(
            " Classes: {} ({n} outputs; no training example of {}).",
            n.saturating_sub(empty.len()),
            empty
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let _ = writeln!(
        w,
        "Main distillation setting (rows 2 and 4): T = {}, α = {}. Repetitions found: {}.{classes} \
         The paper's numbers are MNIST's (10 classes).\n",
        report.main_temperature, report.main_alpha, report.repetitions
    );
    if let Some(rule) = &report.distill_stopping {
        let _ = writeln!(
            w,
            "The distilled students stop by a rule other than the protocol's: {rule}; the \
             baselines stop by the protocol's.\n"
        );
    }
    let _ = writeln!(w, "## Table 1: test error, the paper's and ours\n");
    if let Some(cell) = &report.table1_cell {
        let _ = writeln!(w, "{}\n", table1_cell_sentence(cell));
    }
    let _ = writeln!(
        w,
        "| row | model | paper error | our mean ± sd | 95 % CI | min–max | n | \
         Δ vs independent (pp) [95 % CI] | p (paired t) |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|");
    for row in &report.rows {
        let s = &row.summary;
        let (paper, ci) = paper_and_ci(row);
        let _ = writeln!(
            w,
            "| {} | {} | {paper} | {} ± {} % | {ci} | {}–{} % | {} | {} | {} |",
            RowKind::of(row).number(),
            row.label,
            pct(s.mean),
            pct(s.sd),
            pct(s.min),
            pct(s.max),
            s.n,
            diff_cell(row.vs_independent.as_ref()),
            row.vs_independent
                .as_ref()
                .map_or("—".to_string(), |t| format_p(t.p_value)),
        );
    }
    let _ = writeln!(
        w,
        "\nErrors are test errors in %. Δ = this row − the independently trained student, in \
         percentage points, paired by repetition over the repetitions present in both; negative \
         = lower error than the independent student. * p < 0.05, ** p < 0.01, *** p < 0.001 \
         (two-sided paired t-test, no correction for multiple comparisons). The paper gives one \
         number for each distilled row; it is shown on the paper-literal (probabilities) row, \
         the mode its code most likely ran."
    );

    if !report.grid.is_empty() {
        let _ = writeln!(
            w,
            "\n## Distillation grid: Δ test error vs independent (pp)\n"
        );
        let _ = writeln!(
            w,
            "Each cell: mean of (distilled − independent) test error in percentage points, \
             paired by repetition; negative = distillation better, positive = distillation \
             worse. * p < 0.05, ** p < 0.01, *** p < 0.001 (each test alone); † = still \
             p < 0.05 after Holm's correction for the {} tests of the grid, which keeps the \
             chance of any false discovery in the grid under 5 %; — = not run or fewer than 2 \
             pairs.",
            report.grid.iter().filter(|c| c.p_holm.is_some()).count()
        );
        let mut groups: Vec<(Source, SoftTargetMode)> = Vec::new();
        for c in &report.grid {
            let g = (c.distill.source, c.distill.mode);
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        for (source, mode) in groups {
            let cells: Vec<&GridCell> = report
                .grid
                .iter()
                .filter(|c| c.distill.source == source && c.distill.mode == mode)
                .collect();
            let mut temps: Vec<f64> = cells.iter().map(|c| c.distill.temperature).collect();
            let mut alphas: Vec<f64> = cells.iter().map(|c| c.distill.alpha).collect();
            for v in [&mut temps, &mut alphas] {
                v.sort_by(f64::total_cmp);
                v.dedup();
            }
            let _ = writeln!(w, "\n### KD ← {source}, {}\n", mode_name(mode));
            let mut header = "| T \\ α |".to_string();
            let mut rule = "|---|".to_string();
            for a in &alphas {
                let _ = write!(header, " {a} |");
                rule.push_str("---|");
            }
            let _ = writeln!(w, "{header}\n{rule}");
            for t in &temps {
                let mut line = format!("| {t} |");
                for a in &alphas {
                    let cell = cells
                        .iter()
                        .find(|c| c.distill.temperature == *t && c.distill.alpha == *a)
                        .and_then(|c| Some((c.vs_independent.as_ref()?, c.p_holm?)))
                        .map_or("—".to_string(), |(d, holm)| {
                            let survives = if holm < 0.05 { "†" } else { "" };
                            let mut text = pp(d.mean_diff);
                            for mark in [stars(d.p_value), survives] {
                                if !mark.is_empty() {
                                    text.push(' ');
                                    text.push_str(mark);
                                }
                            }
                            text
                        });
                    let _ = write!(line, " {cell} |");
                }
                let _ = writeln!(w, "{line}");
            }
        }
    }

    if !size_speed.is_empty() {
        let _ = writeln!(w, "\n## Deployment: size and inference speed\n");
        let _ = writeln!(
            w,
            "| model | parameters | f32 weights | µs / sample, batch 1 | µs / sample, batch 1000 |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|");
        for s in size_speed {
            let _ = writeln!(
                w,
                "| {} | {} | {:.2} MB | {:.1} | {:.2} |",
                s.model,
                s.parameters,
                s.bytes as f64 / 1e6,
                s.micros_per_sample_batch1,
                s.micros_per_sample_batch1000
            );
        }
        let _ = writeln!(
            w,
            "\nMedian of several timed repeats on real test samples, prediction only (an ensemble \
             averages its members' softmax); the machine and thread count are those of the run."
        );
    }
    super::compute::render_compute_markdown(&mut md, &report.compute);
    md
}
