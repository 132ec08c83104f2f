//! The data layer: the IDX format, the labelled data set, finding and loading a data set's four
//! files (MNIST or kin, any class count), a look at them before training (`inspect`), the
//! protocol's train/validation split, and gathering a shuffled batch into floats.
//! It uses nothing of the crate but [`crate::Float`]; everything above reads data through it.

pub mod batch;
mod dataset;
mod files;
pub mod idx;
pub mod inspect;
mod mnist;
mod split;
#[cfg(test)]
mod tests;

pub use dataset::{DataError, Dataset};
pub use files::{DataFiles, DataSource, MNIST_FILES};
pub use mnist::{
    class_count, empty_classes, load, load_dir, load_files, Mnist, MAX_CLASSES, MNIST_CLASSES,
};
pub use split::{validation_split, Split};
