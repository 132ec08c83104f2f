//! Gradient audit: every analytic gradient of the engine against central finite differences, in
//! f64, through the *same generic library code* that trains in f32.
//!
//! # The numeric gradient
//!
//! For every entry `v` of a tensor: `v₊ = v + h`, `v₋ = v − h` with a fixed step `h`, and
//! `n = (L(v₊) − L(v₋)) / (v₊ − v₋)` (dividing by the step actually represented in f64, not by
//! `2h`). The step is chosen per operation (`STEP`, `STEP_AFFINE`, `STEP_CE` below): with
//! `h = 1e-5` the truncation error `h²·L'''/6` and the rounding error `ε·|L| / h` are both about
//! 1e-11 for the O(1) losses audited here.
//!
//! # The error measure
//!
//! For an analytic entry `a` and a numeric entry `n`:
//!
//! ```text
//! err(a, n) = |a − n| / max(|a| + |n|, TINY)          TINY = 1e-4
//! ```
//!
//! i.e. a relative error for entries whose gradient is larger than about 1e-4, and for smaller
//! entries (e.g. `p ≈ e⁻⁶⁰` at saturated logits, where the finite difference is pure rounding
//! noise or exactly 0) an absolute error measured against 1e-4, so that `err < TOL = 1e-6` means
//! `|a − n| < 1e-10` there. A tensor's error is the maximum over its entries; every test asserts
//! it is below `TOL`. Run with `--nocapture` to see the table.

