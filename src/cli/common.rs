//! What several commands share: the data folder, the training flags, the progress bar.

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kd_mlp::data::{load, DataSource, Dataset, Mnist};
use kd_mlp::engine::adam::AdamConfig;
use kd_mlp::engine::mlp::Mlp;
use kd_mlp::limits::MemoryPlan;
use kd_mlp::train::early_stopping::Monitor;
use kd_mlp::train::{TrainConfig, TrainEvent};
use kd_mlp::Error;
use std::path::{Path, PathBuf};

/// What names one model and its output, shared by `train` and `distill`.
#[derive(Args, Debug, Clone)]
pub struct ModelFlags {
    /// Hidden layer widths, e.g. 100 (the student) or 500,400,300,200,100 (the teacher).
    #[arg(long, default_value = "100")]
    pub arch: String,
    /// Seed of the initial weights and the batch order.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where to save the model (safetensors). Default: results/train/arch-ARCH-seed-SEED.safetensors,
    /// or for distill results/distill/arch-ARCH-seed-SEED-MODE-TT-aALPHA.safetensors.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object with the whole record on stdout instead of the epoch lines.
    #[arg(long)]
    pub json: bool,
}

impl ModelFlags {
    /// `--out`, or `results/COMMAND/arch-ARCH-seed-SEED{suffix}.safetensors`.
    pub fn out_or_default(&self, command: &str, suffix: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            PathBuf::from(format!(
                "results/{command}/arch-{}-seed-{}{suffix}.safetensors",
                self.arch.replace(',', "-"),
                self.seed
            ))
        })
    }
}

/// The class count and the four files named one by one, shared by every command that reads data.
#[derive(Args, Debug, Clone, Default)]
pub struct FileFlags {
    /// Number of classes (default: the largest training label + 1).
    #[arg(long)]
    pub classes: Option<usize>,
    /// The training images file (default: found in the data folder).
    #[arg(long = "train-images")]
    pub train_images: Option<PathBuf>,
    /// The training labels file (default: found in the data folder).
    #[arg(long = "train-labels")]
    pub train_labels: Option<PathBuf>,
    /// The test images file (default: found in the data folder).
    #[arg(long = "test-images")]
    pub test_images: Option<PathBuf>,
    /// The test labels file (default: found in the data folder).
    #[arg(long = "test-labels")]
    pub test_labels: Option<PathBuf>,
}

impl FileFlags {
    /// The data set in `dir`, with the files named here overriding the folder's.
    pub fn source(&self, dir: &Path) -> DataSource {
        DataSource {
            dir: dir.to_path_buf(),
            train_images: self.train_images.clone(),
            train_labels: self.train_labels.clone(),
            test_images: self.test_images.clone(),
            test_labels: self.test_labels.clone(),
        }
    }
}

/// Where the data is: a folder and the flags of [`FileFlags`].
#[derive(Args, Debug, Clone)]
pub struct DataFlags {
    /// Folder with the four IDX files (raw or .gz), found by MNIST's names or a unique match of
    /// *train-images*, *train-labels*, *t10k-images* or *test-images*, *t10k-labels* or *test-labels*.
    #[arg(long, default_value = "data/mnist")]
    pub data: PathBuf,
    #[command(flatten)]
    pub files: FileFlags,
}

/// The data folder and the training settings, shared by `train`, `distill` and `reproduce`.
#[derive(Args, Debug, Clone)]
pub struct TrainingFlags {
    #[command(flatten)]
    pub data: DataFlags,
    /// Epoch cap.
    #[arg(long = "epochs-max", default_value_t = 100)]
    pub epochs_max: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Epochs without improvement before stopping.
    #[arg(long, default_value_t = 2)]
    pub patience: usize,
    /// What early stopping watches.
    #[arg(long, value_enum, default_value_t = Monitor::ValLoss)]
    pub monitor: Monitor,
    /// Keras's min_delta for every model: an epoch improves only when monitored + X < best
    /// (0: any decrease counts). For distilled students alone: --distill-min-delta.
    #[arg(
        long = "min-delta",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub min_delta: f64,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub lr: f64,
    /// Fraction of the training file (its end) held out for validation.
    #[arg(long = "validation-fraction", default_value_t = 0.1)]
    pub validation_fraction: f64,
}

