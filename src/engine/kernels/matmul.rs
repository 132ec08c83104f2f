//! `C = A·B`, with the columns of `C` spread over the rayon pool.
//!
//! Why columns: each element `C[i, j] = Σ_k A[i, k]·B[k, j]` is computed entirely by one task, as
//! one chain of fused multiply-adds over `k` in order ([`super::gemm`]), whatever block it falls
//! in. So splitting the columns needs no reduction buffer and gives the same bytes for any thread
//! count: a run with `--threads 1` and one with `--threads 2` train identical models. (Splitting
//! the batch rows of a weight gradient `dW = Xᵀ·dY` would instead need one partial `dW` per shard
//! and a summation, which costs memory traffic and changes rounding with the shard count.) The
//! tests below check the invariance on awkward block widths.

use super::gemm::{Out, Strided};
use super::simd::{active, gemm_at};
use super::threads::usable_cores;
use crate::Float;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

/// Below this many multiply-adds a GEMM runs on the calling thread: splitting a small product
/// costs more in task overhead than it saves.
const PARALLEL_MIN_MACS: usize = 1 << 18;

/// Thread blocks are multiples of this many columns (or rows), so each block is whole register
/// tiles (32 columns at AVX-512, two tiles of 16 elsewhere; four row panels of 8).
const BLOCK_ALIGN: usize = 32;

/// The length of each thread's block when `len` columns or rows are shared by `threads`.
fn block_len(len: usize, threads: usize) -> usize {
    len.div_ceil(threads).div_ceil(BLOCK_ALIGN) * BLOCK_ALIGN
}

/// `c = a·b` (overwrites `c`, which may have any non-negative strides: a transposed view of a
/// row-major buffer is written in place).
///
/// f32 (training, evaluation, soft targets, inference) goes through the engine's own kernels, the
/// same bits on every CPU; f64 (the gradient audit) through ndarray's GEMM.
///
/// Derivation: `docs/MATH.md`, section "Determinism", "Splitting GEMM output columns across threads".
///
/// # Shapes
/// `a: (M, K)`, `b: (K, N)`, `c: (M, N)`. Any strides (transposed views are fine).
pub fn matmul_into<F: Float>(a: ArrayView2<F>, b: ArrayView2<F>, mut c: ArrayViewMut2<F>) {
    debug_assert_eq!(a.ncols(), b.nrows());
    debug_assert_eq!((a.nrows(), b.ncols()), c.dim());
    let (m, k) = a.dim();
    let n = b.ncols();
    // No more blocks than cores: with more workers than cores (`--threads 64` on 2), more
    // blocks only wake more workers to take turns on the same cores.
    let threads = rayon::current_num_threads().min(usable_cores());
    if threads <= 1 || m * k * n < PARALLEL_MIN_MACS {
        block_product(a, b, c);
    } else if n >= 2 * BLOCK_ALIGN {
        let width = block_len(n, threads);
        c.axis_chunks_iter_mut(Axis(1), width)
            .into_par_iter()
            .zip(b.axis_chunks_iter(Axis(1), width).into_par_iter())
            .for_each(|(c_block, b_block)| block_product(a, b_block, c_block));
    } else if m >= 2 * BLOCK_ALIGN {
        // A product with few columns and many rows (`dxᵀ = W·dyᵀ`, 32 columns): the rows of
        // `C` and `A` are split instead. Each element is still one task's chain, so again no
        // byte depends on the thread count.
        let height = block_len(m, threads);
        c.axis_chunks_iter_mut(Axis(0), height)
            .into_par_iter()
            .zip(a.axis_chunks_iter(Axis(0), height).into_par_iter())
            .for_each(|(c_block, a_block)| block_product(a_block, b, c_block));
    } else {
        block_product(a, b, c);
    }
}

