//! `figures/forensics.svg`: per cell of the matrix, our mean test error of rows 2 and 4 with its
//! 95 % CI, against the paper's value of each row (red) and our independent student's mean
//! (grey): a cell reproduces a row when its whisker crosses the row's red line.

use super::{ForensicReport, RowFit};
use crate::error::Error;
use crate::report::figures::palette::{DEEP_BLUE, ORANGE};
use crate::report::figures::{OrPlotError, FONT};

pub const TITLE: &str = "Forensics: rows 2 and 4 per implementation variant, against the paper";

/// Draws the two panels (row 2 left, row 4 right), one line per cell.
pub fn render_forensics_svg(report: &ForensicReport) -> Result<String, Error> {
    use plotters::prelude::*;
    const NAME: &str = "the forensic figure";
    let cells = &report.cells;
    let n = cells.len().max(1);
    let height = 200 + 34 * n as u32;
    let labels: Vec<String> = cells.iter().map(|c| c.name()).collect();
    let independent = report
        .baselines
        .iter()
        .find(|b| b.row == "5")
        .map(|b| b.summary.mean);
    // One x range for both panels, covering every whisker and both paper values.
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for c in cells {
        for fit in [&c.row2, &c.row4].into_iter().flatten() {
            for v in [
                fit.summary.ci95_low,
                fit.summary.ci95_high,
                fit.summary.mean,
                fit.paper_error,
            ] {
                if v.is_finite() {
                    lo = lo.min(100.0 * v);
                    hi = hi.max(100.0 * v);
                }
            }
        }
    }
    if !lo.is_finite() {
        (lo, hi) = (2.0, 3.0);
    }
    let pad = 0.08 * (hi - lo).max(0.2);
    let (lo, hi) = (lo - pad, hi + pad);
    let at = |k: usize| SegmentValue::CenterOf(n - 1 - k);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, height)).into_drawing_area();
        root.fill(&WHITE).or_plot(NAME)?;
        let (title, body) = root.split_vertically(44);
        title
            .draw(&Text::new(
                TITLE,
                (14, 14),
                (FONT, 21).into_font().color(&BLACK),
            ))
            .or_plot(NAME)?;
        let (body, legend) = body.split_vertically(height - 44 - 40);
        let (left, right) = body.split_horizontally(330 + 385);
        let panels: [(
            &str,
            &plotters::drawing::DrawingArea<_, _>,
            u32,
            RGBColor,
            bool,
        ); 2] = [
            (
                "row 2: distilled from the big network",
                &left,
                330,
                ORANGE,
                true,
            ),
            (
                "row 4: distilled from the ensemble",
                &right,
                8,
                DEEP_BLUE,
                false,
            ),
        ];
        for (caption, area, label_width, colour, is_row2) in panels {
            let mut chart = ChartBuilder::on(area)
                .caption(caption, (FONT, 16))
                .margin(10)
                .x_label_area_size(44)
                .y_label_area_size(label_width)
                .build_cartesian_2d(lo..hi, (0..n - 1).into_segmented())
                .or_plot(NAME)?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(WHITE)
                .y_labels(n)
                .y_label_formatter(&|v: &SegmentValue<usize>| match v {
                    SegmentValue::CenterOf(s) if *s < n && is_row2 => labels[n - 1 - s].clone(),
                    _ => String::new(),
                })
                .x_label_formatter(&|v: &f64| format!("{v:.1}"))
                .x_desc("test error (%)")
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .draw()
                .or_plot(NAME)?;
            let fits: Vec<Option<&RowFit>> = cells
                .iter()
                .map(|c| {
                    if is_row2 {
                        c.row2.as_ref()
                    } else {
                        c.row4.as_ref()
                    }
                })
                .collect();
            let vertical = |x: f64, style: ShapeStyle| {
                PathElement::new(
                    vec![(x, SegmentValue::Exact(0)), (x, SegmentValue::Last)],
                    style,
                )
            };
            if let Some(paper) = fits.iter().flatten().map(|f| f.paper_error).next() {
                chart
                    .draw_series(std::iter::once(vertical(
                        100.0 * paper,
                        RED.stroke_width(2),
                    )))
                    .or_plot(NAME)?;
            }
            if let Some(mean) = independent {
                chart
                    .draw_series(std::iter::once(vertical(
                        100.0 * mean,
                        BLACK.mix(0.35).stroke_width(2),
                    )))
                    .or_plot(NAME)?;
            }
            for (k, fit) in fits.iter().enumerate() {
                let Some(f) = fit else { continue };
                let s = &f.summary;
                if s.ci95_low.is_finite() {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(100.0 * s.ci95_low, at(k)), (100.0 * s.ci95_high, at(k))],
                            colour.stroke_width(3),
                        )))
                        .or_plot(NAME)?;
                }
                let style = if f.paper_in_ci {
                    colour.filled()
                } else {
                    colour.stroke_width(3)
                };
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (100.0 * s.mean, at(k)),
                        7,
                        style,
                    )))
                    .or_plot(NAME)?;
            }
        }
        legend
            .draw(&Text::new(
                "dot: our mean over the repetitions, whisker: its 95 % CI; filled: the paper's value \
                 (red line) lies inside the CI; grey line: our independent student (row 5)",
                (14, 14),
                (FONT, 13).into_font().color(&BLACK),
            ))
            .or_plot(NAME)?;
        root.present().or_plot(NAME)?;
    }
    Ok(svg)
}
