//! A look at a data set's four files before training (`kd-mlp inspect`): what each file is, the
//! class histograms, the pixel statistics, the validation split the protocol would take, and
//! what would go wrong. Unlike loading, a problem a user should hear about (an empty class, test
//! images of another size, a label out of range) is a warning here, not an error; only a file
//! that cannot be read as IDX at all is an error.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::dataset::DataError;
use super::files::DataFiles;
use super::mnist::{class_count, empty_classes, MAX_CLASSES};
use super::split::Split;
use crate::data::idx::{read_idx, IdxArray, IdxData, IdxError, IdxErrorKind};

/// What `inspect` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    /// The four files, in the order training images, training labels, test images, test labels.
    pub files: Vec<FileInfo>,
    /// The class count training would use.
    pub classes: usize,
    /// Whether that count was given (`--classes`) rather than taken from the training labels.
    pub classes_given: bool,
    pub train: SetInfo,
    pub test: SetInfo,
    pub validation: ValidationInfo,
    /// Everything worth a second look, one sentence each.
    pub warnings: Vec<String>,
}

/// One file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileInfo {
    /// "training images", "test labels"...
    pub role: &'static str,
    pub path: PathBuf,
    /// The IDX element type, e.g. `u8`.
    pub element_type: &'static str,
    pub dims: Vec<usize>,
    /// Size on disk.
    pub bytes: u64,
    /// `gzip` or `raw`, from the file's first bytes.
    pub compression: &'static str,
}

/// One set (training or test), as far as its files allow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetInfo {
    pub images: usize,
    pub labels: usize,
    /// Image shape `(rows, cols)`, if the image file holds 3-dimensional bytes.
    pub image_size: Option<(usize, usize)>,
    /// Examples per label value, over at least the class count (longer if a label lies beyond).
    pub histogram: Vec<usize>,
    /// Mean and standard deviation of the pixels, on the file's 0..255 scale.
    pub pixel_mean: Option<f64>,
    pub pixel_sd: Option<f64>,
}

/// The protocol's split of the training file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationInfo {
    pub fraction: f64,
    /// Sample indices `[start, end)` that train and that validate.
    pub train: (usize, usize),
    pub validation: (usize, usize),
    /// Validation examples per class.
    pub histogram: Vec<usize>,
}

/// The bytes of a u8 IDX array of `dims` dimensions, or a warning saying what it is instead.
fn bytes_of<'a>(a: &'a IdxArray, ndims: usize, role: &str, warnings: &mut Vec<String>) -> &'a [u8] {
    match &a.data {
        IdxData::U8(bytes) if a.dims.len() == ndims => bytes,
        other => {
            warnings.push(format!(
                "the {role} are {} of dimensions {:?}; training needs unsigned bytes of {ndims} dimension(s)",
                other.type_name(),
                a.dims
            ));
            &[]
        }
    }
}

fn describe(role: &'static str, path: &Path, array: &IdxArray) -> Result<FileInfo, DataError> {
    let io = |e: std::io::Error| IdxError {
        name: path.display().to_string(),
        kind: IdxErrorKind::Io(e.to_string()),
    };
    let bytes = std::fs::metadata(path).map_err(io)?.len();
    let mut magic = [0u8; 2];
    let gzip = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b];
    Ok(FileInfo {
        role,
        path: path.to_path_buf(),
        element_type: array.data.type_name(),
        dims: array.dims.clone(),
        bytes,
        compression: if gzip { "gzip" } else { "raw" },
    })
}

fn histogram(labels: &[u8], len: usize) -> Vec<usize> {
    let len = len.max(class_count(labels));
    let mut counts = vec![0; len];
    for &l in labels {
        counts[usize::from(l)] += 1;
    }
    counts
}

fn pixel_stats(pixels: &[u8]) -> (Option<f64>, Option<f64>) {
    if pixels.is_empty() {
        return (None, None);
    }
    let (sum, squares) = pixels.iter().fold((0u64, 0u64), |(s, q), &p| {
        let p = u64::from(p);
        (s + p, q + p * p)
    });
    let n = pixels.len() as f64;
    let mean = sum as f64 / n;
    let var = (squares as f64 / n - mean * mean).max(0.0);
    (Some(mean), Some(var.sqrt()))
}

