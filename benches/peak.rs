//! The FMA peak of every SIMD level this CPU has: a register-only loop of twelve independent
//! fused multiply-adds per step (engine/kernels/peak.rs), on one thread. Throughput is in FLOP
//! (2 per FMA), so Criterion's elements/s is the peak in FLOP/s that every product's GFLOP/s in
//! `cargo bench --bench dense` is a fraction of.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kd_mlp::engine::kernels::peak;
use kd_mlp::engine::kernels::simd::Level;
use std::time::Duration;

/// Steps per iteration.
const STEPS: usize = 1 << 16;

fn fma_peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("fma_peak_1thread");
    common::timing(
        &mut group,
        Duration::from_millis(500),
        Duration::from_secs(2),
    );
    for level in Level::all_supported() {
        let flops = peak::run(level, STEPS);
        group.throughput(Throughput::Elements(flops as u64));
        group.bench_function(BenchmarkId::from_parameter(level.name()), |b| {
            b.iter(|| peak::run(level, STEPS))
        });
    }
    group.finish();
}

criterion_group!(benches, fma_peak);
criterion_main!(benches);
