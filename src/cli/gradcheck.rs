//! `kd-mlp gradcheck`: audit the analytic gradients of a tiny network against central finite
//! differences in f64, for the hard loss, the three distillation modes and label smoothing (see
//! [`kd_mlp::audit`]); with `--model` and `--dump`, write a saved model's gradient on test
//! samples for another framework to check ([`kd_mlp::audit::model_gradients`]).

use super::common::{check_memory, load_data, DataFlags};
use clap::Args;
use kd_mlp::audit::{self, model_gradients, GradcheckConfig, GradcheckReport};
use kd_mlp::engine::loss::{Distillation, SoftTargetMode};
use kd_mlp::limits::gradcheck_plan;
use kd_mlp::persist::{checkpoint, write_atomically};
use kd_mlp::{Error, Teacher};
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct GradcheckArgs {
    /// Layer sizes [inputs, hidden…, classes]. Every parameter costs 6 forward passes, so keep it
    /// small.
    #[arg(long, default_value = "6,5,4,3")]
    pub sizes: String,
    /// Rows in the batch.
    #[arg(long, default_value_t = 4)]
    pub batch: usize,
    /// Seed of the network, the batch, the labels and the random teacher.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Temperature T > 0 of the three distillation checks.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub temperature: f64,
    /// Weight α in [0, 1] of the hard term in the three distillation checks.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub alpha: f64,
    /// ε in [0, 1] of the label-smoothing check.
    #[arg(
        long = "label-smoothing",
        default_value_t = 0.1,
        allow_negative_numbers = true
    )]
    pub label_smoothing: f64,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// A saved model: write the analytic gradient of its batch-mean loss on `--samples` of the
    /// test set to `--dump` instead of auditing a tiny network.
    #[arg(long, requires = "dump")]
    pub model: Option<PathBuf>,
    /// The test samples A..B (B excluded) of the gradient dump.
    #[arg(long, default_value = "0..32")]
    pub samples: String,
    /// Teacher model(s) of the dump, comma-separated for an ensemble: the loss becomes the
    /// distillation loss at --temperature, --alpha and --mode.
    #[arg(long, value_delimiter = ',')]
    pub teacher: Vec<PathBuf>,
    /// Soft-target mode of the dump's distillation loss.
    #[arg(long, value_enum, default_value_t = SoftTargetMode::Logits)]
    pub mode: SoftTargetMode,
    /// Where to write the gradients, inputs and labels (safetensors; see docs/INTEROP.md).
    #[arg(long, requires = "model")]
    pub dump: Option<PathBuf>,
    /// The data set of the dump's test samples.
    #[command(flatten)]
    pub data: DataFlags,
}

/// Parses `"A..B"`.
fn parse_samples(text: &str) -> Result<Range<usize>, Error> {
    let bad = || {
        Error::Config(format!(
            "bad --samples '{text}': expected A..B with A < B, e.g. 0..32"
        ))
    };
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let (a, b) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a >= b {
        return Err(bad());
    }
    Ok(a..b)
}

/// `--model FILE --dump OUT`: the gradients of the model on the samples, written as safetensors.
fn dump(args: &GradcheckArgs, model_path: &Path, out: &Path) -> Result<(), Error> {
    let samples = parse_samples(&args.samples)?;
    let (model, _) = checkpoint::load::<f32>(model_path)?;
    let mnist = load_data(&args.data, Some(model.classes()))?;
    let teacher = if args.teacher.is_empty() {
        None
    } else {
        let members = args
            .teacher
            .iter()
            .map(|p| checkpoint::load::<f32>(p).map(|(m, _)| m))
            .collect::<Result<Vec<_>, _>>()?;
        let d = Distillation::new(args.alpha, args.temperature, args.mode)?;
        Some((Teacher::ensemble(members)?, d))
    };
    let g = model_gradients(
        &model,
        &mnist.test,
        samples,
        teacher.as_ref().map(|(t, d)| (t, *d)),
    )?;
    let mut extra = vec![("model", model_path.display().to_string())];
    if !args.teacher.is_empty() {
        let paths: Vec<String> = args
            .teacher
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        extra.push(("teacher", paths.join(",")));
    }
    write_atomically(out, &g.to_safetensors(&extra))?;
    let widest = g
        .grad_f32
        .iter()
        .zip(&g.grad_f64)
        .map(|(&a, &b)| (f64::from(a) - b).abs())
        .fold(0.0f64, f64::max);
    println!(
        "{} on test samples {}: loss {} = {:.9} (f32), {:.12} (f64)",
        model_path.display(),
        args.samples,
        g.loss.name(),
        g.loss_f32,
        g.loss_f64
    );
    println!(
        "{} gradient entries; largest |f32 - f64| difference {widest:.3e}; smallest |hidden \
         pre-activation| {:.3e}",
        g.grad_f64.len(),
        g.relu_margin
    );
    println!("gradients, inputs and labels written to {}", out.display());
    Ok(())
}

