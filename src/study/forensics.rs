//! The forensic matrix: Table 1's distilled rows under every plausible way the paper's code may
//! have departed from its text, as soft-target mode × stopping rule, each cell with the reason it
//! is in (`docs/PROTOCOL.md`, "Forensics"). The cells share each repetition's teacher, ensemble
//! and independent student, which keep the protocol's rule, so every cell is paired with the
//! same baselines.

use crate::engine::loss::{Distillation, SoftTargetMode};
use crate::error::Error;
use crate::study::record::{DistillSettings, Source};
use crate::study::stopping::{ArmStopping, DistillMonitor};

/// The min-delta of the "noticeably" cells: a round value of the size by which a converging
/// student's validation loss still moves after its first few epochs, so the rule stops earlier
/// than the protocol's.
pub const NOTICEABLY: f64 = 0.01;

/// The epochs of the Keras example's `distiller.fit(..., epochs=3)`.
pub const KERAS_EXAMPLE_EPOCHS: usize = 3;

/// One cell of the matrix: a soft-target mode and a stopping rule, and why it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub mode: SoftTargetMode,
    pub stopping: ArmStopping,
    pub why: &'static str,
}

/// The matrix, in the order the forensic report lists it.
pub fn forensic_variants() -> Vec<Variant> {
    let protocol = ArmStopping::default();
    let combined = ArmStopping {
        monitor: Some(DistillMonitor::Combined),
        ..ArmStopping::default()
    };
    let noticeably = ArmStopping {
        min_delta: Some(NOTICEABLY),
        ..ArmStopping::default()
    };
    let three = ArmStopping {
        epochs: Some(KERAS_EXAMPLE_EPOCHS),
        ..ArmStopping::default()
    };
    use SoftTargetMode::{DoubleSoftmax, Logits, Probabilities};
    vec![
        Variant { mode: Probabilities, stopping: protocol, why: "the reference: the paper-literal soft term (a softmax-ending network in the Keras example on TensorFlow, which repairs the hard term) under the protocol as written" },
        Variant { mode: Probabilities, stopping: combined, why: "Keras 3 reports the distiller's combined loss as val_loss, so EarlyStopping(monitor='val_loss') watches it" },
        Variant { mode: Probabilities, stopping: noticeably, why: "'until the loss stops decreasing noticeably' read as a min-delta" },
        Variant { mode: Probabilities, stopping: three, why: "the Keras example's fit(epochs=3), or an EarlyStopping that never fires (no val_loss in the TF2 example) with a 3-epoch fit" },
        Variant { mode: DoubleSoftmax, stopping: protocol, why: "Keras 3 on torch or jax, or PyTorch with a Softmax layer before CrossEntropyLoss: the hard term on a second softmax, under the protocol" },
        Variant { mode: DoubleSoftmax, stopping: combined, why: "the same, stopped on the combined val_loss, which barely moves once the hard term sits near its floor" },
        Variant { mode: DoubleSoftmax, stopping: noticeably, why: "the same loss with the 'noticeably' min-delta" },
        Variant { mode: DoubleSoftmax, stopping: three, why: "the same loss with the example's 3 epochs" },
        Variant { mode: Logits, stopping: protocol, why: "proper Hinton distillation under the protocol: what the text describes if the distiller saw logits" },
        Variant { mode: Logits, stopping: three, why: "the Keras example run as published (Dense(10) logits, from_logits=True, epochs=3)" },
    ]
}

/// Both sources × every variant, at temperature `t` and weight `alpha`.
pub fn forensic_arms(t: f64, alpha: f64) -> Result<Vec<DistillSettings>, Error> {
    let mut arms = Vec::new();
    for source in [Source::Teacher, Source::Ensemble] {
        for v in forensic_variants() {
            Distillation::new(alpha, t, v.mode)?;
            arms.push(DistillSettings {
                source,
                mode: v.mode,
                temperature: t,
                alpha,
                stopping: v.stopping,
            });
        }
    }
    Ok(arms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::record::distilled_key;
    use std::collections::HashSet;

    #[test]
    fn every_cell_is_distinct_and_keeps_the_default_keys_of_the_protocol_cells() {
        let arms = forensic_arms(1.0, 0.1).unwrap();
        assert_eq!(arms.len(), 2 * forensic_variants().len());
        let keys: HashSet<String> = arms.iter().map(|a| distilled_key(0, a)).collect();
        assert_eq!(keys.len(), arms.len(), "two cells share a key");
        // the protocol cells are the default study's arms, so a default folder resumes into them
        assert!(keys.contains("rep00/distilled-teacher-probabilities-T1-a0.1"));
        assert!(keys.contains("rep00/distilled-ensemble-logits-T1-a0.1"));
        assert!(keys.contains("rep00/distilled-ensemble-double-softmax-T1-a0.1-ep3"));
        assert!(forensic_arms(1.0, 1.5).is_err());
    }
}
