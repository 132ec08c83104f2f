//! What `train` and `distill` share: train one model to early stop with a progress bar, then
//! finish the run (test error, model file, and the summary lines or the JSON record).

use super::common::epoch_bar;
use kd_mlp::data::{Dataset, Mnist, Split};
use kd_mlp::engine::mlp::Mlp;
use kd_mlp::persist::checkpoint;
use kd_mlp::train::early_stopping::Monitor;
use kd_mlp::train::evaluate::evaluate;
use kd_mlp::train::{train, EpochRecord, Objective, TrainConfig, TrainReport};
use kd_mlp::Error;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `train --json` (and `distill --json`) prints.
#[derive(Serialize)]
struct RunRecord {
    pub arch: Vec<usize>,
    pub parameters: usize,
    pub seed: u64,
    pub monitor: Monitor,
    pub threads: usize,
    /// The memory plan's estimate of the run's peak (docs/RELIABILITY.md).
    pub memory_estimate_mib: f64,
    pub epochs: Vec<EpochRecord>,
    pub best_epoch: usize,
    pub stopped_early: bool,
    pub train_seconds: f64,
    pub test_loss: f64,
    pub test_error: f64,
    pub model: PathBuf,
}

/// Creates the folder of `out` if need be and checks that it takes a write, so a bad path or a
/// full disk fails before training.
pub fn prepare_out(out: &Path) -> Result<(), Error> {
    kd_mlp::persist::check_writable(out)
}

/// What a `train` or `distill` run needs to know to save and report its model.
pub struct RunOutput<'a> {
    pub seed: u64,
    pub monitor: Monitor,
    pub threads: usize,
    /// The memory plan's estimate, in MiB.
    pub memory_mib: f64,
    pub out: &'a Path,
    pub json: bool,
    /// Metadata stored in the model file beside the seed and the test error.
    pub metadata: Vec<(&'static str, String)>,
}

/// Evaluates the trained model on the test set, saves it, and prints the end of the run: the
/// JSON record, or the summary lines.
fn finish(
    mlp: &Mlp<f32>,
    test_data: &Dataset,
    report: TrainReport,
    run: RunOutput<'_>,
) -> Result<(), Error> {
    let test = evaluate(mlp, test_data, 0..test_data.len());
    let mut metadata = run.metadata;
    metadata.push(("seed", run.seed.to_string()));
    metadata.push(("best_epoch", report.best_epoch.to_string()));
    metadata.push(("test_error", test.error.to_string()));
    checkpoint::save(mlp, run.out, &metadata)?;
    if !run.json {
        println!(
            "best epoch {} of {} ({}); {:.1} s of training",
            report.best_epoch,
            report.epochs.len(),
            if report.stopped_early {
                "early stop"
            } else {
                "epoch cap"
            },
            report.train_seconds
        );
        println!(
            "test error {:.2}%, test loss {:.4}",
            100.0 * test.error,
            test.loss
        );
        println!("model saved to {}", run.out.display());
        return Ok(());
    }
    let record = RunRecord {
        arch: mlp.sizes().to_vec(),
        parameters: mlp.params().len(),
        seed: run.seed,
        monitor: run.monitor,
        threads: run.threads,
        memory_estimate_mib: (run.memory_mib * 10.0).round() / 10.0,
        epochs: report.epochs,
        best_epoch: report.best_epoch,
        stopped_early: report.stopped_early,
        train_seconds: report.train_seconds,
        test_loss: test.loss,
        test_error: test.error,
        model: run.out.to_path_buf(),
    };
    println!(
        "{}",
        serde_json::to_string(&record).expect("the record serialises")
    );
    Ok(())
}

/// What [`train_and_finish`] trains on, and how.
pub struct Training<'a> {
    pub split: &'a Split,
    pub cfg: &'a TrainConfig,
    pub objective: &'a Objective<'a>,
    /// The model's name in error messages.
    pub name: &'a str,
}

/// Trains `mlp` to early stop (with a progress bar unless the run prints JSON), then
/// [`finish`]es the run: test error, model file, summary or record.
pub fn train_and_finish(
    mut mlp: Mlp<f32>,
    mnist: &Mnist,
    task: Training<'_>,
    run: RunOutput<'_>,
) -> Result<(), Error> {
    let (bar, mut on_event) = epoch_bar(!run.json);
    let report = train(
        &mut mlp,
        &mnist.train,
        task.split,
        task.cfg,
        task.objective,
        task.name,
        &mut on_event,
    );
    bar.finish_and_clear();
    finish(&mlp, &mnist.test, report?, run)
}
