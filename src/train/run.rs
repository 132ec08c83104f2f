//! The training loop: shuffled batches, a validation pass per epoch, early stopping with the
//! best weights restored, and progress events for whoever displays them.

use super::config::{check_config, EpochRecord, TrainConfig, TrainEvent, TrainReport};
use super::trainer::{Divergence, Objective, Trainer};
use crate::data::{Dataset, Split};
use crate::engine::kernels::threads::flush_denormals;
use crate::engine::mlp::Mlp;
use crate::engine::rng::{stream_rng, Stream};
use crate::error::Error;
use crate::train::combined_loss::objective_loss;
use crate::train::early_stopping::{EarlyStopping, Monitor, Verdict};
use crate::train::evaluate::evaluate;
use crate::Float;
use rand::seq::SliceRandom;
use std::time::Instant;

/// Trains `mlp` on `objective` until early stopping (or the epoch cap), then restores the best
/// epoch's weights. `name` identifies the model in errors.
///
/// Denormals are flushed on every thread of the current rayon pool first (see
/// [`crate::engine::kernels::threads`]): that is both faster and part of the arithmetic, so a model trains to the
/// same bits in any pool.
///
/// A NaN or infinite loss stops training with [`Error::Diverged`], the model restored to the best
/// epoch so far (or to its initial weights). So does a stop asked for through
/// [`crate::train::interrupt`] (Ctrl-C), checked before every batch, with [`Error::Interrupted`].
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
    // A fixed epoch count replaces both the cap and early stopping.
    let epochs = cfg.fixed_epochs.unwrap_or(cfg.max_epochs);

    let mut report = TrainReport {
        epochs: Vec::new(),
        best_epoch: 0,
        stopped_early: false,
        train_seconds: 0.0,
    };
    for epoch in 1..=epochs {
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
        let val_objective_loss = (cfg.monitor == Monitor::ValCombined)
            .then(|| objective_loss(mlp, data, split.validation.clone(), objective));
        let record = EpochRecord {
            epoch,
            train_loss,
            val_loss: val.loss,
            val_error: val.error,
            seconds,
            samples_per_s: order.len() as f64 / seconds,
            val_seconds: val_started.elapsed().as_secs_f64(),
            val_objective_loss,
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
            Monitor::ValCombined => val_objective_loss.unwrap_or(f64::NAN),
        };
        report.epochs.push(record);
        match stopper.observe(epoch, monitored) {
            Verdict::Improved => best_params.copy_from_slice(mlp.params()),
            Verdict::Wait => {}
            Verdict::Stop if cfg.fixed_epochs.is_some() => {}
            Verdict::Stop => {
                report.stopped_early = true;
                break;
            }
        }
    }
    if cfg.fixed_epochs.is_some() {
        // The last epoch's weights are kept, as `fit` without a callback leaves them.
        report.best_epoch = report.epochs.len();
        return Ok(report);
    }
    mlp.params_mut().copy_from_slice(&best_params);
    report.best_epoch = stopper.best_epoch();
    Ok(report)
}
