//! The deployment table: how big each model is and how fast it predicts.
//!
//! The paper's motivation is deployment under tight compute, so next to the error of each model
//! the report shows its size (parameters, and bytes of f32 weights) and its inference time per
//! sample at batch 1 (one request at a time, latency) and at batch 1000 (throughput).
//!
//! What is timed is prediction on real samples of a data set: the forward pass of every member,
//! for an ensemble the mean of the members' softmax, then the argmax per sample (a single model
//! takes the argmax of its logits, which is the same class as that of its softmax). The inputs are
//! gathered and scaled once, before timing, and every buffer (one [`Workspace`] per member, the
//! probability sums) is allocated once, so the timed loops allocate nothing. Each figure is the
//! median of several timed repeats after a warm-up run. The work runs on the calling thread and
//! whatever rayon pool is current (the GEMM of [`crate::engine::kernels::matmul`] spreads over it), so install the
//! pool the deployment would have before calling [`measure`].

use crate::data::batch::gather_batch;
use crate::data::Dataset;
use crate::engine::loss::softmax_row;
use crate::engine::mlp::{Mlp, Workspace};
use crate::train::evaluate::argmax;
use ndarray::{s, Array2, ArrayView2, Axis};
use serde::Serialize;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Size and inference speed of one model or ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SizeSpeed {
    /// The name shown in the table, e.g. `teacher` or `ensemble of 10`.
    pub model: String,
    /// Parameters of all members together.
    pub parameters: usize,
    /// Bytes of the weights stored as f32 (`4 · parameters`).
    pub bytes: usize,
    /// Microseconds per sample when samples arrive one at a time.
    pub micros_per_sample_batch1: f64,
    /// Microseconds per sample in batches of 1000.
    pub micros_per_sample_batch1000: f64,
}

/// Rows of the large batch.
const BIG_BATCH: usize = 1000;
/// Timed repeats of each measurement (the median is kept).
const REPEATS: usize = 7;
/// Single-sample predictions per timed repeat, at most.
const MAX_SINGLES: usize = 64;
/// Time budgets for the timed repeats, so that even the teacher stays well under 1.5 s in all.
const BUDGET_BATCH1: Duration = Duration::from_millis(350);
const BUDGET_BATCH1000: Duration = Duration::from_millis(700);

/// Measures the size and the inference speed of `members` (one model, or the members of an
/// ensemble) on samples of `data`.
///
/// The inputs are the first 1000 samples of `data` (cycled if it has fewer). If `data` is empty
/// or its images do not have the model's input width, all-zero inputs are used instead: the cost
/// of dense layers does not depend on the input values. With no members at all the size is 0 and
/// the times are NaN.
pub fn measure(name: &str, members: &[Mlp<f32>], data: &Dataset) -> SizeSpeed {
    let parameters: usize = members.iter().map(|m| m.params().len()).sum();
    let bytes = parameters * std::mem::size_of::<f32>();
    let (micros_per_sample_batch1, micros_per_sample_batch1000) = if members.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        let inputs = sample_inputs(members[0].inputs(), data);
        let mut predictor = Predictor::new(members, BIG_BATCH);
        (
            time_batch1(&mut predictor, inputs.view()),
            time_batch1000(&mut predictor, inputs.view()),
        )
    };
    SizeSpeed {
        model: name.to_string(),
        parameters,
        bytes,
        micros_per_sample_batch1,
        micros_per_sample_batch1000,
    }
}

/// `BIG_BATCH` input rows of width `width`: samples `0, 1, …` of `data` (cycled), scaled
/// `x = pixel / 255`, or zeros if `data` cannot supply them.
///
/// # Shapes
/// returns `(BIG_BATCH, width)`.
fn sample_inputs(width: usize, data: &Dataset) -> Array2<f32> {
    let mut x = Array2::<f32>::zeros((BIG_BATCH, width));
    if !data.is_empty() && data.pixels() == width {
        let indices: Vec<usize> = (0..BIG_BATCH).map(|i| i % data.len()).collect();
        let mut labels = vec![0usize; BIG_BATCH];
        gather_batch(data, &indices, x.view_mut(), &mut labels);
    }
    x
}

/// Everything a prediction needs, allocated once: a model or an ensemble (mean of the members'
/// softmax) ready to predict batches of up to a fixed size without allocating.
pub struct Predictor<'a> {
    members: &'a [Mlp<f32>],
    /// One per member, for batches of up to `capacity` rows.
    workspaces: Vec<Workspace<f32>>,
    /// Sum over members of their softmax, `(capacity, classes)`.
    mean: Array2<f32>,
    /// One member's softmax, `(capacity, classes)`.
    probs: Array2<f32>,
}

impl<'a> Predictor<'a> {
    /// Buffers for `members` (one model, or an ensemble) and batches of up to `capacity` rows.
    pub fn new(members: &'a [Mlp<f32>], capacity: usize) -> Self {
        let classes = members[0].classes();
        Self {
            members,
            workspaces: members
                .iter()
                .map(|m| Workspace::new(m.sizes(), capacity))
                .collect(),
            mean: Array2::zeros((capacity, classes)),
            probs: Array2::zeros((capacity, classes)),
        }
    }

