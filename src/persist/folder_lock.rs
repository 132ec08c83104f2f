//! An exclusive lock on a results folder, so that two runs cannot write one study at once.
//!
//! Why: two `reproduce` runs given the same `--out` would each find the same models missing,
//! train them twice and race to write the same records. The lock is the operating system's
//! advisory file lock on `.lock` inside the folder (`flock` on Unix), held while the store is
//! open. The system drops it when the process ends in any way, `kill -9` included, so a crash
//! never leaves a stale lock behind; the empty `.lock` file itself stays and is harmless.

use crate::error::Error;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Holds the lock of one folder until dropped.
#[derive(Debug)]
pub struct FolderLock {
    // Never read: holding the open file is what holds the lock.
    _file: File,
    path: PathBuf,
}

impl FolderLock {
    /// Takes the lock of `dir` (which must exist), or fails at once, naming the folder, if
    /// another run holds it.
    pub fn acquire(dir: &Path) -> Result<Self, Error> {
        Self::take(dir, false)
    }

    /// Takes the lock of `dir` shared with other shared holders: the runs that each train their
    /// own part of one study (`reproduce --only ... --shard I/N`) share a folder, while a whole
    /// run, which takes the lock alone, is refused as long as any of them is running (and
    /// refuses them while it runs). Fails at once if a whole run holds the lock.
    pub fn acquire_shared(dir: &Path) -> Result<Self, Error> {
        Self::take(dir, true)
    }

    fn take(dir: &Path, shared: bool) -> Result<Self, Error> {
        let path = dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let taken = if shared {
            file.try_lock_shared()
        } else {
            file.try_lock()
        };
        match taken {
            Ok(()) => Ok(Self { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(Error::Config(format!(
                "{} is in use by another kd-mlp run (it holds the lock on {}); wait for that \
                 run to end or choose another --out folder",
                dir.display(),
                path.display()
            ))),
            Err(TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderLock::acquire(dir.path()).unwrap();
        assert_eq!(first.path(), dir.path().join(".lock"));
        let err = FolderLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(err.contains("in use by another kd-mlp run"), "{err}");
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
        drop(first);
        FolderLock::acquire(dir.path()).expect("free again once the first lock is dropped");
    }

    #[test]
    fn shared_holders_coexist_and_exclude_a_whole_run() {
        let dir = tempfile::tempdir().unwrap();
        let a = FolderLock::acquire_shared(dir.path()).unwrap();
        let b = FolderLock::acquire_shared(dir.path()).expect("two parts of one study");
        assert!(
            FolderLock::acquire(dir.path()).is_err(),
            "a whole run waits"
        );
        drop((a, b));
        let whole = FolderLock::acquire(dir.path()).unwrap();
        let err = FolderLock::acquire_shared(dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("in use by another kd-mlp run"), "{err}");
        drop(whole);
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = FolderLock::acquire(&missing).unwrap_err().to_string();
        assert!(err.contains(".lock"), "{err}");
    }
}
