//! Statistics for the results table: mean, sample standard deviation, 95 % confidence intervals,
//! the paired t-test (distilled student versus independently trained student, paired by
//! repetition) and Welch's t-test for unpaired comparisons.
//!
//! The Student t distribution (CDF, quantile, and the two-sided tail through the regularized
//! incomplete beta function) comes from the `statrs` crate; the tests here are thin layers on top.

use serde::Serialize;
use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};
use statrs::function::beta::beta_reg;

/// Descriptive statistics of a sample `x₁ … x_n`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Sample size `n`.
    pub n: usize,
    /// `x̄ = (1/n) Σ xᵢ`.
    pub mean: f64,
    /// Sample standard deviation `s = √( Σ (xᵢ − x̄)² / (n − 1) )`; 0 when `n = 1`.
    pub sd: f64,
    /// `x̄ − t_{0.975, n−1} · s/√n`; NaN when `n < 2`.
    pub ci95_low: f64,
    /// `x̄ + t_{0.975, n−1} · s/√n`; NaN when `n < 2`.
    pub ci95_high: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Descriptive statistics of `values`: `n`, mean `x̄ = Σ xᵢ / n`, sample sd
/// `s = √( Σ (xᵢ − x̄)² / (n − 1) )` (two passes; 0 for `n = 1`), the 95 % confidence interval of the
/// mean `x̄ ± t_{0.975, n−1} · s/√n` (NaN bounds for `n = 1`), min and max.
///
/// Returns `None` for an empty slice. Non-finite inputs propagate (NaN in, NaN out).
pub fn summarize(values: &[f64]) -> Option<Summary> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let sd = if n == 1 {
        0.0
    } else {
        let ss: f64 = values.iter().map(|&x| (x - mean) * (x - mean)).sum();
        (ss / (nf - 1.0)).sqrt()
    };
    let (ci95_low, ci95_high) = if n < 2 {
        (f64::NAN, f64::NAN)
    } else {
        let half = student_t_quantile(0.975, nf - 1.0) * sd / nf.sqrt();
        (mean - half, mean + half)
    };
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Summary {
        n,
        mean,
        sd,
        ci95_low,
        ci95_high,
        min,
        max,
    })
}

/// Result of a paired t-test of `a − b`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairedTest {
    /// Number of pairs `n`.
    pub n: usize,
    /// `d̄ = (1/n) Σ (aᵢ − bᵢ)`.
    pub mean_diff: f64,
    /// Sample sd of the differences `s_d = √( Σ (dᵢ − d̄)² / (n − 1) )`.
    pub sd_diff: f64,
    /// `d̄ − t_{0.975, n−1} · s_d/√n`.
    pub ci95_low: f64,
    /// `d̄ + t_{0.975, n−1} · s_d/√n`.
    pub ci95_high: f64,
    /// `t = d̄ / (s_d/√n)`.
    pub t: f64,
    /// Degrees of freedom `n − 1`.
    pub df: f64,
    /// Two-sided p-value `P(|T_{n−1}| ≥ |t|)`.
    pub p_value: f64,
}

/// Paired t-test of `a − b`: with `dᵢ = aᵢ − bᵢ`, `d̄` their mean and `s_d` their sample sd,
/// `t = d̄ / (s_d/√n)` on `ν = n − 1` degrees of freedom, two-sided `p = P(|T_ν| ≥ |t|)`,
/// and the 95 % CI of the mean difference `d̄ ± t_{0.975, ν} · s_d/√n`.
///
/// Returns `None` if the lengths differ or `n < 2`.
///
/// Degenerate case: if all differences are identical (`s_d = 0`), then `t = ±∞` and `p = 0` when
/// `d̄ ≠ 0`, and `t = 0`, `p = 1` when `d̄ = 0`; the CI collapses to `[d̄, d̄]`.
pub fn paired_t_test(a: &[f64], b: &[f64]) -> Option<PairedTest> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(&x, &y)| x - y).collect();
    let s = summarize(&d)?;
    let n = s.n;
    let df = (n - 1) as f64;
    let (t, p_value) = if s.sd == 0.0 {
        degenerate_t(s.mean)
    } else {
        let t = s.mean / (s.sd / (n as f64).sqrt());
        (t, two_sided_p(t, df))
    };
    // `summarize` already gives d̄ ± t_{0.975, n−1}·s_d/√n (exactly d̄ when s_d = 0).
    Some(PairedTest {
        n,
        mean_diff: s.mean,
        sd_diff: s.sd,
        ci95_low: s.ci95_low,
        ci95_high: s.ci95_high,
        t,
        df,
        p_value,
    })
}

