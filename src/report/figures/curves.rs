//! Learning curves: for each role, the mean training and validation loss per epoch over the
//! repetitions, a band from the lowest to the highest repetition, and a mark at each
//! repetition's best epoch (the weights early stopping restored).

use super::palette::{DEEP_BLUE, ORANGE};
use super::{Figure, OrPlotError, FONT};
use crate::report::build::settings_cmp;
use crate::report::model::{RowKind, StudyReport};
use crate::study::record::{Record, Role};
use std::cmp::Ordering;

pub const TITLE: &str = "Learning curves: loss per epoch, mean over repetitions (band: min–max)";
const READING: &str = "Each panel is one role of the study: the solid lines are the mean \
    training loss (orange) and validation loss (blue) per epoch over the repetitions, the bands \
    run from the lowest to the highest repetition, and each black triangle is one repetition's \
    best epoch, whose weights early stopping restored. The validation loss is always the \
    hard-label cross-entropy; a distilled student's training loss is its combined objective \
    (α·hard + (1 − α)·T²·KL), so only its validation curve compares with the other panels.";

/// Mean, min and max of one quantity per epoch (1-based epoch `k + 1` at index `k`), over the
/// records that reached that epoch.
fn per_epoch(
    records: &[&Record],
    value: impl Fn(&crate::train::EpochRecord) -> f64,
) -> Vec<(f64, f64, f64, f64)> {
    let epochs = records.iter().map(|r| r.epochs.len()).max().unwrap_or(0);
    (0..epochs)
        .filter_map(|k| {
            let vs: Vec<f64> = records
                .iter()
                .filter_map(|r| r.epochs.get(k).map(&value))
                .filter(|v| v.is_finite())
                .collect();
            if vs.is_empty() {
                return None;
            }
            let mean = vs.iter().sum::<f64>() / vs.len() as f64;
            let min = vs.iter().copied().fold(f64::INFINITY, f64::min);
            let max = vs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Some(((k + 1) as f64, mean, min, max))
        })
        .collect()
}

/// The panels: one per row of Table 1 that trains (the ensemble is assembled, not trained).
fn panels<'r>(report: &StudyReport, records: &'r [Record]) -> Vec<(&'static str, Vec<&'r Record>)> {
    report
        .rows
        .iter()
        .filter(|row| row.role != Role::Ensemble)
        .map(|row| {
            let chosen = records
                .iter()
                .filter(|r| r.role == row.role && !r.epochs.is_empty())
                .filter(|r| match (row.distill, r.distill) {
                    (Some(a), Some(b)) => settings_cmp(&a, &b) == Ordering::Equal,
                    (None, _) => true,
                    (Some(_), None) => false,
                })
                .collect();
            (RowKind::of(row).short(), chosen)
        })
        .filter(|(_, chosen): &(_, Vec<&Record>)| !chosen.is_empty())
        .collect()
}

pub fn figure(report: &StudyReport, records: &[Record]) -> Result<Figure, crate::Error> {
    let panels = panels(report, records);
    let inputs = if panels.is_empty() {
        Err("no record holds a per-epoch history".to_string())
    } else {
        Ok(panels)
    };
    Figure::drawn_or_absent("learning-curves.svg", TITLE, READING, inputs, |p| draw(p))
}

fn draw(panels: &[(&'static str, Vec<&Record>)]) -> Result<String, crate::Error> {
    use plotters::prelude::*;
    const NAME: &str = "the learning curves";
    let rows = panels.len().div_ceil(2);
    let (width, height) = (800u32, 70 + 250 * rows as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).or_plot(NAME)?;
        let body = root.titled(TITLE, (FONT, 22)).or_plot(NAME)?;
        let areas = body.split_evenly((rows, 2));
        for (k, ((name, recs), area)) in panels.iter().zip(&areas).enumerate() {
            let train = per_epoch(recs, |e| e.train_loss);
            let val = per_epoch(recs, |e| e.val_loss);
            let last = train.len().max(val.len()).max(1) as f64;
            let top = train
                .iter()
                .chain(&val)
                .map(|p| p.3)
                .fold(0.0f64, f64::max)
                .max(1e-3)
                * 1.08;
            let mut chart = ChartBuilder::on(area)
                .caption(format!("{name} ({} runs)", recs.len()), (FONT, 17))
                .margin(8)
                .x_label_area_size(38)
                .y_label_area_size(58)
                .build_cartesian_2d(0.5f64..last + 0.5, 0f64..top)
                .or_plot(NAME)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .x_labels(last.min(12.0) as usize + 1)
                .x_label_formatter(&|v: &f64| {
                    if (v - v.round()).abs() < 1e-6 {
                        format!("{}", v.round())
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|v: &f64| format!("{v:.2}"))
                .x_desc("epoch")
                .y_desc("loss (nats)")
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .draw()
                .or_plot(NAME)?;
            for (points, colour, label) in [
                (&train, ORANGE, "training loss"),
                (&val, DEEP_BLUE, "validation loss"),
            ] {
                let band: Vec<(f64, f64)> = points
                    .iter()
                    .map(|p| (p.0, p.3))
                    .chain(points.iter().rev().map(|p| (p.0, p.2)))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.25))))
                    .or_plot(NAME)?;
                let series = chart
                    .draw_series(std::iter::once(PathElement::new(
                        points.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
                        colour.stroke_width(3),
                    )))
                    .or_plot(NAME)?;
                if k == 0 {
                    series.label(label).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
                    });
                }
            }
            let best = recs.iter().filter_map(|r| {
                let e = r.epochs.iter().find(|e| e.epoch == r.best_epoch)?;
                Some((e.epoch as f64, e.val_loss))
            });
            let marks = chart
                .draw_series(best.map(|p| TriangleMarker::new(p, 7, BLACK.filled())))
                .or_plot(NAME)?;
            if k == 0 {
                marks
                    .label("best epoch (weights restored)")
                    .legend(|(x, y)| TriangleMarker::new((x + 9, y), 6, BLACK.filled()));
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .label_font((FONT, 13))
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.5))
                    .draw()
                    .or_plot(NAME)?;
            }
        }
        root.present().or_plot(NAME)?;
    }
    Ok(svg)
}
