//! The thread pool and the denormal guard.
//!
//! Adam's first moment decays by β1 = 0.9 every step where a gradient is zero (dead ReLUs, blank
//! border pixels) and drifts into subnormal floats, which x86 handles with a slow micro-code path
//! (a reference framework's teacher epoch went from 11.6 s to 19.4 s and kept growing). Setting
//! FTZ (flush results to zero) and DAZ (treat subnormal inputs as zero) in MXCSR keeps every
//! step at full speed; a subnormal is < 1.2e-38 in f32, far below anything that moves a weight.

use crate::error::Error;

/// MXCSR bit 15: flush-to-zero; bit 6: denormals-are-zero.
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

/// Sets FTZ and DAZ on the calling thread (x86-64; a no-op elsewhere). Returns whether the flags
/// are now set.
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
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether FTZ and DAZ are set on the calling thread.
pub fn denormals_flushed() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let mut csr: u32 = 0;
        // SAFETY: stmxcsr only stores the control register to the given address.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack)) };
        csr & FTZ_DAZ == FTZ_DAZ
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
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
        .map_err(|e| Error::Config(format!("cannot start {threads} threads: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
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
}