/// Holm's step-down adjustment of `m` p-values for multiple comparisons. With the p-values sorted
/// ascending, `p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1)·p₍ⱼ₎)` (1-based ranks); the result is in
/// the input's order. Calling a test significant where `p̃ < α` keeps the chance of even one false
/// discovery in the whole family at most `α`, whatever the dependence between the tests (Holm
/// 1979); it rejects everything Bonferroni's `m·p < α` rejects, and sometimes more.
///
/// Why: a grid of 60 distillation settings tested at 5 % each would show about three
/// "significant" cells by chance alone.
pub fn holm_adjust(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![0.0; m];
    let mut running_max: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let scaled = ((m - rank) as f64 * p[i]).min(1.0);
        running_max = running_max.max(scaled);
        adjusted[i] = running_max;
    }
    adjusted
}

/// Result of Welch's (unequal variances) t-test of `mean(a) − mean(b)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WelchTest {
    /// `x̄_a − x̄_b`.
    pub mean_diff: f64,
    /// `t = (x̄_a − x̄_b) / √(s_a²/n_a + s_b²/n_b)`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value `P(|T_ν| ≥ |t|)`.
    pub p_value: f64,
    /// `(x̄_a − x̄_b) − t_{0.975, ν} · SE`.
    pub ci95_low: f64,
    /// `(x̄_a − x̄_b) + t_{0.975, ν} · SE`.
    pub ci95_high: f64,
}

/// Welch's t-test of `mean(a) − mean(b)` for two independent samples:
/// with `vₐ = s_a²/n_a`, `v_b = s_b²/n_b` and `SE = √(vₐ + v_b)`,
/// `t = (x̄_a − x̄_b) / SE` on the Welch–Satterthwaite degrees of freedom
/// `ν = (vₐ + v_b)² / ( vₐ²/(n_a − 1) + v_b²/(n_b − 1) )`, two-sided `p = P(|T_ν| ≥ |t|)`,
/// and the 95 % CI `(x̄_a − x̄_b) ± t_{0.975, ν} · SE`.
///
/// Returns `None` if either sample has fewer than 2 values (its variance is undefined).
///
/// Degenerate case: if both samples have zero variance (`SE = 0`), the Welch–Satterthwaite `ν` is
/// `0/0`; by convention `ν = n_a + n_b − 2` is reported, `t = ±∞`, `p = 0` when the means differ and
/// `t = 0`, `p = 1` when they are equal, and the CI collapses to `[x̄_a − x̄_b, x̄_a − x̄_b]`.
pub fn welch_t_test(a: &[f64], b: &[f64]) -> Option<WelchTest> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let sa = summarize(a)?;
    let sb = summarize(b)?;
    let (na, nb) = (sa.n as f64, sb.n as f64);
    let va = sa.sd * sa.sd / na;
    let vb = sb.sd * sb.sd / nb;
    let se2 = va + vb;
    let mean_diff = sa.mean - sb.mean;
    if se2 == 0.0 {
        let (t, p_value) = degenerate_t(mean_diff);
        return Some(WelchTest {
            mean_diff,
            t,
            df: na + nb - 2.0,
            p_value,
            ci95_low: mean_diff,
            ci95_high: mean_diff,
        });
    }
    let se = se2.sqrt();
    let df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let t = mean_diff / se;
    let half = student_t_quantile(0.975, df) * se;
    Some(WelchTest {
        mean_diff,
        t,
        df,
        p_value: two_sided_p(t, df),
        ci95_low: mean_diff - half,
        ci95_high: mean_diff + half,
    })
}

/// `(t, p)` for a zero standard error: `(±∞, 0)` if `mean_diff ≠ 0`, `(0, 1)` if it is 0
/// (NaN propagates).
fn degenerate_t(mean_diff: f64) -> (f64, f64) {
    if mean_diff == 0.0 {
        (0.0, 1.0)
    } else if mean_diff.is_nan() {
        (f64::NAN, f64::NAN)
    } else {
        (mean_diff.signum() * f64::INFINITY, 0.0)
    }
}

