//! What each deployed model costs to *produce*, in training FLOPs (the records' analytic
//! counts, [`crate::train::flops`]): a model's own training, plus for a distilled student its
//! teacher's training (or every ensemble member's) and the soft-target pass. Answers the
//! paper's claim that hard labels are "the more computationally optimal strategy" with numbers.

use super::build::settings_cmp;
use crate::report::stats::{summarize, Summary};
use crate::study::record::{DistillSettings, Record, Role, Source};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One kind of deployed model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComputeRow {
    /// `teacher`, `ensemble`, `independent student` or the distilled settings in words.
    pub label: String,
    pub role: Role,
    pub distill: Option<DistillSettings>,
    /// Mean FLOPs of the model's own training (the members' together for an ensemble).
    pub own_flops: f64,
    /// Mean FLOPs to produce it: own training, plus the teacher's or the members' training and
    /// the soft-target pass for a distilled student.
    pub total_flops: f64,
    /// Test errors (fractions) of the repetitions whose every cost is recorded.
    pub test_error: Summary,
}

/// Per repetition, the training FLOPs of the teacher and the sum over the members (only when
/// every member of the repetition has its count).
fn upstream(records: &[Record]) -> (BTreeMap<usize, f64>, BTreeMap<usize, f64>) {
    let mut teacher = BTreeMap::new();
    let mut members: BTreeMap<usize, Option<f64>> = BTreeMap::new();
    for r in records {
        match r.role {
            Role::Teacher => {
                if let Some(f) = r.train_flops {
                    teacher.insert(r.repetition, f);
                }
            }
            Role::Member => {
                let sum = members.entry(r.repetition).or_insert(Some(0.0));
                *sum = sum.zip(r.train_flops).map(|(a, b)| a + b);
            }
            _ => {}
        }
    }
    let members = members
        .into_iter()
        .filter_map(|(rep, f)| f.map(|f| (rep, f)))
        .collect();
    (teacher, members)
}

fn label(d: &DistillSettings) -> String {
    let rule = if d.stopping.is_protocol() {
        String::new()
    } else {
        format!(", {}", d.stopping.describe())
    };
    format!(
        "distilled from the {}, {}, T = {}, α = {}{rule}",
        match d.source {
            Source::Teacher => "big network",
            Source::Ensemble => "ensemble",
        },
        d.mode,
        d.temperature,
        d.alpha
    )
}

/// The rows of the compute table: teacher, ensemble, independent student, then every distilled
/// setting in the grid's order. A model counts only where all its costs are recorded (records
/// from before FLOPs were counted have none); a kind with no such model is left out.
pub fn build_compute(records: &[Record]) -> Vec<ComputeRow> {
    let (teacher, members) = upstream(records);
    // (own, total, test error) per model
    let cost = |r: &Record| -> Option<(f64, f64, f64)> {
        match r.role {
            Role::Ensemble => members.get(&r.repetition).map(|&m| (m, m, r.test_error)),
            Role::Distilled => {
                let d = r.distill?;
                let before = match d.source {
                    Source::Teacher => teacher.get(&r.repetition)?,
                    Source::Ensemble => members.get(&r.repetition)?,
                };
                let own = r.train_flops?;
                Some((own, own + before + r.soft_target_flops?, r.test_error))
            }
            _ => r.train_flops.map(|f| (f, f, r.test_error)),
        }
    };
    let row = |label: String, role, distill, chosen: Vec<&Record>| {
        let costs: Vec<(f64, f64, f64)> = chosen.into_iter().filter_map(cost).collect();
        let n = costs.len().max(1) as f64;
        let errors: Vec<f64> = costs.iter().map(|c| c.2).collect();
        Some(ComputeRow {
            label,
            role,
            distill,
            own_flops: costs.iter().map(|c| c.0).sum::<f64>() / n,
            total_flops: costs.iter().map(|c| c.1).sum::<f64>() / n,
            test_error: summarize(&errors)?,
        })
    };
    let of_role = |role| {
        records
            .iter()
            .filter(|r| r.role == role)
            .collect::<Vec<_>>()
    };
    let mut rows: Vec<ComputeRow> = [
        ("big network (teacher)", Role::Teacher),
        ("ensemble of small networks", Role::Ensemble),
        (
            "small network on hard labels (independent)",
            Role::Independent,
        ),
    ]
    .into_iter()
    .filter_map(|(name, role)| row(name.into(), role, None, of_role(role)))
    .collect();
    let mut settings: Vec<DistillSettings> = records.iter().filter_map(|r| r.distill).collect();
    settings.sort_by(settings_cmp);
    settings.dedup_by(|a, b| settings_cmp(a, b) == Ordering::Equal);
    for d in settings {
        let chosen = records
            .iter()
            .filter(|r| {
                r.distill
                    .is_some_and(|x| settings_cmp(&x, &d) == Ordering::Equal)
            })
            .collect();
        rows.extend(row(label(&d), Role::Distilled, Some(d), chosen));
    }
    rows
}

