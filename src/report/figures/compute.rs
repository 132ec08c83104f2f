//! `compute.svg`: test error against the training FLOPs it took to produce each kind of
//! deployed model (the report's compute table): what distillation costs beside what it gives.

use super::palette::{BLUISH_GREEN, DEEP_BLUE, ORANGE, REDDISH_PURPLE, VERMILLION};
use super::{Figure, OrPlotError, FONT};
use crate::engine::loss::SoftTargetMode;
use crate::report::compute::ComputeRow;
use crate::report::model::StudyReport;
use crate::study::record::{Role, Source};
use plotters::style::RGBColor;

pub const TITLE: &str = "Test error against the compute to produce each model";
const READING: &str = "Each mark is one kind of deployed model: its mean test error over the \
    repetitions (whisker: 95 % CI) against the mean training FLOPs needed to produce it: its own \
    training, plus, for a distilled student, its teacher's or ensemble's training and the \
    soft-target pass. Left: every model on a log scale; down and left is better, and a distilled \
    student sits right of the teacher it needed. Right: the distilled students alone, on a \
    linear scale zoomed to their range (the grey band on the left), where they no longer lie on \
    top of each other; the shape of a mark is its soft-target mode.";

fn colour(row: &ComputeRow) -> RGBColor {
    match (row.role, row.distill.map(|d| d.source)) {
        (Role::Teacher, _) => VERMILLION,
        (Role::Ensemble, _) => DEEP_BLUE,
        (Role::Independent, _) => BLUISH_GREEN,
        (_, Some(Source::Teacher)) => ORANGE,
        _ => REDDISH_PURPLE,
    }
}

/// The mark of a model: a circle, or for a distilled student the shape of its mode.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Circle,
    Triangle,
    Square,
}

fn shape(row: &ComputeRow) -> Shape {
    match row.distill.map(|d| d.mode) {
        Some(SoftTargetMode::Logits) => Shape::Triangle,
        Some(SoftTargetMode::DoubleSoftmax) => Shape::Square,
        Some(SoftTargetMode::Probabilities) | None => Shape::Circle,
    }
}

pub fn figure(report: &StudyReport) -> Result<Figure, crate::Error> {
    let rows: Vec<&ComputeRow> = report.compute.iter().collect();
    let inputs = if rows.is_empty() {
        Err("no record carries its training FLOPs (records from before they were counted)".into())
    } else {
        Ok(rows)
    };
    Figure::drawn_or_absent("compute.svg", TITLE, READING, inputs, |r| draw(r))
}

const NAME: &str = "the compute figure";
const WIDTH: u32 = 940;
const HEIGHT: u32 = 640;
const LEGEND_HEIGHT: u32 = 64;

/// The range of `values` widened by `pad` of its span (at least `min_span`) on each side.
fn padded(values: impl Iterator<Item = f64>, pad: f64, min_span: f64) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let margin = pad * (hi - lo).max(min_span);
    (lo - margin, hi + margin)
}

