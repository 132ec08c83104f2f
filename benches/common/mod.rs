//! What the benches share: the layer shapes of the study and MNIST for the benches that need it.

#![allow(dead_code)] // each bench uses its own subset

use kd_mlp::data::{load_dir, Mnist};
use std::path::Path;

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
