//! The jobs of a study that make models: the teacher, a member or the independent student on
//! hard labels, a distilled student, the ensemble's record; each found on disk or trained,
//! evaluated on the test set and saved.

use super::axes::SmoothingArm;
use super::progress::{role_cost, StudyEvent};
use super::protocol::{model_seed, Study};
use super::store::ResultsStore;
use super::subset::CellData;
use crate::data::{Dataset, Split};
use crate::engine::loss::{epsilon_for_entropy, Distillation};
use crate::engine::mlp::Mlp;
use crate::error::Error;
use crate::study::record::{distilled_name, DistillSettings, Record, Role, SmoothingSettings};
use crate::train::evaluate::evaluate;
use crate::train::teacher::{SoftTargets, Teacher};
use crate::train::{train, Objective, TrainConfig, TrainEvent};
use std::time::Instant;

pub(super) struct Context<'a> {
    pub(super) study: &'a Study,
    pub(super) train_data: &'a Dataset,
    pub(super) test_data: &'a Dataset,
    pub(super) split: Split,
    pub(super) store: &'a ResultsStore,
    pub(super) on_event: &'a (dyn Fn(StudyEvent) + Sync),
}

/// Who a model is in the study.
pub(super) struct ModelId {
    key: String,
    role: Role,
    repetition: usize,
    member: Option<usize>,
    distill: Option<DistillSettings>,
    smoothing: Option<SmoothingSettings>,
    seed: u64,
}

/// Where a model sits in the grid: its repetition, the data of its size cell, and the part of
/// its key that names the cell (`n1000/`, `n1000/w16/`, or nothing for the protocol's cell).
pub(super) struct Slot<'c> {
    pub(super) repetition: usize,
    pub(super) cell: &'c CellData<'c>,
    pub(super) prefix: String,
}

impl Slot<'_> {
    /// `rep03/<prefix><name>`.
    pub(super) fn key(&self, name: &str) -> String {
        model_key(self.repetition, &self.prefix, name)
    }
}

/// The key of a model: `rep03/<prefix><name>`, e.g. `rep03/n1000/w16/independent`, or
/// `rep03/independent` in the protocol's cell.
pub(super) fn model_key(repetition: usize, prefix: &str, name: &str) -> String {
    format!("rep{repetition:02}/{prefix}{name}")
}

/// One model to train on hard labels.
#[derive(Debug, Clone, Copy)]
pub(super) enum Job {
    Teacher,
    Member(usize),
    Independent,
}

impl Job {
    /// The kind of model.
    pub(super) fn role(self) -> Role {
        match self {
            Job::Teacher => Role::Teacher,
            Job::Member(_) => Role::Member,
            Job::Independent => Role::Independent,
        }
    }

    /// The last part of the model's key (after the repetition and the cell's prefix).
    pub(super) fn name(self) -> String {
        match self {
            Job::Teacher => "teacher".to_string(),
            Job::Member(m) => format!("member{m:02}"),
            Job::Independent => "independent".to_string(),
        }
    }
}

