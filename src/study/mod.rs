//! The study layer: the protocol and the grid, the seeds of the paired design, the graph of jobs
//! on worker threads, and the resumable results store with its records and lock.
//! It uses train, data, the engine and persistence; [`run`] is the library's entry for a whole study.

mod axes;
pub mod forensics;
mod graph;
mod model_flops;
mod models;
mod progress;
mod protocol;
pub mod record;
pub mod scheduler;
pub mod selection;
pub mod stopping;
mod store;
mod subset;

pub use axes::{Axes, SmoothingArm, SmoothingSpec};
pub use graph::{run, run_part};
pub use progress::{role_cost, study_cost, ProgressState, StudyEvent};
pub use protocol::{data_fingerprint, grid_arms, model_seed, Protocol, Shard, Study};
pub use record::{
    distilled_key, distilled_name, DistillSettings, Record, Role, SmoothingSettings, Source,
    TrainSubset,
};
pub use stopping::{ArmStopping, DistillMonitor};
pub use store::{merge_records, read_protocol, read_records, ResultsStore};
pub use subset::{draw_subset, subset_fingerprint};
