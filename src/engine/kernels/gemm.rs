//! The engine's one f32 matrix product, `C = A·B`, written once in portable Rust and compiled
//! per SIMD level ([`super::simd`]).
//!
//! **The arithmetic order is the definition.** Every element is one chain of fused
//! multiply-adds over `k` in order, starting from zero:
//!
//! ```text
//! c = 0;  for k in 0..K { c = fma(A[i, k], B[k, j], c) }      (one rounding per step)
//! ```
//!
//! Nothing else touches `c`: no split of `k` into lanes or partial sums, no reduction, no
//! skipped terms. The register tile, the lane width, the depth blocks, the column blocks of the
//! threads and the level only decide *which* chains run side by side, never the steps of a
//! chain (a depth block stores the chain's value in `C` and the next block reloads it, which
//! changes no bit). So every level, every thread count and every CPU give the same bytes, and
//! `f32::mul_add` is the fused operation on all of them: one instruction where the level has
//! FMA (AVX2+FMA, AVX-512, every aarch64), the C library's correctly rounded `fmaf` otherwise.
//!
//! **The shape of the loops.** `A` is packed once per call into panels of `MR` rows (`k` outer,
//! the `MR` values of one `k` side by side), so the kernel broadcasts them one by one whatever
//! `A`'s strides (`x`, `xᵀ` and `dy` of the training step all come here). `B` is read in panels
//! of `NR` columns: in place when its rows are contiguous (`x·W`, `xᵀ·dy`), copied into a
//! contiguous panel otherwise (`dy·Wᵀ`) or at a ragged edge. The register tile `MR × NR` keeps
//! `MR·NR/lanes` independent accumulators in flight, enough to cover the FMA latency on two
//! ports; depth blocks of [`KC`] keep the `B` panel in L1 while every row panel of `A` passes.

use std::cell::Cell;

/// Depth of a block: a `KC × 32` panel of `B` is 32 KiB, a `KC × 6` panel of `A` 6 KiB.
pub const KC: usize = 256;

/// A read-only strided matrix: element `(r, c)` at `ptr + r·rs + c·cs` (in elements).
#[derive(Debug, Clone, Copy)]
pub struct Strided {
    pub ptr: *const f32,
    pub rs: isize,
    pub cs: isize,
}

/// The output: row-major with row stride `rs` (columns contiguous).
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub ptr: *mut f32,
    pub rs: usize,
}

/// Packing buffers, one set per thread, grown when a bigger product comes and then reused: a
/// training step allocates nothing once its first step has run.
#[derive(Default)]
struct Scratch {
    a: Vec<f32>,
    b: Vec<f32>,
}

thread_local! {
    static SCRATCH: Cell<Scratch> = Cell::new(Scratch::default());
}

/// `C = A·B` for `A: (m, k)`, `B: (k, n)`, `C: (m, n)`, with an `MR × NR` register tile.
///
/// # Safety
/// The views must describe valid matrices of these shapes; `c` must not overlap `a` or `b`.
/// The caller compiles this (by inlining) for a level the CPU supports.
#[inline(always)]
pub unsafe fn gemm<const MR: usize, const NR: usize>(
    m: usize,
    k: usize,
    n: usize,
    a: Strided,
    b: Strided,
    c: Out,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for i in 0..m {
            std::slice::from_raw_parts_mut(c.ptr.add(i * c.rs), n).fill(0.0);
        }
        return;
    }
    // The buffers are moved out of the thread-local and back rather than used inside a closure:
    // a closure is compiled on its own, without the caller's target features, and the loops
    // below would lose their SIMD level.
    let mut scratch = SCRATCH.with(Cell::take);
    let Scratch { a: a_buf, b: b_buf } = &mut scratch;
    let panels = m.div_ceil(MR);
    grow(a_buf, panels * MR * k);
    pack_a::<MR>(m, k, a, a_buf);
    grow(b_buf, KC * NR);
    for jc in (0..n).step_by(NR) {
        let nr = NR.min(n - jc);
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            // The B panel: rows pc..pc+kc, columns jc..jc+NR, in place or copied.
            let (bp, b_rs) = if b.cs == 1 && nr == NR {
                (b.ptr.offset(pc as isize * b.rs + jc as isize), b.rs)
            } else {
                pack_b::<NR>(kc, nr, pc, jc, b, b_buf);
                (b_buf.as_ptr(), NR as isize)
            };
            for p in 0..panels {
                let ic = p * MR;
                let mr = MR.min(m - ic);
                let ap = a_buf.as_ptr().add(p * MR * k + pc * MR);
                let tile = c.ptr.add(ic * c.rs + jc);
                let mut acc = [[0.0f32; NR]; MR];
                if pc > 0 {
                    load_tile(&mut acc, tile, c.rs, mr, nr);
                }
                kernel::<MR, NR>(kc, ap, bp, b_rs, &mut acc);
                store_tile(&acc, tile, c.rs, mr, nr);
            }
        }
    }
    SCRATCH.with(|s| s.set(scratch));
}