use kd_mlp::engine::activation::{relu_backward, relu_forward};
use kd_mlp::engine::dense::{dense_backward, dense_forward};
use kd_mlp::engine::loss::{
    cross_entropy_backward, distillation_loss, softmax_cross_entropy, softmax_row, Distillation,
    SoftTargetMode,
};
use kd_mlp::engine::mlp::{layer_view, layer_view_mut, param_count, Mlp, Workspace};
use ndarray::{array, Array1, Array2, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Finite-difference step for the ReLU and the whole network (fixed, not scaled: all values
/// are O(1)).
const STEP: f64 = 1e-5;
/// Step for the dense layer: `L = Σ (x·W + b) ⊙ R` is affine in every single entry of `x`, `W`
/// and `b`, so the central difference has no truncation error at all and a large step only
/// shrinks the rounding error `ε·|L| / h`.
const STEP_AFFINE: f64 = 1e-2;
/// Step for softmax + cross-entropy: balances the truncation error `h²·L'''/6` against the
/// rounding error of losses up to ~60 (saturated rows with logits ±30 and a wrong label).
const STEP_CE: f64 = 5e-5;
/// Floor of the error denominator (see the module documentation).
const TINY: f64 = 1e-4;
/// Largest accepted error.
const TOL: f64 = 1e-6;

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

/// `|a − n| / max(|a| + |n|, TINY)`.
fn rel_err(a: f64, n: f64) -> f64 {
    (a - n).abs() / (a.abs() + n.abs()).max(TINY)
}

/// The worst entry of a comparison.
#[derive(Debug, Clone, Copy)]
struct Report {
    /// Maximum of `rel_err` over the entries.
    max_err: f64,
    /// Index of that entry (flat, row-major).
    at: usize,
    /// Analytic and numeric value there.
    analytic: f64,
    numeric: f64,
    /// Largest |analytic| in the tensor, for scale.
    max_abs: f64,
}

/// Compares an analytic gradient with a numeric one, entry by entry.
fn compare(analytic: &[f64], numeric: &[f64]) -> Report {
    assert_eq!(analytic.len(), numeric.len(), "gradient lengths differ");
    let mut r = Report {
        max_err: 0.0,
        at: 0,
        analytic: 0.0,
        numeric: 0.0,
        max_abs: 0.0,
    };
    for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
        assert!(a.is_finite() && n.is_finite(), "entry {i}: a={a} n={n}");
        let e = rel_err(a, n);
        if e > r.max_err {
            r.max_err = e;
            r.at = i;
            r.analytic = a;
            r.numeric = n;
        }
        r.max_abs = r.max_abs.max(a.abs());
    }
    r
}

/// Central differences of `loss` with respect to every entry of `vals`, fixed step `step`.
/// `loss` receives the perturbed values; `vals` is restored exactly afterwards.
fn numeric_grad(vals: &mut [f64], step: f64, mut loss: impl FnMut(&[f64]) -> f64) -> Vec<f64> {
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

/// Compares, prints one table row, and returns the worst error.
fn check(name: &str, analytic: &[f64], numeric: &[f64]) -> f64 {
    let r = compare(analytic, numeric);
    eprintln!(
        "gradcheck {name:<34} n={:<4} max_err={:>9.2e} at {:<3} (a={:+.6e} n={:+.6e}) max|a|={:.3e}",
        analytic.len(),
        r.max_err,
        r.at,
        r.analytic,
        r.numeric,
        r.max_abs
    );
    r.max_err
}

/// `check` and assert the error is below `TOL`.
fn assert_grad(name: &str, analytic: &[f64], numeric: &[f64]) {
    let e = check(name, analytic, numeric);
    assert!(e < TOL, "{name}: max relative error {e:.3e} >= {TOL:e}");
}

// ---------------------------------------------------------------------------------------------
// Random inputs
// ---------------------------------------------------------------------------------------------

fn uniform(rng: &mut ChaCha8Rng, shape: (usize, usize), lo: f64, hi: f64) -> Array2<f64> {
    Array2::from_shape_simple_fn(shape, || rng.gen_range(lo..hi))
}

/// Values in `±[margin, hi)`, random sign: away from the ReLU kink.
fn away_from_zero(
    rng: &mut ChaCha8Rng,
    shape: (usize, usize),
    margin: f64,
    hi: f64,
) -> Array2<f64> {
    Array2::from_shape_simple_fn(shape, || {
        let m = rng.gen_range(margin..hi);
        if rng.gen_bool(0.5) {
            m
        } else {
            -m
        }
    })
}

fn slice(a: &Array2<f64>) -> &[f64] {
    a.as_slice().expect("standard layout")
}

// ---------------------------------------------------------------------------------------------
// 1. Dense
// ---------------------------------------------------------------------------------------------

/// `L = Σ (x·W + b) ⊙ R` through `dense_forward`, so `∂L/∂y = R`.
fn dense_loss(x: ArrayView2<f64>, w: ArrayView2<f64>, b: ArrayView1<f64>, r: &Array2<f64>) -> f64 {
    let mut y = Array2::zeros((x.nrows(), w.ncols()));
    dense_forward(x, w, b, y.view_mut());
    (&y * r).sum()
}

/// Analytic `(dW, db, dx)` from `dense_backward` with `dy = R`. The outputs are pre-filled with
/// garbage to check they are written, not accumulated.
fn dense_analytic(
    x: &Array2<f64>,
    w: &Array2<f64>,
    r: &Array2<f64>,
) -> (Array2<f64>, Array1<f64>, Array2<f64>) {
    let mut dw = Array2::from_elem(w.dim(), 7.0);
    let mut db = Array1::from_elem(w.ncols(), 7.0);
    let mut dx = Array2::from_elem(x.dim(), 7.0);
    dense_backward(
        x.view(),
        w.view(),
        r.view(),
        dw.view_mut(),
        db.view_mut(),
        Some(dx.view_mut()),
    );
    (dw, db, dx)
}

/// Numeric `(dW, db, dx)` of `dense_loss`.
fn dense_numeric(
    x: &Array2<f64>,
    w: &Array2<f64>,
    b: &Array1<f64>,
    r: &Array2<f64>,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (bn, i, o) = (x.nrows(), w.nrows(), w.ncols());
    let mut wv = w.clone().into_raw_vec_and_offset().0;
    let mut bv = b.to_vec();
    let mut xv = x.clone().into_raw_vec_and_offset().0;
    let nw = numeric_grad(&mut wv, STEP_AFFINE, |wp| {
        dense_loss(
            x.view(),
            ArrayView2::from_shape((i, o), wp).unwrap(),
            b.view(),
            r,
        )
    });
    let nb = numeric_grad(&mut bv, STEP_AFFINE, |bp| {
        dense_loss(x.view(), w.view(), ArrayView1::from(bp), r)
    });
    let nx = numeric_grad(&mut xv, STEP_AFFINE, |xp| {
        dense_loss(
            ArrayView2::from_shape((bn, i), xp).unwrap(),
            w.view(),
            b.view(),
            r,
        )
    });
    (nw, nb, nx)
}

#[test]
fn dense_worked_example_1x1() {
    // y = x·w + b with one input and one output, L = y·r so ∂L/∂y = r:
    // ∂L/∂w = x·r = 2·(−1.5) = −3, ∂L/∂b = r = −1.5, ∂L/∂x = w·r = 3·(−1.5) = −4.5.
    let x = array![[2.0f64]];
    let w = array![[3.0f64]];
    let r = array![[-1.5f64]];
    let (dw, db, dx) = dense_analytic(&x, &w, &r);
    assert_eq!(dw, array![[-3.0]]);
    assert_eq!(db, array![-1.5]);
    assert_eq!(dx, array![[-4.5]]);
    // Two rows: the bias gradient sums over rows, ∂L/∂b = r₀ + r₁ = 1 + 2 = 3, and
    // ∂L/∂w = x₀·r₀ + x₁·r₁ = 2·1 + 5·2 = 12.
    let x = array![[2.0f64], [5.0]];
    let r = array![[1.0f64], [2.0]];
    let (dw, db, dx) = dense_analytic(&x, &w, &r);
    assert_eq!(dw, array![[12.0]]);
    assert_eq!(db, array![3.0]);
    assert_eq!(dx, array![[3.0], [6.0]]);
}

#[test]
fn dense_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xD0_5E);
    for (bn, i, o) in [(3, 5, 4), (1, 7, 3), (5, 1, 1), (4, 3, 9)] {
        let x = uniform(&mut rng, (bn, i), -1.0, 1.0);
        let w = uniform(&mut rng, (i, o), -1.0, 1.0);
        let b = Array1::from_shape_simple_fn(o, || rng.gen_range(-1.0..1.0));
        let r = uniform(&mut rng, (bn, o), -1.0, 1.0);
        let (dw, db, dx) = dense_analytic(&x, &w, &r);
        let (nw, nb, nx) = dense_numeric(&x, &w, &b, &r);
        let tag = format!("dense B={bn} I={i} O={o}");
        assert_grad(&format!("{tag} dW"), slice(&dw), &nw);
        assert_grad(&format!("{tag} db"), db.as_slice().unwrap(), &nb);
        assert_grad(&format!("{tag} dx"), slice(&dx), &nx);
    }
}

