//! Softmax and sparse categorical cross-entropy, with the fused gradient with respect to the
//! logits. Derivation: `docs/MATH.md`, "Softmax and cross-entropy".

use crate::Float;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Zip};

/// Stable softmax of one row: `p_j = exp(z_j − max z) / Σ_k exp(z_k − max z)`. Subtracting the
/// row maximum changes nothing mathematically and keeps `exp` from overflowing. Returns
/// `(max z, log Σ_k exp(z_k − max z))`, whose sum is `log Σ_k exp(z_k)`, for the losses.
///
/// Derivation: `docs/MATH.md`, section "Softmax and cross-entropy".
///
/// # Shapes
/// `z: (C)`, `p: (C)`.
pub fn softmax_row<F: Float>(z: ArrayView1<F>, mut p: ArrayViewMut1<F>) -> (F, F) {
    let max = shift_by_max(z, p.view_mut());
    exp_in_place(p.view_mut());
    (max, normalize(p))
}

/// `p_j ← z_j − max z`; returns `max z`.
fn shift_by_max<F: Float>(z: ArrayView1<F>, mut p: ArrayViewMut1<F>) -> F {
    let max = row_max(z);
    Zip::from(&mut p).and(&z).for_each(|pj, &zj| *pj = zj - max);
    max
}

fn row_max<F: Float>(z: ArrayView1<F>) -> F {
    z.fold(F::neg_infinity(), |m, &v| m.max(v))
}

/// `p ← e^p` element by element (`libm`'s exp; a whole register at a time where `p` is
/// contiguous, the same bits: [`crate::engine::exp`]).
fn exp_in_place<F: Float, D: ndarray::Dimension>(mut p: ndarray::ArrayViewMut<F, D>) {
    match p.as_slice_mut() {
        Some(flat) => F::libm_exp_in_place(flat),
        None => p.mapv_inplace(F::libm_exp),
    }
}

/// `p ← p / Σ_k p_k` (the sum taken in order); returns `log Σ_k p_k`.
fn normalize<F: Float>(mut p: ArrayViewMut1<F>) -> F {
    let sum = p.fold(F::zero(), |s, &v| s + v);
    let inv = sum.recip();
    p.mapv_inplace(|v| v * inv);
    sum.libm_ln()
}

/// Softmax of every row and the *sum* over rows of the cross-entropy `−log p[b, y_b]`,
/// computed as `(max z − z_y) + log Σ_k exp(z_k − max z)` so that a probability that underflows
/// to zero still gives a finite loss, and a confident right answer (`z_y = max z`) loses no digits
/// to cancellation. The sum is returned in f64 so that callers can add the sums of
/// many batches without losing digits; divide by the row count for the mean.
///
/// Each row is [`softmax_row`]'s arithmetic; only the exponentials of the whole batch are taken
/// in one pass (320 of them for 32 rows of 10), which is where the time went.
///
/// Derivation: `docs/MATH.md`, section "Softmax and cross-entropy".
///
/// # Shapes
/// `z: (B, C)`, `labels: (B)`, `p: (B, C)` (overwritten with `softmax(z)`).
pub fn softmax_cross_entropy<F: Float>(
    z: ArrayView2<F>,
    labels: &[usize],
    mut p: ArrayViewMut2<F>,
) -> f64 {
    debug_assert_eq!(z.nrows(), labels.len());
    for (z_row, p_row) in z.rows().into_iter().zip(p.rows_mut()) {
        shift_by_max(z_row, p_row);
    }
    exp_in_place(p.view_mut());
    let mut loss_sum = 0.0f64;
    for ((z_row, p_row), &y) in z.rows().into_iter().zip(p.rows_mut()).zip(labels) {
        let log_sum = normalize(p_row);
        loss_sum += ((row_max(z_row) - z_row[y]) + log_sum).to_f64();
    }
    loss_sum
}

/// The fused gradient of the batch-mean cross-entropy with respect to the logits:
/// `∂L/∂z[b, j] = (p[b, j] − [j = y_b]) / B`.
///
/// Derivation: `docs/MATH.md`, section "Softmax and cross-entropy".
///
/// # Shapes
/// `p: (B, C)`, `labels: (B)`, `dz: (B, C)` (overwritten).
pub fn cross_entropy_backward<F: Float>(
    p: ArrayView2<F>,
    labels: &[usize],
    mut dz: ArrayViewMut2<F>,
) {
    let scale = F::one() / F::of(labels.len() as f64);
    dz.assign(&p);
    for (mut row, &y) in dz.rows_mut().into_iter().zip(labels) {
        row[y] -= F::one();
        row.mapv_inplace(|v| v * scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn softmax_of_known_row() {
        // softmax([0, ln 2, ln 3]) = [1, 2, 3] / 6
        let z = array![[0.0f64, 2f64.ln(), 3f64.ln()]];
        let mut p = Array2::zeros((1, 3));
        let loss = softmax_cross_entropy(z.view(), &[2], p.view_mut());
        for (got, want) in p.iter().zip([1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0]) {
            assert!((got - want).abs() < 1e-15);
        }
        // −log(3/6) = ln 2
        assert!((loss - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn huge_logits_stay_finite() {
        let z = array![[1000.0f32, -1000.0, 0.0]];
        let mut p = Array2::zeros((1, 3));
        let loss = softmax_cross_entropy(z.view(), &[1], p.view_mut());
        // −log p_1 = log Σ exp(z − 1000) − (−2000) ≈ 2000
        assert!((loss - 2000.0).abs() < 1e-3, "loss {loss}");
        assert_eq!(p[[0, 0]], 1.0);
    }

    #[test]
    fn fused_gradient_rows_sum_to_zero_and_match_formula() {
        let p = array![[0.25f64, 0.75], [0.5, 0.5]];
        let mut dz = Array2::zeros((2, 2));
        cross_entropy_backward(p.view(), &[1, 0], dz.view_mut());
        // (p − onehot) / 2
        assert_eq!(dz, array![[0.125, -0.125], [-0.25, 0.25]]);
    }
}
