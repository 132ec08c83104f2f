//! The training loop: shuffled batches, Adam, a validation pass per epoch, early stopping with the
//! best weights restored, and progress events for whoever displays them.

use crate::adam::{Adam, AdamConfig};
use crate::batch::{gather_batch, pixel_table};
use crate::data::Dataset;
use crate::early_stopping::{EarlyStopping, Monitor, Verdict};
use crate::error::Error;
use crate::evaluate::evaluate;
use crate::loss::{cross_entropy_backward, distillation_loss, softmax_cross_entropy, Distillation};
use crate::mlp::{Mlp, Workspace};
use crate::rng::{stream_rng, Stream};
use crate::stagger::Staggered;
use crate::teacher::SoftTargets;
use crate::threads::{flush_denormals, with_workers_awake};
use crate::Float;
use ndarray::{s, Array2};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Instant;

/// How to train; the defaults are the protocol's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Samples per step; the last, shorter batch of an epoch is kept.
    pub batch_size: usize,
    /// Epoch cap, whatever early stopping says.
    pub max_epochs: usize,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Improvement threshold of early stopping.
    pub min_delta: f64,
    /// What early stopping watches.
    pub monitor: Monitor,
    pub adam: AdamConfig,
    /// Seed of the batch order (the model's `Shuffle` stream).
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch_size: 32,
            max_epochs: 100,
            patience: 2,
            min_delta: 0.0,
            monitor: Monitor::ValLoss,
            adam: AdamConfig::default(),
            seed: 1,
        }
    }
}

/// The training and validation samples of a run, as index ranges into one data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Range<usize>,
    pub validation: Range<usize>,
}

impl Split {
    /// The protocol's split of a training file of `len` samples: its last `fraction` validates
    /// (see [`crate::data::validation_split`]); for 60 000 and 0.1, 54 000 train and 6 000
    /// validate.
    ///
    /// ```
    /// let split = kd_mlp::train::Split::holdout(60_000, 0.1);
    /// assert_eq!((split.train, split.validation), (0..54_000, 54_000..60_000));
    /// ```
    pub fn holdout(len: usize, fraction: f64) -> Self {
        let (train, validation) = crate::data::validation_split(len, fraction);
        Self { train, validation }
    }
}

/// What happened in one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss (the objective's) over the epoch's batches, weights changing as it goes,
    /// as Keras reports it.
    pub train_loss: f64,
    pub val_loss: f64,
    /// Fraction misclassified on the validation split.
    pub val_error: f64,
    /// Seconds spent on the training steps (not the validation pass).
    pub seconds: f64,
    /// Training samples per second.
    pub samples_per_s: f64,
    /// Seconds of the validation pass.
    pub val_seconds: f64,
}

/// The outcome of a training run. The model holds the best epoch's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub epochs: Vec<EpochRecord>,
    /// The epoch whose weights the model holds.
    pub best_epoch: usize,
    /// Whether early stopping ended the run (rather than the epoch cap).
    pub stopped_early: bool,
    /// Seconds spent on training steps, summed over epochs.
    pub train_seconds: f64,
}

/// Progress, for a display.
#[derive(Debug, Clone, Copy)]
pub enum TrainEvent<'a> {
    /// An epoch is starting and will run `batches` steps.
    EpochStarted { epoch: usize, batches: usize },
    /// Step `batch` (1-based) of the epoch is done.
    BatchDone {
        epoch: usize,
        batch: usize,
        batches: usize,
    },
    /// The epoch and its validation pass are done.
    EpochDone(&'a EpochRecord),
}

fn check_config(
    cfg: &TrainConfig,
    split: &Split,
    data: &Dataset,
    inputs: usize,
) -> Result<(), Error> {
    let bad = |what: String| Err(Error::Config(what));
    if cfg.batch_size == 0 {
        return bad("batch size must be at least 1".into());
    }
    if cfg.max_epochs == 0 {
        return bad("the epoch cap must be at least 1".into());
    }
    if split.train.is_empty() || split.validation.is_empty() {
        return bad(format!(
            "training needs both training and validation samples; got {} and {}",
            split.train.len(),
            split.validation.len()
        ));
    }
    if split.train.end > data.len() || split.validation.end > data.len() {
        return bad(format!(
            "the split {split:?} runs past the {} samples of the data set",
            data.len()
        ));
    }
    if inputs != data.pixels() {
        return bad(format!(
            "the model takes {inputs} inputs but the images have {} pixels ({}x{})",
            data.pixels(),
            data.rows(),
            data.cols()
        ));
    }
    let lr = cfg.adam.learning_rate;
    if !(lr.is_finite() && lr > 0.0) {
        return bad(format!("the learning rate must be positive, got {lr}"));
    }
    Ok(())
}

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
}

/// The buffers of the training step, made once per model so that a step allocates nothing:
/// the batch, the forward/backward workspace, the gradient and Adam's moments.
pub struct Trainer<F> {
    batch_size: usize,
    table: [F; 256],
    x: Array2<F>,
    labels: Vec<usize>,
    /// The batch's soft targets (distillation only).
    q: Array2<F>,
    ws: Workspace<F>,
    /// In page slot 1, apart from the parameters and Adam's moments ([`crate::stagger`]).
    grads: Staggered<F>,
    adam: Adam<F>,
}

