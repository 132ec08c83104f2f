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
//! aarch64 spells its register in intrinsics too (`Neon`, compiled there only), for the loads
//! rather than the layout: see its note. [`Portable`] is the same register written as an array
//! of 4 lanes: what the no-feature fallback runs, and `KD_MLP_SIMD=portable` on aarch64.

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

    /// Whether a step of the register tile multiplies by lanes ([`Lanes::fma_by_lanes`]) where
    /// the `MR` values of `A` are adjacent, instead of one broadcast per row. NEON's broadcasts
    /// are loads of their own, so there the GEMM also packs a row-major `A` rather than
    /// reading it in place, to have those values adjacent.
    const BY_LANES: bool = false;

    /// One step of `k` over a register tile: `acc[r][j] = fma(a[r], b[j], acc[r][j])` with
    /// `a[r] = *a.add(r)`, the same fused multiply-adds as a broadcast per row (which is what
    /// this default does; the GEMM calls it only where [`Lanes::BY_LANES`]).
    #[inline(always)]
    unsafe fn fma_by_lanes<const MR: usize, const NV: usize>(
        acc: &mut [[Self; NV]; MR],
        a: *const f32,
        b: &[Self; NV],
    ) {
        for (r, row) in acc.iter_mut().enumerate() {
            fma_row(row, Self::splat(a.add(r)), b);
        }
    }
}

/// `row[j] = fma(a, b[j], row[j])` for one row of a register tile.
#[inline(always)]
unsafe fn fma_row<V: Lanes, const NV: usize>(row: &mut [V; NV], a: V, b: &[V; NV]) {
    for (c, &bj) in row.iter_mut().zip(b) {
        *c = c.fma(a, bj);
    }
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

#[cfg(target_arch = "aarch64")]
pub use arm::Neon;

#[cfg(target_arch = "aarch64")]
mod arm {
    use super::{fma_row, Lanes};
    use std::arch::aarch64::*;

    /// 4 lanes of NEON (a `v` register, `.4s`): `ld1r` for a broadcast, `ldr q`/`str q` for
    /// whole loads and stores, `fmla` for the multiply-add (one rounding, as `f32::mul_add`),
    /// and, for a step of the register tile, `fmla` by lane: four rows' values of `A` in one
    /// register, each multiplying a row of `B` from its lane (`vfmaq_laneq_f32`, the same
    /// fused multiply-add as the broadcast's).
    ///
    /// Why not the portable arrays, which compile to NEON too: their loop reads `A` one
    /// broadcast (a load) per row and step, and llvm-mca's Cortex-A53 model (in order) predicts
    /// it at 27-38 % of the core's FMA peak, the Neoverse-N1 model (the A76's) at 52-71 %; one
    /// load per four rows brings them to about 60 % and 90 % (`scripts/arm-predict.sh`).
    #[derive(Clone, Copy)]
    pub struct Neon(float32x4_t);

    /// `acc[j] += b[j] · a[LANE]` for each register of a row of the tile.
    #[inline(always)]
    unsafe fn fma_lane<const LANE: i32, const NV: usize>(
        acc: &mut [Neon; NV],
        b: &[Neon; NV],
        a: float32x4_t,
    ) {
        for (c, bj) in acc.iter_mut().zip(b) {
            c.0 = vfmaq_laneq_f32::<LANE>(c.0, bj.0, a);
        }
    }

    impl Lanes for Neon {
        const WIDTH: usize = 4;
        // The ragged edges go through a buffer of the tile, as AVX2's: a masked load here would
        // be a copy per step of `k`.
        const MASKED_EDGES: bool = false;
        const BY_LANES: bool = true;
        #[inline(always)]
        unsafe fn zero() -> Self {
            Neon(vdupq_n_f32(0.0))
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> Self {
            Neon(vld1q_dup_f32(p))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            Neon(vld1q_f32(p))
        }
        #[inline(always)]
        unsafe fn load_first(p: *const f32, n: usize) -> Self {
            let mut buf = [0.0f32; 4];
            std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n);
            Neon(vld1q_f32(buf.as_ptr()))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            vst1q_f32(p, self.0)
        }
        #[inline(always)]
        unsafe fn store_first(self, p: *mut f32, n: usize) {
            let mut buf = [0.0f32; 4];
            vst1q_f32(buf.as_mut_ptr(), self.0);
            std::ptr::copy_nonoverlapping(buf.as_ptr(), p, n);
        }
        #[inline(always)]
        unsafe fn fma(self, a: Self, b: Self) -> Self {
            Neon(vfmaq_f32(self.0, a.0, b.0))
        }
        #[inline(always)]
        unsafe fn fma_by_lanes<const MR: usize, const NV: usize>(
            acc: &mut [[Self; NV]; MR],
            a: *const f32,
            b: &[Self; NV],
        ) {
            let mut quads = acc.chunks_exact_mut(4);
            for (q, rows) in (&mut quads).enumerate() {
                let a4 = vld1q_f32(a.add(4 * q));
                fma_lane::<0, NV>(&mut rows[0], b, a4);
                fma_lane::<1, NV>(&mut rows[1], b, a4);
                fma_lane::<2, NV>(&mut rows[2], b, a4);
                fma_lane::<3, NV>(&mut rows[3], b, a4);
            }
            // Rows past the last four (a tile of one row): one broadcast each.
            let done = MR - MR % 4;
            for (r, row) in quads.into_remainder().iter_mut().enumerate() {
                fma_row(row, Self::splat(a.add(done + r)), b);
            }
        }
    }
}
