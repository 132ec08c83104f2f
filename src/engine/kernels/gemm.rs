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
//! **The shape of the loops.** `A` is read in panels of `MR` rows, the kernel broadcasting one
//! value of each row per step of `k`: in place when its rows are contiguous (`x`, `W`) or when
//! the `MR` values of one `k` are side by side (`xᵀ` of `dW = xᵀ·dy`), packed into that layout
//! otherwise, and always for a last partial panel, so nothing past `A` is read; the rows a
//! last partial panel would waste go to panels of a shorter tile of `MRT` rows where that is
//! less work (`row_panels`: a batch of 32 at AVX2 is four panels of 6 and two of 4,
//! not six of 6). `B` is read in
//! panels of `NV` registers of lanes ([`Lanes`]): in place when its rows are contiguous (`x·W`,
//! `xᵀ·dy`; a ragged last register with a masked load), copied into a contiguous panel otherwise
//! (`W·dyᵀ`). The register
//! tile of `MR × NV` registers keeps that many independent accumulators in flight, enough to
//! cover the FMA latency on two ports; depth blocks of [`KC`] bound the `B` panel that every
//! row panel of `A` passes over (every depth of the study's layers is one block). A last panel
//! of only a few columns (the 4 of 100 in a weight gradient) is computed transposed, its columns
//! as the rows of a small tile ([`gemm`]).

use super::lanes::Lanes;
use super::pack::{grow, pack_a, pack_b};
use super::row_panels::{RowPanel, RowPanels};
use super::tile::{load_tile, store_tile, MAX_TILE_WIDTH};
use std::cell::Cell;

/// Depth of a block: a `KC × 32` panel of `B` is 128 KiB, a `KC × 8` panel of `A` 32 KiB.
///
/// Why so deep, when 256 would keep the `B` panel in L1: between two blocks each tile of `C`
/// goes out to memory and back, and for the transposed `dx` of `dxᵀ = W·dyᵀ` that round trip is
/// a column-by-column copy. The kernel reads one row of the panel per 8 cycles of multiply-adds
/// (16 bytes a cycle at AVX-512), which L2 sustains, so the panel need not sit in L1. Measured on
/// a Zen 5 EPYC, each product alternating with the old depth of 256 in one process, batch 32:
/// the backward of 500 × 400 and 400 × 300 8–12 % faster (AVX2 6–7 %), the forward of 784 × 500
/// 3–6 %; batch 1 000 forwards 1–10 % faster; no shape slower.
pub const KC: usize = 1024;

/// A read-only strided matrix: element `(r, c)` at `ptr + r·rs + c·cs` (in elements).
#[derive(Debug, Clone, Copy)]
pub struct Strided {
    pub ptr: *const f32,
    pub rs: isize,
    pub cs: isize,
}

/// The output: element `(r, c)` at `ptr + r·rs + c·cs`. Contiguous columns (`cs = 1`) get
/// vector stores; any other layout (the transposed `dx` of `dxᵀ = W·dyᵀ`) goes column by column
/// through a buffer of the tile.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub ptr: *mut f32,
    pub rs: usize,
    pub cs: usize,
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

/// `C = A·B` for `A: (m, k)`, `B: (k, n)`, `C: (m, n)`, with a register tile of `MR` rows (`MRT`
/// for the rows a partial panel would waste, and for a last panel of at most that many columns
/// computed transposed) and `NV` registers of
/// `V`; a last column panel that fits `NH` registers gets a tile that wide, and a last whole
/// panel followed by at most half a register of columns becomes one panel of `NW` registers
/// (`NW = NV`: never). A forward of 100 outputs at AVX-512 is two panels of 32 and one of 48
/// holding 36, not three of 32 and one of 16 holding 4.
///
/// # Safety
/// The views must describe valid matrices of these shapes; `c` must not overlap `a` or `b`.
/// The caller compiles this (by inlining) for a level the CPU supports, the level of `V`.
#[inline(always)]
pub unsafe fn gemm<
    V,
    const MR: usize,
    const NV: usize,
    const NH: usize,
    const NW: usize,
    const MRT: usize,
