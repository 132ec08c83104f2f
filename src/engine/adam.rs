//! Adam in the Keras form. Derivation and the difference from the PyTorch form: `docs/MATH.md`,
//! "Adam".

use crate::engine::kernels::stagger::Staggered;
use crate::Float;
use rayon::prelude::*;

/// Adam's hyper-parameters; the defaults are Keras's.
///
/// Derivation: `docs/MATH.md`, section "Adam".
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamConfig {
    pub learning_rate: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        }
    }
}

/// Parameters per parallel task of the update: large enough that a task is worth scheduling,
/// small enough that the teacher's 794 510 parameters split over both cores.
const CHUNK: usize = 1 << 15;

/// Adam's state for one flat parameter buffer: the moments `m`, `v` and the step count `t`.
/// The moments sit in page slots 2 and 3 (the gradient buffer of [`crate::train::Trainer`] in
/// slot 1): see [`crate::engine::kernels::stagger`] for why that makes the update faster.
#[derive(Debug, Clone)]
pub struct Adam<F> {
    config: AdamConfig,
    step: u64,
    m: Staggered<F>,
    v: Staggered<F>,
}

impl<F: Float> Adam<F> {
    /// Zero moments for `n` parameters.
    pub fn new(n: usize, config: AdamConfig) -> Self {
        Self {
            config,
            step: 0,
            m: Staggered::zeros(n, 2),
            v: Staggered::zeros(n, 3),
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The first and second moments (for inspection and tests).
    pub fn moments(&self) -> (&[F], &[F]) {
        (&self.m, &self.v)
    }

    /// One update, in one pass over the buffers:
    /// `t ← t + 1`, `lr_t = lr·sqrt(1 − β2^t)/(1 − β1^t)`,
    /// `m ← β1·m + (1 − β1)·g`, `v ← β2·v + (1 − β2)·g²`, `θ ← θ − lr_t·m/(sqrt(v) + ε)`.
    /// The bias correction is folded into `lr_t` (computed in f64), as Keras does, so ε is added
    /// to the *uncorrected* `sqrt(v)`.
    ///
    /// Derivation: `docs/MATH.md`, section "Adam".
    pub fn step(&mut self, params: &mut [F], grads: &[F]) {
        debug_assert_eq!(params.len(), self.m.len());
        debug_assert_eq!(grads.len(), self.m.len());
        self.step += 1;
        let c = self.config;
        let t = self.step as i32;
        let lr_t =
            F::of(c.learning_rate * (1.0 - c.beta2.powi(t)).sqrt() / (1.0 - c.beta1.powi(t)));
        let k = AdamConstants {
            lr_t,
            b1: F::of(c.beta1),
            b2: F::of(c.beta2),
            one_b1: F::of(1.0 - c.beta1),
            one_b2: F::of(1.0 - c.beta2),
            eps: F::of(c.epsilon),
        };
        params
            .par_chunks_mut(CHUNK)
            .zip(grads.par_chunks(CHUNK))
            .zip(self.m.par_chunks_mut(CHUNK))
            .zip(self.v.par_chunks_mut(CHUNK))
            .for_each(|(((p, g), m), v)| update(p, g, m, v, &k));
    }
}

/// The per-step constants of the update, in the parameters' type.
struct AdamConstants<F> {
    lr_t: F,
    b1: F,
    b2: F,
    one_b1: F,
    one_b2: F,
    eps: F,
}

/// The element-wise update over one chunk.
#[inline(always)]
fn update_scalar<F: Float>(p: &mut [F], g: &[F], m: &mut [F], v: &mut [F], k: &AdamConstants<F>) {
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = k.b1 * *m + k.one_b1 * g;
        *v = k.b2 * *v + k.one_b2 * g * g;
        *p -= k.lr_t * *m / (v.sqrt() + k.eps);
    }
}

/// The same loop compiled for AVX-512. Why: without a `target-cpu` flag the compiler emits
/// 4-wide SSE for the square root and the division that dominate this loop; the 16-wide version
/// makes an Adam step over the teacher's 794 510 parameters several times faster. The results
/// are bit for bit those of the SSE loop: square root and division are correctly rounded at any
/// width, and Rust never fuses a multiply and an add on its own.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn update_avx512<F: Float>(
    p: &mut [F],
    g: &[F],
    m: &mut [F],
    v: &mut [F],
    k: &AdamConstants<F>,
) {
    update_scalar(p, g, m, v, k)
}

