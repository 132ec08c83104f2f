//! `exp` over a whole slice of f32, bit for bit `libm::expf` on each element, 16 (AVX-512) or
//! 8 (AVX2) elements at a time.
//!
//! Why: the softmax of a training step takes `exp` of every logit (320 for a batch of 32 and 10
//! classes), and one call of `libm::expf` at a time was most of the loss's 2.9 µs per step.
//! `libm::expf` (FreeBSD's `e_expf.c`) is a fixed sequence of f32 operations chosen by a few
//! branches on the argument; `expf_lane` is the same sequence with the branches turned into
//! selects, so the compiler can run it on whole registers. Each operation rounds the same way at
//! any width (and Rust never fuses a multiply and an add on its own), so every lane gives
//! `libm::expf`'s bits. Arguments outside the range the selects cover (|x| ≥ 87.34, NaN, ±∞)
//! send the whole slice through `libm::expf` itself. `libm_agrees_on_a_sweep_of_every_exponent`
//! checks it.

use crate::engine::kernels::simd::active;
// Only x86 has a level of its own here (aarch64 runs `expf_lanes` at every level).
#[cfg(target_arch = "x86_64")]
use crate::engine::kernels::simd::Level;

/// `xs[i] ← libm::expf(xs[i])` for every element.
pub fn expf_in_place(xs: &mut [f32]) {
    if xs.iter().any(|&x| x.to_bits() & 0x7fff_ffff >= OUTSIDE) {
        xs.iter_mut().for_each(|x| *x = libm::expf(*x));
        return;
    }
    match active() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `active()` is a level this CPU supports.
        Level::Avx512 => unsafe { expf_avx512(xs) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Level::Avx2 => unsafe { expf_avx2(xs) },
        _ => expf_lanes(xs),
    }
}

/// `|x|`'s bit pattern from which `libm::expf` takes its special paths (overflow, underflow,
/// NaN): |x| ≥ 87.33655.
const OUTSIDE: u32 = 0x42ae_ac50;

// libm's constants (e_expf.c), by bit pattern (libm writes them as the decimals beside them,
// which round to these patterns).
const LN2_HI: f32 = f32::from_bits(0x3f31_7200); // 6.9314575195e-01
const LN2_LO: f32 = f32::from_bits(0x35bf_be8e); // 1.4286067653e-06
const INV_LN2: f32 = f32::from_bits(0x3fb8_aa3b); // 1.4426950216e+00
const P1: f32 = f32::from_bits(0x3e2a_aa8f); // 1.6666625440e-1
const P2: f32 = f32::from_bits(0xbb35_5215); // -2.7667332906e-3

/// `libm::expf(x)` for |x| < 87.33655, without branches. The reduction `x = k·ln2 + r` picks `k`
/// three ways, as libm does: `round(x/ln2)` above 1.5·ln2, ±1 between 0.5·ln2 and 1.5·ln2, 0
/// below (where `hi = x − 0·LN2_HI = x` and `lo = 0` exactly, libm's values). Below 2⁻¹⁴ libm
/// returns `1 + x`. Then `2^k` scales the result: one multiplication, since `k ≥ −126` here.
#[inline(always)]
fn expf_lane(x: f32) -> f32 {
    let bits = x.to_bits();
    let hx = bits & 0x7fff_ffff;
    let negative = bits >> 31 == 1;
    let half = if negative { -0.5 } else { 0.5 };
    let k_far = (INV_LN2 * x + half) as i32;
    let k_near = if negative { -1 } else { 1 };
    let k = if hx > 0x3f85_1592 {
        k_far
    } else if hx > 0x3eb1_7218 {
        k_near
    } else {
        0
    };
    let kf = k as f32;
    let hi = x - kf * LN2_HI;
    let lo = kf * LN2_LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * P2);
    let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    let scaled = y * f32::from_bits(((0x7f + k) as u32) << 23);
    if hx > 0x3900_0000 {
        scaled
    } else {
        1.0 + x
    }
}

#[inline(always)]
fn expf_lanes(xs: &mut [f32]) {
    for x in xs.iter_mut() {
        *x = expf_lane(*x);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn expf_avx512(xs: &mut [f32]) {
    expf_lanes(xs)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn expf_avx2(xs: &mut [f32]) {
    expf_lanes(xs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(xs: &[f32]) -> Vec<u32> {
        xs.iter().map(|x| x.to_bits()).collect()
    }

    /// Every 251st bit pattern of all 2³² (so every exponent and sign, and arguments of every
    /// branch of libm's reduction), the edges of each branch, zeros, infinities and NaN: each
    /// level's slice function gives `libm::expf`'s bits.
    #[test]
    fn libm_agrees_on_a_sweep_of_every_exponent() {
        let mut xs: Vec<f32> = (0..=u32::MAX / 251)
            .map(|i| f32::from_bits(i * 251))
            .collect();
        for edge in [
            0x3900_0000u32,
            0x3eb1_7218,
            0x3f85_1592,
            OUTSIDE,
            0x42b1_7218,
        ] {
            for d in 0..3 {
                for sign in [0, 0x8000_0000] {
                    xs.push(f32::from_bits((edge - 1 + d) | sign));
                }
            }
        }
        xs.extend([0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN]);
        let want: Vec<u32> = xs.iter().map(|&x| libm::expf(x).to_bits()).collect();
        // In slices of a row's length and of a batch's, some all inside the fast range, some not.
        for len in [10, 320] {
            let mut got = xs.clone();
            for chunk in got.chunks_mut(len) {
                expf_in_place(chunk);
            }
            let mismatch = bits(&got).iter().zip(&want).position(|(g, w)| g != w);
            assert_eq!(
                mismatch.map(|i| xs[i]),
                None,
                "active level, slices of {len}"
            );
        }
        // Each level on its own, inside the fast range (the selects, not the fallback).
        let inside: Vec<f32> = xs
            .iter()
            .copied()
            .filter(|x| x.to_bits() & 0x7fff_ffff < OUTSIDE)
            .collect();
        let want: Vec<u32> = inside.iter().map(|&x| libm::expf(x).to_bits()).collect();
        let mut got = inside.clone();
        expf_lanes(&mut got);
        assert_eq!(bits(&got), want, "portable");
        #[cfg(target_arch = "x86_64")]
        for level in Level::all_supported() {
            let mut got = inside.clone();
            // SAFETY: each level runs only where this CPU supports it.
            match level {
                Level::Avx512 => unsafe { expf_avx512(&mut got) },
                Level::Avx2 => unsafe { expf_avx2(&mut got) },
                _ => continue,
            }
            assert_eq!(bits(&got), want, "{level:?}");
        }
    }
}
