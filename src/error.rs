//! The library's error type. Everything a user can get wrong (a file, a flag, a diverging run)
//! is one of these, never a panic; the binary prints it on one line and exits non-zero.

use crate::data::idx::IdxError;
use crate::data::DataError;
use std::path::PathBuf;

/// Any error kd-mlp reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A malformed IDX file.
    #[error(transparent)]
    Idx(#[from] IdxError),
    /// A data set that is not what it should be (missing file, wrong shape, bad label).
    #[error(transparent)]
    Data(#[from] DataError),
    /// A bad setting: a flag, an architecture, a size that does not fit.
    #[error("{0}")]
    Config(String),
    /// Training produced a NaN or infinite loss.
    #[error("training of {model} diverged: the loss became {value} at epoch {epoch}, batch {batch}; lower the learning rate or check the data")]
    Diverged {
        model: String,
        epoch: usize,
        batch: usize,
        value: f64,
    },
    /// The user pressed Ctrl-C (or the process got SIGTERM): training stopped before its next
    /// batch and nothing partial was written. The text says what was kept and how to resume.
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// A model file that cannot be read or is not a kd-mlp model.
    #[error("model file {path}: {what}")]
    Model { path: PathBuf, what: String },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    /// An I/O error naming the file it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
