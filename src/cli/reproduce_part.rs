//! `kd-mlp reproduce --only ...`: one part of the study (one task of a job array), trained into a
//! folder that the other parts share, with one line per model on stderr (a batch job's log) and
//! no report: the report is made once, when every part is done.

use kd_mlp::data::Mnist;
use kd_mlp::study::selection::Part;
use kd_mlp::study::{self, ResultsStore, Study, StudyEvent};
use kd_mlp::Error;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    let on_event = |event: StudyEvent| {
        if let StudyEvent::ModelDone {
            key,
            test_error,
            resumed: false,
            ..
        } = &event
        {
            trained.fetch_add(1, Ordering::Relaxed);
            eprintln!("done {key}: test error {:.2}%", 100.0 * test_error);
        }
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
