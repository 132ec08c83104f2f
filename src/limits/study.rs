//! A study's memory plan, from the shape of its job graph (`study/graph.rs`) and the rule
//! measured in docs/SCALING.md: the process and the data, one model in training per worker
//! (the largest of the study), every teacher and ensemble held from the end of the teacher
//! phase until its students are distilled (the scheduler trains teachers first), one ensemble's
//! members twice while it is assembled, and a few sets of soft targets.
//!
//! Counted without building the graph, so that `--reps 18446744073709551615` is refused at
//! once instead of planning 10^19 jobs.

use super::footprint::{
    dataset_bytes, model_bytes, soft_targets_bytes, soft_targets_work_bytes, training_bytes,
};
use super::plan::MemoryPlan;
use super::runs::{base_plan, DataShape};
use crate::data::Split;
use crate::study::record::Role;
use crate::study::selection::Part;
use crate::study::Study;

/// One job of the graph: its task, node, key and the scheduler's state (a generous round
/// figure; a study has at most a few thousand jobs, so only absurd counts make it matter).
const JOB_BYTES: u128 = 512;

/// The repetitions a study (or its shard) runs, counted without listing them.
fn repetitions(study: &Study) -> usize {
    match study.shard {
        None => study.repetitions,
        Some(s) => {
            let first = s.index - 1;
            if study.repetitions <= first {
                0
            } else {
                (study.repetitions - first).div_ceil(s.count)
            }
        }
    }
}

/// The peak of `study` (or of one `part` of it, `reproduce --only`) on `workers` threads. A
/// part's plan is an upper bound: a slice is counted as if it touched every repetition.
pub fn study_plan(study: &Study, part: &Part, data: &DataShape, workers: usize) -> MemoryPlan {
    let protocol = &study.protocol;
    let workers = workers.max(1);
    // The main pool's threads and the scheduler's own workers, each with a one-thread pool.
    let mut plan = base_plan(workers.saturating_mul(2), Some(data));
    let split = Split::holdout(data.train, protocol.validation_fraction);
    let sizes = study.axes.sizes();
    let largest_cell = sizes
        .iter()
        .map(|s| s.unwrap_or(split.train.len()).min(split.train.len()))
        .max()
        .unwrap_or(0);
    let cells = repetitions(study).saturating_mul(sizes.len());
    let teacher = data.sizes(&protocol.teacher_hidden);
    let member = data.sizes(&protocol.student_hidden);
    let trains = |role: Role| part.roles.as_ref().is_none_or(|r| r.contains(&role));
    let only_teachers = !trains(Role::Independent) && !trains(Role::Distilled);

    // The graph itself: every job of the whole study is planned, then a part restricted.
    let arms = study.arms.len() as u128;
    let per_width = 1 + arms + study.axes.smoothing_arms(&study.arms).len() as u128;
    let per_cell = (protocol.ensemble_size as u128)
        .saturating_add(2 + arms)
        .saturating_add(
            per_width.saturating_mul(study.axes.archs(&protocol.student_hidden).len() as u128),
        );
    let jobs = (study.repetitions as u128)
        .saturating_mul(sizes.len() as u128)
        .saturating_mul(per_cell);
    plan.add(
        format!("the job graph ({jobs} jobs)"),
        jobs.saturating_mul(JOB_BYTES),
        &["--reps", "--ensemble-size", "--temperatures", "--alphas"],
    );

    // One model in training per worker: the largest the part trains or reads.
    let mut archs: Vec<Vec<usize>> = vec![teacher.clone(), member.clone()];
    if !only_teachers {
        archs.extend(
            study
                .axes
                .archs(&protocol.student_hidden)
                .iter()
                .map(|h| data.sizes(h)),
        );
    }
    let largest = archs
        .iter()
        .map(|s| {
            training_bytes(
                s,
                protocol.train.batch_size,
                largest_cell,
                split.validation.len(),
                1,
            )
        })
        .max()
        .unwrap_or(0);
    plan.add(
        format!("{workers} models in training side by side"),
        largest.saturating_mul(workers as u128),
        &["--threads", "--teacher-arch", "--student-arch", "--batch"],
    );

    let ensemble = model_bytes(&member).saturating_mul(protocol.ensemble_size as u128);
    let (teachers_held, ensembles_held) = if only_teachers {
        // nothing waits for students: teachers go at once, and an ensemble lives while it is
        // made from its members
        (0, cells.min(workers))
    } else {
        (cells, cells)
    };
    plan.add(
        format!("{teachers_held} teacher(s) held for their students"),
        model_bytes(&teacher).saturating_mul(teachers_held as u128),
        &["--reps", "--teacher-arch"],
    );
    plan.add(
        format!(
            "{ensembles_held} ensemble(s) of {} held (one twice while it is assembled)",
            protocol.ensemble_size
        ),
        ensemble.saturating_mul(ensembles_held as u128 + 1),
        &["--ensemble-size", "--reps", "--student-arch"],
    );
    if !only_teachers {
        plan.add(
            "soft targets (one set per worker and one more, and the arrays that make one)",
            soft_targets_bytes(largest_cell, data.classes)
                .saturating_mul(workers as u128 + 1)
                .saturating_add(soft_targets_work_bytes(largest_cell, data.classes)),
            &["--threads", "--train-sizes"],
        );
    }
    if !study.axes.train_sizes.is_empty() {
        plan.add(
            "each worker's copy of its training subset",
            dataset_bytes(largest_cell + split.validation.len(), data.pixels)
                .saturating_mul(workers as u128),
            &["--threads", "--train-sizes"],
        );
    }
    plan
}
