//! Data sets other than MNIST, written by the tests: EMNIST-style letters (26 classes labelled
//! 1..26 under EMNIST's file names), 47 classes, non-square images, and a test set of another
//! image size; trained, evaluated, inspected and studied through the binary.

mod common;

use common::{assert_clean_failure, json_of, kd_mlp, stderr};
use kd_mlp::data::idx::{encode_idx, gzip, IdxArray, IdxData};
use serde_json::Value;
use std::path::Path;

const LETTERS: [&str; 4] = [
    "emnist-letters-train-images-idx3-ubyte.gz",
    "emnist-letters-train-labels-idx1-ubyte.gz",
    "emnist-letters-test-images-idx3-ubyte.gz",
    "emnist-letters-test-labels-idx1-ubyte.gz",
];

/// `n` images of `rows`×`cols` with labels `first..first + classes`, cycling: class k lights
/// cell k of a grid over the image (as many cells as classes) a little (+70) over deterministic
/// noise (0..100), so a model has to average a cell's pixels to tell the classes apart.
fn images_and_labels(
    n: usize,
    (rows, cols): (usize, usize),
    first: u8,
    classes: usize,
    salt: usize,
) -> (Vec<u8>, Vec<u8>) {
    let grid_cols = (classes as f64).sqrt().ceil() as usize;
    let grid_rows = classes.div_ceil(grid_cols);
    let mut images = Vec::with_capacity(n * rows * cols);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let k = (i * 7 + salt) % classes;
        labels.push(first + k as u8);
        for r in 0..rows {
            for c in 0..cols {
                let cell = (r * grid_rows / rows) * grid_cols + c * grid_cols / cols;
                // a multiplicative hash: noise that a pixel's neighbours do not share
                let h = (i * 7919 + r * 131 + c * 31 + salt).wrapping_mul(2_654_435_761);
                let noise = (h >> 16) % 100;
                images.push(if cell == k { 70 + noise } else { noise } as u8);
            }
        }
    }
    (images, labels)
}

/// Writes a training and a test set under `names` (gzipped).
fn write_set(
    dir: &Path,
    names: [&str; 4],
    (first, classes): (u8, usize),
    (train, test): (usize, usize),
    train_size: (usize, usize),
    test_size: (usize, usize),
) {
    for (k, (n, size, salt)) in [(train, train_size, 0), (test, test_size, 3)]
        .into_iter()
        .enumerate()
    {
        let (images, labels) = images_and_labels(n, size, first, classes, salt);
        let images = IdxArray {
            dims: vec![n, size.0, size.1],
            data: IdxData::U8(images),
        };
        let labels = IdxArray {
            dims: vec![n],
            data: IdxData::U8(labels),
        };
        std::fs::write(dir.join(names[2 * k]), gzip(&encode_idx(&images))).unwrap();
        std::fs::write(dir.join(names[2 * k + 1]), gzip(&encode_idx(&labels))).unwrap();
    }
}

/// Trains a student (one hidden layer of 64) on `dir`; returns its JSON record and stderr.
fn train(dir: &Path, model: &Path) -> (Value, String) {
    let out = kd_mlp(&[
        "train",
        "--data",
        dir.to_str().unwrap(),
        "--arch",
        "64",
        "--epochs-max",
        "15",
        "--out",
        model.to_str().unwrap(),
        "--json",
    ]);
    (json_of(&out), stderr(&out))
}

