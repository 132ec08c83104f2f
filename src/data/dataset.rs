//! The data set: images and labels, validated.
//!
//! Images stay `u8`, exactly as stored; the engine converts a batch to floats
//! (`x / 255`) when it gathers it. The 60 000 training images then take 47 MB
//! instead of 188 MB as `f32`, and several models can share one copy.

use std::path::PathBuf;

use crate::data::idx::{IdxArray, IdxData, IdxError};

/// A labelled image data set. Invariants, checked at construction: every image
/// has `rows * cols` pixels, there is one label per image, and every label is
/// below `classes`.
///
/// Derivation: `docs/MATH.md`, section "Input scaling".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Row-major `(n, rows * cols)`.
    images: Vec<u8>,
    labels: Vec<u8>,
    rows: usize,
    cols: usize,
    classes: usize,
}

/// A failure to load or validate a data set. Every message names the file
/// (or in-memory buffer) concerned and what was wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The IDX file could not be read or parsed; the error names the file.
    #[error(transparent)]
    Idx(#[from] IdxError),
    /// The data folder does not exist.
    #[error("data folder {} not found; for MNIST run scripts/fetch-mnist.sh", .dir.display())]
    MissingDir {
        /// The folder looked for.
        dir: PathBuf,
    },
    /// No file of the folder is one of the four a data set needs.
    #[error("{}: no {what} file: looked for {looked_for}; found {}; for MNIST run scripts/fetch-mnist.sh, or name the file with its flag", .dir.display(), list(.found))]
    MissingFile {
        /// The folder searched.
        dir: PathBuf,
        /// Which file: "training images", "test labels"...
        what: &'static str,
        /// The names and patterns tried.
        looked_for: String,
        /// Every file in the folder.
        found: Vec<String>,
    },
    /// Several different files of the folder could be the same one of the four.
    #[error("{}: {} files match {patterns} for the {what}: {}; name the one to use with its flag", .dir.display(), .found.len(), list(.found))]
    AmbiguousFile {
        /// The folder searched.
        dir: PathBuf,
        /// Which file: "training images", "test labels"...
        what: &'static str,
        /// The patterns tried.
        patterns: String,
        /// The files that match.
        found: Vec<String>,
    },
    /// A file named explicitly does not exist.
    #[error("{what} file {} not found", .path.display())]
    MissingPath {
        /// Which file: "training images", "test labels"...
        what: &'static str,
        /// The path given.
        path: PathBuf,
    },
    /// An image file whose array is not 3-dimensional `(n, rows, cols)`.
    #[error("{name}: expected images of shape (count, rows, cols), found dimensions {dims:?}")]
    NotImages {
        /// The file.
        name: String,
        /// Its dimensions.
        dims: Vec<usize>,
    },
    /// A label file whose array is not 1-dimensional.
    #[error("{name}: expected labels of shape (count), found dimensions {dims:?}")]
    NotLabels {
        /// The file.
        name: String,
        /// Its dimensions.
        dims: Vec<usize>,
    },
    /// A file whose elements are not unsigned bytes.
    #[error("{name}: expected unsigned bytes (IDX type 0x08), found {found}")]
    NotU8 {
        /// The file.
        name: String,
        /// The element type found.
        found: &'static str,
    },
    /// Images and labels differ in number.
    #[error("{images_name} holds {images} images but {labels_name} holds {labels} labels")]
    CountMismatch {
        /// The image file.
        images_name: String,
        /// The label file.
        labels_name: String,
        /// Number of images.
        images: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A label is not a valid class.
    #[error(
        "{name}: label {label} at index {index} is not below the number of classes, {classes}"
    )]
    LabelOutOfRange {
        /// The label file.
        name: String,
        /// The position of the label.
        index: usize,
        /// The label.
        label: u8,
        /// The number of classes.
        classes: usize,
    },
    /// The training and test images differ in shape.
    #[error("{train_name} holds {}x{} images but {test_name} holds {}x{} images", .train.0, .train.1, .test.0, .test.1)]
    ImageSizeMismatch {
        /// The training image file.
        train_name: String,
        /// The test image file.
        test_name: String,
        /// Training image shape, (rows, cols).
        train: (usize, usize),
        /// Test image shape, (rows, cols).
        test: (usize, usize),
    },
    /// An image shape with no pixels, or too many to count.
    #[error("{name}: images of {rows}x{cols} pixels are not usable")]
    BadImageShape {
        /// The image buffer or file.
        name: String,
        /// Rows per image.
        rows: usize,
        /// Columns per image.
        cols: usize,
    },
    /// An image buffer whose length is not a whole number of images.
    #[error("{name}: {len} bytes is not a whole number of {pixels}-pixel images")]
    PartialImage {
        /// The image buffer.
        name: String,
        /// Its length in bytes.
        len: usize,
        /// Pixels per image.
        pixels: usize,
    },
    /// Zero classes: no label could be valid.
    #[error("{name}: the number of classes must be at least 1")]
    NoClasses {
        /// The label buffer or file.
        name: String,
    },
    /// More classes than byte labels can name.
    #[error("{name}: {classes} classes asked for, but IDX labels are bytes: at most 256")]
    TooManyClasses {
        /// The label file.
        name: String,
        /// The count asked for.
        classes: usize,
    },
}

