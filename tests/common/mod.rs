//! Helpers shared by the integration tests: a synthetic IDX data set and the binary.

#![allow(dead_code)] // each test file uses its own subset

use kd_mlp::data::idx::{encode_idx, gzip, IdxArray, IdxData};
use std::path::Path;
use std::process::{Command, Output};

/// The captured stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a failed run with a one-line message containing `needle` and no panic.
pub fn assert_clean_failure(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(err.contains(needle), "stderr lacks '{needle}': {err}");
    assert_eq!(err.trim().lines().count(), 1, "more than one line: {err}");
}

/// The `kd-mlp` binary as a command, started through `KD_MLP_TEST_RUNNER` where that is set:
/// `.ci/arm-check` runs the aarch64 tests under `qemu-aarch64`, and a program they start must
/// go through it too (without binfmt_misc the kernel cannot start an aarch64 file itself).
pub fn binary() -> Command {
    match std::env::var_os("KD_MLP_TEST_RUNNER") {
        Some(runner) => {
            let mut command = Command::new(runner);
            command.arg(env!("CARGO_BIN_EXE_kd-mlp"));
            command
        }
        None => Command::new(env!("CARGO_BIN_EXE_kd-mlp")),
    }
}

/// Runs the `kd-mlp` binary with `args`.
pub fn kd_mlp(args: &[&str]) -> Output {
    binary().args(args).output().expect("the binary runs")
}

/// The one JSON object a successful run printed on stdout (the run's stderr if it failed).
pub fn json_of(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "stderr: {}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

/// Writes a learnable data set (labels 0..3, so 4 classes) of `side`×`side` images: class c lights up one quadrant,
/// with deterministic noise. Training files gzipped, test files raw (both must load).
pub fn write_synthetic(dir: &Path, side: usize, train: usize, test: usize) {
    let make = |n: usize, salt: usize| {
        let mut images = Vec::with_capacity(n * side * side);
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            let class = (i * 7 + salt) % 4;
            labels.push(class as u8);
            for r in 0..side {
                for c in 0..side {
                    let quadrant = 2 * usize::from(r >= side / 2) + usize::from(c >= side / 2);
                    let noise = (i * 31 + r * 17 + c * 13 + salt) % 97;
                    let v = if quadrant == class {
                        160 + noise
                    } else {
                        noise
                    };
                    images.push(v as u8);
                }
            }
        }
        let images = IdxArray {
            dims: vec![n, side, side],
            data: IdxData::U8(images),
        };
        let labels = IdxArray {
            dims: vec![n],
            data: IdxData::U8(labels),
        };
        (encode_idx(&images), encode_idx(&labels))
    };
    let (train_images, train_labels) = make(train, 0);
    let (test_images, test_labels) = make(test, 3);
    std::fs::write(dir.join("train-images-idx3-ubyte.gz"), gzip(&train_images)).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte.gz"), gzip(&train_labels)).unwrap();
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), test_images).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), test_labels).unwrap();
}

/// The arguments of a small `reproduce` run on `data` into `out`: `reps` repetitions, an
/// ensemble of 2, teacher 32-16 and student 8 hidden units, both modes at T = 2 and two alphas,
/// at most 3 epochs per model; `extra` is appended.
pub fn small_study_args(
    data: &Path,
    out: &Path,
    threads: &str,
    reps: &str,
    extra: &[&str],
) -> Vec<String> {
    let mut args: Vec<String> = [
        "--threads",
        threads,
        "reproduce",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--reps",
        reps,
        "--ensemble-size",
        "2",
        "--teacher-arch",
        "32,16",
        "--student-arch",
        "8",
        "--epochs-max",
        "3",
        "--alphas",
        "0.1,0.5",
        "--temperatures",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The record files under `out/records` (only `*.json`, as the results store reads them).
pub fn record_files(out: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![out.join("records")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every record of a results folder with its timings removed, by key: what two runs of the
/// same protocol must agree on.
pub fn study_records_without_timings(
    out: &Path,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    let mut records = std::collections::BTreeMap::new();
    for path in record_files(out) {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        v["train_seconds"] = 0.into();
        v["wall_seconds"] = 0.into();
        for e in v["epochs"].as_array_mut().unwrap() {
            for k in ["seconds", "samples_per_s", "val_seconds"] {
                e[k] = 0.into();
            }
        }
        records.insert(v["key"].as_str().unwrap().to_string(), v);
    }
    records
}