>(
    m: usize,
    k: usize,
    n: usize,
    a: Strided,
    b: Strided,
    c: Out,
) where
    V: Lanes,
{
    // A last panel that would leave most of its register's lanes empty (`dW = xᵀ·dY` of a
    // layer of 100 outputs: 4 columns in a panel of 16) is computed transposed instead, as
    // `Cᵀ = Bᵀ·Aᵀ`, when `Aᵀ` has contiguous rows (`x` itself): its few columns become a row
    // panel and the many rows of `C` the lanes. Each element is the same chain, since
    // `fma(b, a, c) = fma(a, b, c)` exactly. (With fewer than four row panels of `C` there are
    // too few lanes to fill: the narrow panel stays.)
    let width = NV * V::WIDTH;
    let rest = n % width;
    if !(rest > 0 && 2 * rest <= V::WIDTH && n > width && a.rs == 1 && m >= 4 * MR) {
        return panels::<V, MR, MRT, NV, NH, NW>(m, k, n, a, b, c);
    }
    let n_main = n - rest;
    panels::<V, MR, MRT, NV, NH, NW>(m, k, n_main, a, b, c);
    let b_rest_t = Strided {
        ptr: b.ptr.offset(n_main as isize * b.cs),
        rs: b.cs,
        cs: b.rs,
    };
    let a_t = Strided {
        ptr: a.ptr,
        rs: a.cs,
        cs: a.rs,
    };
    let c_rest_t = Out {
        ptr: c.ptr.add(n_main * c.cs),
        rs: c.cs,
        cs: c.rs,
    };
    // A tile of `MRT` rows when the panel has that few columns, so that no row of the tile is
    // padding (4 of 100 columns: half the multiply-adds of a tile of 8).
    if rest <= MRT {
        panels::<V, MRT, MRT, NV, NH, NW>(rest, k, m, b_rest_t, a_t, c_rest_t);
    } else {
        panels::<V, MR, MRT, NV, NH, NW>(rest, k, m, b_rest_t, a_t, c_rest_t);
    }
}

/// [`gemm`] over whole column panels, the last one possibly narrow.
///
/// # Safety
/// As [`gemm`].
#[inline(always)]
unsafe fn panels<
    V: Lanes,
    const MR: usize,
    const MRT: usize,
    const NV: usize,
    const NH: usize,
    const NW: usize,
