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
//! [`write_report`] writes `table.md`, `table.csv`, `summary.json` and `figure.svg`.
//!
//! ## The figure
//!
//! The figure (the paper's Figure 3) is drawn with the `plotters` crate's SVG backend, built with
//! only the `svg_backend` feature. Without the `ttf` or `ab_glyph` features plotters needs no font
//! file: it estimates text extents from the character count (its `naive` font module) and writes
//! `<text>` elements that the viewer lays out with its own fonts. Drawing therefore works on a
//! machine without any system font (a fresh CI machine), at the price of approximate text widths,
//! which the generous label area below absorbs. The bars are horizontal, one per row, with the
//! short names on the left, so the labels never collide at 800 px wide.

use crate::checkpoint::write_atomically;
use crate::error::Error;
use crate::loss::SoftTargetMode;
use crate::mlp::param_count;
use crate::record::{DistillSettings, Record, Role, Source};
use crate::speed::SizeSpeed;
use crate::stats::{holm_adjust, paired_t_test, summarize, PairedTest, Summary};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::Path;

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
    /// ([`crate::stats::holm_adjust`]).
    pub p_holm: Option<f64>,
}

/// The paper's Table 1, as fractions.
const PAPER_TEACHER: f64 = 0.0201;
const PAPER_FROM_TEACHER: f64 = 0.0289;
const PAPER_ENSEMBLE: f64 = 0.0181;
const PAPER_FROM_ENSEMBLE: f64 = 0.0268;
const PAPER_INDEPENDENT: f64 = 0.0226;

/// The rows of the report, in order.
#[derive(Debug, Clone, Copy, PartialEq)]
enum RowKind {
    Teacher,
    Distilled(Source, SoftTargetMode),
    Ensemble,
    Independent,
    Member,
}

const ROW_ORDER: [RowKind; 8] = [
    RowKind::Teacher,
    RowKind::Distilled(Source::Teacher, SoftTargetMode::Probabilities),
    RowKind::Distilled(Source::Teacher, SoftTargetMode::Logits),
    RowKind::Ensemble,
    RowKind::Distilled(Source::Ensemble, SoftTargetMode::Probabilities),
    RowKind::Distilled(Source::Ensemble, SoftTargetMode::Logits),
    RowKind::Independent,
    RowKind::Member,
];

impl RowKind {
    fn of(row: &RowSummary) -> RowKind {
        match (row.role, row.distill) {
            (Role::Teacher, _) => RowKind::Teacher,
            (Role::Ensemble, _) => RowKind::Ensemble,
            (Role::Independent, _) => RowKind::Independent,
            (Role::Member, _) => RowKind::Member,
            (Role::Distilled, Some(d)) => RowKind::Distilled(d.source, d.mode),
            // Not produced by `build_report`; shown like the Hinton row.
            (Role::Distilled, None) => RowKind::Distilled(Source::Teacher, SoftTargetMode::Logits),
        }
    }

