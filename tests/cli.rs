//! The command line end to end on small synthetic IDX data sets written by the tests: bad input
//! gives one line and a non-zero exit (never a panic), a run trains, saves and evaluates, and the
//! thread count does not change a single bit of the model.

mod common;

use common::{assert_clean_failure, json_of, kd_mlp, stderr, write_synthetic};
use std::path::Path;

#[test]
fn missing_data_folder_names_the_fetch_script() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nowhere");
    let out = kd_mlp(&["train", "--data", missing.to_str().unwrap()]);
    assert_clean_failure(&out, "scripts/fetch-mnist.sh");
}

#[test]
fn bad_flags_are_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    write_synthetic(tmp.path(), 8, 200, 40);
    let data = tmp.path().to_str().unwrap();
    assert_clean_failure(
        &kd_mlp(&["train", "--data", data, "--arch", "100,x"]),
        "bad hidden width",
    );
    assert_clean_failure(
        &kd_mlp(&["train", "--data", data, "--batch", "0"]),
        "batch size",
    );
    assert_clean_failure(
        &kd_mlp(&["train", "--data", data, "--validation-fraction", "1.5"]),
        "--validation-fraction",
    );
    assert_clean_failure(
        &kd_mlp(&["train", "--data", data, "--lr=-1"]),
        "learning rate",
    );
    // clap's own errors also end without a panic and with a non-zero code
    let out = kd_mlp(&["train", "--monitor", "nonsense"]);
    assert!(!out.status.success() && !stderr(&out).contains("panicked"));
}

#[test]
fn malformed_idx_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    write_synthetic(tmp.path(), 8, 200, 40);
    // cut the test images short
    let path = tmp.path().join("t10k-images-idx3-ubyte");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    let out = kd_mlp(&["train", "--data", tmp.path().to_str().unwrap()]);
    assert_clean_failure(&out, "t10k-images-idx3-ubyte");
}

#[test]
fn diverging_training_names_model_epoch_and_batch() {
    let tmp = tempfile::tempdir().unwrap();
    write_synthetic(tmp.path(), 8, 400, 40);
    let model = tmp.path().join("m.safetensors");
    let out = kd_mlp(&[
        "train",
        "--data",
        tmp.path().to_str().unwrap(),
        "--lr",
        "1e30",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert_clean_failure(&out, "diverged");
    assert!(stderr(&out).contains("epoch") && stderr(&out).contains("batch"));
    assert!(!model.exists(), "no model is saved from a diverged run");
}

/// Trains with the given thread count; returns the model file's bytes and the JSON record.
fn train_synthetic(data: &Path, out: &Path, threads: &str) -> (Vec<u8>, serde_json::Value) {
    let output = kd_mlp(&[
        "--threads",
        threads,
        "train",
        "--data",
        data.to_str().unwrap(),
        "--arch",
        "300,40",
        "--seed",
        "9",
        "--epochs-max",
        "4",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "train failed: {}", stderr(&output));
    let record: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    (std::fs::read(out).unwrap(), record)
}

#[test]
fn train_then_eval_and_identical_bytes_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    // 16×16 images and a 300-wide layer: large enough that the GEMMs and Adam really split
    write_synthetic(tmp.path(), 16, 1200, 300);
    let one = tmp.path().join("one.safetensors");
    let two = tmp.path().join("two.safetensors");
    let (bytes_one, record) = train_synthetic(tmp.path(), &one, "1");
    let (bytes_two, record_two) = train_synthetic(tmp.path(), &two, "2");
    assert!(
        bytes_one == bytes_two,
        "the model differs between 1 and 2 threads"
    );
    assert_eq!(
        record["epochs"][0]["train_loss"],
        record_two["epochs"][0]["train_loss"]
    );

    // labels 0..3: four classes, from the data
    assert_eq!(record["arch"], serde_json::json!([256, 300, 40, 4]));
    assert_eq!(record["seed"], 9);
    let epochs = record["epochs"].as_array().unwrap();
    assert!(!epochs.is_empty() && epochs.len() <= 4);
    for (i, e) in epochs.iter().enumerate() {
        assert_eq!(e["epoch"], i + 1);
        for key in [
            "train_loss",
            "val_loss",
            "val_error",
            "seconds",
            "samples_per_s",
        ] {
            assert!(e[key].as_f64().is_some(), "epoch record lacks {key}");
        }
    }
    // the quadrant task is easy: well under chance (75 % error)
    let test_error = record["test_error"].as_f64().unwrap();
    assert!(test_error < 0.05, "test error {test_error}");

    let out = kd_mlp(&[
        "eval",
        one.to_str().unwrap(),
        "--data",
        tmp.path().to_str().unwrap(),
        "--json",
    ]);
    let eval = json_of(&out);
    assert_eq!(eval["test_error"], record["test_error"]);
    let confusion: Vec<Vec<u64>> = serde_json::from_value(eval["confusion"].clone()).unwrap();
    assert_eq!(confusion.iter().flatten().sum::<u64>(), 300);
    assert_eq!(confusion.len(), 4);
    let wrong: u64 = (0..4)
        .map(|y| confusion[y].iter().sum::<u64>() - confusion[y][y])
        .sum();
    assert_eq!(wrong as f64 / 300.0, test_error);
}

#[test]
fn eval_rejects_foreign_and_mismatched_models() {
    let tmp = tempfile::tempdir().unwrap();
    write_synthetic(tmp.path(), 8, 300, 50);
    let data = tmp.path().to_str().unwrap();
    let junk = tmp.path().join("junk.safetensors");
    std::fs::write(&junk, b"not a model at all").unwrap();
    assert_clean_failure(
        &kd_mlp(&["eval", junk.to_str().unwrap(), "--data", data]),
        "junk.safetensors",
    );

    // a model for 8×8 images evaluated on 16×16 images
    let model = tmp.path().join("small.safetensors");
    let out = kd_mlp(&[
        "train",
        "--data",
        data,
        "--arch",
        "16",
        "--epochs-max",
        "1",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let other = tempfile::tempdir().unwrap();
    write_synthetic(other.path(), 16, 300, 50);
    let out = kd_mlp(&[
        "eval",
        model.to_str().unwrap(),
        "--data",
        other.path().to_str().unwrap(),
    ]);
    assert_clean_failure(&out, "64 inputs");
}
