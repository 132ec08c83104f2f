//! The MNIST folder: four IDX files under their customary names, raw or gzip.

use std::path::{Path, PathBuf};

use super::dataset::{DataError, Dataset};
use crate::data::idx::read_idx;

/// The customary names of the four MNIST files, without `.gz`: training
/// images, training labels, test images, test labels.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The number of classes of MNIST (the digits 0 to 9).
pub const MNIST_CLASSES: usize = 10;
/// The MNIST training and test sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    /// The 60 000 training examples (validation split not yet taken).
    pub train: Dataset,
    /// The 10 000 test examples.
    pub test: Dataset,
}

/// Finds `name` in `dir`, raw or gzip. The raw file wins if both exist: it is
/// what someone who decompressed the download by hand meant to be read.
fn find_file(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let raw = dir.join(name);
    if raw.is_file() {
        return Ok(raw);
    }
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(DataError::MissingFile {
        dir: dir.to_path_buf(),
        name: name.to_string(),
    })
}

/// Loads the four MNIST files from `dir` (each under its customary name, raw
/// or with `.gz`), with 10 classes, and checks that training and test images
/// have the same shape.
pub fn load_dir(dir: &Path) -> Result<Mnist, DataError> {
    if !dir.is_dir() {
        return Err(DataError::MissingDir {
            dir: dir.to_path_buf(),
        });
    }
    // Find all four before reading any, so a missing file is reported at once
    // rather than after decompressing the others.
    let paths = MNIST_FILES
        .iter()
        .map(|name| find_file(dir, name))
        .collect::<Result<Vec<_>, _>>()?;
    let load = |images: &Path, labels: &Path| -> Result<Dataset, DataError> {
        Dataset::from_idx(
            read_idx(images)?,
            read_idx(labels)?,
            &images.display().to_string(),
            &labels.display().to_string(),
            MNIST_CLASSES,
        )
    };
    let train = load(&paths[0], &paths[1])?;
    let test = load(&paths[2], &paths[3])?;
    if (train.rows(), train.cols()) != (test.rows(), test.cols()) {
        return Err(DataError::ImageSizeMismatch {
            train_name: paths[0].display().to_string(),
            test_name: paths[2].display().to_string(),
            train: (train.rows(), train.cols()),
            test: (test.rows(), test.cols()),
        });
    }
    Ok(Mnist { train, test })
}
