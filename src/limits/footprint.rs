//! The bytes of the pieces a run holds: the process itself, a data set, a model in training, an
//! evaluation in flight, soft targets. Counted in `u128` with saturating arithmetic, so that a
//! width of 2^64 − 1 gives a huge number instead of an overflow. The allocations they stand for
//! are in `train/trainer.rs`, `train/run.rs`, `train/evaluate.rs` and `train/teacher.rs`.

/// One f32.
const F32: u128 = 4;

/// The process before any data or model: code, libraries, the allocator and the main thread.
/// `gradcheck` (no data, a tiny network) peaks at 5.4 MiB here; 8 MiB leaves room for the
/// start-up of the heavier commands.
pub const PROCESS_BYTES: u128 = 8 << 20;

/// One more worker thread: the stack pages it touches, its thread-local state and its share of
/// the allocator's arenas (a `train` epoch at `--threads 64` holds about 13 MiB more than at 2).
pub const THREAD_BYTES: u128 = 200 << 10;

/// Rows of one evaluation task (`train::evaluate`'s fixed chunk).
pub const EVAL_ROWS: u128 = 500;

/// The parameters of a network with these layer sizes (`engine::mlp::param_count`, without
/// overflow).
pub fn param_count(sizes: &[usize]) -> u128 {
    sizes
        .windows(2)
        .map(|io| {
            (io[0] as u128)
                .saturating_mul(io[1] as u128)
                .saturating_add(io[1] as u128)
        })
        .fold(0, u128::saturating_add)
}

/// A model's weights in f32.
pub fn model_bytes(sizes: &[usize]) -> u128 {
    param_count(sizes).saturating_mul(F32)
}

/// A data set as kept in memory: one byte per pixel and one per label.
pub fn dataset_bytes(samples: usize, pixels: usize) -> u128 {
    (samples as u128).saturating_mul(pixels as u128 + 1)
}

/// The sum of the layer outputs of one row (hidden widths and classes).
fn outputs_per_row(sizes: &[usize]) -> u128 {
    sizes
        .iter()
        .skip(1)
        .map(|&s| s as u128)
        .fold(0, u128::saturating_add)
}

/// A forward (and backward) pass's buffers for `rows` rows: the f32 input, every layer's output
/// and its gradient, and the probabilities.
pub fn pass_bytes(sizes: &[usize], rows: u128) -> u128 {
    let inputs = sizes.first().copied().unwrap_or(0) as u128;
    let classes = sizes.last().copied().unwrap_or(0) as u128;
    let per_row = inputs
        .saturating_add(outputs_per_row(sizes).saturating_mul(2))
        .saturating_add(classes.saturating_mul(2));
    rows.saturating_mul(per_row).saturating_mul(F32)
}

/// Evaluating `samples` rows with `in_flight` chunks at once: each chunk's buffers, and the
/// logits collected for all rows.
pub fn evaluation_bytes(sizes: &[usize], samples: usize, in_flight: usize) -> u128 {
    let classes = sizes.last().copied().unwrap_or(0) as u128;
    let chunks = (samples as u128).div_ceil(EVAL_ROWS).min(in_flight as u128);
    pass_bytes(sizes, EVAL_ROWS.min(samples as u128))
        .saturating_mul(chunks)
        .saturating_add(
            (samples as u128)
                .saturating_mul(classes)
                .saturating_mul(F32),
        )
}

/// What training one model holds at once (`train::train`): the weights, the best epoch's copy,
/// the gradient and Adam's two moments (five copies of the parameters), the step's buffers for
/// one batch, the shuffled order, and the validation pass with `eval_threads` chunks in flight.
pub fn training_bytes(
    sizes: &[usize],
    batch: usize,
    train_rows: usize,
    validation_rows: usize,
    eval_threads: usize,
) -> u128 {
    let batch = batch.min(train_rows).max(1) as u128;
    model_bytes(sizes)
        .saturating_mul(5)
        .saturating_add(pass_bytes(sizes, batch))
        .saturating_add((train_rows as u128).saturating_mul(8))
        .saturating_add(evaluation_bytes(sizes, validation_rows, eval_threads))
}

/// One set of soft targets: a probability per sample and class.
pub fn soft_targets_bytes(samples: usize, classes: usize) -> u128 {
    (samples as u128)
        .saturating_mul(classes as u128)
        .saturating_mul(F32)
}

/// Making one set of soft targets (`Teacher::soft_targets`): the running mean, one member's
/// collected logits and their softmax beside the result.
pub fn soft_targets_work_bytes(samples: usize, classes: usize) -> u128 {
    soft_targets_bytes(samples, classes).saturating_mul(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_student_and_the_teacher_count_as_the_engine_counts() {
        let student = [784, 100, 10];
        let teacher = [784, 500, 400, 300, 200, 100, 10];
        assert_eq!(
            param_count(&student),
            crate::engine::mlp::param_count(&student) as u128
        );
        assert_eq!(param_count(&teacher), 794_510);
        // five copies of 79 510 parameters, a batch of 32, 54 000 indices, 6 000 validation rows
        // in one chunk of 500 at a time plus their 6 000 × 10 logits
        let expected = 5 * 4 * 79_510
            + 32 * (784 + 2 * 110 + 2 * 10) * 4
            + 54_000 * 8
            + 500 * (784 + 2 * 110 + 2 * 10) * 4
            + 6_000 * 10 * 4;
        assert_eq!(training_bytes(&student, 32, 54_000, 6_000, 1), expected);
    }

    #[test]
    fn absurd_sizes_saturate_instead_of_overflowing() {
        let huge = [784, usize::MAX, usize::MAX, 10];
        assert!(param_count(&huge) > u64::MAX as u128);
        assert_eq!(
            training_bytes(&huge, usize::MAX, usize::MAX, usize::MAX, usize::MAX),
            u128::MAX
        );
        assert!(dataset_bytes(usize::MAX, usize::MAX) > u64::MAX as u128);
    }

    #[test]
    fn a_batch_larger_than_the_data_is_the_data() {
        assert_eq!(
            training_bytes(&[4, 3, 2], usize::MAX, 10, 5, 1),
            training_bytes(&[4, 3, 2], 10, 10, 5, 1)
        );
    }
}
