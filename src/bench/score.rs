//! The measurements of the machine score: epochs, inference, the FMA peak, and the report.

use super::machine::{cores, cpu_model, peak_rss_mib, EnergyMeter};
use crate::data::batch::gather_batch;
use crate::data::Mnist;
use crate::engine::adam::AdamConfig;
use crate::engine::kernels::peak;
use crate::engine::kernels::simd::active;
use crate::engine::kernels::threads::build_pool;
use crate::engine::mlp::{forward_flops_per_sample, train_flops_per_sample, Mlp};
use crate::error::Error;
use crate::report::speed::Predictor;
use crate::train::{Objective, Trainer};
use ndarray::{s, Array2};
use serde::Serialize;
use std::hint::black_box;
use std::time::Instant;

/// The hidden widths of the study's teacher and student (the input and output widths come from
/// the data: 784 and 10 on MNIST).
pub const TEACHER: [usize; 5] = [500, 400, 300, 200, 100];
const STUDENT: [usize; 1] = [100];

/// How much work the score does; the defaults are the shareable score.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Training samples per epoch: the first `samples` of the training file.
    pub samples: usize,
    /// Timed epochs per model and thread count (the fastest counts).
    pub repeats: usize,
    /// Seconds of the FMA-peak loop per thread count.
    pub peak_seconds: f64,
    /// Seconds of each inference measurement.
    pub inference_seconds: f64,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self {
            samples: 8000,
            repeats: 3,
            peak_seconds: 1.0,
            inference_seconds: 1.0,
        }
    }
}

/// One model's training epoch at one thread count.
#[derive(Debug, Clone, Serialize)]
pub struct EpochScore {
    pub model: String,
    pub threads: usize,
    pub samples: usize,
    /// The fastest of the timed epochs.
    pub seconds: f64,
    pub samples_per_s: f64,
    /// `samples · train FLOP per sample / seconds` (docs/MATH.md's count).
    pub gflops: f64,
    /// `gflops` over the level's FMA peak at the same thread count.
    pub fraction_of_peak: f64,
    /// Energy of that epoch from RAPL, if readable.
    pub joules: Option<f64>,
}

/// One model's inference at one batch size, on all threads.
#[derive(Debug, Clone, Serialize)]
pub struct InferenceScore {
    pub model: String,
    pub batch: usize,
    pub micros_per_sample: f64,
    pub gflops: f64,
    pub fraction_of_peak: f64,
    /// Energy of 1 000 predictions from RAPL, if readable.
    pub joules_per_1000: Option<f64>,
}

/// The whole score.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub kd_mlp_version: String,
    pub cpu: String,
    pub cores: usize,
    /// Threads of the "all threads" figures (the pool's size).
    pub threads: usize,
    pub simd_level: String,
    /// Whether `KD_MLP_SIMD` chose the level.
    pub forced: bool,
    pub peak_gflops_1thread: f64,
    pub peak_gflops_all: f64,
    pub epochs: Vec<EpochScore>,
    pub inference: Vec<InferenceScore>,
    pub peak_rss_mib: Option<f64>,
    /// How energy was measured, or why it was not.
    pub energy: String,
    pub wall_seconds: f64,
}