/// Reads the four files and describes them, with the class count `classes` or else that of the
/// training labels, and the validation split of `validation_fraction`.
pub fn inspect(
    files: &DataFiles,
    classes: Option<usize>,
    validation_fraction: f64,
) -> Result<Inspection, DataError> {
    let roles = [
        ("training images", &files.train_images),
        ("training labels", &files.train_labels),
        ("test images", &files.test_images),
        ("test labels", &files.test_labels),
    ];
    if let Some(n) = classes.filter(|&n| n > MAX_CLASSES) {
        return Err(DataError::TooManyClasses {
            name: files.train_labels.display().to_string(),
            classes: n,
        });
    }
    let arrays = roles
        .iter()
        .map(|(_, p)| read_idx(p))
        .collect::<Result<Vec<_>, _>>()?;
    let infos = roles
        .iter()
        .zip(&arrays)
        .map(|((role, path), a)| describe(role, path, a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut warnings = Vec::new();
    let w = &mut warnings;
    let (train_images, train_labels) = (
        bytes_of(&arrays[0], 3, "training images", w),
        bytes_of(&arrays[1], 1, "training labels", w),
    );
    let (test_images, test_labels) = (
        bytes_of(&arrays[2], 3, "test images", w),
        bytes_of(&arrays[3], 1, "test labels", w),
    );
    let count = classes.unwrap_or_else(|| class_count(train_labels));
    let set = |images: &IdxArray, pixels: &[u8], labels: &[u8], role: &str, w: &mut Vec<_>| {
        let size = (images.dims.len() == 3).then(|| (images.dims[1], images.dims[2]));
        let n_images = images.dims.first().copied().unwrap_or(0);
        if !pixels.is_empty() && n_images != labels.len() {
            w.push(format!(
                "the {role} set has {n_images} images but {} labels",
                labels.len()
            ));
        }
        if let Some((index, &label)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| usize::from(l) >= count)
        {
            let beyond = labels.iter().filter(|&&l| usize::from(l) >= count).count();
            w.push(format!(
                "{beyond} {role} labels are not below the class count {count} (the first: label {label} at index {index}); training would stop there"
            ));
        }
        let (pixel_mean, pixel_sd) = pixel_stats(pixels);
        SetInfo {
            images: n_images,
            labels: labels.len(),
            image_size: size,
            histogram: histogram(labels, count),
            pixel_mean,
            pixel_sd,
        }
    };
    let train = set(&arrays[0], train_images, train_labels, "training", w);
    let test = set(&arrays[2], test_images, test_labels, "test", w);
    let empty = empty_classes(&train.histogram[..count.min(train.histogram.len())]);
    if !empty.is_empty() {
        w.push(format!(
            "{} of the {count} classes have no training example: {:?}; legal, but those outputs only learn never to fire",
            empty.len(),
            empty
        ));
    }
    if let (Some(a), Some(b)) = (train.image_size, test.image_size) {
        if a != b {
            w.push(format!(
                "the test images are {}x{}, the training images {}x{}: a model trained on one cannot read the other",
                b.0, b.1, a.0, a.1
            ));
        }
    }
    let split = Split::holdout(train_labels.len(), validation_fraction);
    let val_hist = histogram(&train_labels[split.validation.clone()], count);
    let unvalidated: Vec<usize> = (0..count)
        .filter(|&c| train.histogram[c] > 0 && val_hist[c] == 0)
        .collect();
    if !unvalidated.is_empty() && !split.validation.is_empty() {
        w.push(format!(
            "classes {unvalidated:?} have training examples but none in the validation split (the file's last {} %): is the file sorted by class?",
            100.0 * validation_fraction
        ));
    }
    Ok(Inspection {
        files: infos,
        classes: count,
        classes_given: classes.is_some(),
        train,
        test,
        validation: ValidationInfo {
            fraction: validation_fraction,
            train: (split.train.start, split.train.end),
            validation: (split.validation.start, split.validation.end),
            histogram: val_hist,
        },
        warnings,
    })
}
