//! The training step and the epoch: the buffers made once per model, then per batch forward,
//! the objective's loss and fused gradient, backward and Adam.

use crate::data::batch::{gather_batch, prefetch_images};
use crate::data::Dataset;
use crate::engine::adam::{Adam, AdamConfig};
use crate::engine::kernels::stagger::Staggered;
use crate::engine::kernels::threads::with_workers_awake;
use crate::engine::loss::{
    cross_entropy_backward, distillation_loss, label_smoothing_loss, softmax_cross_entropy,
    Distillation,
};
use crate::engine::mlp::{Mlp, Workspace};
use crate::train::teacher::SoftTargets;
use crate::Float;
use ndarray::{s, Array2};

/// What a model learns from.
#[derive(Debug, Clone, Copy)]
pub enum Objective<'a> {
    /// The labels alone: sparse categorical cross-entropy.
    HardLabels,
    /// The labels and a teacher's soft targets (row `i` for sample `i`), mixed by the
    /// distillation loss.
    Distill {
        targets: &'a SoftTargets,
        loss: Distillation,
    },
    /// The labels smoothed by ε: the target `(1 − ε)·onehot(y) + ε/C`, a softened target
    /// without a teacher (distillation's control arm).
    Smoothed { epsilon: f64 },
}

/// The buffers of the training step, made once per model so that a step allocates nothing:
/// the batch, the forward/backward workspace, the gradient and Adam's moments.
pub struct Trainer<F> {
    pub(super) batch_size: usize,
    x: Array2<F>,
    labels: Vec<usize>,
    /// The batch's soft targets (distillation only).
    q: Array2<F>,
    ws: Workspace<F>,
    /// In page slot 1, apart from the parameters and Adam's moments ([`crate::engine::kernels::stagger`]).
    grads: Staggered<F>,
    adam: Adam<F>,
}

impl<F: Float> Trainer<F> {
    /// Buffers for training `mlp` with batches of up to `batch_size` samples.
    pub fn new(mlp: &Mlp<F>, batch_size: usize, adam: AdamConfig) -> Self {
        let batch_size = batch_size.max(1);
        Self {
            batch_size,
            x: Array2::zeros((batch_size, mlp.inputs())),
            labels: vec![0; batch_size],
            q: Array2::zeros((batch_size, mlp.classes())),
            ws: Workspace::new(mlp.sizes(), batch_size),
            grads: Staggered::zeros(mlp.params().len(), 1),
            adam: Adam::new(mlp.params().len(), adam),
        }
    }

    /// One step on the samples `indices` (at most the batch size): forward, the objective's loss
    /// and its fused gradient, backward, Adam. Returns the batch's *summed* loss (NaN or infinite
    /// if the model diverged, in which case the parameters are left untouched).
    pub fn step(
        &mut self,
        mlp: &mut Mlp<F>,
        data: &Dataset,
        indices: &[usize],
        objective: &Objective<'_>,
    ) -> f64 {
        let rows = indices.len();
        let labels = &mut self.labels[..rows];
        let mut x = self.x.slice_mut(s![..rows, ..]);
        gather_batch(data, indices, x.view_mut(), labels);
        let x = x.view();
        mlp.forward(x, &mut self.ws);
        let loss_sum = match objective {
            Objective::HardLabels => {
                let (logits, probs, _) = self.ws.loss_buffers(rows);
                let loss_sum = softmax_cross_entropy(logits, labels, probs);
                let (_, probs, dlogits) = self.ws.loss_buffers(rows);
                cross_entropy_backward(probs.view(), labels, dlogits);
                loss_sum
            }
            Objective::Distill { targets, loss } => {
                let mut q = self.q.slice_mut(s![..rows, ..]);
                for (mut q_row, &i) in q.rows_mut().into_iter().zip(indices) {
                    for (dst, &src) in q_row.iter_mut().zip(targets.row(i)) {
                        *dst = F::of(f64::from(src));
                    }
                }
                let (logits, probs, dlogits) = self.ws.loss_buffers(rows);
                distillation_loss(logits, labels, q.view(), loss, probs, dlogits)
            }
            Objective::Smoothed { epsilon } => {
                let (logits, probs, dlogits) = self.ws.loss_buffers(rows);
                label_smoothing_loss(logits, labels, *epsilon, probs, dlogits)
            }
        };
        if !loss_sum.is_finite() {
            return loss_sum;
        }
        mlp.backward(x, &mut self.ws, &mut self.grads);
        self.adam.step(mlp.params_mut(), &self.grads);
        loss_sum
    }

    /// One pass over `order` in batches (the last one shorter if need be), calling
    /// `on_batch(batch, batches)` after each step. Returns the mean loss, or where the loss
    /// stopped being finite, or where a stop was asked for ([`crate::train::interrupt`], checked before
    /// every step).
    pub fn epoch(
        &mut self,
        mlp: &mut Mlp<F>,
        data: &Dataset,
        order: &[usize],
        objective: &Objective<'_>,
        on_batch: &mut dyn FnMut(usize, usize),
    ) -> Result<f64, Divergence> {
        // the other workers of the pool wait for the step's split products awake, not asleep
        with_workers_awake(|| {
            let batches = order.len().div_ceil(self.batch_size);
            let mut loss_sum = 0.0f64;
            for (b, indices) in order.chunks(self.batch_size).enumerate() {
                if crate::train::interrupt::requested() {
                    return Err(Divergence {
                        batch: b + 1,
                        loss: f64::NAN,
                        interrupted: true,
                    });
                }
                // The next batch's images come from memory while this step computes.
                let next = order.chunks(self.batch_size).nth(b + 1).unwrap_or(&[]);
                prefetch_images(data, next);
                let batch_loss = self.step(mlp, data, indices, objective);
                if !batch_loss.is_finite() {
                    return Err(Divergence {
                        batch: b + 1,
                        loss: batch_loss,
                        interrupted: false,
                    });
                }
                loss_sum += batch_loss;
                on_batch(b + 1, batches);
            }
            Ok(loss_sum / order.len().max(1) as f64)
        })
    }
}

/// Where an epoch's loss stopped being finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Divergence {
    /// 1-based batch of the epoch.
    pub batch: usize,
    /// The batch's loss (NaN or infinite; NaN when interrupted).
    pub loss: f64,
    /// The user asked to stop ([`crate::train::interrupt`]) before this batch ran: not a divergence.
    pub interrupted: bool,
}
