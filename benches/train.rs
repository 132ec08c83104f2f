//! One training epoch (54 000 samples, batch 32; the first 8 000 with `KD_MLP_BENCH_QUICK=1`) of
//! the teacher and the student, on one thread and on all threads. Throughput is in samples per second; the FLOP count per sample
//! (`train_flops_per_sample`, docs/MATH.md) turns it into GFLOP/s: teacher 3.97 MFLOP/sample,
//! student 0.32 MFLOP/sample.
//!
//! Needs the MNIST files in data/mnist (`scripts/fetch-mnist.sh`).

mod common;

use common::{mnist, STUDENT, TEACHER};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use kd_mlp::data::validation_split;
use kd_mlp::engine::adam::AdamConfig;
use kd_mlp::engine::kernels::threads::build_pool;
use kd_mlp::engine::mlp::train_flops_per_sample;
use kd_mlp::engine::mlp::Mlp;
use kd_mlp::train::{Objective, Trainer};
use std::time::Duration;

fn train_epoch(c: &mut Criterion) {
    let data = mnist();
    let (train_range, _) = validation_split(data.train.len(), 0.1);
    let samples = if common::quick() {
        8000
    } else {
        train_range.len()
    };
    let order: Vec<usize> = train_range.take(samples).collect();
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [1, all] {
        if threads == all && all == 1 {
            break;
        }
        let pool = build_pool(threads).expect("a thread pool");
        let mut group = c.benchmark_group(format!("train_epoch_{threads}thread_batch32"));
        group.throughput(Throughput::Elements(order.len() as u64));
        group.sample_size(10);
        if common::quick() {
            // Ten samples of the same few epochs each, not Criterion's default of 1, 2, … 10
            // epochs per sample (55 in all: 13 s of a 2-minute budget for the teacher alone),
            // after a warm-up of one second instead of three.
            group
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(1));
        }
        for (name, sizes, seconds) in [
            ("student_784-100-10", &STUDENT[..], 10),
            ("teacher_784-500-400-300-200-100-10", &TEACHER[..], 50),
        ] {
            eprintln!(
                "{name}: {} FLOP per training sample",
                train_flops_per_sample(sizes)
            );
            let seconds = if common::quick() {
                seconds / 10
            } else {
                seconds
            };
            group.measurement_time(Duration::from_secs(seconds));
            let mut mlp = Mlp::<f32>::glorot(sizes, 1).expect("valid sizes");
            let mut trainer = Trainer::new(&mlp, 32, AdamConfig::default());
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| {
                    pool.install(|| {
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
}

criterion_group!(benches, train_epoch);
criterion_main!(benches);
