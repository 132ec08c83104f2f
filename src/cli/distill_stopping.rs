//! The flags that change how a distilled student stops, shared by `distill` and `reproduce`
//! (the models trained on hard labels keep the protocol's rule). `docs/PROTOCOL.md`, "How a
//! distilled arm stops", gives where each comes from.

use clap::Args;
use kd_mlp::study::{ArmStopping, DistillMonitor};
use kd_mlp::Error;

#[derive(Args, Debug, Clone, Default)]
pub struct DistillStoppingFlags {
    /// Distilled students train exactly N epochs, with no early stopping, and keep the last
    /// epoch's weights (the Keras example's `epochs=3`); models on hard labels keep early stopping.
    #[arg(long = "distill-epochs")]
    pub distill_epochs: Option<usize>,
    /// What early stopping watches for distilled students: hard (the validation hard-label
    /// loss) or combined (the distillation loss on the validation split, Keras 3's `val_loss`).
    /// Default: --monitor, as for every model.
    #[arg(long = "distill-monitor", value_enum)]
    pub distill_monitor: Option<DistillMonitor>,
    /// Keras's min_delta for distilled students only (an epoch improves when monitored + X <
    /// best); --min-delta sets it for every model.
    #[arg(long = "distill-min-delta", allow_negative_numbers = true)]
    pub distill_min_delta: Option<f64>,
}

impl DistillStoppingFlags {
    /// The stopping rule of the distilled students these flags describe.
    pub fn stopping(&self) -> Result<ArmStopping, Error> {
        ArmStopping::new(
            self.distill_monitor,
            self.distill_min_delta,
            self.distill_epochs,
        )
    }
}
