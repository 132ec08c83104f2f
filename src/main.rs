//! The `kd-mlp` command line. Every error a user can cause ends here as one line on stderr and a
//! non-zero exit code.

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use kd_mlp::checkpoint;
use kd_mlp::data::{load_dir, validation_split, Mnist};
use kd_mlp::early_stopping::Monitor;
use kd_mlp::evaluate::{evaluate, predict, ConfusionMatrix};
use kd_mlp::mlp::{parse_hidden, Mlp};
use kd_mlp::threads::build_pool;
use kd_mlp::train::{train, EpochRecord, Objective, Split, TrainConfig, TrainEvent};
use kd_mlp::Error;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kd-mlp",
    version,
    about = "Train MLP teachers and students on IDX image files (MNIST)"
)]
struct Cli {
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one network on hard labels until early stopping, then report its test error.
    Train(TrainArgs),
    /// Test error, per-class error and confusion matrix of a saved model.
    Eval(EvalArgs),
}

#[derive(Args)]
struct TrainArgs {
    /// Hidden layer widths, e.g. 100 (the student) or 500,400,300,200,100 (the teacher).
    #[arg(long, default_value = "100")]
    arch: String,
    /// Seed of the initial weights and the batch order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Folder with the four MNIST files (raw or .gz).
    #[arg(long, default_value = "data/mnist")]
    data: PathBuf,
    /// Where to save the model (safetensors). Default: results/train/arch-ARCH-seed-SEED.safetensors
    #[arg(long)]
    out: Option<PathBuf>,
    /// Epoch cap.
    #[arg(long = "epochs-max", default_value_t = 100)]
    epochs_max: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Epochs without improvement before stopping.
    #[arg(long, default_value_t = 2)]
    patience: usize,
    /// What early stopping watches.
    #[arg(long, value_enum, default_value_t = Monitor::ValLoss)]
    monitor: Monitor,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Fraction of the training file (its end) held out for validation.
    #[arg(long = "validation-fraction", default_value_t = 0.1)]
    validation_fraction: f64,
    /// Print one JSON object with the whole record on stdout instead of the epoch lines.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct EvalArgs {
    /// A model saved by `kd-mlp train`.
    model: PathBuf,
    /// Folder with the four MNIST files (raw or .gz).
    #[arg(long, default_value = "data/mnist")]
    data: PathBuf,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What `train --json` prints.
#[derive(Serialize)]
struct TrainRecord {
    arch: Vec<usize>,
    parameters: usize,
    seed: u64,
    monitor: Monitor,
    threads: usize,
    epochs: Vec<EpochRecord>,
    best_epoch: usize,
    stopped_early: bool,
    train_seconds: f64,
    test_loss: f64,
    test_error: f64,
    model: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = build_pool(cli.threads).and_then(|pool| {
        let threads = pool.current_num_threads();
        pool.install(|| match cli.command {
            Command::Train(args) => run_train(args, threads),
            Command::Eval(args) => run_eval(args),
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_data(dir: &Path) -> Result<Mnist, Error> {
    Ok(load_dir(dir)?)
}

fn run_train(args: TrainArgs, threads: usize) -> Result<(), Error> {
    if !(args.validation_fraction > 0.0 && args.validation_fraction < 1.0) {
        return Err(Error::Config(format!(
            "--validation-fraction must be between 0 and 1 (exclusive), got {}",
            args.validation_fraction
        )));
    }
    let hidden = parse_hidden(&args.arch)?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "results/train/arch-{}-seed-{}.safetensors",
            args.arch.replace(',', "-"),
            args.seed
        ))
    });
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mnist = load_data(&args.data)?;
    let mut sizes = vec![mnist.train.pixels()];
    sizes.extend(&hidden);
    sizes.push(mnist.train.classes());
    let mut mlp = Mlp::<f32>::glorot(&sizes, args.seed)?;
    let (train_range, validation) = validation_split(mnist.train.len(), args.validation_fraction);
    let split = Split {
        train: train_range,
        validation,
    };
    let cfg = TrainConfig {
        batch_size: args.batch,
        max_epochs: args.epochs_max,
        patience: args.patience,
        monitor: args.monitor,
        adam: kd_mlp::adam::AdamConfig {
            learning_rate: args.lr,
            ..Default::default()
        },
        seed: args.seed,
        ..TrainConfig::default()
    };
    let name = format!("{sizes:?} seed {}", args.seed);
    if !args.json {
        println!(
            "training {} ({} parameters) on {} samples, validating on {}, {threads} threads",
            sizes
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join("-"),
            mlp.params().len(),
            split.train.len(),
            split.validation.len()
        );
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} batches, {per_sec}, eta {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let json = args.json;
    let mut on_event = |event: TrainEvent<'_>| match event {
        TrainEvent::EpochStarted { epoch, batches } => {
            bar.reset();
            bar.set_length(batches as u64);
            bar.set_prefix(format!("epoch {epoch}"));
        }
        TrainEvent::BatchDone { .. } => bar.inc(1),
        TrainEvent::EpochDone(r) => {
            if !json {
                bar.suspend(|| {
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
    if args.json {
        let record = TrainRecord {
            arch: sizes,
            parameters: mlp.params().len(),
            seed: args.seed,
            monitor: args.monitor,
            threads,
            epochs: report.epochs,
            best_epoch: report.best_epoch,
            stopped_early: report.stopped_early,
            train_seconds: report.train_seconds,
            test_loss: test.loss,
            test_error: test.error,
            model: out,
        };
        println!(
            "{}",
            serde_json::to_string(&record).expect("the record serialises")
        );
    } else {
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
            "test error {:.2}% ({} samples), test loss {:.4}",
            100.0 * test.error,
            test.samples,
            test.loss
        );
        println!("model saved to {}", out.display());
    }
    Ok(())
}

/// What `eval --json` prints.
#[derive(Serialize)]
struct EvalRecord {
    model: PathBuf,
    arch: Vec<usize>,
    test_loss: f64,
    test_error: f64,
    per_class_error: Vec<f64>,
    confusion: Vec<Vec<usize>>,
}

fn run_eval(args: EvalArgs) -> Result<(), Error> {
    let (mlp, _) = checkpoint::load::<f32>(&args.model)?;
    let mnist = load_data(&args.data)?;
    let test = &mnist.test;
    if mlp.inputs() != test.pixels() {
        return Err(Error::Config(format!(
            "model {} takes {} inputs but the test images have {} pixels ({}x{})",
            args.model.display(),
            mlp.inputs(),
            test.pixels(),
            test.rows(),
            test.cols()
        )));
    }
    if mlp.classes() < test.classes() {
        return Err(Error::Config(format!(
            "model {} has {} outputs but the data has {} classes",
            args.model.display(),
            mlp.classes(),
            test.classes()
        )));
    }
    let eval = evaluate(&mlp, test, 0..test.len());
    let predictions = predict(&mlp, test, 0..test.len());
    let confusion = ConfusionMatrix::new(
        mlp.classes(),
        test.labels().iter().map(|&y| usize::from(y)),
        &predictions,
    );
    if args.json {
        let record = EvalRecord {
            model: args.model,
            arch: mlp.sizes().to_vec(),
            test_loss: eval.loss,
            test_error: eval.error,
            per_class_error: confusion.per_class_error(),
            confusion: confusion.counts,
        };
        println!(
            "{}",
            serde_json::to_string(&record).expect("the record serialises")
        );
        return Ok(());
    }
    println!("model {} ({:?})", args.model.display(), mlp.sizes());
    println!(
        "test error {:.2}% ({} samples), test loss {:.4}",
        100.0 * eval.error,
        eval.samples,
        eval.loss
    );
    println!("per-class error:");
    for (class, err) in confusion.per_class_error().iter().enumerate() {
        println!("  {class}: {:5.2}%", 100.0 * err);
    }
    println!("confusion matrix (rows: true class, columns: predicted):");
    print!("     ");
    for p in 0..mlp.classes() {
        print!("{p:>6}");
    }
    println!();
    for (y, row) in confusion.counts.iter().enumerate() {
        print!("{y:>4} ");
        for c in row {
            print!("{c:>6}");
        }
        println!();
    }
    Ok(())
}
