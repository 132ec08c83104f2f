//! Copying operands of [`super::gemm`] into the contiguous panels its register tile reads:
//! the panels of `A` (`MR` rows side by side for each step of `k`) and a panel of `B` (a
//! ragged edge, or a `B` whose rows are not contiguous). Copying is exact, so no layout or loop
//! order here changes a bit of a product.

use super::gemm::Strided;
use super::lanes::Lanes;
use super::row_panels::{RowPanel, RowPanels};

/// Grows `buf` to at least `len` floats (never shrinks it: the packing buffers are reused).
#[inline(always)]
pub(super) fn grow(buf: &mut Vec<f32>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
}

/// The panels of `A` that are not read in place, one after another into `buf`: each holds, for
/// each `k`, its rows side by side in a group of the panel's height, the rows past its end zeros
/// (their results are never stored).
#[inline(always)]
pub(super) unsafe fn pack_a(
    panels: RowPanels,
    in_place: impl Fn(&RowPanel) -> bool,
    k: usize,
    a: Strided,
    buf: &mut [f32],
) {
    let mut offset = 0;
    for panel in panels.iter().filter(|p| !in_place(p)) {
        let origin = Strided {
            ptr: a.ptr.offset(panel.start as isize * a.rs),
            ..a
        };
        interleave(
            panel.rows,
            panel.height,
            k,
            origin,
            buf.as_mut_ptr().add(offset),
        );
        offset += panel.height * k;
    }
}

/// Rows `pc .. pc + kc`, columns `jc .. jc + nr` of `B` into a contiguous `kc × width` panel,
/// zero past column `nr`.
#[inline(always)]
pub(super) unsafe fn pack_b<V: Lanes>(
    kc: usize,
    nr: usize,
    width: usize,
    pc: usize,
    jc: usize,
    b: Strided,
    buf: &mut [f32],
) {
    let origin = b.ptr.offset(pc as isize * b.rs + jc as isize * b.cs);
    if b.cs == 1 {
        // Row-major `B` (a ragged last panel of `W`): row by row, a register at a time, the
        // last one partial. (As a copy of `nr` floats and a fill of the rest this was two calls
        // to the C library per row, the fill alone 1.4 % of a student's epoch; as scalar loops
        // the compiler made AVX-512 scatters of it.)
        for kk in 0..kc {
            let src = origin.offset(kk as isize * b.rs);
            let dst = buf.as_mut_ptr().add(kk * width);
            for j in (0..width).step_by(V::WIDTH) {
                let v = if j + V::WIDTH <= nr {
                    V::load(src.add(j))
                } else if j < nr {
                    V::load_first(src.add(j), nr - j)
                } else {
                    V::zero()
                };
                v.store(dst.add(j));
            }
        }
    } else {
        // Column j of the panel is row j of the transposed view, so `interleave` packs it.
        let columns = Strided {
            ptr: origin,
            rs: b.cs,
            cs: b.rs,
        };
        interleave(nr, width, kc, columns, buf.as_mut_ptr());
    }
}

/// `dst[kk·w + r] = src(r, kk)` for `r < rows`, `kk < depth`, and zeros for the rows from
/// `rows` to `w`: `w` rows of `src` side by side, one group of `w` per step of the depth.
///
/// The zeros first, in one fill of the whole panel, then the values step by step of the
/// depth, so every store is contiguous (copying is exact, so the loop order changes no bit).
/// (An element-by-element gather with a bounds test per element cost a fifth of a teacher's
/// training step; written row by row, at a stride of `w`, the copy and the zeros were compiled
/// to AVX-512 scatters, slow on AMD's Zen.)
#[inline(always)]
unsafe fn interleave(rows: usize, w: usize, depth: usize, src: Strided, dst: *mut f32) {
    if rows < w {
        std::ptr::write_bytes(dst, 0, depth * w);
    }
    for kk in 0..depth {
        let column = src.ptr.offset(kk as isize * src.cs);
        for r in 0..rows {
            *dst.add(kk * w + r) = *column.offset(r as isize * src.rs);
        }
    }
}
