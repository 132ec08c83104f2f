//! How [`super::gemm`] cuts the `m` rows of `A` (and of `C`) into panels for its register
//! tile: panels of the tile's full height `MR`, then, for the rows that are left, panels of a
//! shorter tile of `MRT` rows where that wastes fewer rows of work than one partial panel.
//!
//! Why: a panel of fewer than `MR` rows still runs the whole tile, its missing rows multiplying
//! zeros. At AVX2 (`MR = 6`) a batch of 32 rows is five panels and 2 rows, and those 2 rows cost
//! a whole panel: 36 rows of work for 32. Cut as four panels of 6 and two of 4 it is 32 rows of
//! work. The panels only decide which chains run side by side, never the steps of a chain, so no
//! bit of a product depends on them.

/// One panel: rows `start .. start + rows` of `A`, computed by a tile `height` rows tall
/// (`rows ≤ height`; the tile's rows past `rows` are padding whose results are never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowPanel {
    pub start: usize,
    pub rows: usize,
    pub height: usize,
}

impl RowPanel {
    /// Whether the panel fills its tile (a partial one is always packed, so nothing past `A` is
    /// read).
    pub fn is_whole(&self) -> bool {
        self.rows == self.height
    }
}

/// The panels of `m` rows for tiles of `mr` and `mrt ≤ mr` rows, in order.
#[derive(Debug, Clone, Copy)]
pub(super) struct RowPanels {
    m: usize,
    mr: usize,
    mrt: usize,
    /// Rows covered by panels of `mr` (the last of them partial when no short panel follows).
    tall_rows: usize,
}

impl RowPanels {
    pub fn new(m: usize, mr: usize, mrt: usize) -> Self {
        debug_assert!(mrt >= 1 && mrt <= mr);
        let whole = m / mr;
        let tail = m % mr;
        // The rows of work each way of covering the tail, beyond the whole panels before it:
        // one partial tall panel; short panels for the tail alone; or the last whole tall panel
        // and the tail together in short panels (counted as the work beyond that panel's `mr`).
        let partial = mr;
        let short = tail.div_ceil(mrt) * mrt;
        let merged = if whole > 0 {
            (mr + tail).div_ceil(mrt) * mrt - mr
        } else {
            usize::MAX
        };
        // Ties go to the fewer, taller panels (a short tile reloads `B` more often per row).
        let tall_rows = if tail == 0 || mrt == mr || partial <= short.min(merged) {
            m
        } else if short <= merged {
            whole * mr
        } else {
            (whole - 1) * mr
        };
        Self {
            m,
            mr,
            mrt,
            tall_rows,
        }
    }

    /// The panels, top to bottom.
    pub fn iter(self) -> impl Iterator<Item = RowPanel> {
        let tall = (0..self.tall_rows)
            .step_by(self.mr)
            .map(move |start| RowPanel {
                start,
                rows: self.mr.min(self.tall_rows - start),
                height: self.mr,
            });
        let short = (self.tall_rows..self.m)
            .step_by(self.mrt)
            .map(move |start| RowPanel {
                start,
                rows: self.mrt.min(self.m - start),
                height: self.mrt,
            });
        tall.chain(short)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heights(m: usize, mr: usize, mrt: usize) -> Vec<(usize, usize)> {
        RowPanels::new(m, mr, mrt)
            .iter()
            .map(|p| (p.rows, p.height))
            .collect()
    }

    /// Every row in exactly one panel, in order, no panel taller than its tile.
    #[test]
    fn the_panels_cover_every_row_once() {
        for (mr, mrt) in [(6, 4), (8, 4), (6, 2), (1, 1), (6, 6)] {
            for m in 0..70 {
                let mut next = 0;
                for p in RowPanels::new(m, mr, mrt).iter() {
                    assert_eq!(p.start, next, "m {m}, tiles {mr}/{mrt}");
                    assert!(p.rows >= 1 && p.rows <= p.height);
                    assert!(p.height == mr || p.height == mrt);
                    next += p.rows;
                }
                assert_eq!(next, m, "m {m}, tiles {mr}/{mrt}");
            }
        }
    }

    /// The cuts the study's shapes get: fewer rows of work than one partial tall panel.
    #[test]
    fn short_tiles_take_the_rows_a_tall_panel_would_waste() {
        // AVX2, a batch of 32: four panels of 6 and two of 4 (32 rows of work, not 36)
        assert_eq!(
            heights(32, 6, 4),
            [vec![(6, 6); 4], vec![(4, 4); 2]].concat()
        );
        // AVX2, 784 rows of W: 130 panels of 6 and one of 4
        assert_eq!(heights(784, 6, 4).last(), Some(&(4, 4)));
        assert_eq!(heights(784, 6, 4).len(), 131);
        // AVX-512, 500 rows: 62 panels of 8 and one of 4 (not a panel of 8 holding 4)
        assert_eq!(heights(500, 8, 4).len(), 63);
        assert_eq!(heights(500, 8, 4).last(), Some(&(4, 4)));
        // a batch of 32 at AVX-512 is four whole panels
        assert_eq!(heights(32, 8, 4), vec![(8, 8); 4]);
        // 5 rows left of 6: one partial tall panel (short ones would do 8 rows of work)
        assert_eq!(heights(11, 6, 4), vec![(6, 6), (5, 6)]);
        // too few rows for a tall panel: short panels only when they waste less
        assert_eq!(heights(3, 6, 4), vec![(3, 4)]);
        assert_eq!(heights(5, 8, 4), vec![(5, 8)]);
    }
}
