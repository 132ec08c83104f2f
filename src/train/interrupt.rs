//! Stopping a long run cleanly when the user presses Ctrl-C (SIGINT) or the system asks the
//! process to end (SIGTERM).
//!
//! The signal handler does nothing but raise a process-wide flag. Training looks at the flag
//! once per batch and stops with [`crate::Error::Interrupted`] before the
//! next step; the scheduler of a study starts no new job once it is raised. Nothing is written
//! for a model whose training was cut short, and every file that *is* written goes through a
//! temporary file and a rename ([`crate::persist::write_atomically`]), so an interrupted run
//! leaves only whole files behind and the same command resumes it.
//!
//! A second Ctrl-C ends the process at once (exit code 130), for when the user will not wait
//! for the running batch, evaluation or report to finish. That is safe for the same reason: a
//! write in progress leaves at most a hidden temporary file, which nothing ever reads.

use crate::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};

/// Raised by the handler (or by [`request`]); never lowered in the binary.
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The conventional exit code of a process ended by SIGINT (128 + 2).
pub const EXIT_CODE: u8 = 130;

/// Asks every training loop of the process to stop at its next batch.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether a stop has been asked for. Cheap enough to call once per batch.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Lowers the flag again (for embedding the library in a longer-lived program).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Installs the SIGINT/SIGTERM handler: the first signal raises the flag, a second one exits
/// at once with code [`EXIT_CODE`]. Call it once, from the binary; a library user who wants
/// other behaviour can call [`request`] from a handler of their own instead.
pub fn install_handler() -> Result<(), Error> {
    ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            eprintln!("interrupted twice: stopping now");
            std::process::exit(i32::from(EXIT_CODE));
        }
        eprintln!(
            "interrupt received: stopping after the current batch (Ctrl-C again to stop at once)"
        );
    })
    .map_err(|e| Error::Config(format!("cannot install the Ctrl-C handler: {e}")))
}
