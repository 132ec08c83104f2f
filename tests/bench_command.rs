//! `kd-mlp bench` on a small synthetic data set: every figure is there, positive and consistent
//! with the others, as JSON and as one Markdown row.

mod common;

use common::{kd_mlp, stderr, write_synthetic};

#[test]
fn bench_reports_epochs_inference_and_the_peak() {
    let tmp = tempfile::tempdir().unwrap();
    write_synthetic(tmp.path(), 16, 400, 100);
    let data = tmp.path().to_str().unwrap();
    let out = kd_mlp(&[
        "--threads",
        "2",
        "bench",
        "--data",
        data,
        "--samples",
        "256",
        "--json",
    ]);
    assert!(out.status.success(), "bench failed: {}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(r["threads"], 2);
    let peak_1 = r["peak_gflops_1thread"].as_f64().unwrap();
    let peak_all = r["peak_gflops_all"].as_f64().unwrap();
    assert!(peak_1 > 0.0 && peak_all > 0.0);
    let epochs = r["epochs"].as_array().unwrap();
    // teacher and student, on 1 thread and on 2
    assert_eq!(epochs.len(), 4);
    for e in epochs {
        let (seconds, samples) = (
            e["seconds"].as_f64().unwrap(),
            e["samples"].as_u64().unwrap(),
        );
        assert_eq!(samples, 256);
        let per_s = e["samples_per_s"].as_f64().unwrap();
        assert!((per_s * seconds - 256.0).abs() < 1e-6, "{e}");
        let peak = if e["threads"] == 1 { peak_1 } else { peak_all };
        let fraction = e["fraction_of_peak"].as_f64().unwrap();
        assert!(
            (fraction - e["gflops"].as_f64().unwrap() / peak).abs() < 1e-9,
            "{e}"
        );
    }
    let teacher = epochs.iter().find(|e| e["model"] == "teacher").unwrap();
    assert!(teacher["gflops"].as_f64().unwrap() > 0.0);
    let inference = r["inference"].as_array().unwrap();
    let batches: Vec<u64> = inference
        .iter()
        .map(|i| i["batch"].as_u64().unwrap())
        .collect();
    assert_eq!(batches, vec![1, 1000, 1, 1000]);
    assert!(inference
        .iter()
        .all(|i| i["micros_per_sample"].as_f64().unwrap() > 0.0));
    // energy is measured or said to be unavailable, never invented
    let energy = r["energy"].as_str().unwrap();
    let joules = teacher["joules"].as_f64();
    assert!(
        energy.starts_with("not available") == joules.is_none(),
        "{energy} {joules:?}"
    );

    let row = kd_mlp(&["--threads", "2", "bench", "--data", data, "--samples", "64"]);
    assert!(row.status.success(), "bench failed: {}", stderr(&row));
    let text = String::from_utf8_lossy(&row.stdout);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(lines.len(), 3, "header, rule and one row: {text}");
    assert_eq!(lines[0].matches('|').count(), lines[2].matches('|').count());
}
