//! From records to the report model: validation of the records, the rows of Table 1, the grid,
//! the paired tests against the independent student, and Holm's correction over the grid.

use super::model::{GridCell, RowKind, RowSummary, StudyReport, ROW_ORDER};
use crate::engine::loss::SoftTargetMode;
use crate::engine::mlp::param_count;
use crate::error::Error;
use crate::report::stats::{holm_adjust, paired_t_test, summarize, PairedTest};
use crate::study::record::{DistillSettings, Record, Role, Source};
use crate::study::stopping::ArmStopping;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The order of the modes: the paper-literal one first, as in the table.
pub(super) fn mode_rank(mode: SoftTargetMode) -> u8 {
    match mode {
        SoftTargetMode::Probabilities => 0,
        SoftTargetMode::Logits => 1,
        SoftTargetMode::DoubleSoftmax => 2,
    }
}

/// The grid's order: source, mode, T, α.
pub(super) fn settings_cmp(a: &DistillSettings, b: &DistillSettings) -> Ordering {
    a.source
        .cmp(&b.source)
        .then(mode_rank(a.mode).cmp(&mode_rank(b.mode)))
        .then(a.temperature.total_cmp(&b.temperature))
        .then(a.alpha.total_cmp(&b.alpha))
        .then(a.stopping.key_suffix().cmp(&b.stopping.key_suffix()))
}

/// Equal up to rounding (T and α read back from JSON or typed on a command line).
pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A hashable identity of a record: two records with the same one would make pairing ambiguous.
pub(super) type Identity = (
    Role,
    usize,
    Option<usize>,
    Option<(Source, u8, u64, u64, String)>,
);

pub(super) fn identity(r: &Record) -> Identity {
    (
        r.role,
        r.repetition,
        r.member,
        r.distill.map(|d| {
            (
                d.source,
                mode_rank(d.mode),
                d.temperature.to_bits(),
                d.alpha.to_bits(),
                d.stopping.key_suffix(),
            )
        }),
    )
}

/// Checks that keys and identities are unique and that distilled records say how they were
/// distilled.
pub(super) fn validate(records: &[Record]) -> Result<(), Error> {
    let mut keys = HashSet::new();
    let mut identities = HashSet::new();
    for r in records {
        if !keys.insert(r.key.as_str()) {
            return Err(Error::Config(format!(
                "two records have the key {:?}: a results folder holds each model once",
                r.key
            )));
        }
        if r.role == Role::Distilled && r.distill.is_none() {
            return Err(Error::Config(format!(
                "record {:?} is a distilled student without distillation settings",
                r.key
            )));
        }
        if !identities.insert(identity(r)) {
            return Err(Error::Config(format!(
                "record {:?} duplicates another record of the same role, repetition, member and \
                 settings ({:?}, repetition {}); cannot pair by repetition",
                r.key, r.role, r.repetition
            )));
        }
    }
    Ok(())
}

/// `a − b` paired by repetition, over the repetitions present in both.
pub(super) fn paired_by_repetition(a: &[&Record], b: &BTreeMap<usize, f64>) -> Option<PairedTest> {
    let mut pairs: Vec<(usize, f64, f64)> = a
        .iter()
        .filter_map(|r| {
            b.get(&r.repetition)
                .map(|&e| (r.repetition, r.test_error, e))
        })
        .collect();
    pairs.sort_by_key(|p| p.0);
    let xs: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let ys: Vec<f64> = pairs.iter().map(|p| p.2).collect();
    paired_t_test(&xs, &ys)
}

/// The number of members of an ensemble: the most members of one repetition, or else the
/// parameter count of the ensemble records over that of one member.
pub(super) fn ensemble_size(records: &[Record]) -> Option<usize> {
    let mut per_rep: BTreeMap<usize, usize> = BTreeMap::new();
    for r in records.iter().filter(|r| r.role == Role::Member) {
        *per_rep.entry(r.repetition).or_default() += 1;
    }
    if let Some(&n) = per_rep.values().max() {
        return Some(n);
    }
    records
        .iter()
        .filter(|r| r.role == Role::Ensemble && r.arch.len() >= 2)
        .filter_map(|r| {
            let one = param_count(&r.arch);
            (one > 0 && r.parameters % one == 0).then(|| r.parameters / one)
        })
        .max()
}

