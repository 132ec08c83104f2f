//! Hand-written AVX-512 products for the shapes of the training step (f32).
//!
//! Why: at batch 32, matrixmultiply spends about as long *packing* a layer's weight matrix into
//! its panel layout (once per call, so once per layer per step) as multiplying; perf showed 28 %
//! of a teacher epoch in its packing routine. These two kernels read the operands where they
//! lie instead:
//!
//! - [`gemm_nn`]: `C = A·B` with `B` row-major. A register tile of `MR` rows × 32 columns of `C`
//!   (16 accumulators) is built by streaming the rows of `B`: for each `k`, two 16-wide loads of
//!   `B[k, j..j+32]` and `MR` broadcasts of `A[i, k]`. Used for the forward pass (`x·W`, small
//!   `A`) and for the weight gradient (`xᵀ·dY`, tiny `B`).
//! - [`gemm_nt`]: `C = A·Bᵀ` with the rows of `A` and of `B` contiguous: every `C[i, j]` is the
//!   dot product of two rows, computed 16 lanes at a time by a 4 × 4 tile of accumulators. Used
//!   for the input gradient `dY·Wᵀ`, which would otherwise need a transposed copy of `W`.
//!
//! Each element of `C` is one fixed sequence of fused multiply-adds over `k` (and, for
//! `gemm_nt`, one fixed horizontal sum), whatever tile or column block it falls in, so results
//! are the same for any split of the columns over threads (see `matmul.rs`).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Whether the kernels run: the CPU has AVX-512F and the environment variable
/// `KD_MLP_PORTABLE_GEMM` is not set (set it to compare with matrixmultiply alone; the two give
/// the same results up to rounding, each bit-reproducible on its own).
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::env::var_os("KD_MLP_PORTABLE_GEMM").is_none()
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A matrix operand: a pointer and its row and column strides in elements.
#[derive(Debug, Clone, Copy)]
pub struct Operand {
    pub ptr: *const f32,
    pub row_stride: isize,
    pub col_stride: isize,
}

/// The result matrix `C`: a pointer and its row stride in elements (its columns are contiguous).
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub ptr: *mut f32,
    pub row_stride: isize,
}

/// `C = A·B`.
///
/// # Shapes
/// `A: (M, K)` any strides, `B: (K, N)` with unit column stride, `C: (M, N)`.
///
/// # Safety
/// The CPU must support AVX-512F ([`available`]); the pointers and strides must describe valid
/// matrices of these shapes, `C` not overlapping `A` or `B`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn gemm_nn(m: usize, k: usize, n: usize, a: Operand, b: Operand, c: Output) {
    const MR: usize = 8;
    let mut j = 0;
    while j < n {
        let width = (n - j).min(32);
        let masks = lane_masks(width);
        let mut i = 0;
        while i + MR <= m {
            tile_nn::<MR>(i, j, k, masks, a, b, c);
            i += MR;
        }
        while i < m {
            tile_nn::<1>(i, j, k, masks, a, b, c);
            i += 1;
        }
        j += 32;
    }
}

/// The masks of the two 16-lane halves of a column block `width` wide (1 to 32).
#[cfg(target_arch = "x86_64")]
fn lane_masks(width: usize) -> [u16; 2] {
    let lanes = |w: usize| {
        if w >= 16 {
            u16::MAX
        } else {
            ((1u32 << w) - 1) as u16
        }
    };
    [lanes(width), lanes(width.saturating_sub(16))]
}

/// One `R`-row × 32-column tile of `C = A·B`, starting at row `i`, column `j`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn tile_nn<const R: usize>(
    i: usize,
    j: usize,
    k: usize,
    masks: [u16; 2],
    a: Operand,
    b: Operand,
    c: Output,
) {
    let mut acc = [[_mm512_setzero_ps(); 2]; R];
    let a_base = a.ptr.offset(i as isize * a.row_stride);
    let mut b_row = b.ptr.add(j);
    for kk in 0..k as isize {
        let b0 = _mm512_maskz_loadu_ps(masks[0], b_row);
        let b1 = if masks[1] != 0 {
            _mm512_maskz_loadu_ps(masks[1], b_row.add(16))
        } else {
            _mm512_setzero_ps()
        };
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let x = _mm512_set1_ps(*a_base.offset(r as isize * a.row_stride + kk * a.col_stride));
            acc_r[0] = _mm512_fmadd_ps(x, b0, acc_r[0]);
            acc_r[1] = _mm512_fmadd_ps(x, b1, acc_r[1]);
        }
        b_row = b_row.offset(b.row_stride);
    }
    for (r, acc_r) in acc.iter().enumerate() {
        let out = c.ptr.offset((i + r) as isize * c.row_stride).add(j);
        _mm512_mask_storeu_ps(out, masks[0], acc_r[0]);
        if masks[1] != 0 {
            _mm512_mask_storeu_ps(out.add(16), masks[1], acc_r[1]);
        }
    }
}

/// `C = A·Bᵀ`: `C[i, j] = Σ_k A[i, k]·B[j, k]`.
///
/// # Shapes
/// `A: (M, K)` and `B: (N, K)`, both with unit column stride (contiguous rows), `C: (M, N)`.
///
/// # Safety
/// As for [`gemm_nn`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn gemm_nt(m: usize, k: usize, n: usize, a: Operand, b: Operand, c: Output) {
    debug_assert!(a.col_stride == 1 && b.col_stride == 1);
    let mut i = 0;
    while i < m {
        let rows = (m - i).min(4);
        let mut j = 0;
        while j < n {
            let cols = (n - j).min(4);
            if (rows, cols) == (4, 4) {
                tile_nt::<4, 4>(i, j, k, a, b, c);
            } else {
                // edges: one element at a time, with the same arithmetic per element
                for r in 0..rows {
                    for s in 0..cols {
                        tile_nt::<1, 1>(i + r, j + s, k, a, b, c);
                    }
                }
            }
            j += 4;
        }
        i += 4;
    }
}

/// One `R` × `S` tile of `C = A·Bᵀ` at row `i`, column `j`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn tile_nt<const R: usize, const S: usize>(
    i: usize,
    j: usize,
    k: usize,
    a: Operand,
    b: Operand,
    c: Output,
) {
    let mut acc = [[_mm512_setzero_ps(); S]; R];
    let mut kk = 0;
    while kk < k {
        let mask = if k - kk >= 16 {
            u16::MAX
        } else {
            ((1u32 << (k - kk)) - 1) as u16
        };
        let mut bv = [_mm512_setzero_ps(); S];
        for (s, v) in bv.iter_mut().enumerate() {
            *v = _mm512_maskz_loadu_ps(mask, b.ptr.offset((j + s) as isize * b.row_stride).add(kk));
        }
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let av =
                _mm512_maskz_loadu_ps(mask, a.ptr.offset((i + r) as isize * a.row_stride).add(kk));
            for (acc_rs, &v) in acc_r.iter_mut().zip(&bv) {
                *acc_rs = _mm512_fmadd_ps(av, v, *acc_rs);
            }
        }
        kk += 16;
    }
    for (r, acc_r) in acc.iter().enumerate() {
        for (s, &v) in acc_r.iter().enumerate() {
            *c.ptr.offset((i + r) as isize * c.row_stride).add(j + s) = _mm512_reduce_add_ps(v);
        }
    }
}
