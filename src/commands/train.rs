//! `kd-mlp train`: one network on hard labels, to early stop.

use super::common::{epoch_bar, load_data, network_sizes, sizes_text, TrainingFlags};
use clap::Args;
use kd_mlp::checkpoint;
use kd_mlp::data::validation_split;
use kd_mlp::early_stopping::Monitor;
use kd_mlp::evaluate::evaluate;
use kd_mlp::mlp::{parse_hidden, Mlp};
use kd_mlp::train::{train, EpochRecord, Objective, Split, TrainReport};
use kd_mlp::Error;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct TrainArgs {
    /// Hidden layer widths, e.g. 100 (the student) or 500,400,300,200,100 (the teacher).
    #[arg(long, default_value = "100")]
    pub arch: String,
    /// Seed of the initial weights and the batch order.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where to save the model (safetensors). Default: results/train/arch-ARCH-seed-SEED.safetensors
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object with the whole record on stdout instead of the epoch lines.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub training: TrainingFlags,
}

/// What `train --json` (and `distill --json`) prints.
#[derive(Serialize)]
pub struct RunRecord {
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

/// Creates the folder of `out` if need be, so a bad path fails before training.
pub fn prepare_out(out: &Path) -> Result<(), Error> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Prints the end of a run: JSON, or the summary lines.
pub fn print_result(record: &RunRecord, report: &TrainReport, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string(record).expect("the record serialises")
        );
        return;
    }
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
        100.0 * record.test_error,
        record.test_loss
    );
    println!("model saved to {}", record.model.display());
}

pub fn run(args: TrainArgs, threads: usize) -> Result<(), Error> {
    let hidden = parse_hidden(&args.arch)?;
    let cfg = args.training.config(args.seed)?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "results/train/arch-{}-seed-{}.safetensors",
            args.arch.replace(',', "-"),
            args.seed
        ))
    });
    prepare_out(&out)?;
    let mnist = load_data(&args.training.data)?;
    let sizes = network_sizes(&mnist.train, &hidden);
    let mut mlp = Mlp::<f32>::glorot(&sizes, args.seed)?;
    let (train_range, validation) =
        validation_split(mnist.train.len(), args.training.validation_fraction);
    let split = Split {
        train: train_range,
        validation,
    };
    if !args.json {
        println!(
            "training {} ({} parameters) on {} samples, validating on {}, {threads} threads",
            sizes_text(&sizes),
            mlp.params().len(),
            split.train.len(),
            split.validation.len()
        );
    }
    let name = format!("{} seed {}", sizes_text(&sizes), args.seed);
    let (bar, mut on_event) = epoch_bar(!args.json);
    let report = train(
        &mut mlp,
        &mnist.train,
        &split,
        &cfg,
        &Objective::HardLabels,
        &name,
        &mut on_event,
    );
    bar.finish_and_clear();
    let report = report?;
    let test = evaluate(&mlp, &mnist.test, 0..mnist.test.len());
    checkpoint::save(
        &mlp,
        &out,
        &[
            ("seed", args.seed.to_string()),
            ("best_epoch", report.best_epoch.to_string()),
            ("test_error", test.error.to_string()),
        ],
    )?;
    let record = RunRecord {
        arch: sizes,
        parameters: mlp.params().len(),
        seed: args.seed,
        monitor: cfg.monitor,
        threads,
        epochs: report.epochs.clone(),
        best_epoch: report.best_epoch,
        stopped_early: report.stopped_early,
        train_seconds: report.train_seconds,
        test_loss: test.loss,
        test_error: test.error,
        model: out,
    };
    print_result(&record, &report, args.json);
    Ok(())
}