/// Builds the report from the records of a study; rows 2 and 4 use the students distilled at
/// `main_temperature` and `main_alpha`.
///
/// Rows without records are left out (a partial study still reports). Errors: two records with
/// the same key (or the same role, repetition, member and settings), a distilled record without
/// settings, or distilled records without any independent student to compare them with.
pub fn build_report(
    records: &[Record],
    main_temperature: f64,
    main_alpha: f64,
) -> Result<StudyReport, Error> {
    validate(records)?;
    let independent: BTreeMap<usize, f64> = records
        .iter()
        .filter(|r| r.role == Role::Independent)
        .map(|r| (r.repetition, r.test_error))
        .collect();
    // One stopping rule per report: the protocol's if any arm used it, else the first variant's
    // (a folder run with --distill-epochs alone). The forensic report compares the rules.
    let stopping = main_stopping(records);
    let distilled: Vec<&Record> = records
        .iter()
        .filter(|r| r.role == Role::Distilled)
        .filter(|r| r.distill.is_some_and(|d| d.stopping == stopping))
        .collect();
    if !distilled.is_empty() && independent.is_empty() {
        return Err(Error::Config(format!(
            "the records hold {} distilled students but no independently trained student to \
             compare them with; train the independent arm first",
            distilled.len()
        )));
    }
    let n_ensemble = ensemble_size(records);

    let mut rows = Vec::new();
    for kind in ROW_ORDER {
        let chosen: Vec<&Record> = match kind {
            RowKind::Distilled(source, mode) => distilled
                .iter()
                .copied()
                .filter(|r| {
                    r.distill.is_some_and(|d| {
                        d.source == source
                            && d.mode == mode
                            && close(d.temperature, main_temperature)
                            && close(d.alpha, main_alpha)
                    })
                })
                .collect(),
            _ => records.iter().filter(|r| r.role == kind.role()).collect(),
        };
        let errors: Vec<f64> = chosen.iter().map(|r| r.test_error).collect();
        let Some(summary) = summarize(&errors) else {
            continue;
        };
        let vs_independent = match kind {
            RowKind::Independent | RowKind::Member => None,
            _ => paired_by_repetition(&chosen, &independent),
        };
        rows.push(RowSummary {
            label: kind.label(n_ensemble),
            role: kind.role(),
            distill: chosen.first().and_then(|r| r.distill),
            paper_error: kind.paper_error(),
            summary,
            vs_independent,
        });
    }

    let mut settings: Vec<DistillSettings> = distilled.iter().filter_map(|r| r.distill).collect();
    settings.sort_by(settings_cmp);
    settings.dedup_by(|a, b| settings_cmp(a, b) == Ordering::Equal);
    let grid = settings
        .into_iter()
        .filter_map(|d| {
            let chosen: Vec<&Record> = distilled
                .iter()
                .copied()
                .filter(|r| {
                    r.distill
                        .is_some_and(|x| settings_cmp(&x, &d) == Ordering::Equal)
                })
                .collect();
            let errors: Vec<f64> = chosen.iter().map(|r| r.test_error).collect();
            Some(GridCell {
                distill: d,
                summary: summarize(&errors)?,
                vs_independent: paired_by_repetition(&chosen, &independent),
                p_holm: None,
            })
        })
        .collect();
    let grid = with_holm_p_values(grid);

    let repetitions = records
        .iter()
        .map(|r| r.repetition)
        .collect::<BTreeSet<_>>()
        .len();
    Ok(StudyReport {
        rows,
        grid,
        main_temperature,
        main_alpha,
        repetitions,
        distill_stopping: (!stopping.is_protocol()).then(|| stopping.describe()),
        compute: crate::report::compute::build_compute(records),
        classes: class_count(records)?,
        empty_classes: records
            .iter()
            .flat_map(|r| r.empty_classes.iter().copied())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        // Set by the writer, which sees the whole study (`cells::table1_cell`).
        table1_cell: None,
    })
}

/// The stopping rule of the distilled arms a report shows: the protocol's if any record used it,
/// else the first other rule in key order (the default when there are no distilled records).
pub(super) fn main_stopping(records: &[Record]) -> ArmStopping {
    let mut rules: Vec<ArmStopping> = records
        .iter()
        .filter_map(|r| r.distill.map(|d| d.stopping))
        .collect();
    rules.sort_by_key(|s| s.key_suffix());
    rules.first().copied().unwrap_or_default()
}

/// The class count of the records' models (the last layer size); records of models with
/// different counts come from different data and cannot share a report.
pub(super) fn class_count(records: &[Record]) -> Result<Option<usize>, Error> {
    let mut counts = records
        .iter()
        .filter_map(|r| r.arch.last().map(|&c| (c, r)));
    let Some((first, first_record)) = counts.next() else {
        return Ok(None);
    };
    match counts.find(|&(c, _)| c != first) {
        Some((other, r)) => Err(Error::Config(format!(
            "record {:?} has {first} classes but record {:?} has {other}: the records come from different data",
            first_record.key, r.key
        ))),
        None => Ok(Some(first)),
    }
}

/// Fills in each tested cell's Holm-adjusted p-value, the family being every tested cell.
pub(super) fn with_holm_p_values(mut grid: Vec<GridCell>) -> Vec<GridCell> {
    let tested: Vec<usize> = (0..grid.len())
        .filter(|&i| grid[i].vs_independent.is_some())
        .collect();
    let raw: Vec<f64> = tested
        .iter()
        .filter_map(|&i| grid[i].vs_independent.map(|t| t.p_value))
        .collect();
    for (&i, p) in tested.iter().zip(holm_adjust(&raw)) {
        grid[i].p_holm = Some(p);
    }
    grid
}
