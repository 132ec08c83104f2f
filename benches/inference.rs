//! Prediction latency per sample on real MNIST test images, at batch 1 (one sample at a time,
//! the deployment case) and batch 1000, for the teacher, the student and a 10-member ensemble
//! (mean of the members' softmax); one thread. Weights are Glorot-initialised: speed does not
//! depend on training, except through how many hidden units are zero.

mod common;

use common::{mnist, STUDENT, TEACHER};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kd_mlp::data::batch::gather_batch;
use kd_mlp::engine::kernels::threads::build_pool;
use kd_mlp::engine::mlp::Mlp;
use kd_mlp::report::speed::Predictor;
use ndarray::{s, Array2};
use std::hint::black_box;
use std::time::Duration;

fn inference(c: &mut Criterion) {
    let data = mnist();
    let pool = build_pool(1).expect("a one-thread pool");
    let n = 1000;
    let mut x = Array2::<f32>::zeros((n, data.test.pixels()));
    let mut labels = vec![0; n];
    let indices: Vec<usize> = (0..n).collect();
    gather_batch(&data.test, &indices, x.view_mut(), &mut labels);
    let models: Vec<(&str, Vec<Mlp<f32>>)> = vec![
        ("teacher", vec![Mlp::glorot(&TEACHER, 1).expect("sizes")]),
        ("student", vec![Mlp::glorot(&STUDENT, 1).expect("sizes")]),
        (
            "ensemble10",
            (0..10)
                .map(|m| Mlp::glorot(&STUDENT, 100 + m).expect("sizes"))
                .collect(),
        ),
    ];
    let mut group = c.benchmark_group("inference_1thread");
    common::timing(
        &mut group,
        Duration::from_millis(500),
        Duration::from_secs(3),
    );
    for (name, members) in &models {
        let mut predictor = Predictor::new(members, n);
        group.throughput(Throughput::Elements(1));
        let mut i = 0;
        // The timing loop runs inside the pool: entering a pool from outside costs a thread
        // wake-up (microseconds), which would swamp a one-sample prediction.
        group.bench_function(BenchmarkId::new("batch1", name), |b| {
            pool.install(|| {
                b.iter(|| {
                    i = (i + 1) % n;
                    black_box(predictor.predict(x.slice(s![i..i + 1, ..])))
                })
            })
        });
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("batch1000", name), |b| {
            pool.install(|| b.iter(|| black_box(predictor.predict(x.view()))))
        });
    }
    group.finish();
}

criterion_group!(benches, inference);
criterion_main!(benches);
