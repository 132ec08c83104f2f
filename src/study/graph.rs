//! Running a study: the graph of jobs (teachers, members and independent students, ensembles,
//! soft targets, distilled students), each model trained, evaluated and saved, or found on disk.
//!
//! For each repetition `r` the study trains the teacher, the ensemble members and the
//! independent student, assembles the ensemble, then distils one student per arm (source ×
//! soft-target mode × T × α). The independent and every distilled student of a repetition share
//! their seed — the same initial weights and the same batch order — so their test errors can be
//! compared pair by pair. Every model's record and weights are written the moment it finishes;
//! a re-run skips whatever is already on disk.

use super::axes::SmoothingArm;
use super::models::{model_key, Context, Job, Slot};
use super::progress::StudyEvent;
use super::protocol::Study;
use super::selection::Part;
use super::store::ResultsStore;
use super::subset::{cell_data, CellData};
use crate::data::Dataset;
use crate::engine::loss::SoftTargetMode;
use crate::engine::mlp::Mlp;
use crate::error::Error;
use crate::study::record::{distilled_name, DistillSettings, Record, Role, Source};
use crate::study::scheduler::{Finished, Node};
use crate::train::teacher::{SoftTargets, Teacher};
use std::collections::HashMap;

mod part;
pub use part::run_part;

/// Runs the study on `train_data` (split by the protocol) and evaluates on `test_data`,
/// skipping every model whose record is already in `store`. The models run as a graph of jobs
/// on `workers` threads (see [`crate::study::scheduler`]): teachers first (the longest), then ensemble
/// members and independent students, the soft targets as soon as their teacher is ready, and
/// the distilled students last. Returns all records of the study, in job order.
pub fn run(
    study: &Study,
    train_data: &Dataset,
    test_data: &Dataset,
    store: &ResultsStore,
    workers: usize,
    on_event: &(dyn Fn(StudyEvent) + Sync),
) -> Result<Vec<Record>, Error> {
    run_part(
        study,
        &Part::default(),
        train_data,
        test_data,
        store,
        workers,
        on_event,
    )
    .map(|(records, _units)| records)
}

/// A place in the grid: a repetition, an index into the study's sizes and one into its student
/// architectures (0 for the jobs that do not depend on the width).
#[derive(Debug, Clone, Copy)]
struct Place {
    repetition: usize,
    size: usize,
    arch: usize,
}

/// One job of the study's graph.
#[derive(Debug, Clone)]
enum Task {
    /// The teacher, a member or the independent student of a repetition.
    HardLabels(Place, Job),
    /// The ensemble of a repetition (its dependencies are the members).
    Ensemble(Place),
    /// Soft targets of the repetition's teacher or ensemble (its single dependency) on the
    /// cell's data.
    Targets {
        place: Place,
        temperature: f64,
        mode: SoftTargetMode,
    },
    /// A distilled student (its dependency: its soft targets, or none if it is on disk).
    Distilled(Place, DistillSettings),
    /// A smoothed student (a matched ε depends on the ensemble's soft targets).
    Smoothed(Place, SmoothingArm),
}

impl Task {
    /// The kind of model the job makes; `None` for soft targets, which make none.
    fn role(&self) -> Option<Role> {
        match self {
            Task::HardLabels(_, job) => Some(job.role()),
            Task::Ensemble(_) => Some(Role::Ensemble),
            Task::Targets { .. } => None,
            Task::Distilled(..) => Some(Role::Distilled),
            Task::Smoothed(..) => Some(Role::Smoothed),
        }
    }
}

impl Output {
    /// The record of the model the job made, if it made one.
    fn record(&self) -> Option<&Record> {
        match self {
            Output::Model(record, _) | Output::Ensemble(record, _) | Output::Record(record) => {
                Some(record)
            }
            Output::Targets(_) => None,
        }
    }
}

/// What a job leaves for the jobs that depend on it.
enum Output {
    Model(Record, Mlp<f32>),
    Ensemble(Record, Teacher),
    Targets(SoftTargets),
    Record(Record),
}

/// Scheduling classes: lower runs first among ready jobs.
const FIRST: u64 = 0;
const SOON: u64 = 1;
const NORMAL: u64 = 2;
const LAST: u64 = 3;

