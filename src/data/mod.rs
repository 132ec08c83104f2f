//! The data layer: the IDX format, the labelled data set, the MNIST folder, the protocol's
//! train/validation split, and gathering a shuffled batch into floats.
//! It uses nothing of the crate but [`crate::Float`]; everything above reads data through it.

pub mod batch;
mod dataset;
pub mod idx;
mod mnist;
mod split;
#[cfg(test)]
mod tests;

pub use dataset::{DataError, Dataset};
pub use mnist::{load_dir, Mnist, MNIST_CLASSES, MNIST_FILES};
pub use split::{validation_split, Split};