impl TrainingFlags {
    /// The training configuration these flags describe, for a model with `seed`.
    pub fn config(&self, seed: u64) -> Result<TrainConfig, Error> {
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(Error::Config(format!(
                "--validation-fraction must be between 0 and 1 (exclusive), got {}",
                self.validation_fraction
            )));
        }
        // Checked here as well as by training, so that `reproduce` refuses them before it
        // makes its results folder.
        if self.batch == 0 {
            return Err(Error::Config(
                "batch size must be at least 1 (--batch)".into(),
            ));
        }
        if self.epochs_max == 0 {
            return Err(Error::Config(
                "the epoch cap must be at least 1 (--epochs-max)".into(),
            ));
        }
        if !(self.min_delta.is_finite() && self.min_delta >= 0.0) {
            return Err(Error::Config(format!(
                "--min-delta must be a number >= 0, got {}",
                self.min_delta
            )));
        }
        Ok(TrainConfig {
            batch_size: self.batch,
            max_epochs: self.epochs_max,
            patience: self.patience,
            min_delta: self.min_delta,
            monitor: self.monitor,
            adam: AdamConfig {
                learning_rate: self.lr,
                ..AdamConfig::default()
            },
            seed,
            ..TrainConfig::default()
        })
    }
}

/// Loads the data set (an error names the missing or bad file), its class count `--classes`,
/// else `default_classes` (a saved model's), else the training labels'.
pub fn load_data(flags: &DataFlags, default_classes: Option<usize>) -> Result<Mnist, Error> {
    let classes = flags.files.classes.or(default_classes);
    Ok(load(&flags.files.source(&flags.data), classes)?)
}

/// Checks a run's memory plan against what this process may use before anything is allocated
/// or written: an error over the limit, a warning on stderr near it. Returns the estimate in
/// MiB for the start line or the JSON record.
pub fn check_memory(plan: &MemoryPlan) -> Result<f64, Error> {
    if let Some(warning) = kd_mlp::limits::check_memory(plan)? {
        eprintln!("{warning}");
    }
    Ok(plan.total_mib())
}

/// Says on stderr, once, which classes have no training example (legal: EMNIST letters has
/// no class 0), for the commands that train.
pub fn warn_empty_classes(data: &Mnist) {
    let empty = data.empty_classes();
    if !empty.is_empty() {
        eprintln!(
            "warning: {} of the {} classes have no training example: {}",
            empty.len(),
            data.classes(),
            empty
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// `[pixels, hidden…, classes]` for this data.
pub fn network_sizes(data: &Dataset, hidden: &[usize]) -> Vec<usize> {
    let mut sizes = vec![data.pixels()];
    sizes.extend(hidden);
    sizes.push(data.classes());
    sizes
}

pub use kd_mlp::limits::sizes_text;

/// Errors unless `model` (read from `path`) takes this data's images and has enough outputs.
pub fn check_model_fits(model: &Mlp<f32>, data: &Dataset, path: &Path) -> Result<(), Error> {
    if model.inputs() != data.pixels() {
        return Err(Error::Config(format!(
            "model {} takes {} inputs but the images have {} pixels ({}x{})",
            path.display(),
            model.inputs(),
            data.pixels(),
            data.rows(),
            data.cols()
        )));
    }
    if model.classes() < data.classes() {
        return Err(Error::Config(format!(
            "model {} has {} outputs but the data has {} classes",
            path.display(),
            model.classes(),
            data.classes()
        )));
    }
    Ok(())
}

/// A progress bar over one epoch's batches, on stderr (hidden when stderr is not a terminal),
/// and the event handler that drives it. `print_epochs` prints one line per finished epoch.
pub fn epoch_bar(print_epochs: bool) -> (ProgressBar, impl FnMut(TrainEvent<'_>)) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} batches, {per_sec}, eta {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let handle = bar.clone();
    let on_event = move |event: TrainEvent<'_>| match event {
        TrainEvent::EpochStarted { epoch, batches } => {
            handle.reset();
            handle.set_length(batches as u64);
            handle.set_prefix(format!("epoch {epoch}"));
        }
        TrainEvent::BatchDone { .. } => handle.inc(1),
        TrainEvent::EpochDone(r) => {
            if print_epochs {
                handle.suspend(|| {
                    println!(
                        "epoch {:3}  train loss {:.4}  val loss {:.4}  val error {:5.2}%  {:6.2} s  {:8.0} samples/s",
                        r.epoch,
                        r.train_loss,
                        r.val_loss,
                        100.0 * r.val_error,
                        r.seconds,
                        r.samples_per_s
                    )
                });
            }
        }
    };
    (bar, on_event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_model_paths_name_the_settings() {
        let flags = ModelFlags {
            arch: "500,400".into(),
            seed: 7,
            out: None,
            json: false,
        };
        assert_eq!(
            flags.out_or_default("distill", "-logits-T4-a0.5"),
            PathBuf::from("results/distill/arch-500-400-seed-7-logits-T4-a0.5.safetensors")
        );
        assert_eq!(
            flags.out_or_default("train", ""),
            PathBuf::from("results/train/arch-500-400-seed-7.safetensors")
        );
        let given = ModelFlags {
            out: Some("m.safetensors".into()),
            ..flags
        };
        assert_eq!(
            given.out_or_default("train", ""),
            PathBuf::from("m.safetensors")
        );
    }
}
