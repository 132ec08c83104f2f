//! The protocol's split of a training file into the samples that train and those that validate.

use std::ops::Range;

/// The training and validation samples of a run, as index ranges into one data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Range<usize>,
    pub validation: Range<usize>,
}

impl Split {
    /// The protocol's split of a training file of `len` samples: its last `fraction` validates
    /// (see [`validation_split`]); for 60 000 and 0.1, 54 000 train and 6 000 validate.
    ///
    /// ```
    /// let split = kd_mlp::data::Split::holdout(60_000, 0.1);
    /// assert_eq!((split.train, split.validation), (0..54_000, 54_000..60_000));
    /// ```
    pub fn holdout(len: usize, fraction: f64) -> Self {
        let (train, validation) = validation_split(len, fraction);
        Self { train, validation }
    }
}

/// The protocol's validation split: the last `fraction` of the training file,
/// taken before shuffling, so it is the same examples whatever the seed.
/// For 60 000 and 0.1 → train 0..54000, validation 54000..60000.
///
/// The validation size is `n * fraction` rounded to the nearest integer;
/// `fraction` is clamped to `[0, 1]` (NaN counts as 0).
pub fn validation_split(n: usize, fraction: f64) -> (Range<usize>, Range<usize>) {
    let fraction = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    // The float-to-int `as` saturates, and min(n) keeps rounding in range.
    let val = ((n as f64 * fraction).round() as usize).min(n);
    let cut = n - val;
    (0..cut, cut..n)
}
