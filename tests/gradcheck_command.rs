//! `kd-mlp gradcheck` and the library audit behind it (`kd_mlp::audit`).

use kd_mlp::audit::{self, compare_per_tensor, GradcheckConfig, Problem, TOLERANCE};
use std::process::Command;

fn kd_mlp(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kd-mlp"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn command_passes_and_prints_a_row_per_tensor_and_loss() {
    let out = kd_mlp(&[
        "gradcheck",
        "--sizes",
        "6,5,4,3",
        "--batch",
        "4",
        "--seed",
        "1",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // 3 layers → W and b each, for 5 losses: 30 rows, all passing.
    for loss in [
        "hard",
        "distill-logits",
        "distill-probabilities",
        "distill-double-softmax",
        "smoothed",
    ] {
        let rows: Vec<&str> = stdout
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(loss))
            .collect();
        assert_eq!(rows.len(), 6, "{loss}:\n{stdout}");
        for (row, (layer, tensor)) in rows.iter().zip([
            ("0", "W"),
            ("0", "b"),
            ("1", "W"),
            ("1", "b"),
            ("2", "W"),
            ("2", "b"),
        ]) {
            let cols: Vec<&str> = row.split_whitespace().collect();
            assert_eq!((cols[1], cols[2]), (layer, tensor), "{row}");
            assert_eq!(cols.last(), Some(&"pass"), "{row}");
            let rel: f64 = cols[5].parse().expect("max rel err parses");
            assert!(rel < TOLERANCE, "{row}");
        }
    }
    assert!(stdout.contains("30 of 30 tensors pass"), "{stdout}");
}

#[test]
fn json_report_is_complete() {
    let out = kd_mlp(&[
        "gradcheck",
        "--json",
        "--temperature",
        "4",
        "--alpha",
        "0.1",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["passed"], true);
    assert_eq!(v["sizes"], serde_json::json!([6, 5, 4, 3]));
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 5);
    assert_eq!(checks[3]["loss"], "distill-double-softmax");
    assert_eq!(checks[1]["loss"], "distill-logits");
    assert_eq!(checks[4]["loss"], "smoothed");
    assert_eq!(checks[4]["epsilon"], 0.1);
    assert_eq!(checks[2]["temperature"], 4.0);
    assert_eq!(checks[2]["alpha"], 0.1);
    for c in checks {
        assert_eq!(c["tensors"].as_array().unwrap().len(), 6);
    }
    assert!(v["worst_rel_err"].as_f64().unwrap() < TOLERANCE);
    assert!(v["kink_distance"].as_f64().unwrap() >= audit::KINK_MARGIN);
}

#[test]
fn bad_flags_are_one_line_errors() {
    for args in [
        &["gradcheck", "--sizes", "6"][..],
        &["gradcheck", "--sizes", "6,x,3"],
        &["gradcheck", "--alpha", "1.5"],
        &["gradcheck", "--temperature", "0"],
        &["gradcheck", "--batch", "0"],
    ] {
        let out = kd_mlp(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn library_audit_passes_for_several_seeds_and_shapes() {
    for (sizes, batch, seed) in [
        (vec![6, 5, 4, 3], 4, 1),
        (vec![8, 7, 5], 3, 2),
        (vec![5, 4, 4, 4, 2], 6, 3),
    ] {
        let cfg = GradcheckConfig {
            sizes,
            batch,
            seed,
            ..GradcheckConfig::default()
        };
        let report = audit::run(&cfg).unwrap();
        assert!(report.passed, "{cfg:?}: {report:?}");
        assert_eq!(report.rows().count(), 5 * 2 * (cfg.sizes.len() - 1));
        assert!(report.worst_rel_err < TOLERANCE);
        // both branches of the ReLU derivative are exercised
        assert!(report.relu_masked > 0 && report.relu_passed > 0, "{cfg:?}");
    }
}

/// The comparison catches a gradient that is wrong by 1e-3 in one entry, and names the tensor.
#[test]
fn a_deliberately_wrong_gradient_fails() {
    let cfg = GradcheckConfig::default();
    let problem = Problem::draw(&cfg).unwrap();
    let loss = audit::AuditedLoss::Hard;
    let (_, analytic) = audit::analytic_gradient(&problem, &loss);
    let numeric = audit::finite_difference_gradient(&problem, &loss);
    let sizes = problem.mlp.sizes();
    let good = compare_per_tensor(sizes, &analytic, &numeric, TOLERANCE);
    assert!(good.iter().all(|t| t.passed));
    // Layer 1's b starts after layer 0 (6·5 + 5) and layer 1's W (5·4): entry 2 of it is 57.
    let mut wrong = analytic.clone();
    wrong[6 * 5 + 5 + 5 * 4 + 2] += 1e-3;
    let checks = compare_per_tensor(sizes, &wrong, &numeric, TOLERANCE);
    let failed: Vec<(usize, &str)> = checks
        .iter()
        .filter(|t| !t.passed)
        .map(|t| (t.layer, t.tensor))
        .collect();
    assert_eq!(failed, vec![(1, "b")]);
    let bad = &checks[3];
    assert_eq!(bad.comparison.worst_index, 2);
    assert!((bad.comparison.max_abs_diff - 1e-3).abs() < 1e-9);
    assert!(bad.comparison.max_rel_err > 1e3 * TOLERANCE);
    // A non-finite analytic entry fails too.
    let mut nan = analytic;
    nan[0] = f64::NAN;
    assert!(!compare_per_tensor(sizes, &nan, &numeric, TOLERANCE)[0].passed);
}

/// The problem is drawn away from the ReLU kink, and the same seed draws the same problem.
#[test]
fn problem_is_away_from_the_kink_and_reproducible() {
    let cfg = GradcheckConfig::default();
    let a = Problem::draw(&cfg).unwrap();
    let b = Problem::draw(&cfg).unwrap();
    assert!(a.kink_distance >= audit::KINK_MARGIN);
    assert_eq!(a.mlp, b.mlp);
    assert_eq!(a.x, b.x);
    assert_eq!(a.labels, b.labels);
}