/// Runs the score in the current rayon pool ("all threads") and a one-thread pool.
pub fn run(mnist: &Mnist, cfg: &BenchConfig) -> Result<BenchReport, Error> {
    let started = Instant::now();
    let level = active();
    let threads = rayon::current_num_threads();
    let one = build_pool(1)?;
    let meter = EnergyMeter::open();
    let samples = cfg.samples.min(mnist.train.len());
    if samples == 0 {
        return Err(Error::Config("the training set is empty".into()));
    }
    let peak_1 = one.install(|| peak::gflops(level, cfg.peak_seconds));
    let peak_all = peak::gflops_all_threads(level, cfg.peak_seconds);
    let peak_at = |t: usize| if t == 1 { peak_1 } else { peak_all };
    let thread_counts: Vec<usize> = if threads == 1 {
        vec![1]
    } else {
        vec![1, threads]
    };

    let sizes_of = |hidden: &[usize]| {
        let mut sizes = vec![mnist.train.pixels()];
        sizes.extend(hidden);
        sizes.push(mnist.train.classes());
        sizes
    };
    let models = [
        ("teacher", sizes_of(&TEACHER)),
        ("student", sizes_of(&STUDENT)),
    ];
    let mut epochs = Vec::new();
    for (name, sizes) in &models {
        for &t in &thread_counts {
            let meter = meter.as_ref().ok();
            let time = || epoch_seconds(mnist, sizes, samples, cfg.repeats, meter);
            let (seconds, joules) = if t == 1 { one.install(time)? } else { time()? };
            let gflops = samples as f64 * train_flops_per_sample(sizes) as f64 / seconds / 1e9;
            epochs.push(EpochScore {
                model: name.to_string(),
                threads: t,
                samples,
                seconds,
                samples_per_s: samples as f64 / seconds,
                gflops,
                fraction_of_peak: gflops / peak_at(t),
                joules,
            });
        }
    }
    let mut inference = Vec::new();
    for (name, sizes) in &models {
        let model = Mlp::<f32>::glorot(sizes, 1)?;
        for batch in [1, 1000] {
            let (micros, joules) = inference_micros(
                mnist,
                &model,
                batch,
                cfg.inference_seconds,
                meter.as_ref().ok(),
            );
            let gflops = forward_flops_per_sample(sizes) as f64 / micros / 1e3;
            inference.push(InferenceScore {
                model: name.to_string(),
                batch,
                micros_per_sample: micros,
                gflops,
                fraction_of_peak: gflops / peak_all,
                joules_per_1000: joules,
            });
        }
    }
    Ok(BenchReport {
        kd_mlp_version: env!("CARGO_PKG_VERSION").into(),
        cpu: cpu_model(),
        cores: cores(),
        threads,
        simd_level: level.name().into(),
        forced: std::env::var_os("KD_MLP_SIMD").is_some(),
        peak_gflops_1thread: peak_1,
        peak_gflops_all: peak_all,
        epochs,
        inference,
        peak_rss_mib: peak_rss_mib(),
        energy: match &meter {
            Ok(_) => "RAPL package counters (/sys/class/powercap)".into(),
            Err(why) => format!("not available: {why}"),
        },
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The fastest of `repeats` epochs of a fresh model over the first `samples` training samples,
/// in the current pool, and that epoch's joules.
fn epoch_seconds(
    mnist: &Mnist,
    sizes: &[usize],
    samples: usize,
    repeats: usize,
    meter: Option<&EnergyMeter>,
) -> Result<(f64, Option<f64>), Error> {
    crate::engine::kernels::threads::flush_denormals();
    let mut mlp = Mlp::<f32>::glorot(sizes, 1)?;
    let mut trainer = Trainer::new(&mlp, 32, AdamConfig::default());
    let order: Vec<usize> = (0..samples).collect();
    let mut best = (f64::INFINITY, None);
    for _ in 0..repeats.max(1) {
        let before = meter.map(EnergyMeter::read);
        let started = Instant::now();
        trainer
            .epoch(
                &mut mlp,
                &mnist.train,
                &order,
                &Objective::HardLabels,
                &mut |_, _| {},
            )
            .map_err(|d| Error::Config(format!("the bench epoch diverged at batch {}", d.batch)))?;
        let seconds = started.elapsed().as_secs_f64();
        let joules = meter
            .zip(before)
            .map(|(m, b)| m.joules_between(&b, &m.read()));
        if seconds < best.0 {
            best = (seconds, joules);
        }
    }
    Ok(best)
}

/// Microseconds per sample predicting test samples in batches of `batch`, for about `seconds`,
/// and the joules of 1 000 predictions.
fn inference_micros(
    mnist: &Mnist,
    model: &Mlp<f32>,
    batch: usize,
    seconds: f64,
    meter: Option<&EnergyMeter>,
) -> (f64, Option<f64>) {
    let rows = batch.min(mnist.test.len()).max(1);
    let indices: Vec<usize> = (0..rows).map(|i| i % mnist.test.len().max(1)).collect();
    let mut x = Array2::<f32>::zeros((rows, model.inputs()));
    if !mnist.test.is_empty() && mnist.test.pixels() == model.inputs() {
        let mut labels = vec![0; rows];
        gather_batch(&mnist.test, &indices, x.view_mut(), &mut labels);
    }
    let members = std::slice::from_ref(model);
    let mut predictor = Predictor::new(members, rows);
    black_box(predictor.predict(x.slice(s![.., ..])));
    let before = meter.map(EnergyMeter::read);
    let started = Instant::now();
    let mut predicted = 0usize;
    while started.elapsed().as_secs_f64() < seconds {
        black_box(predictor.predict(x.view()));
        predicted += rows;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let joules = meter
        .zip(before)
        .map(|(m, b)| m.joules_between(&b, &m.read()) * 1000.0 / predicted as f64);
    (elapsed * 1e6 / predicted as f64, joules)
}
