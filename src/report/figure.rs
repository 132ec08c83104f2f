//! `figure.svg`: the paper's Figure 3 from our data.
//!
//! Drawn with the `plotters` crate's SVG backend, built with only the `svg_backend` feature.
//! Without the `ttf` or `ab_glyph` features plotters needs no font file: it estimates text
//! extents from the character count (its `naive` font module) and writes `<text>` elements that
//! the viewer lays out with its own fonts. Drawing therefore works on a machine without any
//! system font (a fresh CI machine), at the price of approximate text widths, which the generous
//! label area absorbs. The bars are horizontal, one per row, with the short names on the left, so
//! the labels never collide at 800 px wide.

use super::model::{RowKind, RowSummary, StudyReport};
use crate::error::Error;

/// The Table 1 figure's title: the SVG's caption (with the class count after it), the heading
/// of its section in report.html, and what CI's browser check looks for.
pub const TABLE1_FIGURE_TITLE: &str =
    "Test error: our runs (mean, 95 % CI) and the paper's Table 1";

/// Any plotters failure, as a configuration error naming the figure.
pub(super) fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Config(format!("drawing the figure failed: {e}"))
}

/// The figure's width in pixels.
pub(super) const FIGURE_WIDTH: u32 = 800;

/// The paper's Figure 3 from our data: one horizontal bar per row (our mean test error, in %),
/// 95 % CI whiskers, our mean printed at the base of its bar, and the paper's Table 1 value as a red cross
/// where it has one.
pub fn render_figure_svg(report: &StudyReport) -> Result<String, Error> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    let rows = &report.rows;
    let n = rows.len().max(1);
    let height = (120 + 52 * n as u32).max(320);
    let labels: Vec<&'static str> = rows.iter().map(|r| RowKind::of(r).short()).collect();
    // Row k is drawn k-th from the top: segment n − 1 − k of the upward y axis.
    let seg = |k: usize| (n - 1 - k) as i32;
    let ours_high = |r: &RowSummary| {
        let s = &r.summary;
        if s.ci95_high.is_finite() {
            s.ci95_high.max(s.mean)
        } else {
            s.mean
        }
    };
    let top = rows
        .iter()
        .map(|r| ours_high(r).max(r.paper_error.unwrap_or(0.0)))
        .fold(0.0f64, f64::max)
        * 100.0;
    // Room on the right for the legend.
    let x_max = if top > 0.0 { top * 1.75 } else { 1.0 };
    // The legend goes in the right-hand corner whose three rows reach least far.
    let reach = |rs: &[RowSummary]| {
        rs.iter()
            .map(|r| ours_high(r).max(r.paper_error.unwrap_or(0.0)))
            .fold(0.0f64, f64::max)
    };
    let legend_corner =
        if reach(&rows[..rows.len().min(3)]) < reach(&rows[rows.len().saturating_sub(3)..]) {
            SeriesLabelPosition::UpperRight
        } else {
            SeriesLabelPosition::LowerRight
        };

    let bar = RGBColor(76, 114, 176);
    let paper = RGBColor(213, 55, 0);
    let font = "sans-serif";

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (FIGURE_WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let classes = report.classes.map_or(String::new(), |n| {
            format!(
                " ({} classes)",
                n.saturating_sub(report.empty_classes.len())
            )
        });
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{TABLE1_FIGURE_TITLE}{classes}"), (font, 24))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(200)
            .build_cartesian_2d(0f64..x_max, (0..n as i32 - 1).into_segmented())
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(n)
            .y_label_formatter(&|v: &SegmentValue<i32>| match v {
                SegmentValue::CenterOf(s) => usize::try_from(*s)
                    .ok()
                    .filter(|&s| s < labels.len())
                    .map_or(String::new(), |s| labels[n - 1 - s].to_string()),
                _ => String::new(),
            })
            .x_label_formatter(&|v: &f64| format!("{v:.1}"))
            .x_desc("test error (%)")
            .y_desc("model (Table 1 row)")
            .axis_desc_style((font, 19))
            .label_style((font, 17))
            .draw()
            .map_err(plot_error)?;

        if rows.is_empty() {
            root.draw(&Text::new(
                "no results yet",
                (FIGURE_WIDTH as i32 / 2 - 40, height as i32 / 2),
                (font, 18),
            ))
            .map_err(plot_error)?;
        }

        chart
            .draw_series(rows.iter().enumerate().map(|(k, r)| {
                let mut rect = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(seg(k))),
                        (100.0 * r.summary.mean, SegmentValue::Exact(seg(k) + 1)),
                    ],
                    bar.mix(0.85).filled(),
                );
                rect.set_margin(10, 10, 0, 0);
                rect
            }))
            .map_err(plot_error)?
            .label("ours: mean test error")
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], bar.filled()));

        let with_ci: Vec<(usize, f64, f64)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.summary.ci95_low.is_finite() && r.summary.ci95_high.is_finite())
            .map(|(k, r)| (k, 100.0 * r.summary.ci95_low, 100.0 * r.summary.ci95_high))
            .collect();
        let whisker = BLACK.stroke_width(2);
        chart
            .draw_series(with_ci.iter().map(|&(k, lo, hi)| {
                PathElement::new(
                    vec![
                        (lo, SegmentValue::CenterOf(seg(k))),
                        (hi, SegmentValue::CenterOf(seg(k))),
                    ],
                    whisker,
                )
            }))
            .map_err(plot_error)?
            .label("ours: 95 % CI of the mean")
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![
                        (x, y - 5),
                        (x, y + 5),
                        (x, y),
                        (x + 16, y),
                        (x + 16, y - 5),
                        (x + 16, y + 5),
                    ],
                    whisker,
                )
            });
        chart
            .draw_series(with_ci.iter().flat_map(|&(k, lo, hi)| {
                [lo, hi].map(|x| {
                    EmptyElement::at((x, SegmentValue::CenterOf(seg(k))))
                        + PathElement::new(vec![(0, -7), (0, 7)], whisker)
                })
            }))
            .map_err(plot_error)?;
        // Our mean, in white at the base of its bar, away from the whisker and the paper's cross
        // near the bar's end (and never to be mistaken for the cross's value); a bar too short
        // to hold it gets it on its right, past whisker and cross.
        let plot_width = f64::from(FIGURE_WIDTH - 200 - 2 * 16);
        chart
            .draw_series(rows.iter().enumerate().map(|(k, r)| {
                let mean = 100.0 * r.summary.mean;
                let text = format!("{mean:.2}");
                let at = |x: f64| EmptyElement::at((x, SegmentValue::CenterOf(seg(k))));
                if mean / x_max * plot_width >= 60.0 {
                    let style = (font, 16)
                        .into_font()
                        .color(&WHITE)
                        .pos(Pos::new(HPos::Left, VPos::Center));
                    at(0.0) + Text::new(text, (8, 0), style)
                } else {
                    let style = (font, 16)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Left, VPos::Center));
                    at(100.0 * ours_high(r).max(r.paper_error.unwrap_or(0.0)))
                        + Text::new(text, (12, 0), style)
                }
            }))
            .map_err(plot_error)?;

        chart
            .draw_series(rows.iter().enumerate().filter_map(|(k, r)| {
                r.paper_error.map(|p| {
                    Cross::new(
                        (100.0 * p, SegmentValue::CenterOf(seg(k))),
                        7,
                        paper.stroke_width(3),
                    )
                })
            }))
            .map_err(plot_error)?
            .label("paper (Table 1)")
            .legend(move |(x, y)| Cross::new((x + 8, y), 6, paper.stroke_width(3)));

        chart
            .configure_series_labels()
            .position(legend_corner)
            .margin(12)
            .label_font((font, 17))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.6))
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}