>(
    m: usize,
    k: usize,
    n: usize,
    a: Strided,
    b: Strided,
    c: Out,
) {
    debug_assert!(NH < NV && NV.max(NW) * V::WIDTH <= MAX_TILE_WIDTH);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for i in 0..m {
            for j in 0..n {
                *c.ptr.add(i * c.rs + j * c.cs) = 0.0;
            }
        }
        return;
    }
    // The buffers are moved out of the thread-local and back rather than used inside a closure:
    // a closure is compiled on its own, without the caller's target features, and the loops
    // below would lose their SIMD level.
    let mut scratch = SCRATCH.with(Cell::take);
    let Scratch { a: a_buf, b: b_buf } = &mut scratch;
    // A row-major `A` is read in place, except at a level that multiplies by lanes, which wants
    // the values of a step adjacent: packed. (`&`, not `&&`: the short-circuit's branch, folded
    // away where `BY_LANES` is false, still moved registers around in the x86 levels' code.)
    let rows_in_place = (a.cs == 1) & !V::BY_LANES;
    // `xᵀ` of `dW = xᵀ·dy`: the `MR` values of one step of `k` are adjacent, which is the packed
    // layout with a longer stride, so it is read in place too (a copy of `x` per step saved).
    let cols_in_place = !rows_in_place && a.rs == 1;
    // A packed `A` holds every panel; an `A` read in place only its partial panels.
    let panels = RowPanels::new(m, MR, MRT);
    let any_in_place = rows_in_place || cols_in_place;
    let in_place = |p: &RowPanel| any_in_place && p.is_whole();
    grow(
        a_buf,
        panels
            .iter()
            .filter(|p| !in_place(p))
            .map(|p| p.height * k)
            .sum(),
    );
    pack_a(panels, in_place, k, a, a_buf);
    let a_src = ASource {
        a,
        cols_in_place,
        any_in_place,
        panels,
        packed: a_buf.as_ptr(),
    };
    let width = NV * V::WIDTH;
    grow(b_buf, KC * NW.max(NV) * V::WIDTH);
    for jc in (0..n).step_by(width) {
        let nr = width.min(n - jc);
        // A few columns after the last whole panel (the 4 of a layer of 100) ride along with
        // it in one panel of `NW` registers, where a panel of their own would run a register
        // per row of the tile for them alone.
        let left = n - jc;
        if NW > NV && left > width && left <= NW * V::WIDTH && 2 * (left - width) <= V::WIDTH {
            column_panel::<V, MR, MRT, NW>(k, jc, left, &a_src, b, c, b_buf);
            break;
        }
        if nr <= NH * V::WIDTH {
            column_panel::<V, MR, MRT, NH>(k, jc, nr, &a_src, b, c, b_buf);
        } else {
            column_panel::<V, MR, MRT, NV>(k, jc, nr, &a_src, b, c, b_buf);
        }
    }
    SCRATCH.with(|s| s.set(scratch));
}

/// Where the kernel reads `A`: whole panels in place when `any_in_place` (by rows, or by
/// columns when `cols_in_place`), every other panel from `packed`, one after another.
struct ASource {
    a: Strided,
    cols_in_place: bool,
    any_in_place: bool,
    panels: RowPanels,
    packed: *const f32,
}

impl ASource {
    fn in_place(&self, panel: &RowPanel) -> bool {
        self.any_in_place && panel.is_whole()
    }
}

/// Columns `jc .. jc + nr` (`nr ≤ NV·lanes`) of `C` from the packed `A`, one depth block at a
/// time.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn column_panel<V: Lanes, const MR: usize, const MRT: usize, const NV: usize>(
    k: usize,
    jc: usize,
    nr: usize,
    a_src: &ASource,
    b: Strided,
    c: Out,
    b_buf: &mut [f32],
) {
    let width = NV * V::WIDTH;
    // `B` is read in place when its rows are contiguous and every register but the last is
    // whole: the last one then takes its `tail` columns with a masked load (the 4 of 100
    // columns of a forward), where a copy of the panel cost as much as its product.
    let tail = nr.saturating_sub((NV - 1) * V::WIDTH);
    let in_place = b.cs == 1 && (nr == width || (V::MASKED_EDGES && tail > 0));
    for pc in (0..k).step_by(KC) {
        let kc = KC.min(k - pc);
        // The B panel: rows pc..pc+kc, columns jc..jc+width, in place or copied.
        let (bp, b_rs) = if in_place {
            (b.ptr.offset(pc as isize * b.rs + jc as isize), b.rs)
        } else {
            pack_b::<V>(kc, nr, width, pc, jc, b, b_buf);
            (b_buf.as_ptr(), width as isize)
        };
        let block = Block {
            kc,
            pc,
            nr,
            bp,
            b_rs,
            tail,
            masked: in_place && tail < V::WIDTH,
        };
        let mut packed = a_src.packed;
        for panel in a_src.panels.iter() {
            let (ap, a_rs, by_columns) = if a_src.in_place(&panel) {
                let (a, ic) = (a_src.a, panel.start as isize);
                if a_src.cols_in_place {
                    (a.ptr.offset(ic + pc as isize * a.cs), a.cs, true)
                } else {
                    (a.ptr.offset(ic * a.rs + pc as isize), a.rs, false)
                }
            } else {
                let here = packed.add(pc * panel.height);
                packed = packed.add(panel.height * k);
                (here, panel.height as isize, true)
            };
            let tile = c.ptr.add(panel.start * c.rs + jc * c.cs);
            if panel.height == MR {
                row_tile::<V, MR, NV>(&block, ap, a_rs, by_columns, tile, c, panel.rows);
            } else {
                row_tile::<V, MRT, NV>(&block, ap, a_rs, by_columns, tile, c, panel.rows);
            }
        }
    }
}

