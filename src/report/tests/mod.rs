//! The report against a hand-made study whose numbers are computed here by hand: the report
//! model here, its files (Markdown, CSV, the figure, the folder) in `outputs`.

use super::build::build_report;
use super::csv::{csv_field, csv_num, render_csv};
use super::figure::render_figure_svg;
use super::markdown::{format_p, render_markdown, stars};
use super::model::RowKind;
use super::write::write_report;
use crate::engine::loss::SoftTargetMode;
use crate::engine::mlp::param_count;
use crate::error::Error;
use crate::report::speed::SizeSpeed;
use crate::report::stats::paired_t_test;
use crate::study::record::{DistillSettings, Record, Role, Source};

const T1: f64 = 1.0;
const A01: f64 = 0.1;

fn settings(source: Source, mode: SoftTargetMode, t: f64, a: f64) -> DistillSettings {
    DistillSettings {
        source,
        mode,
        temperature: t,
        alpha: a,
        stopping: Default::default(),
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
        train_flops: None,
        soft_target_flops: None,
        empty_classes: Vec::new(),
        train_subset: None,
        smoothing: None,
    }
}

/// A record with nothing but its identity and test error set (every other number zero), for the
/// tests of the report's parts that read only those.
pub(super) fn bare_record(
    key: String,
    role: Role,
    repetition: usize,
    distill: Option<DistillSettings>,
    test_error: f64,
) -> Record {
    Record {
        key,
        role,
        repetition,
        member: None,
        distill,
        seed: 0,
        arch: vec![4, 3],
        parameters: 15,
        epochs: Vec::new(),
        best_epoch: 0,
        stopped_early: false,
        val_loss: 0.0,
        val_error: 0.0,
        test_loss: 0.0,
        test_error,
        train_seconds: 0.0,
        wall_seconds: 0.0,
        train_flops: None,
        soft_target_flops: None,
        empty_classes: Vec::new(),
        train_subset: None,
        smoothing: None,
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
                key: crate::study::record::distilled_key(rep, &kd_prob),
                ..r
            });
        }
        for (d, e) in [
            (kd_logits, KD_LOGITS[rep]),
            (kd_t4, KD_LOGITS_T4[rep]),
            (kd_ens, 0.021),
        ] {
            let key = crate::study::record::distilled_key(rep, &d);
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

mod outputs;