/// Shapes large enough for `matmul_into` to split the columns over the rayon pool (at least
/// 2¹⁸ multiply-adds and 32 columns), so the parallel GEMM path is audited too. Every `b` and `x`
/// entry is checked and one `W` entry in 23 (the loss is linear in each, so this is cheap).
#[test]
fn dense_parallel_gemm_path_matches_finite_differences() {
    let (bn, i, o) = (7, 300, 150);
    assert!(bn * i * o >= 1 << 18);
    let mut rng = ChaCha8Rng::seed_from_u64(0xB16);
    let x = uniform(&mut rng, (bn, i), -1.0, 1.0);
    let w = uniform(&mut rng, (i, o), -0.1, 0.1);
    let b = Array1::from_shape_simple_fn(o, || rng.gen_range(-1.0..1.0));
    let r = uniform(&mut rng, (bn, o), -1.0, 1.0);
    let (dw, db, dx) = dense_analytic(&x, &w, &r);

    let picked: Vec<usize> = (0..i * o).step_by(23).collect();
    let mut wv = w.clone().into_raw_vec_and_offset().0;
    let mut nw = Vec::new();
    for &k in &picked {
        let mut one = [wv[k]];
        nw.extend(numeric_grad(&mut one, STEP_AFFINE, |v| {
            wv[k] = v[0];
            dense_loss(
                x.view(),
                ArrayView2::from_shape((i, o), &wv[..]).unwrap(),
                b.view(),
                &r,
            )
        }));
        wv[k] = one[0];
    }
    let aw: Vec<f64> = picked.iter().map(|&k| slice(&dw)[k]).collect();
    let mut bv = b.to_vec();
    let nb = numeric_grad(&mut bv, STEP_AFFINE, |bp| {
        dense_loss(x.view(), w.view(), ArrayView1::from(bp), &r)
    });
    let mut xv = x.clone().into_raw_vec_and_offset().0;
    let nx = numeric_grad(&mut xv, STEP_AFFINE, |xp| {
        dense_loss(
            ArrayView2::from_shape((bn, i), xp).unwrap(),
            w.view(),
            b.view(),
            &r,
        )
    });
    assert_grad("dense 7x300x150 (parallel) dW", &aw, &nw);
    assert_grad("dense 7x300x150 (parallel) db", db.as_slice().unwrap(), &nb);
    assert_grad("dense 7x300x150 (parallel) dx", slice(&dx), &nx);
}

// ---------------------------------------------------------------------------------------------
// 2. ReLU
// ---------------------------------------------------------------------------------------------

/// `L = Σ relu(z) ⊙ R` through `relu_forward`.
fn relu_loss(z: ArrayView2<f64>, r: &Array2<f64>) -> f64 {
    let mut h = z.to_owned();
    relu_forward(h.view_mut());
    (&h * r).sum()
}

/// Analytic `dz` from `relu_backward` with `dh = R`.
fn relu_analytic(z: &Array2<f64>, r: &Array2<f64>) -> Array2<f64> {
    let mut h = z.clone();
    relu_forward(h.view_mut());
    let mut dz = r.clone();
    relu_backward(h.view(), dz.view_mut());
    dz
}

#[test]
fn relu_worked_example() {
    // ∂relu(z)/∂z = [z > 0]: with R = [5, 7, 11], z = [−2, 3, 0] gives dz = [0, 7, 0]
    // (the subgradient at the kink z = 0 is taken as 0).
    let z = array![[-2.0f64, 3.0, 0.0]];
    let r = array![[5.0f64, 7.0, 11.0]];
    assert_eq!(relu_analytic(&z, &r), array![[0.0, 7.0, 0.0]]);
}

#[test]
fn relu_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x2E1E);
    for (bn, o) in [(3, 5), (4, 7), (1, 1)] {
        let z = away_from_zero(&mut rng, (bn, o), 1e-3, 2.0);
        assert!(z.iter().all(|v| v.abs() > 1e-3));
        let r = uniform(&mut rng, (bn, o), -1.0, 1.0);
        let dz = relu_analytic(&z, &r);
        let mut zv = z.clone().into_raw_vec_and_offset().0;
        let nz = numeric_grad(&mut zv, STEP, |zp| {
            relu_loss(ArrayView2::from_shape((bn, o), zp).unwrap(), &r)
        });
        assert_grad(&format!("relu B={bn} O={o} dz"), slice(&dz), &nz);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Softmax + cross-entropy
// ---------------------------------------------------------------------------------------------

/// Batch mean `L = (1/B) Σ_b −log softmax(z_b)[y_b]` through `softmax_cross_entropy`.
fn ce_mean(z: ArrayView2<f64>, labels: &[usize]) -> f64 {
    let mut p = Array2::zeros(z.dim());
    softmax_cross_entropy(z, labels, p.view_mut()) / labels.len() as f64
}

/// Fused analytic `∂L/∂z` from `cross_entropy_backward`.
fn ce_analytic(z: &Array2<f64>, labels: &[usize]) -> Array2<f64> {
    let mut p = Array2::zeros(z.dim());
    softmax_cross_entropy(z.view(), labels, p.view_mut());
    let mut dz = Array2::from_elem(z.dim(), 7.0);
    cross_entropy_backward(p.view(), labels, dz.view_mut());
    dz
}

fn ce_numeric(z: &Array2<f64>, labels: &[usize]) -> Vec<f64> {
    let dim = z.dim();
    let mut zv = z.clone().into_raw_vec_and_offset().0;
    numeric_grad(&mut zv, STEP_CE, |zp| {
        ce_mean(ArrayView2::from_shape(dim, zp).unwrap(), labels)
    })
}

#[test]
fn cross_entropy_worked_example() {
    // softmax([0, ln 2, ln 3]) = [1, 2, 3]/6; with label 2 and B = 1,
    // ∂L/∂z = p − onehot(2) = [1/6, 1/3, −1/2].
    let z = array![[0.0f64, 2f64.ln(), 3f64.ln()]];
    let dz = ce_analytic(&z, &[2]);
    for (got, want) in dz.iter().zip([1.0 / 6.0, 1.0 / 3.0, -0.5]) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
    // The same row twice with labels 2 and 0: each row's gradient is divided by B = 2.
    let z2 = array![[0.0f64, 2f64.ln(), 3f64.ln()], [0.0, 2f64.ln(), 3f64.ln()]];
    let dz2 = ce_analytic(&z2, &[2, 0]);
    let want = [1.0 / 12.0, 1.0 / 6.0, -0.25, -5.0 / 12.0, 1.0 / 6.0, 0.25];
    for (got, want) in dz2.iter().zip(want) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
}

#[test]
fn cross_entropy_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xCE);
    let mut cases: Vec<(String, Array2<f64>, Vec<usize>)> = Vec::new();
    // Moderate random logits, uneven labels (class 0 three times, class 3 never).
    cases.push((
        "random B=5 C=4".into(),
        uniform(&mut rng, (5, 4), -3.0, 3.0),
        vec![0, 2, 0, 1, 0],
    ));
    // One row, one label.
    cases.push((
        "random B=1 C=6".into(),
        uniform(&mut rng, (1, 6), -2.0, 2.0),
        vec![5],
    ));
    // Large logits ±30: saturated softmax, label on the max, on the min and in between.
    cases.push((
        "large ±30 B=3 C=3".into(),
        array![[30.0, -30.0, 0.0], [-30.0, 30.0, 29.0], [30.0, 30.0, -30.0]],
        vec![0, 0, 2],
    ));
    // Large random logits in ±30, all rows labelled 1.
    cases.push((
        "large random B=4 C=5".into(),
        uniform(&mut rng, (4, 5), -30.0, 30.0),
        vec![1, 1, 1, 1],
    ));
    // Two classes (a logistic regression), equal logits.
    cases.push((
        "binary B=3 C=2".into(),
        array![[0.0, 0.0], [1.0, -1.0], [-4.0, 4.0]],
        vec![1, 1, 0],
    ));
    for (name, z, labels) in &cases {
        let dz = ce_analytic(z, labels);
        let nz = ce_numeric(z, labels);
        // Each row of the fused gradient sums to 0 (softmax is shift invariant).
        for row in dz.rows() {
            assert!(row.sum().abs() < 1e-15, "{name}: row sum {}", row.sum());
        }
        assert_grad(&format!("softmax-CE {name} dz"), slice(&dz), &nz);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. The whole Mlp
// ---------------------------------------------------------------------------------------------

const SIZES: [usize; 4] = [6, 5, 4, 3];

/// A Glorot network with random (non-zero) biases, so every bias path is exercised.
fn test_mlp(seed: u64) -> Mlp<f64> {
    let mut mlp = Mlp::<f64>::glorot(&SIZES, seed).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xB1A5);
    for l in 0..SIZES.len() - 1 {
        let (_, mut b) = layer_view_mut(&SIZES, mlp.params_mut(), l);
        b.mapv_inplace(|_| rng.gen_range(-0.3..0.3));
    }
    mlp
}