/// What every tile of one depth block of a column panel shares: the depth `kc` from `pc`, the
/// panel's `nr` columns, the `B` panel at `bp` (row stride `b_rs`, a last register of `tail`
/// lanes read `masked`).
struct Block {
    kc: usize,
    pc: usize,
    nr: usize,
    bp: *const f32,
    b_rs: isize,
    tail: usize,
    masked: bool,
}

/// One tile of `H` rows (`mr` of them real) for one depth block: from `C` (after the first
/// block), through the kernel, back to `C`. `A[r, k]` at `ap + k·a_rs + r` when `by_columns`,
/// at `ap + r·a_rs + k` otherwise.
#[inline(always)]
unsafe fn row_tile<V: Lanes, const H: usize, const NV: usize>(
    block: &Block,
    ap: *const f32,
    a_rs: isize,
    by_columns: bool,
    tile: *mut f32,
    c: Out,
    mr: usize,
) {
    let Block {
        kc, bp, b_rs, tail, ..
    } = *block;
    let mut acc = [[V::zero(); NV]; H];
    if block.pc > 0 {
        load_tile(&mut acc, tile, c, mr, block.nr);
    }
    match (by_columns, block.masked) {
        (false, false) => kernel::<V, H, NV, false, false>(kc, ap, a_rs, bp, b_rs, tail, &mut acc),
        (false, true) => kernel::<V, H, NV, false, true>(kc, ap, a_rs, bp, b_rs, tail, &mut acc),
        (true, false) => kernel::<V, H, NV, true, false>(kc, ap, a_rs, bp, b_rs, tail, &mut acc),
        (true, true) => kernel::<V, H, NV, true, true>(kc, ap, a_rs, bp, b_rs, tail, &mut acc),
    }
    store_tile(&acc, tile, c, mr, block.nr);
}

/// The register tile: for each `k` of the block, one row of the `B` panel (`NV` registers) and
/// one multiply-add per register of the tile: `acc[r][j] = fma(A[r, k], B[k, j..], acc[r][j])`.
/// `A[r, k]` is at `ap + k·a_rs + r` when `PACKED` (the packed panel, `a_rs = MR`, or `xᵀ` in
/// place), at `ap + r·a_rs + k` otherwise.
#[inline(always)]
unsafe fn kernel<
    V: Lanes,
    const MR: usize,
    const NV: usize,
    const PACKED: bool,
    const MASKED: bool,
>(
    kc: usize,
    ap: *const f32,
    a_rs: isize,
    bp: *const f32,
    b_rs: isize,
    tail: usize,
    acc: &mut [[V; NV]; MR],
) {
    let rows: [*const f32; MR] = std::array::from_fn(|r| ap.offset(r as isize * a_rs));
    for kk in 0..kc {
        let b_row = bp.offset(kk as isize * b_rs);
        let b: [V; NV] = std::array::from_fn(|j| {
            if MASKED && j == NV - 1 {
                V::load_first(b_row.add(j * V::WIDTH), tail)
            } else {
                V::load(b_row.add(j * V::WIDTH))
            }
        });
        if PACKED & V::BY_LANES {
            V::fma_by_lanes(acc, ap.offset(kk as isize * a_rs), &b);
            continue;
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let a = if PACKED {
                V::splat(ap.offset(kk as isize * a_rs + r as isize))
            } else {
                V::splat(rows[r].add(kk))
            };
            for (c, &bj) in row.iter_mut().zip(&b) {
                *c = c.fma(a, bj);
            }
        }
    }
}
