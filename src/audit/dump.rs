//! The gradient of a saved model on real test samples, written for any framework to check
//! (`kd-mlp gradcheck --model FILE --samples A..B --dump grads.safetensors`, read by the
//! PyTorch lines of `docs/INTEROP.md`).
//!
//! The loss is the batch mean over the samples of the hard-label cross-entropy, or, with a
//! teacher, of the distillation loss against the teacher's soft targets, exactly as a training
//! step computes it before Adam. It is computed twice through the training code: in f32 (what
//! training does) and in f64 on the same inputs widened to f64 and the same soft targets widened
//! and renormalised so that each row sums to 1 in f64 (what the audit checks against finite
//! differences). The renormalisation matters: the fused gradient `T·(u − q)` is the derivative of
//! the loss only when `Σ q = 1`, and f32 rows miss that by about 1e-7, which would show as a
//! relative error of about 1e-6 in an f64 comparison.
//!
//! # The file
//!
//! | tensor | dtype | shape | content |
//! |---|---|---|---|
//! | `inputs` | F32 | (B, inputs) | pixel / 255, one sample per row |
//! | `labels` | I64 | (B) | the classes |
//! | `soft_targets` | F32 | (B, classes) | the teacher's soft targets, as training computes them (with a teacher only) |
//! | `soft_targets.f64` | F64 | (B, classes) | the same, renormalised in f64 (with a teacher only) |
//! | `loss.f32`, `loss.f64` | F32, F64 | (1) | the batch-mean loss |
//! | `grad.f32.dense.{l}.weight`, `grad.f64.dense.{l}.weight` | F32, F64 | (in, out) | ∂L/∂W of layer l |
//! | `grad.f32.dense.{l}.bias`, `grad.f64.dense.{l}.bias` | F32, F64 | (out) | ∂L/∂b of layer l |
//!
//! `__metadata__`: `format = kd-mlp-gradients`, `format_version = 1`, `sizes`, `samples`
//! (`A..B`), `loss` (`hard`, `distill-logits`, `distill-probabilities`), `alpha` and
//! `temperature` for a distillation loss, `reduction = mean`, `relu_margin` (the smallest
//! |hidden pre-activation|: a finite difference or autograd is only comparable away from the
//! kink), plus what the caller adds (the model's and the teacher's paths).

use super::problem::{finite_differences, hidden_preactivations, loss_and_gradient};
use super::AuditedLoss;
use crate::data::batch::gather_batch;
use crate::data::Dataset;
use crate::engine::loss::Distillation;
use crate::engine::mlp::Mlp;
use crate::error::Error;
use crate::persist::tensors::{safetensors_bytes, Tensor};
use crate::train::teacher::Teacher;
use ndarray::Array2;
use std::collections::BTreeMap;
use std::ops::Range;

/// The problem and both gradients of a saved model on some samples.
#[derive(Debug, Clone)]
pub struct ModelGradients {
    pub samples: Range<usize>,
    pub loss: AuditedLoss,
    /// The model, and the same parameters in f64.
    pub model: Mlp<f32>,
    pub model_f64: Mlp<f64>,
    /// `(B, inputs)`, pixel / 255 in f32.
    pub inputs: Array2<f32>,
    pub labels: Vec<usize>,
    /// `(B, classes)`: the teacher's soft targets, or zeros for the hard loss.
    pub soft_targets: Array2<f32>,
    /// The same widened to f64, each row renormalised to sum to 1 (zeros for the hard loss).
    pub soft_targets_f64: Array2<f64>,
    pub loss_f32: f64,
    pub loss_f64: f64,
    pub grad_f32: Vec<f32>,
    pub grad_f64: Vec<f64>,
    /// The smallest |hidden pre-activation| over the samples (in f64).
    pub relu_margin: f64,
}

