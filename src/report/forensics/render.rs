//! `forensics.md` and `forensics.csv`: the cells of the matrix, rows 2 and 4 against the
//! paper's values, rows 1, 3 and 5 beside them, and which cells reproduce the paper.

use super::{ForensicCell, ForensicReport, RowFit, Verdict};
use std::fmt::Write;

fn pct(x: f64) -> String {
    format!("{:.2}", 100.0 * x)
}

fn pp(x: f64) -> String {
    format!("{:+.2}", 100.0 * x)
}

fn ci(fit: &RowFit) -> String {
    if fit.summary.n >= 2 {
        format!(
            "[{}, {}]",
            pct(fit.summary.ci95_low),
            pct(fit.summary.ci95_high)
        )
    } else {
        "—".into()
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "**yes**"
    } else {
        "no"
    }
}

/// The row cells of one fit: ours ± sd, CI, paper, difference, in CI, Δ vs independent, epochs.
fn fit_cells(fit: &Option<RowFit>) -> String {
    match fit {
        Some(f) => {
            let delta = match f.vs_independent {
                Some(t) => format!("{} (p = {:.3})", pp(t.mean_diff), t.p_value),
                None => "—".into(),
            };
            format!(
                "{} ± {} | {} | {} | {} | {} | {} | {:.1}",
                pct(f.summary.mean),
                pct(f.summary.sd),
                ci(f),
                pct(f.paper_error),
                pp(f.difference),
                yes_no(f.paper_in_ci && f.summary.n >= 2),
                delta,
                f.mean_epochs
            )
        }
        None => "— | — | — | — | — | — | —".into(),
    }
}

fn verdict_text(cell: &ForensicCell) -> String {
    match cell.verdict() {
        Verdict::BothReproduce => "**reproduces rows 2 and 4**".into(),
        Verdict::OneReproduces(row) => format!("reproduces row {row} only"),
        Verdict::RuledOut => "ruled out".into(),
        Verdict::Undecided => "too few repetitions".into(),
    }
}

