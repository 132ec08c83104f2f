//! The report of a study's grid axes: for each training-set size and student width, every
//! distilled arm against the independent student and against the label-smoothed students,
//! paired by repetition, with 95 % confidence intervals and Holm's adjustment over the whole
//! family of comparisons; and the teacher and ensemble of each size, for context.

use super::build::{close, paired_by_repetition, settings_cmp};
use super::cells::{hidden, is_student, train_size};
use crate::report::stats::{holm_adjust, summarize, PairedTest, Summary};
use crate::study::record::{DistillSettings, Record, Role};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The axes report, as written to `axes.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AxesReport {
    /// Teacher and ensemble per training-set size.
    pub sources: Vec<SourceRow>,
    /// Every comparison, by size, width, distilled arm and baseline.
    pub comparisons: Vec<Comparison>,
    /// Distinct repetitions.
    pub repetitions: usize,
}

/// The teachers of one size cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRow {
    /// Training samples (`None`: the whole split of a study without a size axis).
    pub train_size: Option<usize>,
    pub role: Role,
    /// Test errors, as fractions.
    pub summary: Summary,
}

/// What a distilled arm is compared with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Baseline {
    /// The student trained on hard labels.
    Independent,
    /// A smoothed student: a fixed ε (`matched_temperature` absent) or ε matched to the
    /// ensemble's soft-target entropy at that temperature; `epsilon` is the mean ε used.
    Smoothed {
        matched_temperature: Option<f64>,
        epsilon: f64,
    },
}

impl Baseline {
    /// `independent`, `smoothed ε=0.1` or `smoothed ε≈0.52 (entropy of T=4)`.
    pub fn label(&self) -> String {
        match self {
            Baseline::Independent => "independent".into(),
            Baseline::Smoothed {
                matched_temperature: None,
                epsilon,
            } => format!("smoothed ε={epsilon}"),
            Baseline::Smoothed {
                matched_temperature: Some(t),
                epsilon,
            } => format!("smoothed ε≈{epsilon:.3} (entropy of T={t})"),
        }
    }
}

/// One paired comparison: distilled − baseline, by repetition, in one cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub train_size: Option<usize>,
    /// The students' hidden widths.
    pub student_hidden: Vec<usize>,
    pub distill: DistillSettings,
    pub baseline: Baseline,
    /// Test errors of the distilled students and of the baseline, as fractions.
    pub distilled: Summary,
    pub baseline_error: Summary,
    /// Distilled − baseline (fractions), paired by repetition.
    pub test: Option<PairedTest>,
    /// The p-value after Holm's adjustment over every tested comparison of this report.
    pub p_holm: Option<f64>,
}

/// A cell: (training samples, students' hidden widths).
type Cell = (Option<usize>, Vec<usize>);

/// The axes report of `records`; `None` when they hold no student.
pub fn build_axes_report(records: &[Record]) -> Option<AxesReport> {
    let cells: BTreeSet<Cell> = records
        .iter()
        .filter(|r| is_student(r))
        .map(|r| (train_size(r), hidden(r)))
        .collect();
    if cells.is_empty() {
        return None;
    }
    let mut sources = Vec::new();
    let sizes: BTreeSet<Option<usize>> = cells.iter().map(|c| c.0).collect();
    for &size in &sizes {
        for role in [Role::Teacher, Role::Ensemble] {
            let errors: Vec<f64> = records
                .iter()
                .filter(|r| r.role == role && train_size(r) == size)
                .map(|r| r.test_error)
                .collect();
            if let Some(summary) = summarize(&errors) {
                sources.push(SourceRow {
                    train_size: size,
                    role,
                    summary,
                });
            }
        }
    }
    let mut comparisons = Vec::new();
    for cell in &cells {
        let in_cell: Vec<&Record> = records
            .iter()
            .filter(|r| is_student(r) && (train_size(r), hidden(r)) == *cell)
            .collect();
        comparisons.extend(cell_comparisons(cell, &in_cell));
    }
    let tested: Vec<usize> = (0..comparisons.len())
        .filter(|&i| comparisons[i].test.is_some())
        .collect();
    let raw: Vec<f64> = tested
        .iter()
        .filter_map(|&i| comparisons[i].test.map(|t| t.p_value))
        .collect();
    for (&i, p) in tested.iter().zip(holm_adjust(&raw)) {
        comparisons[i].p_holm = Some(p);
    }
    let repetitions = records
        .iter()
        .map(|r| r.repetition)
        .collect::<BTreeSet<_>>()
        .len();
    Some(AxesReport {
        sources,
        comparisons,
        repetitions,
    })
}

/// The comparisons of one cell: each distilled arm against the independent student, against
/// every fixed-ε smoothed student, and against the matched-ε student of its own temperature.
fn cell_comparisons(cell: &Cell, students: &[&Record]) -> Vec<Comparison> {
    let by_rep = |chosen: &[&Record]| -> BTreeMap<usize, f64> {
        chosen
            .iter()
            .map(|r| (r.repetition, r.test_error))
            .collect()
    };
    let independent: Vec<&Record> = students
        .iter()
        .copied()
        .filter(|r| r.role == Role::Independent)
        .collect();
    // Smoothed students grouped by (fixed ε or matched T).
    let mut smoothed: Vec<(Option<f64>, Option<f64>, Vec<&Record>)> = Vec::new();
    for r in students
        .iter()
        .copied()
        .filter(|r| r.role == Role::Smoothed)
    {
        let Some(s) = r.smoothing else { continue };
        let fixed = s.matched_temperature.is_none().then_some(s.epsilon);
        let group = smoothed
            .iter_mut()
            .find(|(f, t, _)| same(*f, fixed) && same(*t, s.matched_temperature));
        match group {
            Some((_, _, v)) => v.push(r),
            None => smoothed.push((fixed, s.matched_temperature, vec![r])),
        }
    }
    let mut arms: Vec<DistillSettings> = students.iter().filter_map(|r| r.distill).collect();
    arms.sort_by(settings_cmp);
    arms.dedup_by(|a, b| settings_cmp(a, b).is_eq());
    let mut out = Vec::new();
    for arm in arms {
        let distilled: Vec<&Record> = students
            .iter()
            .copied()
            .filter(|r| r.distill.is_some_and(|d| settings_cmp(&d, &arm).is_eq()))
            .collect();
        let Some(distilled_summary) = summarize(&errors(&distilled)) else {
            continue;
        };
        let mut push = |baseline: Baseline, base: &[&Record]| {
            if let Some(baseline_error) = summarize(&errors(base)) {
                out.push(Comparison {
                    train_size: cell.0,
                    student_hidden: cell.1.clone(),
                    distill: arm,
                    baseline,
                    distilled: distilled_summary,
                    baseline_error,
                    test: paired_by_repetition(&distilled, &by_rep(base)),
                    p_holm: None,
                });
            }
        };
        push(Baseline::Independent, &independent);
        for (fixed, matched, group) in &smoothed {
            if matched.is_some_and(|t| !close(t, arm.temperature)) {
                continue;
            }
            let epsilon = match fixed {
                Some(e) => *e,
                None => {
                    group
                        .iter()
                        .filter_map(|r| r.smoothing)
                        .map(|s| s.epsilon)
                        .sum::<f64>()
                        / group.len() as f64
                }
            };
            let baseline = Baseline::Smoothed {
                matched_temperature: *matched,
                epsilon,
            };
            push(baseline, group);
        }
    }
    out
}

fn errors(records: &[&Record]) -> Vec<f64> {
    records.iter().map(|r| r.test_error).collect()
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => close(x, y),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::cells::{has_axes, protocol_cell};

    /// A record from its essentials, through the JSON a results folder holds.
    fn rec(key: &str, role: &str, rep: usize, width: usize, size: usize, error: f64) -> Record {
        let mut v = serde_json::json!({
            "key": key, "role": role, "repetition": rep, "member": null, "distill": null,
            "seed": 1, "arch": [4, width, 2], "parameters": 1, "epochs": [], "best_epoch": 1,
            "stopped_early": true, "val_loss": 0.5, "val_error": 0.1, "test_loss": 0.5,
            "test_error": error, "train_seconds": 0.0, "wall_seconds": 0.0,
            "train_subset": {"samples": size, "of": 1000, "fingerprint": "f"},
        });
        if role == "distilled" {
            v["distill"] = serde_json::json!(
                {"source": "ensemble", "mode": "logits", "temperature": 4.0, "alpha": 0.5});
        }
        if role == "smoothed" {
            v["smoothing"] = serde_json::json!({"epsilon": 0.1});
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn deltas_intervals_and_holm_match_a_computation_by_hand() {
        let (indep, dist, smooth) = ([0.10, 0.20, 0.30], [0.08, 0.15, 0.31], [0.09, 0.20, 0.25]);
        let mut records = Vec::new();
        for rep in 0..3 {
            records.push(rec(&format!("r{rep}/m"), "member", rep, 8, 100, 0.1));
            records.push(rec(
                &format!("r{rep}/i"),
                "independent",
                rep,
                4,
                100,
                indep[rep],
            ));
            records.push(rec(
                &format!("r{rep}/d"),
                "distilled",
                rep,
                4,
                100,
                dist[rep],
            ));
            records.push(rec(
                &format!("r{rep}/s"),
                "smoothed",
                rep,
                4,
                100,
                smooth[rep],
            ));
        }
        assert!(has_axes(&records));
        let report = build_axes_report(&records).unwrap();
        assert_eq!(report.comparisons.len(), 2);
        let by_hand = |base: [f64; 3]| {
            let d: Vec<f64> = (0..3).map(|i| dist[i] - base[i]).collect();
            let mean = d.iter().sum::<f64>() / 3.0;
            let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
            // t_{0.975, 2} = 4.302652729911275
            (mean, mean - 4.302652729911275 * sd / 3f64.sqrt())
        };
        let mut p = Vec::new();
        for (c, base) in report.comparisons.iter().zip([indep, smooth]) {
            let t = c.test.unwrap();
            let (mean, low) = by_hand(base);
            assert!((t.mean_diff - mean).abs() < 1e-15 && (t.ci95_low - low).abs() < 1e-9);
            assert_eq!(
                (c.train_size, c.student_hidden.clone()),
                (Some(100), vec![4])
            );
            p.push(t.p_value);
        }
        assert_eq!(report.comparisons[0].baseline, Baseline::Independent);
        // Holm over two: the smaller p doubled, the larger kept (if still above it)
        let (lo, hi) = if p[0] < p[1] { (0, 1) } else { (1, 0) };
        let holm = |i: usize| report.comparisons[i].p_holm.unwrap();
        assert!((holm(lo) - (2.0 * p[lo]).min(1.0)).abs() < 1e-15);
        assert!((holm(hi) - p[hi].max(holm(lo))).abs() < 1e-15);
        // Table 1's cell: the members' width only, no smoothed students
        let cell = protocol_cell(&records);
        assert!(cell.iter().all(|r| r.role == Role::Member));
    }
}
