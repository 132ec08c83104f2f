//! Reading a data folder: raw and gzip files, MNIST's and other names, bad or mismatched files,
//! the real MNIST when present, and `inspect`.

use super::*;

#[test]
fn load_dir_reads_raw_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), 20, 7, 3, 4);
    let m = load_dir(dir.path()).unwrap();
    assert_eq!((m.train.len(), m.test.len()), (20, 7));
    assert_eq!(
        (m.train.rows(), m.train.cols(), m.train.classes()),
        (3, 4, 10)
    );
    assert_eq!(m.train.label(13), 3);
    assert_eq!(m.test.image(1), &(12..24).collect::<Vec<u8>>()[..]);
}

#[test]
fn load_dir_prefers_raw_over_gzip() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), 20, 7, 3, 4);
    // A broken .gz beside the raw training images is never opened.
    fs::write(dir.path().join(format!("{}.gz", MNIST_FILES[0])), b"junk").unwrap();
    assert_eq!(load_dir(dir.path()).unwrap().train.len(), 20);
}

#[test]
fn missing_dir_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("nowhere");
    let err = load_err(&nowhere);
    assert!(matches!(&err, DataError::MissingDir { dir } if dir == &nowhere));
    let msg = err.to_string();
    assert!(msg.contains(&nowhere.display().to_string()));
    assert!(msg.contains("run scripts/fetch-mnist.sh"));

    write_set(dir.path(), 5, 5, 2, 2);
    fs::remove_file(dir.path().join(format!("{}.gz", MNIST_FILES[3]))).unwrap();
    let err = load_err(dir.path());
    assert!(matches!(&err, DataError::MissingFile { what, .. } if *what == "test labels"));
    let msg = err.to_string();
    assert!(msg.contains(MNIST_FILES[3]));
    assert!(msg.contains("run scripts/fetch-mnist.sh"));
}

#[test]
fn load_dir_reports_bad_files_by_name() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), 5, 5, 2, 2);
    let path = dir.path().join(MNIST_FILES[2]);
    let mut bytes = fs::read(&path).unwrap();
    bytes.pop();
    fs::write(&path, bytes).unwrap();
    let err = load_err(dir.path());
    assert!(matches!(&err, DataError::Idx(e) if e.name == path.display().to_string()));
    assert!(err.to_string().contains("truncated"));
}

#[test]
fn load_dir_rejects_count_mismatch_and_bad_labels() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), 5, 5, 2, 2);
    let labels_path = dir.path().join(format!("{}.gz", MNIST_FILES[1]));
    fs::write(&labels_path, gzip(&encode_idx(&u8_array(&[4], |_| 1)))).unwrap();
    let err = load_err(dir.path());
    assert!(matches!(
        &err,
        DataError::CountMismatch { images: 5, labels: 4, labels_name, .. }
            if labels_name == &labels_path.display().to_string()
    ));

    fs::write(
        &labels_path,
        gzip(&encode_idx(&u8_array(&[5], |i| 7 + i as u8))),
    )
    .unwrap();
    // Training labels 7..11 make 12 classes; told there are 10, label 10 is out of range.
    assert_eq!(load_dir(dir.path()).unwrap().classes(), 12);
    let err = load(&DataSource::dir(dir.path()), Some(10)).unwrap_err();
    assert!(matches!(
        &err,
        DataError::LabelOutOfRange {
            index: 3,
            label: 10,
            classes: 10,
            ..
        }
    ));
}

#[test]
fn load_dir_rejects_train_test_shape_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), 5, 5, 2, 2);
    let test_images = u8_array(&[5, 2, 3], |_| 0);
    fs::write(dir.path().join(MNIST_FILES[2]), encode_idx(&test_images)).unwrap();
    let err = load_err(dir.path());
    assert!(matches!(
        &err,
        DataError::ImageSizeMismatch {
            train: (2, 2),
            test: (2, 3),
            ..
        }
    ));
    assert!(err.to_string().contains(MNIST_FILES[2]));
}

