//! What a study tells its display: events per model, the cost model behind the ETA, and a
//! thread-safe tally of work done and models in flight.

use super::protocol::Study;
use crate::study::record::Role;
use std::sync::Mutex;

/// What the progress display is told.
#[derive(Debug, Clone)]
pub enum StudyEvent {
    /// A model started (or was found on disk: `resumed`).
    ModelStarted { key: String, resumed: bool },
    /// A model finished an epoch.
    Epoch {
        key: String,
        epoch: usize,
        val_error: f64,
    },
    /// A model is done (`resumed`: its record was already on disk); `cost` is its share of the
    /// study's work.
    ModelDone {
        key: String,
        test_error: f64,
        cost: f64,
        resumed: bool,
    },
    /// A part of the study (`reproduce --only`) was planned: `models` of its models are not on
    /// disk yet and will train, their costs summing to `cost`.
    PartPlanned { models: usize, cost: f64 },
}

/// Relative cost of training one model of a role, for the ETA: a teacher epoch is ~12 times a
/// student epoch (214.6 vs 17.3 GFLOP, docs/MATH.md).
pub fn role_cost(role: Role) -> f64 {
    match role {
        Role::Teacher => 12.0,
        Role::Ensemble => 0.0,
        Role::Member | Role::Independent | Role::Distilled | Role::Smoothed => 1.0,
    }
}

/// The total cost of a study, for the ETA: the sum of [`role_cost`] over its models (every
/// size cell its teacher and members, every student width its independent, distilled and
/// smoothed students).
pub fn study_cost(study: &Study) -> f64 {
    let axes = &study.axes;
    let students = role_cost(Role::Independent)
        + study.arms.len() as f64 * role_cost(Role::Distilled)
        + axes.smoothing_arms(&study.arms).len() as f64 * role_cost(Role::Smoothed);
    let per_size = role_cost(Role::Teacher)
        + study.protocol.ensemble_size as f64 * role_cost(Role::Member)
        + axes.archs(&study.protocol.student_hidden).len() as f64 * students;
    let per_rep = axes.sizes().len() as f64 * per_size;
    per_rep * study.repetitions_to_run().len() as f64
}

/// Collects progress for a display; thread-safe.
#[derive(Debug, Default)]
pub struct ProgressState {
    inner: Mutex<ProgressInner>,
}

#[derive(Debug, Default)]
struct ProgressInner {
    done_cost: f64,
    in_flight: Vec<(String, usize)>,
}

impl ProgressState {
    /// Applies an event; returns (work done so far, a short description of what is training).
    pub fn apply(&self, event: &StudyEvent) -> (f64, String) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            StudyEvent::ModelStarted {
                key,
                resumed: false,
            } => s.in_flight.push((key.clone(), 0)),
            StudyEvent::ModelStarted { .. } => {}
            StudyEvent::Epoch { key, epoch, .. } => {
                if let Some(entry) = s.in_flight.iter_mut().find(|(k, _)| k == key) {
                    entry.1 = *epoch;
                }
            }
            StudyEvent::ModelDone { key, cost, .. } => {
                s.done_cost += cost;
                s.in_flight.retain(|(k, _)| k != key);
            }
            StudyEvent::PartPlanned { .. } => {}
        }
        let training = s
            .in_flight
            .iter()
            .map(|(k, e)| format!("{k} (epoch {e})"))
            .collect::<Vec<_>>()
            .join(", ");
        (s.done_cost, training)
    }
}
