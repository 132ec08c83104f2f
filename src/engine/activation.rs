//! ReLU. Derivation: `docs/MATH.md`, "ReLU".

use crate::Float;
use ndarray::{ArrayView2, ArrayViewMut2, Zip};

/// Forward, in place: `h = max(z, 0)`. A NaN stays NaN (rather than becoming 0), so a diverging
/// network shows up in its loss instead of hiding behind a dead unit.
///
/// Derivation: `docs/MATH.md`, section "ReLU".
///
/// # Shapes
/// `z: (B, O)`, overwritten by `h`.
pub fn relu_forward<F: Float>(mut z: ArrayViewMut2<F>) {
    z.mapv_inplace(|v| if v < F::zero() { F::zero() } else { v });
}

/// Backward, in place: `dz = dh ⊙ [h > 0]`.
///
/// It reads the layer's *output* `h`: `h > 0` exactly when `z > 0`, so the forward pass need not
/// keep `z`. At `z = 0` the derivative is taken as 0 (a subgradient).
///
/// Derivation: `docs/MATH.md`, section "ReLU".
///
/// # Shapes
/// `h: (B, O)`, `dh: (B, O)`, overwritten by `dz`.
pub fn relu_backward<F: Float>(h: ArrayView2<F>, dh: ArrayViewMut2<F>) {
    // An unconditional store (a select, not a branch around a store) lets the compiler
    // vectorize the loop; the branchy form was 8 % of a student's step.
    Zip::from(dh).and(h).for_each(|d, &hv| {
        *d = if hv <= F::zero() { F::zero() } else { *d };
    });
}
