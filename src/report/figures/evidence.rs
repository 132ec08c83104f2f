//! What the figures beyond the records need: the saved models of a results folder and the test
//! data. Each is optional; a figure that lacks one is drawn as a note saying what is missing.

use crate::data::Dataset;
use crate::engine::mlp::Mlp;
use crate::persist::checkpoint;
use crate::study::record::{Record, Role};
use std::path::{Path, PathBuf};

/// The models folder of a results folder (if any) and the test data (if the writer has it).
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    pub results: Option<&'a Path>,
    pub test: Option<&'a Dataset>,
}

impl<'a> Evidence<'a> {
    /// The models under `results/models/` and, if given, the test data.
    pub fn new(results: &'a Path, test: Option<&'a Dataset>) -> Self {
        Self {
            results: Some(results),
            test,
        }
    }

    /// Neither models nor data: every figure that needs them says so.
    pub fn records_only() -> Self {
        Self {
            results: None,
            test: None,
        }
    }

    fn model_path(&self, key: &str) -> Option<PathBuf> {
        self.results
            .map(|r| r.join("models").join(format!("{key}.safetensors")))
    }

    /// The model of `key`, or why it cannot be had.
    pub fn model(&self, key: &str) -> Result<Mlp<f32>, String> {
        let path = self.model_path(key).ok_or_else(|| {
            "this report was written from records alone, without models".to_string()
        })?;
        if !path.is_file() {
            return Err(format!(
                "the model file models/{key}.safetensors is not in the results folder (a report \
                 merged from records only keeps no models)"
            ));
        }
        checkpoint::load::<f32>(&path)
            .map(|(m, _)| m)
            .map_err(|e| format!("the model file could not be read: {e}"))
    }

    /// The test data, or why there is none.
    pub fn test(&self) -> Result<&'a Dataset, String> {
        self.test.ok_or_else(|| {
            "the test data was not given to the report writer (`kd-mlp report DIR --data DATA` \
             draws this figure, as `kd-mlp reproduce` does)"
                .to_string()
        })
    }
}

/// The first repetition that has a record of every role in `roles` (the repetition whose models
/// the figures show), if any.
pub fn first_repetition_with(records: &[Record], roles: &[Role]) -> Option<usize> {
    let mut reps: Vec<usize> = records.iter().map(|r| r.repetition).collect();
    reps.sort_unstable();
    reps.dedup();
    reps.into_iter().find(|&rep| {
        roles.iter().all(|&role| {
            records
                .iter()
                .any(|r| r.role == role && r.repetition == rep)
        })
    })
}
