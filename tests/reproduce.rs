//! The study end to end on a small synthetic IDX data set: the same records for any thread
//! count, a run that resumes after losing records, and bad input refused before anything in
//! the results folder is touched.

mod common;

use common::{
    assert_clean_failure, json_of, kd_mlp, small_study_args, stderr, study_records_without_timings,
    write_synthetic,
};
use std::path::Path;

/// A tiny study (see `small_study_args`) run by the binary.
fn reproduce(
    data: &Path,
    out: &Path,
    threads: &str,
    reps: &str,
    extra: &[&str],
) -> std::process::Output {
    let args = small_study_args(data, out, threads, reps, extra);
    kd_mlp(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn same_records_for_one_and_two_threads_and_a_full_report() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 600, 200);
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let out = reproduce(&data, &one, "1", "2", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = reproduce(&data, &two, "2", "2", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (
        study_records_without_timings(&one),
        study_records_without_timings(&two),
    );
    // per repetition: teacher, 2 members, ensemble, independent, 2 sources × 2 modes × 2 alphas
    assert_eq!(a.len(), 2 * (1 + 2 + 1 + 1 + 8));
    assert_eq!(a, b, "records differ between 1 and 2 threads");
    // the paired design: every student of a repetition has the same seed
    for rep in ["rep00", "rep01"] {
        let seed = &a[&format!("{rep}/independent")]["seed"];
        let students = a
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{rep}/distilled")));
        assert!(
            students.clone().count() == 8 && students.into_iter().all(|(_, v)| &v["seed"] == seed)
        );
    }
    for file in [
        "table.md",
        "table.csv",
        "summary.json",
        "figure.svg",
        "speed.json",
    ] {
        assert!(one.join(file).exists(), "{file} missing");
    }
    let table = std::fs::read_to_string(one.join("table.md")).unwrap();
    assert!(
        table.contains("2.26"),
        "the paper's values are in the table"
    );
}

#[test]
fn resumes_after_losing_records_and_names_a_corrupt_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 600, 200);
    let out_dir = tmp.path().join("study");
    let out = reproduce(&data, &out_dir, "2", "2", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let complete = study_records_without_timings(&out_dir);

    // as if killed mid-run: the teacher of repetition 1 and some students never finished
    for key in [
        "rep01/teacher",
        "rep00/distilled-teacher-logits-T2-a0.5",
        "rep01/independent",
    ] {
        std::fs::remove_file(out_dir.join("records").join(format!("{key}.json"))).unwrap();
    }
    let kept = std::fs::read(out_dir.join("records/rep00/teacher.json")).unwrap();
    let out = reproduce(&data, &out_dir, "2", "2", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(study_records_without_timings(&out_dir), complete);
    // what was done is not redone: the record of a finished model is untouched, timings and all
    assert_eq!(
        std::fs::read(out_dir.join("records/rep00/teacher.json")).unwrap(),
        kept
    );

    std::fs::write(out_dir.join("records/rep00/member01.json"), b"{ truncated").unwrap();
    let out = reproduce(&data, &out_dir, "2", "2", &[]);
    assert_clean_failure(&out, "member01.json");
}

#[test]
fn bad_input_is_refused_and_the_folder_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 400, 100);
    let out_dir = tmp.path().join("study");
    let out = reproduce(&data, &out_dir, "2", "1", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = study_records_without_timings(&out_dir);

    // a folder another run holds: refused at once, untouched; free again once released
    let held = kd_mlp::persist::FolderLock::acquire(&out_dir).unwrap();
    let out = reproduce(&data, &out_dir, "2", "1", &[]);
    assert_clean_failure(&out, "in use by another kd-mlp run");
    assert_eq!(study_records_without_timings(&out_dir), before);
    drop(held);
    let out = reproduce(&data, &out_dir, "2", "1", &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    // a different protocol in the same folder: refused, nothing overwritten
    let out = reproduce(&data, &out_dir, "2", "1", &["--seed", "77"]);
    assert_clean_failure(&out, "different protocol");
    assert_eq!(study_records_without_timings(&out_dir), before);

    let d = data.to_str().unwrap();
    let o = out_dir.to_str().unwrap();
    assert_clean_failure(
        &kd_mlp(&["reproduce", "--data", d, "--out", o, "--alphas", "1.5"]),
        "alpha",
    );
    assert_clean_failure(
        &kd_mlp(&["reproduce", "--data", d, "--out", o, "--temperatures", "0"]),
        "temperature",
    );
    let out = kd_mlp(&["reproduce", "--data", d, "--out", o, "--modes", "soft"]);
    assert!(!out.status.success() && !stderr(&out).contains("panicked"));

    // distill: a teacher file that is not a model; an ensemble of models with different outputs
    let junk = tmp.path().join("junk.safetensors");
    std::fs::write(&junk, b"junk").unwrap();
    assert_clean_failure(
        &kd_mlp(&["distill", "--data", d, "--teacher", junk.to_str().unwrap()]),
        "junk.safetensors",
    );
    let teacher = out_dir.join("models/rep00/teacher.safetensors");
    let other = tmp.path().join("twelve-outputs.safetensors");
    let mlp = kd_mlp::engine::mlp::Mlp::<f32>::glorot(&[64, 4, 12], 1).unwrap();
    kd_mlp::persist::checkpoint::save(&mlp, &other, &[]).unwrap();
    let both = format!("{},{}", teacher.display(), other.display());
    assert_clean_failure(
        &kd_mlp(&["distill", "--data", d, "--teacher", &both]),
        "member 1",
    );
    assert_clean_failure(
        &kd_mlp(&[
            "distill",
            "--data",
            d,
            "--teacher",
            teacher.to_str().unwrap(),
            "--alpha",
            "-0.5",
        ]),
        "alpha",
    );
}

#[test]
fn distill_trains_a_student_from_a_saved_ensemble() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 600, 200);
    let d = data.to_str().unwrap();
    let mut members = Vec::new();
    for seed in ["1", "2"] {
        let path = tmp.path().join(format!("m{seed}.safetensors"));
        let out = kd_mlp(&[
            "train",
            "--data",
            d,
            "--arch",
            "16",
            "--seed",
            seed,
            "--epochs-max",
            "3",
            "--out",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        members.push(path.display().to_string());
    }
    let teachers = members.join(",");
    // a student of one hidden layer of 8, at most 20 epochs, from both members
    let distill = |student: &Path, flags: &[&str]| {
        let student = student.to_str().unwrap();
        let mut args = vec!["distill", "--data", d, "--teacher", &teachers];
        args.extend_from_slice(flags);
        args.extend([
            "--arch",
            "8",
            "--epochs-max",
            "20",
            "--out",
            student,
            "--json",
        ]);
        json_of(&kd_mlp(&args))
    };
    let student = tmp.path().join("student.safetensors");
    let record = distill(
        &student,
        &[
            "--alpha",
            "0.5",
            "--temperature",
            "4",
            "--soft-targets",
            "probabilities",
        ],
    );
    assert_eq!(record["arch"], serde_json::json!([64, 8, 4]));
    // well under chance (75 % error on the four quadrant classes)
    assert!(record["test_error"].as_f64().unwrap() < 0.3, "{record}");
    assert!(student.exists());

    // --distill-epochs: exactly that many epochs, early stopping off (patience 1 would stop a
    // plateau), and the last epoch's weights are the ones saved and evaluated
    let fixed = tmp.path().join("fixed.safetensors");
    let record = distill(&fixed, &["--patience", "1", "--distill-epochs", "3"]);
    assert_eq!(record["epochs"].as_array().unwrap().len(), 3, "{record}");
    assert_eq!(record["best_epoch"], 3, "{record}");
    assert_eq!(record["stopped_early"], false, "{record}");
    let eval = json_of(&kd_mlp(&[
        "eval",
        fixed.to_str().unwrap(),
        "--data",
        d,
        "--json",
    ]));
    assert_eq!(eval["test_error"], record["test_error"]);
}

#[test]
fn shards_merge_into_the_unsharded_report() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 400, 100);
    let whole = tmp.path().join("whole");
    let out = reproduce(&data, &whole, "2", "3", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut shard_dirs = Vec::new();
    for shard in ["1/2", "2/2"] {
        let dir = tmp.path().join(format!("shard{}", &shard[..1]));
        let out = reproduce(&data, &dir, "1", "3", &["--shard", shard]);
        assert!(out.status.success(), "{}", stderr(&out));
        shard_dirs.push(dir);
    }
    // shard 1 of 2 trains repetitions 0 and 2, shard 2 repetition 1
    let first = study_records_without_timings(&shard_dirs[0]);
    assert!(first
        .keys()
        .all(|k| k.starts_with("rep00") || k.starts_with("rep02")));
    let mut union = first;
    union.extend(study_records_without_timings(&shard_dirs[1]));
    assert_eq!(union, study_records_without_timings(&whole));

    let merged = tmp.path().join("merged");
    let (a, b) = (
        shard_dirs[0].to_str().unwrap(),
        shard_dirs[1].to_str().unwrap(),
    );
    let out = kd_mlp(&[
        "report",
        a,
        b,
        "--out",
        merged.to_str().unwrap(),
        "--temperature",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kd_mlp(&["report", whole.to_str().unwrap(), "--temperature", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // the statistics are the same (the size/speed timings are measured anew, so table.md is not)
    let csv = |dir: &Path| std::fs::read_to_string(dir.join("table.csv")).unwrap();
    assert_eq!(csv(&merged), csv(&whole));

    assert_clean_failure(
        &kd_mlp(&[
            "reproduce",
            "--data",
            data.to_str().unwrap(),
            "--shard",
            "3/2",
        ]),
        "--shard",
    );
}

#[test]
fn report_with_the_data_redraws_every_figure_reproduce_drew() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 400, 100);
    let dir = tmp.path().join("study");
    let out = reproduce(&data, &dir, "2", "2", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let figures = |dir: &Path| {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("figures"))
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let page = |dir: &Path| std::fs::read_to_string(dir.join("report.html")).unwrap();
    let (drawn, drawn_page) = (figures(&dir), page(&dir));
    let names: Vec<&str> = drawn.iter().map(|(n, _)| n.as_str()).collect();
    for needs_data in ["dark-knowledge.svg", "confusion.svg"] {
        assert!(names.contains(&needs_data), "{needs_data} not in {names:?}");
    }

    // From the records and models alone, the figures that need the test data are notes.
    let d = dir.to_str().unwrap();
    let out = kd_mlp(&["report", d]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dir.join("figures/confusion.svg").exists());
    assert!(page(&dir).contains("--data DATA"));

    // With the data, the same figures and the same page as `reproduce` wrote, byte for byte.
    let out = kd_mlp(&["report", d, "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = figures(&dir);
    let names_again: Vec<&str> = again.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names_again, names);
    for ((name, a), (_, b)) in again.iter().zip(&drawn) {
        assert!(a == b, "figures/{name} differs from reproduce's");
    }
    assert_eq!(page(&dir), drawn_page);

    // Another data set is refused before anything is written.
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    write_synthetic(&other, 8, 300, 100);
    std::fs::remove_file(dir.join("report.html")).unwrap();
    assert_clean_failure(
        &kd_mlp(&["report", d, "--data", other.to_str().unwrap()]),
        "not the data of the study",
    );
    assert!(!dir.join("report.html").exists());
}
