//! `kd-mlp gradcheck`: audit the analytic gradients of a tiny network against central finite
//! differences in f64, for the hard loss and both distillation modes (see
//! [`kd_mlp::audit`]).

use clap::Args;
use kd_mlp::audit::{self, GradcheckConfig, GradcheckReport};
use kd_mlp::Error;

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
    /// Temperature T > 0 of the two distillation checks.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub temperature: f64,
    /// Weight α in [0, 1] of the hard term in the two distillation checks.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
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
    let cfg = GradcheckConfig {
        sizes: parse_sizes(&args.sizes)?,
        batch: args.batch,
        seed: args.seed,
        temperature: args.temperature,
        alpha: args.alpha,
    };
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
