//! The FMA peak of a SIMD level, measured by a loop that touches no memory: the ceiling every
//! product's GFLOP/s is a fraction of (`kd-mlp bench`, `cargo bench --bench peak`).
//!
//! Twelve independent accumulators of one register each (16 lanes at AVX-512, 8 at AVX2, 4 for
//! NEON) take one fused multiply-add per step, `acc = fma(acc, x, y)`, as many as the GEMM's
//! register tile holds, so the loop is bound by the FMA ports alone: twelve chains cover a
//! 4-cycle latency on two ports, and they fit the 16 registers of AVX2. The constants keep
//! the values near 1 (no overflow, no subnormals), and `black_box` keeps the compiler from
//! folding the loop away.

use super::simd::Level;
use std::hint::black_box;
use std::time::Instant;

/// Independent accumulator rows.
const ROWS: usize = 12;
/// Steps between checks of the clock.
const CHUNK: usize = 1 << 16;

#[inline(always)]
fn spin<const W: usize>(steps: usize) -> f32 {
    let x = black_box(0.999_9f32);
    let y = black_box(1e-4f32);
    let mut acc = [[1.0f32; W]; ROWS];
    for _ in 0..steps {
        for row in acc.iter_mut() {
            for v in row.iter_mut() {
                *v = v.mul_add(x, y);
            }
        }
    }
    acc.iter().flatten().sum()
}

/// AVX-512 spells the loop in intrinsics: from the portable loop above, LLVM's vectorizer
/// (Rust 1.95) made gathers and scatters across the twelve rows at this level, and the "peak"
/// came out at 2.6 GFLOP/s on a Zen 5 EPYC. Twelve `zmm` registers and one `vfmadd` each per
/// step is the loop the portable source means; the peak is a measurement, not a result, so no
/// bit of training depends on how it is written.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn spin_avx512(steps: usize) -> (f32, usize) {
    use std::arch::x86_64::{_mm512_fmadd_ps, _mm512_reduce_add_ps, _mm512_set1_ps};
    let x = _mm512_set1_ps(black_box(0.999_9f32));
    let y = _mm512_set1_ps(black_box(1e-4f32));
    let mut acc = [_mm512_set1_ps(1.0); ROWS];
    for _ in 0..steps {
        for a in acc.iter_mut() {
            *a = _mm512_fmadd_ps(*a, x, y);
        }
    }
    (acc.iter().map(|&a| _mm512_reduce_add_ps(a)).sum(), 16)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn spin_avx2(steps: usize) -> (f32, usize) {
    (spin::<8>(steps), 8)
}

fn spin_baseline(steps: usize) -> (f32, usize) {
    (spin::<4>(steps), 4)
}

/// Runs `steps` steps at `level`; returns the floating-point operations done (2 per FMA).
///
/// # Panics
/// If `level` is not supported by this CPU (the callers take levels from
/// [`Level::all_supported`] or [`super::simd::active`]).
pub fn run(level: Level, steps: usize) -> f64 {
    assert!(level.supported(), "{level:?} is not supported here");
    let (sum, width) = match level {
        // SAFETY: the level's features are present, asserted above.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { spin_avx512(steps) },
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { spin_avx2(steps) },
        _ => spin_baseline(steps),
    };
    black_box(sum);
    2.0 * (ROWS * width * steps) as f64
}

/// GFLOP/s of the register-only loop at `level` on the calling thread, timed for about
/// `seconds`.
pub fn gflops(level: Level, seconds: f64) -> f64 {
    run(level, CHUNK); // warm up: clocks and caches
    let started = Instant::now();
    let mut flops = 0.0;
    while started.elapsed().as_secs_f64() < seconds {
        flops += run(level, CHUNK);
    }
    flops / started.elapsed().as_secs_f64() / 1e9
}

/// GFLOP/s of the loop on every thread of the current rayon pool at once, summed.
pub fn gflops_all_threads(level: Level, seconds: f64) -> f64 {
    rayon::broadcast(|_| gflops(level, seconds)).iter().sum()
}
