//! Persistence: models as safetensors, files written atomically and durably, and the lock that
//! keeps two runs out of one results folder.
//! It uses the engine (a model's parameters) and nothing above it.

mod atomic;
pub mod checkpoint;
mod folder_lock;
mod model_claim;
pub mod tensors;

pub use atomic::{check_writable, write_atomically};
pub use folder_lock::FolderLock;
pub use model_claim::ModelClaim;