    /// Predicts the class of every row of `x` and returns the sum of the predicted classes (a
    /// value the optimiser cannot discard).
    ///
    /// # Shapes
    /// `x: (B, inputs)` with `B <= capacity`.
    pub fn predict(&mut self, x: ArrayView2<f32>) -> usize {
        let rows = x.nrows();
        if let [model] = self.members {
            let logits = model.forward(x, &mut self.workspaces[0]);
            return logits.axis_iter(Axis(0)).map(argmax).sum();
        }
        let mut mean = self.mean.slice_mut(s![..rows, ..]);
        mean.fill(0.0);
        for (member, ws) in self.members.iter().zip(&mut self.workspaces) {
            let logits = member.forward(x, ws);
            let mut probs = self.probs.slice_mut(s![..rows, ..]);
            for (z, p) in logits.axis_iter(Axis(0)).zip(probs.axis_iter_mut(Axis(0))) {
                softmax_row(z, p);
            }
            mean += &probs;
        }
        // The mean is the sum divided by the member count, which does not move the argmax.
        mean.axis_iter(Axis(0)).map(argmax).sum()
    }
}

/// The median of `values` (not empty).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

/// Microseconds per sample, predicting one sample at a time.
fn time_batch1(predictor: &mut Predictor, inputs: ArrayView2<f32>) -> f64 {
    let one = |i: usize| inputs.slice(s![i..i + 1, ..]);
    let start = Instant::now();
    black_box(predictor.predict(one(0)));
    let warm = start.elapsed().max(Duration::from_nanos(1));
    // As many samples per repeat as fit the budget, between 4 and MAX_SINGLES.
    let per_repeat = BUDGET_BATCH1.as_secs_f64() / REPEATS as f64;
    let singles = ((per_repeat / warm.as_secs_f64()) as usize).clamp(4, MAX_SINGLES);
    let mut times: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..singles {
                black_box(predictor.predict(one(i % inputs.nrows())));
            }
            start.elapsed().as_secs_f64() * 1e6 / singles as f64
        })
        .collect();
    median(&mut times)
}

/// Microseconds per sample, predicting all of `inputs` in one batch.
fn time_batch1000(predictor: &mut Predictor, inputs: ArrayView2<f32>) -> f64 {
    let start = Instant::now();
    black_box(predictor.predict(inputs));
    let warm = start.elapsed().max(Duration::from_nanos(1));
    let repeats =
        ((BUDGET_BATCH1000.as_secs_f64() / warm.as_secs_f64()) as usize).clamp(3, REPEATS);
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            black_box(predictor.predict(inputs));
            start.elapsed().as_secs_f64() * 1e6 / inputs.nrows() as f64
        })
        .collect();
    median(&mut times)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::mlp::param_count;

    /// 5 images of 4×4 pixels, 3 classes.
    fn tiny_data() -> Dataset {
        let images: Vec<u8> = (0..5 * 16).map(|i| (i * 37 % 256) as u8).collect();
        Dataset::new(images, vec![0, 1, 2, 1, 0], 4, 4, 3).unwrap()
    }

    fn assert_times_sane(s: &SizeSpeed) {
        for t in [s.micros_per_sample_batch1, s.micros_per_sample_batch1000] {
            assert!(t.is_finite() && t > 0.0, "{s:?}");
        }
    }

    #[test]
    fn single_model_size_and_positive_times() {
        let sizes = [16, 8, 3];
        let m = Mlp::<f32>::glorot(&sizes, 1).unwrap();
        let s = measure("small", &[m], &tiny_data());
        assert_eq!(s.model, "small");
        assert_eq!(s.parameters, param_count(&sizes));
        assert_eq!(s.parameters, 16 * 8 + 8 + 8 * 3 + 3);
        assert_eq!(s.bytes, 4 * s.parameters);
        assert_times_sane(&s);
    }

    #[test]
    fn ensemble_counts_every_member() {
        let sizes = [16, 5, 3];
        let members: Vec<Mlp<f32>> = (0..3)
            .map(|seed| Mlp::glorot(&sizes, seed).unwrap())
            .collect();
        let s = measure("ensemble of 3", &members, &tiny_data());
        assert_eq!(s.parameters, 3 * param_count(&sizes));
        assert_eq!(s.bytes, 12 * param_count(&sizes));
        assert_times_sane(&s);
    }

    #[test]
    fn empty_or_mismatched_data_still_measures() {
        let m = Mlp::<f32>::glorot(&[9, 4, 3], 2).unwrap();
        // 4×4 images do not fit 9 inputs: zeros are used.
        assert_times_sane(&measure("m", std::slice::from_ref(&m), &tiny_data()));
        let empty = Dataset::new(vec![], vec![], 3, 3, 3).unwrap();
        assert_times_sane(&measure("m", &[m], &empty));
        let none = measure("nothing", &[], &tiny_data());
        assert_eq!((none.parameters, none.bytes), (0, 0));
        assert!(none.micros_per_sample_batch1.is_nan());
    }

    #[test]
    fn ensemble_prediction_is_the_argmax_of_the_mean_softmax() {
        let sizes = [16, 6, 3];
        let members: Vec<Mlp<f32>> = (0..2)
            .map(|seed| Mlp::glorot(&sizes, 10 + seed).unwrap())
            .collect();
        let data = tiny_data();
        let x = sample_inputs(16, &data);
        let rows = x.slice(s![..5, ..]);
        let mut predictor = Predictor::new(&members, 8);
        let got = predictor.predict(rows);
        let teacher = crate::train::teacher::Teacher::ensemble(members.clone()).unwrap();
        let probs = teacher.probabilities(&data, 0..5);
        let want: usize = probs.axis_iter(Axis(0)).map(argmax).sum();
        assert_eq!(got, want);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
