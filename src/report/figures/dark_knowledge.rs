//! Dark knowledge: the six test digits the ensemble finds most ambiguous (highest entropy of its
//! mean probabilities, ties to the lower index, so the same digits come back for the same
//! models), each beside the soft targets a student is trained on at T = 1, 4 and 20, from the
//! teacher and from the ensemble, in Hinton's logits mode and in the paper-literal
//! probabilities mode.

use super::evidence::{first_repetition_with, Evidence};
use super::palette::{ink, DEEP_BLUE, ORANGE, SKY_BLUE, VERMILLION};
use super::raster::{append_to_svg, Raster};
use super::{Figure, OrPlotError, FONT};
use crate::data::Dataset;
use crate::engine::loss::SoftTargetMode;
use crate::study::record::{Record, Role};
use crate::train::teacher::Teacher;
use ndarray::{Array2, Axis};
use plotters::style::RGBColor;

pub const TITLE: &str = "Dark knowledge: soft targets of the six most ambiguous test digits";
const READING: &str = "Each row is one of the six test digits on which the ensemble's \
    prediction is least certain (highest entropy), drawn as its 28x28 pixels, beside the soft \
    targets a student learns from at T = 1, 4 and 20: the bars give, for each digit class, the \
    probability the teacher (vermillion) and the ensemble (blue) assign in Hinton's logits \
    mode, and in the paper-literal probabilities mode (orange, sky blue); the thin line marks the \
    uniform distribution. The logits-mode bars \
    show which wrong digits the image resembles, more evenly as T grows; the probabilities-mode \
    bars are flat near 1/10 at every T, which is why that mode teaches the student almost \
    nothing.";

pub const TEMPERATURES: [f64; 3] = [1.0, 4.0, 20.0];
pub const DIGITS: usize = 6;

/// The four sources of soft targets, in the order of the bars.
const SERIES: [(&str, bool, SoftTargetMode, RGBColor); 4] = [
    ("teacher, logits", false, SoftTargetMode::Logits, VERMILLION),
    ("ensemble, logits", true, SoftTargetMode::Logits, DEEP_BLUE),
    (
        "teacher, probabilities",
        false,
        SoftTargetMode::Probabilities,
        ORANGE,
    ),
    (
        "ensemble, probabilities",
        true,
        SoftTargetMode::Probabilities,
        SKY_BLUE,
    ),
];

/// One digit of the figure: its test index, label, the ensemble's entropy (nats) and, per
/// temperature, per series, the soft targets.
struct Digit {
    index: usize,
    label: usize,
    entropy: f64,
    targets: Vec<Vec<Vec<f32>>>,
}

/// The `count` rows of `probs` with the highest entropy, highest first, ties to the lower row.
pub fn most_ambiguous(probs: &Array2<f32>, count: usize) -> Vec<(usize, f64)> {
    let mut h: Vec<(usize, f64)> = probs
        .axis_iter(Axis(0))
        .map(|row| {
            row.iter()
                .filter(|&&p| p > 0.0)
                .map(|&p| -f64::from(p) * f64::from(p).ln())
                .sum::<f64>()
        })
        .enumerate()
        .collect();
    h.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    h.truncate(count);
    h
}

fn digits(records: &[Record], evidence: &Evidence<'_>) -> Result<(Vec<Digit>, usize), String> {
    let rep = first_repetition_with(records, &[Role::Teacher, Role::Member])
        .ok_or("the records hold no repetition with both a teacher and ensemble members")?;
    let test = evidence.test()?;
    let load = |role: Role| -> Result<Vec<_>, String> {
        records
            .iter()
            .filter(|r| r.role == role && r.repetition == rep)
            .map(|r| evidence.model(&r.key))
            .collect()
    };
    let teacher = Teacher::ensemble(load(Role::Teacher)?).map_err(|e| e.to_string())?;
    let ensemble = Teacher::ensemble(load(Role::Member)?).map_err(|e| e.to_string())?;
    let probs = ensemble.probabilities(test, 0..test.len());
    let chosen = most_ambiguous(&probs, DIGITS);
    let digits = chosen
        .into_iter()
        .map(|(index, entropy)| Digit {
            index,
            label: test.label(index),
            entropy,
            targets: TEMPERATURES
                .iter()
                .map(|&t| {
                    SERIES
                        .iter()
                        .map(|&(_, is_ensemble, mode, _)| {
                            let who = if is_ensemble { &ensemble } else { &teacher };
                            who.soft_targets_of(test, index..index + 1, t, mode)
                                .iter()
                                .copied()
                                .collect()
                        })
                        .collect()
                })
                .collect(),
        })
        .collect();
    Ok((digits, rep))
}

pub fn figure(records: &[Record], evidence: &Evidence<'_>) -> Result<Figure, crate::Error> {
    let inputs = digits(records, evidence);
    Figure::drawn_or_absent("dark-knowledge.svg", TITLE, READING, inputs, |(d, rep)| {
        draw(d, *rep, evidence.test.expect("digits() had the test data"))
    })
}

