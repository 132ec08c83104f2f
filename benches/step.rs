//! The rest of the training step: softmax + cross-entropy with its gradient, the distillation
//! loss in both modes (batch 32, 10 classes), and one Adam step over the teacher's 794 510
//! parameters and over the student's 79 510; one thread.

mod common;

use common::{STUDENT, TEACHER};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kd_mlp::engine::adam::{Adam, AdamConfig};
use kd_mlp::engine::kernels::stagger::Staggered;
use kd_mlp::engine::kernels::threads::build_pool;
use kd_mlp::engine::loss::{
    cross_entropy_backward, distillation_loss, softmax_cross_entropy, Distillation, SoftTargetMode,
};
use kd_mlp::engine::mlp::param_count;
use ndarray::Array2;
use std::time::Duration;

fn losses(c: &mut Criterion) {
    let z = Array2::from_shape_fn((32, 10), |(r, j)| ((r * 7 + j * 3) % 11) as f32 - 5.0);
    let q = Array2::from_elem((32, 10), 0.1f32);
    let labels: Vec<usize> = (0..32).map(|r| r % 10).collect();
    let (mut p, mut dz) = (Array2::zeros((32, 10)), Array2::zeros((32, 10)));
    let mut group = c.benchmark_group("loss_batch32");
    common::timing(&mut group, Duration::from_secs(3), Duration::from_secs(5));
    group.throughput(Throughput::Elements(32));
    group.bench_function("softmax_cross_entropy_and_gradient", |b| {
        b.iter(|| {
            let loss = softmax_cross_entropy(z.view(), &labels, p.view_mut());
            cross_entropy_backward(p.view(), &labels, dz.view_mut());
            loss
        })
    });
    for mode in [SoftTargetMode::Logits, SoftTargetMode::Probabilities] {
        let d = Distillation::new(0.1, 4.0, mode).expect("valid settings");
        group.bench_function(format!("distillation_{mode}"), |b| {
            b.iter(|| {
                distillation_loss(z.view(), &labels, q.view(), &d, p.view_mut(), dz.view_mut())
            })
        });
    }
    group.finish();
}

fn adam(c: &mut Criterion) {
    let pool = build_pool(1).expect("a one-thread pool");
    let mut group = c.benchmark_group("adam_1thread");
    common::timing(&mut group, Duration::from_secs(3), Duration::from_secs(5));
    for (name, sizes) in [("teacher", &TEACHER[..]), ("student", &STUDENT[..])] {
        let n = param_count(sizes);
        let mut params = vec![0.01f32; n];
        // The gradient in page slot 1, as the trainer places it (see kd_mlp::engine::kernels::stagger).
        let mut grads = Staggered::<f32>::zeros(n, 1);
        for (i, g) in grads.iter_mut().enumerate() {
            *g = ((i % 17) as f32 - 8.0) * 1e-4;
        }
        let mut opt = Adam::new(n, AdamConfig::default());
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("step_{name}_{n}_params"), |b| {
            pool.install(|| b.iter(|| opt.step(&mut params, &grads)))
        });
    }
    group.finish();
}

criterion_group!(benches, losses, adam);
criterion_main!(benches);
