//! The study layer: the protocol and the grid, the seeds of the paired design, the graph of jobs
//! on worker threads, and the resumable results store with its records and lock.
//! It uses train, data, the engine and persistence; [`run`] is the library's entry for a whole study.

mod graph;
mod models;
mod progress;
mod protocol;
pub mod record;
pub mod scheduler;
pub mod selection;
mod store;

pub use graph::{run, run_part};
pub use progress::{role_cost, study_cost, ProgressState, StudyEvent};
pub use protocol::{data_fingerprint, grid_arms, model_seed, Protocol, Shard, Study};
pub use record::{distilled_key, DistillSettings, Record, Role, Source};
pub use store::{merge_records, read_records, ResultsStore};