#[test]
fn load_dir_rejects_labels_as_images() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), 5, 5, 2, 2);
    let path = dir.path().join(MNIST_FILES[0]);
    fs::write(&path, encode_idx(&u8_array(&[5], |_| 0))).unwrap();
    assert!(matches!(
        load_err(dir.path()),
        DataError::NotImages { name, dims } if name == path.display().to_string() && dims == [5]
    ));
}

/// The real MNIST, when the shared copy sits beside the project.
#[test]
fn loads_shared_mnist_when_present() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/mnist");
    if !dir.is_dir() {
        eprintln!("{} absent: real-MNIST check skipped", dir.display());
        return;
    }
    let m = load_dir(&dir).unwrap();
    assert_eq!((m.train.len(), m.test.len()), (60_000, 10_000));
    for d in [&m.train, &m.test] {
        assert_eq!((d.rows(), d.cols(), d.classes()), (28, 28, 10));
    }
    assert_eq!(
        m.train.label_counts(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        m.test.label_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
}

/// Writes `n` images of `rows x cols` and labels `first + i % classes` under the given names.
fn write_named(
    dir: &Path,
    names: [&str; 4],
    sets: [(usize, u8, usize); 2],
    rows: usize,
    cols: usize,
) {
    for (k, (n, first, classes)) in sets.into_iter().enumerate() {
        let images = u8_array(&[n, rows, cols], |i| (i % 256) as u8);
        let labels = u8_array(&[n], |i| first + (i % classes) as u8);
        fs::write(dir.join(names[2 * k]), gzip(&encode_idx(&images))).unwrap();
        fs::write(dir.join(names[2 * k + 1]), gzip(&encode_idx(&labels))).unwrap();
    }
}

const EMNIST_NAMES: [&str; 4] = [
    "emnist-letters-train-images-idx3-ubyte.gz",
    "emnist-letters-train-labels-idx1-ubyte.gz",
    "emnist-letters-test-images-idx3-ubyte.gz",
    "emnist-letters-test-labels-idx1-ubyte.gz",
];

#[test]
fn emnist_names_are_found_and_the_class_count_is_the_largest_label_plus_one() {
    let dir = tempfile::tempdir().unwrap();
    write_named(dir.path(), EMNIST_NAMES, [(52, 1, 26), (26, 1, 26)], 2, 3);
    fs::write(dir.path().join("README.txt"), b"not data").unwrap();
    let m = load_dir(dir.path()).unwrap();
    assert_eq!((m.classes(), m.test.classes()), (27, 27));
    assert_eq!(m.empty_classes(), vec![0]);
    assert_eq!((m.train.rows(), m.train.cols()), (2, 3));
    // --classes more than the labels need: the extra classes are empty
    let wide = load(&DataSource::dir(dir.path()), Some(30)).unwrap();
    assert_eq!(wide.empty_classes(), vec![0, 27, 28, 29]);
    // --classes fewer than the training labels need: an error naming the file and index
    let err = load(&DataSource::dir(dir.path()), Some(20)).unwrap_err();
    assert!(
        matches!(&err, DataError::LabelOutOfRange { name, index: 19, label: 20, classes: 20 }
        if name.ends_with(EMNIST_NAMES[1]))
    );
    assert!(load(&DataSource::dir(dir.path()), Some(257)).is_err());
}

#[test]
fn a_test_label_beyond_the_training_labels_is_an_error_naming_file_and_index() {
    let dir = tempfile::tempdir().unwrap();
    // training labels 0..4, test labels 0..6: test index 5 holds label 5
    write_named(dir.path(), EMNIST_NAMES, [(20, 0, 5), (12, 0, 6)], 2, 2);
    let err = load_dir(dir.path()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(EMNIST_NAMES[3]) && msg.contains("index 5"),
        "{msg}"
    );
}

#[test]
fn ambiguous_and_missing_matches_list_what_was_found() {
    let dir = tempfile::tempdir().unwrap();
    write_named(dir.path(), EMNIST_NAMES, [(10, 0, 5), (5, 0, 5)], 2, 2);
    // a second training image file of another split: which one?
    let other = dir.path().join("emnist-digits-train-images-idx3-ubyte.gz");
    fs::copy(dir.path().join(EMNIST_NAMES[0]), &other).unwrap();
    let msg = load_dir(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("2 files match *train-images*"), "{msg}");
    assert!(
        msg.contains("emnist-digits-train-images") && msg.contains("emnist-letters-train-images")
    );
    // naming it resolves the ambiguity
    let source = DataSource {
        train_images: Some(other.clone()),
        ..DataSource::dir(dir.path())
    };
    assert_eq!(source.resolve().unwrap().train_images, other);
    fs::remove_file(&other).unwrap();
    // the same file raw and gzipped is one file: the raw one is read
    let raw = dir.path().join("emnist-letters-train-images-idx3-ubyte");
    fs::write(
        &raw,
        crate::data::idx::encode_idx(&u8_array(&[10, 2, 2], |_| 7)),
    )
    .unwrap();
    let files = DataSource::dir(dir.path()).resolve().unwrap();
    assert_eq!(files.train_images, raw);
    assert_eq!(load_files(&files, None).unwrap().train.image(0), &[7; 4]);
    // no test labels at all: the error lists the folder's files
    fs::remove_file(dir.path().join(EMNIST_NAMES[3])).unwrap();
    let err = load_dir(dir.path()).unwrap_err();
    assert!(matches!(
        &err,
        DataError::MissingFile {
            what: "test labels",
            ..
        }
    ));
    let msg = err.to_string();
    assert!(
        msg.contains("*test-labels*") && msg.contains(EMNIST_NAMES[2]),
        "{msg}"
    );
    // an explicit path that does not exist
    let source = DataSource {
        test_labels: Some(dir.path().join("nope")),
        ..DataSource::dir(dir.path())
    };
    assert!(source
        .resolve()
        .unwrap_err()
        .to_string()
        .contains("test labels file"));
}

#[test]
fn inspect_describes_and_warns_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    // training 2x3 labels 1..4 (class 0 empty), test 3x3 with a label 5 beyond the count
    write_named(dir.path(), EMNIST_NAMES, [(40, 1, 4), (12, 0, 6)], 2, 3);
    let test_images = u8_array(&[12, 3, 3], |i| (i % 2) as u8 * 255);
    fs::write(dir.path().join(EMNIST_NAMES[2]), encode_idx(&test_images)).unwrap();
    let files = DataSource::dir(dir.path()).resolve().unwrap();
    let found = inspect::inspect(&files, None, 0.1).unwrap();
    assert_eq!(found.classes, 5);
    assert!(!found.classes_given);
    assert_eq!(found.files[0].compression, "gzip");
    assert_eq!(found.files[2].compression, "raw");
    assert_eq!(found.files[2].dims, vec![12, 3, 3]);
    assert_eq!(found.train.histogram, vec![0, 10, 10, 10, 10]);
    assert_eq!(found.test.histogram, vec![2, 2, 2, 2, 2, 2]);
    assert_eq!(
        (found.train.image_size, found.test.image_size),
        (Some((2, 3)), Some((3, 3)))
    );
    // the test pixels alternate 0 and 255: mean and sd 127.5
    assert_eq!(
        (found.test.pixel_mean, found.test.pixel_sd),
        (Some(127.5), Some(127.5))
    );
    assert_eq!(
        (found.validation.train, found.validation.validation),
        ((0, 36), (36, 40))
    );
    assert_eq!(found.validation.histogram, vec![0, 1, 1, 1, 1]);
    let all = found.warnings.join("\n");
    assert!(
        all.contains("[0]") && all.contains("no training example"),
        "{all}"
    );
    assert!(all.contains("test images are 3x3"), "{all}");
    assert!(
        all.contains("2 test labels are not below the class count 5"),
        "{all}"
    );
    assert_eq!(found.warnings.len(), 3, "{all}");
    // a class count no byte label can reach is refused before anything is counted
    let err = inspect::inspect(&files, Some(1 << 40), 0.1).unwrap_err();
    assert!(matches!(err, DataError::TooManyClasses { .. }));
}
