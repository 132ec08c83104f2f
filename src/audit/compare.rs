//! Comparing an analytic gradient with a numeric one: the error measure, central finite
//! differences of any function, and the comparison tensor by tensor.

use super::TINY;
use crate::engine::mlp::param_count;
use serde::Serialize;

/// `|a − n| / max(|a| + |n|, TINY)`; infinite if either value is not finite.
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn rel_err(a: f64, n: f64) -> f64 {
    if !(a.is_finite() && n.is_finite()) {
        return f64::INFINITY;
    }
    (a - n).abs() / (a.abs() + n.abs()).max(TINY)
}

/// How an analytic gradient and a numeric one differ, entry by entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// Number of entries compared.
    pub entries: usize,
    /// Largest `|a − n|`.
    pub max_abs_diff: f64,
    /// Largest [`rel_err`].
    pub max_rel_err: f64,
    /// Flat (row-major) index of the entry with the largest `rel_err`.
    pub worst_index: usize,
    /// Analytic value there.
    pub analytic: f64,
    /// Numeric value there.
    pub numeric: f64,
}

/// Compares `analytic` and `numeric` (same length) entry by entry. A non-finite entry counts as
/// an infinite error.
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn compare(analytic: &[f64], numeric: &[f64]) -> Comparison {
    assert_eq!(analytic.len(), numeric.len(), "gradient lengths differ");
    let mut c = Comparison {
        entries: analytic.len(),
        max_abs_diff: 0.0,
        max_rel_err: 0.0,
        worst_index: 0,
        analytic: analytic.first().copied().unwrap_or(0.0),
        numeric: numeric.first().copied().unwrap_or(0.0),
    };
    for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
        // A NaN difference counts as infinite (f64::max would ignore it).
        let diff = (a - n).abs();
        c.max_abs_diff = c
            .max_abs_diff
            .max(if diff.is_nan() { f64::INFINITY } else { diff });
        let e = rel_err(a, n);
        if e > c.max_rel_err {
            c.max_rel_err = e;
            c.worst_index = i;
            c.analytic = a;
            c.numeric = n;
        }
    }
    c
}

/// Central differences of `loss` with respect to every entry of `vals`, with step `step`.
/// `loss` receives the perturbed values; `vals` is restored exactly afterwards.
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn numeric_gradient(
    vals: &mut [f64],
    step: f64,
    mut loss: impl FnMut(&[f64]) -> f64,
) -> Vec<f64> {
    let mut grad = Vec::with_capacity(vals.len());
    for i in 0..vals.len() {
        let v = vals[i];
        let (up, down) = (v + step, v - step);
        vals[i] = up;
        let l_up = loss(vals);
        vals[i] = down;
        let l_down = loss(vals);
        vals[i] = v;
        grad.push((l_up - l_down) / (up - down));
    }
    grad
}

/// The check of one parameter tensor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorCheck {
    /// 0-based Dense layer.
    pub layer: usize,
    /// `"W"` or `"b"`.
    pub tensor: &'static str,
    /// `[in, out]` for `W`, `[out]` for `b`.
    pub shape: Vec<usize>,
    #[serde(flatten)]
    pub comparison: Comparison,
    /// `max_rel_err < tolerance`.
    pub passed: bool,
}

/// Splits two flat gradients laid out like [`crate::Mlp`]'s parameters (per layer `W` then `b`) into
/// their tensors and compares each; a tensor passes when its largest [`rel_err`] is below
/// `tolerance`.
///
/// Derivation: `docs/MATH.md`, section "Gradient audit".
pub fn compare_per_tensor(
    sizes: &[usize],
    analytic: &[f64],
    numeric: &[f64],
    tolerance: f64,
) -> Vec<TensorCheck> {
    assert_eq!(analytic.len(), param_count(sizes), "gradient length");
    assert_eq!(numeric.len(), param_count(sizes), "gradient length");
    let mut checks = Vec::with_capacity(2 * (sizes.len() - 1));
    let mut offset = 0;
    for (layer, io) in sizes.windows(2).enumerate() {
        let (i, o) = (io[0], io[1]);
        for (tensor, shape) in [("W", vec![i, o]), ("b", vec![o])] {
            let len: usize = shape.iter().product();
            let range = offset..offset + len;
            let comparison = compare(&analytic[range.clone()], &numeric[range]);
            checks.push(TensorCheck {
                layer,
                tensor,
                shape,
                passed: comparison.max_rel_err < tolerance,
                comparison,
            });
            offset += len;
        }
    }
    checks
}
