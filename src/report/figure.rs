//! `figure.svg`: the paper's Figure 3 from our data, as a dot plot.
//!
//! Drawn with the `plotters` crate's SVG backend, built with only the `svg_backend` feature.
//! Without the `ttf` or `ab_glyph` features plotters needs no font file: it estimates text
//! extents from the character count (its `naive` font module) and writes `<text>` elements that
//! the viewer lays out with its own fonts. Drawing therefore works on a machine without any
//! system font (a fresh CI machine), at the price of approximate text widths, which the generous
//! label areas absorb.
//!
//! The differences the study is about are tenths of a percentage point on errors of 2–3 %, so
//! the error axis is zoomed to the data, and says so under it: bars from 0 made them a few
//! pixels wide. Each row is our mean as a dot with its 95 % interval, the paper's value as a
//! cross just below it, and both numbers in a column on the right.

use super::model::{RowKind, RowSummary, StudyReport};
use crate::error::Error;

/// The Table 1 figure's title: the SVG's caption (with the class count after it), the heading
/// of its section in report.html, and what CI's browser check looks for.
pub const TABLE1_FIGURE_TITLE: &str =
    "Test error: our runs (mean, 95 % CI) and the paper's Table 1";

/// What the error axis says under it: it does not start at zero.
pub const ZOOMED_AXIS_NOTE: &str = "axis zoomed to the data, not from 0";

/// Any plotters failure, as a configuration error naming the figure.
pub(super) fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Config(format!("drawing the figure failed: {e}"))
}

/// The figure's width in pixels.
pub(super) const FIGURE_WIDTH: u32 = 800;
/// The width of the right-hand column of numbers.
const NUMBERS_WIDTH: u32 = 170;
/// The height of the legend strip under the chart.
const LEGEND_HEIGHT: u32 = 40;

/// The values a row puts on the axis, in %: our mean and interval, and the paper's value.
fn row_values(r: &RowSummary) -> impl Iterator<Item = f64> + '_ {
    let s = &r.summary;
    [
        Some(s.mean),
        Some(s.ci95_low),
        Some(s.ci95_high),
        r.paper_error,
    ]
    .into_iter()
    .flatten()
    .filter(|v| v.is_finite())
    .map(|v| 100.0 * v)
}

/// The error axis, in %: every row's values with a margin of a tenth of their span (at least
/// 0.05 pp) on each side, rounded out to tenths of a point; `0..1` when there is nothing to show.
pub(super) fn zoomed_range(rows: &[RowSummary]) -> (f64, f64) {
    let (lo, hi) = rows
        .iter()
        .flat_map(row_values)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let margin = (0.1 * (hi - lo)).max(0.05);
    let lo = (((lo - margin) * 10.0).floor() / 10.0).max(0.0);
    let hi = ((hi + margin) * 10.0).ceil() / 10.0;
    (lo, hi.max(lo + 0.1))
}