/// Mean hard-label loss of the network with parameters `params` through `Mlp::forward` and
/// `softmax_cross_entropy`.
fn mlp_loss(
    sizes: &[usize],
    params: &[f64],
    x: ArrayView2<f64>,
    labels: &[usize],
    ws: &mut Workspace<f64>,
) -> f64 {
    let mlp = Mlp::from_params(sizes, params.to_vec()).unwrap();
    mlp.forward(x, ws);
    let (logits, probs, _) = ws.loss_buffers(x.nrows());
    softmax_cross_entropy(logits, labels, probs) / labels.len() as f64
}

/// The training step's gradient: forward, loss, fused logit gradient, backward.
fn mlp_analytic(
    mlp: &Mlp<f64>,
    x: ArrayView2<f64>,
    labels: &[usize],
    ws: &mut Workspace<f64>,
) -> Vec<f64> {
    let rows = x.nrows();
    mlp.forward(x, ws);
    let (logits, mut probs, dlogits) = ws.loss_buffers(rows);
    softmax_cross_entropy(logits, labels, probs.view_mut());
    cross_entropy_backward(probs.view(), labels, dlogits);
    let mut grads = vec![7.0; param_count(mlp.sizes())];
    mlp.backward(x, ws, &mut grads);
    grads
}

/// The hidden pre-activations, recomputed layer by layer with the library's dense and ReLU:
/// returns the smallest |z| (finite differences are only valid if no perturbation crosses a ReLU
/// kink) and the number of negative (masked) and positive (passed) entries.
fn hidden_preactivations(mlp: &Mlp<f64>, x: &Array2<f64>) -> (f64, usize, usize) {
    let mut input = x.clone();
    let (mut min, mut neg, mut pos) = (f64::INFINITY, 0, 0);
    for l in 0..mlp.layers() - 1 {
        let (w, b) = layer_view(mlp.sizes(), mlp.params(), l);
        let mut z = Array2::zeros((x.nrows(), w.ncols()));
        dense_forward(input.view(), w, b, z.view_mut());
        min = z.iter().fold(min, |m, v| m.min(v.abs()));
        neg += z.iter().filter(|&&v| v < 0.0).count();
        pos += z.iter().filter(|&&v| v > 0.0).count();
        relu_forward(z.view_mut());
        input = z;
    }
    (min, neg, pos)
}

/// Checks the gradient of `mlp` on `(x, labels)` in every parameter, per tensor, with the given
/// workspace; returns the analytic gradient.
fn audit_mlp(
    tag: &str,
    mlp: &Mlp<f64>,
    x: &Array2<f64>,
    labels: &[usize],
    ws: &mut Workspace<f64>,
) -> Vec<f64> {
    let (margin, masked, passed) = hidden_preactivations(mlp, x);
    assert!(
        margin > 1e-3,
        "{tag}: a hidden pre-activation is {margin:e} from the ReLU kink"
    );
    // Both branches of the ReLU derivative are exercised.
    assert!(
        masked > 0 && passed > 0,
        "{tag}: {masked} masked, {passed} passed"
    );
    eprintln!(
        "gradcheck {tag}: hidden |z| >= {margin:.2e}, {masked} masked and {passed} passed units"
    );
    let analytic = mlp_analytic(mlp, x.view(), labels, ws);
    let sizes = mlp.sizes().to_vec();
    let mut params = mlp.params().to_vec();
    let numeric = numeric_grad(&mut params, STEP, |p| {
        mlp_loss(&sizes, p, x.view(), labels, ws)
    });
    assert_eq!(params, mlp.params(), "parameters restored");
    let mut offset = 0;
    for l in 0..mlp.layers() {
        let (i, o) = (sizes[l], sizes[l + 1]);
        for (name, len) in [("W", i * o), ("b", o)] {
            let range = offset..offset + len;
            assert_grad(
                &format!("{tag} layer {l} {name} ({i}x{o})"),
                &analytic[range.clone()],
                &numeric[range],
            );
            offset += len;
        }
    }
    assert_eq!(offset, analytic.len());
    analytic
}

