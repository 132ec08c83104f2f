//! The losses: softmax with sparse cross-entropy on hard labels, and the distillation loss on a
//! teacher's soft targets. Each returns the loss and writes its fused gradient with respect to
//! the logits, the first step of backward (docs/MATH.md).

mod cross_entropy;
mod distillation;

pub use cross_entropy::{cross_entropy_backward, softmax_cross_entropy, softmax_row};
pub use distillation::{distillation_loss, Distillation, SoftTargetMode};
