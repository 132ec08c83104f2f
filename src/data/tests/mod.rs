//! The data set and the split, against buffers and files written by the tests; reading a folder
//! is in `folder`.

use super::*;
use crate::data::idx::{encode_idx, gzip, IdxArray, IdxData};
use std::fs;
use std::path::Path;

fn u8_array(dims: &[usize], fill: impl Fn(usize) -> u8) -> IdxArray {
    let n = dims.iter().product();
    IdxArray {
        dims: dims.to_vec(),
        data: IdxData::U8((0..n).map(fill).collect()),
    }
}

/// Writes a small MNIST-like folder: `n_train` and `n_test` images of
/// `rows x cols`, labels `i % 10`, the label files gzipped.
fn write_set(dir: &Path, n_train: usize, n_test: usize, rows: usize, cols: usize) {
    let sets = [(n_train, 0), (n_test, 2)];
    for (n, first) in sets {
        let images = u8_array(&[n, rows, cols], |i| (i % 256) as u8);
        let labels = u8_array(&[n], |i| (i % 10) as u8);
        fs::write(dir.join(MNIST_FILES[first]), encode_idx(&images)).unwrap();
        fs::write(
            dir.join(format!("{}.gz", MNIST_FILES[first + 1])),
            gzip(&encode_idx(&labels)),
        )
        .unwrap();
    }
}

fn load_err(dir: &Path) -> DataError {
    load_dir(dir).expect_err("should fail")
}

#[test]
fn new_and_accessors() {
    let images: Vec<u8> = (0..12).collect();
    let d = Dataset::new(images.clone(), vec![2, 0, 2], 2, 2, 3).unwrap();
    assert_eq!(d.len(), 3);
    assert!(!d.is_empty());
    assert_eq!((d.rows(), d.cols(), d.pixels(), d.classes()), (2, 2, 4, 3));
    assert_eq!(d.image(1), &[4, 5, 6, 7]);
    assert_eq!(d.label(2), 2);
    assert_eq!(d.images(), images.as_slice());
    assert_eq!(d.labels(), &[2, 0, 2]);
    assert_eq!(d.label_counts(), vec![1, 0, 2]);

    let empty = Dataset::new(vec![], vec![], 28, 28, 10).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.label_counts(), vec![0; 10]);
}

#[test]
fn new_rejects_bad_buffers() {
    assert!(matches!(
        Dataset::new(vec![0; 8], vec![0, 0, 0], 2, 2, 10),
        Err(DataError::CountMismatch {
            images: 2,
            labels: 3,
            ..
        })
    ));
    assert!(matches!(
        Dataset::new(vec![0; 7], vec![0, 0], 2, 2, 10),
        Err(DataError::PartialImage {
            len: 7,
            pixels: 4,
            ..
        })
    ));
    assert!(matches!(
        Dataset::new(vec![], vec![], 0, 28, 10),
        Err(DataError::BadImageShape { rows: 0, .. })
    ));
    assert!(matches!(
        Dataset::new(vec![], vec![], usize::MAX, 2, 10),
        Err(DataError::BadImageShape { .. })
    ));
    assert!(matches!(
        Dataset::new(vec![0; 4], vec![0], 2, 2, 0),
        Err(DataError::NoClasses { .. })
    ));
    assert!(matches!(
        Dataset::new(vec![0; 8], vec![9, 10], 2, 2, 10),
        Err(DataError::LabelOutOfRange {
            index: 1,
            label: 10,
            classes: 10,
            ..
        })
    ));
}

#[test]
fn from_idx_checks_shapes_and_types() {
    let images = u8_array(&[3, 2, 2], |i| i as u8);
    let labels = u8_array(&[3], |i| i as u8);
    let d = Dataset::from_idx(images.clone(), labels.clone(), "im", "lb", 10).unwrap();
    assert_eq!(d.image(2), &[8, 9, 10, 11]);

    let flat = u8_array(&[3, 4], |_| 0);
    let err = Dataset::from_idx(flat, labels.clone(), "im", "lb", 10).unwrap_err();
    assert!(matches!(&err, DataError::NotImages { name, dims } if name == "im" && dims == &[3, 4]));
    assert!(err.to_string().starts_with("im: "));

    let labels_2d = u8_array(&[3, 1], |_| 0);
    let err = Dataset::from_idx(images.clone(), labels_2d, "im", "lb", 10).unwrap_err();
    assert!(matches!(err, DataError::NotLabels { name, .. } if name == "lb"));

    let float_images = IdxArray {
        dims: vec![3, 2, 2],
        data: IdxData::F32(vec![0.0; 12]),
    };
    let err = Dataset::from_idx(float_images, labels.clone(), "im", "lb", 10).unwrap_err();
    assert!(matches!(err, DataError::NotU8 { name, found: "f32" } if name == "im"));

    let int_labels = IdxArray {
        dims: vec![3],
        data: IdxData::I32(vec![0; 3]),
    };
    let err = Dataset::from_idx(images.clone(), int_labels, "im", "lb", 10).unwrap_err();
    assert!(matches!(err, DataError::NotU8 { name, found: "i32" } if name == "lb"));

    let four_labels = u8_array(&[4], |_| 0);
    let err = Dataset::from_idx(images.clone(), four_labels, "im", "lb", 10).unwrap_err();
    assert!(matches!(
        err,
        DataError::CountMismatch {
            images: 3,
            labels: 4,
            ..
        }
    ));
    assert_eq!(err.to_string(), "im holds 3 images but lb holds 4 labels");

    let err = Dataset::from_idx(images, labels, "im", "lb", 2).unwrap_err();
    assert!(matches!(
        err,
        DataError::LabelOutOfRange {
            index: 2,
            label: 2,
            classes: 2,
            ..
        }
    ));
    assert!(err.to_string().starts_with("lb: label 2 at index 2"));
}

#[test]
fn validation_split_takes_the_tail() {
    assert_eq!(validation_split(60_000, 0.1), (0..54_000, 54_000..60_000));
    assert_eq!(validation_split(10, 0.0), (0..10, 10..10));
    assert_eq!(validation_split(10, 1.0), (0..0, 0..10));
    assert_eq!(validation_split(10, 0.25), (0..7, 7..10)); // 2.5 rounds to 3
    assert_eq!(validation_split(10, 2.0), (0..0, 0..10));
    assert_eq!(validation_split(10, -1.0), (0..10, 10..10));
    assert_eq!(validation_split(10, f64::NAN), (0..10, 10..10));
    assert_eq!(validation_split(0, 0.1), (0..0, 0..0));
}

mod folder;
