//! `figures/axes.svg`: when distillation pays, against the training-set size. Four panels: the
//! rows are the baseline (the independent student; the label-smoothed student), the columns the
//! source (teacher; ensemble); in each, one line per student width of the mean Δ test error
//! (distilled − baseline, paired by repetition) against the training samples on a log axis, with
//! its 95 % confidence interval as a band.

use super::palette::{DEEP_BLUE, ORANGE, SKY_BLUE, VERMILLION};
use super::{OrPlotError, FONT};
use crate::engine::loss::SoftTargetMode;
use crate::report::axes::{AxesReport, Baseline, Comparison};
use crate::report::build::close;
use crate::study::record::Source;
use plotters::style::RGBColor;

pub const TITLE: &str = "When does distillation pay? Δ test error against training-set size";
pub const READING: &str = "Each line is one student width; a point is the mean over repetitions \
    of the distilled student's test error minus its baseline's (the same repetition's \
    independent student in the top row, its label-smoothed student in the bottom row), in \
    percentage points, and the band its 95 % confidence interval. Below the grey zero line \
    distillation helped. The x axis is the number of training samples, on a log scale.";

/// Line colours by width (Okabe-Ito), then black for any further width.
const COLOURS: [RGBColor; 5] = [
    ORANGE,
    SKY_BLUE,
    DEEP_BLUE,
    VERMILLION,
    RGBColor(0, 158, 115),
];

/// The comparisons the figure draws: the arms at the main T and α, in logits mode if there is
/// one (else the first mode), with a size; for the smoothed row, the matched-ε student if there
/// is one, else the first fixed ε. `None` with the reason when there is nothing to draw.
fn chosen(report: &AxesReport, temperature: f64, alpha: f64) -> Result<Vec<&Comparison>, String> {
    let main: Vec<&Comparison> = report
        .comparisons
        .iter()
        .filter(|c| c.train_size.is_some() && c.test.is_some_and(|t| t.ci95_low.is_finite()))
        .filter(|c| close(c.distill.temperature, temperature) && close(c.distill.alpha, alpha))
        .collect();
    let mode = if main
        .iter()
        .any(|c| c.distill.mode == SoftTargetMode::Logits)
    {
        SoftTargetMode::Logits
    } else {
        match main.first() {
            Some(c) => c.distill.mode,
            None => {
                return Err(format!(
                    "no paired comparison with a training-set size at T = {temperature}, α = {alpha} (run with --train-sizes)"
                ))
            }
        }
    };
    let matched = main.iter().any(|c| {
        matches!(
            c.baseline,
            Baseline::Smoothed {
                matched_temperature: Some(_),
                ..
            }
        )
    });
    let first_fixed = main.iter().find_map(|c| match c.baseline {
        Baseline::Smoothed {
            matched_temperature: None,
            epsilon,
        } => Some(epsilon),
        _ => None,
    });
    Ok(main
        .into_iter()
        .filter(|c| c.distill.mode == mode)
        .filter(|c| match &c.baseline {
            Baseline::Independent => true,
            Baseline::Smoothed {
                matched_temperature,
                epsilon,
            } => {
                if matched {
                    matched_temperature.is_some()
                } else {
                    first_fixed.is_some_and(|e| close(e, *epsilon))
                }
            }
        })
        .collect())
}

/// The figure's SVG, or the reason it cannot be drawn.
pub fn render(report: &AxesReport, temperature: f64, alpha: f64) -> Result<String, String> {
    let comparisons = chosen(report, temperature, alpha)?;
    draw(&comparisons).map_err(|e| e.to_string())
}

