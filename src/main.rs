//! The `kd-mlp` command line. Every error a user can cause ends here as one line on stderr and a
//! non-zero exit code.

mod cli;

use clap::{Parser, Subcommand};
use cli::{distill, eval, gradcheck, report, reproduce, show, train};
use kd_mlp::engine::kernels::threads::build_pool;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kd-mlp",
    version,
    about = "Train MLP teachers, ensembles and students on IDX image files (MNIST), and test whether knowledge distillation beats hard labels"
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
    Train(train::TrainArgs),
    /// Distil one student from a saved teacher (or an ensemble of saved models).
    Distill(distill::DistillArgs),
    /// Run the paper's whole protocol (and the extended grid), then write the report.
    Reproduce(reproduce::ReproduceArgs),
    /// Remake the tables and the figure from one or several results folders.
    Report(report::ReportArgs),
    /// Test error, per-class error and confusion matrix of a saved model.
    Eval(eval::EvalArgs),
    /// One test digit as terminal art beside a model's probabilities (and a teacher's soft
    /// targets with --teacher): dark knowledge without a browser.
    Show(show::ShowArgs),
    /// Audit the analytic gradients against central finite differences in f64 (hard loss and both
    /// distillation modes, on a tiny random network); exits non-zero if any tensor fails.
    Gradcheck(gradcheck::GradcheckArgs),
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
        Command::Report(_) | Command::Eval(_) | Command::Show(_) | Command::Gradcheck(_) => Ok(()),
    };
    let result = handler
        .and_then(|()| build_pool(cli.threads))
        .and_then(|pool| {
            let threads = pool.current_num_threads();
            pool.install(|| match cli.command {
                Command::Train(args) => train::run(args, threads),
                Command::Distill(args) => distill::run(args, threads),
                Command::Reproduce(args) => reproduce::run(args, threads),
                Command::Report(args) => report::run(args),
                Command::Eval(args) => eval::run(args),
                Command::Show(args) => show::run(args),
                Command::Gradcheck(args) => gradcheck::run(args),
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
