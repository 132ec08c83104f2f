//! The grid axes end to end on a small synthetic IDX data set: every model of a repetition and
//! training-set size learns from the same subset, the subsets differ between repetitions, the
//! records are the same for one and two threads, and the axes report is written beside Table 1.

mod common;

use common::{kd_mlp, stderr, study_records_without_timings, write_synthetic};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn run_axes(data: &Path, out: &Path, threads: &str) -> std::process::Output {
    let (data, out) = (data.to_str().unwrap(), out.to_str().unwrap());
    kd_mlp(&[
        "--threads",
        threads,
        "reproduce",
        "--data",
        data,
        "--out",
        out,
        "--reps",
        "2",
        "--ensemble-size",
        "2",
        "--teacher-arch",
        "16",
        "--student-arch",
        "8",
        "--epochs-max",
        "2",
        "--alphas",
        "0.5",
        "--temperatures",
        "2",
        "--modes",
        "logits",
        "--train-sizes",
        "100,300",
        "--student-archs",
        "4",
        "8",
        "--label-smoothing",
        "0.1,auto",
    ])
}

/// `rep01/n100/w4/independent` → ("rep01", "n100").
fn rep_and_size(key: &str) -> (String, String) {
    let mut parts = key.split('/');
    (
        parts.next().unwrap().to_string(),
        parts.next().unwrap().to_string(),
    )
}

#[test]
fn one_subset_per_repetition_and_size_and_the_same_records_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 600, 200);
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let out = run_axes(&data, &one, "1");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_axes(&data, &two, "2");
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (
        study_records_without_timings(&one),
        study_records_without_timings(&two),
    );
    // per repetition and size: teacher, 2 members, ensemble; per width: independent, 2 sources,
    // smoothed ε = 0.1 and smoothed auto at T = 2
    assert_eq!(a.len(), 2 * 2 * (4 + 2 * 5));
    assert_eq!(a, b, "records differ between 1 and 2 threads");

    let mut fingerprints: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (key, r) in &a {
        let subset = &r["train_subset"];
        let size: u64 = rep_and_size(key).1[1..].parse().unwrap();
        assert_eq!(subset["samples"], size, "{key}");
        assert_eq!(subset["of"], 540, "{key}: 10 % of 600 validate");
        fingerprints
            .entry(rep_and_size(key))
            .or_default()
            .insert(subset["fingerprint"].as_str().unwrap().to_string());
    }
    assert_eq!(fingerprints.len(), 4);
    for (cell, set) in &fingerprints {
        assert_eq!(set.len(), 1, "{cell:?}: every model learns from one subset");
    }
    let fp = |rep: &str, n: &str| {
        fingerprints[&(rep.to_string(), n.to_string())]
            .iter()
            .next()
            .unwrap()
            .clone()
    };
    assert_ne!(
        fp("rep00", "n100"),
        fp("rep01", "n100"),
        "repetitions differ"
    );
    assert_ne!(fp("rep00", "n100"), fp("rep00", "n300"));

    // the paired design: every student of a repetition shares the independent one's seed
    for rep in ["rep00", "rep01"] {
        let seed = &a[&format!("{rep}/n100/w4/independent")]["seed"];
        let students: Vec<&Value> = a
            .iter()
            .filter(|(k, _)| k.starts_with(rep) && k.contains("/w"))
            .map(|(_, v)| v)
            .collect();
        assert_eq!(students.len(), 2 * 2 * 5);
        assert!(students.iter().all(|v| &v["seed"] == seed));
    }
    let auto = &a["rep00/n300/w8/smoothed-auto-T2"];
    let epsilon = auto["smoothing"]["epsilon"].as_f64().unwrap();
    assert!(epsilon > 0.0 && epsilon < 1.0, "matched ε {epsilon}");
    assert_eq!(auto["smoothing"]["matched_temperature"], 2.0);
    assert_eq!(auto["role"], "smoothed");
    assert_eq!(
        a["rep00/n300/w8/smoothed-e0.1"]["smoothing"]["epsilon"],
        0.1
    );

    for file in ["axes.md", "axes.json", "figures/axes.svg", "table.md"] {
        assert!(one.join(file).exists(), "{file} missing");
    }
    let axes = std::fs::read_to_string(one.join("axes.md")).unwrap();
    // 2 sizes × 2 widths × 2 sources × (independent, ε = 0.1, matched ε)
    assert_eq!(axes.matches("| logits | 2 | 0.5 |").count(), 24, "{axes}");
    // Table 1 is the protocol's cell: the largest size and the members' width, 2 repetitions
    let summary: Value =
        serde_json::from_slice(&std::fs::read(one.join("summary.json")).unwrap()).unwrap();
    let independent = summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "independent")
        .unwrap();
    assert_eq!(independent["summary"]["n"], 2);
    let mean = independent["summary"]["mean"].as_f64().unwrap();
    let want = (a["rep00/n300/w8/independent"]["test_error"]
        .as_f64()
        .unwrap()
        + a["rep01/n300/w8/independent"]["test_error"]
            .as_f64()
            .unwrap())
        / 2.0;
    assert!((mean - want).abs() < 1e-12);
    // ... and says so: the cell's size and student in summary.json, table.md and the page, whose
    // figures include the axes figure.
    assert_eq!(summary["table1_cell"]["train_samples"], 300);
    let student = &a["rep00/n300/w8/independent"]["arch"];
    assert_eq!(&summary["table1_cell"]["student_arch"], student);
    let arch: Vec<String> = student
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let cell = format!(
        "its cell of 300 training samples, student {}",
        arch.join("-")
    );
    let table = std::fs::read_to_string(one.join("table.md")).unwrap();
    assert!(table.contains(&cell), "{table}");
    let page = std::fs::read_to_string(one.join("report.html")).unwrap();
    assert!(page.contains(&cell));
    assert!(page.contains(kd_mlp::report::figures::axes_curve::TITLE));
    assert_eq!(
        page.matches("<svg").count(),
        std::fs::read_dir(one.join("figures")).unwrap().count() + 1,
        "every figure of figures/, and figure.svg, inline on the page"
    );
}

#[test]
fn bad_axis_values_are_errors_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 600, 200);
    for (flag, value, says) in [
        ("--train-sizes", "100,9999", "--train-sizes"),
        ("--label-smoothing", "1.5", "ε must be in [0, 1]"),
        ("--label-smoothing", "often", "--label-smoothing"),
        ("--student-archs", "4,x", "bad hidden width"),
    ] {
        let out_dir = tmp.path().join("bad");
        let out = kd_mlp(&[
            "reproduce",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--reps",
            "1",
            flag,
            value,
        ]);
        assert!(!out.status.success(), "{flag} {value}");
        assert!(
            stderr(&out).contains(says),
            "{flag} {value}: {}",
            stderr(&out)
        );
        // refused before anything is written: no results folder is left behind
        assert!(
            !out_dir.exists(),
            "{flag} {value}: {} was created",
            out_dir.display()
        );
    }
}
