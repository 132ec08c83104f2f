//! `reproduce --only teachers|students --shard I/N` on one shared folder, as the tasks of a job
//! array run it: the union of the parts has the records of one unsharded run, students refuse to
//! start without their teachers, a finished slice trains nothing, and a whole run on the finished
//! folder only writes the report.

mod common;

use common::{kd_mlp, small_study_args, stderr, study_records_without_timings, write_synthetic};
use std::path::Path;

fn reproduce(data: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let args = small_study_args(data, out, "1", "2", extra);
    kd_mlp(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn parts_on_one_folder_give_the_unsharded_records() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 400, 100);
    let whole = tmp.path().join("whole");
    let out = reproduce(&data, &whole, &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    let shared = tmp.path().join("shared");
    let early = reproduce(&data, &shared, &["--only", "students", "--shard", "1/3"]);
    assert!(!early.status.success(), "students need their teachers");
    assert!(
        stderr(&early).contains("rep00/") && stderr(&early).contains("--only teachers"),
        "{}",
        stderr(&early)
    );
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let out = reproduce(&data, &shared, &["--only", "teachers", "--shard", &shard]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    for i in 1..=7 {
        let shard = format!("{i}/7");
        let out = reproduce(&data, &shared, &["--only", "students", "--shard", &shard]);
        assert!(out.status.success(), "{}", stderr(&out));
        // progress: the count planned, each model numbered against it, the last one last
        let log = stderr(&out);
        let planned: usize = log
            .split("this part has ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no plan line in {log}"));
        let done: Vec<&str> = log.lines().filter(|l| l.starts_with("done rep")).collect();
        assert_eq!(done.len(), planned, "{log}");
        if planned > 0 {
            let last = format!("[{planned}/{planned} models, the last one]");
            assert!(done[planned - 1].ends_with(&last), "{log}");
            assert!(done[0].contains(&format!("[1/{planned} models")), "{log}");
        }
    }
    assert_eq!(
        study_records_without_timings(&shared),
        study_records_without_timings(&whole)
    );
    assert!(!shared.join("table.md").exists(), "a part writes no report");

    // a finished slice trains nothing
    let again = reproduce(&data, &shared, &["--only", "students", "--shard", "2/7"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let text = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(text.contains(", 0 trained now"), "{text}");
    assert!(stderr(&again).contains("this part has 0 models left to train"));

    // the whole run on the finished folder trains nothing and writes the report
    let out = reproduce(&data, &shared, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("done rep"), "{}", stderr(&out));
    assert!(shared.join("table.md").exists());
}
