//! Runs a graph of jobs (each may depend on others) on a fixed number of worker threads.
//!
//! Why not rayon's `par_iter` over the study's models: a rayon worker that waits inside a
//! model's parallel matrix product steals whatever task is queued, often a *whole other model*,
//! and finishes it before returning; throughput is fine but every model's measured time then
//! includes other models, and their caches interleave. Here each worker thread runs one job at
//! a time in its own one-thread rayon pool (denormals flushed), so a job's time is its own and
//! both cores stay busy as long as two jobs are ready. Workers take the ready job with the
//! lowest priority value first, so long jobs (teachers) can be started early and short ones
//! fill the end.

use crate::engine::kernels::threads::build_pool;
use crate::error::Error;
use std::sync::{Arc, Condvar, Mutex};

/// One job of the graph.
#[derive(Debug, Clone)]
pub struct Node {
    /// Lower runs first among ready jobs (ties: lower index).
    pub priority: u64,
    /// Indices of the jobs whose outputs this one needs.
    pub deps: Vec<usize>,
    /// Drop the output once every dependent is done (for large intermediate results); it is
    /// then `None` in the returned outputs.
    pub transient: bool,
}

/// The outputs of finished jobs, as a running job sees them.
pub struct Finished<'a, T> {
    outputs: &'a [Option<Arc<T>>],
}

impl<T> Finished<'_, T> {
    /// The output of job `i`, which must be one of the running job's dependencies.
    pub fn get(&self, i: usize) -> Arc<T> {
        self.outputs[i]
            .clone()
            .expect("a dependency's output is kept until its dependents finish")
    }
}

struct State<T> {
    done: Vec<bool>,
    started: Vec<bool>,
    outputs: Vec<Option<Arc<T>>>,
    /// Dependents not yet finished, per job.
    waiting_dependents: Vec<usize>,
    running: usize,
    error: Option<Error>,
}