/// `c = a·b` on the calling thread.
fn block_product<F: Float>(a: ArrayView2<F>, b: ArrayView2<F>, mut c: ArrayViewMut2<F>) {
    if std::any::TypeId::of::<F>() != std::any::TypeId::of::<f32>() {
        general_mat_mul(F::one(), &a, &b, F::zero(), &mut c);
        return;
    }
    if c.strides().iter().any(|&s| s < 0) {
        // The kernels write any non-negative strides; nothing in the engine passes a reversed
        // axis, but a library user may.
        let mut tmp = Array2::<F>::zeros(c.dim());
        block_product(a, b, tmp.view_mut());
        c.assign(&tmp);
        return;
    }
    let (m, k) = a.dim();
    let n = b.ncols();
    // The casts are the identity: F is f32, checked above.
    let view = |ptr: *const F, s: &[isize]| Strided {
        ptr: ptr as *const f32,
        rs: s[0],
        cs: s[1],
    };
    let out = Out {
        ptr: c.as_mut_ptr() as *mut f32,
        rs: c.strides()[0] as usize,
        cs: c.strides()[1] as usize,
    };
    // SAFETY: the views describe valid (M, K), (K, N) and (M, N) matrices with these strides, `c`
    // is a distinct mutable view with non-negative strides, and `active()` is a level this CPU
    // has.
    unsafe {
        gemm_at(
            active(),
            m,
            k,
            n,
            view(a.as_ptr(), a.strides()),
            view(b.as_ptr(), b.strides()),
            out,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::s;

    fn operands() -> (Array2<f32>, Array2<f32>) {
        let a = Array2::from_shape_fn((33, 300), |(i, k)| {
            ((i * 31 + k * 17) % 23) as f32 / 7.0 - 1.5
        });
        let b = Array2::from_shape_fn((300, 517), |(k, j)| {
            ((k * 13 + j * 29) % 19) as f32 / 5.0 - 1.8
        });
        (a, b)
    }

    /// The product against a plain triple loop in f64 (an independent computation).
    #[test]
    fn matches_naive_product() {
        let (a, b) = operands();
        let mut c = Array2::zeros((33, 517));
        matmul_into(a.view(), b.view(), c.view_mut());
        for i in 0..33 {
            for j in 0..517 {
                let naive: f64 = (0..300)
                    .map(|k| f64::from(a[[i, k]]) * f64::from(b[[k, j]]))
                    .sum();
                assert!((f64::from(c[[i, j]]) - naive).abs() < 1e-3, "c[{i},{j}]");
            }
        }
    }

    /// Every layout of the training step against a plain triple loop: `x·W` (row-major `B`),
    /// `xᵀ·dY` (strided `A`, depth 32) and `dY·Wᵀ` (transposed `B`), at widths that leave
    /// partial SIMD tiles.
    #[test]
    fn training_layouts_match_naive_products() {
        let x = Array2::from_shape_fn((21, 301), |(i, k)| {
            ((i * 13 + k * 7) % 17) as f32 / 9.0 - 0.8
        });
        let w = Array2::from_shape_fn((301, 77), |(k, j)| {
            ((k * 3 + j * 11) % 19) as f32 / 10.0 - 0.9
        });
        let dy =
            Array2::from_shape_fn((21, 77), |(i, j)| ((i * 5 + j * 3) % 13) as f32 / 6.0 - 1.0);
        let check = |a: ArrayView2<f32>, b: ArrayView2<f32>| {
            let mut c = Array2::zeros((a.nrows(), b.ncols()));
            matmul_into(a, b, c.view_mut());
            for ((i, j), &got) in c.indexed_iter() {
                let want: f64 = (0..a.ncols())
                    .map(|k| f64::from(a[[i, k]]) * f64::from(b[[k, j]]))
                    .sum();
                assert!(
                    (f64::from(got) - want).abs() < 1e-3,
                    "c[{i},{j}] = {got}, want {want}"
                );
            }
        };
        check(x.view(), w.view());
        check(x.t(), dy.view());
        check(dy.view(), w.t());
    }

    /// The definition of the arithmetic, checked exactly: every element equals the chain
    /// `c = fma(a[i, k], b[k, j], c)` over `k` in order, at every SIMD level this CPU has, for
    /// each layout of the training step, ragged tile edges, a narrow last panel, a last panel
    /// computed transposed, short row panels, one row, and depths beyond a block.
    #[test]
    fn every_level_computes_the_in_order_fma_chain() {
        use crate::engine::kernels::gemm::{Out, Strided, KC};
        use crate::engine::kernels::simd::{gemm_at, Level};
        let chain = |a: ArrayView2<f32>, b: ArrayView2<f32>| {
            Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
                (0..a.ncols()).fold(0.0f32, |c, k| a[[i, k]].mul_add(b[[k, j]], c))
            })
        };
        let x = Array2::from_shape_fn((13, KC + 45), |(i, k)| {
            ((i * 13 + k * 7) % 17) as f32 / 9.0 - 0.8
        });
        let w = Array2::from_shape_fn((KC + 45, 77), |(k, j)| {
            ((k * 3 + j * 11) % 19) as f32 / 10.0 - 0.9
        });
        let dy =
            Array2::from_shape_fn((13, 77), |(i, j)| ((i * 5 + j * 3) % 13) as f32 / 6.0 - 1.0);
        let cases: [(ArrayView2<f32>, ArrayView2<f32>); 10] = [
            // 77 columns: a last panel of 13, read in place with a masked load (AVX-512)
            (x.view(), w.view()),
            // 70 columns: a whole panel and 6 more in one wide panel (AVX-512)
            (x.view(), w.slice(s![.., ..70])),
            // 40 columns: a last panel of 8, the narrow tile at every level
            (x.view(), w.slice(s![.., ..40])),
            (x.t(), dy.view()),
            // dW with 68 columns: the last 4 computed transposed (AVX-512 and AVX2)
            (x.t(), dy.slice(s![.., ..68])),
            (dy.view(), w.t()),
            (x.slice(s![..1, ..]), w.view()),
            // dxᵀ = W·dyᵀ: `A` in place with a partial last panel, `B` packed
            (w.view(), dy.t()),
            // 12 rows: a panel of 8 and a short one of 4 read in place (AVX-512)
            (x.slice(s![..12, ..]), w.view()),
            // 1 068 rows by columns: a short last panel of 4 in place (AVX-512); at AVX2 and
            // the portable level the 1 069 rows above end in short panels, one partial
            (x.slice(s![.., ..KC + 44]).reversed_axes(), dy.view()),
        ];
        for (a, b) in cases {
            let want = chain(a, b);
            for level in Level::all_supported() {
                // Row-major output, and the transposed output of `dxᵀ` (column stride ≠ 1).
                for transposed in [false, true] {
                    let (rows, cols) = (a.nrows(), b.ncols());
                    let mut buf = vec![f32::NAN; rows * cols];
                    let out = Out {
                        ptr: buf.as_mut_ptr(),
                        rs: if transposed { 1 } else { cols },
                        cs: if transposed { rows } else { 1 },
                    };
                    let view = |v: ArrayView2<f32>| Strided {
                        ptr: v.as_ptr(),
                        rs: v.strides()[0],
                        cs: v.strides()[1],
                    };
                    // SAFETY: valid views of these shapes; `level` is supported here.
                    unsafe { gemm_at(level, rows, a.ncols(), cols, view(a), view(b), out) };
                    let got = |i: usize, j: usize| buf[i * out.rs + j * out.cs];
                    let same = want
                        .indexed_iter()
                        .all(|((i, j), w)| got(i, j).to_bits() == w.to_bits());
                    assert!(
                        same,
                        "{level:?}, {:?} x {:?}, {transposed}",
                        a.dim(),
                        b.dim()
                    );
                }
            }
        }
    }

    /// The same bytes with 1, 2 and 3 threads, for a row-major and for a transposed right
    /// operand (one packed in place, the other copied: the same chains, so the same bytes).
    #[test]
    fn identical_bytes_for_any_thread_count() {
        let (a, b) = operands();
        let run = |threads: usize, b: ArrayView2<f32>| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut c = Array2::zeros((33, b.ncols()));
            pool.install(|| matmul_into(a.view(), b, c.view_mut()));
            c
        };
        let one = run(1, b.view());
        assert_eq!(one, run(2, b.view()));
        assert_eq!(one, run(3, b.view()));
        let bt = b.t().as_standard_layout().to_owned();
        let one_t = run(1, bt.t());
        assert_eq!(one_t, run(2, bt.t()));
        assert_eq!(one_t, run(3, bt.t()));
        assert_eq!(one, one_t);
        // Few columns and many rows (`dxᵀ = W·dyᵀ`): the rows are split, into a transposed view.
        let tall = b.t().as_standard_layout().to_owned();
        let run_tall = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut ct = Array2::zeros((33, 517));
            pool.install(|| matmul_into(tall.view(), a.t(), ct.view_mut().reversed_axes()));
            ct
        };
        let tall_one = run_tall(1);
        assert_eq!(tall_one, run_tall(2));
        assert_eq!(tall_one, run_tall(3));
        // `a·b` computed as `(bᵀ·aᵀ)ᵀ`: each element the same chain over `k` in the same order
        // (a fused multiply-add's product is exact, so the operands' order does not matter).
        assert_eq!(tall_one, one);
        // A strided output block (a column slice) is written in place, the rest left alone.
        let mut wide = Array2::from_elem((33, 600), 7.0f32);
        matmul_into(a.view(), b.view(), wide.slice_mut(s![.., 40..557]));
        assert_eq!(wide.slice(s![.., 40..557]), one);
        assert!(wide.slice(s![.., ..40]).iter().all(|&v| v == 7.0));
    }
}