/// CDF of Student's t distribution with `df = ν > 0` degrees of freedom (ν need not be an
/// integer): `P(T ≤ t)`, from statrs. `t = ±∞` gives 1 or 0. Returns NaN if `t` or `ν` is NaN,
/// or `ν ≤ 0`, or `ν = ∞`.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    match standard_t(df) {
        Some(dist) if !t.is_nan() => dist.cdf(t),
        _ => f64::NAN,
    }
}

/// Two-sided tail `P(|T_ν| ≥ |t|) = I_x(ν/2, ½)` with `x = ν/(ν + t²)`, the regularized
/// incomplete beta function from statrs. Computed directly rather than as `2·(1 − cdf)`, so that
/// a very small p-value keeps its relative precision. For `|t| = ∞` it is 0; NaN for a NaN `t`
/// or a `ν` that is not positive and finite.
fn two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df <= 0.0 || !df.is_finite() {
        return f64::NAN;
    }
    let t2 = t * t;
    if t2.is_infinite() {
        return 0.0; // |t| = ∞, or t² beyond f64: x = 0 and the tail is 0
    }
    beta_reg(0.5 * df, 0.5, df / (df + t2))
}

/// Quantile (inverse CDF) of Student's t with `df = ν > 0`: the `t` with `P(T ≤ t) = p`, for
/// `0 < p < 1`. `p = 0` gives `−∞`, `p = 1` gives `+∞`; anything else outside `[0, 1]`, NaN,
/// `ν ≤ 0` or `ν = ∞` gives NaN (statrs itself would panic on such a `p`).
///
/// statrs's `inverse_cdf` is the starting point, but in the far tail it is not an inverse of its
/// own CDF (at `p = 1e-9`, `ν = 1` its quantile has a CDF of 4.8e-9). So a few Newton steps
/// follow, on the upper tail `Q(q) = P(T ≥ q) = ½·I_x(ν/2, ½)` and its derivative `−f(q)` (the
/// density), solving `Q(q) = α` with `α = min(p, 1 − p)` for `q > 0`: the tail keeps its
/// relative precision where `cdf` would round to 0 or 1. The sign follows `p`.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let Some(dist) = standard_t(df) else {
        return f64::NAN;
    };
    if p == 0.0 || p == 1.0 || p == 0.5 {
        return [f64::NEG_INFINITY, 0.0, f64::INFINITY][(2.0 * p) as usize];
    }
    let alpha = p.min(1.0 - p);
    let mut q = dist.inverse_cdf(1.0 - alpha).abs();
    for _ in 0..8 {
        let density = dist.pdf(q);
        if !(q.is_finite() && density > 0.0) {
            break;
        }
        let step = (0.5 * two_sided_p(q, df) - alpha) / density;
        q += step;
        if step.abs() <= 1e-15 * q.abs() {
            break;
        }
    }
    if p < 0.5 {
        -q
    } else {
        q
    }
}

