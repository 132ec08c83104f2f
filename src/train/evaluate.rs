//! Evaluation: loss, error, predictions and the confusion matrix over a range of a data set.

use crate::data::batch::gather_batch;
use crate::data::Dataset;
use crate::engine::loss::softmax_cross_entropy;
use crate::engine::mlp::{Mlp, Workspace};
use crate::Float;
use ndarray::{Array2, ArrayView1};
use rayon::prelude::*;
use std::ops::Range;

/// Rows per evaluation task. A fixed size (not one per thread) so that the loss is summed in the
/// same order, and so gives the same bits, whatever the thread count.
const CHUNK_ROWS: usize = 500;

/// The mean loss and the error of a model on some samples.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Evaluation {
    /// Mean hard-label cross-entropy.
    pub loss: f64,
    /// Fraction of samples whose argmax is not the label.
    pub error: f64,
    /// Number of samples evaluated.
    pub samples: usize,
}

/// Index of the largest value (the first one on ties; a NaN row predicts class 0).
pub fn argmax<F: Float>(row: ArrayView1<F>) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}

/// Runs the model over `range` in parallel chunks; per chunk, the loss sum and the logits.
fn run_chunks<F: Float>(
    mlp: &Mlp<F>,
    data: &Dataset,
    range: Range<usize>,
) -> Vec<(f64, Array2<F>)> {
    let indices: Vec<usize> = range.collect();
    indices
        .par_chunks(CHUNK_ROWS)
        .map(|chunk| {
            let rows = chunk.len();
            let mut ws = Workspace::new(mlp.sizes(), rows);
            let mut x = Array2::zeros((rows, data.pixels()));
            let mut labels = vec![0; rows];
            gather_batch(data, chunk, x.view_mut(), &mut labels);
            mlp.forward(x.view(), &mut ws);
            let (logits, probs, _) = ws.loss_buffers(rows);
            let loss_sum = softmax_cross_entropy(logits, &labels, probs);
            (loss_sum, ws.logits(rows).to_owned())
        })
        .collect()
}

/// Mean loss and error of `mlp` on the samples `range` of `data`.
///
/// Derivation: `docs/MATH.md`, section "Determinism", "Evaluation in fixed 500-row chunks".
pub fn evaluate<F: Float>(mlp: &Mlp<F>, data: &Dataset, range: Range<usize>) -> Evaluation {
    let samples = range.len();
    let mut i = range.start;
    let mut loss_sum = 0.0;
    let mut wrong = 0usize;
    for (chunk_loss, logits) in run_chunks(mlp, data, range) {
        loss_sum += chunk_loss;
        for row in logits.rows() {
            wrong += usize::from(argmax(row) != data.label(i));
            i += 1;
        }
    }
    let n = samples.max(1) as f64;
    Evaluation {
        loss: loss_sum / n,
        error: wrong as f64 / n,
        samples,
    }
}

/// The logits of every sample in `range`.
///
/// # Shapes
/// returns `(range.len(), classes)`.
pub fn logits<F: Float>(mlp: &Mlp<F>, data: &Dataset, range: Range<usize>) -> Array2<F> {
    let chunks: Vec<Array2<F>> = run_chunks(mlp, data, range)
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    if chunks.is_empty() {
        return Array2::zeros((0, mlp.classes()));
    }
    let views: Vec<_> = chunks.iter().map(|c| c.view()).collect();
    ndarray::concatenate(ndarray::Axis(0), &views).expect("chunks share the class count")
}

/// The predicted class of every sample in `range`.
pub fn predict<F: Float>(mlp: &Mlp<F>, data: &Dataset, range: Range<usize>) -> Vec<usize> {
    logits(mlp, data, range)
        .rows()
        .into_iter()
        .map(argmax)
        .collect()
}

/// `counts[true][predicted]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfusionMatrix {
    pub counts: Vec<Vec<usize>>,
}

impl ConfusionMatrix {
    /// Tallies predictions against labels over `classes` classes.
    pub fn new(
        classes: usize,
        labels: impl IntoIterator<Item = usize>,
        predictions: &[usize],
    ) -> Self {
        let mut counts = vec![vec![0; classes]; classes];
        for (y, &p) in labels.into_iter().zip(predictions) {
            counts[y][p] += 1;
        }
        Self { counts }
    }

    /// Per true class, the fraction of its samples predicted wrongly (NaN for an absent class).
    pub fn per_class_error(&self) -> Vec<f64> {
        self.counts
            .iter()
            .enumerate()
            .map(|(y, row)| {
                let total: usize = row.iter().sum();
                (total - row[y]) as f64 / total as f64
            })
            .collect()
    }

    /// The overall error.
    pub fn error(&self) -> f64 {
        let total: usize = self.counts.iter().flatten().sum();
        let right: usize = (0..self.counts.len()).map(|y| self.counts[y][y]).sum();
        (total - right) as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn argmax_takes_first_of_ties() {
        assert_eq!(argmax(array![0.1f32, 0.7, 0.7, 0.2].view()), 1);
        assert_eq!(argmax(array![3.0f64].view()), 0);
    }

    #[test]
    fn confusion_counts_and_errors() {
        // labels 0 0 1 1 1, predictions 0 1 1 1 0
        let cm = ConfusionMatrix::new(2, [0, 0, 1, 1, 1], &[0, 1, 1, 1, 0]);
        assert_eq!(cm.counts, vec![vec![1, 1], vec![1, 2]]);
        assert_eq!(cm.per_class_error(), vec![0.5, 1.0 / 3.0]);
        assert_eq!(cm.error(), 0.4);
    }
}