impl<F: Float> Trainer<F> {
    /// Buffers for training `mlp` with batches of up to `batch_size` samples.
    pub fn new(mlp: &Mlp<F>, batch_size: usize, adam: AdamConfig) -> Self {
        let batch_size = batch_size.max(1);
        Self {
            batch_size,
            table: pixel_table::<F>(),
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
        gather_batch(data, indices, &self.table, x.view_mut(), labels);
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
    /// stopped being finite, or where a stop was asked for ([`crate::interrupt`], checked before
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
                if crate::interrupt::requested() {
                    return Err(Divergence {
                        batch: b + 1,
                        loss: f64::NAN,
                        interrupted: true,
                    });
                }
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
    /// The user asked to stop ([`crate::interrupt`]) before this batch ran: not a divergence.
    pub interrupted: bool,
}

/// Trains `mlp` on `objective` until early stopping (or the epoch cap), then restores the best
/// epoch's weights. `name` identifies the model in errors.
///
/// Denormals are flushed on every thread of the current rayon pool first (see
/// [`crate::threads`]): that is both faster and part of the arithmetic, so a model trains to the
/// same bits in any pool.
///
/// A NaN or infinite loss stops training with [`Error::Diverged`], the model restored to the best
/// epoch so far (or to its initial weights). So does a stop asked for through
/// [`crate::interrupt`] (Ctrl-C), checked before every batch, with [`Error::Interrupted`].
///
/// Derivation: `docs/MATH.md`, section "Early stopping" (and "Determinism" for the denormal flush).
pub fn train<F: Float>(
    mlp: &mut Mlp<F>,
    data: &Dataset,
    split: &Split,
    cfg: &TrainConfig,
    objective: &Objective<'_>,
    name: &str,
    on_event: &mut dyn FnMut(TrainEvent<'_>),
) -> Result<TrainReport, Error> {
    check_config(cfg, split, data, mlp.inputs())?;
    if data.classes() > mlp.classes() {
        return Err(Error::Config(format!(
            "the model has {} outputs but the labels have {} classes",
            mlp.classes(),
            data.classes()
        )));
    }
    if let Objective::Distill { targets, .. } = objective {
        let (rows, classes) = targets.rows().dim();
        if rows != data.len() || classes != mlp.classes() {
            return Err(Error::Config(format!(
                "the soft targets cover {rows} samples of {classes} classes, the data has {} samples and the model {} classes",
                data.len(),
                mlp.classes()
            )));
        }
    }
    rayon::broadcast(|_| flush_denormals());
    flush_denormals();

    let mut trainer = Trainer::new(mlp, cfg.batch_size.min(split.train.len()), cfg.adam);
    let mut best_params = mlp.params().to_vec();
    let mut stopper = EarlyStopping::new(cfg.patience, cfg.min_delta);
    let mut order: Vec<usize> = split.train.clone().collect();
    let mut rng = stream_rng(cfg.seed, Stream::Shuffle);
    let batches = order.len().div_ceil(trainer.batch_size);

    let mut report = TrainReport {
        epochs: Vec::new(),
        best_epoch: 0,
        stopped_early: false,
        train_seconds: 0.0,
    };
    for epoch in 1..=cfg.max_epochs {
        on_event(TrainEvent::EpochStarted { epoch, batches });
        order.shuffle(&mut rng);
        let started = Instant::now();
        let mut on_batch = |batch, batches| {
            on_event(TrainEvent::BatchDone {
                epoch,
                batch,
                batches,
            })
        };
        let train_loss = match trainer.epoch(mlp, data, &order, objective, &mut on_batch) {
            Ok(loss) => loss,
            Err(Divergence {
                batch,
                interrupted: true,
                ..
            }) => {
                mlp.params_mut().copy_from_slice(&best_params);
                return Err(Error::Interrupted(format!(
                    "training of {name} stopped before epoch {epoch}, batch {batch}; nothing of it was saved"
                )));
            }
            Err(Divergence { batch, loss, .. }) => {
                mlp.params_mut().copy_from_slice(&best_params);
                return Err(Error::Diverged {
                    model: name.to_string(),
                    epoch,
                    batch,
                    value: loss,
                });
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        let val_started = Instant::now();
        let val = evaluate(mlp, data, split.validation.clone());
        let record = EpochRecord {
            epoch,
            train_loss,
            val_loss: val.loss,
            val_error: val.error,
            seconds,
            samples_per_s: order.len() as f64 / seconds,
            val_seconds: val_started.elapsed().as_secs_f64(),
        };
        if !record.val_loss.is_finite() {
            mlp.params_mut().copy_from_slice(&best_params);
            return Err(Error::Diverged {
                model: name.to_string(),
                epoch,
                batch: batches,
                value: record.val_loss,
            });
        }
        report.train_seconds += seconds;
        on_event(TrainEvent::EpochDone(&record));
        let monitored = match cfg.monitor {
            Monitor::ValLoss => record.val_loss,
            Monitor::ValError => record.val_error,
            Monitor::TrainLoss => record.train_loss,
        };
        report.epochs.push(record);
        match stopper.observe(epoch, monitored) {
            Verdict::Improved => best_params.copy_from_slice(mlp.params()),
            Verdict::Wait => {}
            Verdict::Stop => {
                report.stopped_early = true;
                break;
            }
        }
    }
    mlp.params_mut().copy_from_slice(&best_params);
    report.best_epoch = stopper.best_epoch();
    Ok(report)
}
