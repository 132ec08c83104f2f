//! `kd-mlp eval`: test error, per-class error and confusion matrix of a saved model.

use super::common::{check_memory, check_model_fits, load_data, DataFlags};
use clap::Args;
use kd_mlp::limits::{eval_plan, DataShape};
use kd_mlp::persist::checkpoint;
use kd_mlp::train::evaluate::{evaluate, predict, ConfusionMatrix};
use kd_mlp::Error;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Args)]
pub struct EvalArgs {
    /// A model saved by `kd-mlp train`.
    model: PathBuf,
    #[command(flatten)]
    data: DataFlags,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
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

pub fn run(args: EvalArgs) -> Result<(), Error> {
    let (mlp, _) = checkpoint::load::<f32>(&args.model)?;
    let mnist = load_data(&args.data, Some(mlp.classes()))?;
    let test = &mnist.test;
    check_model_fits(&mlp, test, &args.model)?;
    let threads = rayon::current_num_threads();
    check_memory(&eval_plan(&DataShape::of(&mnist), mlp.sizes(), threads))?;
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
