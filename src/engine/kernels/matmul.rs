//! `C = A·B`, with the columns of `C` spread over the rayon pool.
//!
//! Why columns: each element `C[i, j] = Σ_k A[i, k]·B[k, j]` is computed entirely by one task, with
//! the same sequence of multiply-adds whatever block it falls in (matrixmultiply packs its operands
//! and sums over `k` in a fixed order). So splitting the columns needs no reduction buffer and gives
//! the same bytes for any thread count: a run with `--threads 1` and one with `--threads 2` train
//! identical models. (Splitting the batch rows of a weight gradient `dW = Xᵀ·dY` would instead need
//! one partial `dW` per shard and a summation, which costs memory traffic and changes rounding with
//! the shard count.) The test below checks the invariance on awkward block widths.

use crate::Float;
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

/// Below this many multiply-adds a GEMM runs on the calling thread: splitting a small product
/// costs more in task overhead than it saves.
const PARALLEL_MIN_MACS: usize = 1 << 18;

/// Column blocks are multiples of this width, so each block fills whole SIMD registers.
const COLUMN_ALIGN: usize = 16;

/// Products with at most this many rows take [`few_rows_into`] (when the layouts allow).
const FEW_ROWS: usize = 4;

/// `c = a·b` (overwrites `c`).
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
    if m <= FEW_ROWS && b.is_standard_layout() && c.is_standard_layout() {
        few_rows_into(a, b, c);
        return;
    }
    let threads = rayon::current_num_threads();
    if threads <= 1 || m * k * n < PARALLEL_MIN_MACS || n < 2 * COLUMN_ALIGN {
        block_product(a, b, c);
        return;
    }
    let width = n.div_ceil(threads).div_ceil(COLUMN_ALIGN) * COLUMN_ALIGN;
    c.axis_chunks_iter_mut(Axis(1), width)
        .into_par_iter()
        .zip(b.axis_chunks_iter(Axis(1), width).into_par_iter())
        .for_each(|(c_block, b_block)| block_product(a, b_block, c_block));
}

/// Rows of `A` (or depth `K`) up to which the hand-written kernels beat a packed GEMM: their
/// operand `B` (or its panel) must stay in cache while every row tile of `A` streams over it.
const SMALL: usize = 64;

/// `c = a·b` on the calling thread: the hand-written f32 kernels where they apply (see
/// [`crate::engine::kernels::simd_gemm`]), matrixmultiply otherwise.
fn block_product<F: Float>(a: ArrayView2<F>, b: ArrayView2<F>, mut c: ArrayViewMut2<F>) {
    if !try_simd_product(a, b, c.view_mut()) {
        general_mat_mul(F::one(), &a, &b, F::zero(), &mut c);
    }
}

/// Runs a hand-written kernel if `F` is f32, the CPU has AVX-512 and the layouts fit; returns
/// whether it did.
#[allow(unused_variables, unused_mut)]
fn try_simd_product<F: Float>(a: ArrayView2<F>, b: ArrayView2<F>, mut c: ArrayViewMut2<F>) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::engine::kernels::simd_gemm::{available, gemm_nn, gemm_nt, Operand, Output};
        if std::any::TypeId::of::<F>() != std::any::TypeId::of::<f32>() || !available() {
            return false;
        }
        let (m, k) = a.dim();
        let n = b.ncols();
        let [a_rs, a_cs] = [a.strides()[0], a.strides()[1]];
        let [b_rs, b_cs] = [b.strides()[0], b.strides()[1]];
        if c.strides()[1] != 1 || m == 0 || n == 0 || k == 0 {
            return false;
        }
        // The casts below are the identity: F is f32, checked above.
        let operand = |ptr: *const F, row_stride, col_stride| Operand {
            ptr: ptr as *const f32,
            row_stride,
            col_stride,
        };
        let out = Output {
            ptr: c.as_mut_ptr() as *mut f32,
            row_stride: c.strides()[0],
        };
        if b_cs == 1 && (m <= SMALL || k <= SMALL) {
            // SAFETY: AVX-512F is available; the views describe valid (M, K), (K, N) and (M, N)
            // matrices with these strides, and `c` is a distinct mutable view.
            unsafe {
                gemm_nn(
                    m,
                    k,
                    n,
                    operand(a.as_ptr(), a_rs, a_cs),
                    operand(b.as_ptr(), b_rs, 1),
                    out,
                )
            };
            return true;
        }
        if b_rs == 1 && a_cs == 1 && m <= SMALL {
            // b is the transpose of a stored (N, K) matrix with contiguous rows, b_cs apart.
            // SAFETY: as above.
            unsafe {
                gemm_nt(
                    m,
                    k,
                    n,
                    operand(a.as_ptr(), a_rs, 1),
                    operand(b.as_ptr(), b_cs, 1),
                    out,
                )
            };
            return true;
        }
    }
    false
}

