//! The gradient audit of the label-smoothing loss (distillation's control arm): its fused
//! gradient with respect to the logits against central finite differences of an independent
//! f64 implementation of `−Σ_j t_j·log softmax(z)_j`, and the whole network's gradient through
//! the training code (`kd_mlp::audit`) for several ε, each with relative error below 1e-6.

use kd_mlp::audit::{self, AuditedLoss, GradcheckConfig, Problem, TOLERANCE};
use kd_mlp::engine::loss::label_smoothing_loss;
use ndarray::{array, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The smoothed cross-entropy written out directly, batch mean: an independent computation
/// (log-softmax by its definition, the target built as a vector).
fn reference_loss(z: &Array2<f64>, labels: &[usize], epsilon: f64) -> f64 {
    let classes = z.ncols() as f64;
    let mut total = 0.0;
    for (row, &y) in z.rows().into_iter().zip(labels) {
        let log_norm = row.iter().map(|v| v.exp()).sum::<f64>().ln();
        for (j, &zj) in row.iter().enumerate() {
            let target = epsilon / classes + if j == y { 1.0 - epsilon } else { 0.0 };
            total -= target * (zj - log_norm);
        }
    }
    total / labels.len() as f64
}

fn rel_err(a: f64, n: f64) -> f64 {
    (a - n).abs() / (a.abs() + n.abs()).max(audit::TINY)
}

#[test]
fn logit_gradient_matches_finite_differences_of_an_independent_loss() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5300);
    for (rows, classes, epsilon) in [(5, 4, 0.1), (3, 10, 0.37), (1, 2, 0.9), (4, 6, 0.0)] {
        let z = Array2::from_shape_simple_fn((rows, classes), || rng.gen_range(-3.0..3.0));
        let labels: Vec<usize> = (0..rows).map(|_| rng.gen_range(0..classes)).collect();
        let (mut p, mut dz) = (Array2::zeros(z.dim()), Array2::from_elem(z.dim(), 7.0));
        let sum = label_smoothing_loss(z.view(), &labels, epsilon, p.view_mut(), dz.view_mut());
        let mean = sum / rows as f64;
        assert!((mean - reference_loss(&z, &labels, epsilon)).abs() < 1e-13);
        let h = 1e-5;
        let mut worst = 0.0f64;
        for i in 0..rows {
            for j in 0..classes {
                let (mut up, mut down) = (z.clone(), z.clone());
                up[[i, j]] += h;
                down[[i, j]] -= h;
                let step = up[[i, j]] - down[[i, j]];
                let numeric = (reference_loss(&up, &labels, epsilon)
                    - reference_loss(&down, &labels, epsilon))
                    / step;
                worst = worst.max(rel_err(dz[[i, j]], numeric));
            }
        }
        assert!(
            worst < TOLERANCE,
            "B={rows} C={classes} ε={epsilon}: {worst:e}"
        );
        // Rows of p − t sum to zero: both are distributions.
        for row in dz.rows() {
            assert!(row.sum().abs() < 1e-15);
        }
    }
}

#[test]
fn worked_example() {
    // z = 0, C = 2, ε = 0.5, y = 0: p = [1/2, 1/2], t = [3/4, 1/4]; L = ln 2, ∂L/∂z = [−1/4, 1/4].
    let z = array![[0.0f64, 0.0]];
    let (mut p, mut dz) = (Array2::zeros((1, 2)), Array2::zeros((1, 2)));
    let loss = label_smoothing_loss(z.view(), &[0], 0.5, p.view_mut(), dz.view_mut());
    assert!((loss - 2f64.ln()).abs() < 1e-15);
    assert_eq!(dz, array![[-0.25, 0.25]]);
}

#[test]
fn whole_network_gradient_passes_the_audit_for_several_epsilons() {
    for (seed, epsilon) in [(1, 0.1), (2, 0.05), (3, 0.6), (4, 1.0)] {
        let cfg = GradcheckConfig {
            seed,
            ..GradcheckConfig::default()
        };
        let problem = Problem::draw(&cfg).unwrap();
        let check = audit::check_loss(&problem, &AuditedLoss::Smoothed(epsilon));
        assert!(check.passed, "ε={epsilon}: {check:?}");
        assert_eq!(check.epsilon, Some(epsilon));
        let worst = check
            .tensors
            .iter()
            .fold(0.0f64, |m, t| m.max(t.comparison.max_rel_err));
        assert!(worst < TOLERANCE, "ε={epsilon}: {worst:e}");
    }
}
