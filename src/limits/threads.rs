//! `--threads` against the cores this process may run on.
//!
//! More workers than cores change no result (products split by output columns, docs/MATH.md)
//! but cost: the workers time-slice the cores, each holds a stack and a kernel task, and
//! `reproduce` trains one model per worker, so its memory grows with them. A little
//! oversubscription is legitimate (a flag copied from a bigger machine, a shared node) and gets
//! a warning; [`MAX_THREADS_PER_CORE`] times the cores is refused.

pub use crate::engine::kernels::threads::usable_cores;
use crate::error::Error;

/// Workers per usable core above which `--threads` is refused: 64 on a 2-core machine, 4 096 on
/// 128 cores. Why this bound: nothing gets faster past one worker per core, and by 32 per core
/// a `--threads` copied from a machine 32 times larger is still accepted (with a warning),
/// while the values that made a 2-core machine unusable (5 000 and 100 000 workers: minutes of
/// thread creation, 16 000 threads before `mmap` failed) are refused before one is started.
pub const MAX_THREADS_PER_CORE: usize = 32;

/// The workers of the pool that computes the products for `--threads requested`: one per core
/// for 0 (counted here, so that rayon's `RAYON_NUM_THREADS` cannot bring back a count this
/// check never saw), and at most one per core otherwise. Why: a product split over more workers than cores only makes them take turns, and
/// every split wakes sleeping workers that find nothing to do; measured on 2 cores, a student
/// epoch at `--threads 64` took 1.9 times as long as at `--threads 2` even with the spinning
/// capped (docs/RELIABILITY.md). The bytes do not depend on the count.
pub fn pool_threads(requested: usize, cores: usize) -> usize {
    if requested == 0 || requested > cores.max(1) {
        cores.max(1)
    } else {
        requested
    }
}

/// Checks `requested` (`--threads`; 0 means one per core) against `cores`: an error far above
/// them, a warning (the text to print) above them.
pub fn check_threads(requested: usize, cores: usize) -> Result<Option<String>, Error> {
    let cores = cores.max(1);
    let limit = cores.saturating_mul(MAX_THREADS_PER_CORE);
    if requested > limit {
        return Err(Error::Config(format!(
            "--threads {requested} is more than {MAX_THREADS_PER_CORE} workers for each of the \
             {cores} cores this process may run on (at most {limit}); results do not depend on \
             it: use --threads 0 (one per core) or at most {limit}"
        )));
    }
    if requested > cores {
        return Ok(Some(format!(
            "warning: --threads {requested} is more than the {cores} cores this process may run \
             on: products run on {cores} workers (more would only take turns on the cores), and \
             reproduce trains {requested} models side by side, each slower and all in memory at \
             once; results are the same with --threads 0 (one per core)"
        )));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_the_cores_is_silent_above_warns_far_above_is_refused() {
        assert_eq!(check_threads(0, 2).unwrap(), None);
        assert_eq!(check_threads(2, 2).unwrap(), None);
        let warning = check_threads(3, 2).unwrap().unwrap();
        assert!(
            warning.contains("--threads 3") && warning.contains("2 cores"),
            "{warning}"
        );
        assert!(check_threads(64, 2).unwrap().is_some());
        let err = check_threads(65, 2).unwrap_err().to_string();
        assert!(err.contains("at most 64"), "{err}");
        assert!(check_threads(usize::MAX, usize::MAX).is_ok());
        assert!(check_threads(usize::MAX, 128).is_err());
        // no core count read: one core
        assert!(check_threads(33, 0).is_err());
        assert_eq!(pool_threads(0, 2), 2);
        assert_eq!(pool_threads(2, 2), 2);
        assert_eq!(pool_threads(64, 2), 2);
        assert_eq!(pool_threads(3, 0), 1);
    }
}
