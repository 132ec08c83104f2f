//! Helpers shared by the integration tests: a synthetic IDX data set and the binary.

#![allow(dead_code)] // each test file uses its own subset

use kd_mlp::idx::{encode_idx, gzip, IdxArray, IdxData};
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

/// Runs the `kd-mlp` binary with `args`.
pub fn kd_mlp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kd-mlp"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Writes a learnable data set (labels 0..3 of the 10 MNIST classes) of `side`×`side` images: class c lights up one quadrant,
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