    /// The row number in the paper's Table 1 (`a`/`b` for our split by mode).
    fn number(self) -> &'static str {
        use SoftTargetMode::{Logits, Probabilities};
        match self {
            RowKind::Teacher => "1",
            RowKind::Distilled(Source::Teacher, Probabilities) => "2a",
            RowKind::Distilled(Source::Teacher, Logits) => "2b",
            RowKind::Ensemble => "3",
            RowKind::Distilled(Source::Ensemble, Probabilities) => "4a",
            RowKind::Distilled(Source::Ensemble, Logits) => "4b",
            RowKind::Independent => "5",
            RowKind::Member => "extra",
        }
    }

    /// The short name of the figure's category axis.
    fn short(self) -> &'static str {
        use SoftTargetMode::{Logits, Probabilities};
        match self {
            RowKind::Teacher => "teacher",
            RowKind::Distilled(Source::Teacher, Probabilities) => "KD←teacher (prob.)",
            RowKind::Distilled(Source::Teacher, Logits) => "KD←teacher (logits)",
            RowKind::Ensemble => "ensemble",
            RowKind::Distilled(Source::Ensemble, Probabilities) => "KD←ensemble (prob.)",
            RowKind::Distilled(Source::Ensemble, Logits) => "KD←ensemble (logits)",
            RowKind::Independent => "independent",
            RowKind::Member => "member",
        }
    }

    fn label(self, ensemble_size: Option<usize>) -> String {
        let mode = |m: SoftTargetMode| match m {
            SoftTargetMode::Probabilities => "probabilities (paper-literal)",
            SoftTargetMode::Logits => "logits (Hinton)",
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
    fn paper_error(self) -> Option<f64> {
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

    fn role(self) -> Role {
        match self {
            RowKind::Teacher => Role::Teacher,
            RowKind::Distilled(..) => Role::Distilled,
            RowKind::Ensemble => Role::Ensemble,
            RowKind::Independent => Role::Independent,
            RowKind::Member => Role::Member,
        }
    }
}

/// The order of the modes: the paper-literal one first, as in the table.
fn mode_rank(mode: SoftTargetMode) -> u8 {
    match mode {
        SoftTargetMode::Probabilities => 0,
        SoftTargetMode::Logits => 1,
    }
}

/// The grid's order: source, mode, T, α.
fn settings_cmp(a: &DistillSettings, b: &DistillSettings) -> Ordering {
    a.source
        .cmp(&b.source)
        .then(mode_rank(a.mode).cmp(&mode_rank(b.mode)))
        .then(a.temperature.total_cmp(&b.temperature))
        .then(a.alpha.total_cmp(&b.alpha))
}

/// Equal up to rounding (T and α read back from JSON or typed on a command line).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A hashable identity of a record: two records with the same one would make pairing ambiguous.
type Identity = (Role, usize, Option<usize>, Option<(Source, u8, u64, u64)>);

fn identity(r: &Record) -> Identity {
    (
        r.role,
        r.repetition,
        r.member,
        r.distill.map(|d| {
            (
                d.source,
                mode_rank(d.mode),
                d.temperature.to_bits(),
                d.alpha.to_bits(),
            )
        }),
    )
}

/// Checks that keys and identities are unique and that distilled records say how they were
/// distilled.
fn validate(records: &[Record]) -> Result<(), Error> {
    let mut keys = HashSet::new();
    let mut identities = HashSet::new();
    for r in records {
        if !keys.insert(r.key.as_str()) {
            return Err(Error::Config(format!(
                "two records have the key {:?}: a results folder holds each model once",
                r.key
            )));
        }
        if r.role == Role::Distilled && r.distill.is_none() {
            return Err(Error::Config(format!(
                "record {:?} is a distilled student without distillation settings",
                r.key
            )));
        }
        if !identities.insert(identity(r)) {
            return Err(Error::Config(format!(
                "record {:?} duplicates another record of the same role, repetition, member and \
                 settings ({:?}, repetition {}); cannot pair by repetition",
                r.key, r.role, r.repetition
            )));
        }
    }
    Ok(())
}

/// `a − b` paired by repetition, over the repetitions present in both.
fn paired_by_repetition(a: &[&Record], b: &BTreeMap<usize, f64>) -> Option<PairedTest> {
    let mut pairs: Vec<(usize, f64, f64)> = a
        .iter()
        .filter_map(|r| {
            b.get(&r.repetition)
                .map(|&e| (r.repetition, r.test_error, e))
        })
        .collect();
    pairs.sort_by_key(|p| p.0);
    let xs: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let ys: Vec<f64> = pairs.iter().map(|p| p.2).collect();
    paired_t_test(&xs, &ys)
}

/// The number of members of an ensemble: the most members of one repetition, or else the
/// parameter count of the ensemble records over that of one member.
fn ensemble_size(records: &[Record]) -> Option<usize> {
    let mut per_rep: BTreeMap<usize, usize> = BTreeMap::new();
    for r in records.iter().filter(|r| r.role == Role::Member) {
        *per_rep.entry(r.repetition).or_default() += 1;
    }
    if let Some(&n) = per_rep.values().max() {
        return Some(n);
    }
    records
        .iter()
        .filter(|r| r.role == Role::Ensemble && r.arch.len() >= 2)
        .filter_map(|r| {
            let one = param_count(&r.arch);
            (one > 0 && r.parameters % one == 0).then(|| r.parameters / one)
        })
        .max()
}

/// Builds the report from the records of a study; rows 2 and 4 use the students distilled at
/// `main_temperature` and `main_alpha`.
///
/// Rows without records are left out (a partial study still reports). Errors: two records with
/// the same key (or the same role, repetition, member and settings), a distilled record without
/// settings, or distilled records without any independent student to compare them with.
pub fn build_report(
    records: &[Record],
    main_temperature: f64,
    main_alpha: f64,
) -> Result<StudyReport, Error> {
    validate(records)?;
    let independent: BTreeMap<usize, f64> = records
        .iter()
        .filter(|r| r.role == Role::Independent)
        .map(|r| (r.repetition, r.test_error))
        .collect();
    let distilled: Vec<&Record> = records
        .iter()
        .filter(|r| r.role == Role::Distilled)
        .collect();
    if !distilled.is_empty() && independent.is_empty() {
        return Err(Error::Config(format!(
            "the records hold {} distilled students but no independently trained student to \
             compare them with; train the independent arm first",
            distilled.len()
        )));
    }
    let n_ensemble = ensemble_size(records);

    let mut rows = Vec::new();
    for kind in ROW_ORDER {
        let chosen: Vec<&Record> = match kind {
            RowKind::Distilled(source, mode) => distilled
                .iter()
                .copied()
                .filter(|r| {
                    r.distill.is_some_and(|d| {
                        d.source == source
                            && d.mode == mode
                            && close(d.temperature, main_temperature)
                            && close(d.alpha, main_alpha)
                    })
                })
                .collect(),
            _ => records.iter().filter(|r| r.role == kind.role()).collect(),
        };
        let errors: Vec<f64> = chosen.iter().map(|r| r.test_error).collect();
        let Some(summary) = summarize(&errors) else {
            continue;
        };
        let vs_independent = match kind {
            RowKind::Independent | RowKind::Member => None,
            _ => paired_by_repetition(&chosen, &independent),
        };
        rows.push(RowSummary {
            label: kind.label(n_ensemble),
            role: kind.role(),
            distill: chosen.first().and_then(|r| r.distill),
            paper_error: kind.paper_error(),
            summary,
            vs_independent,
        });
    }

    let mut settings: Vec<DistillSettings> = distilled.iter().filter_map(|r| r.distill).collect();
    settings.sort_by(settings_cmp);
    settings.dedup_by(|a, b| settings_cmp(a, b) == Ordering::Equal);
    let grid = settings
        .into_iter()
        .filter_map(|d| {
            let chosen: Vec<&Record> = distilled
                .iter()
                .copied()
                .filter(|r| {
                    r.distill
                        .is_some_and(|x| settings_cmp(&x, &d) == Ordering::Equal)
                })
                .collect();
            let errors: Vec<f64> = chosen.iter().map(|r| r.test_error).collect();
            Some(GridCell {
                distill: d,
                summary: summarize(&errors)?,
                vs_independent: paired_by_repetition(&chosen, &independent),
                p_holm: None,
            })
        })
        .collect();
    let grid = with_holm_p_values(grid);

    let repetitions = records
        .iter()
        .map(|r| r.repetition)
        .collect::<BTreeSet<_>>()
        .len();
    Ok(StudyReport {
        rows,
        grid,
        main_temperature,
        main_alpha,
        repetitions,
    })
}

/// Fills in each tested cell's Holm-adjusted p-value, the family being every tested cell.
fn with_holm_p_values(mut grid: Vec<GridCell>) -> Vec<GridCell> {
    let tested: Vec<usize> = (0..grid.len())
        .filter(|&i| grid[i].vs_independent.is_some())
        .collect();
    let raw: Vec<f64> = tested
        .iter()
        .filter_map(|&i| grid[i].vs_independent.map(|t| t.p_value))
        .collect();
    for (&i, p) in tested.iter().zip(holm_adjust(&raw)) {
        grid[i].p_holm = Some(p);
    }
    grid
}

// ---------------------------------------------------------------------------------------------
// Text: markdown and CSV.

/// A fraction as a percentage with 2 decimals, without the sign `%`; `—` if not finite.
fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}", 100.0 * x)
    } else {
        "—".into()
    }
}

