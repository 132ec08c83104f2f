//! Distil a 784-100-10 student from a saved teacher, with Hinton's soft targets.
//!
//! ```sh
//! ./scripts/fetch-mnist.sh
//! cargo run --release -- train --epochs-max 3 --out results/train/teacher-example.safetensors
//! cargo run --release --example distill -- results/train/teacher-example.safetensors
//! ```
//! Any model saved by `kd-mlp train` (or by `reproduce`, under `results/*/models/`) is a teacher;
//! the study's teacher is `--arch 500,400,300,200,100`.
use kd_mlp::data::load_dir;
use kd_mlp::data::Split;
use kd_mlp::engine::kernels::threads::build_pool;
use kd_mlp::engine::loss::{Distillation, SoftTargetMode};
use kd_mlp::persist::checkpoint;
use kd_mlp::train::evaluate::evaluate;
use kd_mlp::train::teacher::Teacher;
use kd_mlp::train::{train, Objective, TrainConfig};
use kd_mlp::Mlp;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "results/train/teacher-example.safetensors".into()),
    );
    let mnist = match load_dir("data/mnist".as_ref()) {
        Ok(mnist) => mnist,
        Err(e) => {
            eprintln!("{e}\nFetch the data first: ./scripts/fetch-mnist.sh");
            return ExitCode::FAILURE;
        }
    };
    // The teacher: a safetensors file, read into f32 whatever float type it was saved in.
    let teacher = match checkpoint::load::<f32>(&path) {
        Ok((model, _metadata)) => Teacher::single(model),
        Err(e) => {
            eprintln!(
                "{e}\nTrain a teacher first: cargo run --release -- train --epochs-max 3 --out {}",
                path.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let split = Split::holdout(mnist.train.len(), 0.1);
    let pool = build_pool(0).expect("a thread pool");
    let result = pool.install(|| {
        // Soft targets q = softmax(v / T) of the teacher's logits v, once for every training image.
        let loss = Distillation::new(0.5, 4.0, SoftTargetMode::Logits)?;
        let targets = teacher.soft_targets(&mnist.train, loss.temperature, loss.mode);
        println!(
            "soft targets at T = {}: mean entropy {:.3} nats",
            loss.temperature,
            targets.mean_entropy()
        );
        // The student minimises α·CE(y, softmax(z)) + (1 − α)·T²·KL(q ‖ softmax(z / T)).
        let mut student = Mlp::<f32>::glorot(&[784, 100, 10], 1)?;
        let cfg = TrainConfig {
            max_epochs: 3,
            ..TrainConfig::default()
        }; // short, for a demo
        let objective = Objective::Distill {
            targets: &targets,
            loss,
        };
        let report = train(
            &mut student,
            &mnist.train,
            &split,
            &cfg,
            &objective,
            "student",
            &mut |_| {},
        )?;
        let all = 0..mnist.test.len();
        let (t, s) = (
            teacher.evaluate(&mnist.test, all.clone()),
            evaluate(&student, &mnist.test, all),
        );
        println!(
            "teacher test error {:.2}%, distilled student {:.2}% (best epoch {})",
            100.0 * t.error,
            100.0 * s.error,
            report.best_epoch
        );
        Ok::<(), kd_mlp::Error>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