/// The standard Student t (location 0, scale 1) with `ν` degrees of freedom, if `ν` is positive
/// and finite (an infinite `ν` is the normal distribution, which no caller here means).
fn standard_t(df: f64) -> Option<StudentsT> {
    if !(df > 0.0 && df.is_finite()) {
        return None;
    }
    StudentsT::new(0.0, 1.0, df).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `|got − want| ≤ rel·|want|` (or `≤ rel` when `want = 0`).
    fn assert_rel(got: f64, want: f64, rel: f64, what: &str) {
        let tol = if want == 0.0 { rel } else { rel * want.abs() };
        assert!(
            (got - want).abs() <= tol,
            "{what}: got {got:.17e}, want {want:.17e}, rel err {:.3e}",
            ((got - want) / want).abs()
        );
    }

    #[test]
    fn quantiles_match_t_table() {
        // Standard two-sided 95 % / 99 % t-table values (to 9 decimals), confirmed with
        // scipy.stats.t.ppf (scipy 1.17.1), full-precision values given here:
        let table = [
            (0.975, 1.0, 12.706_204_736_174_694), // t.ppf(0.975, 1)  (table: 12.706204736)
            (0.975, 2.0, 4.302_652_729_749_462),  // t.ppf(0.975, 2)  (table: 4.302652730)
            (0.975, 9.0, 2.262_157_162_798_205),  // t.ppf(0.975, 9)  (table: 2.262157163)
            (0.975, 30.0, 2.042_272_456_301_238), // t.ppf(0.975, 30) (table: 2.042272456)
            (0.995, 9.0, 3.249_835_541_592_126),  // t.ppf(0.995, 9)  (table: 3.249835542)
            (0.975, 4.0, 2.776_445_105_197_793),  // t.ppf(0.975, 4)
            (0.9, 3.5, 1.576_576_605_136_405),    // t.ppf(0.9, 3.5), non-integer df
            (1e-6, 5.0, -24.771_029_720_515_948), // t.ppf(1e-6, 5), far left tail
            (0.999_999, 2.5, 220.173_429_175_704_26), // t.ppf(0.999999, 2.5), far right tail
        ];
        for &(p, df, want) in &table {
            let got = student_t_quantile(p, df);
            assert_rel(got, want, 1e-9, &format!("t_({p}, {df})"));
        }
        // Closed form for ν = 1 (Cauchy): t_p = tan(π(p − ½)).
        let want = (std::f64::consts::PI * (0.975 - 0.5)).tan();
        assert_rel(
            student_t_quantile(0.975, 1.0),
            want,
            1e-12,
            "Cauchy quantile",
        );
        // Symmetry t_{1−p} = −t_p, and t_{½} = 0.
        assert_eq!(student_t_quantile(0.5, 7.0), 0.0);
        assert_rel(
            student_t_quantile(0.025, 9.0),
            -2.262_157_162_798_205,
            1e-9,
            "t_(0.025, 9)",
        );
    }

    #[test]
    fn quantile_inverts_cdf() {
        for &df in &[1.0, 2.0, 3.7, 9.0, 30.0, 250.0] {
            for &p in &[1e-9, 0.001, 0.05, 0.3, 0.5, 0.6, 0.975, 0.999] {
                let q = student_t_quantile(p, df);
                assert_rel(
                    student_t_cdf(q, df),
                    p,
                    1e-11,
                    &format!("cdf(q({p}), {df})"),
                );
            }
        }
    }

    #[test]
    fn cdf_properties_and_reference_values() {
        for &df in &[0.5, 1.0, 4.0, 29.0, 1e4] {
            // P(T ≤ 0) = ½ by symmetry of the density.
            assert_eq!(student_t_cdf(0.0, df), 0.5);
            for &t in &[0.1, 1.0, 2.5, 7.0] {
                // Symmetry: cdf(−t) = 1 − cdf(t).
                let s = student_t_cdf(-t, df) + student_t_cdf(t, df);
                assert!((s - 1.0).abs() < 1e-15, "symmetry df={df} t={t}: {s}");
            }
        }
        // Closed forms: ν = 1, F(t) = ½ + atan(t)/π; ν = 2, F(t) = ½ + t/(2√(2 + t²)).
        for &t in &[-3.0, -0.4, 0.5, 1.3, 12.0] {
            let c1 = 0.5 + f64::atan(t) / std::f64::consts::PI;
            assert_rel(student_t_cdf(t, 1.0), c1, 1e-13, "ν=1 closed form");
            let c2 = 0.5 + t / (2.0 * (2.0 + t * t).sqrt());
            assert_rel(student_t_cdf(t, 2.0), c2, 1e-13, "ν=2 closed form");
        }
        // scipy.stats.t.cdf / t.sf (scipy 1.17.1):
        assert_rel(
            student_t_cdf(2.0, 5.0),
            0.949_030_260_585_070_8,
            1e-12,
            "cdf(2, 5)",
        );
        assert_rel(
            student_t_cdf(-3.0, 2.5),
            0.036_288_047_774_515_914,
            1e-10,
            "cdf(-3, 2.5)",
        );
        assert_rel(
            student_t_cdf(1.0, 100.0),
            0.840_137_922_107_938_4,
            1e-12,
            "cdf(1, 100)",
        );
        assert_rel(
            student_t_cdf(-50.0, 10.0),
            1.237_155_164_651_34e-13,
            1e-9,
            "cdf(-50, 10)",
        );
        assert_rel(
            0.5 * two_sided_p(8.0, 3.0),
            0.002_038_288_793_892_733,
            1e-10,
            "sf(8, 3)",
        );
        // Large ν approaches the standard normal: Φ(1.959963984540054) = 0.975.
        // scipy.stats.t.cdf(1.959963984540054, 1e7) = 0.9749999861352437.
        let z = 1.959_963_984_540_054;
        let big = student_t_cdf(z, 1e7);
        assert!((big - 0.975).abs() < 1e-7, "normal limit: {big}");
        assert_rel(big, 0.974_999_986_135_243_7, 1e-9, "cdf(z, 1e7)");
        // Infinite and invalid arguments.
        assert_eq!(student_t_cdf(f64::INFINITY, 3.0), 1.0);
        assert_eq!(student_t_cdf(f64::NEG_INFINITY, 3.0), 0.0);
        assert_eq!(student_t_cdf(1e300, 3.0), 1.0);
        assert!(student_t_cdf(1.0, 0.0).is_nan());
        assert!(student_t_cdf(f64::NAN, 3.0).is_nan());
        assert!(student_t_quantile(1.5, 3.0).is_nan());
        assert_eq!(student_t_quantile(0.0, 3.0), f64::NEG_INFINITY);
        assert_eq!(student_t_quantile(1.0, 3.0), f64::INFINITY);
    }

    #[test]
    fn summarize_hand_worked() {
        // [2, 4, 4, 4, 5, 5, 7, 9]: Σ = 40, mean = 5; squared deviations 9+1+1+1+0+0+4+16 = 32,
        // sample variance 32/7, sd = √(32/7) = 2.138089935299395.
        // CI = 5 ± t_{0.975,7}·sd/√8 with t_{0.975,7} = 2.364624251592784 (scipy.stats.t.ppf):
        // scipy.stats.t.interval(0.95, 7, loc=5, scale=sd/√8) = (3.21251208176379, 6.787487918236209).
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        assert_rel(s.sd, (32.0f64 / 7.0).sqrt(), 1e-15, "sd");
        assert_rel(s.ci95_low, 3.212_512_081_763_79, 1e-10, "ci low");
        assert_rel(s.ci95_high, 6.787_487_918_236_209, 1e-10, "ci high");
        assert_eq!((s.min, s.max), (2.0, 9.0));
    }

    #[test]
    fn summarize_edge_cases() {
        assert!(summarize(&[]).is_none());
        let one = summarize(&[0.0123]).unwrap();
        assert_eq!((one.n, one.mean, one.sd), (1, 0.0123, 0.0));
        assert!(one.ci95_low.is_nan() && one.ci95_high.is_nan());
        assert_eq!((one.min, one.max), (0.0123, 0.0123));
        // Constant sample: sd 0, CI collapses to the mean.
        let c = summarize(&[3.0, 3.0, 3.0]).unwrap();
        assert_eq!((c.sd, c.ci95_low, c.ci95_high), (0.0, 3.0, 3.0));
    }

    #[test]
    fn paired_hand_worked() {
        // a − b = [1, 2, 3, 4, 5]: mean 3, sd = √(10/4) = √2.5, t = 3/(√2.5/√5) = 3√2 = 4.242640687…,
        // df 4. Two-sided p from scipy.stats.ttest_rel(a, b) (scipy 1.17.1): 0.01323559956368269,
        // CI from its .confidence_interval(): (1.0367568385224428, 4.963243161477557).
        let a = [11.0, 12.0, 13.0, 14.0, 15.0];
        let b = [10.0; 5];
        let r = paired_t_test(&a, &b).unwrap();
        assert_eq!(r.n, 5);
        assert_eq!(r.df, 4.0);
        assert_rel(r.mean_diff, 3.0, 1e-15, "mean diff");
        assert_rel(r.sd_diff, 2.5f64.sqrt(), 1e-15, "sd diff");
        assert_rel(r.t, 3.0 * 2f64.sqrt(), 1e-14, "t");
        assert_rel(r.p_value, 0.013_235_599_563_682_69, 1e-9, "p");
        assert_rel(r.ci95_low, 1.036_756_838_522_442_8, 1e-10, "ci low");
        assert_rel(r.ci95_high, 4.963_243_161_477_557, 1e-10, "ci high");
        // Swapping the arguments flips the sign of t and keeps p.
        let s = paired_t_test(&b, &a).unwrap();
        assert_rel(s.t, -r.t, 1e-15, "swapped t");
        assert_rel(s.p_value, r.p_value, 1e-15, "swapped p");
    }

    #[test]
    fn paired_edge_cases() {
        assert!(paired_t_test(&[], &[]).is_none());
        assert!(paired_t_test(&[1.0], &[2.0]).is_none());
        assert!(paired_t_test(&[1.0, 2.0, 3.0], &[1.0, 2.0]).is_none());
        // Zero-variance differences, non-zero mean: t = +∞ (or −∞), p = 0, CI = [d̄, d̄].
        let r = paired_t_test(&[3.0, 4.0, 5.0], &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!((r.mean_diff, r.sd_diff), (2.0, 0.0));
        assert_eq!((r.t, r.p_value), (f64::INFINITY, 0.0));
        assert_eq!((r.ci95_low, r.ci95_high), (2.0, 2.0));
        let r = paired_t_test(&[1.0, 2.0, 3.0], &[3.0, 4.0, 5.0]).unwrap();
        assert_eq!((r.t, r.p_value), (f64::NEG_INFINITY, 0.0));
        // Identical samples: t = 0, p = 1.
        let r = paired_t_test(&[0.1, 0.2, 0.3], &[0.1, 0.2, 0.3]).unwrap();
        assert_eq!((r.mean_diff, r.t, r.p_value), (0.0, 0.0, 1.0));
    }

    #[test]
    fn welch_textbook_example() {
        // Example 1 of the Wikipedia article "Welch's t-test" (A1 vs A2, 15 values each).
        // scipy.stats.ttest_ind(a, b, equal_var=False) (scipy 1.17.1): statistic -2.455356398286006,
        // pvalue 0.021378001462866992, df 24.988529290231416,
        // confidence_interval() = (-3.984096267140929, -0.3492370661924069).
        let a = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7,
            21.4,
        ];
        let b = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
            24.4,
        ];
        let w = welch_t_test(&a, &b).unwrap();
        assert_rel(w.mean_diff, -2.166_666_666_666_668, 1e-12, "mean diff");
        assert_rel(w.t, -2.455_356_398_286_006, 1e-12, "t");
        assert_rel(w.df, 24.988_529_290_231_416, 1e-12, "df");
        assert_rel(w.p_value, 0.021_378_001_462_866_992, 1e-9, "p");
        assert_rel(w.ci95_low, -3.984_096_267_140_929, 1e-10, "ci low");
        assert_rel(w.ci95_high, -0.349_237_066_192_406_9, 1e-10, "ci high");
    }

    #[test]
    fn welch_edge_cases() {
        assert!(welch_t_test(&[], &[1.0, 2.0]).is_none());
        assert!(welch_t_test(&[1.0], &[1.0, 2.0]).is_none());
        assert!(welch_t_test(&[1.0, 2.0], &[1.0]).is_none());
        // Both samples constant: SE = 0, df reported as n_a + n_b − 2.
        let w = welch_t_test(&[1.0, 1.0, 1.0], &[2.0, 2.0]).unwrap();
        assert_eq!((w.t, w.p_value, w.df), (f64::NEG_INFINITY, 0.0, 3.0));
        assert_eq!((w.ci95_low, w.ci95_high), (-1.0, -1.0));
        let w = welch_t_test(&[1.0, 1.0], &[1.0, 1.0]).unwrap();
        assert_eq!((w.t, w.p_value), (0.0, 1.0));
    }

    #[test]
    fn serializes_to_json() {
        let s = summarize(&[1.0, 2.0]).unwrap();
        let j = serde_json::to_string(&s).unwrap();
        assert!(
            j.contains("\"mean\":1.5") && j.contains("\"ci95_low\""),
            "{j}"
        );
    }

    #[test]
    fn holm_by_hand() {
        // sorted: 0.005·4 = 0.02; 0.01·3 = 0.03; 0.03·2 = 0.06; 0.04·1 = 0.04 → max so far 0.06
        let adjusted = holm_adjust(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (a, w) in adjusted.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adjusted:?}");
        }
        // capped at 1; a single test is left alone; an empty family is empty
        assert_eq!(holm_adjust(&[0.6, 0.7]), vec![1.0, 1.0]);
        assert_eq!(holm_adjust(&[0.3]), vec![0.3]);
        assert!(holm_adjust(&[]).is_empty());
    }
}