#[inline(always)]
fn grow(buf: &mut Vec<f32>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
}

/// `A` into panels of `MR` rows: panel `p` holds, for each `k`, rows `p·MR .. p·MR + MR`
/// side by side; rows past `m` are zeros (their results are never stored).
#[inline(always)]
unsafe fn pack_a<const MR: usize>(m: usize, k: usize, a: Strided, buf: &mut [f32]) {
    for p in 0..m.div_ceil(MR) {
        let ic = p * MR;
        let rows = MR.min(m - ic);
        let origin = Strided {
            ptr: a.ptr.offset(ic as isize * a.rs),
            ..a
        };
        interleave::<MR>(rows, k, origin, buf.as_mut_ptr().add(p * MR * k));
    }
}

/// Rows `pc .. pc + kc`, columns `jc .. jc + nr` of `B` into a contiguous `kc × NR` panel,
/// zero past column `nr`.
#[inline(always)]
unsafe fn pack_b<const NR: usize>(
    kc: usize,
    nr: usize,
    pc: usize,
    jc: usize,
    b: Strided,
    buf: &mut [f32],
) {
    // Column j of the panel is row j of the transposed view, so `interleave` packs it.
    let columns = Strided {
        ptr: b.ptr.offset(pc as isize * b.rs + jc as isize * b.cs),
        rs: b.cs,
        cs: b.rs,
    };
    interleave::<NR>(nr, kc, columns, buf.as_mut_ptr());
}

/// `dst[kk·W + r] = src(r, kk)` for `r < rows`, `kk < depth`, and zeros for the rows from
/// `rows` to `W`: `W` rows of `src` side by side, one group of `W` per step of the depth.
///
/// Only the copy's loop order depends on the strides (copying is exact, so the order changes no
/// bit): when the `W` values of one step are adjacent in memory (`xᵀ` in `dW = xᵀ·dy`) each
/// step is one `W`-wide copy; otherwise each row is read along its own stride, contiguously for
/// row-major `x`, `dy` and the transposed `Wᵀ` of `dx = dy·Wᵀ`. (An element-by-element gather
/// with a bounds test per element cost a fifth of a teacher's training step.)
#[inline(always)]
unsafe fn interleave<const W: usize>(rows: usize, depth: usize, src: Strided, dst: *mut f32) {
    if rows == W && src.rs == 1 {
        for kk in 0..depth {
            let group: [f32; W] =
                std::ptr::read_unaligned(src.ptr.offset(kk as isize * src.cs).cast());
            std::ptr::write_unaligned(dst.add(kk * W).cast(), group);
        }
        return;
    }
    for r in 0..W {
        if r < rows {
            let row = src.ptr.offset(r as isize * src.rs);
            for kk in 0..depth {
                *dst.add(kk * W + r) = *row.offset(kk as isize * src.cs);
            }
        } else {
            for kk in 0..depth {
                *dst.add(kk * W + r) = 0.0;
            }
        }
    }
}

/// The register tile: for each `k` of the block, one row of the `B` panel and one
/// multiply-add per tile element: `acc[r][j] = fma(A[r, k], B[k, j], acc[r][j])`.
#[inline(always)]
unsafe fn kernel<const MR: usize, const NR: usize>(
    kc: usize,
    ap: *const f32,
    bp: *const f32,
    b_rs: isize,
    acc: &mut [[f32; NR]; MR],
) {
    for kk in 0..kc {
        let b_row: [f32; NR] = std::ptr::read_unaligned(bp.offset(kk as isize * b_rs).cast());
        let a_col: [f32; MR] = std::ptr::read_unaligned(ap.add(kk * MR).cast());
        for r in 0..MR {
            for j in 0..NR {
                acc[r][j] = a_col[r].mul_add(b_row[j], acc[r][j]);
            }
        }
    }
}

#[inline(always)]
unsafe fn load_tile<const MR: usize, const NR: usize>(
    acc: &mut [[f32; NR]; MR],
    tile: *const f32,
    rs: usize,
    mr: usize,
    nr: usize,
) {
    for (r, row) in acc.iter_mut().enumerate().take(mr) {
        if nr == NR {
            *row = std::ptr::read_unaligned(tile.add(r * rs).cast());
        } else {
            std::ptr::copy_nonoverlapping(tile.add(r * rs), row.as_mut_ptr(), nr);
        }
    }
}

#[inline(always)]
unsafe fn store_tile<const MR: usize, const NR: usize>(
    acc: &[[f32; NR]; MR],
    tile: *mut f32,
    rs: usize,
    mr: usize,
    nr: usize,
) {
    // A whole row is one fixed-size write (vector stores straight from the registers); a
    // ragged edge is a short copy.
    for (r, row) in acc.iter().enumerate().take(mr) {
        if nr == NR {
            std::ptr::write_unaligned(tile.add(r * rs).cast(), *row);
        } else {
            std::ptr::copy_nonoverlapping(row.as_ptr(), tile.add(r * rs), nr);
        }
    }
}
