//! The data set: images and labels, validated, and the MNIST folder.
//!
//! Images stay `u8`, exactly as stored; the engine converts a batch to floats
//! (`x / 255`) when it gathers it. The 60 000 training images then take 47 MB
//! instead of 188 MB as `f32`, and several models can share one copy.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::idx::{read_idx, IdxArray, IdxData, IdxError};

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
    #[error("MNIST data folder {} not found; run scripts/fetch-mnist.sh", .dir.display())]
    MissingDir {
        /// The folder looked for.
        dir: PathBuf,
    },
    /// One of the four files is in neither its raw nor its `.gz` form.
    #[error("{name} (or {name}.gz) not found in {}; run scripts/fetch-mnist.sh", .dir.display())]
    MissingFile {
        /// The folder searched.
        dir: PathBuf,
        /// The file's name without `.gz`.
        name: String,
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

fn into_u8(data: IdxData, name: &str) -> Result<Vec<u8>, DataError> {
    match data {
        IdxData::U8(bytes) => Ok(bytes),
        other => Err(DataError::NotU8 {
            name: name.to_string(),
            found: other.type_name(),
        }),
    }
}

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
    if (train.rows, train.cols) != (test.rows, test.cols) {
        return Err(DataError::ImageSizeMismatch {
            train_name: paths[0].display().to_string(),
            test_name: paths[2].display().to_string(),
            train: (train.rows, train.cols),
            test: (test.rows, test.cols),
        });
    }
    Ok(Mnist { train, test })
}

/// The protocol's validation split: the last `fraction` of the training file,
/// taken before shuffling, so it is the same examples whatever the seed.
/// For 60 000 and 0.1 → train 0..54000, validation 54000..60000.
///
/// The validation size is `n * fraction` rounded to the nearest integer;
/// `fraction` is clamped to `[0, 1]` (NaN counts as 0).
pub fn validation_split(n: usize, fraction: f64) -> (Range<usize>, Range<usize>) {
    let fraction = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    // The float-to-int `as` saturates, and min(n) keeps rounding in range.
    let val = ((n as f64 * fraction).round() as usize).min(n);
    let cut = n - val;
    (0..cut, cut..n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::{encode_idx, gzip};
    use std::fs;

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
        assert!(
            matches!(&err, DataError::NotImages { name, dims } if name == "im" && dims == &[3, 4])
        );
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
        assert!(matches!(&err, DataError::MissingFile { name, .. } if name == MNIST_FILES[3]));
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
        let err = load_err(dir.path());
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
}
