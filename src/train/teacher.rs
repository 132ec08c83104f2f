//! What a student learns from: one trained model or an ensemble of them.
//!
//! An ensemble predicts by the mean of its members' probabilities. Its soft targets at
//! temperature `T` are, in `logits` mode, the mean of the members' `softmax(v_m/T)` (Hinton's
//! ensemble teacher); in the paper-literal `probabilities` mode, `softmax(p̄/T)` of the ensemble's
//! output probabilities `p̄` (the ensemble treated as one network that ends in a softmax, as the
//! paper's code most likely did). Soft targets for a whole data set are computed once per
//! (teacher, T, mode), in parallel, and shared by every student that learns from that teacher.

use crate::data::Dataset;
use crate::engine::loss::{softmax_row, SoftTargetMode};
use crate::engine::mlp::Mlp;
use crate::error::Error;
use crate::train::evaluate::{argmax, logits, Evaluation};
use ndarray::{Array2, ArrayView2, Axis, Zip};
use std::ops::Range;

/// One model or an ensemble (members with the same input and output sizes).
#[derive(Debug, Clone)]
pub struct Teacher {
    members: Vec<Mlp<f32>>,
}

/// Row-wise softmax of `a / t`, as a new array.
///
/// # Shapes
/// `a: (N, C)` → `(N, C)`.
fn softmax_rows(a: ArrayView2<f32>, t: f32) -> Array2<f32> {
    let mut out = Array2::zeros(a.dim());
    Zip::from(out.rows_mut())
        .and(a.rows())
        .par_for_each(|p, row| {
            let scaled = row.mapv(|v| v / t);
            softmax_row(scaled.view(), p);
        });
    out
}

impl Teacher {
    /// A teacher of one model.
    pub fn single(model: Mlp<f32>) -> Self {
        Self {
            members: vec![model],
        }
    }

    /// An ensemble; errors if it is empty or its members disagree on input or output size.
    pub fn ensemble(members: Vec<Mlp<f32>>) -> Result<Self, Error> {
        let first = members
            .first()
            .ok_or_else(|| Error::Config("an ensemble needs at least one model".into()))?;
        let (inputs, classes) = (first.inputs(), first.classes());
        for (i, m) in members.iter().enumerate() {
            if m.inputs() != inputs || m.classes() != classes {
                return Err(Error::Config(format!(
                    "ensemble member {i} maps {} inputs to {} classes, member 0 maps {inputs} to {classes}",
                    m.inputs(),
                    m.classes()
                )));
            }
        }
        Ok(Self { members })
    }

    /// The members (one for a single model).
    pub fn members(&self) -> &[Mlp<f32>] {
        &self.members
    }
    /// Input width.
    pub fn inputs(&self) -> usize {
        self.members[0].inputs()
    }
    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.members[0].classes()
    }

    /// The mean over members of `softmax(v_m / t)` for the samples `range`.
    ///
    /// Derivation: `docs/MATH.md`, section "Knowledge distillation", "Ensemble teacher".
    ///
    /// # Shapes
    /// returns `(range.len(), classes)`.
    pub fn mean_softmax(&self, data: &Dataset, range: Range<usize>, t: f32) -> Array2<f32> {
        let mut mean = Array2::<f32>::zeros((range.len(), self.classes()));
        for member in &self.members {
            mean += &softmax_rows(logits(member, data, range.clone()).view(), t);
        }
        mean / self.members.len() as f32
    }

    /// The teacher's output probabilities (T = 1), whose argmax is its prediction.
    pub fn probabilities(&self, data: &Dataset, range: Range<usize>) -> Array2<f32> {
        self.mean_softmax(data, range, 1.0)
    }

    /// Loss `−log p̄_y` and error of the teacher's predictions on `range`.
    pub fn evaluate(&self, data: &Dataset, range: Range<usize>) -> Evaluation {
        let start = range.start;
        let samples = range.len();
        let probs = self.probabilities(data, range);
        let mut loss = 0.0f64;
        let mut wrong = 0usize;
        for (i, row) in probs.axis_iter(Axis(0)).enumerate() {
            let y = data.label(start + i);
            loss -= libm::log(f64::from(row[y].max(f32::MIN_POSITIVE)));
            wrong += usize::from(argmax(row) != y);
        }
        let n = samples.max(1) as f64;
        Evaluation {
            loss: loss / n,
            error: wrong as f64 / n,
            samples,
        }
    }

    /// Soft targets `q` for every sample of `data` (row `i` is sample `i`) at temperature `t`.
    ///
    /// Derivation: `docs/MATH.md`, section "Knowledge distillation" ("Ensemble teacher" and the "probabilities" mode).
    pub fn soft_targets(&self, data: &Dataset, t: f64, mode: SoftTargetMode) -> SoftTargets {
        SoftTargets {
            q: self.soft_targets_of(data, 0..data.len(), t, mode),
        }
    }

    /// The soft targets of the samples `range` alone (row `k` is sample `range.start + k`),
    /// computed as [`Teacher::soft_targets`] computes them for the whole data set.
    ///
    /// # Shapes
    /// returns `(range.len(), classes)`.
    pub fn soft_targets_of(
        &self,
        data: &Dataset,
        range: Range<usize>,
        t: f64,
        mode: SoftTargetMode,
    ) -> Array2<f32> {
        let t32 = t as f32;
        match mode {
            SoftTargetMode::Logits => self.mean_softmax(data, range, t32),
            SoftTargetMode::Probabilities | SoftTargetMode::DoubleSoftmax => {
                softmax_rows(self.probabilities(data, range).view(), t32)
            }
        }
    }
}

/// A teacher's soft distribution for every sample of a data set.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftTargets {
    q: Array2<f32>,
}

impl SoftTargets {
    /// Wraps precomputed rows (each a distribution over the classes).
    pub fn from_rows(q: Array2<f32>) -> Self {
        Self { q }
    }
    /// `(samples, classes)`.
    pub fn rows(&self) -> ArrayView2<'_, f32> {
        self.q.view()
    }
    /// The distribution of sample `i`.
    pub fn row(&self, i: usize) -> ndarray::ArrayView1<'_, f32> {
        self.q.row(i)
    }
    /// Mean entropy of the rows, in nats: near `ln C` when the targets are nearly uniform.
    pub fn mean_entropy(&self) -> f64 {
        let total: f64 = self
            .q
            .rows()
            .into_iter()
            .map(|r| {
                r.iter()
                    .filter(|&&v| v > 0.0)
                    .map(|&v| -f64::from(v) * libm::log(f64::from(v)))
                    .sum::<f64>()
            })
            .sum();
        total / self.q.nrows().max(1) as f64
    }
}
