//! Files that are either wholly there or not at all: a temporary file, `fsync`, a rename and a
//! sync of the folder; and the check that an output place takes a write before a long run.

use crate::error::Error;
use std::io::Write;
use std::path::Path;

/// `.NAME.TAG-PID` beside `path`: a scratch file in the same folder (so a rename is atomic),
/// hidden, and unique to this process.
fn hidden_sibling(path: &Path, tag: &str) -> Result<std::path::PathBuf, Error> {
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::Config(format!("{} is not a file path", path.display())))?;
    Ok(path.with_file_name(format!(
        ".{}.{tag}-{}",
        file_name.to_string_lossy(),
        std::process::id()
    )))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader sees the old file or the whole new one, never a part.
///
/// Durable too: the temporary file's data reach the disk (`fsync`) before the rename, and the
/// folder's entry after it, so a power cut cannot leave a record that names a model whose
/// bytes were never written, or lose a record the run already reported as done.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = hidden_sibling(path, "tmp")?;
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    };
    write().map_err(|e| {
        // A full disk leaves a partial temporary file: remove it (nothing reads it anyway).
        let _ = std::fs::remove_file(&tmp);
        Error::io(&tmp, e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })?;
    sync_folder_of(path);
    Ok(())
}

/// Flushes the folder holding `path` to disk, which makes a rename inside it durable. Best
/// effort: some systems cannot open or sync a folder (Windows, a few network file systems), and
/// the file itself is already safe; only the rename could be lost there.
fn sync_folder_of(path: &Path) {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
}

/// Checks, before any long work, that a file can be written at `path`: its folder exists (or is
/// created) and takes a small write, and `path` is not a folder. A missing, read-only or full
/// output place is then an error at the start of a run rather than after its training.
pub fn check_writable(path: &Path) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    if path.is_dir() {
        return Err(Error::Config(format!(
            "{} is a folder; give a file path",
            path.display()
        )));
    }
    let probe = hidden_sibling(path, "write-test")?;
    let written = std::fs::write(&probe, b"kd-mlp write test");
    let _ = std::fs::remove_file(&probe);
    written.map_err(|e| Error::io(&probe, e))
}
