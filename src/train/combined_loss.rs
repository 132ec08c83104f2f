//! The objective's own loss on the validation split: what Keras 3 reports as a distiller's
//! `val_loss` (the combined distillation loss, not the hard-label cross-entropy), so that early
//! stopping can watch it (`--distill-monitor combined`).

use super::trainer::Objective;
use crate::data::batch::gather_batch;
use crate::data::Dataset;
use crate::engine::loss::{distillation_loss, label_smoothing_loss, softmax_cross_entropy};
use crate::engine::mlp::{Mlp, Workspace};
use crate::Float;
use ndarray::Array2;
use rayon::prelude::*;
use std::ops::Range;

/// Rows per task, fixed (as in [`super::evaluate`]) so that the sum has the same order, and so
/// the same bits, for any thread count.
const CHUNK_ROWS: usize = 500;

/// The mean of the objective's loss over the samples `range` of `data`: the hard-label
/// cross-entropy for [`Objective::HardLabels`], the distillation loss (with the soft targets of
/// those samples) for [`Objective::Distill`], the cross-entropy against the smoothed targets for
/// [`Objective::Smoothed`].
///
/// Derivation: `docs/MATH.md`, section "Early stopping", "What a distilled arm watches".
pub fn objective_loss<F: Float>(
    mlp: &Mlp<F>,
    data: &Dataset,
    range: Range<usize>,
    objective: &Objective<'_>,
) -> f64 {
    let samples = range.len();
    let indices: Vec<usize> = range.collect();
    let sums: Vec<f64> = indices
        .par_chunks(CHUNK_ROWS)
        .map(|chunk| {
            let rows = chunk.len();
            let mut ws = Workspace::new(mlp.sizes(), rows);
            let mut x = Array2::zeros((rows, data.pixels()));
            let mut labels = vec![0; rows];
            gather_batch(data, chunk, x.view_mut(), &mut labels);
            mlp.forward(x.view(), &mut ws);
            match objective {
                Objective::HardLabels => {
                    let (logits, probs, _) = ws.loss_buffers(rows);
                    softmax_cross_entropy(logits, &labels, probs)
                }
                Objective::Distill { targets, loss } => {
                    let mut q = Array2::<F>::zeros((rows, mlp.classes()));
                    for (mut q_row, &i) in q.rows_mut().into_iter().zip(chunk) {
                        for (dst, &src) in q_row.iter_mut().zip(targets.row(i)) {
                            *dst = F::of(f64::from(src));
                        }
                    }
                    let (logits, probs, dlogits) = ws.loss_buffers(rows);
                    distillation_loss(logits, &labels, q.view(), loss, probs, dlogits)
                }
                Objective::Smoothed { epsilon } => {
                    let (logits, probs, dlogits) = ws.loss_buffers(rows);
                    label_smoothing_loss(logits, &labels, *epsilon, probs, dlogits)
                }
            }
        })
        .collect();
    sums.iter().sum::<f64>() / samples.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::loss::{Distillation, SoftTargetMode};
    use crate::train::evaluate::evaluate;
    use crate::train::teacher::SoftTargets;

    fn tiny_data(n: usize) -> Dataset {
        let images: Vec<u8> = (0..n * 4).map(|i| ((i * 37) % 256) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
        Dataset::new(images, labels, 2, 2, 3).unwrap()
    }

    #[test]
    fn hard_labels_give_the_evaluation_loss_and_alpha_one_too() {
        let data = tiny_data(1201);
        let mlp = Mlp::<f64>::glorot(&[4, 5, 3], 3).unwrap();
        let hard = objective_loss(&mlp, &data, 100..1201, &Objective::HardLabels);
        assert_eq!(hard, evaluate(&mlp, &data, 100..1201).loss);
        let targets = SoftTargets::from_rows(Array2::from_elem((1201, 3), 1.0 / 3.0));
        let loss = Distillation::new(1.0, 2.0, SoftTargetMode::Logits).unwrap();
        let distill = Objective::Distill {
            targets: &targets,
            loss,
        };
        let combined = objective_loss(&mlp, &data, 100..1201, &distill);
        assert!((combined - hard).abs() < 1e-12, "{combined} vs {hard}");
    }

    #[test]
    fn the_soft_term_is_averaged_over_the_range() {
        // α = 0, uniform targets, logits mode, T = 1: the loss is the mean KL(q ‖ p), computed
        // here independently, sample by sample, with q the f32 1/3 the targets hold.
        let data = tiny_data(40);
        let mlp = Mlp::<f64>::glorot(&[4, 5, 3], 9).unwrap();
        let targets = SoftTargets::from_rows(Array2::from_elem((40, 3), 1.0 / 3.0));
        let loss = Distillation::new(0.0, 1.0, SoftTargetMode::Logits).unwrap();
        let distill = Objective::Distill {
            targets: &targets,
            loss,
        };
        let got = objective_loss(&mlp, &data, 10..40, &distill);
        let logits = crate::train::evaluate::logits(&mlp, &data, 10..40);
        let third = f64::from(1.0f32 / 3.0);
        let mut want = 0.0;
        for z in logits.rows() {
            let max = z.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            let lse = z.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max;
            want += z
                .iter()
                .map(|&zj| third * (third.ln() - (zj - lse)))
                .sum::<f64>();
        }
        want /= 30.0;
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
}