/// Runs every node on `workers` threads; `run(i, finished)` computes job `i`'s output from its
/// dependencies' outputs. Stops starting new jobs at the first error (jobs already running
/// finish) and returns that error; a stop asked for through [`crate::train::interrupt`] counts as an
/// error ([`Error::Interrupted`]). Returns the outputs in node order.
pub fn run_graph<T, F>(
    nodes: &[Node],
    workers: usize,
    run: &F,
) -> Result<Vec<Option<Arc<T>>>, Error>
where
    T: Send + Sync,
    F: Fn(usize, &Finished<'_, T>) -> Result<T, Error> + Sync,
{
    let n = nodes.len();
    for (i, node) in nodes.iter().enumerate() {
        if let Some(&d) = node.deps.iter().find(|&&d| d >= i) {
            return Err(Error::Config(format!(
                "job {i} depends on job {d}, which does not come before it"
            )));
        }
    }
    let mut waiting_dependents = vec![0; n];
    for node in nodes {
        for &d in &node.deps {
            waiting_dependents[d] += 1;
        }
    }
    let state = Mutex::new(State {
        done: vec![false; n],
        started: vec![false; n],
        outputs: vec![None; n],
        waiting_dependents,
        running: 0,
        error: None,
    });
    let wake = Condvar::new();
    let pools = (0..workers.max(1))
        .map(|_| build_pool(1))
        .collect::<Result<Vec<_>, _>>()?;

    std::thread::scope(|scope| {
        for pool in &pools {
            // A thread the system refuses is an error (the workers already started finish
            // their jobs and stop), never a panic.
            let started = std::thread::Builder::new().spawn_scoped(scope, || loop {
                // Take the best ready job, or wait for one to become ready, or leave.
                let (job, inputs) = {
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    let job = loop {
                        if s.error.is_none() && crate::train::interrupt::requested() {
                            s.error = Some(Error::Interrupted("no new job was started".into()));
                        }
                        if s.error.is_some() {
                            break None;
                        }
                        let ready = (0..n)
                            .filter(|&i| !s.started[i] && nodes[i].deps.iter().all(|&d| s.done[d]))
                            .min_by_key(|&i| (nodes[i].priority, i));
                        if let Some(i) = ready {
                            break Some(i);
                        }
                        if s.running == 0 {
                            break None;
                        }
                        s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
                    };
                    let Some(i) = job else {
                        wake.notify_all();
                        return;
                    };
                    s.started[i] = true;
                    s.running += 1;
                    (i, s.outputs.clone())
                };
                let result = pool.install(|| run(job, &Finished { outputs: &inputs }));
                drop(inputs);
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                s.running -= 1;
                match result {
                    Ok(output) => {
                        s.done[job] = true;
                        // A transient output nobody waits for is dropped at once.
                        if !(nodes[job].transient && s.waiting_dependents[job] == 0) {
                            s.outputs[job] = Some(Arc::new(output));
                        }
                        for &d in &nodes[job].deps {
                            s.waiting_dependents[d] -= 1;
                            if s.waiting_dependents[d] == 0 && nodes[d].transient {
                                s.outputs[d] = None;
                            }
                        }
                    }
                    Err(e) => {
                        if s.error.is_none() {
                            s.error = Some(e);
                        }
                    }
                }
                wake.notify_all();
            });
            if let Err(e) = started {
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                if s.error.is_none() {
                    s.error = Some(Error::Config(format!(
                        "cannot start the {workers} workers of the study: {e}"
                    )));
                }
                wake.notify_all();
                break;
            }
        }
    });
    let s = state.into_inner().unwrap_or_else(|e| e.into_inner());
    match s.error {
        Some(e) => Err(e),
        None => Ok(s.outputs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn node(priority: u64, deps: &[usize]) -> Node {
        Node {
            priority,
            deps: deps.to_vec(),
            transient: false,
        }
    }

    #[test]
    fn dependencies_come_first_and_outputs_flow() {
        // 0 and 1 are independent, 2 needs both, 3 needs 2: out(i) = i + Σ out(deps)
        let nodes = [node(0, &[]), node(0, &[]), node(0, &[0, 1]), node(0, &[2])];
        for workers in [1, 2, 3] {
            let out = run_graph(&nodes, workers, &|i, f: &Finished<'_, usize>| {
                Ok(i + nodes[i].deps.iter().map(|&d| *f.get(d)).sum::<usize>())
            })
            .unwrap();
            let values: Vec<usize> = out.iter().map(|o| **o.as_ref().unwrap()).collect();
            assert_eq!(values, vec![0, 1, 3, 6]);
        }
    }

    #[test]
    fn one_worker_follows_priority_and_transient_outputs_are_dropped() {
        let order = Mutex::new(Vec::new());
        let mut nodes = vec![node(5, &[]), node(1, &[]), node(3, &[]), node(0, &[0])];
        nodes[0].transient = true;
        let out = run_graph(&nodes, 1, &|i, _: &Finished<'_, usize>| {
            order.lock().unwrap().push(i);
            Ok(i)
        })
        .unwrap();
        // 3 has the best priority but waits for 0, which has the worst
        assert_eq!(*order.lock().unwrap(), vec![1, 2, 0, 3]);
        assert!(
            out[0].is_none(),
            "the transient output is dropped after its dependent ran"
        );
        let alone = [Node {
            transient: true,
            ..node(0, &[])
        }];
        let lone = run_graph(&alone, 1, &|i, _: &Finished<'_, usize>| Ok(i)).unwrap();
        assert!(
            lone[0].is_none(),
            "a transient output without dependents is not kept"
        );
        assert_eq!(out[3].as_deref(), Some(&3));
    }

    #[test]
    fn the_first_error_stops_new_jobs() {
        let ran = AtomicUsize::new(0);
        let nodes = [node(0, &[]), node(1, &[0]), node(2, &[1])];
        let err = run_graph(&nodes, 2, &|i, _: &Finished<'_, ()>| {
            ran.fetch_add(1, Ordering::SeqCst);
            if i == 1 {
                Err(Error::Config("job 1 failed".into()))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "job 1 failed");
        assert_eq!(ran.load(Ordering::SeqCst), 2, "job 2 never starts");
    }

    #[test]
    fn a_forward_dependency_is_refused() {
        let nodes = [node(0, &[1]), node(0, &[])];
        assert!(run_graph(&nodes, 1, &|_, _: &Finished<'_, ()>| Ok(())).is_err());
    }
}