#[test]
fn mlp_worked_example() {
    // sizes [1, 1, 2]: h = relu(x·w₁ + b₁), z = h·W₂ + b₂. With x = 1, w₁ = 2, b₁ = 0,
    // W₂ = [1, −1], b₂ = [0, 0]: h = 2, z = [2, −2], and with label 0, p₀ = σ(4) = 1/(1+e⁻⁴).
    // ∂L/∂z = [p₀ − 1, 1 − p₀]; ∂L/∂W₂ = h·∂L/∂z; ∂L/∂b₂ = ∂L/∂z;
    // ∂L/∂h = ∂L/∂z·W₂ᵀ = 2(p₀ − 1) (h > 0, so it passes the ReLU); ∂L/∂w₁ = x·2(p₀ − 1) = ∂L/∂b₁.
    let sizes = [1, 1, 2];
    let mlp = Mlp::<f64>::from_params(&sizes, vec![2.0, 0.0, 1.0, -1.0, 0.0, 0.0]).unwrap();
    let mut ws = Workspace::new(&sizes, 1);
    let grads = mlp_analytic(&mlp, array![[1.0]].view(), &[0], &mut ws);
    let p0 = 1.0 / (1.0 + (-4.0f64).exp());
    let g = p0 - 1.0;
    let want = [2.0 * g, 2.0 * g, 2.0 * g, -2.0 * g, g, -g];
    for (k, (got, want)) in grads.iter().zip(want).enumerate() {
        assert!((got - want).abs() < 1e-15, "param {k}: {got} vs {want}");
    }
}

#[test]
fn mlp_matches_finite_differences_in_every_parameter() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mlp = test_mlp(11);
    let x = uniform(&mut rng, (4, SIZES[0]), -1.0, 1.0);
    let labels = [2, 0, 2, 1];
    let mut ws = Workspace::new(&SIZES, 4);
    audit_mlp("mlp B=4 cap=4", &mlp, &x, &labels, &mut ws);
}

#[test]
fn mlp_batch_smaller_than_workspace_capacity() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xCA9);
    let mlp = test_mlp(23);
    let x = uniform(&mut rng, (4, SIZES[0]), -1.0, 1.0);
    let labels = [1, 1, 0, 2];
    // A workspace of capacity 7, first dirtied by a full batch of 7 other rows, so that stale
    // values sit in rows 4..7 of every buffer.
    let mut ws = Workspace::new(&SIZES, 7);
    let other = uniform(&mut rng, (7, SIZES[0]), -5.0, 5.0);
    mlp_analytic(&mlp, other.view(), &[0, 1, 2, 0, 1, 2, 2], &mut ws);
    let g7 = audit_mlp("mlp B=4 cap=7", &mlp, &x, &labels, &mut ws);
    // Bit-for-bit the gradient of a workspace of exactly the batch size.
    let mut ws4 = Workspace::new(&SIZES, 4);
    let g4 = mlp_analytic(&mlp, x.view(), &labels, &mut ws4);
    assert_eq!(g7, g4, "capacity 7 and capacity 4 give different gradients");
}

/// The f32 instantiation (the one that trains) runs the same code: its gradient agrees with the
/// audited f64 gradient to f32 precision.
#[test]
fn f32_gradient_agrees_with_audited_f64() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xF32);
    let m64 = test_mlp(5);
    let x64 = uniform(&mut rng, (4, SIZES[0]), -1.0, 1.0);
    let labels = [0, 1, 2, 2];
    let g64 = mlp_analytic(&m64, x64.view(), &labels, &mut Workspace::new(&SIZES, 4));

    let m32 =
        Mlp::<f32>::from_params(&SIZES, m64.params().iter().map(|&v| v as f32).collect()).unwrap();
    let x32 = x64.mapv(|v| v as f32);
    let mut ws = Workspace::<f32>::new(&SIZES, 4);
    m32.forward(x32.view(), &mut ws);
    let (logits, mut probs, dlogits) = ws.loss_buffers(4);
    softmax_cross_entropy(logits, &labels, probs.view_mut());
    cross_entropy_backward(probs.view(), &labels, dlogits);
    let mut g32 = vec![0.0f32; param_count(&SIZES)];
    m32.backward(x32.view(), &mut ws, &mut g32);

    let scale = g64.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = g64
        .iter()
        .zip(&g32)
        .map(|(&a, &b)| (a - f64::from(b)).abs() / scale)
        .fold(0.0f64, f64::max);
    eprintln!("gradcheck f32 vs f64 mlp grads: max |Δ| / max|g| = {worst:.2e}");
    assert!(
        worst < 1e-5,
        "f32 and f64 gradients differ by {worst:e} of the largest entry"
    );
}

// ---------------------------------------------------------------------------------------------
// The checker can fail
// ---------------------------------------------------------------------------------------------

