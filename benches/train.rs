//! One training epoch (54 000 samples, batch 32, one thread) of the teacher and the student,
//! the figures the engine issue asks for. Throughput is reported in samples per second; the
//! FLOP count per sample (docs/MATH.md) turns it into GFLOP/s:
//! teacher 3.97 MFLOP/sample, student 0.32 MFLOP/sample.
//!
//! Needs the MNIST files in data/mnist (`scripts/fetch-mnist.sh`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kd_mlp::adam::AdamConfig;
use kd_mlp::data::{load_dir, validation_split, Mnist};
use kd_mlp::mlp::Mlp;
use kd_mlp::threads::build_pool;
use kd_mlp::train::{Objective, Trainer};
use std::path::Path;
use std::time::Duration;

fn mnist() -> Mnist {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    match load_dir(&dir) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("the training benches need MNIST: {e}");
            std::process::exit(1);
        }
    }
}

fn train_epoch(c: &mut Criterion) {
    let data = mnist();
    let (train_range, _) = validation_split(data.train.len(), 0.1);
    let order: Vec<usize> = train_range.collect();
    let pool = build_pool(1).expect("a one-thread pool");
    let mut group = c.benchmark_group("train_epoch_1thread_batch32");
    group.throughput(Throughput::Elements(order.len() as u64));
    group.sample_size(10);
    for (name, sizes, seconds) in [
        ("student_784-100-10", vec![784, 100, 10], 10),
        (
            "teacher_784-500-400-300-200-100-10",
            vec![784, 500, 400, 300, 200, 100, 10],
            60,
        ),
    ] {
        group.measurement_time(Duration::from_secs(seconds));
        let mut mlp = Mlp::<f32>::glorot(&sizes, 1).expect("valid sizes");
        let mut trainer = Trainer::new(&mlp, 32, AdamConfig::default());
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                pool.install(|| {
                    kd_mlp::threads::flush_denormals();
                    trainer
                        .epoch(
                            &mut mlp,
                            &data.train,
                            &order,
                            &Objective::HardLabels,
                            &mut |_, _| {},
                        )
                        .expect("a bench epoch does not diverge")
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, train_epoch);
criterion_main!(benches);