fn names(cells: &[&ForensicCell]) -> String {
    if cells.is_empty() {
        return "none".into();
    }
    cells
        .iter()
        .map(|c| format!("`{}`", c.name()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The Markdown of the forensic report.
pub fn render_forensics_markdown(report: &ForensicReport) -> String {
    let mut w = String::new();
    let _ = writeln!(
        w,
        "# Forensics: which implementation gives the paper's distilled students\n"
    );
    let _ = writeln!(
        w,
        "T = {}, α = {}, repetitions found: {}. Each cell is a soft-target mode and a stopping \
         rule for the distilled students; every cell shares each repetition's teacher, ensemble \
         and independent student, which stop by the protocol's rule (validation hard-label \
         loss, patience 2, best weights restored). Errors are test errors in %; the CI is the \
         95 % confidence interval of our mean over the repetitions (Student t); \"in CI\" says \
         whether the paper's value lies inside it. Δ ind. = this cell − the independent student \
         of the same repetition, in percentage points (paired t-test).\n",
        report.temperature, report.alpha, report.repetitions
    );
    let _ = writeln!(
        w,
        "## Rows 1, 3 and 5 (the protocol's rule, shared by every cell)\n"
    );
    let _ = writeln!(
        w,
        "| row | model | ours (mean ± sd) | 95 % CI | paper | ours − paper (pp) | paper in CI | epochs |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|");
    for b in &report.baselines {
        let ci = if b.summary.n >= 2 {
            format!(
                "[{}, {}]",
                pct(b.summary.ci95_low),
                pct(b.summary.ci95_high)
            )
        } else {
            "—".into()
        };
        let _ = writeln!(
            w,
            "| {} | {} | {} ± {} | {} | {} | {} | {} | {:.1} |",
            b.row,
            b.label,
            pct(b.summary.mean),
            pct(b.summary.sd),
            ci,
            pct(b.paper_error),
            pp(b.difference),
            yes_no(b.paper_in_ci),
            b.mean_epochs
        );
    }
    let _ = writeln!(w, "\n## Rows 2 and 4 per cell\n");
    let header = "ours | 95 % CI | paper | ours − paper (pp) | paper in CI | Δ ind. (pp) | epochs";
    for (row, pick) in [
        ("2: distilled from the big network", 2),
        ("4: distilled from the ensemble", 4),
    ] {
        let _ = writeln!(w, "### Row {row}\n");
        let _ = writeln!(w, "| mode | stopping | {header} |");
        let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|");
        for c in &report.cells {
            let fit = if pick == 2 { &c.row2 } else { &c.row4 };
            let _ = writeln!(
                w,
                "| {} | {} | {} |",
                c.mode,
                c.stopping_label,
                fit_cells(fit)
            );
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(w, "## Verdict per cell\n");
    let _ = writeln!(w, "| mode | stopping | verdict | why the cell is in |");
    let _ = writeln!(w, "|---|---|---|---|");
    for c in &report.cells {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} |",
            c.mode,
            c.stopping_label,
            verdict_text(c),
            c.why
        );
    }
    let of = |v: fn(Verdict) -> bool| -> Vec<&ForensicCell> {
        report.cells.iter().filter(|c| v(c.verdict())).collect()
    };
    let both = of(|v| v == Verdict::BothReproduce);
    let one = of(|v| matches!(v, Verdict::OneReproduces(_)));
    let out = of(|v| v == Verdict::RuledOut);
    let _ = writeln!(w, "\n## In short\n");
    let _ = writeln!(
        w,
        "- Paper's rows 2 and 4 both inside our 95 % CI: {}.",
        names(&both)
    );
    let _ = writeln!(w, "- Only one of the two rows inside: {}.", names(&one));
    let _ = writeln!(
        w,
        "- Ruled out (the paper's value outside our CI for both rows): {}.",
        names(&out)
    );
    let _ = writeln!(
        w,
        "\nA CI is a per-row 5 % test: over {} cells × 2 rows, a cell can land on the paper's \
         numbers by chance, and a cell whose CI misses a row by a hair is not much less likely \
         than one that includes it. Read the differences beside the verdicts.",
        report.cells.len()
    );
    w
}

/// The CSV of the forensic report: one line per cell and row (2 or 4), then rows 1, 3 and 5,
/// errors as fractions.
pub fn render_forensics_csv(report: &ForensicReport) -> String {
    let mut w = String::from(
        "row,mode,stopping,n,mean,sd,ci95_low,ci95_high,paper,difference,paper_in_ci,delta_vs_independent,p_vs_independent,mean_epochs\n",
    );
    let num = |x: f64| {
        if x.is_finite() {
            format!("{x}")
        } else {
            String::new()
        }
    };
    for c in &report.cells {
        for (row, fit) in [("2", &c.row2), ("4", &c.row4)] {
            let Some(f) = fit else { continue };
            let (d, p) = f
                .vs_independent
                .map_or((String::new(), String::new()), |t| {
                    (num(t.mean_diff), num(t.p_value))
                });
            let _ = writeln!(
                w,
                "{row},{},\"{}\",{},{},{},{},{},{},{},{},{d},{p},{}",
                c.mode,
                c.stopping_label,
                f.summary.n,
                num(f.summary.mean),
                num(f.summary.sd),
                num(f.summary.ci95_low),
                num(f.summary.ci95_high),
                f.paper_error,
                num(f.difference),
                f.paper_in_ci,
                f.mean_epochs
            );
        }
    }
    for b in &report.baselines {
        let _ = writeln!(
            w,
            "{},,\"protocol's rule\",{},{},{},{},{},{},{},{},,,{}",
            b.row,
            b.summary.n,
            num(b.summary.mean),
            num(b.summary.sd),
            num(b.summary.ci95_low),
            num(b.summary.ci95_high),
            b.paper_error,
            num(b.difference),
            b.paper_in_ci,
            b.mean_epochs
        );
    }
    w
}
