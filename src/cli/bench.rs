//! `kd-mlp bench`: the machine score, as one Markdown table row or JSON.

use super::common::{check_memory, load_data, DataFlags};
use clap::Args;
use kd_mlp::bench::{markdown_row, run, BenchConfig, TEACHER};
use kd_mlp::limits::{bench_plan, DataShape};
use kd_mlp::Error;

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub data: DataFlags,
    /// Training samples per timed epoch (the first ones of the training file).
    #[arg(long, default_value_t = 8000)]
    pub samples: usize,
    /// Print one JSON object instead of the Markdown row.
    #[arg(long)]
    pub json: bool,
}

pub fn run_command(args: BenchArgs) -> Result<(), Error> {
    if args.samples == 0 {
        return Err(Error::Config("--samples must be at least 1".into()));
    }
    let mnist = load_data(&args.data, None)?;
    let threads = rayon::current_num_threads();
    check_memory(&bench_plan(&DataShape::of(&mnist), &TEACHER, threads))?;
    let cfg = BenchConfig {
        samples: args.samples,
        ..BenchConfig::default()
    };
    if !args.json {
        eprintln!(
            "kd-mlp bench: {} training samples per epoch, about a minute",
            cfg.samples
        );
    }
    let report = run(&mnist, &cfg)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("the report serialises")
        );
    } else {
        println!("{}", markdown_row(&report, true));
        println!(
            "\n{} in {:.0} s; energy: {}",
            report.simd_level, report.wall_seconds, report.energy
        );
    }
    Ok(())
}
