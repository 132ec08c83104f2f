//! A data set's training and test files (MNIST or any of its kin in IDX form), loaded with the
//! class count taken from the training labels unless it is given.

use super::dataset::{DataError, Dataset};
use super::files::{DataFiles, DataSource};
use crate::data::idx::{read_idx, IdxData};

/// The number of classes of MNIST (the digits 0 to 9). Nothing loads with it any more: the
/// count comes from the data ([`class_count`]); kept for library users who named it.
pub const MNIST_CLASSES: usize = 10;

/// The most classes a data set can have: IDX labels are bytes.
pub const MAX_CLASSES: usize = 256;

/// The training and test sets of one data set (the name is MNIST's, the first it held).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    /// The training examples (validation split not yet taken); 60 000 for MNIST.
    pub train: Dataset,
    /// The test examples; 10 000 for MNIST.
    pub test: Dataset,
}

impl Mnist {
    /// The number of classes, the same for both sets.
    pub fn classes(&self) -> usize {
        self.train.classes()
    }

    /// The classes without a single training example (EMNIST letters, labelled 1 to 26, has no
    /// class 0): legal, but worth a word to the user.
    pub fn empty_classes(&self) -> Vec<usize> {
        empty_classes(&self.train.label_counts())
    }
}

/// The indices of the zero counts.
pub fn empty_classes(counts: &[usize]) -> Vec<usize> {
    (0..counts.len()).filter(|&c| counts[c] == 0).collect()
}

/// The class count that training labels imply: the largest label plus one (0 without labels).
pub fn class_count(labels: &[u8]) -> usize {
    labels.iter().max().map_or(0, |&m| usize::from(m) + 1)
}

/// Loads the four files. The class count is `classes`, or else [`class_count`] of the
/// training labels; a label (training or test) at or above it is an error naming the file and
/// the index. Training and test images must have the same shape.
pub fn load_files(files: &DataFiles, classes: Option<usize>) -> Result<Mnist, DataError> {
    let name = |p: &std::path::Path| p.display().to_string();
    if let Some(n) = classes.filter(|&n| n > MAX_CLASSES) {
        return Err(DataError::TooManyClasses {
            name: name(&files.train_labels),
            classes: n,
        });
    }
    let train_labels = read_idx(&files.train_labels)?;
    let classes = classes.unwrap_or_else(|| match &train_labels.data {
        IdxData::U8(labels) => class_count(labels),
        // Not bytes: from_idx names the file and the type found.
        _ => 1,
    });
    let train = Dataset::from_idx(
        read_idx(&files.train_images)?,
        train_labels,
        &name(&files.train_images),
        &name(&files.train_labels),
        classes,
    )?;
    let test = Dataset::from_idx(
        read_idx(&files.test_images)?,
        read_idx(&files.test_labels)?,
        &name(&files.test_images),
        &name(&files.test_labels),
        classes,
    )?;
    if (train.rows(), train.cols()) != (test.rows(), test.cols()) {
        return Err(DataError::ImageSizeMismatch {
            train_name: name(&files.train_images),
            test_name: name(&files.test_images),
            train: (train.rows(), train.cols()),
            test: (test.rows(), test.cols()),
        });
    }
    Ok(Mnist { train, test })
}

/// Finds the four files of `source` ([`DataSource::resolve`]) and loads them ([`load_files`]).
pub fn load(source: &DataSource, classes: Option<usize>) -> Result<Mnist, DataError> {
    load_files(&source.resolve()?, classes)
}

/// Loads the four files of `dir`, found by their customary names or a unique match
/// ([`DataSource::resolve`]), raw or gzip, with the class count of the training labels.
pub fn load_dir(dir: &std::path::Path) -> Result<Mnist, DataError> {
    load(&DataSource::dir(dir), None)
}
