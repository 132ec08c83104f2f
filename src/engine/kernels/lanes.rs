//! One SIMD register of f32 lanes, as the GEMM's register tile sees it: load (whole or the first
//! lanes), broadcast, fused multiply-add, store. Nothing else, so every level does the same arithmetic.
//!
//! Why a type per level and not only `[f32; W]` arrays with `f32::mul_add`: with arrays the
//! compiler's vectorizer decides how the tile maps onto registers, and it does not always see
//! it. At AVX-512 with a tile of 8 × 32 (Rust 1.95) it made gathers and scatters, and the
//! product ran at 2.3 GFLOP/s instead of ~150. The x86 levels therefore spell the register out
//! in intrinsics; each intrinsic used here is one instruction with the same rounding as
//! `f32::mul_add` (a fused multiply-add rounds once), a plain load, a broadcast or a store, so
//! the bits are the portable code's (`every_level_computes_the_in_order_fma_chain` checks it).
//! [`Portable`] is the same register written as an array of 4 lanes: what aarch64 (NEON and FMA
//! in its baseline, 4 lanes) and the no-feature fallback run.

/// A register of `WIDTH` f32 lanes.
///
/// # Safety
/// Every method reads or writes `WIDTH` floats at the pointer it is given (unaligned is fine),
/// and runs only where the CPU has the type's features.
#[allow(clippy::missing_safety_doc)] // the trait's `# Safety` covers every method
pub trait Lanes: Copy {
    /// Lanes per register.
    const WIDTH: usize;
    /// Whether the GEMM reads and writes a ragged edge with [`Lanes::load_first`] and
    /// [`Lanes::store_first`] in its loops. Not at AVX2, whose masks are vector registers: the
    /// compiler kept one live across the register tile, which then had to keep an accumulator
    /// on the stack (a forward fell from 93 to 49 GFLOP/s); there the edges go through a buffer.
    const MASKED_EDGES: bool = true;
    /// All lanes zero.
    unsafe fn zero() -> Self;
    /// All lanes `*p`.
    unsafe fn splat(p: *const f32) -> Self;
    /// `WIDTH` floats from `p`.
    unsafe fn load(p: *const f32) -> Self;
    /// The first `n` floats from `p` (`0 < n < WIDTH`), zeros in the other lanes; nothing past
    /// `p + n` is read.
    unsafe fn load_first(p: *const f32, n: usize) -> Self;
    /// `WIDTH` floats to `p`.
    unsafe fn store(self, p: *mut f32);
    /// The first `n` lanes to `p .. p + n` (`0 < n < WIDTH`); nothing past `p + n` is written.
    unsafe fn store_first(self, p: *mut f32, n: usize);
    /// `self + a·b` per lane, rounded once (a fused multiply-add).
    unsafe fn fma(self, a: Self, b: Self) -> Self;
}

/// 4 lanes in portable Rust: `f32::mul_add` per lane.
#[derive(Clone, Copy)]
pub struct Portable([f32; 4]);

impl Lanes for Portable {
    const WIDTH: usize = 4;
    #[inline(always)]
    unsafe fn zero() -> Self {
        Portable([0.0; 4])
    }
    #[inline(always)]
    unsafe fn splat(p: *const f32) -> Self {
        Portable([*p; 4])
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Portable(std::ptr::read_unaligned(p.cast()))
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f32, n: usize) -> Self {
        Portable(std::array::from_fn(|i| if i < n { *p.add(i) } else { 0.0 }))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        std::ptr::write_unaligned(p.cast(), self.0)
    }
    #[inline(always)]
    unsafe fn store_first(self, p: *mut f32, n: usize) {
        for (i, &v) in self.0.iter().enumerate().take(n) {
            *p.add(i) = v;
        }
    }
    #[inline(always)]
    unsafe fn fma(self, a: Self, b: Self) -> Self {
        Portable(std::array::from_fn(|i| a.0[i].mul_add(b.0[i], self.0[i])))
    }
}

#[cfg(target_arch = "x86_64")]
pub use x86::{Avx2, Avx512};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Lanes;
    use std::arch::x86_64::*;

    /// 16 lanes of AVX-512F (`zmm`).
    #[derive(Clone, Copy)]
    pub struct Avx512(__m512);

    impl Lanes for Avx512 {
        const WIDTH: usize = 16;
        #[inline(always)]
        unsafe fn zero() -> Self {
            Avx512(_mm512_setzero_ps())
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> Self {
            Avx512(_mm512_set1_ps(*p))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            Avx512(_mm512_loadu_ps(p))
        }
        #[inline(always)]
        unsafe fn load_first(p: *const f32, n: usize) -> Self {
            // A masked load: the lanes past `n` are neither read nor able to fault.
            Avx512(_mm512_maskz_loadu_ps(((1u32 << n) - 1) as u16, p))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            _mm512_storeu_ps(p, self.0)
        }
        #[inline(always)]
        unsafe fn store_first(self, p: *mut f32, n: usize) {
            _mm512_mask_storeu_ps(p, ((1u32 << n) - 1) as u16, self.0)
        }
        #[inline(always)]
        unsafe fn fma(self, a: Self, b: Self) -> Self {
            Avx512(_mm512_fmadd_ps(a.0, b.0, self.0))
        }
    }

    /// The mask of AVX2's masked loads and stores that keeps lane `i` where `i < n`.
    #[inline(always)]
    unsafe fn first_lanes(n: usize) -> __m256i {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), lanes)
    }

    /// 8 lanes of AVX2 with FMA (`ymm`).
    #[derive(Clone, Copy)]
    pub struct Avx2(__m256);

    impl Lanes for Avx2 {
        const WIDTH: usize = 8;
        const MASKED_EDGES: bool = false;
        #[inline(always)]
        unsafe fn zero() -> Self {
            Avx2(_mm256_setzero_ps())
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> Self {
            Avx2(_mm256_broadcast_ss(&*p))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            Avx2(_mm256_loadu_ps(p))
        }
        #[inline(always)]
        unsafe fn load_first(p: *const f32, n: usize) -> Self {
            // A masked load (lane i kept where i < n): the other lanes are neither read nor
            // able to fault.
            Avx2(_mm256_maskload_ps(p, first_lanes(n)))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            _mm256_storeu_ps(p, self.0)
        }
        #[inline(always)]
        unsafe fn store_first(self, p: *mut f32, n: usize) {
            _mm256_maskstore_ps(p, first_lanes(n), self.0)
        }
        #[inline(always)]
        unsafe fn fma(self, a: Self, b: Self) -> Self {
            Avx2(_mm256_fmadd_ps(a.0, b.0, self.0))
        }
    }
}
