//! Gathering a batch of samples into a float buffer.

use crate::data::Dataset;
use crate::Float;
use ndarray::ArrayViewMut2;

/// The input scaling of the protocol, `x = pixel / 255`, as a table of the 256 possible values.
/// The division is done in `F`, so in f32 it gives the same bits as `x.astype("float32") / 255`.
///
/// Derivation: `docs/MATH.md`, section "Input scaling".
pub fn pixel_table<F: Float>() -> [F; 256] {
    std::array::from_fn(|v| F::of(v as f64) / F::of(255.0))
}

/// Copies the samples `indices` of `data` into the first rows of `x` (scaled by `table`) and
/// their labels into `labels`.
///
/// Derivation: `docs/MATH.md`, section "Input scaling".
///
/// # Shapes
/// `indices: (B)`, `x: (B, pixels)`, `labels: (B)`.
pub fn gather_batch<F: Float>(
    data: &Dataset,
    indices: &[usize],
    table: &[F; 256],
    mut x: ArrayViewMut2<F>,
    labels: &mut [usize],
) {
    debug_assert_eq!(x.nrows(), indices.len());
    for ((mut row, &i), label) in x.rows_mut().into_iter().zip(indices).zip(labels.iter_mut()) {
        let image = data.image(i);
        // A contiguous row (every caller's) is filled as a slice, which the compiler unrolls:
        // through ndarray's generic element iterator this copy was a tenth of a student's step.
        match row.as_slice_mut() {
            Some(row) => {
                for (v, &pixel) in row.iter_mut().zip(image) {
                    *v = table[usize::from(pixel)];
                }
            }
            None => {
                for (v, &pixel) in row.iter_mut().zip(image) {
                    *v = table[usize::from(pixel)];
                }
            }
        }
        *label = data.label(i);
    }
}