impl Context<'_> {
    /// The data of a place's size cell (the whole split, or the repetition's subset).
    fn cell(&self, place: Place) -> Result<CellData<'_>, Error> {
        let size = self.study.axes.sizes()[place.size];
        cell_data(
            self.train_data,
            &self.split,
            self.study.protocol.seed,
            place.repetition,
            size,
        )
    }

    /// The key prefix of a place: its size, and for a student its width.
    fn prefix(&self, place: Place, student: bool) -> String {
        let axes = &self.study.axes;
        let mut prefix = axes.size_prefix(axes.sizes()[place.size]);
        if student {
            prefix += &axes.width_prefix(&self.arch(place));
        }
        prefix
    }

    fn arch(&self, place: Place) -> Vec<usize> {
        self.study.axes.archs(&self.study.protocol.student_hidden)[place.arch].clone()
    }

    /// The graph of jobs: per repetition and size, the teacher (first: it is the longest), the
    /// members, the ensemble and one soft-target job per (source, T, mode) still needed; per
    /// student width, the independent, distilled and smoothed students.
    fn plan(&self) -> Result<(Vec<Task>, Vec<Node>), Error> {
        let mut tasks = Vec::new();
        let mut nodes = Vec::new();
        let mut push = |task: Task, priority: u64, deps: Vec<usize>, transient: bool| {
            tasks.push(task);
            nodes.push(Node {
                priority,
                deps,
                transient,
            });
            nodes.len() - 1
        };
        let axes = &self.study.axes;
        let archs = axes.archs(&self.study.protocol.student_hidden);
        let smoothing = axes.smoothing_arms(&self.study.arms);
        for repetition in self.study.repetitions_to_run() {
            for size in 0..axes.sizes().len() {
                let base = Place {
                    repetition,
                    size,
                    arch: 0,
                };
                let teacher = push(Task::HardLabels(base, Job::Teacher), FIRST, vec![], false);
                let members: Vec<usize> = (0..self.study.protocol.ensemble_size)
                    .map(|m| {
                        push(
                            Task::HardLabels(base, Job::Member(m)),
                            NORMAL,
                            vec![],
                            false,
                        )
                    })
                    .collect();
                let mut ensemble = None;
                let mut targets: HashMap<(Source, u64, SoftTargetMode), usize> = HashMap::new();
                for arch in 0..archs.len() {
                    let place = Place { arch, ..base };
                    let prefix = self.prefix(place, true);
                    let on_disk = |name: &str| -> Result<bool, Error> {
                        Ok(self
                            .store
                            .record(&model_key(repetition, &prefix, name))?
                            .is_some())
                    };
                    push(
                        Task::HardLabels(place, Job::Independent),
                        NORMAL,
                        vec![],
                        false,
                    );
                    let ensemble = *ensemble.get_or_insert_with(|| {
                        push(Task::Ensemble(base), SOON, members.clone(), false)
                    });
                    let mut soft = |source: Source, temperature: f64, mode| {
                        let from = match source {
                            Source::Teacher => teacher,
                            Source::Ensemble => ensemble,
                        };
                        let key = (source, temperature.to_bits(), mode);
                        *targets.entry(key).or_insert_with(|| {
                            let task = Task::Targets {
                                place: base,
                                temperature,
                                mode,
                            };
                            // LAST, like the students, and pushed just before the first of
                            // them: soft targets are made when their students are next, not as
                            // soon as their teacher is ready, so only a few sets (2.4 MB each on
                            // MNIST) are alive at a time instead of every repetition's at once.
                            push(task, LAST, vec![from], true)
                        })
                    };
                    let mut students = Vec::new();
                    for arm in &self.study.arms {
                        let deps = if on_disk(&distilled_name(arm))? {
                            vec![]
                        } else {
                            vec![soft(arm.source, arm.temperature, arm.mode)]
                        };
                        students.push((Task::Distilled(place, *arm), deps));
                    }
                    for arm in &smoothing {
                        let deps = match arm {
                            SmoothingArm::MatchEnsemble { temperature }
                                if !on_disk(&arm.name())? =>
                            {
                                vec![soft(Source::Ensemble, *temperature, SoftTargetMode::Logits)]
                            }
                            _ => vec![],
                        };
                        students.push((Task::Smoothed(place, *arm), deps));
                    }
                    for (task, deps) in students {
                        push(task, LAST, deps, false);
                    }
                }
            }
        }
        Ok((tasks, nodes))
    }

    /// The key of the model `task` makes (`None` for soft targets, which make none).
    fn task_key(&self, task: &Task) -> Option<String> {
        let (place, student, name) = match task {
            Task::HardLabels(p, job) => (*p, matches!(job, Job::Independent), job.name()),
            Task::Ensemble(p) => (*p, false, "ensemble".to_string()),
            Task::Targets { .. } => return None,
            Task::Distilled(p, arm) => (*p, true, distilled_name(arm)),
            Task::Smoothed(p, arm) => (*p, true, arm.name()),
        };
        Some(model_key(
            place.repetition,
            &self.prefix(place, student),
            &name,
        ))
    }

    /// Errors unless the model of `task` (one this run needs but does not train) is on disk.
    fn check_on_disk(&self, task: &Task) -> Result<(), Error> {
        let Some(key) = self.task_key(task) else {
            return Ok(());
        };
        if self.store.record(&key)?.is_some() {
            return Ok(());
        }
        Err(Error::Config(format!(
            "this part of the study needs {key}, which is not in {}: train it first \
             (e.g. `reproduce --only teachers` with the same flags and --out)",
            self.store.root().display()
        )))
    }

    fn run_task(
        &self,
        task: &Task,
        deps: &[usize],
        finished: &Finished<'_, Output>,
    ) -> Result<Output, Error> {
        let place = match task {
            Task::HardLabels(p, _)
            | Task::Ensemble(p)
            | Task::Distilled(p, _)
            | Task::Smoothed(p, _) => *p,
            Task::Targets { place, .. } => *place,
        };
        let cell = self.cell(place)?;
        let student = matches!(
            task,
            Task::HardLabels(_, Job::Independent) | Task::Distilled(..) | Task::Smoothed(..)
        );
        let slot = Slot {
            repetition: place.repetition,
            cell: &cell,
            prefix: self.prefix(place, student),
        };
        let arch = self.arch(place);
        let targets = || {
            deps.first()
                .map(|&d| finished.get(d))
                .map(|output| match output.as_ref() {
                    Output::Targets(_) => output,
                    _ => unreachable!("a student depends on soft targets only"),
                })
        };
        match task {
            Task::HardLabels(_, job) => {
                let (record, model) = self.hard_label_model(&slot, *job, &arch)?;
                Ok(Output::Model(record, model))
            }
            Task::Ensemble(_) => {
                let members = deps
                    .iter()
                    .map(|&d| match finished.get(d).as_ref() {
                        Output::Model(_, model) => model.clone(),
                        _ => unreachable!("an ensemble depends on its members only"),
                    })
                    .collect();
                let ensemble = Teacher::ensemble(members)?;
                let record = self.ensemble_record(&slot, &ensemble)?;
                Ok(Output::Ensemble(record, ensemble))
            }
            Task::Targets {
                temperature, mode, ..
            } => {
                let source = finished.get(deps[0]);
                let targets = match source.as_ref() {
                    Output::Model(_, model) => {
                        Teacher::single(model.clone()).soft_targets(&cell.data, *temperature, *mode)
                    }
                    Output::Ensemble(_, ensemble) => {
                        ensemble.soft_targets(&cell.data, *temperature, *mode)
                    }
                    _ => unreachable!("soft targets depend on a teacher or an ensemble"),
                };
                Ok(Output::Targets(targets))
            }
            Task::Distilled(_, arm) => {
                let output = targets();
                let soft = output.as_deref().map(as_targets);
                Ok(Output::Record(
                    self.distilled_model(&slot, arm, &arch, soft)?,
                ))
            }
            Task::Smoothed(_, arm) => {
                let output = targets();
                let soft = output.as_deref().map(as_targets);
                Ok(Output::Record(
                    self.smoothed_model(&slot, arm, &arch, soft)?,
                ))
            }
        }
    }
}

fn as_targets(output: &Output) -> &SoftTargets {
    match output {
        Output::Targets(t) => t,
        _ => unreachable!("checked by the caller"),
    }
}