impl Dataset {
    /// Builds a data set from in-memory buffers: `images` row-major
    /// `(n, rows * cols)`, one label per image, each below `classes`.
    pub fn new(
        images: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
        classes: usize,
    ) -> Result<Self, DataError> {
        Self::validated(images, labels, rows, cols, classes, "images", "labels")
    }

    /// Builds a data set from an IDX image array `(n, rows, cols)` and an IDX
    /// label array `(n)`, both `u8`. The names (file paths, usually) appear
    /// in errors.
    pub fn from_idx(
        images: IdxArray,
        labels: IdxArray,
        images_name: &str,
        labels_name: &str,
        classes: usize,
    ) -> Result<Self, DataError> {
        let &[count, rows, cols] = images.dims.as_slice() else {
            return Err(DataError::NotImages {
                name: images_name.to_string(),
                dims: images.dims,
            });
        };
        if labels.dims.len() != 1 {
            return Err(DataError::NotLabels {
                name: labels_name.to_string(),
                dims: labels.dims,
            });
        }
        let image_bytes = into_u8(images.data, images_name)?;
        let label_bytes = into_u8(labels.data, labels_name)?;
        if count != labels.dims[0] {
            return Err(DataError::CountMismatch {
                images_name: images_name.to_string(),
                labels_name: labels_name.to_string(),
                images: count,
                labels: labels.dims[0],
            });
        }
        Self::validated(
            image_bytes,
            label_bytes,
            rows,
            cols,
            classes,
            images_name,
            labels_name,
        )
    }

    /// The one place the invariants are checked.
    fn validated(
        images: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
        classes: usize,
        images_name: &str,
        labels_name: &str,
    ) -> Result<Self, DataError> {
        let pixels =
            rows.checked_mul(cols)
                .filter(|&p| p > 0)
                .ok_or_else(|| DataError::BadImageShape {
                    name: images_name.to_string(),
                    rows,
                    cols,
                })?;
        if !images.len().is_multiple_of(pixels) {
            return Err(DataError::PartialImage {
                name: images_name.to_string(),
                len: images.len(),
                pixels,
            });
        }
        if images.len() / pixels != labels.len() {
            return Err(DataError::CountMismatch {
                images_name: images_name.to_string(),
                labels_name: labels_name.to_string(),
                images: images.len() / pixels,
                labels: labels.len(),
            });
        }
        if classes == 0 {
            return Err(DataError::NoClasses {
                name: labels_name.to_string(),
            });
        }
        if let Some((index, &label)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| usize::from(l) >= classes)
        {
            return Err(DataError::LabelOutOfRange {
                name: labels_name.to_string(),
                index,
                label,
                classes,
            });
        }
        Ok(Dataset {
            images,
            labels,
            rows,
            cols,
            classes,
        })
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels per image, `rows * cols`.
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }

    /// Rows per image.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns per image.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The number of classes; every label is below it.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The pixels of image `i`, row-major. Panics if `i >= len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        let p = self.pixels();
        &self.images[i * p..(i + 1) * p]
    }

    /// The label of example `i`. Panics if `i >= len()`.
    pub fn label(&self, i: usize) -> usize {
        usize::from(self.labels[i])
    }

    /// All images, row-major `(len, pixels)`.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// How many examples each class has, indexed by class.
    pub fn label_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }
}

/// File names for a message: comma-separated, or "no files".
fn list(names: &[String]) -> String {
    if names.is_empty() {
        "no files".into()
    } else {
        names.join(", ")
    }
}

fn into_u8(data: IdxData, name: &str) -> Result<Vec<u8>, DataError> {
    match data {
        IdxData::U8(bytes) => Ok(bytes),
        other => Err(DataError::NotU8 {
            name: name.to_string(),
            found: other.type_name(),
        }),
    }
}