/// A difference of fractions in percentage points, signed, 2 decimals.
fn pp(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.2}", 100.0 * x)
    } else {
        "—".into()
    }
}

/// A p-value with 3 significant digits, or `< 0.001`.
fn format_p(p: f64) -> String {
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
fn stars(p: f64) -> &'static str {
    match p {
        p if p < 0.001 => "***",
        p if p < 0.01 => "**",
        p if p < 0.05 => "*",
        _ => "",
    }
}

/// `+0.63 [+0.41, +0.85] **`, or `—`.
fn diff_cell(t: Option<&PairedTest>) -> String {
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

fn mode_name(mode: SoftTargetMode) -> &'static str {
    match mode {
        SoftTargetMode::Probabilities => "probabilities (paper-literal)",
        SoftTargetMode::Logits => "logits (Hinton)",
    }
}

/// The markdown report: Table 1 beside the paper's, the grid as one heat-map table per source and
/// mode, and the size/speed table when `size_speed` is not empty.
pub fn render_markdown(report: &StudyReport, size_speed: &[SizeSpeed]) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Hard labels versus knowledge distillation on MNIST\n");
    let _ = writeln!(
        w,
        "Main distillation setting (rows 2 and 4): T = {}, α = {}. Repetitions found: {}.\n",
        report.main_temperature, report.main_alpha, report.repetitions
    );
    let _ = writeln!(w, "## Table 1: test error, the paper's and ours\n");
    let _ = writeln!(
        w,
        "| row | model | paper error | our mean ± sd | 95 % CI | min–max | n | \
         Δ vs independent (pp) [95 % CI] | p (paired t) |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|");
    for row in &report.rows {
        let s = &row.summary;
        let paper = row
            .paper_error
            .map_or("—".to_string(), |p| format!("{} %", pct(p)));
        let ci = if s.ci95_low.is_finite() {
            format!("[{}, {}] %", pct(s.ci95_low), pct(s.ci95_high))
        } else {
            "—".into()
        };
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
    md
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A number for the CSV, `x · scale` to 10 significant digits (which hides the binary noise of
/// `0.0289 · 100`), in exponent form when tiny or huge; empty if missing or not finite.
fn csv_num(x: Option<f64>, scale: f64) -> String {
    let Some(v) = x.map(|x| x * scale).filter(|v| v.is_finite()) else {
        return String::new();
    };
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let trim = |t: &str| {
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t.to_string()
        }
    };
    if !(-4..15).contains(&magnitude) {
        let text = format!("{v:.9e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        return format!("{}e{exponent}", trim(mantissa));
    }
    let decimals = (9 - magnitude).max(0) as usize;
    trim(&format!("{v:.decimals$}"))
}

/// Table 1 as CSV: a header, then one line per row. Errors in %, differences in percentage
/// points; empty cells where a value does not exist.
pub fn render_csv(report: &StudyReport) -> String {
    let mut out = String::from(
        "row,model,role,source,mode,temperature,alpha,paper_error_pct,n,mean_pct,sd_pct,\
         ci95_low_pct,ci95_high_pct,min_pct,max_pct,pairs,diff_pp,diff_ci95_low_pp,\
         diff_ci95_high_pp,t,p_value\n",
    );
    for row in &report.rows {
        let s = &row.summary;
        let d = row.vs_independent.as_ref();
        let role = serde_json::to_value(row.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let fields = [
            RowKind::of(row).number().to_string(),
            csv_field(&row.label),
            role,
            row.distill.map_or(String::new(), |d| d.source.to_string()),
            row.distill.map_or(String::new(), |d| d.mode.to_string()),
            csv_num(row.distill.map(|d| d.temperature), 1.0),
            csv_num(row.distill.map(|d| d.alpha), 1.0),
            csv_num(row.paper_error, 100.0),
            s.n.to_string(),
            csv_num(Some(s.mean), 100.0),
            csv_num(Some(s.sd), 100.0),
            csv_num(Some(s.ci95_low), 100.0),
            csv_num(Some(s.ci95_high), 100.0),
            csv_num(Some(s.min), 100.0),
            csv_num(Some(s.max), 100.0),
            d.map_or(String::new(), |d| d.n.to_string()),
            csv_num(d.map(|d| d.mean_diff), 100.0),
            csv_num(d.map(|d| d.ci95_low), 100.0),
            csv_num(d.map(|d| d.ci95_high), 100.0),
            csv_num(d.map(|d| d.t), 1.0),
            csv_num(d.map(|d| d.p_value), 1.0),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The figure.

/// Any plotters failure, as a configuration error naming the figure.
fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Config(format!("drawing the figure failed: {e}"))
}

/// The figure's width in pixels.
const FIGURE_WIDTH: u32 = 800;

/// The paper's Figure 3 from our data: one horizontal bar per row (our mean test error, in %),
/// 95 % CI whiskers, our mean printed at the base of its bar, and the paper's Table 1 value as a red cross
/// where it has one.
pub fn render_figure_svg(report: &StudyReport) -> Result<String, Error> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    let rows = &report.rows;
    let n = rows.len().max(1);
    let height = (120 + 52 * n as u32).max(320);
    let labels: Vec<&'static str> = rows.iter().map(|r| RowKind::of(r).short()).collect();
    // Row k is drawn k-th from the top: segment n − 1 − k of the upward y axis.
    let seg = |k: usize| (n - 1 - k) as i32;
    let ours_high = |r: &RowSummary| {
        let s = &r.summary;
        if s.ci95_high.is_finite() {
            s.ci95_high.max(s.mean)
        } else {
            s.mean
        }
    };
    let top = rows
        .iter()
        .map(|r| ours_high(r).max(r.paper_error.unwrap_or(0.0)))
        .fold(0.0f64, f64::max)
        * 100.0;
    // Room on the right for the legend.
    let x_max = if top > 0.0 { top * 1.75 } else { 1.0 };
    // The legend goes in the right-hand corner whose three rows reach least far.
    let reach = |rs: &[RowSummary]| {
        rs.iter()
            .map(|r| ours_high(r).max(r.paper_error.unwrap_or(0.0)))
            .fold(0.0f64, f64::max)
    };
    let legend_corner =
        if reach(&rows[..rows.len().min(3)]) < reach(&rows[rows.len().saturating_sub(3)..]) {
            SeriesLabelPosition::UpperRight
        } else {
            SeriesLabelPosition::LowerRight
        };

    let bar = RGBColor(76, 114, 176);
    let paper = RGBColor(213, 55, 0);
    let font = "sans-serif";

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (FIGURE_WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "MNIST test error: our runs (mean, 95 % CI) and the paper's Table 1",
                (font, 24),
            )
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(200)
            .build_cartesian_2d(0f64..x_max, (0..n as i32 - 1).into_segmented())
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(n)
            .y_label_formatter(&|v: &SegmentValue<i32>| match v {
                SegmentValue::CenterOf(s) => usize::try_from(*s)
                    .ok()
                    .filter(|&s| s < labels.len())
                    .map_or(String::new(), |s| labels[n - 1 - s].to_string()),
                _ => String::new(),
            })
            .x_label_formatter(&|v: &f64| format!("{v:.1}"))
            .x_desc("test error (%)")
            .y_desc("model (Table 1 row)")
            .axis_desc_style((font, 19))
            .label_style((font, 17))
            .draw()
            .map_err(plot_error)?;

        if rows.is_empty() {
            root.draw(&Text::new(
                "no results yet",
                (FIGURE_WIDTH as i32 / 2 - 40, height as i32 / 2),
                (font, 18),
            ))
            .map_err(plot_error)?;
        }

        chart
            .draw_series(rows.iter().enumerate().map(|(k, r)| {
                let mut rect = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(seg(k))),
                        (100.0 * r.summary.mean, SegmentValue::Exact(seg(k) + 1)),
                    ],
                    bar.mix(0.85).filled(),
                );
                rect.set_margin(10, 10, 0, 0);
                rect
            }))
            .map_err(plot_error)?
            .label("ours: mean test error")
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], bar.filled()));

        let with_ci: Vec<(usize, f64, f64)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.summary.ci95_low.is_finite() && r.summary.ci95_high.is_finite())
            .map(|(k, r)| (k, 100.0 * r.summary.ci95_low, 100.0 * r.summary.ci95_high))
            .collect();
        let whisker = BLACK.stroke_width(2);
        chart
            .draw_series(with_ci.iter().map(|&(k, lo, hi)| {
                PathElement::new(
                    vec![
                        (lo, SegmentValue::CenterOf(seg(k))),
                        (hi, SegmentValue::CenterOf(seg(k))),
                    ],
                    whisker,
                )
            }))
            .map_err(plot_error)?
            .label("ours: 95 % CI of the mean")
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![
                        (x, y - 5),
                        (x, y + 5),
                        (x, y),
                        (x + 16, y),
                        (x + 16, y - 5),
                        (x + 16, y + 5),
                    ],
                    whisker,
                )
            });
        chart
            .draw_series(with_ci.iter().flat_map(|&(k, lo, hi)| {
                [lo, hi].map(|x| {
                    EmptyElement::at((x, SegmentValue::CenterOf(seg(k))))
                        + PathElement::new(vec![(0, -7), (0, 7)], whisker)
                })
            }))
            .map_err(plot_error)?;
        // Our mean, in white at the base of its bar, away from the whisker and the paper's cross
        // near the bar's end (and never to be mistaken for the cross's value); a bar too short
        // to hold it gets it on its right, past whisker and cross.
        let plot_width = f64::from(FIGURE_WIDTH - 200 - 2 * 16);
        chart
            .draw_series(rows.iter().enumerate().map(|(k, r)| {
                let mean = 100.0 * r.summary.mean;
                let text = format!("{mean:.2}");
                let at = |x: f64| EmptyElement::at((x, SegmentValue::CenterOf(seg(k))));
                if mean / x_max * plot_width >= 60.0 {
                    let style = (font, 16)
                        .into_font()
                        .color(&WHITE)
                        .pos(Pos::new(HPos::Left, VPos::Center));
                    at(0.0) + Text::new(text, (8, 0), style)
                } else {
                    let style = (font, 16)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Left, VPos::Center));
                    at(100.0 * ours_high(r).max(r.paper_error.unwrap_or(0.0)))
                        + Text::new(text, (12, 0), style)
                }
            }))
            .map_err(plot_error)?;

        chart
            .draw_series(rows.iter().enumerate().filter_map(|(k, r)| {
                r.paper_error.map(|p| {
                    Cross::new(
                        (100.0 * p, SegmentValue::CenterOf(seg(k))),
                        7,
                        paper.stroke_width(3),
                    )
                })
            }))
            .map_err(plot_error)?
            .label("paper (Table 1)")
            .legend(move |(x, y)| Cross::new((x + 8, y), 6, paper.stroke_width(3)));

        chart
            .configure_series_labels()
            .position(legend_corner)
            .margin(12)
            .label_font((font, 17))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.6))
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const T1: f64 = 1.0;
    const A01: f64 = 0.1;

    fn settings(source: Source, mode: SoftTargetMode, t: f64, a: f64) -> DistillSettings {
        DistillSettings {
            source,
            mode,
            temperature: t,
            alpha: a,
        }
    }

    fn rec(
        key: &str,
        role: Role,
        repetition: usize,
        member: Option<usize>,
        distill: Option<DistillSettings>,
        test_error: f64,
    ) -> Record {
        let arch = vec![784, 100, 10];
        let one = param_count(&arch);
        Record {
            key: key.to_string(),
            role,
            repetition,
            member,
            distill,
            seed: repetition as u64,
            parameters: if role == Role::Ensemble { 2 * one } else { one },
            arch,
            epochs: vec![],
            best_epoch: 3,
            stopped_early: true,
            val_loss: 0.1,
            val_error: 0.02,
            test_loss: 0.1,
            test_error,
            train_seconds: 1.0,
            wall_seconds: 1.0,
        }
    }

    const INDEPENDENT: [f64; 4] = [0.022, 0.023, 0.024, 0.025];
    const TEACHER: [f64; 4] = [0.020, 0.021, 0.019, 0.020];
    /// Teacher → student, probabilities, T 1, α 0.1: repetitions 0..3 only.
    const KD_PROB: [f64; 3] = [0.030, 0.029, 0.031];
    /// Teacher → student, logits, T 1, α 0.1: independent − 0.1, 0.1, 0.2, 0.2 pp.
    const KD_LOGITS: [f64; 4] = [0.021, 0.022, 0.022, 0.023];
    /// Teacher → student, logits, T 4, α 0.5: independent + 0.1, −0.1, 0.3, −0.1 pp.
    const KD_LOGITS_T4: [f64; 4] = [0.023, 0.022, 0.027, 0.024];

    fn study() -> Vec<Record> {
        let mut v = Vec::new();
        let kd_prob = settings(Source::Teacher, SoftTargetMode::Probabilities, T1, A01);
        let kd_logits = settings(Source::Teacher, SoftTargetMode::Logits, T1, A01);
        let kd_t4 = settings(Source::Teacher, SoftTargetMode::Logits, 4.0, 0.5);
        let kd_ens = settings(Source::Ensemble, SoftTargetMode::Logits, T1, A01);
        for rep in 0..4 {
            let key = |what: &str| format!("rep{rep:02}/{what}");
            v.push(rec(
                &key("teacher"),
                Role::Teacher,
                rep,
                None,
                None,
                TEACHER[rep],
            ));
            v.push(rec(
                &key("independent"),
                Role::Independent,
                rep,
                None,
                None,
                INDEPENDENT[rep],
            ));
            for m in 0..2 {
                let e = 0.025 + 0.001 * (rep + m) as f64;
                v.push(rec(
                    &key(&format!("member{m}")),
                    Role::Member,
                    rep,
                    Some(m),
                    None,
                    e,
                ));
            }
            v.push(rec(
                &key("ensemble"),
                Role::Ensemble,
                rep,
                None,
                None,
                0.018,
            ));
            if rep < 3 {
                let r = rec("", Role::Distilled, rep, None, Some(kd_prob), KD_PROB[rep]);
                v.push(Record {
                    key: crate::record::distilled_key(rep, &kd_prob),
                    ..r
                });
            }
            for (d, e) in [
                (kd_logits, KD_LOGITS[rep]),
                (kd_t4, KD_LOGITS_T4[rep]),
                (kd_ens, 0.021),
            ] {
                let key = crate::record::distilled_key(rep, &d);
                v.push(rec(&key, Role::Distilled, rep, None, Some(d), e));
            }
        }
        v
    }

    fn mean(xs: &[f64]) -> f64 {
        xs.iter().sum::<f64>() / xs.len() as f64
    }

    #[test]
    fn rows_in_the_papers_order_with_the_papers_values() {
        let report = build_report(&study(), T1, A01).unwrap();
        let labels: Vec<&str> = report.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "big network (teacher)",
                "small network distilled from the big network — probabilities (paper-literal)",
                "small network distilled from the big network — logits (Hinton)",
                "ensemble of 2 small networks",
                // 4a has no records and is skipped.
                "small network distilled from the ensemble — logits (Hinton)",
                "small network trained independently on hard labels",
                "single ensemble member",
            ]
        );
        let numbers: Vec<&str> = report
            .rows
            .iter()
            .map(|r| RowKind::of(r).number())
            .collect();
        assert_eq!(numbers, ["1", "2a", "2b", "3", "4b", "5", "extra"]);
        let paper: Vec<Option<f64>> = report.rows.iter().map(|r| r.paper_error).collect();
        assert_eq!(
            paper,
            [
                Some(0.0201),
                Some(0.0289),
                None,
                Some(0.0181),
                None,
                Some(0.0226),
                None
            ]
        );
        assert_eq!(report.repetitions, 4);
        assert_eq!(report.rows[1].distill.unwrap().temperature, T1);
    }

    #[test]
    fn summaries_match_hand_computed_means() {
        let report = build_report(&study(), T1, A01).unwrap();
        let row = |n: &str| {
            report
                .rows
                .iter()
                .find(|r| RowKind::of(r).number() == n)
                .unwrap()
        };
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(row("1").summary.mean, 0.0200));
        assert!(close(row("5").summary.mean, 0.0235));
        assert!(close(row("2a").summary.mean, 0.030));
        assert_eq!(row("2a").summary.n, 3);
        assert!(close(row("2b").summary.mean, mean(&KD_LOGITS)));
        // Members: 0.025 + 0.001·(rep + m) over rep 0..4, m 0..2 → mean 0.025 + 0.001·2.
        assert_eq!(row("extra").summary.n, 8);
        assert!(close(row("extra").summary.mean, 0.027));
        assert!(close(row("5").summary.min, 0.022) && close(row("5").summary.max, 0.025));
        assert!(row("5").vs_independent.is_none());
        assert!(row("extra").vs_independent.is_none());
        // The teacher is compared too, paired by repetition.
        let t = row("1").vs_independent.unwrap();
        assert_eq!(t.n, 4);
        assert!(close(t.mean_diff, 0.0200 - 0.0235));
    }

    #[test]
    fn pairing_ignores_a_repetition_missing_on_one_side() {
        let report = build_report(&study(), T1, A01).unwrap();
        let d = report.rows[1].vs_independent.unwrap();
        let want = paired_t_test(&KD_PROB, &INDEPENDENT[..3]).unwrap();
        assert_eq!(d.n, 3);
        assert!((d.mean_diff - 0.007).abs() < 1e-12);
        assert_eq!(d, want);
        // And from the other side: drop the independent student of repetition 0.
        let records: Vec<Record> = study()
            .into_iter()
            .filter(|r| r.key != "rep00/independent")
            .collect();
        let report = build_report(&records, T1, A01).unwrap();
        let d = report.rows[1].vs_independent.unwrap();
        assert_eq!(d.n, 2);
        assert!((d.mean_diff - 0.0065).abs() < 1e-12);
    }

    #[test]
    fn grid_has_one_sorted_cell_per_setting() {
        let report = build_report(&study(), T1, A01).unwrap();
        let cells: Vec<(Source, SoftTargetMode, f64, f64, usize)> = report
            .grid
            .iter()
            .map(|c| {
                let d = c.distill;
                (d.source, d.mode, d.temperature, d.alpha, c.summary.n)
            })
            .collect();
        assert_eq!(
            cells,
            [
                (Source::Teacher, SoftTargetMode::Probabilities, 1.0, 0.1, 3),
                (Source::Teacher, SoftTargetMode::Logits, 1.0, 0.1, 4),
                (Source::Teacher, SoftTargetMode::Logits, 4.0, 0.5, 4),
                (Source::Ensemble, SoftTargetMode::Logits, 1.0, 0.1, 4),
            ]
        );
        // Holm over the 4 tests: the smallest p is multiplied by 4, none goes down.
        let raw: Vec<f64> = report
            .grid
            .iter()
            .map(|c| c.vs_independent.unwrap().p_value)
            .collect();
        let holm: Vec<f64> = report.grid.iter().map(|c| c.p_holm.unwrap()).collect();
        let smallest = raw.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            holm.iter().any(|&h| (h - 4.0 * smallest).abs() < 1e-12),
            "{holm:?}"
        );
        assert!(holm.iter().zip(&raw).all(|(h, r)| h >= r));
    }

    #[test]
    fn markdown_shows_paper_values_and_grid_marks() {
        let report = build_report(&study(), T1, A01).unwrap();
        let md = render_markdown(&report, &[]);
        for paper in ["2.01 %", "2.89 %", "1.81 %", "2.26 %"] {
            assert!(md.contains(paper), "{paper} missing:\n{md}");
        }
        // 4a is not in the records, so its paper value is not either.
        assert!(!md.contains("2.68 %"));
        let line = |start: &str| {
            md.lines()
                .find(|l| l.starts_with(start))
                .unwrap()
                .to_string()
        };
        // The Hinton row has no paper value of its own.
        let hinton: Vec<String> = line("| 2b |")
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        assert_eq!(hinton[3], "—");
        assert!(
            line("| 2a |").contains("| 3.00 ± 0.10 % |"),
            "{}",
            line("| 2a |")
        );
        assert!(line("| 5 |").contains("2.20–2.50 %"));
        // Grid: +0.70 pp with p ≈ 0.007 (**), −0.15 pp with p ≈ 0.014 (*), +0.05 pp unmarked,
        // −0.25 pp (*). Holm over the 4 tests: 0.007·4 and 0.014·3 stay below 0.05 (†); the
        // third smallest p, times 2, does not, so −0.25 keeps its * without †.
        assert!(md.contains("### KD ← teacher, probabilities (paper-literal)"));
        assert!(md.contains("| 1 | +0.70 ** † |"), "{md}");
        assert!(md.contains("| T \\ α | 0.1 | 0.5 |"));
        assert!(md.contains("| 1 | -0.15 * † | — |"), "{md}");
        assert!(md.contains("| 4 | — | +0.05 |"), "{md}");
        assert!(md.contains("| 1 | -0.25 * |"), "{md}");
        assert!(md.contains("Holm's correction for the 4 tests of the grid"));
        assert!(md.contains("negative = distillation better"));
        assert!(!md.contains("Deployment"));
        let speed = SizeSpeed {
            model: "teacher".into(),
            parameters: 717_210,
            bytes: 2_868_840,
            micros_per_sample_batch1: 150.0,
            micros_per_sample_batch1000: 3.5,
        };
        let md = render_markdown(&report, &[speed]);
        assert!(md.contains("## Deployment: size and inference speed"));
        assert!(
            md.contains("| teacher | 717210 | 2.87 MB | 150.0 | 3.50 |"),
            "{md}"
        );
    }

    #[test]
    fn p_values_and_marks_are_formatted() {
        assert_eq!(format_p(0.0123), "0.0123");
        assert_eq!(format_p(0.5), "0.500");
        assert_eq!(format_p(1.0), "1.00");
        assert_eq!(format_p(0.05), "0.0500");
        assert_eq!(format_p(0.0004), "< 0.001");
        assert_eq!(
            [stars(0.0009), stars(0.009), stars(0.049), stars(0.05)],
            ["***", "**", "*", ""]
        );
    }

    #[test]
    fn csv_has_a_header_and_one_line_per_row() {
        let report = build_report(&study(), T1, A01).unwrap();
        let csv = render_csv(&report);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), report.rows.len() + 1);
        assert!(lines[0].starts_with("row,model,role,"));
        let columns = lines[0].split(',').count();
        for l in &lines[1..] {
            assert_eq!(l.split(',').count(), columns, "{l}");
        }
        assert!(lines[1].starts_with("1,big network (teacher),teacher,,,,,2.01"));
        assert!(lines[2].starts_with("2a,") && lines[2].contains(",teacher,probabilities,1,0.1,"));
        assert_eq!(csv_field("a,b \"c\""), "\"a,b \"\"c\"\"\"");
        assert_eq!(csv_num(Some(0.0289), 100.0), "2.89");
        assert_eq!(csv_num(Some(9.1e-140), 1.0), "9.1e-140");
        assert_eq!(csv_num(Some(-0.35000000000000003), 1.0), "-0.35");
        assert_eq!(csv_num(Some(f64::NAN), 1.0), "");
        assert_eq!(csv_num(None, 1.0), "");
    }

    #[test]
    fn figure_is_an_svg_with_axis_label_and_legend() {
        let report = build_report(&study(), T1, A01).unwrap();
        let svg = render_figure_svg(&report).unwrap();
        assert!(svg.trim_start().starts_with("<svg"), "{}", &svg[..100]);
        assert!(svg.trim_end().ends_with("</svg>"));
        for text in [
            "test error (%)",
            "paper (Table 1)",
            "ours: mean test error",
            "ours: 95 % CI of the mean",
            "KD←teacher (prob.)",
            "independent",
            "member",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        // Every opened element is closed or self-closing, roughly.
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        // An empty report still draws.
        let empty = build_report(&[], T1, A01).unwrap();
        assert!(render_figure_svg(&empty)
            .unwrap()
            .contains("no results yet"));
    }

    #[test]
    fn duplicates_and_missing_independent_are_errors() {
        let mut records = study();
        records.push(records[0].clone());
        let e = build_report(&records, T1, A01).unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.contains("rep00/teacher")),
            "{e}"
        );

        let mut records = study();
        let mut twin = records[1].clone();
        twin.key = "rep00/independent-again".into();
        records.push(twin);
        assert!(matches!(
            build_report(&records, T1, A01),
            Err(Error::Config(_))
        ));

        let records: Vec<Record> = study()
            .into_iter()
            .filter(|r| r.role != Role::Independent)
            .collect();
        let e = build_report(&records, T1, A01).unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.contains("independent")),
            "{e}"
        );
    }

    #[test]
    fn partial_studies_still_report() {
        let records: Vec<Record> = study()
            .into_iter()
            .filter(|r| r.role == Role::Teacher && r.repetition == 0)
            .collect();
        let report = build_report(&records, T1, A01).unwrap();
        assert_eq!(report.rows.len(), 1);
        assert_eq!(report.rows[0].summary.n, 1);
        assert!(report.rows[0].vs_independent.is_none());
        assert!(report.grid.is_empty());
        let md = render_markdown(&report, &[]);
        assert!(md.contains("| 1 | big network (teacher) | 2.01 % | 2.00 ± 0.00 % | — |"));
        assert!(render_figure_svg(&report).is_ok());
    }

    #[test]
    fn write_report_writes_four_files() {
        let dir = tempfile::tempdir().unwrap();
        let report = build_report(&study(), T1, A01).unwrap();
        let speed = [SizeSpeed {
            model: "student".into(),
            parameters: 79_510,
            bytes: 318_040,
            micros_per_sample_batch1: 12.0,
            micros_per_sample_batch1000: 0.4,
        }];
        write_report(dir.path(), &report, &speed).unwrap();
        for name in ["table.md", "table.csv", "summary.json", "figure.svg"] {
            assert!(dir.path().join(name).is_file(), "{name}");
        }
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(json["rows"].as_array().unwrap().len(), report.rows.len());
        assert_eq!(json["size_speed"][0]["parameters"], 79_510);
        assert_eq!(json["main_alpha"], 0.1);
    }
}
