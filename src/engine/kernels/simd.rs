//! The SIMD levels the kernels are compiled for, the one chosen at run time, and the dispatch.
//!
//! The source of every level is the same portable Rust ([`super::gemm`]); a level is only the
//! set of CPU features it is compiled with (`#[target_feature]`), so the arithmetic, and with it
//! every bit of a result, is the same on all of them. What ARM boards run is the `Neon` build of
//! that same source: aarch64 has NEON and FMA in its baseline, so it needs no feature switch,
//! only a register type of its own (`lanes::Neon`, multiplying by lanes). `.ci/arm-check`
//! builds it and runs its tests under qemu-aarch64; `KD_MLP_SIMD=portable` there runs the
//! portable arrays, which the compiler also turns into NEON, more slowly.
//!
//! The level is detected once; `KD_MLP_SIMD=avx512|avx2|portable` (or `neon` on aarch64)
//! forces one, and forcing one this CPU lacks is an error ([`check_env`]), never a crash.

use super::gemm::{gemm, Out, Strided};
#[cfg(target_arch = "aarch64")]
use super::lanes::Neon;
use super::lanes::Portable;
#[cfg(target_arch = "x86_64")]
use super::lanes::{Avx2, Avx512};
use crate::error::Error;
use std::sync::OnceLock;

/// A set of CPU features the kernels are compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// x86-64 with AVX-512F: 16 lanes, 32 registers.
    Avx512,
    /// x86-64 with AVX2 and FMA: 8 lanes, 16 registers.
    Avx2,
    /// aarch64: NEON and FMA, 4 lanes, 32 registers.
    Neon,
    /// No feature switch: what the compiler's baseline gives (on x86-64, SSE2 with the C
    /// library's `fmaf` for each fused multiply-add: exact, and slow).
    Portable,
}

impl Level {
    /// The name `KD_MLP_SIMD` takes and `kd-mlp --version` prints.
    pub fn name(self) -> &'static str {
        match self {
            Level::Avx512 => "avx512",
            Level::Avx2 => "avx2",
            Level::Neon => "neon",
            Level::Portable => "portable",
        }
    }

    /// Whether this CPU can run the level.
    pub fn supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "aarch64")]
            Level::Neon => true,
            Level::Portable => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Every level this CPU can run, best first.
    pub fn all_supported() -> Vec<Level> {
        [Level::Avx512, Level::Avx2, Level::Neon, Level::Portable]
            .into_iter()
            .filter(|l| l.supported())
            .collect()
    }

    fn parse(text: &str) -> Option<Level> {
        [Level::Avx512, Level::Avx2, Level::Neon, Level::Portable]
            .into_iter()
            .find(|l| l.name() == text.trim().to_ascii_lowercase())
    }
}

/// The level named by `KD_MLP_SIMD`, or the best this CPU supports; an error for a name that is
/// not a level or a level this CPU lacks.
pub fn check_env() -> Result<Level, Error> {
    let Ok(text) = std::env::var("KD_MLP_SIMD") else {
        return Ok(Level::all_supported()[0]);
    };
    let names = "avx512, avx2, neon, portable";
    let level = Level::parse(&text).ok_or_else(|| {
        Error::Config(format!(
            "KD_MLP_SIMD={text} is not a SIMD level (one of {names})"
        ))
    })?;
    if !level.supported() {
        let have: Vec<_> = Level::all_supported().iter().map(|l| l.name()).collect();
        return Err(Error::Config(format!(
            "KD_MLP_SIMD={text}: this CPU cannot run that level (it can: {})",
            have.join(", ")
        )));
    }
    Ok(level)
}

/// The level in use: [`check_env`]'s answer, chosen once per process. A bad `KD_MLP_SIMD` falls
/// back to the best level here; the command line reports it as an error before any work.
pub fn active() -> Level {
    static ACTIVE: OnceLock<Level> = OnceLock::new();
    *ACTIVE.get_or_init(|| check_env().unwrap_or_else(|_| Level::all_supported()[0]))
}

/// `C = A·B` at `level` (see [`super::gemm`] for the arithmetic, the same at every level).
///
/// # Safety
/// As [`gemm`]: valid views of these shapes, `c` apart from `a` and `b`. `level` must be
/// supported by this CPU.
pub unsafe fn gemm_at(level: Level, m: usize, k: usize, n: usize, a: Strided, b: Strided, c: Out) {
    match level {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => gemm_avx512(m, k, n, a, b, c),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => gemm_avx2(m, k, n, a, b, c),
        #[cfg(target_arch = "aarch64")]
        Level::Neon => gemm_neon(m, k, n, a, b, c),
        _ => gemm_baseline(m, k, n, a, b, c),
    }
}

// The register tiles per level, `gemm::<lanes, MR rows, NV registers per row, NH for a narrow
// last panel, NW for a wide last panel, MRT rows for a few last columns computed transposed>`:
// MR·NV accumulators. AVX-512: 8 × 32 columns, 16 of its 32 registers (a batch of 32 is four
// whole row panels), and 8 × 48 (24 registers) for a wide last panel; AVX2: 6 × 16, 12 of its
// 16 (a wide panel would need 18); NEON: 8 × 12, 24 of its 32; the portable arrays: 6 × 16.
// One row for a single sample.

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn gemm_avx512(m: usize, k: usize, n: usize, a: Strided, b: Strided, c: Out) {
    if m == 1 {
        gemm::<Avx512, 1, 2, 1, 2, 1>(m, k, n, a, b, c)
    } else {
        gemm::<Avx512, 8, 2, 1, 3, 4>(m, k, n, a, b, c)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemm_avx2(m: usize, k: usize, n: usize, a: Strided, b: Strided, c: Out) {
    if m == 1 {
        gemm::<Avx2, 1, 2, 1, 2, 1>(m, k, n, a, b, c)
    } else {
        gemm::<Avx2, 6, 2, 1, 2, 4>(m, k, n, a, b, c)
    }
}

/// NEON: 8 rows × 3 registers (24 of the 32 `v` registers), the 8 values of `A` in two
/// registers and `B`'s 12 in three, so one step is 5 loads and 24 `fmla`s
/// ([`super::lanes::Neon`]); a tile of 4 rows for the rows a partial panel would waste.
#[cfg(target_arch = "aarch64")]
unsafe fn gemm_neon(m: usize, k: usize, n: usize, a: Strided, b: Strided, c: Out) {
    if m == 1 {
        gemm::<Neon, 1, 4, 2, 4, 1>(m, k, n, a, b, c)
    } else {
        gemm::<Neon, 8, 3, 2, 3, 4>(m, k, n, a, b, c)
    }
}

/// The baseline build: the portable arrays (on aarch64 compiled to NEON by the compiler, and
/// what `KD_MLP_SIMD=portable` runs there), plain scalar code elsewhere.
unsafe fn gemm_baseline(m: usize, k: usize, n: usize, a: Strided, b: Strided, c: Out) {
    if m == 1 {
        gemm::<Portable, 1, 4, 2, 4, 1>(m, k, n, a, b, c)
    } else {
        gemm::<Portable, 6, 4, 2, 4, 2>(m, k, n, a, b, c)
    }
}