/// A deliberately wrong gradient must be reported above the threshold: one analytic entry nudged
/// by 1e-3 (in a dense dW, a softmax-CE dz and the flat gradient of an Mlp), and two classic
/// mistakes (a missing 1/B, a transposed dW). The checker must also point at the wrong entry.
#[test]
fn checker_catches_wrong_gradients() {
    // Dense dW with one entry off by 1e-3.
    let mut rng = ChaCha8Rng::seed_from_u64(0xBAD);
    let x = uniform(&mut rng, (3, 5), -1.0, 1.0);
    let w = uniform(&mut rng, (5, 4), -1.0, 1.0);
    let b = Array1::from_shape_simple_fn(4, || rng.gen_range(-1.0..1.0));
    let r = uniform(&mut rng, (3, 4), -1.0, 1.0);
    let (dw, _, _) = dense_analytic(&x, &w, &r);
    let (nw, _, _) = dense_numeric(&x, &w, &b, &r);
    assert!(check("(correct) dense dW", slice(&dw), &nw) < TOL);
    let mut wrong = dw.clone();
    wrong[[2, 1]] += 1e-3;
    let e = check("(wrong: +1e-3 at [2,1]) dense dW", slice(&wrong), &nw);
    assert!(e > TOL, "a 1e-3 error went unnoticed: {e:e}");
    assert_eq!(
        compare(slice(&wrong), &nw).at,
        2 * 4 + 1,
        "the checker points at the entry"
    );

    // Dense dW in the wrong layout: an (O, I) buffer read as (I, O).
    let transposed = dw.t().as_standard_layout().to_owned();
    let e = check("(wrong: dW transposed) dense dW", slice(&transposed), &nw);
    assert!(e > TOL);

    // Cross-entropy: the gradient of the SUM (no 1/B) against the MEAN loss.
    let z = uniform(&mut rng, (4, 3), -2.0, 2.0);
    let labels = [0, 2, 1, 1];
    let dz = ce_analytic(&z, &labels);
    let nz = ce_numeric(&z, &labels);
    let e = check(
        "(wrong: missing 1/B) softmax-CE dz",
        slice(&(&dz * 4.0)),
        &nz,
    );
    assert!(e > TOL);
    let mut wrong = dz.clone();
    wrong[[3, 0]] -= 1e-3;
    assert!(check("(wrong: −1e-3 at [3,0]) softmax-CE dz", slice(&wrong), &nz) > TOL);

    // Mlp: one parameter gradient (layer 0, b[2], flat index 6·5 + 2) off by 1e-3.
    let mlp = test_mlp(11);
    let x = uniform(&mut rng, (4, SIZES[0]), -1.0, 1.0);
    let labels = [2, 0, 2, 1];
    assert!(hidden_preactivations(&mlp, &x).0 > 1e-3);
    let mut ws = Workspace::new(&SIZES, 4);
    let mut analytic = mlp_analytic(&mlp, x.view(), &labels, &mut ws);
    let mut params = mlp.params().to_vec();
    let numeric = numeric_grad(&mut params, STEP, |p| {
        mlp_loss(&SIZES, p, x.view(), &labels, &mut ws)
    });
    assert!(check("(correct) mlp all params", &analytic, &numeric) < TOL);
    let k = SIZES[0] * SIZES[1] + 2;
    analytic[k] += 1e-3;
    let r = compare(&analytic, &numeric);
    check(
        "(wrong: +1e-3 at layer 0 b[2]) mlp all params",
        &analytic,
        &numeric,
    );
    assert!(r.max_err > TOL);
    assert_eq!(r.at, k);

    // The error measure itself: equal values give 0, opposite values give 1, and tiny values are
    // measured against TINY.
    assert_eq!(rel_err(0.25, 0.25), 0.0);
    assert_eq!(rel_err(0.5, -0.5), 1.0);
    assert_eq!(rel_err(0.0, 0.0), 0.0);
    assert!((rel_err(1e-12, 0.0) - 1e-8).abs() < 1e-20);
}

// ---------------------------------------------------------------------------------------------
// 5. The distillation loss, both soft-target modes
// ---------------------------------------------------------------------------------------------

/// The loss `L = (1/B) Σ_b [α·(−log softmax(z_b)[y_b]) + (1 − α)·T²·KL(q_b ‖ u_b)]` computed
/// independently of the library: `u = softmax(z/T)` (logits mode) or `softmax(softmax(z)/T)`
/// (probabilities and double-softmax modes), the KL written out with plain logs; in
/// double-softmax mode the hard term is `−log softmax(softmax(z))[y]` instead.
fn distill_reference(
    z: ArrayView2<f64>,
    labels: &[usize],
    q: &Array2<f64>,
    d: &Distillation,
) -> f64 {
    let t = d.temperature;
    let softmax = |row: &[f64]| {
        let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = row.iter().map(|v| (v - max).exp()).collect();
        let s: f64 = e.iter().sum();
        e.into_iter().map(|v| v / s).collect::<Vec<f64>>()
    };
    let mut total = 0.0;
    for (b, &y) in labels.iter().enumerate() {
        let zb: Vec<f64> = z.row(b).to_vec();
        let p = softmax(&zb);
        let source = match d.mode {
            SoftTargetMode::Logits => zb.clone(),
            SoftTargetMode::Probabilities | SoftTargetMode::DoubleSoftmax => p.clone(),
        };
        let hard = match d.mode {
            SoftTargetMode::DoubleSoftmax => -softmax(&p)[y].ln(),
            _ => -p[y].ln(),
        };
        let u = softmax(&source.iter().map(|v| v / t).collect::<Vec<_>>());
        let kl: f64 = q
            .row(b)
            .iter()
            .zip(&u)
            .map(|(&qj, &uj)| qj * (qj / uj).ln())
            .sum();
        total += d.alpha * hard + (1.0 - d.alpha) * t * t * kl;
    }
    total / labels.len() as f64
}

/// The library's loss (batch mean) and fused gradient.
fn distill_library(
    z: ArrayView2<f64>,
    labels: &[usize],
    q: &Array2<f64>,
    d: &Distillation,
) -> (f64, Array2<f64>) {
    let mut p = Array2::zeros(z.dim());
    let mut dz = Array2::from_elem(z.dim(), 7.0);
    let sum = distillation_loss(z, labels, q.view(), d, p.view_mut(), dz.view_mut());
    (sum / labels.len() as f64, dz)
}

