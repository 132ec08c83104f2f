//! The training subset of a repetition in a study with a training-set-size axis: `n` samples of
//! the training split drawn from the repetition's own seeded stream, and the data set every
//! model of that repetition and size trains on (the subset, then the whole validation split).
//!
//! The draw is the first `n` of one seeded permutation of the training split, sorted: the subsets
//! of one repetition are nested (the 1 000 images are among the 5 000), which makes the sizes
//! comparable within a repetition, and the whole split comes back in its own order, so a cell of
//! the full size trains on exactly the protocol's data.

use crate::data::{Dataset, Split};
use crate::engine::rng::derive_seed;
use crate::error::Error;
use crate::study::record::TrainSubset;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;

/// The purpose tag of the subset stream in the seed derivation (distinct from every model's
/// `(seed, repetition, role, member)` path by its length).
const SUBSET_STREAM: u64 = 0x5B5E7;

/// The sorted indices of the `n` training samples of repetition `repetition`: the first `n` of
/// a permutation of `train` drawn from `(study seed, repetition, subset stream)`.
pub fn draw_subset(study_seed: u64, repetition: usize, train: &Split, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = train.train.clone().collect();
    let seed = derive_seed(&[study_seed, repetition as u64, SUBSET_STREAM]);
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    order.truncate(n);
    order.sort_unstable();
    order
}

/// A hash of a subset's indices, as 16 hex digits.
pub fn subset_fingerprint(indices: &[usize]) -> String {
    let path: Vec<u64> = indices.iter().map(|&i| i as u64).collect();
    format!("{:016x}", derive_seed(&path))
}

/// What the models of one repetition and size train on: the data, its split and, in a
/// size-axis study, the subset's description for the records.
pub struct CellData<'a> {
    pub data: Cow<'a, Dataset>,
    pub split: Split,
    pub subset: Option<TrainSubset>,
}

/// The data of repetition `repetition` at `size` (`None`: the whole split, as the protocol).
/// A subset is copied into a data set of its images followed by the validation images, with
/// the split `0..n` / `n..n + validation`; the whole split is the data itself, not a copy.
pub fn cell_data<'a>(
    data: &'a Dataset,
    split: &Split,
    study_seed: u64,
    repetition: usize,
    size: Option<usize>,
) -> Result<CellData<'a>, Error> {
    let Some(n) = size else {
        return Ok(CellData {
            data: Cow::Borrowed(data),
            split: split.clone(),
            subset: None,
        });
    };
    let indices = draw_subset(study_seed, repetition, split, n);
    let subset = Some(TrainSubset {
        samples: indices.len(),
        of: split.train.len(),
        fingerprint: subset_fingerprint(&indices),
    });
    if indices.len() == split.train.len() && split.train.start == 0 {
        return Ok(CellData {
            data: Cow::Borrowed(data),
            split: split.clone(),
            subset,
        });
    }
    let rows: Vec<usize> = indices
        .iter()
        .copied()
        .chain(split.validation.clone())
        .collect();
    let mut images = Vec::with_capacity(rows.len() * data.pixels());
    let mut labels = Vec::with_capacity(rows.len());
    for &i in &rows {
        images.extend_from_slice(data.image(i));
        labels.push(data.labels()[i]);
    }
    let copy = Dataset::new(images, labels, data.rows(), data.cols(), data.classes())?;
    Ok(CellData {
        data: Cow::Owned(copy),
        split: Split {
            train: 0..n,
            validation: n..rows.len(),
        },
        subset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(len: usize) -> Dataset {
        let images: Vec<u8> = (0..len * 4).map(|i| (i % 251) as u8).collect();
        let labels: Vec<u8> = (0..len).map(|i| (i % 3) as u8).collect();
        Dataset::new(images, labels, 2, 2, 3).unwrap()
    }

    #[test]
    fn subsets_are_seeded_nested_and_differ_between_repetitions() {
        let split = Split::holdout(1000, 0.1);
        let a = draw_subset(7, 0, &split, 100);
        assert_eq!(
            a,
            draw_subset(7, 0, &split, 100),
            "the same draw every time"
        );
        assert_eq!(a.len(), 100);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a[99] < 900);
        let big = draw_subset(7, 0, &split, 300);
        assert!(a.iter().all(|i| big.contains(i)), "nested");
        assert_ne!(a, draw_subset(7, 1, &split, 100), "another repetition");
        assert_ne!(a, draw_subset(8, 0, &split, 100), "another study seed");
        assert_eq!(draw_subset(7, 3, &split, 900), (0..900).collect::<Vec<_>>());
        assert_ne!(subset_fingerprint(&a), subset_fingerprint(&big));
    }

    #[test]
    fn a_cell_trains_on_its_subset_and_validates_on_the_whole_split() {
        let data = toy(50);
        let split = Split::holdout(50, 0.2);
        let cell = cell_data(&data, &split, 3, 1, Some(10)).unwrap();
        assert_eq!((cell.split.train, cell.split.validation), (0..10, 10..20));
        let chosen = draw_subset(3, 1, &split, 10);
        for (k, &i) in chosen.iter().enumerate() {
            assert_eq!(cell.data.image(k), data.image(i));
            assert_eq!(cell.data.label(k), data.label(i));
        }
        for k in 0..10 {
            assert_eq!(
                cell.data.image(10 + k),
                data.image(40 + k),
                "validation kept"
            );
        }
        assert_eq!(cell.subset.as_ref().unwrap().samples, 10);
        let whole = cell_data(&data, &split, 3, 1, Some(40)).unwrap();
        assert!(matches!(whole.data, Cow::Borrowed(_)));
        assert_eq!(whole.split, split);
        assert!(cell_data(&data, &split, 3, 1, None)
            .unwrap()
            .subset
            .is_none());
    }
}
