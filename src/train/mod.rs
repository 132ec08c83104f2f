//! The training layer: the step and the loop with early stopping, evaluation, teachers and
//! ensembles with their soft targets, and the Ctrl-C flag a run checks once per batch.
//! It uses the engine and the data layer; nothing here knows about studies or reports.

mod combined_loss;
mod config;
pub mod early_stopping;
pub mod evaluate;
pub mod flops;
pub mod interrupt;
mod run;
pub mod teacher;
mod trainer;

pub use combined_loss::objective_loss;
pub use config::{EpochRecord, TrainConfig, TrainEvent, TrainReport};
pub use run::train;
pub use trainer::{Divergence, Objective, Trainer};
