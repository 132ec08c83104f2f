//! The flags of `reproduce`'s grid axes: training-set size, student widths, label smoothing.

use clap::Args;
use kd_mlp::engine::mlp::parse_hidden;
use kd_mlp::study::{Axes, SmoothingSpec, Study};
use kd_mlp::Error;

#[derive(Args, Debug, Default)]
pub struct AxesFlags {
    /// Training-set sizes, comma-separated (e.g. 1000,3000,10000,54000): every repetition draws
    /// each size's samples from the training split with its own seeded stream (the smaller
    /// subsets inside the larger), and every model of that repetition and size trains on them;
    /// the validation split and the test set stay whole.
    #[arg(long = "train-sizes", value_delimiter = ',')]
    pub train_sizes: Vec<usize>,
    /// Student architectures, each a comma-separated list of hidden widths, several separated by
    /// spaces or ';' (e.g. `--student-archs 16 100 300` or `--student-archs '16;100,100'`): the
    /// independent, distilled and smoothed students of each; the ensemble keeps --student-arch.
    #[arg(long = "student-archs", value_delimiter = ';', num_args = 1..)]
    pub student_archs: Vec<String>,
    /// Label-smoothing control arms, comma-separated: a fixed ε in [0, 1] (e.g. 0.1), or `auto`
    /// (ε per repetition and cell such that the smoothed target's entropy equals the mean entropy
    /// of the ensemble's soft targets, logits mode, at each temperature of the grid).
    #[arg(long = "label-smoothing", value_delimiter = ',')]
    pub label_smoothing: Vec<String>,
}

impl AxesFlags {
    /// The axes, each value checked (sizes against the data are checked by the study).
    pub fn axes(&self) -> Result<Axes, Error> {
        Ok(Axes {
            train_sizes: self.train_sizes.clone(),
            student_archs: self
                .student_archs
                .iter()
                .map(|a| {
                    let hidden = parse_hidden(a)?;
                    if hidden.is_empty() {
                        return Err(Error::Config(
                            "--student-archs: an empty architecture; give hidden widths, e.g. 16 or 100,100".into(),
                        ));
                    }
                    Ok(hidden)
                })
                .collect::<Result<_, _>>()?,
            smoothing: self
                .label_smoothing
                .iter()
                .map(|s| SmoothingSpec::parse(s))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// One line on the grid axes of `study`, for the start of a run.
pub fn describe(study: &Study) -> String {
    let axes = &study.axes;
    let sizes: Vec<String> = axes
        .sizes()
        .iter()
        .map(|s| s.map_or("all".into(), |n| n.to_string()))
        .collect();
    let archs: Vec<String> = axes
        .archs(&study.protocol.student_hidden)
        .iter()
        .map(|a| {
            let w: Vec<String> = a.iter().map(|v| v.to_string()).collect();
            w.join(",")
        })
        .collect();
    let smoothed: Vec<String> = axes
        .smoothing_arms(&study.arms)
        .iter()
        .map(|a| a.name())
        .collect();
    format!(
        "grid axes: training sizes [{}] (a teacher and an ensemble each), students [{}] (each with the independent, distilled and {} smoothed students: {})",
        sizes.join(", "),
        archs.join("; "),
        smoothed.len(),
        if smoothed.is_empty() { "none".into() } else { smoothed.join(", ") }
    )
}
