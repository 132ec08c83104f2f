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
            Some(row) => scale_into(row.iter_mut(), image, table),
            None => scale_into(row.iter_mut(), image, table),
        }
        *label = data.label(i);
    }
}

/// `dst[p] = table[image[p]]`: one image's pixels, scaled.
#[inline(always)]
fn scale_into<'a, F: Float>(dst: impl Iterator<Item = &'a mut F>, image: &[u8], table: &[F; 256]) {
    for (v, &pixel) in dst.zip(image) {
        *v = table[usize::from(pixel)];
    }
}

/// Asks the CPU to bring the images of `indices` into cache, for a batch that comes next: a
/// hint, which changes no value (see [`prefetch`]).
pub fn prefetch_images(data: &Dataset, indices: &[usize]) {
    for &i in indices {
        prefetch(data.image(i));
    }
}

/// Asks the CPU to bring `bytes` into cache: a hint, which changes no value.
///
/// Why: a batch is a random draw from the training set (47 MB for MNIST, more than the last
/// level cache), so the first lines of every image came from memory while the copy waited:
/// two thirds of the copy's time was one load. Fetching the next batch's images while the current
/// step computes (the trainer calls [`prefetch_images`]) hides that. x86-64 only; elsewhere the hardware's own prefetcher is all there is.
#[inline(always)]
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        // SAFETY: a prefetch reads nothing architecturally and cannot fault; the address is
        // inside a live slice anyway.
        unsafe {
            std::arch::x86_64::_mm_prefetch(line.as_ptr().cast(), std::arch::x86_64::_MM_HINT_T0)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}
