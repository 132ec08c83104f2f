//! `compute.svg`: test error against the training FLOPs it took to produce each kind of
//! deployed model (the report's compute table): what distillation costs beside what it gives.

use super::palette::{BLUISH_GREEN, DEEP_BLUE, ORANGE, REDDISH_PURPLE, VERMILLION};
use super::{Figure, OrPlotError, FONT};
use crate::report::compute::ComputeRow;
use crate::report::model::StudyReport;
use crate::study::record::{Role, Source};
use plotters::style::RGBColor;

pub const TITLE: &str = "Test error against the compute to produce each model";
const READING: &str = "Each dot is one kind of deployed model: its mean test error over the \
    repetitions (whisker: 95 % CI) against the mean training FLOPs needed to produce it, on a \
    log scale: its own training, plus, for a distilled student, its teacher's or ensemble's \
    training and the soft-target pass. Down and left is better; a distilled student sits right \
    of the teacher it needed.";

fn colour(row: &ComputeRow) -> RGBColor {
    match (row.role, row.distill.map(|d| d.source)) {
        (Role::Teacher, _) => VERMILLION,
        (Role::Ensemble, _) => DEEP_BLUE,
        (Role::Independent, _) => BLUISH_GREEN,
        (_, Some(Source::Teacher)) => ORANGE,
        _ => REDDISH_PURPLE,
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

fn draw(rows: &[&ComputeRow]) -> Result<String, crate::Error> {
    use plotters::prelude::*;
    const NAME: &str = "the compute figure";
    let xs: Vec<f64> = rows.iter().map(|r| r.total_flops / 1e12).collect();
    let (xmin, xmax) = xs
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    let ys = rows.iter().flat_map(|r| {
        let s = &r.test_error;
        [s.mean, s.ci95_low, s.ci95_high]
            .into_iter()
            .filter(|v| v.is_finite())
            .map(|v| 100.0 * v)
    });
    let (ymin, ymax) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    let pad = 0.1 * (ymax - ymin).max(0.2);
    let (xlo, xhi) = (xmin / 1.6, xmax * 1.6);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 620)).into_drawing_area();
        root.fill(&WHITE).or_plot(NAME)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(TITLE, (FONT, 21))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (xlo..xhi).log_scale().with_key_points(ticks_125(xlo, xhi)),
                (ymin - pad)..(ymax + pad),
            )
            .or_plot(NAME)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("training compute to produce the model (TFLOP, log scale)")
            .y_desc("test error (%)")
            .x_label_formatter(&|v: &f64| format!("{v:.2}"))
            .y_label_formatter(&|v: &f64| format!("{v:.1}"))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .or_plot(NAME)?;
        for (row, &x) in rows.iter().zip(&xs) {
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
            chart
                .draw_series(std::iter::once(Circle::new(
                    (x, 100.0 * s.mean),
                    6,
                    c.filled(),
                )))
                .or_plot(NAME)?;
        }
        let legend = [
            ("teacher", VERMILLION),
            ("ensemble", DEEP_BLUE),
            ("independent student", BLUISH_GREEN),
            ("distilled from the teacher", ORANGE),
            ("distilled from the ensemble", REDDISH_PURPLE),
        ];
        for (i, (name, c)) in legend.iter().enumerate() {
            let y = 400 + 20 * i as i32;
            root.draw(&Circle::new((300, y), 6, c.filled()))
                .or_plot(NAME)?;
            root.draw(&Text::new(
                *name,
                (312, y - 7),
                (FONT, 13).into_font().color(&BLACK),
            ))
            .or_plot(NAME)?;
        }
        root.present().or_plot(NAME)?;
    }
    Ok(svg)
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
