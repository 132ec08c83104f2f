//! `kd-mlp show` and `kd-mlp gradcheck --model ... --dump ...` on a synthetic data set.

mod common;

use common::{assert_clean_failure, kd_mlp, write_synthetic};
use kd_mlp::persist::checkpoint;
use kd_mlp::Mlp;
use safetensors::SafeTensors;

/// A folder with 4x4 synthetic data, a random student and a random teacher.
fn setup() -> (tempfile::TempDir, [String; 3]) {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic(dir.path(), 4, 40, 12);
    let path = |name: &str| dir.path().join(name).display().to_string();
    for (name, seed) in [("student.safetensors", 1), ("teacher.safetensors", 2)] {
        let m = Mlp::<f32>::glorot(&[16, 5, 10], seed).unwrap();
        checkpoint::save(&m, &dir.path().join(name), &[]).unwrap();
    }
    let paths = [
        path(""),
        path("student.safetensors"),
        path("teacher.safetensors"),
    ];
    (dir, paths)
}

#[test]
fn show_draws_the_digit_beside_probabilities_and_soft_targets() {
    let (_dir, [data, student, teacher]) = setup();
    let args = ["show", &student, "--index", "3", "--data", &data];
    let out = kd_mlp(&[&args[..], &["--teacher", &teacher, "--temperature", "4"]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("test image 3 of 12, label"), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(": probabilities"))
            .count(),
        1
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("soft targets at T = 4"))
            .count(),
        2
    );
    // One bar per class in each of the three blocks, the largest marked.
    assert_eq!(
        text.lines().filter(|l| l.contains("| 0.")).count(),
        30,
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.ends_with(" <")).count(),
        3,
        "{text}"
    );
    assert_clean_failure(
        &kd_mlp(&["show", &student, "--index", "12", "--data", &data]),
        "out of range",
    );
}

#[test]
fn gradcheck_dumps_a_models_gradient_or_fails_cleanly() {
    let (dir, [data, student, teacher]) = setup();
    let dump = dir.path().join("grads.safetensors").display().to_string();
    let out = kd_mlp(&[
        "gradcheck",
        "--model",
        &student,
        "--samples",
        "2..6",
        "--teacher",
        &teacher,
        "--mode",
        "probabilities",
        "--alpha",
        "0.2",
        "--temperature",
        "3",
        "--data",
        &data,
        "--dump",
        &dump,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&dump).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(file.tensor("inputs").unwrap().shape(), &[4, 16]);
    assert_eq!(
        file.tensor("grad.f64.dense.0.weight").unwrap().shape(),
        &[16, 5]
    );
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["loss"], "distill-probabilities");
    assert_eq!(
        (meta["model"].as_str(), meta["teacher"].as_str()),
        (student.as_str(), teacher.as_str())
    );
    let bad = kd_mlp(&[
        "gradcheck",
        "--model",
        &student,
        "--samples",
        "6..2",
        "--data",
        &data,
        "--dump",
        &dump,
    ]);
    assert_clean_failure(&bad, "bad --samples");
    let beyond = kd_mlp(&[
        "gradcheck",
        "--model",
        &student,
        "--samples",
        "0..13",
        "--data",
        &data,
        "--dump",
        &dump,
    ]);
    assert_clean_failure(&beyond, "do not lie in the 12 samples");
}
