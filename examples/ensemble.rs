//! Train an ensemble of 3 small networks and evaluate it by the mean of their probabilities.
//!
//! ```sh
//! ./scripts/fetch-mnist.sh && cargo run --release --example ensemble
//! ```
//! The study's ensemble has 10 members trained to early stopping; 3 members of at most 3 epochs
//! keep this to well under a minute.
use kd_mlp::data::load_dir;
use kd_mlp::data::Split;
use kd_mlp::engine::kernels::threads::build_pool;
use kd_mlp::train::evaluate::evaluate;
use kd_mlp::train::teacher::Teacher;
use kd_mlp::train::{train, Objective, TrainConfig};
use kd_mlp::Mlp;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mnist = match load_dir("data/mnist".as_ref()) {
        Ok(mnist) => mnist,
        Err(e) => {
            eprintln!("{e}\nFetch the data first: ./scripts/fetch-mnist.sh");
            return ExitCode::FAILURE;
        }
    };
    let split = Split::holdout(mnist.train.len(), 0.1);
    let test = 0..mnist.test.len();
    let pool = build_pool(0).expect("a thread pool");
    let result = pool.install(|| {
        let mut members = Vec::new();
        // Members differ only by their seed: initial weights and batch order.
        for seed in 1..=3 {
            let mut member = Mlp::<f32>::glorot(&[784, 100, 10], seed)?;
            let cfg = TrainConfig {
                max_epochs: 3,
                seed,
                ..TrainConfig::default()
            };
            train(
                &mut member,
                &mnist.train,
                &split,
                &cfg,
                &Objective::HardLabels,
                "member",
                &mut |_| {},
            )?;
            println!(
                "member {seed}: test error {:.2}%",
                100.0 * evaluate(&member, &mnist.test, test.clone()).error
            );
            members.push(member);
        }
        // The ensemble predicts argmax_c (1/M) Σ_m softmax(z_m)[c]: the mean probability, not the
        // mean logit. Teacher::ensemble computes exactly that (it is also what a student distils).
        let ensemble = Teacher::ensemble(members)?;
        let eval = ensemble.evaluate(&mnist.test, test.clone());
        println!(
            "ensemble of {}: test error {:.2}%, test loss {:.4}",
            ensemble.members().len(),
            100.0 * eval.error,
            eval.loss
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
