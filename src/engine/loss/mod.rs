//! The losses: softmax with sparse cross-entropy on hard labels, and the distillation loss on a
//! teacher's soft targets. Each returns the loss and writes its fused gradient with respect to
//! the logits, the first step of backward (docs/MATH.md).

mod cross_entropy;
mod distillation;

pub use cross_entropy::{cross_entropy_backward, softmax_cross_entropy, softmax_row};
pub use distillation::{distillation_loss, Distillation, SoftTargetMode};

// Cross-entropy on label-smoothed targets: distillation's control arm (softened targets without
// a teacher).
mod label_smoothing;
pub use label_smoothing::{
    check_smoothing, epsilon_for_entropy, label_smoothing_loss, smoothed_entropy,
};