fn draw(comparisons: &[&Comparison]) -> Result<String, crate::Error> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    const NAME: &str = "the axes figure";
    let sizes: Vec<f64> = comparisons
        .iter()
        .filter_map(|c| c.train_size.map(|n| n as f64))
        .collect();
    let (x_lo, x_hi) = sizes.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &n| {
        (lo.min(n), hi.max(n))
    });
    let reach = comparisons
        .iter()
        .filter_map(|c| c.test)
        .map(|t| t.ci95_low.abs().max(t.ci95_high.abs()))
        .fold(0.0f64, f64::max)
        * 100.0;
    let half = (reach * 1.1).max(0.1);
    // The x axis is log10 of the size, drawn linearly, marked at the sizes themselves (plotters'
    // own log axis puts its ticks at round numbers that may miss every size).
    let mut ticks: Vec<f64> = sizes.iter().map(|n| n.log10()).collect();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    let (x_lo, x_hi) = (x_lo.log10() - 0.1, x_hi.log10() + 0.1);
    let mut widths: Vec<Vec<usize>> = comparisons
        .iter()
        .map(|c| c.student_hidden.clone())
        .collect();
    widths.sort_by_key(|w| (w.iter().sum::<usize>(), w.clone()));
    widths.dedup();
    let width_name = |w: &[usize]| {
        let parts: Vec<String> = w.iter().map(|v| v.to_string()).collect();
        format!("width {}", parts.join("-"))
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 900)).into_drawing_area();
        root.fill(&WHITE).or_plot(NAME)?;
        let root = root.titled(TITLE, (FONT, 24)).or_plot(NAME)?;
        let panels = root.split_evenly((2, 2));
        let smoothed_label = comparisons
            .iter()
            .find(|c| matches!(c.baseline, Baseline::Smoothed { .. }))
            .map(|c| match c.baseline {
                Baseline::Smoothed {
                    matched_temperature: Some(t),
                    ..
                } => format!("label smoothing, ε matched to the ensemble at T = {t}"),
                ref b => b.label(),
            });
        for (p, panel) in panels.iter().enumerate() {
            let source = if p % 2 == 0 {
                Source::Teacher
            } else {
                Source::Ensemble
            };
            let vs_smoothed = p >= 2;
            let caption = match (&smoothed_label, vs_smoothed) {
                (_, false) => format!("from the {source}: distilled − independent"),
                (Some(label), true) => format!("from the {source}: distilled − {label}"),
                (None, true) => format!("from the {source}: no smoothed student in the records"),
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, (FONT, 16))
                .margin(12)
                .x_label_area_size(30)
                .y_label_area_size(60)
                .build_cartesian_2d(x_lo..x_hi, -half..half)
                .or_plot(NAME)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .x_desc("training samples (log scale)")
                .y_desc("Δ test error (pp)")
                .x_labels(0)
                .y_label_formatter(&|v: &f64| format!("{v:+.1}"))
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .draw()
                .or_plot(NAME)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x_lo, 0.0), (x_hi, 0.0)],
                    BLACK.mix(0.6).stroke_width(1),
                )))
                .or_plot(NAME)?;
            for &tick in &ticks {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(tick, -half), (tick, half)],
                        BLACK.mix(0.12).stroke_width(1),
                    )))
                    .or_plot(NAME)?;
                let label = format!("{:.0}", 10f64.powf(tick));
                let style = TextStyle::from((FONT, 13).into_font())
                    .pos(Pos::new(HPos::Center, VPos::Bottom));
                chart
                    .draw_series(std::iter::once(Text::new(
                        label,
                        (tick, -half * 0.97),
                        style,
                    )))
                    .or_plot(NAME)?;
            }
            for (k, width) in widths.iter().enumerate() {
                let colour = COLOURS.get(k).copied().unwrap_or(RGBColor(0, 0, 0));
                let mut points: Vec<(f64, f64, f64, f64)> = comparisons
                    .iter()
                    .filter(|c| {
                        c.distill.source == source
                            && &c.student_hidden == width
                            && matches!(c.baseline, Baseline::Smoothed { .. }) == vs_smoothed
                    })
                    .filter_map(|c| {
                        let t = c.test?;
                        Some((
                            (c.train_size? as f64).log10(),
                            100.0 * t.ci95_low,
                            100.0 * t.mean_diff,
                            100.0 * t.ci95_high,
                        ))
                    })
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                if points.is_empty() {
                    continue;
                }
                let mut band: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.3)).collect();
                band.extend(points.iter().rev().map(|p| (p.0, p.1)));
                chart
                    .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.18))))
                    .or_plot(NAME)?;
                let line: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.2)).collect();
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        line.clone(),
                        colour.stroke_width(3),
                    )))
                    .or_plot(NAME)?
                    .label(width_name(width))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                    });
                chart
                    .draw_series(line.iter().map(|&p| Circle::new(p, 5, colour.filled())))
                    .or_plot(NAME)?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font((FONT, 13))
                .draw()
                .or_plot(NAME)?;
        }
        root.present().or_plot(NAME)?;
    }
    Ok(svg)
}