/// The gradients of `model`'s batch-mean loss on `samples` of `data`: the hard loss, or with
/// `teacher` the distillation loss with its settings. Errors on an empty or out-of-range sample
/// range, or a model or teacher that does not fit the data.
pub fn model_gradients(
    model: &Mlp<f32>,
    data: &Dataset,
    samples: Range<usize>,
    teacher: Option<(&Teacher, Distillation)>,
) -> Result<ModelGradients, Error> {
    if samples.is_empty() || samples.end > data.len() {
        return Err(Error::Config(format!(
            "samples {}..{} do not lie in the {} samples of the data (A..B with A < B <= {})",
            samples.start,
            samples.end,
            data.len(),
            data.len()
        )));
    }
    if model.inputs() != data.pixels() || model.classes() < data.classes() {
        return Err(Error::Config(format!(
            "the model maps {} inputs to {} classes; the data has {} pixels and {} classes",
            model.inputs(),
            model.classes(),
            data.pixels(),
            data.classes()
        )));
    }
    let rows = samples.len();
    let indices: Vec<usize> = samples.clone().collect();
    let mut inputs = Array2::zeros((rows, data.pixels()));
    let mut labels = vec![0; rows];
    gather_batch(data, &indices, inputs.view_mut(), &mut labels);
    let (loss, soft_targets) = match teacher {
        None => (AuditedLoss::Hard, Array2::zeros((rows, model.classes()))),
        Some((t, d)) => {
            if t.inputs() != model.inputs() || t.classes() != model.classes() {
                return Err(Error::Config(format!(
                    "the teacher maps {} inputs to {} classes, the model {} to {}",
                    t.inputs(),
                    t.classes(),
                    model.inputs(),
                    model.classes()
                )));
            }
            let q = t.soft_targets_of(data, samples.clone(), d.temperature, d.mode);
            (AuditedLoss::Distill(d), q)
        }
    };
    let (loss_f32, grad_f32) =
        loss_and_gradient(model, inputs.view(), &labels, &loss, soft_targets.view());
    let params: Vec<f64> = model.params().iter().map(|&v| f64::from(v)).collect();
    let model_f64 = Mlp::from_params(model.sizes(), params)?;
    let x64 = inputs.mapv(f64::from);
    let mut q64 = soft_targets.mapv(f64::from);
    if matches!(loss, AuditedLoss::Distill(_)) {
        for mut row in q64.rows_mut() {
            let sum = row.sum();
            row.mapv_inplace(|v| v / sum);
        }
    }
    let (loss_f64, grad_f64) =
        loss_and_gradient(&model_f64, x64.view(), &labels, &loss, q64.view());
    let (relu_margin, _, _) = hidden_preactivations(&model_f64, x64.view());
    Ok(ModelGradients {
        samples,
        loss,
        model: model.clone(),
        model_f64,
        inputs,
        labels,
        soft_targets,
        soft_targets_f64: q64,
        loss_f32,
        loss_f64,
        grad_f32,
        grad_f64,
        relu_margin,
    })
}

impl ModelGradients {
    /// The central-difference gradient in f64 of the same loss on the same samples, for the
    /// audit of [`ModelGradients::grad_f64`] (two forward passes per parameter).
    pub fn finite_differences(&self) -> Vec<f64> {
        finite_differences(
            &self.model_f64,
            self.inputs.mapv(f64::from).view(),
            &self.labels,
            &self.loss,
            self.soft_targets_f64.view(),
        )
    }

    /// The safetensors file described in the module documentation, with `extra` metadata.
    pub fn to_safetensors(&self, extra: &[(&str, String)]) -> Vec<u8> {
        let sizes = self.model.sizes();
        let mut meta: BTreeMap<String, String> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let text = |v: &[usize]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        for (k, v) in [
            ("format", "kd-mlp-gradients".to_string()),
            ("format_version", "1".into()),
            ("sizes", text(sizes)),
            (
                "samples",
                format!("{}..{}", self.samples.start, self.samples.end),
            ),
            ("loss", self.loss.name()),
            ("reduction", "mean".into()),
            ("relu_margin", format!("{:e}", self.relu_margin)),
        ] {
            meta.insert(k.into(), v);
        }
        if let AuditedLoss::Distill(d) = self.loss {
            meta.insert("alpha".into(), d.alpha.to_string());
            meta.insert("temperature".into(), d.temperature.to_string());
        }
        let (rows, pixels) = self.inputs.dim();
        let labels: Vec<i64> = self.labels.iter().map(|&y| y as i64).collect();
        let mut tensors = vec![
            Tensor::of(
                "inputs",
                vec![rows, pixels],
                self.inputs.as_slice().expect("standard layout"),
            ),
            Tensor::i64s("labels", &labels),
            Tensor::of("loss.f32", vec![1], &[self.loss_f32 as f32]),
            Tensor::of("loss.f64", vec![1], &[self.loss_f64]),
        ];
        if matches!(self.loss, AuditedLoss::Distill(_)) {
            let q = self.soft_targets.as_slice().expect("standard layout");
            let classes = q.len() / rows;
            tensors.push(Tensor::of("soft_targets", vec![rows, classes], q));
            let q64 = self.soft_targets_f64.as_slice().expect("standard layout");
            tensors.push(Tensor::of("soft_targets.f64", vec![rows, classes], q64));
        }
        let mut offset = 0;
        for (l, io) in sizes.windows(2).enumerate() {
            for (part, shape) in [("weight", vec![io[0], io[1]]), ("bias", vec![io[1]])] {
                let len: usize = shape.iter().product();
                let range = offset..offset + len;
                tensors.push(Tensor::of(
                    format!("grad.f32.dense.{l}.{part}"),
                    shape.clone(),
                    &self.grad_f32[range.clone()],
                ));
                tensors.push(Tensor::of(
                    format!("grad.f64.dense.{l}.{part}"),
                    shape,
                    &self.grad_f64[range],
                ));
                offset += len;
            }
        }
        safetensors_bytes(&tensors, &meta)
    }
}
