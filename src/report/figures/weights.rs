//! What the first layer learned: each hidden unit's incoming weights as a 28x28 tile, on a
//! colour scale symmetric around 0, the hard-label student beside the best distilled arm's
//! student of the same repetition.

use super::confusion::students_to_compare;
use super::evidence::Evidence;
use super::palette::diverging;
use super::raster::{append_to_svg, Raster};
use super::{OrPlotError, FONT};
use crate::engine::mlp::Mlp;
use crate::report::model::StudyReport;
use crate::study::record::Record;
use plotters::style::RGBColor;

pub const FILE: &str = "first-layer.svg";
pub const TITLE: &str = "What the first layer learned: hidden units' input weights as 28x28 tiles";
pub const READING: &str = "Each tile is one hidden unit of the student's first layer, its 784 \
    incoming weights laid out as the 28x28 image they multiply: orange where ink raises the \
    unit's input, blue where ink lowers it, white near zero, on one symmetric scale per \
    student (the bar below it). Strokes and blobs mean a unit looks for a shape; speckle means \
    it has learned little beyond its random start.";

/// Tiles shown at most (the student has 100 units).
const MAX_TILES: usize = 144;
const PICTURE: u32 = 348;

/// A student's first layer as a raster of tiles, and the scale (largest |w| shown, the 99th
/// percentile of the layer's |w| so that a few outliers do not wash out the rest).
fn tiles(model: &Mlp<f32>, side: usize) -> (Raster, f64) {
    let (w, _) = model.layer(0);
    let units = w.ncols().min(MAX_TILES);
    let mut mags: Vec<f64> = w.iter().map(|v| f64::from(v.abs())).collect();
    mags.sort_by(f64::total_cmp);
    let scale = mags[(mags.len() * 99 / 100).min(mags.len() - 1)].max(1e-12);
    let per_row = (units as f64).sqrt().ceil() as usize;
    let rows = units.div_ceil(per_row);
    let step = side + 1;
    let mut r = Raster::new(per_row * step + 1, rows * step + 1, RGBColor(60, 60, 60));
    for u in 0..units {
        let (tx, ty) = (1 + (u % per_row) * step, 1 + (u / per_row) * step);
        for p in 0..side * side {
            let v = f64::from(w[[p, u]]) / scale;
            r.set(tx + p % side, ty + p / side, diverging(v));
        }
    }
    (r, scale)
}

pub type Panel = (String, Raster, f64);

pub fn panels(
    report: &StudyReport,
    records: &[Record],
    evidence: &Evidence<'_>,
) -> Result<Vec<Panel>, String> {
    let (pair, _) = students_to_compare(report, records)?;
    let mut out = Vec::new();
    for r in pair {
        let model = evidence.model(&r.key)?;
        let side = (model.inputs() as f64).sqrt().round() as usize;
        if side * side != model.inputs() {
            return Err(format!(
                "the student takes {} inputs, not a square image",
                model.inputs()
            ));
        }
        let (raster, scale) = tiles(&model, side);
        let hidden = model.sizes()[1];
        let what = match r.distill {
            None => "hard labels (independent)".to_string(),
            Some(d) => format!(
                "distilled ← {}, {}, T = {}, α = {}",
                d.source, d.mode, d.temperature, d.alpha
            ),
        };
        let shown = if hidden > MAX_TILES {
            format!("first {MAX_TILES} of {hidden} units")
        } else {
            format!("{hidden} units")
        };
        let rep = r.repetition;
        out.push((format!("{what} — {shown}, rep. {rep}"), raster, scale));
    }
    Ok(out)
}

pub fn draw(panels: &[Panel]) -> Result<String, crate::Error> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    const NAME: &str = "the first-layer figure";
    let centred = |size: u32| {
        (FONT, size)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center))
    };
    let mut svg = String::new();
    let mut pictures = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 540)).into_drawing_area();
        root.fill(&WHITE).or_plot(NAME)?;
        root.draw(&Text::new(TITLE, (400, 24), centred(19)))
            .or_plot(NAME)?;
        for (k, (caption, raster, scale)) in panels.iter().enumerate() {
            let x0 = 400 * k as i32;
            root.draw(&Text::new(caption.as_str(), (x0 + 200, 58), centred(13)))
                .or_plot(NAME)?;
            pictures.push_str(&raster.svg_image(x0 + 26, 74, PICTURE, PICTURE));
            let bar_area = root.clone().shrink((x0 as u32 + 20, 430), (360, 100));
            let mut bar = ChartBuilder::on(&bar_area)
                .x_label_area_size(44)
                .margin_right(12)
                .build_cartesian_2d(-scale..*scale, 0f64..1f64)
                .or_plot(NAME)?;
            bar.configure_mesh()
                .disable_mesh()
                .disable_y_axis()
                .x_labels(5)
                .x_label_formatter(&|v: &f64| format!("{v:+.2}"))
                .x_desc("weight (per unit of pixel intensity in [0, 1])")
                .label_style((FONT, 12))
                .axis_desc_style((FONT, 13))
                .draw()
                .or_plot(NAME)?;
            let steps = 60;
            bar.draw_series((0..steps).map(|i| {
                let a = -scale + 2.0 * scale * i as f64 / steps as f64;
                let b = -scale + 2.0 * scale * (i + 1) as f64 / steps as f64;
                Rectangle::new(
                    [(a, 0.0), (b, 1.0)],
                    diverging((a + b) / 2.0 / scale).filled(),
                )
            }))
            .or_plot(NAME)?;
        }
        root.present().or_plot(NAME)?;
    }
    append_to_svg(&mut svg, &pictures);
    Ok(svg)
}
