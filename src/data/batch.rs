//! Gathering a batch of samples into a float buffer.

use crate::data::Dataset;
use crate::Float;
use ndarray::ArrayViewMut2;

/// The input scaling of the protocol, `x = pixel / 255`. The division is done in `F`, so in
/// f32 it gives the same bits as `x.astype("float32") / 255`.
///
/// Derivation: `docs/MATH.md`, section "Input scaling".
#[inline(always)]
pub fn scale_pixel<F: Float>(pixel: u8) -> F {
    F::of(f64::from(pixel)) / F::of(255.0)
}

/// Copies the samples `indices` of `data` into the first rows of `x`, scaled to
/// `pixel / 255` in `F`, and their labels into `labels`.
///
/// Derivation: `docs/MATH.md`, section "Input scaling".
///
/// # Shapes
/// `indices: (B)`, `x: (B, pixels)`, `labels: (B)`.
pub fn gather_batch<F: Float>(
    data: &Dataset,
    indices: &[usize],
    mut x: ArrayViewMut2<F>,
    labels: &mut [usize],
) {
    debug_assert_eq!(x.nrows(), indices.len());
    let is_f32 = std::any::TypeId::of::<F>() == std::any::TypeId::of::<f32>();
    for ((mut row, &i), label) in x.rows_mut().into_iter().zip(indices).zip(labels.iter_mut()) {
        let image = data.image(i);
        match row.as_slice_mut() {
            // Every caller's rows are contiguous. In f32 a row is divided 16 (or 8) pixels at a
            // time: a table look-up per pixel was a tenth of a student's training step.
            Some(row) if is_f32 => {
                // SAFETY: F is f32 (checked above), so the slice's layout is [f32].
                let row = unsafe { &mut *(row as *mut [F] as *mut [f32]) };
                scale_row_f32(row, image);
            }
            // f64 (the gradient audit) or a row that is not contiguous: one pixel at a time.
            _ => {
                for (v, &pixel) in row.iter_mut().zip(image) {
                    *v = scale_pixel(pixel);
                }
            }
        }
        *label = data.label(i);
    }
}

/// `dst[p] = f32(image[p]) / 255`, [`scale_pixel`] 16 or 8 at a time: the conversion of a byte
/// is exact and the division is correctly rounded at any vector width, so this is
/// [`scale_pixel`]'s value bit for bit (`wide_scaling_is_the_table` checks all 256). Compiled
/// for the SIMD level in use, where the compiler turns the loop into 16-wide (AVX-512) or 8-wide
/// (AVX2) conversions and divisions.
fn scale_row_f32(dst: &mut [f32], image: &[u8]) {
    use crate::engine::kernels::simd::active;
    // Only x86 has a level of its own here (aarch64 runs the portable loop at every level).
    #[cfg(target_arch = "x86_64")]
    use crate::engine::kernels::simd::Level;
    match active() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `active()` is a level this CPU supports.
        Level::Avx512 => unsafe { scale_row_avx512(dst, image) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Level::Avx2 => unsafe { scale_row_avx2(dst, image) },
        _ => scale_row(dst, image),
    }
}

#[inline(always)]
fn scale_row(dst: &mut [f32], image: &[u8]) {
    for (v, &pixel) in dst.iter_mut().zip(image) {
        *v = f32::from(pixel) / 255.0;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn scale_row_avx512(dst: &mut [f32], image: &[u8]) {
    scale_row(dst, image)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scale_row_avx2(dst: &mut [f32], image: &[u8]) {
    scale_row(dst, image)
}

/// Asks the CPU to bring the images of `indices` into cache, for a batch that comes next: a
/// hint, which changes no value (see `prefetch`).
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every level's wide division gives the table's bits for all 256 pixel values (at ragged
    /// lengths too), and both equal the quotient computed in f64 and rounded to f32 (a second,
    /// independent rounding path: exact here, since f64 carries more than twice f32's bits).
    #[test]
    fn wide_scaling_is_the_table() {
        let table: [f32; 256] = std::array::from_fn(|v| scale_pixel(v as u8));
        let image: Vec<u8> = (0..=255u8).chain(0..7).collect();
        let want: Vec<u32> = image
            .iter()
            .map(|&p| {
                let t = table[usize::from(p)];
                assert_eq!(t.to_bits(), ((f64::from(p) / 255.0) as f32).to_bits());
                t.to_bits()
            })
            .collect();
        let bits = |row: &[f32]| row.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let mut row = vec![f32::NAN; image.len()];
        scale_row(&mut row, &image);
        assert_eq!(bits(&row), want, "portable");
        #[cfg(target_arch = "x86_64")]
        for level in crate::engine::kernels::simd::Level::all_supported() {
            use crate::engine::kernels::simd::Level;
            let mut row = vec![f32::NAN; image.len()];
            // SAFETY: each level runs only where this CPU supports it.
            match level {
                Level::Avx512 => unsafe { scale_row_avx512(&mut row, &image) },
                Level::Avx2 => unsafe { scale_row_avx2(&mut row, &image) },
                _ => continue,
            }
            assert_eq!(bits(&row), want, "{level:?}");
        }
    }
}
