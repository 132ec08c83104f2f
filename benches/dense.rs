//! The dense layer's forward `y = x·W + b` and backward (`dW`, `db`, `dX`) at every layer shape
//! of the teacher and the student: batch 32 (training) and 256 on one thread, and batch 32 on
//! all threads (the products' columns split over the pool, as in training). Throughput is in
//! FLOP: forward 2·B·I·O, backward 4·B·I·O (2·B·I·O for the first layer, which needs no `dX`).
//! These are the GEMM ceilings of docs/PERFORMANCE.md: each product runs again and again on the
//! same operands, so they sit in cache, which a training step cannot count on.

mod common;

use common::{quick, timing, STUDENT, TEACHER};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kd_mlp::engine::dense::{dense_backward, dense_forward};
use kd_mlp::engine::kernels::threads::build_pool;
use ndarray::{Array1, Array2};
use std::time::Duration;

fn dense(c: &mut Criterion) {
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    // the quick profile skips batch 256
    let mut runs = vec![(
        1,
        if quick() {
            vec![32usize]
        } else {
            vec![32, 256]
        },
    )];
    if all > 1 {
        runs.push((all, vec![32]));
    }
    for (threads, batches) in runs {
        dense_on(c, threads, &batches);
    }
}

/// Forward and backward at every shape, for each batch size, on a pool of `threads`.
fn dense_on(c: &mut Criterion, threads: usize, batches: &[usize]) {
    let pool = build_pool(threads).expect("a thread pool");
    let mut shapes: Vec<(usize, usize, bool)> = Vec::new();
    for sizes in [&TEACHER[..], &STUDENT[..]] {
        for (l, io) in sizes.windows(2).enumerate() {
            if !shapes.iter().any(|&(i, o, _)| (i, o) == (io[0], io[1])) {
                shapes.push((io[0], io[1], l == 0));
            }
        }
    }
    let mut group = c.benchmark_group(format!("dense_{threads}thread"));
    timing(
        &mut group,
        Duration::from_millis(500),
        Duration::from_secs(2),
    );
    for &batch in batches {
        for &(i, o, first) in &shapes {
            let x = Array2::from_shape_fn((batch, i), |(r, k)| ((r * 7 + k * 3) % 11) as f32 * 0.1);
            let w =
                Array2::from_shape_fn((i, o), |(k, j)| ((k * 5 + j * 3) % 13) as f32 * 0.01 - 0.06);
            let b = Array1::from_elem(o, 0.01f32);
            let dy =
                Array2::from_shape_fn((batch, o), |(r, j)| ((r * 3 + j) % 7) as f32 * 0.1 - 0.3);
            let (mut y, mut dw, mut db, mut dx) = (
                Array2::zeros((batch, o)),
                Array2::zeros((i, o)),
                Array1::zeros(o),
                Array2::zeros((batch, i)),
            );
            let mac = (batch * i * o) as u64;
            let id = format!("{i}x{o}_batch{batch}");
            group.throughput(Throughput::Elements(2 * mac));
            group.bench_function(BenchmarkId::new("forward", &id), |bench| {
                pool.install(|| {
                    bench.iter(|| dense_forward(x.view(), w.view(), b.view(), y.view_mut()))
                })
            });
            group.throughput(Throughput::Elements(if first { 2 * mac } else { 4 * mac }));
            group.bench_function(BenchmarkId::new("backward", &id), |bench| {
                pool.install(|| {
                    bench.iter(|| {
                        let dx = if first { None } else { Some(dx.view_mut()) };
                        dense_backward(
                            x.view(),
                            w.view(),
                            dy.view(),
                            dw.view_mut(),
                            db.view_mut(),
                            dx,
                        )
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, dense);
criterion_main!(benches);
