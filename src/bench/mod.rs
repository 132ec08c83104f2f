//! `kd-mlp bench`: a machine score in about a minute, the same work on every machine.
//!
//! One training epoch of the teacher and of the student (batch 32, Adam, hard labels) over a
//! fixed slice of the training set (the first 8 000 samples, so small boards finish), on one
//! thread and on all; inference at batch 1 and 1 000; the FMA peak of the SIMD level in use
//! (measured in the same sitting by [`crate::engine::kernels::peak`]) and each figure's
//! fraction of it; the CPU, its cores, the peak memory, and joules where RAPL can be read.
//! It uses the engine, the data, train and the report's predictor; only the CLI is above it.

mod machine;
mod score;

pub use machine::{cores, cpu_model, peak_rss_mib, EnergyMeter};
pub use score::{run, BenchConfig, BenchReport, EpochScore, InferenceScore, TEACHER};

/// The report as one Markdown table row, with the header lines before it when `header`.
pub fn markdown_row(r: &BenchReport, header: bool) -> String {
    let pct = |x: f64| format!("{:.0} %", 100.0 * x);
    let epoch = |model: &str, threads: usize| {
        r.epochs
            .iter()
            .find(|e| e.model == model && e.threads == threads)
            .map_or("—".into(), |e| {
                format!(
                    "{:.2} s, {:.1} GFLOP/s ({})",
                    e.seconds,
                    e.gflops,
                    pct(e.fraction_of_peak)
                )
            })
    };
    let infer = |model: &str, batch: usize| {
        r.inference
            .iter()
            .find(|i| i.model == model && i.batch == batch)
            .map_or("—".into(), |i| format!("{:.1} µs", i.micros_per_sample))
    };
    let joules = r
        .epochs
        .iter()
        .find(|e| e.model == "teacher" && e.threads == r.threads)
        .and_then(|e| e.joules)
        .map_or("n/a".into(), |j| format!("{j:.1} J"));
    let level = if r.forced {
        format!("{} (forced)", r.simd_level)
    } else {
        r.simd_level.clone()
    };
    let mut out = String::new();
    if header {
        out.push_str(
            "| CPU | cores | SIMD | FMA peak 1 / all threads | teacher epoch 1 thread | teacher epoch all | student epoch 1 thread | student epoch all | teacher µs/sample b1 / b1000 | student µs/sample b1 / b1000 | teacher epoch energy | peak RSS |\n",
        );
        out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    }
    out.push_str(&format!(
        "| {} | {} | {} | {:.1} / {:.1} GFLOP/s | {} | {} | {} | {} | {} / {} | {} / {} | {} | {} |",
        r.cpu,
        r.cores,
        level,
        r.peak_gflops_1thread,
        r.peak_gflops_all,
        epoch("teacher", 1),
        epoch("teacher", r.threads),
        epoch("student", 1),
        epoch("student", r.threads),
        infer("teacher", 1),
        infer("teacher", 1000),
        infer("student", 1),
        infer("student", 1000),
        joules,
        r.peak_rss_mib
            .map_or("—".into(), |m| format!("{m:.0} MiB")),
    ));
    out
}
