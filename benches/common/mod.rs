//! What the benches share: the layer shapes of the study and MNIST for the benches that need it.

#![allow(dead_code)] // each bench uses its own subset

use kd_mlp::data::{load_dir, Mnist};
use std::path::Path;
use std::time::Duration;

/// The teacher's layer sizes.
pub const TEACHER: [usize; 7] = [784, 500, 400, 300, 200, 100, 10];
/// The student's layer sizes (and an ensemble member's).
pub const STUDENT: [usize; 3] = [784, 100, 10];

/// MNIST from data/mnist, or exit with the fetch command (a bench has no data to invent).
pub fn mnist() -> Mnist {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    match load_dir(&dir) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("this bench needs MNIST: {e}");
            std::process::exit(1);
        }
    }
}

/// `KD_MLP_BENCH_QUICK=1`: the profile for a small board (under 2 minutes here): fewer shapes,
/// shorter timing, a training epoch over 8 000 samples instead of 54 000.
pub fn quick() -> bool {
    std::env::var_os("KD_MLP_BENCH_QUICK").is_some_and(|v| v != "0")
}

/// Sets a group's warm-up and measurement times: the given ones, or short ones in the quick
/// profile.
pub fn timing<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
    warm_up: Duration,
    measurement: Duration,
) {
    if quick() {
        group
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(700));
    } else {
        group.warm_up_time(warm_up).measurement_time(measurement);
    }
}
