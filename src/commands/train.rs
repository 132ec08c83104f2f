//! `kd-mlp train`: one network on hard labels, to early stop.

use super::common::{epoch_bar, load_data, network_sizes, sizes_text, ModelFlags, TrainingFlags};
use clap::Args;
use kd_mlp::checkpoint;
use kd_mlp::data::{Dataset, Mnist};
use kd_mlp::early_stopping::Monitor;
use kd_mlp::evaluate::evaluate;
use kd_mlp::mlp::{parse_hidden, Mlp};
use kd_mlp::train::{train, EpochRecord, Objective, Split, TrainConfig, TrainReport};
use kd_mlp::Error;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub model: ModelFlags,
    #[command(flatten)]
    pub training: TrainingFlags,
}

/// What `train --json` (and `distill --json`) prints.
#[derive(Serialize)]
struct RunRecord {
    pub arch: Vec<usize>,
    pub parameters: usize,
    pub seed: u64,
    pub monitor: Monitor,
    pub threads: usize,
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
    checkpoint::check_writable(out)
}

/// What a `train` or `distill` run needs to know to save and report its model.
pub struct RunOutput<'a> {
    pub seed: u64,
    pub monitor: Monitor,
    pub threads: usize,
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

pub fn run(args: TrainArgs, threads: usize) -> Result<(), Error> {
    let model = &args.model;
    let hidden = parse_hidden(&model.arch)?;
    let cfg = args.training.config(model.seed)?;
    let out = model.out_or_default("train", "");
    prepare_out(&out)?;
    let mnist = load_data(&args.training.data)?;
    let sizes = network_sizes(&mnist.train, &hidden);
    let mlp = Mlp::<f32>::glorot(&sizes, model.seed)?;
    let split = Split::holdout(mnist.train.len(), args.training.validation_fraction);
    if !model.json {
        println!(
            "training {} ({} parameters) on {} samples, validating on {}, {threads} threads",
            sizes_text(&sizes),
            mlp.params().len(),
            split.train.len(),
            split.validation.len()
        );
    }
    let name = format!("{} seed {}", sizes_text(&sizes), model.seed);
    let run = RunOutput {
        seed: model.seed,
        monitor: cfg.monitor,
        threads,
        out: &out,
        json: model.json,
        metadata: Vec::new(),
    };
    let task = Training {
        split: &split,
        cfg: &cfg,
        objective: &Objective::HardLabels,
        name: &name,
    };
    train_and_finish(mlp, &mnist, task, run)
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