fn draw(rows: &[&ComputeRow]) -> Result<String, crate::Error> {
    use plotters::prelude::*;
    let tflop = |r: &ComputeRow| r.total_flops / 1e12;
    let (xmin, xmax) = rows
        .iter()
        .map(|r| tflop(r))
        .fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    let (xlo, xhi) = (xmin / 1.6, xmax * 1.6);
    let errors = rows.iter().flat_map(|r| {
        let s = &r.test_error;
        [s.mean, s.ci95_low, s.ci95_high]
            .into_iter()
            .filter(|v| v.is_finite())
            .map(|v| 100.0 * v)
    });
    let (ylo, yhi) = padded(errors, 0.1, 0.2);
    let distilled: Vec<&ComputeRow> = rows
        .iter()
        .copied()
        .filter(|r| r.role == Role::Distilled)
        .collect();
    let zoom =
        (!distilled.is_empty()).then(|| padded(distilled.iter().map(|r| tflop(r)), 0.12, 0.02));

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).or_plot(NAME)?;
        let root = root.titled(TITLE, (FONT, 21)).or_plot(NAME)?;
        let (charts, legend) = root.split_vertically(HEIGHT - 30 - LEGEND_HEIGHT);
        let (left, right) = match zoom {
            Some(_) => charts.split_horizontally(WIDTH * 55 / 100),
            None => (charts.clone(), charts.shrink((WIDTH, 0), (0, 0))),
        };
        let mut all = ChartBuilder::on(&left)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(58)
            .build_cartesian_2d(
                (xlo..xhi).log_scale().with_key_points(ticks_125(xlo, xhi)),
                ylo..yhi,
            )
            .or_plot(NAME)?;
        all.configure_mesh()
            .light_line_style(WHITE)
            .x_desc("compute to produce it (TFLOP, log scale)")
            .y_desc("test error (%)")
            .x_label_formatter(&|v: &f64| format!("{v:.2}"))
            .y_label_formatter(&|v: &f64| format!("{v:.1}"))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .or_plot(NAME)?;
        if let Some((zlo, zhi)) = zoom {
            // Where the right-hand panel looks, on the left-hand one.
            all.draw_series(std::iter::once(Rectangle::new(
                [(zlo, ylo), (zhi, yhi)],
                RGBColor(150, 150, 150).mix(0.18).filled(),
            )))
            .or_plot(NAME)?;
        }
        draw_marks(&mut all, rows.iter().map(|r| (tflop(r), *r)))?;

        if let Some((zlo, zhi)) = zoom {
            let mut near = ChartBuilder::on(&right)
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(40)
                .build_cartesian_2d(zlo..zhi, ylo..yhi)
                .or_plot(NAME)?;
            near.configure_mesh()
                .light_line_style(WHITE)
                .x_labels(5)
                .x_desc("distilled students only (TFLOP, linear)")
                .x_label_formatter(&|v: &f64| format!("{v:.2}"))
                .y_label_formatter(&|v: &f64| format!("{v:.1}"))
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 15))
                .draw()
                .or_plot(NAME)?;
            draw_marks(&mut near, distilled.iter().map(|r| (tflop(r), *r)))?;
        }

        // The legend: colour is the kind of model, shape the soft-target mode.
        let entries: [(&str, RGBColor, Shape); 8] = [
            ("teacher", VERMILLION, Shape::Circle),
            ("ensemble", DEEP_BLUE, Shape::Circle),
            ("independent student", BLUISH_GREEN, Shape::Circle),
            ("distilled from the teacher", ORANGE, Shape::Circle),
            ("distilled from the ensemble", REDDISH_PURPLE, Shape::Circle),
            ("probabilities mode", RGBColor(90, 90, 90), Shape::Circle),
            ("logits mode", RGBColor(90, 90, 90), Shape::Triangle),
            ("double-softmax mode", RGBColor(90, 90, 90), Shape::Square),
        ];
        for (i, (name, c, s)) in entries.iter().enumerate() {
            let (x, y) = (24 + 230 * (i as i32 % 4), 18 + 26 * (i as i32 / 4));
            legend.draw(&mark((x, y), *s, *c)).or_plot(NAME)?;
            legend
                .draw(&Text::new(
                    *name,
                    (x + 12, y - 7),
                    (FONT, 14).into_font().color(&BLACK),
                ))
                .or_plot(NAME)?;
        }
        root.present().or_plot(NAME)?;
    }
    Ok(svg)
}

/// A model's mark at pixel `at`.
fn mark<'b, DB: plotters::prelude::DrawingBackend + 'b>(
    at: (i32, i32),
    shape: Shape,
    colour: RGBColor,
) -> plotters::element::DynElement<'b, DB, (i32, i32)> {
    use plotters::prelude::*;
    let style = colour.filled();
    match shape {
        Shape::Circle => (EmptyElement::at(at) + Circle::new((0, 0), 6, style)).into_dyn(),
        Shape::Triangle => {
            (EmptyElement::at(at) + TriangleMarker::new((0, 0), 8, style)).into_dyn()
        }
        Shape::Square => {
            (EmptyElement::at(at) + Rectangle::new([(-5, -5), (5, 5)], style)).into_dyn()
        }
    }
}

/// Each model's whisker and mark, at its (TFLOP, error) on `chart`.
fn draw_marks<'a, X, DB>(
    chart: &mut plotters::chart::ChartContext<
        '_,
        DB,
        plotters::coord::cartesian::Cartesian2d<X, plotters::coord::types::RangedCoordf64>,
    >,
    points: impl Iterator<Item = (f64, &'a ComputeRow)>,
) -> Result<(), crate::Error>
where
    DB: plotters::prelude::DrawingBackend,
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    use plotters::prelude::*;
    for (x, row) in points {
        let c = colour(row);
        let s = &row.test_error;
        if s.ci95_low.is_finite() {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, 100.0 * s.ci95_low), (x, 100.0 * s.ci95_high)],
                    c.stroke_width(2),
                )))
                .or_plot(NAME)?;
        }
        // The mark is drawn in pixels of the plotting area, from the chart's own mapping.
        let (px, py) = chart.backend_coord(&(x, 100.0 * s.mean));
        let area = chart.plotting_area().strip_coord_spec();
        let (bx, by) = area.get_base_pixel();
        area.draw(&mark((px - bx, py - by), shape(row), c))
            .or_plot(NAME)?;
    }
    Ok(())
}

/// The ticks of a log axis from `lo` to `hi`: 1, 2 and 5 times each power of ten in between.
/// (plotters' own ticks for a log range drew 1.00 twice, once from each decade, and crowded the
/// axis with 0.1, 0.2, …, 0.9.)
fn ticks_125(lo: f64, hi: f64) -> Vec<f64> {
    let first = lo.log10().floor() as i32;
    let last = hi.log10().ceil() as i32;
    (first..=last)
        .flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(d)))
        .filter(|&v| v >= lo && v <= hi)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ticks_125;

    #[test]
    fn log_ticks_are_one_two_five_each_once() {
        assert_eq!(ticks_125(0.09, 3.1), vec![0.1, 0.2, 0.5, 1.0, 2.0]);
        assert_eq!(ticks_125(0.15, 0.45), vec![0.2]);
        assert!(ticks_125(3.0, 4.0).is_empty());
    }
}
