//! Train the study's student, a 784-100-10 network, on hard labels and report its test error.
//!
//! ```sh
//! ./scripts/fetch-mnist.sh && cargo run --release --example train_student
//! ```
use kd_mlp::data::load_dir;
use kd_mlp::data::Split;
use kd_mlp::engine::kernels::threads::build_pool;
use kd_mlp::train::evaluate::evaluate;
use kd_mlp::train::{train, Objective, TrainConfig, TrainEvent};
use kd_mlp::Mlp;
use std::process::ExitCode;

fn main() -> ExitCode {
    // The four MNIST files, as scripts/fetch-mnist.sh leaves them (raw or .gz).
    let mnist = match load_dir("data/mnist".as_ref()) {
        Ok(mnist) => mnist,
        Err(e) => {
            eprintln!("{e}\nFetch the data first: ./scripts/fetch-mnist.sh");
            return ExitCode::FAILURE;
        }
    };
    // The protocol's split: the last 10 % of the training file validates (54 000 / 6 000).
    let split = Split::holdout(mnist.train.len(), 0.1);
    // Glorot-uniform weights from seed 1; the protocol's settings (Adam 1e-3, batch 32, early
    // stopping on validation loss with patience 2), with the epoch cap lowered to keep this quick.
    let mut student = Mlp::<f32>::glorot(&[784, 100, 10], 1).expect("valid sizes");
    let cfg = TrainConfig {
        max_epochs: 5,
        ..TrainConfig::default()
    };
    // Train inside a pool made by build_pool: denormals flushed on every worker, same bytes for
    // any thread count.
    let pool = build_pool(0).expect("a thread pool");
    let report = pool.install(|| {
        // Progress events: an epoch started, a batch is done, an epoch is done (printed here).
        let mut on_event = |event: TrainEvent<'_>| {
            if let TrainEvent::EpochDone(e) = event {
                let val = 100.0 * e.val_error;
                println!(
                    "epoch {}: loss {:.4}, validation error {val:.2}%",
                    e.epoch, e.train_loss
                );
            }
        };
        train(
            &mut student,
            &mnist.train,
            &split,
            &cfg,
            &Objective::HardLabels,
            "student",
            &mut on_event,
        )
    });
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("training failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let test = pool.install(|| evaluate(&student, &mnist.test, 0..mnist.test.len()));
    println!(
        "best epoch {}: test error {:.2}% on {} images",
        report.best_epoch,
        100.0 * test.error,
        test.samples
    );
    ExitCode::SUCCESS
}
