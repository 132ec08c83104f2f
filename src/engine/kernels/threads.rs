//! The thread pool and the denormal guard.
//!
//! Adam's first moment decays by β1 = 0.9 every step where a gradient is zero (dead ReLUs, blank
//! border pixels) and drifts into subnormal floats, which x86 handles with a slow micro-code path
//! (a reference framework's teacher epoch went from 11.6 s to 19.4 s and kept growing). Setting
//! FTZ (flush results to zero) and DAZ (treat subnormal inputs as zero) in MXCSR keeps every
//! step at full speed; a subnormal is < 1.2e-38 in f32, far below anything that moves a weight.
//!
//! The flush is also part of the arithmetic: a run gives the same bits on every CPU only if
//! every CPU flushes. On aarch64 the same effect is FPCR's FZ bit (bit 24), which flushes both
//! subnormal inputs and results of single and double precision (`.ci/arm-check` runs the test
//! below under qemu-aarch64).

use crate::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// MXCSR bit 15: flush-to-zero; bit 6: denormals-are-zero.
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

/// FPCR bit 24: flush-to-zero (inputs and results) on aarch64.
#[cfg(target_arch = "aarch64")]
const FPCR_FZ: u64 = 1 << 24;

/// Sets FTZ and DAZ on the calling thread (x86-64; FPCR.FZ on aarch64; a no-op elsewhere).
/// Returns whether the flags are now set.
///
/// Derivation: `docs/MATH.md`, section "Determinism", "Flushing denormals: FTZ and DAZ".
pub fn flush_denormals() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let mut csr: u32 = 0;
        // SAFETY: stmxcsr/ldmxcsr read and write the SSE control register of this thread only;
        // setting FTZ/DAZ changes rounding of subnormals and nothing else.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
            csr |= FTZ_DAZ;
            std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly));
        }
        denormals_flushed()
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: mrs/msr read and write the floating-point control register of this thread
        // only; setting FZ changes the handling of subnormals and nothing else.
        unsafe {
            let mut fpcr: u64;
            std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack));
            fpcr |= FPCR_FZ;
            std::arch::asm!("msr fpcr, {}", in(reg) fpcr, options(nomem, nostack));
        }
        denormals_flushed()
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// Whether denormals are flushed on the calling thread (FTZ and DAZ on x86-64, FZ on aarch64).
pub fn denormals_flushed() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let mut csr: u32 = 0;
        // SAFETY: stmxcsr only stores the control register to the given address.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack)) };
        csr & FTZ_DAZ == FTZ_DAZ
    }
    #[cfg(target_arch = "aarch64")]
    {
        let fpcr: u64;
        // SAFETY: mrs only reads the floating-point control register.
        unsafe { std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack)) };
        fpcr & FPCR_FZ == FPCR_FZ
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// The cores this process may run on: its CPU affinity and its cgroup's CPU quota, as
/// `--threads 0` counts them (`std::thread::available_parallelism`, read once).
pub fn usable_cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A rayon pool of `threads` workers (0: one per core) with denormals flushed on each worker.
/// Run training inside `pool.install(..)` so that every thread that computes has the flags.
///
/// Derivation: `docs/MATH.md`, section "Determinism", "Flushing denormals: FTZ and DAZ".
pub fn build_pool(threads: usize) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("kd-mlp-{i}"))
        .start_handler(|_| {
            flush_denormals();
        })
        .build()
        .map_err(|e| Error::Config(format!("cannot start {threads} worker thread(s): {e}")))
}

/// Runs `f` on the calling pool worker while every other worker of the pool busy-waits for work
/// (running any task it finds) until `f` returns, instead of going to sleep between the
/// parallel sections of `f`.
///
/// Why: rayon puts a worker to sleep after about 30 rounds without work, and waking it costs
/// tens of microseconds. A training step alternates split products with short serial parts
/// (bias, ReLU, loss, small products), long enough for the other worker to fall asleep, so each
/// split product started by waking it. Measured with a scratch program, a 32×784×100 product
/// on 2 threads took 31.6 µs back to back but 50.4 µs with 100 µs of serial work between
/// products (53.7 µs on 1 thread). Keeping the workers spinning costs their cores while `f`
/// runs, which training on those cores does not mind. Results are unchanged: the same tasks run,
/// only sooner.
///
/// At most one worker fewer than [`usable_cores`] spins: with more workers than cores (`--threads
/// 64` on 2 cores), spinners would take the cores from the worker doing the work (an epoch took
/// 7 times as long); the others sleep and are woken by rayon as usual.
///
/// Outside a pool, or on a one-thread pool, this just runs `f`.
pub fn with_workers_awake<R>(f: impl FnOnce() -> R) -> R {
    let Some(me) = rayon::current_thread_index() else {
        return f();
    };
    let others = rayon::current_num_threads()
        .saturating_sub(1)
        .min(usable_cores().saturating_sub(1));
    if others == 0 {
        return f();
    }
    let done = AtomicBool::new(false);
    rayon::in_place_scope(|scope| {
        for _ in 0..others {
            scope.spawn(|_| {
                // The calling thread may pick a spinner up while it waits inside `f`; it must
                // not spin there, or nobody would ever finish `f`.
                if rayon::current_thread_index() == Some(me) {
                    return;
                }
                while !done.load(Ordering::Acquire) {
                    if rayon::yield_now() != Some(rayon::Yield::Executed) {
                        std::hint::spin_loop();
                    }
                }
            });
        }
        let result = f();
        done.store(true, Ordering::Release);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flush is part of the arithmetic, so it is checked where it is set: MXCSR's FTZ and
    /// DAZ on x86-64, FPCR.FZ on aarch64 (run under qemu-aarch64 by `.ci/arm-check`).
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[test]
    fn pool_workers_flush_subnormals() {
        let pool = build_pool(2).unwrap();
        let (flags, product) = pool.install(|| {
            // 1e-30 · 1e-10 = 1e-40 is subnormal in f32: flushed to exactly zero
            let tiny = std::hint::black_box(1e-30f32);
            (denormals_flushed(), tiny * std::hint::black_box(1e-10f32))
        });
        assert!(flags);
        assert_eq!(product, 0.0);
        // a plain thread keeps IEEE behaviour
        let plain =
            std::thread::spawn(|| std::hint::black_box(1e-30f32) * std::hint::black_box(1e-10f32));
        assert!(plain.join().unwrap() > 0.0);
    }

    /// The spinning workers run the splits of `f` (which then finishes, with the same result
    /// as without them) and stop when `f` returns.
    #[test]
    fn awake_workers_run_the_work_and_then_stop() {
        use rayon::prelude::*;
        let pool = build_pool(2).unwrap();
        let sum = |n: u64| (0..n).into_par_iter().map(|i| i * i).sum::<u64>();
        let (awake, ran_on) = pool.install(|| {
            with_workers_awake(|| {
                let ran_on: std::collections::BTreeSet<usize> = (0..64)
                    .into_par_iter()
                    .map(|_| {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                        rayon::current_thread_index().unwrap()
                    })
                    .collect();
                (sum(100_000), ran_on)
            })
        });
        assert_eq!(awake, sum(100_000));
        assert_eq!(ran_on.len(), 2, "both workers took part: {ran_on:?}");
        // outside any pool it simply runs the closure
        assert_eq!(with_workers_awake(|| 7), 7);
    }
}