impl Context<'_> {
    /// The classes without a training example, for the records (and so the report).
    fn empty_classes(&self, data: &Dataset) -> Vec<usize> {
        crate::data::empty_classes(&data.label_counts())
    }

    pub(super) fn sizes(&self, hidden: &[usize]) -> Vec<usize> {
        let mut sizes = vec![self.train_data.pixels()];
        sizes.extend(hidden);
        sizes.push(self.train_data.classes());
        sizes
    }

    /// The teacher, a member or the independent student (of width `student`): from disk, or
    /// trained now.
    pub(super) fn hard_label_model(
        &self,
        slot: &Slot<'_>,
        job: Job,
        student: &[usize],
    ) -> Result<(Record, Mlp<f32>), Error> {
        let protocol = &self.study.protocol;
        let (member, hidden) = match job {
            Job::Teacher => (None, &protocol.teacher_hidden[..]),
            Job::Member(m) => (Some(m), &protocol.student_hidden[..]),
            Job::Independent => (None, student),
        };
        let (name, role) = (job.name(), job.role());
        let key = slot.key(&name);
        if let Some(record) = self.resumed(&key, role)? {
            let model = self.store.model(&key)?;
            return Ok((record, model));
        }
        let r = slot.repetition;
        let seed = model_seed(protocol.seed, r, role, member.unwrap_or(0));
        let id = ModelId {
            key,
            role,
            repetition: r,
            member,
            distill: None,
            smoothing: None,
            seed,
        };
        self.train_model(slot, id, hidden, &Objective::HardLabels)
    }

    /// One distilled student of width `student`, unless its record is on disk (then `targets`
    /// is `None`).
    pub(super) fn distilled_model(
        &self,
        slot: &Slot<'_>,
        arm: &DistillSettings,
        student: &[usize],
        targets: Option<&SoftTargets>,
    ) -> Result<Record, Error> {
        let key = slot.key(&distilled_name(arm));
        if let Some(record) = self.resumed(&key, Role::Distilled)? {
            return Ok(record);
        }
        let targets = targets.expect("soft targets are computed for every arm not on disk");
        let loss = Distillation::new(arm.alpha, arm.temperature, arm.mode)?;
        let r = slot.repetition;
        let seed = model_seed(self.study.protocol.seed, r, Role::Distilled, 0);
        let id = ModelId {
            key,
            role: Role::Distilled,
            repetition: r,
            member: None,
            distill: Some(*arm),
            smoothing: None,
            seed,
        };
        let objective = Objective::Distill { targets, loss };
        Ok(self.train_model(slot, id, student, &objective)?.0)
    }

    /// One smoothed student of width `student`, unless its record is on disk. A fixed ε needs
    /// nothing; a matched ε needs the ensemble's soft targets at its temperature (`targets`), whose
    /// mean entropy over the cell's training samples it matches.
    pub(super) fn smoothed_model(
        &self,
        slot: &Slot<'_>,
        arm: &SmoothingArm,
        student: &[usize],
        targets: Option<&SoftTargets>,
    ) -> Result<Record, Error> {
        let key = slot.key(&arm.name());
        if let Some(record) = self.resumed(&key, Role::Smoothed)? {
            return Ok(record);
        }
        let settings = match *arm {
            SmoothingArm::Fixed(epsilon) => SmoothingSettings {
                epsilon,
                matched_temperature: None,
            },
            SmoothingArm::MatchEnsemble { temperature } => {
                let targets = targets.expect("a matched ε has the ensemble's soft targets");
                let train = slot.cell.split.train.clone();
                let entropy =
                    SoftTargets::from_rows(targets.rows().slice(ndarray::s![train, ..]).to_owned())
                        .mean_entropy();
                SmoothingSettings {
                    epsilon: epsilon_for_entropy(entropy, self.study.protocol.classes),
                    matched_temperature: Some(temperature),
                }
            }
        };
        let r = slot.repetition;
        let seed = model_seed(self.study.protocol.seed, r, Role::Smoothed, 0);
        let id = ModelId {
            key,
            role: Role::Smoothed,
            repetition: r,
            member: None,
            distill: None,
            smoothing: Some(settings),
            seed,
        };
        let objective = Objective::Smoothed {
            epsilon: settings.epsilon,
        };
        Ok(self.train_model(slot, id, student, &objective)?.0)
    }

    /// The record of `key` if it is already on disk (announced as resumed).
    pub(super) fn resumed(&self, key: &str, role: Role) -> Result<Option<Record>, Error> {
        let record = self
            .store
            .record(key)?
            .map(|r| self.with_flops(r))
            .transpose()?;
        if let Some(record) = &record {
            (self.on_event)(StudyEvent::ModelStarted {
                key: key.to_string(),
                resumed: true,
            });
            (self.on_event)(StudyEvent::ModelDone {
                key: key.to_string(),
                test_error: record.test_error,
                cost: role_cost(role),
                resumed: true,
            });
        }
        Ok(record)
    }

    /// Trains one model, evaluates it, and saves its weights and record.
    pub(super) fn train_model(
        &self,
        slot: &Slot<'_>,
        id: ModelId,
        hidden: &[usize],
        objective: &Objective<'_>,
    ) -> Result<(Record, Mlp<f32>), Error> {
        // In a folder shared with other runs, claim the model, then look again: a run that
        // held the claim may have finished it just before.
        let _claim = self.store.claim(&id.key)?;
        if _claim.is_some() {
            if let Some(record) = self.resumed(&id.key, id.role)? {
                return Ok((record, self.store.model(&id.key)?));
            }
        }
        let started = Instant::now();
        (self.on_event)(StudyEvent::ModelStarted {
            key: id.key.clone(),
            resumed: false,
        });
        let sizes = self.sizes(hidden);
        let mut mlp = Mlp::<f32>::glorot(&sizes, id.seed)?;
        let protocol = match &id.distill {
            Some(arm) => arm.stopping.apply(&self.study.protocol.train),
            None => self.study.protocol.train.clone(),
        };
        let cfg = TrainConfig {
            seed: id.seed,
            ..protocol
        };
        let mut on_train = |event: TrainEvent<'_>| {
            if let TrainEvent::EpochDone(e) = event {
                (self.on_event)(StudyEvent::Epoch {
                    key: id.key.clone(),
                    epoch: e.epoch,
                    val_error: e.val_error,
                });
            }
        };
        let data: &Dataset = &slot.cell.data;
        let report = train(
            &mut mlp,
            data,
            &slot.cell.split,
            &cfg,
            objective,
            &id.key,
            &mut on_train,
        )?;
        let best = report
            .epochs
            .iter()
            .find(|e| e.epoch == report.best_epoch)
            .cloned();
        let test = evaluate(&mlp, self.test_data, 0..self.test_data.len());
        let record = Record {
            key: id.key,
            role: id.role,
            repetition: id.repetition,
            member: id.member,
            distill: id.distill,
            seed: id.seed,
            arch: mlp.sizes().to_vec(),
            parameters: mlp.params().len(),
            val_loss: best.as_ref().map_or(f64::NAN, |e| e.val_loss),
            val_error: best.as_ref().map_or(f64::NAN, |e| e.val_error),
            best_epoch: report.best_epoch,
            stopped_early: report.stopped_early,
            test_loss: test.loss,
            test_error: test.error,
            train_flops: Some(self.train_flops(mlp.sizes(), &report.epochs)),
            soft_target_flops: id.distill.map(|d| self.soft_target_flops(d.source)),
            epochs: report.epochs,
            train_seconds: report.train_seconds,
            wall_seconds: started.elapsed().as_secs_f64(),
            empty_classes: self.empty_classes(data),
            train_subset: slot.cell.subset.clone(),
            smoothing: id.smoothing,
        };
        self.store.save(&record, Some(&mlp))?;
        (self.on_event)(StudyEvent::ModelDone {
            key: record.key.clone(),
            test_error: record.test_error,
            cost: role_cost(record.role),
            resumed: false,
        });
        Ok((record, mlp))
    }

    /// The ensemble's record (assembled from the members, nothing trained).
    pub(super) fn ensemble_record(
        &self,
        slot: &Slot<'_>,
        ensemble: &Teacher,
    ) -> Result<Record, Error> {
        let key = slot.key("ensemble");
        if let Some(record) = self.store.record(&key)? {
            return Ok(record);
        }
        let r = slot.repetition;
        let data: &Dataset = &slot.cell.data;
        let started = Instant::now();
        let val = ensemble.evaluate(data, slot.cell.split.validation.clone());
        let test = ensemble.evaluate(self.test_data, 0..self.test_data.len());
        let record = Record {
            key,
            role: Role::Ensemble,
            repetition: r,
            member: None,
            distill: None,
            seed: model_seed(self.study.protocol.seed, r, Role::Ensemble, 0),
            arch: ensemble.members()[0].sizes().to_vec(),
            parameters: ensemble.members().iter().map(|m| m.params().len()).sum(),
            epochs: Vec::new(),
            best_epoch: 0,
            stopped_early: false,
            val_loss: val.loss,
            val_error: val.error,
            test_loss: test.loss,
            test_error: test.error,
            train_seconds: 0.0,
            wall_seconds: started.elapsed().as_secs_f64(),
            train_flops: None,
            soft_target_flops: None,
            empty_classes: self.empty_classes(data),
            train_subset: slot.cell.subset.clone(),
            smoothing: None,
        };
        self.store.save(&record, None)?;
        Ok(record)
    }
}