/// The paper's Figure 3 from our data: a line per Table 1 row with our mean test error (in %)
/// as a dot, its 95 % CI as a whisker, and the paper's value as a red cross just below where it
/// has one; the numbers in a column on the right; the error axis zoomed to the data.
pub fn render_figure_svg(report: &StudyReport) -> Result<String, Error> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    let rows = &report.rows;
    let n = rows.len().max(1);
    let cell_line = report
        .table1_cell
        .as_ref()
        .map(|c| format!("Table 1 is the cell of {}", c.describe()));
    let legend_height = LEGEND_HEIGHT + if cell_line.is_some() { 22 } else { 0 };
    let height = (150 + 46 * n as u32).max(320) + legend_height - LEGEND_HEIGHT;
    let labels: Vec<&'static str> = rows.iter().map(|r| RowKind::of(r).short()).collect();
    // Row k is drawn k-th from the top: segment n − 1 − k of the upward y axis.
    let seg = |k: usize| (n - 1 - k) as i32;
    let (x_lo, x_hi) = zoomed_range(rows);

    let ours = RGBColor(0, 114, 178);
    let paper = RGBColor(213, 55, 0);
    let font = "sans-serif";
    // Our dot sits a little above the row's centre line, the paper's cross a little below.
    const OURS_DY: i32 = -6;
    const PAPER_DY: i32 = 9;

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
        let (plot_area, _) = root.split_vertically(height - legend_height);
        let (chart_area, _) = plot_area.split_horizontally(FIGURE_WIDTH - NUMBERS_WIDTH);
        let mut chart = ChartBuilder::on(&chart_area)
            .caption(format!("{TABLE1_FIGURE_TITLE}{classes}"), (font, 21))
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(190)
            .build_cartesian_2d(x_lo..x_hi, (0..n as i32 - 1).into_segmented())
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(8)
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(228, 228, 228))
            .y_labels(n)
            .y_label_formatter(&|v: &SegmentValue<i32>| match v {
                SegmentValue::CenterOf(s) => usize::try_from(*s)
                    .ok()
                    .filter(|&s| s < labels.len())
                    .map_or(String::new(), |s| labels[n - 1 - s].to_string()),
                _ => String::new(),
            })
            .x_label_formatter(&|v: &f64| format!("{v:.1}"))
            .x_desc(format!("test error (%), {ZOOMED_AXIS_NOTE}"))
            .axis_desc_style((font, 16))
            .label_style((font, 16))
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

        // Everything else is drawn in pixels, from the chart's own mapping of (error, row).
        let at = |k: usize, x: f64| chart.backend_coord(&(x, SegmentValue::CenterOf(seg(k))));
        let whisker = ours.stroke_width(2);
        let numbers_x = (FIGURE_WIDTH - NUMBERS_WIDTH + 6) as i32;
        let left = |colour: &RGBColor, size: u32| {
            (font, size)
                .into_font()
                .color(colour)
                .pos(Pos::new(HPos::Left, VPos::Center))
        };
        for (k, r) in rows.iter().enumerate() {
            let s = &r.summary;
            let (x0, y) = at(k, x_lo);
            let x1 = at(k, x_hi).0;
            // A faint line along the row, so the eye follows it to its numbers.
            root.draw(&PathElement::new(
                vec![(x0, y), (x1, y)],
                RGBColor(236, 236, 236).stroke_width(1),
            ))
            .map_err(plot_error)?;
            let yo = y + OURS_DY;
            if s.ci95_low.is_finite() && s.ci95_high.is_finite() {
                let (lo, hi) = (at(k, 100.0 * s.ci95_low).0, at(k, 100.0 * s.ci95_high).0);
                for path in [
                    vec![(lo, yo), (hi, yo)],
                    vec![(lo, yo - 5), (lo, yo + 5)],
                    vec![(hi, yo - 5), (hi, yo + 5)],
                ] {
                    root.draw(&PathElement::new(path, whisker))
                        .map_err(plot_error)?;
                }
            }
            root.draw(&Circle::new(
                (at(k, 100.0 * s.mean).0, yo),
                6,
                ours.filled(),
            ))
            .map_err(plot_error)?;
            root.draw(&Text::new(
                format!("{:.2}", 100.0 * s.mean),
                (numbers_x, yo),
                left(&ours, 16),
            ))
            .map_err(plot_error)?;
            if let Some(p) = r.paper_error {
                let yp = y + PAPER_DY;
                root.draw(&Cross::new(
                    (at(k, 100.0 * p).0, yp),
                    5,
                    paper.stroke_width(3),
                ))
                .map_err(plot_error)?;
                root.draw(&Text::new(
                    format!("paper {:.2}", 100.0 * p),
                    (numbers_x, yp),
                    left(&paper, 14),
                ))
                .map_err(plot_error)?;
            }
        }
        if let Some(k) = rows.first().map(|_| 0) {
            let (_, y) = at(k, x_lo);
            root.draw(&Text::new(
                "mean (%)",
                (numbers_x, y - 30),
                left(&BLACK, 14),
            ))
            .map_err(plot_error)?;
        }

        // The legend, in a strip of its own under the chart, clear of every row.
        let ly = (height - legend_height + LEGEND_HEIGHT / 2) as i32;
        let mut lx = 60;
        root.draw(&Circle::new((lx, ly), 6, ours.filled()))
            .map_err(plot_error)?;
        root.draw(&Text::new(
            "ours: mean test error",
            (lx + 12, ly),
            left(&BLACK, 15),
        ))
        .map_err(plot_error)?;
        lx += 210;
        for path in [
            vec![(lx, ly), (lx + 24, ly)],
            vec![(lx, ly - 5), (lx, ly + 5)],
            vec![(lx + 24, ly - 5), (lx + 24, ly + 5)],
        ] {
            root.draw(&PathElement::new(path, whisker))
                .map_err(plot_error)?;
        }
        root.draw(&Text::new(
            "ours: 95 % CI of the mean",
            (lx + 32, ly),
            left(&BLACK, 15),
        ))
        .map_err(plot_error)?;
        lx += 250;
        root.draw(&Cross::new((lx, ly), 5, paper.stroke_width(3)))
            .map_err(plot_error)?;
        root.draw(&Text::new(
            "paper (Table 1)",
            (lx + 12, ly),
            left(&BLACK, 15),
        ))
        .map_err(plot_error)?;
        if let Some(line) = cell_line {
            root.draw(&Text::new(line, (48, ly + 24), left(&BLACK, 15)))
                .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::stats::summarize;

    fn row(errors: &[f64], paper: Option<f64>) -> RowSummary {
        RowSummary {
            label: "row".into(),
            role: crate::study::record::Role::Independent,
            distill: None,
            paper_error: paper,
            summary: summarize(errors).unwrap(),
            vs_independent: None,
        }
    }

    #[test]
    fn the_axis_is_zoomed_to_every_mean_interval_and_paper_value() {
        // Means 2.40 % and 1.80 %; the paper's 2.89 % is the highest value drawn.
        let rows = [
            row(&[0.0238, 0.0242, 0.0240], Some(0.0289)),
            row(&[0.0179, 0.0181, 0.0180], None),
        ];
        let (lo, hi) = zoomed_range(&rows);
        let ci_low = 100.0 * rows[1].summary.ci95_low;
        // Below the lowest value by the margin, rounded down to a tenth: not from zero.
        assert!(lo > 1.0 && lo < ci_low, "{lo} vs {ci_low}");
        assert!((2.89 + 0.05..3.2).contains(&hi), "{hi}");
        assert_eq!((lo * 10.0).round() / 10.0, lo);
        assert_eq!(zoomed_range(&[]), (0.0, 1.0));
        // One value alone still gets an axis a tenth of a point wide or more.
        let (lo, hi) = zoomed_range(&[row(&[0.02], None)]);
        assert!(lo < 2.0 && hi > 2.0 && hi - lo >= 0.1);
    }

    #[test]
    fn a_report_of_one_cell_of_the_grid_axes_names_it_under_the_figure() {
        let mut report = crate::report::build::build_report(&[], 1.0, 0.1).unwrap();
        assert!(!render_figure_svg(&report)
            .unwrap()
            .contains("Table 1 is the cell"));
        report.table1_cell = Some(crate::report::Table1Cell {
            train_samples: Some(10_000),
            student_arch: vec![784, 100, 10],
        });
        let svg = render_figure_svg(&report).unwrap();
        assert!(svg.contains("Table 1 is the cell of 10 000 training samples, student 784-100-10"));
        report.table1_cell.as_mut().unwrap().train_samples = None;
        assert!(render_figure_svg(&report)
            .unwrap()
            .contains("the whole training split, student 784-100-10"));
    }
}