/// Teacher soft targets `softmax(v/T)` of random teacher logits.
fn soft_targets(rng: &mut ChaCha8Rng, rows: usize, classes: usize, t: f64) -> Array2<f64> {
    let v = uniform(rng, (rows, classes), -6.0, 6.0);
    let mut q = Array2::zeros((rows, classes));
    for (vr, qr) in v.rows().into_iter().zip(q.rows_mut()) {
        softmax_row(vr.mapv(|x| x / t).view(), qr);
    }
    q
}

/// `softmax(p/T)` of each row of `p`.
fn soften(p: &Array2<f64>, t: f64) -> Array2<f64> {
    let mut q = Array2::zeros(p.dim());
    for (pr, qr) in p.rows().into_iter().zip(q.rows_mut()) {
        softmax_row(pr.mapv(|x| x / t).view(), qr);
    }
    q
}

#[test]
fn distillation_worked_example() {
    // One sample, two classes, z = [0, 0], label 0, teacher q = [1, 0], α = 0.5, T = 1, logits:
    // p = u = [½, ½]; ∂L/∂z = α·(p − onehot) + (1 − α)·T·(u − q)
    //                       = 0.5·[−½, ½] + 0.5·[−½, ½] = [−½, ½];
    // L = 0.5·ln 2 + 0.5·KL([1,0] ‖ [½,½]) = 0.5·ln 2 + 0.5·ln 2 = ln 2.
    let z = array![[0.0f64, 0.0]];
    let q = array![[1.0f64, 0.0]];
    let d = Distillation::new(0.5, 1.0, SoftTargetMode::Logits).unwrap();
    let (loss, dz) = distill_library(z.view(), &[0], &q, &d);
    assert!((loss - 2f64.ln()).abs() < 1e-15);
    assert!((dz[[0, 0]] + 0.5).abs() < 1e-15 && (dz[[0, 1]] - 0.5).abs() < 1e-15);
}

#[test]
fn distillation_matches_finite_differences_in_every_mode() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xD157);
    let labels = [3, 0, 9, 3, 5];
    for mode in [
        SoftTargetMode::Logits,
        SoftTargetMode::Probabilities,
        SoftTargetMode::DoubleSoftmax,
    ] {
        for &t in &[1.0, 2.5, 4.0, 20.0] {
            for &alpha in &[0.0, 0.1, 0.5, 0.9] {
                let d = Distillation::new(alpha, t, mode).unwrap();
                let z = uniform(&mut rng, (5, 10), -5.0, 5.0);
                let q = match mode {
                    SoftTargetMode::Logits => soft_targets(&mut rng, 5, 10, t),
                    // the teacher's own probabilities, softened: softmax(p/T)
                    SoftTargetMode::Probabilities | SoftTargetMode::DoubleSoftmax => {
                        soften(&soft_targets(&mut rng, 5, 10, 1.0), t)
                    }
                };
                let (loss, dz) = distill_library(z.view(), &labels, &q, &d);
                // the loss against the independent computation
                let reference = distill_reference(z.view(), &labels, &q, &d);
                assert!(
                    (loss - reference).abs() <= 1e-12 * reference.abs().max(1.0),
                    "{mode} T={t} α={alpha}: {loss} vs {reference}"
                );
                // the gradient against central differences of the independent loss
                let mut zv = z.clone().into_raw_vec_and_offset().0;
                // The soft term flattens as T grows (its k-th derivative in z scales like T^(2−k)),
                // so a step growing with T keeps the truncation error negligible while the
                // rounding error ε·|L|/h shrinks: h = STEP_CE·T. The double softmax's hard term
                // does not flatten with T (its truncation error grows with h²), so it meets the
                // soft term half way: h = STEP_CE·√T.
                let h = match mode {
                    SoftTargetMode::DoubleSoftmax => STEP_CE * t.sqrt(),
                    _ => STEP_CE * t,
                };
                let numeric = numeric_grad(&mut zv, h, |zp| {
                    distill_reference(
                        ArrayView2::from_shape((5, 10), zp).unwrap(),
                        &labels,
                        &q,
                        &d,
                    )
                });
                assert_grad(
                    &format!("distill {mode} T={t} α={alpha}"),
                    slice(&dz),
                    &numeric,
                );
            }
        }
    }
}

#[test]
fn distillation_with_alpha_one_is_hard_label_training_bit_for_bit() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xA1);
    let z32 = uniform(&mut rng, (6, 10), -8.0, 8.0).mapv(|v| v as f32);
    let labels = [1, 1, 4, 0, 9, 7];
    let q = soft_targets(&mut rng, 6, 10, 3.0).mapv(|v| v as f32);
    let mut p_hard = Array2::<f32>::zeros((6, 10));
    let hard = softmax_cross_entropy(z32.view(), &labels, p_hard.view_mut());
    let mut dz_hard = Array2::<f32>::zeros((6, 10));
    cross_entropy_backward(p_hard.view(), &labels, dz_hard.view_mut());
    for mode in [SoftTargetMode::Logits, SoftTargetMode::Probabilities] {
        let d = Distillation::new(1.0, 3.0, mode).unwrap();
        let mut p = Array2::<f32>::zeros((6, 10));
        let mut dz = Array2::<f32>::zeros((6, 10));
        let loss = distillation_loss(
            z32.view(),
            &labels,
            q.view(),
            &d,
            p.view_mut(),
            dz.view_mut(),
        );
        assert_eq!(loss.to_bits(), hard.to_bits(), "{mode}: loss");
        assert_eq!(p, p_hard);
        let same_bits = dz
            .iter()
            .zip(dz_hard.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(
            same_bits,
            "{mode}: gradient differs from the hard-label one"
        );
    }
}