/// `c = a·b` for a few rows of `a` (inference on one sample, say), as a sum of scaled rows of
/// `b`: `c[i, :] = Σ_k a[i, k]·b[k, :]`.
///
/// Why not the GEMM: matrixmultiply packs all of `b` (a layer's whole weight matrix) into a
/// buffer on every call, which for one row costs more than the product itself; here each row of
/// `b` is read once, contiguously. Terms with `a[i, k] = 0` are skipped: blank pixels (about 80 %
/// of an MNIST image) and inactive ReLUs (about half of a hidden layer) contribute exactly zero.
/// The sum runs over `k` in order, so the result does not depend on the thread count (it may
/// differ in the last bits from the GEMM's blocked order).
///
/// # Shapes
/// `a: (M, K)` with `M` small, `b: (K, N)` and `c: (M, N)` in standard (row-major) layout.
pub fn few_rows_into<F: Float>(a: ArrayView2<F>, b: ArrayView2<F>, mut c: ArrayViewMut2<F>) {
    let b_rows = b.as_slice().expect("standard layout");
    let n = b.ncols();
    for (a_row, mut c_row) in a.rows().into_iter().zip(c.rows_mut()) {
        let c_row = c_row.as_slice_mut().expect("standard layout");
        c_row.fill(F::zero());
        for (k, &x) in a_row.iter().enumerate() {
            if x != F::zero() {
                axpy(x, &b_rows[k * n..(k + 1) * n], c_row);
            }
        }
    }
}

/// `y += x·v`, element by element.
#[inline(always)]
fn axpy_plain<F: Float>(x: F, v: &[F], y: &mut [F]) {
    for (yi, &vi) in y.iter_mut().zip(v) {
        *yi += x * vi;
    }
}

/// The same loop compiled for AVX-512 (see `adam.rs` for why and why the bits are the same).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn axpy_avx512<F: Float>(x: F, v: &[F], y: &mut [F]) {
    axpy_plain(x, v, y)
}

/// `y += x·v` with the widest loop this CPU supports.
fn axpy<F: Float>(x: F, v: &[F], y: &mut [F]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F, checked just above.
        return unsafe { axpy_avx512(x, v, y) };
    }
    axpy_plain(x, v, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array2};

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

    /// The few-rows path against the GEMM, with zeros in `a` (skipped) and a strided `a`.
    #[test]
    fn few_rows_match_the_gemm() {
        let (a, b) = operands();
        let mut a = a.slice(s![..3, ..]).to_owned();
        a.slice_mut(s![.., ..100]).fill(0.0);
        let mut fast = Array2::zeros((3, 517));
        few_rows_into(a.view(), b.view(), fast.view_mut());
        let mut gemm = Array2::zeros((3, 517));
        general_mat_mul(1.0, &a, &b, 0.0, &mut gemm);
        for (f, g) in fast.iter().zip(gemm.iter()) {
            assert!((f - g).abs() <= 1e-4 * g.abs().max(1.0), "{f} vs {g}");
        }
        // matmul_into takes this path for one row, whatever the pool
        let mut one = Array2::zeros((1, 517));
        matmul_into(a.slice(s![..1, ..]), b.view(), one.view_mut());
        assert_eq!(one.row(0), fast.row(0));
        let at = a.t().as_standard_layout().to_owned();
        let mut strided = Array2::zeros((3, 517));
        few_rows_into(at.t(), b.view(), strided.view_mut());
        assert_eq!(strided, fast);
    }

    /// The same bytes with 1, 2 and 3 threads, for a row-major and for a transposed right
    /// operand (the two layouts take different kernels, so they agree only to rounding).
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
        for (x, y) in one.iter().zip(one_t.iter()) {
            assert!((x - y).abs() <= 1e-4 * x.abs().max(1.0), "{x} vs {y}");
        }
        // A strided output block (a column slice) is written in place, the rest left alone.
        let mut wide = Array2::from_elem((33, 600), 7.0f32);
        matmul_into(a.view(), b.view(), wide.slice_mut(s![.., 40..557]));
        assert_eq!(wide.slice(s![.., 40..557]), one);
        assert!(wide.slice(s![.., ..40]).iter().all(|&v| v == 7.0));
    }
}