/// Parses `"6,5,4,3"`.
fn parse_sizes(text: &str) -> Result<Vec<usize>, Error> {
    text.split(',')
        .map(|part| match part.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Error::Config(format!(
                "bad size '{part}' in '{text}': expected positive integers separated by commas, e.g. 6,5,4,3"
            ))),
        })
        .collect()
}

fn print_table(report: &GradcheckReport) {
    let sizes: Vec<String> = report.sizes.iter().map(|s| s.to_string()).collect();
    println!(
        "gradcheck {}, batch {}, seed {}: {} parameters, central differences in f64",
        sizes.join("-"),
        report.batch,
        report.seed,
        report.parameters
    );
    println!(
        "hidden pre-activations at least {:.2e} from the ReLU kink ({} masked, {} passed; draw {})",
        report.kink_distance, report.relu_masked, report.relu_passed, report.draws
    );
    println!(
        "error = |a − n| / max(|a| + |n|, {:e}); a tensor passes below {:e}",
        report.tiny, report.tolerance
    );
    for check in &report.checks {
        match (check.temperature, check.alpha) {
            (Some(t), Some(a)) => println!(
                "loss {} (T = {t}, alpha = {a}): {:.6}, step h = {:e}",
                check.loss, check.value, check.step
            ),
            _ if check.epsilon.is_some() => println!(
                "loss {} (epsilon = {}): {:.6}, step h = {:e}",
                check.loss,
                check.epsilon.unwrap_or_default(),
                check.value,
                check.step
            ),
            _ => println!(
                "loss {}: {:.6}, step h = {:e}",
                check.loss, check.value, check.step
            ),
        }
    }
    println!(
        "{:<22} {:>5} {:>6} {:>7} {:>13} {:>13} {:>6}",
        "loss", "layer", "tensor", "shape", "max abs diff", "max rel err", "result"
    );
    for (loss, t) in report.rows() {
        let shape: Vec<String> = t.shape.iter().map(|s| s.to_string()).collect();
        println!(
            "{:<22} {:>5} {:>6} {:>7} {:>13.3e} {:>13.3e} {:>6}",
            loss,
            t.layer,
            t.tensor,
            shape.join("x"),
            t.comparison.max_abs_diff,
            t.comparison.max_rel_err,
            if t.passed { "pass" } else { "FAIL" }
        );
    }
    let total = report.rows().count();
    let failed = report.rows().filter(|(_, t)| !t.passed).count();
    println!(
        "worst relative error {:.3e}: {} of {total} tensors pass",
        report.worst_rel_err,
        total - failed
    );
}

pub fn run(args: GradcheckArgs) -> Result<(), Error> {
    if let (Some(model), Some(out)) = (&args.model, &args.dump) {
        return dump(&args, model, out);
    }
    let cfg = GradcheckConfig {
        sizes: parse_sizes(&args.sizes)?,
        batch: args.batch,
        seed: args.seed,
        temperature: args.temperature,
        alpha: args.alpha,
        smoothing: args.label_smoothing,
    };
    check_memory(&gradcheck_plan(&cfg.sizes, cfg.batch))?;
    let report = audit::run(&cfg)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("the report serialises")
        );
    } else {
        print_table(&report);
    }
    if report.passed {
        return Ok(());
    }
    let failed: Vec<String> = report
        .rows()
        .filter(|(_, t)| !t.passed)
        .map(|(loss, t)| format!("{loss} layer {} {}", t.layer, t.tensor))
        .collect();
    Err(Error::Config(format!(
        "gradient check failed: relative error {:.3e} >= {:e} in {}",
        report.worst_rel_err,
        report.tolerance,
        failed.join(", ")
    )))
}
