//! The grid as a forest plot: every distillation cell's difference from the independent
//! student with its 95 % confidence interval, one line per cell, cells that survive Holm's
//! correction filled and marked †.

use super::palette::{BLUISH_GREEN, DEEP_BLUE, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION};
use super::{Figure, OrPlotError, FONT};
use crate::engine::loss::SoftTargetMode;
use crate::report::model::{GridCell, StudyReport};
use crate::study::record::Source;
use plotters::style::RGBColor;

pub const TITLE: &str = "The grid: Δ test error vs the independent student (mean, 95 % CI)";
const READING: &str = "Each line is one distillation setting (source, soft-target mode, T, α): \
    the dot is the mean difference in test error from the independent student of the same \
    repetition, in percentage points, and the whisker its 95 % confidence interval; left of the \
    dashed zero line distillation helped, right of it it hurt. A filled dot marked † is still \
    significant (p < 0.05) after Holm's correction over all the cells tested; a hollow dot is not.";

fn group(cell: &GridCell) -> (&'static str, RGBColor) {
    match (cell.distill.source, cell.distill.mode) {
        (Source::Teacher, SoftTargetMode::Probabilities) => ("teacher, probabilities", ORANGE),
        (Source::Teacher, SoftTargetMode::Logits) => ("teacher, logits", VERMILLION),
        (Source::Ensemble, SoftTargetMode::Probabilities) => ("ensemble, probabilities", SKY_BLUE),
        (Source::Ensemble, SoftTargetMode::Logits) => ("ensemble, logits", DEEP_BLUE),
        (Source::Teacher, SoftTargetMode::DoubleSoftmax) => {
            ("teacher, double softmax", REDDISH_PURPLE)
        }
        (Source::Ensemble, SoftTargetMode::DoubleSoftmax) => {
            ("ensemble, double softmax", BLUISH_GREEN)
        }
    }
}

pub fn figure(report: &StudyReport) -> Result<Figure, crate::Error> {
    let cells: Vec<&GridCell> = report
        .grid
        .iter()
        .filter(|c| c.vs_independent.is_some_and(|t| t.ci95_low.is_finite()))
        .collect();
    let inputs = if cells.is_empty() {
        Err("no distillation cell has two repetitions paired with an independent student".into())
    } else {
        Ok(cells)
    };
    Figure::drawn_or_absent("grid.svg", TITLE, READING, inputs, |c| draw(c))
}

fn draw(cells: &[&GridCell]) -> Result<String, crate::Error> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    const NAME: &str = "the grid figure";
    let n = cells.len();
    let height = 190 + 28 * n as u32;
    let labels: Vec<String> = cells
        .iter()
        .map(|c| {
            let d = c.distill;
            format!("{} · T = {} · α = {}", group(c).0, d.temperature, d.alpha)
        })
        .collect();
    let tests: Vec<_> = cells.iter().filter_map(|c| c.vs_independent).collect();
    let reach = tests
        .iter()
        .map(|t| t.ci95_low.abs().max(t.ci95_high.abs()))
        .fold(0.0f64, f64::max)
        * 100.0;
    let half = (reach * 1.15).max(0.05);
    // Cell k is drawn k-th from the top.
    let at = |k: usize| SegmentValue::CenterOf(n - 1 - k);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, height)).into_drawing_area();
        root.fill(&WHITE).or_plot(NAME)?;
        let (top, bottom) = root.split_vertically(height - 44);
        let mut chart = ChartBuilder::on(&top)
            .caption(TITLE, (FONT, 21))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(290)
            .build_cartesian_2d(-half..half, (0..n - 1).into_segmented())
            .or_plot(NAME)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(n)
            .y_label_formatter(&|v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(s) if *s < n => labels[n - 1 - s].clone(),
                _ => String::new(),
            })
            .x_label_formatter(&|v: &f64| format!("{v:+.2}"))
            .x_desc("Δ test error (percentage points; negative = distillation better)")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .draw()
            .or_plot(NAME)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Last)],
                BLACK.mix(0.6).stroke_width(1),
            )))
            .or_plot(NAME)?;
        let mut seen: Vec<(&'static str, RGBColor)> = Vec::new();
        for (k, (cell, test)) in cells.iter().zip(&tests).enumerate() {
            let (name, colour) = group(cell);
            let holm = cell.p_holm.is_some_and(|p| p < 0.05);
            let (lo, mid, hi) = (
                100.0 * test.ci95_low,
                100.0 * test.mean_diff,
                100.0 * test.ci95_high,
            );
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(lo, at(k)), (hi, at(k))],
                    colour.stroke_width(3),
                )))
                .or_plot(NAME)?;
            let style = if holm {
                colour.filled()
            } else {
                colour.stroke_width(3)
            };
            chart
                .draw_series(std::iter::once(Circle::new((mid, at(k)), 7, style)))
                .or_plot(NAME)?;
            if !seen.iter().any(|g| g.0 == name) {
                seen.push((name, colour));
            }
            if holm {
                chart
                    .draw_series(std::iter::once(Text::new(
                        "†",
                        (hi, at(k)),
                        (FONT, 18).into_font().color(&BLACK),
                    )))
                    .or_plot(NAME)?;
            }
        }
        // The legend under the chart, where it hides no whisker.
        let left = (FONT, 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let mut x = 14;
        for (name, colour) in &seen {
            bottom
                .draw(&Circle::new((x + 6, 12), 6, colour.filled()))
                .or_plot(NAME)?;
            bottom
                .draw(&Text::new(*name, (x + 16, 12), left.clone()))
                .or_plot(NAME)?;
            x += 24 + 7 * name.len() as i32;
        }
        bottom
            .draw(&Text::new(
                "filled dot, †: p < 0.05 after Holm's correction; hollow: not significant after it",
                (14, 34),
                left,
            ))
            .or_plot(NAME)?;
        root.present().or_plot(NAME)?;
    }
    Ok(svg)
}
