//! Confusion matrices of the independent student and of the best distilled arm (the grid cell
//! with the lowest mean test error), for one repetition, as heatmaps with counts.

use super::evidence::{first_repetition_with, Evidence};
use super::palette::sequential;
use super::{OrPlotError, FONT};
use crate::report::build::settings_cmp;
use crate::report::model::{GridCell, StudyReport};
use crate::study::record::{Record, Role};
use crate::train::evaluate::{predict, ConfusionMatrix};
use std::cmp::Ordering;

pub const FILE: &str = "confusion.svg";
pub const TITLE: &str = "Where the students err: confusion matrices on the test set";
pub const READING: &str =
    "Rows are the true digit and columns the predicted one; each cell counts \
    test images, the diagonal (grey) the correct ones, and the off-diagonal cells are shaded \
    from white to vermillion by how many images went to that wrong digit. Compare the two \
    matrices cell by cell to see which confusions distillation removes or adds.";

/// The grid cell with the lowest mean test error (the first such in the grid's order).
pub fn best_arm(report: &StudyReport) -> Option<&GridCell> {
    report
        .grid
        .iter()
        .min_by(|a, b| a.summary.mean.total_cmp(&b.summary.mean))
}

/// One panel: its caption and its matrix.
pub type Panel = (String, ConfusionMatrix);

/// The independent student and the best arm's student of the first repetition that has both,
/// in that order, and that repetition.
pub fn students_to_compare<'r>(
    report: &StudyReport,
    records: &'r [Record],
) -> Result<(Vec<&'r Record>, GridCell), String> {
    let best = best_arm(report).ok_or("the records hold no distilled student")?;
    let chosen: Vec<Record> = records
        .iter()
        .filter(|r| {
            r.role == Role::Independent
                || r.distill
                    .is_some_and(|d| settings_cmp(&d, &best.distill) == Ordering::Equal)
        })
        .cloned()
        .collect();
    let rep = first_repetition_with(&chosen, &[Role::Independent, Role::Distilled])
        .ok_or("no repetition holds both the independent student and the best distilled arm")?;
    let mut pair: Vec<&Record> = records
        .iter()
        .filter(|r| r.repetition == rep && chosen.iter().any(|c| c.key == r.key))
        .collect();
    pair.sort_by_key(|r| r.role != Role::Independent);
    Ok((pair, best.clone()))
}

pub fn panels(
    report: &StudyReport,
    records: &[Record],
    evidence: &Evidence<'_>,
) -> Result<Vec<Panel>, String> {
    let (pair, best) = students_to_compare(report, records)?;
    let test = evidence.test()?;
    let d = best.distill;
    let mut out = Vec::new();
    for r in pair {
        let rep = r.repetition;
        let model = evidence.model(&r.key)?;
        let predictions = predict(&model, test, 0..test.len());
        let labels = test.labels().iter().map(|&y| usize::from(y));
        let cm = ConfusionMatrix::new(model.classes(), labels, &predictions);
        let caption = match r.role {
            Role::Independent => "independent student".to_string(),
            _ => format!(
                "best arm, KD ← {} ({}, T {}, α {})",
                d.source, d.mode, d.temperature, d.alpha
            ),
        };
        out.push((
            format!("{caption}: {:.2} % error, rep. {rep}", 100.0 * cm.error()),
            cm,
        ));
    }
    Ok(out)
}

pub fn draw(panels: &[Panel]) -> Result<String, crate::Error> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    const NAME: &str = "the confusion matrices";
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 560)).into_drawing_area();
        root.fill(&WHITE).or_plot(NAME)?;
        let body = root.titled(TITLE, (FONT, 22)).or_plot(NAME)?;
        let (top, bottom) = body.split_vertically(490);
        for ((caption, cm), area) in panels.iter().zip(top.split_evenly((1, 2))) {
            let n = cm.counts.len();
            let off_max = (0..n)
                .flat_map(|t| (0..n).filter(move |&p| p != t).map(move |p| (t, p)))
                .map(|(t, p)| cm.counts[t][p])
                .max()
                .unwrap_or(0)
                .max(1);
            let mut chart = ChartBuilder::on(&area)
                .caption(caption, (FONT, 13))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(44)
                .build_cartesian_2d((0..n - 1).into_segmented(), (0..n - 1).into_segmented())
                .or_plot(NAME)?;
            let digit = |v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(s) => s.to_string(),
                _ => String::new(),
            };
            let flipped = |v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(s) => (n - 1 - s).to_string(),
                _ => String::new(),
            };
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(n)
                .y_labels(n)
                .x_label_formatter(&digit)
                .y_label_formatter(&flipped)
                .x_desc("predicted digit")
                .y_desc("true digit")
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .draw()
                .or_plot(NAME)?;
            let cells = (0..n).flat_map(|t| (0..n).map(move |p| (t, p)));
            let count_style = (FONT, 11)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(cells.clone().map(|(t, p)| {
                    let c = cm.counts[t][p];
                    let fill = if t == p {
                        RGBColor(215, 215, 215)
                    } else {
                        sequential(c as f64 / off_max as f64)
                    };
                    let y = n - 1 - t;
                    Rectangle::new(
                        [
                            (SegmentValue::Exact(p), SegmentValue::Exact(y)),
                            (SegmentValue::Exact(p + 1), SegmentValue::Exact(y + 1)),
                        ],
                        fill.filled(),
                    )
                }))
                .or_plot(NAME)?;
            chart
                .draw_series(cells.filter(|&(t, p)| cm.counts[t][p] > 0).map(|(t, p)| {
                    let c = cm.counts[t][p];
                    let ink = if t != p && 2 * c > off_max {
                        &WHITE
                    } else {
                        &BLACK
                    };
                    Text::new(
                        c.to_string(),
                        (SegmentValue::CenterOf(p), SegmentValue::CenterOf(n - 1 - t)),
                        count_style.clone().color(ink),
                    )
                }))
                .or_plot(NAME)?;
        }
        bottom
            .draw(&Text::new(
                "counts of test images; diagonal = correct (grey), off-diagonal shaded by count",
                (20, 20),
                (FONT, 14),
            ))
            .or_plot(NAME)?;
        root.present().or_plot(NAME)?;
    }
    Ok(svg)
}
