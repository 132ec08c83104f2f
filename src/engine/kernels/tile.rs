//! A register tile's way in and out of `C`: the first `mr` rows and `nr` columns, between the
//! accumulators of [`super::gemm`]'s kernel and the output. Contiguous columns are whole vector
//! loads and stores, a ragged last register masked where the level's masks cost nothing
//! ([`Lanes::MASKED_EDGES`]) and through a buffer of the row otherwise; a transposed output goes
//! column by column through a buffer of the tile. No arithmetic happens here: a tile leaves `C`
//! holding the chain's value and comes back with the same bits.

use super::gemm::Out;
use super::lanes::Lanes;

/// The widest tile any level uses, in floats (AVX-512: a wide last panel of 3 registers of 16).
pub(super) const MAX_TILE_WIDTH: usize = 48;

/// The first `mr` rows and `nr` columns of a tile from `C` into the registers.
///
/// # Safety
/// `tile` and `c` must describe `mr × nr` valid elements of the output, `mr ≤ MR`,
/// `nr ≤ NV·lanes ≤ MAX_TILE_WIDTH`; compiled (by inlining) for the level of `V`.
#[inline(always)]
pub(super) unsafe fn load_tile<V: Lanes, const MR: usize, const NV: usize>(
    acc: &mut [[V; NV]; MR],
    tile: *const f32,
    c: Out,
    mr: usize,
    nr: usize,
) {
    if c.cs != 1 {
        // A transposed output (`dx` of `dxᵀ = W·dyᵀ`): column by column, where its `mr`
        // elements are adjacent, through a buffer of the whole tile.
        let mut buf = [[0.0f32; MAX_TILE_WIDTH]; MR];
        for j in 0..nr {
            for (r, row) in buf.iter_mut().enumerate().take(mr) {
                row[j] = *tile.add(r * c.rs + j * c.cs);
            }
        }
        for (row, src) in acc.iter_mut().zip(&buf) {
            for (j, v) in row.iter_mut().enumerate() {
                *v = V::load(src.as_ptr().add(j * V::WIDTH));
            }
        }
        return;
    }
    if !V::MASKED_EDGES && nr < NV * V::WIDTH {
        for (r, row) in acc.iter_mut().enumerate().take(mr) {
            let mut edge = [0.0f32; MAX_TILE_WIDTH];
            for (j, e) in edge.iter_mut().enumerate().take(nr) {
                *e = *tile.add(r * c.rs + j);
            }
            for (j, v) in row.iter_mut().enumerate() {
                *v = V::load(edge.as_ptr().add(j * V::WIDTH));
            }
        }
        return;
    }
    // A ragged edge: whole registers, then the first lanes of one (the rest stay zero).
    for (r, row) in acc.iter_mut().enumerate().take(mr) {
        let src = tile.add(r * c.rs);
        for (j, v) in row.iter_mut().enumerate() {
            let lanes = nr.saturating_sub(j * V::WIDTH);
            if lanes >= V::WIDTH {
                *v = V::load(src.add(j * V::WIDTH));
            } else if lanes > 0 {
                *v = V::load_first(src.add(j * V::WIDTH), lanes);
            }
        }
    }
}

/// The first `mr` rows and `nr` columns of a tile from the registers into `C`.
///
/// # Safety
/// `tile` and `c` must describe `mr × nr` valid elements of the output, `mr ≤ MR`,
/// `nr ≤ NV·lanes ≤ MAX_TILE_WIDTH`; compiled (by inlining) for the level of `V`.
#[inline(always)]
pub(super) unsafe fn store_tile<V: Lanes, const MR: usize, const NV: usize>(
    acc: &[[V; NV]; MR],
    tile: *mut f32,
    c: Out,
    mr: usize,
    nr: usize,
) {
    // A row of contiguous columns is vector stores straight from the registers, the last one
    // masked at a ragged edge. A transposed output (`dx` of `dxᵀ = W·dyᵀ`, or the
    // transposed last panel of `dW`) is written column by column, where its `mr` elements are
    // adjacent: row by row, each element went to its own line, a tenth of such a product.
    if c.cs != 1 {
        let mut buf = [[0.0f32; MAX_TILE_WIDTH]; MR];
        for (row, dst) in acc.iter().zip(buf.iter_mut()) {
            for (j, v) in row.iter().enumerate() {
                v.store(dst.as_mut_ptr().add(j * V::WIDTH));
            }
        }
        for j in 0..nr {
            for (r, row) in buf.iter().enumerate().take(mr) {
                *tile.add(r * c.rs + j * c.cs) = row[j];
            }
        }
        return;
    }
    if !V::MASKED_EDGES && nr < NV * V::WIDTH {
        for (r, row) in acc.iter().enumerate().take(mr) {
            let mut edge = [0.0f32; MAX_TILE_WIDTH];
            for (j, v) in row.iter().enumerate() {
                v.store(edge.as_mut_ptr().add(j * V::WIDTH));
            }
            for (j, &e) in edge.iter().enumerate().take(nr) {
                *tile.add(r * c.rs + j) = e;
            }
        }
        return;
    }
    for (r, row) in acc.iter().enumerate().take(mr) {
        let dst = tile.add(r * c.rs);
        for (j, v) in row.iter().enumerate() {
            let lanes = nr.saturating_sub(j * V::WIDTH);
            if lanes >= V::WIDTH {
                v.store(dst.add(j * V::WIDTH));
            } else if lanes > 0 {
                v.store_first(dst.add(j * V::WIDTH), lanes);
            }
        }
    }
}