/// The same loop compiled for AVX2 (8 lanes), for x86 CPUs without AVX-512: the same bits, for
/// the same reason. On an AVX2 machine the 4-wide loop took a seventh of a teacher's training
/// step.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn update_avx2<F: Float>(
    p: &mut [F],
    g: &[F],
    m: &mut [F],
    v: &mut [F],
    k: &AdamConstants<F>,
) {
    update_scalar(p, g, m, v, k)
}

/// Runs the widest version of the update this CPU supports.
fn update<F: Float>(p: &mut [F], g: &[F], m: &mut [F], v: &mut [F], k: &AdamConstants<F>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F, checked just above.
        return unsafe { update_avx512(p, g, m, v, k) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { update_avx2(p, g, m, v, k) };
    }
    update_scalar(p, g, m, v, k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two steps on one parameter, every number worked by hand.
    #[test]
    fn first_two_steps_by_hand() {
        let mut adam = Adam::<f64>::new(1, AdamConfig::default());
        let mut p = [1.0f64];
        // step 1, g = 0.5: m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 2.5e-4,
        // lr_1 = 1e-3·sqrt(0.001)/0.1 = 1e-2·sqrt(0.001), sqrt(v) = 0.5·sqrt(0.001)
        // Δ = lr_1·m/(sqrt(v)+ε) = 1e-2·sqrt(0.001)·0.05/(0.5·sqrt(0.001) + 1e-7)
        adam.step(&mut p, &[0.5]);
        let s = 0.001f64.sqrt();
        let want1 = 1.0 - 1e-2 * s * 0.05 / (0.5 * s + 1e-7);
        assert!((p[0] - want1).abs() < 1e-15, "{} vs {want1}", p[0]);
        // without ε the step would be exactly lr = 1e-3
        assert!((1.0 - p[0] - 1e-3).abs() < 1e-8);
        // step 2, g = −1: m = 0.9·0.05 − 0.1 = −0.055, v = 0.999·2.5e-4 + 0.001 = 1.24975e-3,
        // lr_2 = 1e-3·sqrt(1 − 0.999²)/(1 − 0.9²) = 1e-3·sqrt(0.001999)/0.19
        adam.step(&mut p, &[-1.0]);
        let (m, v) = (-0.055f64, 1.24975e-3f64);
        let lr2 = 1e-3 * 0.001999f64.sqrt() / 0.19;
        let want2 = want1 - lr2 * m / (v.sqrt() + 1e-7);
        assert!((p[0] - want2).abs() < 1e-15, "{} vs {want2}", p[0]);
        assert!((adam.moments().0[0] - m).abs() < 1e-16);
        assert!((adam.moments().1[0] - v).abs() < 1e-16);
        assert_eq!(adam.steps(), 2);
    }

    /// The widest loop this CPU has (AVX-512 or AVX2) gives the same bits as the plain one.
    #[test]
    fn wide_and_plain_updates_agree_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 1001;
        let mut draw = |scale: f32| {
            (0..n)
                .map(|_| rng.gen_range(-scale..scale))
                .collect::<Vec<f32>>()
        };
        let (p0, g) = (draw(1.0), draw(1e-2));
        let m0 = draw(1e-3);
        let v0: Vec<f32> = draw(1e-3).iter().map(|x| x * x).collect();
        let k = AdamConstants {
            lr_t: 1e-3f32,
            b1: 0.9,
            b2: 0.999,
            one_b1: 0.1,
            one_b2: 1e-3,
            eps: 1e-7,
        };
        let (mut p1, mut m1, mut v1) = (p0.clone(), m0.clone(), v0.clone());
        update_scalar(&mut p1, &g, &mut m1, &mut v1, &k);
        let (mut p2, mut m2, mut v2) = (p0.clone(), m0, v0);
        update(&mut p2, &g, &mut m2, &mut v2, &k);
        assert_eq!((p1, m1, v1), (p2.clone(), m2, v2));
        assert_ne!(p2, p0);
    }

    #[test]
    fn zero_gradient_leaves_parameters_still() {
        let mut adam = Adam::<f32>::new(3, AdamConfig::default());
        let mut p = [1.0f32, -2.0, 3.0];
        adam.step(&mut p, &[0.0; 3]);
        assert_eq!(p, [1.0, -2.0, 3.0]);
    }
}
