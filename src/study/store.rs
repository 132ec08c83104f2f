//! The resumable results store: a folder with the protocol (`config.json`), one JSON record
//! and one model file per trained model, each written atomically the moment it is done.

use super::protocol::Protocol;
use crate::engine::mlp::Mlp;
use crate::error::Error;
use crate::persist::{checkpoint, write_atomically, FolderLock, ModelClaim};
use crate::study::record::Record;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The folder of a study's results: `config.json`, `records/`, `models/`, and the report.
#[derive(Debug, Clone)]
pub struct ResultsStore {
    root: PathBuf,
    /// Held while the store (or a clone of it) is open: a second run on the folder is refused.
    _lock: std::sync::Arc<FolderLock>,
    /// Whether other runs may write their own models here at the same time.
    shared: bool,
}

impl ResultsStore {
    /// Opens (creating if need be) a results folder for `protocol`. Checks at once that the
    /// folder is writable and that an existing folder holds the same protocol, so a mistake
    /// shows before any training, and nothing already there is overwritten.
    pub fn open(root: &Path, protocol: &Protocol) -> Result<Self, Error> {
        Self::open_with(root, protocol, false)
    }

    /// [`ResultsStore::open`] for a run that trains one part of the study beside other runs on
    /// the same folder: the folder lock is shared with them (a whole run is still refused), and
    /// each model is claimed while it trains ([`ResultsStore::claim`]).
    pub fn open_shared(root: &Path, protocol: &Protocol) -> Result<Self, Error> {
        Self::open_with(root, protocol, true)
    }

    fn open_with(root: &Path, protocol: &Protocol, shared: bool) -> Result<Self, Error> {
        for dir in [
            root.to_path_buf(),
            root.join("records"),
            root.join("models"),
        ] {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        let lock = if shared {
            FolderLock::acquire_shared(root)?
        } else {
            FolderLock::acquire(root)?
        };
        // One probe per process: runs sharing the folder must not remove each other's.
        let probe = root.join(format!(".write-test-{}", std::process::id()));
        write_atomically(&probe, b"ok")?;
        std::fs::remove_file(&probe).map_err(|e| Error::io(&probe, e))?;
        let config = root.join("config.json");
        match read_protocol(root)? {
            Some(theirs) => {
                if &theirs != protocol {
                    return Err(Error::Config(format!(
                        "{} holds a study with a different protocol ({}); use another --out folder",
                        config.display(),
                        protocol_difference(&theirs, protocol)
                    )));
                }
            }
            None => {
                let text = serde_json::to_string_pretty(protocol).expect("the protocol serialises");
                write_atomically(&config, text.as_bytes())?;
            }
        }
        Ok(Self {
            root: root.to_path_buf(),
            _lock: std::sync::Arc::new(lock),
            shared,
        })
    }

    /// The claim on model `key` while this run trains it, in a shared folder; `None` when the
    /// folder lock is this run's alone (no other run can train anything there).
    pub fn claim(&self, key: &str) -> Result<Option<ModelClaim>, Error> {
        if self.shared {
            ModelClaim::acquire(&self.root, key).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn record_path(&self, key: &str) -> PathBuf {
        self.root.join("records").join(format!("{key}.json"))
    }

    fn model_path(&self, key: &str) -> PathBuf {
        self.root.join("models").join(format!("{key}.safetensors"))
    }

    /// The record of `key`, if it is on disk. A record that does not parse is an error naming
    /// the file, never silently retrained over.
    pub fn record(&self, key: &str) -> Result<Option<Record>, Error> {
        let path = self.record_path(key);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::Config(format!(
                    "{}: corrupt record ({e}); delete it to train that model again",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// The saved model of `key`.
    pub fn model(&self, key: &str) -> Result<Mlp<f32>, Error> {
        let path = self.model_path(key);
        if !path.exists() {
            return Err(Error::Config(format!(
                "the record of {key} exists but its model {} is missing; delete {} to train it again",
                path.display(),
                self.record_path(key).display()
            )));
        }
        Ok(checkpoint::load::<f32>(&path)?.0)
    }

    /// Saves a model (if any) and then its record, each atomically: a record on disk always
    /// has its model beside it.
    pub fn save(&self, record: &Record, model: Option<&Mlp<f32>>) -> Result<(), Error> {
        if let Some(model) = model {
            let path = self.model_path(&record.key);
            ensure_parent(&path)?;
            checkpoint::save(
                model,
                &path,
                &[
                    ("key", record.key.clone()),
                    ("seed", record.seed.to_string()),
                ],
            )?;
        }
        let path = self.record_path(&record.key);
        ensure_parent(&path)?;
        let text = serde_json::to_string_pretty(record).expect("a record serialises");
        write_atomically(&path, text.as_bytes())
    }

    /// Every record in the folder, sorted by key.
    pub fn all_records(&self) -> Result<Vec<Record>, Error> {
        read_records(&self.root)
    }
}

/// The protocol in `root/config.json`, `None` when the folder has none; a file that does not
/// parse is an error naming it.
pub fn read_protocol(root: &Path) -> Result<Option<Protocol>, Error> {
    let config = root.join("config.json");
    match std::fs::read_to_string(&config) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::Config(format!(
                "{}: not a kd-mlp study configuration ({e})",
                config.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&config, e)),
    }
}

/// Every record under `root/records`, sorted by key; a file that does not parse is an error
/// naming it.
pub fn read_records(root: &Path) -> Result<Vec<Record>, Error> {
    let dir = root.join("records");
    let mut files = Vec::new();
    collect_json(&dir, &mut files)?;
    let mut records = Vec::with_capacity(files.len());
    for path in files {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let record: Record = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Config(format!("{}: corrupt record ({e})", path.display())))?;
        records.push(record);
    }
    records.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(records)
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Config(format!(
                "{} is not a kd-mlp results folder (no records/ in it)",
                dir.parent().unwrap_or(dir).display()
            )))
        }
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            collect_json(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn ensure_parent(path: &Path) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// The first field in which two protocols differ, for the error message.
fn protocol_difference(a: &Protocol, b: &Protocol) -> String {
    let (a, b) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    );
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return "unreadable".into();
    };
    for (k, va) in a {
        if b.get(k) != Some(va) {
            return format!(
                "{k}: the folder has {va}, this run {}",
                b.get(k).cloned().unwrap_or_default()
            );
        }
    }
    "differing fields".into()
}

/// Merges the records of several folders by key: the same model in two folders must agree
/// (timings aside), or the folders come from different studies.
pub fn merge_records(sets: Vec<Vec<Record>>) -> Result<Vec<Record>, Error> {
    let mut merged: BTreeMap<String, Record> = BTreeMap::new();
    for record in sets.into_iter().flatten() {
        match merged.get(&record.key) {
            Some(seen) if seen.without_timings() != record.without_timings() => {
                return Err(Error::Config(format!(
                    "two different records of {}: the folders hold different studies",
                    record.key
                )))
            }
            Some(_) => {}
            None => {
                merged.insert(record.key.clone(), record);
            }
        }
    }
    Ok(merged.into_values().collect())
}
