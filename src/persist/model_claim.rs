//! A claim on one model of a results folder shared by several runs, so that no model is ever
//! trained by two of them at once.
//!
//! Why: runs that share a folder (`reproduce --only ... --shard I/N`, one per task of a job
//! array) are meant to train disjoint sets of models, and do when they are given the same flags.
//! A mistake (two arrays with different slice counts, a task resubmitted while its first copy
//! still runs) would make two of them train the same model and race to write its files. The
//! claim is an advisory lock (`flock`) on `locks/KEY.lock`, held while the model trains; the
//! system drops it when the process ends in any way, so a killed task leaves no stale claim.

use crate::error::Error;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// Holds the claim on one model until dropped.
#[derive(Debug)]
pub struct ModelClaim {
    // Never read: holding the open file is what holds the lock.
    _file: File,
}

impl ModelClaim {
    /// Claims the model `key` of the folder `root`, or fails at once, naming the model and the
    /// lock file, if another run holds it.
    pub fn acquire(root: &Path, key: &str) -> Result<Self, Error> {
        let path = root.join("locks").join(format!("{key}.lock"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Config(format!(
                "{key} is being trained by another kd-mlp run on {} (it holds {}): two parts \
                 of the study overlap; give every task the same --only and the same --shard count",
                root.display(),
                path.display()
            ))),
            Err(TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_per_model_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = ModelClaim::acquire(dir.path(), "rep00/teacher").unwrap();
        assert!(dir.path().join("locks/rep00/teacher.lock").exists());
        let err = ModelClaim::acquire(dir.path(), "rep00/teacher")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rep00/teacher is being trained"), "{err}");
        ModelClaim::acquire(dir.path(), "rep00/member00").expect("another model is free");
        drop(first);
        ModelClaim::acquire(dir.path(), "rep00/teacher").expect("free once dropped");
    }
}
