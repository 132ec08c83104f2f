//! The floating-point type the engine is generic over.
//!
//! Training runs in `f32` for speed; the gradient audit runs the *same* code in `f64`, where a
//! central finite difference is accurate to about 1e-10 and can check an analytic gradient to 1e-6.

use ndarray::NdFloat;

/// `f32` or `f64`: ndarray's float bound plus what the engine needs to convert and store values.
///
/// Why f64 for the audit: `docs/MATH.md`, section "Gradient audit".
pub trait Float: NdFloat + num_traits::FromPrimitive + Default {
    /// The safetensors dtype a tensor of this type is stored as.
    const DTYPE: safetensors::Dtype;
    /// Bytes per element.
    const BYTES: usize;

    /// `x` rounded to this type (a literal or a value computed in f64).
    fn of(x: f64) -> Self;
    /// The value widened to f64 (exact for both types).
    fn to_f64(self) -> f64;
    /// Appends the little-endian bytes of `self` (safetensors' byte order).
    fn push_le_bytes(self, out: &mut Vec<u8>);
    /// Reads one value from exactly `Self::BYTES` little-endian bytes.
    fn from_le_slice(bytes: &[u8]) -> Self;
    /// `e^x` from the pure-Rust `libm` crate, the same bits on every CPU and C library (the
    /// standard library's `exp` calls the system's, whose last bit varies between them).
    fn libm_exp(self) -> Self;
    /// [`Float::libm_exp`] of every element, in place: the same bits, a whole register at a time
    /// in f32 ([`crate::engine::exp`]).
    fn libm_exp_in_place(xs: &mut [Self]);
    /// `ln x` from `libm`, for the same reason.
    fn libm_ln(self) -> Self;
}

impl Float for f32 {
    const DTYPE: safetensors::Dtype = safetensors::Dtype::F32;
    const BYTES: usize = 4;
    fn of(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn push_le_bytes(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn from_le_slice(bytes: &[u8]) -> Self {
        let mut b = [0u8; 4];
        b.copy_from_slice(bytes);
        f32::from_le_bytes(b)
    }
    fn libm_exp(self) -> Self {
        libm::expf(self)
    }
    fn libm_exp_in_place(xs: &mut [Self]) {
        crate::engine::exp::expf_in_place(xs)
    }
    fn libm_ln(self) -> Self {
        libm::logf(self)
    }
}

impl Float for f64 {
    const DTYPE: safetensors::Dtype = safetensors::Dtype::F64;
    const BYTES: usize = 8;
    fn of(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn push_le_bytes(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn from_le_slice(bytes: &[u8]) -> Self {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        f64::from_le_bytes(b)
    }
    fn libm_exp(self) -> Self {
        libm::exp(self)
    }
    fn libm_exp_in_place(xs: &mut [Self]) {
        xs.iter_mut().for_each(|x| *x = libm::exp(*x));
    }
    fn libm_ln(self) -> Self {
        libm::log(self)
    }
}