#[test]
fn letters_26_classes_under_emnist_names_train_evaluate_and_inspect() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("letters");
    std::fs::create_dir(&data).unwrap();
    write_set(&data, LETTERS, (1, 26), (2600, 520), (28, 28), (28, 28));
    let model = tmp.path().join("student.safetensors");
    let (record, err) = train(&data, &model);
    assert_eq!(record["arch"], serde_json::json!([784, 64, 27]));
    let test_error = record["test_error"].as_f64().unwrap();
    println!("26-class letters, student 784-64-27: test error {test_error}");
    assert!(
        test_error < 0.05,
        "test error {test_error}; chance is 1 - 1/26"
    );
    // class 0 has no example: said once, on stderr, and it is not an error
    assert_eq!(err.matches("no training example").count(), 1, "{err}");
    assert!(err.contains("1 of the 27 classes"), "{err}");

    let (_, meta) = kd_mlp::persist::checkpoint::load::<f32>(&model).unwrap();
    assert_eq!(meta["classes"], "27");

    let eval = json_of(&kd_mlp(&[
        "eval",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--json",
    ]));
    let confusion = eval["confusion"].as_array().unwrap();
    assert_eq!(confusion.len(), 27);
    assert!(confusion
        .iter()
        .all(|row| row.as_array().unwrap().len() == 27));
    assert_eq!(eval["test_error"], record["test_error"]);

    let inspect = json_of(&kd_mlp(&["inspect", data.to_str().unwrap(), "--json"]));
    assert_eq!(inspect["classes"], 27);
    assert_eq!(inspect["files"][3]["compression"], "gzip");
    assert_eq!(
        inspect["files"][0]["dims"],
        serde_json::json!([2600, 28, 28])
    );
    let train_hist = inspect["train"]["histogram"].as_array().unwrap();
    assert_eq!(train_hist.len(), 27);
    assert_eq!(
        (train_hist[0].as_u64(), train_hist[1].as_u64()),
        (Some(0), Some(100))
    );
    assert_eq!(
        inspect["validation"]["validation"],
        serde_json::json!([2340, 2600])
    );
    let warnings = inspect["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0]
        .as_str()
        .unwrap()
        .contains("no training example"));
    let text = kd_mlp(&["inspect", data.to_str().unwrap()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("classes: 27 (the largest training label + 1)"),
        "{text}"
    );
    assert!(
        text.contains("emnist-letters-test-labels-idx1-ubyte.gz  gzip, u8 [520]"),
        "{text}"
    );

    // explicit paths override the folder: the test files named one by one, from elsewhere
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    for name in &LETTERS[2..] {
        std::fs::rename(data.join(name), elsewhere.join(name)).unwrap();
    }
    assert_clean_failure(
        &kd_mlp(&[
            "eval",
            model.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ]),
        "*t10k-images* or *test-images*",
    );
    let eval = json_of(&kd_mlp(&[
        "eval",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--test-images",
        elsewhere.join(LETTERS[2]).to_str().unwrap(),
        "--test-labels",
        elsewhere.join(LETTERS[3]).to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(eval["test_error"], record["test_error"]);
}

#[test]
fn balanced_47_classes_and_non_square_images() {
    let tmp = tempfile::tempdir().unwrap();
    let names = [
        "emnist-balanced-train-images-idx3-ubyte",
        "emnist-balanced-train-labels-idx1-ubyte",
        "emnist-balanced-test-images-idx3-ubyte",
        "emnist-balanced-test-labels-idx1-ubyte",
    ];
    let balanced = tmp.path().join("balanced");
    std::fs::create_dir(&balanced).unwrap();
    write_set(&balanced, names, (0, 47), (2350, 470), (28, 28), (28, 28));
    let (record, err) = train(&balanced, &tmp.path().join("b.safetensors"));
    assert_eq!(record["arch"], serde_json::json!([784, 64, 47]));
    assert!(!err.contains("no training example"), "{err}");
    let e = record["test_error"].as_f64().unwrap();
    println!("47 classes, student 784-64-47: test error {e}");
    assert!(e < 0.1, "47 classes: test error {e}");

    let wide = tmp.path().join("wide");
    std::fs::create_dir(&wide).unwrap();
    write_set(&wide, LETTERS, (0, 26), (1300, 260), (20, 30), (20, 30));
    let (record, _) = train(&wide, &tmp.path().join("w.safetensors"));
    assert_eq!(record["arch"], serde_json::json!([600, 64, 26]));
    let e = record["test_error"].as_f64().unwrap();
    println!("20x30 images, 26 classes, student 600-64-26: test error {e}");
    assert!(e < 0.1, "20x30 images: test error {e}");
}

#[test]
fn a_test_set_of_another_image_size_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    write_set(tmp.path(), LETTERS, (1, 26), (260, 52), (28, 28), (20, 30));
    let dir = tmp.path().to_str().unwrap();
    let out = kd_mlp(&["train", "--data", dir, "--epochs-max", "1"]);
    assert_clean_failure(&out, "holds 28x28 images but");
    assert!(stderr(&out).contains("emnist-letters-test-images-idx3-ubyte.gz holds 20x30 images"));
    // inspect describes it as a warning instead
    let inspect = json_of(&kd_mlp(&["inspect", dir, "--json"]));
    let warnings = inspect["warnings"].to_string();
    assert!(warnings.contains("the test images are 20x30"), "{warnings}");
    // a test label beyond the training labels' classes names the file and the index
    let tmp2 = tempfile::tempdir().unwrap();
    write_set(tmp2.path(), LETTERS, (1, 26), (260, 52), (28, 28), (28, 28));
    let bad = IdxArray {
        dims: vec![52],
        data: IdxData::U8((0..52).map(|i| if i == 7 { 30 } else { 1 }).collect()),
    };
    std::fs::write(tmp2.path().join(LETTERS[3]), gzip(&encode_idx(&bad))).unwrap();
    let out = kd_mlp(&["train", "--data", tmp2.path().to_str().unwrap()]);
    assert_clean_failure(
        &out,
        "label 30 at index 7 is not below the number of classes, 27",
    );
    assert!(stderr(&out).contains(LETTERS[3]));
}

#[test]
fn a_quick_study_on_26_letters_reports_26_classes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("letters");
    std::fs::create_dir(&data).unwrap();
    write_set(&data, LETTERS, (1, 26), (1300, 260), (28, 28), (28, 28));
    let out = tmp.path().join("study");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "reproduce",
            "--quick",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--teacher-arch",
            "64,32",
            "--student-arch",
            "32",
            "--epochs-max",
            "8",
        ];
        args.extend_from_slice(extra);
        kd_mlp(&args)
    };
    let first = run(&[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let warnings = stderr(&first).matches("no training example").count();
    assert_eq!(warnings, 1, "the empty class is said once");
    let config: Value =
        serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["classes"], 27);
    let table = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(
        table.contains("Classes: 26 (27 outputs; no training example of 0)."),
        "{table}"
    );
    let figure = std::fs::read_to_string(out.join("figure.svg")).unwrap();
    assert!(figure.contains("(26 classes)"), "figure caption");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        (summary["classes"].as_u64(), &summary["empty_classes"]),
        (Some(27), &serde_json::json!([0]))
    );
    let independent = summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "independent")
        .unwrap()["summary"]["mean"]
        .as_f64()
        .unwrap();
    println!("26-class quick study: independent student mean test error {independent}");
    assert!(independent < 0.1, "{independent}");
    // the same folder with another class count is another study
    let again = run(&["--classes", "30"]);
    assert_clean_failure(&again, "classes: the folder has 27, this run 30");
}
