//! Finding the four IDX files of a data set in a folder: the customary MNIST names first, then a
//! unique file whose name contains the role's pattern (so EMNIST's
//! `emnist-letters-train-images-idx3-ubyte.gz` is found too), raw or gzip. Any file may also be
//! named explicitly, which overrides the search.

use std::path::{Path, PathBuf};

use super::dataset::DataError;

/// The customary names of the four MNIST files, without `.gz`: training
/// images, training labels, test images, test labels.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The four roles, in the order of [`MNIST_FILES`]: a description for messages and the name
/// fragments (any one suffices) that a file of that role contains.
const ROLES: [(&str, &[&str]); 4] = [
    ("training images", &["train-images"]),
    ("training labels", &["train-labels"]),
    ("test images", &["t10k-images", "test-images"]),
    ("test labels", &["t10k-labels", "test-labels"]),
];

/// The paths of a data set's four files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFiles {
    pub train_images: PathBuf,
    pub train_labels: PathBuf,
    pub test_images: PathBuf,
    pub test_labels: PathBuf,
}

/// Where to find a data set: a folder, and any of the four files named explicitly (these win
/// over the folder's search, which is then done only for the others).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataSource {
    pub dir: PathBuf,
    pub train_images: Option<PathBuf>,
    pub train_labels: Option<PathBuf>,
    pub test_images: Option<PathBuf>,
    pub test_labels: Option<PathBuf>,
}

impl DataSource {
    /// A folder, every file found by its name.
    pub fn dir(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            ..Self::default()
        }
    }

    /// The four paths: the explicit ones as given (each must be a file), the others found in
    /// the folder by `find_file`.
    pub fn resolve(&self) -> Result<DataFiles, DataError> {
        let explicit = [
            &self.train_images,
            &self.train_labels,
            &self.test_images,
            &self.test_labels,
        ];
        let mut listing = None;
        let mut paths = Vec::with_capacity(4);
        for (role, given) in explicit.into_iter().enumerate() {
            let path = match given {
                Some(path) if path.is_file() => path.clone(),
                Some(path) => {
                    return Err(DataError::MissingPath {
                        what: ROLES[role].0,
                        path: path.clone(),
                    })
                }
                None => {
                    if listing.is_none() {
                        listing = Some(list_files(&self.dir)?);
                    }
                    let names = listing.as_deref().expect("just listed");
                    self.dir.join(find_file(&self.dir, names, role)?)
                }
            };
            paths.push(path);
        }
        let [train_images, train_labels, test_images, test_labels]: [PathBuf; 4] =
            paths.try_into().expect("four roles");
        Ok(DataFiles {
            train_images,
            train_labels,
            test_images,
            test_labels,
        })
    }
}

/// The names of the regular files in `dir`, sorted.
fn list_files(dir: &Path) -> Result<Vec<String>, DataError> {
    let missing = || DataError::MissingDir {
        dir: dir.to_path_buf(),
    };
    if !dir.is_dir() {
        return Err(missing());
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|_| missing())?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    Ok(names)
}

/// The file of role `role` (an index into [`MNIST_FILES`]) among `names`, the files of `dir`.
///
/// The customary name wins, raw before `.gz`: a raw file is what someone who decompressed the
/// download by hand meant to be read. Otherwise the names containing one of the role's
/// fragments (case-insensitively) must all be one file, raw or gzip (again raw first); none, or
/// two different files, is an error that lists what was found.
pub fn find_file(dir: &Path, names: &[String], role: usize) -> Result<String, DataError> {
    let customary = MNIST_FILES[role];
    for name in [customary.to_string(), format!("{customary}.gz")] {
        if names.contains(&name) {
            return Ok(name);
        }
    }
    let (what, fragments) = ROLES[role];
    let matches: Vec<&String> = names
        .iter()
        .filter(|n| {
            let lower = n.to_lowercase();
            fragments.iter().any(|f| lower.contains(f))
        })
        .collect();
    let stem = |n: &str| n.strip_suffix(".gz").unwrap_or(n).to_string();
    let mut stems: Vec<String> = matches.iter().map(|n| stem(n)).collect();
    stems.sort();
    stems.dedup();
    let patterns = fragments
        .iter()
        .map(|f| format!("*{f}*"))
        .collect::<Vec<_>>()
        .join(" or ");
    match stems.as_slice() {
        [one] => Ok(matches
            .iter()
            .find(|n| n.as_str() == one)
            .unwrap_or(&matches[0])
            .to_string()),
        [] => Err(DataError::MissingFile {
            dir: dir.to_path_buf(),
            what,
            looked_for: format!("{customary}[.gz] or a name matching {patterns}"),
            found: names.to_vec(),
        }),
        _ => Err(DataError::AmbiguousFile {
            dir: dir.to_path_buf(),
            what,
            patterns,
            found: matches.into_iter().cloned().collect(),
        }),
    }
}
