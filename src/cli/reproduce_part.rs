//! `kd-mlp reproduce --only ...`: one part of the study (one task of a job array), trained into a
//! folder that the other parts share, with one line per model on stderr (a batch job's log) and
//! no report: the report is made once, when every part is done.

use kd_mlp::data::Mnist;
use kd_mlp::study::selection::Part;
use kd_mlp::study::{self, ResultsStore, Study, StudyEvent};
use kd_mlp::Error;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Trains the models of `part` into `out` on `threads` workers.
pub fn run(
    study: &Study,
    part: &Part,
    mnist: &Mnist,
    out: &Path,
    threads: usize,
) -> Result<(), Error> {
    let store = ResultsStore::open_shared(out, &study.protocol)?;
    super::common::warn_empty_classes(mnist);
    let trained = AtomicUsize::new(0);
    let started = Instant::now();
    let tally = Mutex::new(PartTally::default());
    let on_event = |event: StudyEvent| match &event {
        StudyEvent::PartPlanned { models, cost } => {
            let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
            (t.models, t.cost) = (*models, *cost);
            eprintln!("this part has {models} models left to train");
        }
        StudyEvent::ModelDone {
            key,
            test_error,
            cost,
            resumed: false,
        } if *cost > 0.0 => {
            let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
            t.done += 1;
            t.cost_done += cost;
            trained.fetch_add(1, Ordering::Relaxed);
            eprintln!(
                "done {key}: test error {:.2}% [{}/{} models, {}]",
                100.0 * test_error,
                t.done,
                t.models,
                t.eta(started.elapsed().as_secs_f64())
            );
        }
        _ => {}
    };
    let result = study::run_part(
        study,
        part,
        &mnist.train,
        &mnist.test,
        &store,
        threads,
        &on_event,
    );
    let trained = trained.load(Ordering::Relaxed);
    let (records, units) = match result {
        Err(Error::Interrupted(_)) => {
            return Err(Error::Interrupted(format!(
            "{trained} models of this part were saved in {}; run the same command again to resume",
            out.display()
        )))
        }
        other => other?,
    };
    let slice = part
        .slice
        .map_or("all".to_string(), |s| format!("{}/{}", s.index, s.count));
    println!(
        "part {} slice {slice} of {units} units: {} models, {trained} trained now and {} found on disk, in {:.1} s on {threads} threads; results in {}",
        part.roles
            .as_ref()
            .map_or("all".to_string(), |roles| format!("{roles:?}").to_lowercase()),
        records.len(),
        records.len().saturating_sub(trained),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// What a part has trained so far, in models and in the cost units of the ETA
/// ([`kd_mlp::study::role_cost`]), against what it had left to train when it started.
#[derive(Default)]
struct PartTally {
    models: usize,
    cost: f64,
    done: usize,
    cost_done: f64,
}

impl PartTally {
    /// The time left at the rate of the models trained so far in this process.
    fn eta(&self, elapsed: f64) -> String {
        let left = (self.cost - self.cost_done).max(0.0);
        if left == 0.0 {
            return "the last one".into();
        }
        let seconds = (elapsed / self.cost_done * left).round() as u64;
        format!("about {} min {:02} s left", seconds / 60, seconds % 60)
    }
}
