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
        general_mat_mul(F::one(), &a, &b, F::zero(), &mut c);
        return;
    }
    let width = n.div_ceil(threads).div_ceil(COLUMN_ALIGN) * COLUMN_ALIGN;
    c.axis_chunks_iter_mut(Axis(1), width)
        .into_par_iter()
        .zip(b.axis_chunks_iter(Axis(1), width).into_par_iter())
        .for_each(|(mut c_block, b_block)| {
            general_mat_mul(F::one(), &a, &b_block, F::zero(), &mut c_block);
        });
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

    /// The same bytes with 1, 2 and 3 threads, and with a transposed right operand.
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
        assert_eq!(one, run(2, bt.t()));
        // A strided output block (a column slice) is written in place, the rest left alone.
        let mut wide = Array2::from_elem((33, 600), 7.0f32);
        matmul_into(a.view(), b.view(), wide.slice_mut(s![.., 40..557]));
        assert_eq!(wide.slice(s![.., 40..557]), one);
        assert!(wide.slice(s![.., ..40]).iter().all(|&v| v == 7.0));
    }
}
