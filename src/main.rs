//! The `kd-mlp` command line. Every error a user can cause ends here as one line on stderr and a
//! non-zero exit code.

mod cli;

use clap::{Parser, Subcommand};
use cli::{bench, distill, eval, gradcheck, inspect, report, reproduce, show, train};
use kd_mlp::engine::kernels::simd::check_env;
use kd_mlp::engine::kernels::threads::build_pool;
use kd_mlp::limits::{check_threads, pool_threads, usable_cores};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kd-mlp",
    version = version_text(),
    about = "Train MLP teachers, ensembles and students on IDX image files (MNIST and kin), and test whether knowledge distillation beats hard labels"
)]
struct Cli {
    /// Worker threads (0: one per core; above the cores, products still run on one per core and
    /// reproduce trains this many models side by side). Results do not depend on it.
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one network on hard labels until early stopping, then report its test error.
    Train(train::TrainArgs),
    /// Distil one student from a saved teacher (or an ensemble of saved models).
    Distill(distill::DistillArgs),
    /// Run the paper's whole protocol (and the extended grid), then write the report.
    Reproduce(reproduce::ReproduceArgs),
    /// Remake the tables and the figure from one or several results folders.
    Report(report::ReportArgs),
    /// Test error, per-class error and confusion matrix of a saved model.
    Eval(eval::EvalArgs),
    /// Look at a data folder before training: each file, the class histograms, pixel
    /// statistics, the validation split, and warnings.
    Inspect(inspect::InspectArgs),
    /// One test digit as terminal art beside a model's probabilities (and a teacher's soft
    /// targets with --teacher): dark knowledge without a browser.
    Show(show::ShowArgs),
    /// Audit the analytic gradients against central finite differences in f64 (hard loss, the three
    /// distillation modes and label smoothing, on a tiny random network); exits non-zero if any
    /// tensor fails.
    Gradcheck(gradcheck::GradcheckArgs),
    /// A machine score in about a minute: teacher and student epochs on 1 and all threads,
    /// inference at batch 1 and 1000, the SIMD level's FMA peak and each figure's fraction of it.
    Bench(bench::BenchArgs),
}

/// `0.1.0 (simd: avx2)`: the version and the SIMD level the kernels run at, which a benchmark
/// report should always carry.
fn version_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let level = match check_env() {
            Ok(level) => level.name().to_string(),
            Err(e) => format!("none: {e}"),
        };
        format!("{} (simd: {level})", env!("CARGO_PKG_VERSION"))
    })
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    // The long-running commands stop cleanly on Ctrl-C; `report` and `eval` keep the default
    // (end at once), as they write nothing that a later run trusts half-done.
    let handler = match cli.command {
        Command::Train(_) | Command::Distill(_) | Command::Reproduce(_) => {
            kd_mlp::train::interrupt::install_handler()
        }
        Command::Report(_)
        | Command::Eval(_)
        | Command::Inspect(_)
        | Command::Show(_)
        | Command::Gradcheck(_)
        | Command::Bench(_) => Ok(()),
    };
    // A bad KD_MLP_SIMD is the user's error: say so before any work; so is a thread count far
    // above the cores, refused before a thread is started.
    let result = check_env()
        .and(handler)
        .and_then(|()| check_threads(cli.threads, usable_cores()))
        .and_then(|warning| {
            if let Some(warning) = warning {
                eprintln!("{warning}");
            }
            build_pool(pool_threads(cli.threads, usable_cores()))
        })
        .and_then(|pool| {
            let threads = pool.current_num_threads();
            // `reproduce` runs the models side by side on workers of its own, as many as asked.
            let model_workers = if cli.threads == 0 {
                threads
            } else {
                cli.threads
            };
            pool.install(|| match cli.command {
                Command::Train(args) => train::run(args, threads),
                Command::Distill(args) => distill::run(args, threads),
                Command::Reproduce(args) => reproduce::run(args, model_workers),
                Command::Report(args) => report::run(args),
                Command::Eval(args) => eval::run(args),
                Command::Inspect(args) => inspect::run(args),
                Command::Show(args) => show::run(args),
                Command::Gradcheck(args) => gradcheck::run(args),
                Command::Bench(args) => bench::run_command(args),
            })
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ kd_mlp::Error::Interrupted(_)) => {
            eprintln!("{e}");
            ExitCode::from(kd_mlp::train::interrupt::EXIT_CODE)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`kd-mlp report DIR | head`) makes
/// `println!` panic with a backtrace. Restoring the default action ends the process quietly
/// instead, as other command-line tools do.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_DFL at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
