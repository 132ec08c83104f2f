//! The same bits at every SIMD level: a network trained on hard labels and a student distilled
//! from it give byte-identical model files and records whether the kernels run at AVX-512, AVX2
//! or the portable baseline (every level this CPU has; `KD_MLP_SIMD` forces each), and a level
//! the CPU lacks, or a name that is no level, is a one-line error.

mod common;

use common::{assert_clean_failure, binary, stderr, write_synthetic};
use kd_mlp::engine::kernels::simd::Level;
use std::path::Path;
use std::process::Output;

/// Runs the binary with `KD_MLP_SIMD=level`.
fn at_level(level: &str, args: &[&str]) -> Output {
    binary()
        .env("KD_MLP_SIMD", level)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// The JSON record of a run, without its timings (which differ from run to run).
fn record_without_timings(out: &Output) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let timing = ["seconds", "samples_per_s", "val_seconds", "train_seconds"];
    let strip = |o: &mut serde_json::Map<String, serde_json::Value>| {
        for key in timing {
            o.remove(key);
        }
    };
    strip(v.as_object_mut().unwrap());
    for epoch in v["epochs"].as_array_mut().unwrap() {
        strip(epoch.as_object_mut().unwrap());
    }
    v.as_object_mut().unwrap().remove("model");
    v
}

/// Trains a teacher and distils a student from it at `level`; returns both model files' bytes
/// and both records.
fn train_and_distill(level: &str, data: &Path, dir: &Path) -> (Vec<u8>, Vec<u8>, String) {
    let teacher = dir.join(format!("teacher-{level}.safetensors"));
    let student = dir.join(format!("student-{level}.safetensors"));
    let data = data.to_str().unwrap();
    let train = at_level(
        level,
        &[
            "--threads",
            "2",
            "train",
            "--data",
            data,
            "--arch",
            "300,40",
            "--seed",
            "5",
            "--epochs-max",
            "2",
            "--out",
            teacher.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(
        train.status.success(),
        "{level}: train failed: {}",
        stderr(&train)
    );
    let distill = at_level(
        level,
        &[
            "--threads",
            "2",
            "distill",
            "--data",
            data,
            "--teacher",
            teacher.to_str().unwrap(),
            "--arch",
            "24",
            "--seed",
            "6",
            "--epochs-max",
            "2",
            "--alpha",
            "0.5",
            "--temperature",
            "4",
            "--soft-targets",
            "logits",
            "--out",
            student.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(
        distill.status.success(),
        "{level}: distill failed: {}",
        stderr(&distill)
    );
    let records = format!(
        "{}\n{}",
        record_without_timings(&train),
        record_without_timings(&distill)
    );
    (
        std::fs::read(&teacher).unwrap(),
        std::fs::read(&student).unwrap(),
        records,
    )
}

#[test]
fn every_level_trains_and_distils_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    // 16×16 images and a 300-wide layer: every product shape of the step, split over 2 threads
    write_synthetic(tmp.path(), 16, 1200, 300);
    let levels = Level::all_supported();
    assert!(levels.contains(&Level::Portable));
    let runs: Vec<_> = levels
        .iter()
        .map(|l| {
            (
                l.name(),
                train_and_distill(l.name(), tmp.path(), tmp.path()),
            )
        })
        .collect();
    let (first, reference) = &runs[0];
    for (name, run) in &runs[1..] {
        assert!(
            run.0 == reference.0,
            "teacher bytes differ: {first} vs {name}"
        );
        assert!(
            run.1 == reference.1,
            "student bytes differ: {first} vs {name}"
        );
        assert_eq!(run.2, reference.2, "records differ: {first} vs {name}");
    }
    // and the version line names the level in use
    let version = at_level(levels[0].name(), &["--version"]);
    let text = String::from_utf8_lossy(&version.stdout);
    assert!(
        text.contains(&format!("simd: {}", levels[0].name())),
        "{text}"
    );
}

#[test]
fn a_level_the_cpu_lacks_or_no_level_is_an_error() {
    let out = at_level("avx9000", &["gradcheck"]);
    assert_clean_failure(&out, "KD_MLP_SIMD=avx9000 is not a SIMD level");
    let missing = [Level::Avx512, Level::Avx2, Level::Neon]
        .into_iter()
        .find(|l| !l.supported());
    if let Some(level) = missing {
        let out = at_level(level.name(), &["gradcheck"]);
        assert_clean_failure(&out, "this CPU cannot run that level");
    }
}