#[test]
fn probabilities_mode_soft_term_nearly_vanishes() {
    // The paper-literal soft distributions softmax(p/T) of probabilities are nearly uniform:
    // every exponent is in [0, 1] at T = 1, so no class gets more than e/(e + 9) ≈ 0.23 of the mass.
    let mut rng = ChaCha8Rng::seed_from_u64(0x50F7);
    let z = uniform(&mut rng, (8, 10), -10.0, 10.0);
    let labels = [0, 1, 2, 3, 4, 5, 6, 7];
    let q_teacher = soft_targets(&mut rng, 8, 10, 1.0);
    let q_literal = soften(&q_teacher, 1.0);
    assert!(q_literal
        .iter()
        .all(|&v| v < std::f64::consts::E / (std::f64::consts::E + 9.0) + 1e-12));
    let soft_only = |mode, q: &Array2<f64>| {
        let d = Distillation::new(0.0, 1.0, mode).unwrap();
        distill_library(z.view(), &labels, q, &d).0
    };
    let logits = soft_only(SoftTargetMode::Logits, &q_teacher);
    let literal = soft_only(SoftTargetMode::Probabilities, &q_literal);
    eprintln!("soft term, logits mode {logits:.4}, probabilities mode {literal:.6}");
    assert!(literal < 0.05 * logits, "{literal} vs {logits}");
}

#[test]
fn double_softmax_hard_term_has_a_floor_near_1_46() {
    // −log softmax(p)_y with p a probability vector is smallest when p is one-hot on y:
    // −log(e / (e + C − 1)) = ln(e + 9) − 1 ≈ 1.4612 for C = 10, whatever the logits.
    let floor = (std::f64::consts::E + 9.0).ln() - 1.0;
    let d = Distillation::new(1.0, 1.0, SoftTargetMode::DoubleSoftmax).unwrap();
    let q = Array2::from_elem((3, 10), 0.1);
    // a confident right answer, a uniform output, a confident wrong answer
    let mut z = Array2::zeros((3, 10));
    z[[0, 4]] = 40.0;
    z[[2, 7]] = 40.0;
    let labels = [4, 4, 4];
    let mut p = Array2::zeros((3, 10));
    let mut dz = Array2::zeros((3, 10));
    let mut per_row = Vec::new();
    for b in 0..3 {
        let zb = z.slice(ndarray::s![b..b + 1, ..]);
        let qb = q.slice(ndarray::s![b..b + 1, ..]);
        let loss = distillation_loss(
            zb,
            &labels[b..b + 1],
            qb,
            &d,
            p.slice_mut(ndarray::s![b..b + 1, ..]),
            dz.slice_mut(ndarray::s![b..b + 1, ..]),
        );
        per_row.push(loss);
    }
    assert!(
        (per_row[0] - floor).abs() < 1e-12,
        "{} vs {floor}",
        per_row[0]
    );
    // uniform p: softmax(p) is uniform too, −log(1/10)
    assert!((per_row[1] - 10f64.ln()).abs() < 1e-12, "{}", per_row[1]);
    // wrong and confident: ln(e + 9), only 1 above the floor
    assert!((per_row[2] - (floor + 1.0)).abs() < 1e-12, "{}", per_row[2]);
    // the ordinary cross-entropy of the same rows spans 0 to 40
    let mut p2 = Array2::zeros((3, 10));
    let ce = softmax_cross_entropy(z.view(), &labels, p2.view_mut());
    assert!(ce > 39.0, "{ce}");
}

// ---------------------------------------------------------------------------------------------
// 6. The f32 training arithmetic at the teacher's shapes
// ---------------------------------------------------------------------------------------------

fn batch32_gradient<F: kd_mlp::Float>(mlp: &Mlp<F>, x: &Array2<F>, labels: &[usize]) -> Vec<F> {
    let mut ws = Workspace::new(mlp.sizes(), x.nrows());
    mlp.forward(x.view(), &mut ws);
    let (l, p, _) = ws.loss_buffers(32);
    softmax_cross_entropy(l, labels, p);
    let (_, p, d) = ws.loss_buffers(32);
    cross_entropy_backward(p.view(), labels, d);
    let mut g = vec![F::zero(); mlp.params().len()];
    mlp.backward(x.view(), &mut ws, &mut g);
    g
}

/// The f32 gradient of the teacher-sized network (batch 32: the shapes that take the
/// hand-written AVX-512 kernels where the CPU has them) against the same gradient in f64: the
/// training arithmetic loses no more than f32 rounding, layer by layer.
#[test]
fn teacher_sized_f32_gradient_agrees_with_f64() {
    let sizes = [784, 500, 400, 300, 200, 100, 10];
    let m64 = Mlp::<f64>::glorot(&sizes, 3).unwrap();
    let m32 =
        Mlp::<f32>::from_params(&sizes, m64.params().iter().map(|&v| v as f32).collect()).unwrap();
    let x64 = Array2::<f64>::from_shape_fn((32, 784), |(i, j)| {
        (((i * 131 + j * 71) % 256) as f64 / 255.0) * if (i + j) % 5 == 0 { 1.0 } else { 0.0 }
    });
    let x32 = x64.mapv(|v| v as f32);
    let labels: Vec<usize> = (0..32).map(|i| (i * 7) % 10).collect();
    let g64 = batch32_gradient(&m64, &x64, &labels);
    let g32 = batch32_gradient(&m32, &x32, &labels);
    let mut off = 0;
    for l in 0..6 {
        let n = sizes[l] * sizes[l + 1] + sizes[l + 1];
        let (a, b) = (&g64[off..off + n], &g32[off..off + n]);
        let max = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let dev = a
            .iter()
            .zip(b)
            .fold(0.0f64, |m, (x, y)| m.max((x - f64::from(*y)).abs()));
        eprintln!(
            "teacher layer {l}: max|g| {max:.3e}, max |f32 - f64| {dev:.3e}, relative {:.3e}",
            dev / max
        );
        // 1e-5 of the largest entry: f32 rounding through six layers stays near 3e-7
        assert!(dev < 1e-5 * max, "layer {l}: {dev} against {max}");
        off += n;
    }
}