fn draw(digits: &[Digit], rep: usize, test: &Dataset) -> Result<String, crate::Error> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    const NAME: &str = "the dark-knowledge figure";
    const ROW: i32 = 128;
    const TOP: i32 = 84;
    let left = |size: u32| {
        (FONT, size)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center))
    };
    let height = (TOP + ROW * digits.len() as i32 + 16) as u32;
    let mut svg = String::new();
    let mut pictures = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, height)).into_drawing_area();
        root.fill(&WHITE).or_plot(NAME)?;
        let centred = (FONT, 19)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new(TITLE, (400, 20), centred))
            .or_plot(NAME)?;
        root.draw(&Text::new(
            format!(
                "models of repetition {rep}; bars: soft-target probability per digit class; \
                 grey line: the uniform distribution; each digit's panels share one scale"
            ),
            (12, 44),
            left(13),
        ))
        .or_plot(NAME)?;
        for (k, (name, _, _, colour)) in SERIES.iter().enumerate() {
            let x = 12 + 196 * k as i32;
            root.draw(&Rectangle::new([(x, 58), (x + 14, 72)], colour.filled()))
                .or_plot(NAME)?;
            root.draw(&Text::new(*name, (x + 20, 65), left(13)))
                .or_plot(NAME)?;
        }
        for (row, d) in digits.iter().enumerate() {
            let y0 = TOP + ROW * row as i32;
            let (rows, cols) = (test.rows(), test.cols());
            let mut r = Raster::new(cols, rows, RGBColor(255, 255, 255));
            for (p, &v) in test.image(d.index).iter().enumerate() {
                r.set(p % cols, p / cols, ink(v));
            }
            pictures.push_str(&r.svg_image(12, y0 + 6, 84, 84));
            root.draw(&Rectangle::new(
                [(12, y0 + 6), (96, y0 + 90)],
                BLACK.stroke_width(1),
            ))
            .or_plot(NAME)?;
            for (line, text) in [
                format!("test #{}", d.index),
                format!("label {}", d.label),
                format!("H = {:.2} nats", d.entropy),
            ]
            .iter()
            .enumerate()
            {
                root.draw(&Text::new(
                    text.as_str(),
                    (8, y0 + 100 + 11 * line as i32),
                    left(10),
                ))
                .or_plot(NAME)?;
            }
            for (c, (&t, sets)) in TEMPERATURES.iter().zip(&d.targets).enumerate() {
                let x0 = 104 + 232 * c as u32;
                let area = root.clone().shrink((x0, y0 as u32), (232, ROW as u32));
                let classes = sets[0].len();
                // One scale per digit, so that T = 20's flat bars read against T = 1's peaks.
                let top = d
                    .targets
                    .iter()
                    .flatten()
                    .flatten()
                    .fold(0.0f32, |m, &v| m.max(v));
                let top = (f64::from(top) * 1.1).clamp(0.2, 1.0);
                let mut chart = ChartBuilder::on(&area)
                    .caption(format!("T = {t}"), (FONT, 12))
                    .margin(3)
                    .x_label_area_size(18)
                    .y_label_area_size(if c == 0 { 40 } else { 26 })
                    .build_cartesian_2d(-0.5f64..classes as f64 - 0.5, 0f64..top)
                    .or_plot(NAME)?;
                let mut mesh = chart.configure_mesh();
                mesh.disable_x_mesh()
                    .light_line_style(WHITE)
                    .x_labels(classes)
                    .y_labels(3)
                    .x_label_formatter(&|v: &f64| format!("{:.0}", v))
                    .y_label_formatter(&|v: &f64| format!("{v:.1}"))
                    .label_style((FONT, 10))
                    .axis_desc_style((FONT, 10));
                if c == 0 {
                    mesh.y_desc("probability");
                }
                mesh.draw().or_plot(NAME)?;
                let uniform = 1.0 / classes as f64;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(-0.5, uniform), (classes as f64 - 0.5, uniform)],
                        BLACK.mix(0.7).stroke_width(1),
                    )))
                    .or_plot(NAME)?;
                for (s, (values, (_, _, _, colour))) in sets.iter().zip(&SERIES).enumerate() {
                    chart
                        .draw_series(values.iter().enumerate().map(|(class, &v)| {
                            let a = class as f64 - 0.4 + 0.2 * s as f64;
                            Rectangle::new([(a, 0.0), (a + 0.2, f64::from(v))], colour.filled())
                        }))
                        .or_plot(NAME)?;
                }
            }
        }
        root.present().or_plot(NAME)?;
    }
    append_to_svg(&mut svg, &pictures);
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn the_most_ambiguous_rows_come_first_ties_to_the_lower_index() {
        let p = array![[1.0f32, 0.0], [0.5, 0.5], [0.9, 0.1], [0.5, 0.5]];
        let chosen = most_ambiguous(&p, 3);
        let rows: Vec<usize> = chosen.iter().map(|c| c.0).collect();
        assert_eq!(rows, vec![1, 3, 2]);
        assert!((chosen[0].1 - std::f64::consts::LN_2).abs() < 1e-6);
    }
}
