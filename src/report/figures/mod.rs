//! The figures of the report beyond `figure.svg`: learning curves, dark knowledge, the first
//! layer's weights, confusion matrices and the distillation grid as a forest plot.
//!
//! Each is an SVG drawn with plotters' SVG backend (no font files, as in `report::figure`);
//! pictures made of pixels (digits, weight tiles) are embedded in the SVG as PNG data
//! (`raster`), so that a 100-tile picture is a few kilobytes rather than 78 400 rectangles.
//! Figures that need weights or predictions read the models from the results folder's
//! `models/` and the test data when the writer has it ([`Evidence`]); when either is missing,
//! the figure is [`Drawn::Absent`] with the reason, and the page says so instead of showing a
//! picture.

pub mod axes_curve;

mod compute;
mod confusion;
mod curves;
mod dark_knowledge;
mod evidence;
mod grid;
pub(crate) mod palette;
mod raster;
#[cfg(test)]
mod tests;
mod weights;

pub use evidence::Evidence;

use super::model::StudyReport;
use crate::error::Error;
use crate::study::record::Record;

/// A figure's picture, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Drawn {
    /// The SVG document.
    Svg(String),
    /// What is missing (e.g. "the test data was not given to this writer").
    Absent(String),
}

/// One figure of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File name in the report folder, e.g. `learning-curves.svg`.
    pub file: &'static str,
    /// The title, also drawn at the top of the SVG.
    pub title: &'static str,
    /// Two sentences on how to read it.
    pub reading: &'static str,
    pub drawn: Drawn,
}

impl Figure {
    /// The figure drawn by `draw` from what `inputs` found, or a note with the reason it gives.
    fn drawn_or_absent<P>(
        file: &'static str,
        title: &'static str,
        reading: &'static str,
        inputs: Result<P, String>,
        draw: impl FnOnce(&P) -> Result<String, Error>,
    ) -> Result<Figure, Error> {
        let drawn = match inputs {
            Ok(inputs) => Drawn::Svg(draw(&inputs)?),
            Err(why) => Drawn::Absent(why),
        };
        Ok(Figure {
            file,
            title,
            reading,
            drawn,
        })
    }
}

/// Every figure, in the page's order.
pub fn render_figures(
    report: &StudyReport,
    records: &[Record],
    evidence: &Evidence<'_>,
) -> Result<Vec<Figure>, Error> {
    Ok(vec![
        curves::figure(report, records)?,
        dark_knowledge::figure(records, evidence)?,
        Figure::drawn_or_absent(
            weights::FILE,
            weights::TITLE,
            weights::READING,
            weights::panels(report, records, evidence),
            |p| weights::draw(p),
        )?,
        Figure::drawn_or_absent(
            confusion::FILE,
            confusion::TITLE,
            confusion::READING,
            confusion::panels(report, records, evidence),
            |p| confusion::draw(p),
        )?,
        grid::figure(report)?,
        compute::figure(report)?,
    ])
}

/// Any plotters failure, as a configuration error naming the figure.
pub(crate) trait OrPlotError<T> {
    fn or_plot(self, figure: &str) -> Result<T, Error>;
}

impl<T, E: std::fmt::Display> OrPlotError<T> for Result<T, E> {
    fn or_plot(self, figure: &str) -> Result<T, Error> {
        self.map_err(|e| Error::Config(format!("drawing {figure} failed: {e}")))
    }
}

/// The font family of every figure (the viewer's own sans-serif).
pub(crate) const FONT: &str = "sans-serif";
