//! The report against a hand-made study whose numbers are computed here by hand.

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
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), report.rows.len());
    assert_eq!(json["size_speed"][0]["parameters"], 79_510);
    assert_eq!(json["main_alpha"], 0.1);
}