/// Appends the compute table to a Markdown report (nothing when no record has FLOPs).
pub fn render_compute_markdown(md: &mut String, rows: &[ComputeRow]) {
    use std::fmt::Write;
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n## Compute: what each deployed model costs to produce\n"
    );
    let _ = writeln!(
        md,
        "| model | own training (TFLOP) | total to produce (TFLOP) | × independent | test error (mean ± sd) | n |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    let independent = rows
        .iter()
        .find(|r| r.role == Role::Independent)
        .map(|r| r.total_flops);
    for r in rows {
        let ratio = independent.map_or("—".into(), |i| format!("{:.1}", r.total_flops / i));
        let _ = writeln!(
            md,
            "| {} | {:.3} | {:.3} | {ratio} | {:.2} ± {:.2} % | {} |",
            r.label,
            r.own_flops / 1e12,
            r.total_flops / 1e12,
            100.0 * r.test_error.mean,
            100.0 * r.test_error.sd,
            r.test_error.n
        );
    }
    let _ = writeln!(
        md,
        "\nFLOPs are counted analytically from each record (forward, backward and Adam per \
         epoch run, plus the validation passes; docs/MATH.md, \"Cost of training a model\"), not \
         timed. A distilled student's total adds its teacher's training (or every ensemble \
         member's) and the soft-target pass, as if it were the only student made from them; \
         n counts the repetitions whose costs are all recorded."
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::loss::SoftTargetMode;

    fn rec(key: &str, role: Role, rep: usize, flops: Option<f64>, err: f64) -> Record {
        Record {
            train_flops: flops,
            ..crate::report::tests::bare_record(key.into(), role, rep, None, err)
        }
    }

    #[test]
    fn a_distilled_student_costs_its_teacher_its_targets_and_itself() {
        let arm = DistillSettings {
            source: Source::Ensemble,
            mode: SoftTargetMode::Logits,
            temperature: 1.0,
            alpha: 0.1,
            stopping: Default::default(),
        };
        let mut records = Vec::new();
        for rep in 0..2 {
            records.push(rec("t", Role::Teacher, rep, Some(100.0), 0.02));
            records.push(rec("m0", Role::Member, rep, Some(10.0), 0.03));
            records.push(rec("m1", Role::Member, rep, Some(12.0), 0.03));
            records.push(rec("e", Role::Ensemble, rep, None, 0.019));
            records.push(rec("i", Role::Independent, rep, Some(9.0), 0.025));
            let mut d = rec("d", Role::Distilled, rep, Some(8.0), 0.024);
            d.distill = Some(arm);
            d.soft_target_flops = Some(3.0);
            records.push(d);
        }
        let rows = build_compute(&records);
        let by = |role| rows.iter().find(|r| r.role == role).unwrap();
        assert_eq!(by(Role::Teacher).total_flops, 100.0);
        assert_eq!(by(Role::Ensemble).total_flops, 22.0);
        assert_eq!(by(Role::Independent).total_flops, 9.0);
        let d = by(Role::Distilled);
        assert_eq!((d.own_flops, d.total_flops), (8.0, 8.0 + 22.0 + 3.0));
        assert_eq!(d.test_error.n, 2);
    }

    #[test]
    fn records_without_counts_give_no_rows() {
        let records = vec![
            rec("t", Role::Teacher, 0, None, 0.02),
            rec("i", Role::Independent, 0, None, 0.025),
        ];
        assert!(build_compute(&records).is_empty());
    }
}
