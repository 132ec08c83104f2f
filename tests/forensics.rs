//! `reproduce --forensics` end to end on a small synthetic data set: one distilled student per
//! source and cell sharing the baselines, each cell's stopping rule visible in its records, the
//! FLOP counts in every trained record, the forensic files written, and contradicting flags
//! refused.

mod common;

use common::{assert_clean_failure, kd_mlp, small_study_args, stderr, write_synthetic};
use std::path::Path;

fn reproduce(data: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let args = small_study_args(data, out, "1", "1", extra);
    kd_mlp(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn record(out: &Path, key: &str) -> serde_json::Value {
    let path = out.join("records").join(format!("{key}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn the_matrix_shares_its_baselines_and_each_cell_stops_by_its_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 600, 200);
    let out = tmp.path().join("forensics");
    let run = reproduce(&data, &out, &["--forensics"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let records: Vec<_> = std::fs::read_dir(out.join("records/rep00"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let distilled = records
        .iter()
        .filter(|f| f.starts_with("distilled"))
        .count();
    // 10 cells × 2 sources, on one teacher, one ensemble and one independent student
    assert_eq!(distilled, 20, "{records:?}");
    assert_eq!(records.iter().filter(|f| *f == "teacher.json").count(), 1);
    // T and α are the first of the lists: T = 2, α = 0.1
    let fixed = record(&out, "rep00/distilled-teacher-logits-T2-a0.1-ep3");
    assert_eq!(fixed["epochs"].as_array().unwrap().len(), 3);
    assert_eq!(fixed["best_epoch"], 3);
    assert_eq!(fixed["distill"]["stopping"]["epochs"], 3);
    let combined = record(
        &out,
        "rep00/distilled-ensemble-double-softmax-T2-a0.1-mon-combined",
    );
    assert!(combined["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["val_objective_loss"].is_f64()));
    // the protocol's cells look exactly like the default study's records
    let protocol = record(&out, "rep00/distilled-teacher-probabilities-T2-a0.1");
    assert!(protocol["distill"].get("stopping").is_none());
    assert!(protocol["epochs"][0].get("val_objective_loss").is_none());
    // every trained model has its FLOPs, a distilled one also its soft-target pass
    assert!(protocol["train_flops"].as_f64().unwrap() > 0.0);
    assert!(protocol["soft_target_flops"].as_f64().unwrap() > 0.0);
    assert!(record(&out, "rep00/teacher")["soft_target_flops"].is_null());
    for file in [
        "forensics.md",
        "forensics.csv",
        "forensics.json",
        "figures/forensics.svg",
        "figures/compute.svg",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let md = std::fs::read_to_string(out.join("forensics.md")).unwrap();
    assert!(md.contains("3 epochs, last weights") && md.contains("2.89"));
    let table = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(table.contains("## Compute"), "{table}");
}

#[test]
fn contradicting_stopping_flags_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 600, 200);
    let out = tmp.path().join("out");
    let run = reproduce(&data, &out, &["--forensics", "--distill-epochs", "3"]);
    assert_clean_failure(&run, "--forensics runs its own matrix");
    let run = reproduce(
        &data,
        &out,
        &["--distill-epochs", "3", "--distill-monitor", "combined"],
    );
    assert_clean_failure(&run, "cannot be combined");
    let run = reproduce(&data, &out, &["--distill-min-delta", "-1"]);
    assert_clean_failure(&run, "--distill-min-delta must be a number >= 0");
    let run = reproduce(&data, &out, &["--min-delta", "nan"]);
    assert_clean_failure(&run, "--min-delta must be a number >= 0");
}
