//! A part of the study's job graph (`reproduce --only … --shard I/N`, one task of a job array):
//! the graph restricted to the chosen models and what they need, and what is left to train.

use super::{Context, Output, Task};
use crate::data::{Dataset, Split};
use crate::error::Error;
use crate::study::progress::{role_cost, StudyEvent};
use crate::study::protocol::Study;
use crate::study::record::{Record, Role};
use crate::study::scheduler::{run_graph, Finished, Node};
use crate::study::selection::{select, Inclusion, JobShape, Part};
use crate::study::store::ResultsStore;

/// [`crate::study::run`] for a part of the job graph only (see [`crate::study::selection`]): the models of the
/// chosen kinds in one slice, reading every other model they need from `store`. Returns the
/// records of the part's own models and the number of units its selection was sliced over
/// (the most slices that all get work).
pub fn run_part(
    study: &Study,
    part: &Part,
    train_data: &Dataset,
    test_data: &Dataset,
    store: &ResultsStore,
    workers: usize,
    on_event: &(dyn Fn(StudyEvent) + Sync),
) -> Result<(Vec<Record>, usize), Error> {
    let classes = study.protocol.classes;
    if train_data.classes() != classes || test_data.classes() != classes {
        return Err(Error::Config(format!(
            "the protocol has {classes} classes but the training data {} and the test data {}",
            train_data.classes(),
            test_data.classes()
        )));
    }
    let split = Split::holdout(train_data.len(), study.protocol.validation_fraction);
    study.axes.check(split.train.len())?;
    let ctx = Context {
        study,
        train_data,
        test_data,
        split,
        store,
        on_event,
    };
    let (tasks, nodes) = ctx.plan()?;
    let (tasks, nodes, inclusion, units) = restrict(tasks, nodes, part)?;
    // What is left to train: the selected models (an ensemble trains nothing) not on disk yet.
    let mut to_train = Vec::new();
    for (task, &how) in tasks.iter().zip(&inclusion) {
        if let (Inclusion::Selected, Some(role), Some(key)) = (how, task.role(), ctx.task_key(task))
        {
            if role != Role::Ensemble && store.record(&key)?.is_none() {
                to_train.push(role);
            }
        }
    }
    on_event(StudyEvent::PartPlanned {
        models: to_train.len(),
        cost: to_train.iter().map(|&role| role_cost(role)).sum(),
    });
    // The records are collected as the jobs finish, so that every job's output (a model, an
    // ensemble, soft targets) can be dropped as soon as its dependents are done.
    let records = std::sync::Mutex::new(Vec::new());
    run_graph(&nodes, workers, &|i, finished: &Finished<'_, Output>| {
        if inclusion[i] == Inclusion::Required {
            ctx.check_on_disk(&tasks[i])?;
        }
        let output = ctx.run_task(&tasks[i], &nodes[i].deps, finished)?;
        if inclusion[i] == Inclusion::Selected {
            if let Some(record) = output.record() {
                let mut records = records.lock().unwrap_or_else(|e| e.into_inner());
                records.push((i, record.clone()));
            }
        }
        Ok(output)
    })?;
    let mut records = records.into_inner().unwrap_or_else(|e| e.into_inner());
    records.sort_by_key(|&(i, _)| i);
    Ok((records.into_iter().map(|(_, r)| r).collect(), units))
}

/// The jobs a part runs, their graph nodes and how each takes part, and the number of units its
/// selection was sliced over.
type Restricted = (Vec<Task>, Vec<Node>, Vec<Inclusion>, usize);

/// The jobs of the full graph that `part` runs, renumbered, with how each takes part.
fn restrict(tasks: Vec<Task>, nodes: Vec<Node>, part: &Part) -> Result<Restricted, Error> {
    let shapes: Vec<JobShape<'_>> = tasks
        .iter()
        .zip(&nodes)
        .map(|(task, node)| JobShape {
            role: task.role(),
            deps: &node.deps,
        })
        .collect();
    let (kept, units) = select(&shapes, part)?;
    let mut new_index = vec![usize::MAX; tasks.len()];
    for (k, &(i, _)) in kept.iter().enumerate() {
        new_index[i] = k;
    }
    let mut tasks: Vec<Option<Task>> = tasks.into_iter().map(Some).collect();
    let mut kept_tasks = Vec::with_capacity(kept.len());
    let mut kept_nodes = Vec::with_capacity(kept.len());
    let mut inclusion = Vec::with_capacity(kept.len());
    for &(i, how) in &kept {
        kept_tasks.push(tasks[i].take().expect("each job is kept once"));
        let node = &nodes[i];
        kept_nodes.push(Node {
            deps: node.deps.iter().map(|&d| new_index[d]).collect(),
            // Every output goes once its dependents are done (the records are kept apart):
            // a teacher or an ensemble is not held for the whole study.
            transient: true,
            ..node.clone()
        });
        inclusion.push(how);
    }
    Ok((kept_tasks, kept_nodes, inclusion, units))
}
