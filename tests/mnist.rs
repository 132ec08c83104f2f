//! Training on real MNIST to early stop, with the protocol's defaults, and the accuracy the
//! engine must reach. An independent implementation of this protocol gets 2.2–2.9 % for single
//! students and about 2.1 % for the teacher (see shared PROTOCOL.md).
//!
//! These tests read `data/mnist`; run `scripts/fetch-mnist.sh` first.

use kd_mlp::data::Split;
use kd_mlp::data::{load_dir, Mnist};
use kd_mlp::engine::kernels::threads::build_pool;
use kd_mlp::engine::mlp::Mlp;
use kd_mlp::train::evaluate::evaluate;
use kd_mlp::train::{train, Objective, TrainConfig, TrainReport};
use std::path::Path;
use std::sync::OnceLock;

fn mnist() -> &'static Mnist {
    static DATA: OnceLock<Mnist> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
        load_dir(&dir)
            .unwrap_or_else(|e| panic!("MNIST is missing: run scripts/fetch-mnist.sh ({e})"))
    })
}

/// Trains a network with the given hidden widths and seed; returns its test error and report.
fn train_to_early_stop(hidden: &[usize], seed: u64) -> (f64, TrainReport) {
    let data = mnist();
    let mut sizes = vec![784];
    sizes.extend(hidden);
    sizes.push(10);
    let split = Split::holdout(data.train.len(), 0.1);
    let cfg = TrainConfig {
        seed,
        ..TrainConfig::default()
    };
    let pool = build_pool(0).unwrap();
    pool.install(|| {
        let mut mlp = Mlp::<f32>::glorot(&sizes, seed).unwrap();
        let name = format!("{sizes:?} seed {seed}");
        let report = train(
            &mut mlp,
            &data.train,
            &split,
            &cfg,
            &Objective::HardLabels,
            &name,
            &mut |_| {},
        )
        .unwrap();
        let test = evaluate(&mlp, &data.test, 0..data.test.len());
        eprintln!(
            "{name}: test error {:.2} %, best epoch {} of {}, {:.1} s",
            100.0 * test.error,
            report.best_epoch,
            report.epochs.len(),
            report.train_seconds
        );
        (test.error, report)
    })
}

#[test]
fn student_784_100_10_reaches_the_reference_error() {
    let errors: Vec<f64> = [1, 2, 3]
        .iter()
        .map(|&seed| {
            let (error, report) = train_to_early_stop(&[100], seed);
            // early stopping stopped the run (patience 2), and the model holds the best epoch
            assert!(report.stopped_early, "seed {seed} ran to the epoch cap");
            assert_eq!(report.best_epoch + 2, report.epochs.len());
            assert!(error <= 0.032, "seed {seed}: test error {error}");
            error
        })
        .collect();
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    assert!(
        mean <= 0.027,
        "mean test error {mean} over seeds 1, 2, 3: {errors:?}"
    );
}

/// Patience-2 early stopping is noisy for the teacher (a reference framework on this protocol
/// saw one stop at epoch 4 with 2.8 %; ours ranged over 1.97–2.87 % in the 10-repetition study),
/// so one seed says little: five seeds, whose mean must reach the reference, none far off.
#[test]
fn teacher_784_500_400_300_200_100_10_reaches_the_reference_error() {
    let errors: Vec<f64> = (1..=5)
        .map(|seed| {
            let (error, report) = train_to_early_stop(&[500, 400, 300, 200, 100], seed);
            assert!(report.stopped_early, "seed {seed} ran to the epoch cap");
            assert!(error <= 0.032, "seed {seed}: teacher test error {error}");
            error
        })
        .collect();
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    assert!(
        mean <= 0.025,
        "mean teacher test error {mean} over seeds 1 to 5: {errors:?}"
    );
}
