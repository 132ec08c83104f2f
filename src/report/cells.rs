//! The cells of a study with grid axes (training-set size, student width, label smoothing), as
//! the records say them, and the protocol's cell that Table 1 and the figures are made of.

use super::model::Table1Cell;
use crate::study::record::{Record, Role};

/// The training samples of a record's cell, `None` for the whole training split of a study
/// without a size axis.
pub fn train_size(r: &Record) -> Option<usize> {
    r.train_subset.as_ref().map(|s| s.samples)
}

/// The hidden widths of a record's network (`[784, 16, 10]` → `[16]`).
pub fn hidden(r: &Record) -> Vec<usize> {
    match r.arch.len() {
        0..=2 => Vec::new(),
        n => r.arch[1..n - 1].to_vec(),
    }
}

/// Whether a record is a student (independent, distilled or smoothed).
pub fn is_student(r: &Record) -> bool {
    matches!(r.role, Role::Independent | Role::Distilled | Role::Smoothed)
}

/// The records of the protocol's cell, for Table 1, the distillation grid and the figures: the
/// largest training size present (the whole split when there is no size axis), students of the
/// ensemble members' width (any width if there are no members), no smoothed students. Without
/// grid axes this is every record, unchanged.
pub fn protocol_cell(records: &[Record]) -> Vec<Record> {
    let largest = records.iter().map(train_size).max().flatten();
    let member_arch = records
        .iter()
        .find(|r| r.role == Role::Member)
        .map(|r| r.arch.clone());
    records
        .iter()
        .filter(|r| train_size(r) == largest || train_size(r).is_none())
        .filter(|r| r.role != Role::Smoothed)
        .filter(|r| !is_student(r) || member_arch.as_ref().is_none_or(|a| &r.arch == a))
        .cloned()
        .collect()
}

/// Whether the records come from a study with grid axes (a subset size, a student of another
/// width than the members, or a smoothed student).
pub fn has_axes(records: &[Record]) -> bool {
    let member_arch = records
        .iter()
        .find(|r| r.role == Role::Member)
        .map(|r| r.arch.clone());
    records.iter().any(|r| {
        r.train_subset.is_some()
            || r.role == Role::Smoothed
            || (is_student(r) && member_arch.as_ref().is_some_and(|a| &r.arch != a))
    })
}

/// Which cell Table 1 shows, for a study with grid axes (`None` without axes, where Table 1 is
/// the whole study): the training size and the student of [`protocol_cell`].
pub fn table1_cell(records: &[Record]) -> Option<Table1Cell> {
    if !has_axes(records) {
        return None;
    }
    let cell = protocol_cell(records);
    let student = cell
        .iter()
        .find(|r| is_student(r))
        .or_else(|| cell.iter().find(|r| r.role == Role::Member))?;
    Some(Table1Cell {
        train_samples: cell.iter().filter_map(train_size).max(),
        student_arch: student.arch.clone(),
    })
}
