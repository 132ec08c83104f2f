//! `report.html`: one self-contained page for a projector or a printer. Table 1 beside the
//! paper's, every figure inline (SVG, no external file, no script), a sentence on how to read
//! each, what the statistics mean, the deployment table, and links to `docs/MATH.md`.
//!
//! Every string that comes from a file or a flag (labels, model names, reasons, paths) goes
//! through [`escape`].

use super::figures::{Drawn, Figure};
use super::markdown::{diff_cell, format_p, paper_and_ci, pct, table1_cell_sentence};
use super::model::{RowKind, StudyReport};
use super::speed::SizeSpeed;
use std::fmt::Write as _;

/// The title of the page and of its Table 1 figure.
pub const PAGE_TITLE: &str = "Hard labels versus knowledge distillation on MNIST";
pub use super::figure::TABLE1_FIGURE_TITLE;

/// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str =
    "body{font-family:sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;\
line-height:1.45;color:#111}table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}\
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
figure{margin:1.5rem 0;break-inside:avoid;page-break-inside:avoid}\
figure svg{max-width:100%;height:auto;display:block}figcaption{font-size:.95rem}\
.absent{border:2px dashed #b35900;padding:.6rem;background:#fff6ea}\
@media print{body{max-width:none;margin:0}a{color:#000}h2{break-after:avoid}}";

/// The sections of `docs/MATH.md` the page links to: (heading, anchor).
const MATH_SECTIONS: [(&str, &str); 8] = [
    ("The network, end to end", "the-network-end-to-end"),
    ("Softmax and cross-entropy", "softmax-and-cross-entropy"),
    ("Adam", "adam"),
    ("Early stopping", "early-stopping"),
    ("Knowledge distillation", "knowledge-distillation"),
    ("Ensemble teacher", "ensemble-teacher"),
    (
        "The paper-literal \"probabilities\" mode",
        "the-paper-literal-probabilities-mode",
    ),
    ("Gradient audit", "gradient-audit"),
];

/// What the page shows, beside the report itself.
pub struct Page<'a> {
    pub report: &'a StudyReport,
    pub size_speed: &'a [SizeSpeed],
    /// `figure.svg`, the paper's Figure 3 from our data.
    pub table1_figure: &'a str,
    pub figures: &'a [Figure],
    /// Where `docs/MATH.md` is, relative to the page (or as the repository names it).
    pub math_href: &'a str,
}

fn figure_block(h: &mut String, title: &str, drawn: &Drawn, reading: &str) {
    let _ = writeln!(h, "<figure>\n<h3>{}</h3>", escape(title));
    match drawn {
        Drawn::Svg(svg) => h.push_str(svg),
        Drawn::Absent(why) => {
            let _ = writeln!(
                h,
                "<p class=\"absent\"><strong>Figure not drawn:</strong> {}.</p>",
                escape(why)
            );
        }
    }
    let _ = writeln!(h, "<figcaption>{}</figcaption>\n</figure>", escape(reading));
}

fn table1(h: &mut String, report: &StudyReport) {
    h.push_str(
        "<table>\n<tr><th>row</th><th>model</th><th>paper</th><th>ours: mean ± sd</th>\
         <th>95 % CI</th><th>n</th><th>Δ vs independent (pp) [95 % CI]</th><th>p</th></tr>\n",
    );
    for row in &report.rows {
        let s = &row.summary;
        let (paper, ci) = paper_and_ci(row);
        let p = row
            .vs_independent
            .as_ref()
            .map_or("—".into(), |t| format_p(t.p_value));
        let cells = [
            RowKind::of(row).number().to_string(),
            row.label.clone(),
            paper,
            format!("{} ± {} %", pct(s.mean), pct(s.sd)),
            ci,
            s.n.to_string(),
            diff_cell(row.vs_independent.as_ref()),
            p,
        ];
        h.push_str("<tr>");
        for (k, c) in cells.iter().enumerate() {
            let class = if k == 1 { "" } else { " class=\"num\"" };
            let _ = write!(h, "<td{class}>{}</td>", escape(c));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

fn deployment(h: &mut String, size_speed: &[SizeSpeed]) {
    h.push_str("<h2>Deployment: size and speed</h2>\n");
    if size_speed.is_empty() {
        h.push_str(
            "<p class=\"absent\">No size/speed table: it is measured by <code>kd-mlp reproduce</code> \
             from repetition 0's models, and this folder has no <code>speed.json</code>.</p>\n",
        );
        return;
    }
    h.push_str(
        "<table>\n<tr><th>model</th><th>parameters</th><th>f32 weights</th>\
         <th>µs / sample, batch 1</th><th>µs / sample, batch 1000</th></tr>\n",
    );
    for s in size_speed {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.2} MB</td>\
             <td class=\"num\">{:.1}</td><td class=\"num\">{:.2}</td></tr>",
            escape(&s.model),
            s.parameters,
            s.bytes as f64 / 1e6,
            s.micros_per_sample_batch1,
            s.micros_per_sample_batch1000
        );
    }
    h.push_str(
        "</table>\n<p>Median of several timed repeats on real test samples, prediction only; the \
         machine and thread count are those of the run that measured it.</p>\n",
    );
}

/// The whole page.
pub fn render_html(page: &Page<'_>) -> String {
    let r = page.report;
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{PAGE_TITLE}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{PAGE_TITLE}</h1>"
    );
    h.push_str(
        "<h2>The question</h2>\n<p>A published study found that a small network \
         (784-100-10) trained on MNIST's hard labels erred less than the same network distilled \
         from a big teacher or from an ensemble. Under tight compute, does knowledge \
         distillation beat hard labels, and if the paper saw no gain, why?</p>\n",
    );
    let _ = writeln!(
        h,
        "<h2>The protocol in five lines</h2>\n<ol>\n\
         <li>MNIST: 54 000 training images, the last 6 000 of the training file for validation, \
         the 10 000 test images for the error; pixels scaled to [0, 1].</li>\n\
         <li>A teacher 784-500-400-300-200-100-10, an ensemble of small 784-100-10 networks and an \
         independent 784-100-10 student, ReLU, Adam (lr 0.001), batch 32.</li>\n\
         <li>Every model stops when its validation loss has not improved for 2 epochs and keeps \
         its best epoch's weights.</li>\n\
         <li>Distilled students minimise α·hard loss + (1 − α)·T²·KL(teacher ‖ student) at \
         temperature T, in Hinton's logits mode or the paper-literal probabilities mode; Table 1 \
         uses T = {}, α = {}.</li>\n\
         <li>The whole protocol is repeated ({} repetitions here); in each, the independent and \
         the distilled students share initial weights and batch order, so differences are \
         paired.</li>\n</ol>",
        r.main_temperature, r.main_alpha, r.repetitions
    );
    h.push_str("<h2>Table 1: test error, the paper's and ours</h2>\n");
    if let Some(cell) = &r.table1_cell {
        let _ = writeln!(h, "<p>{}</p>", escape(&table1_cell_sentence(cell)));
    }
    table1(&mut h, r);
    figure_block(
        &mut h,
        TABLE1_FIGURE_TITLE,
        &Drawn::Svg(page.table1_figure.to_string()),
        "Each dot is our mean test error for one row of Table 1, with its 95 % confidence \
         interval as a whisker, and the red cross just below it is the paper's number where it \
         gives one; both are written on the right. The error axis is zoomed to the data, not \
         drawn from 0, so that differences of a tenth of a point can be seen. A cross outside \
         the whisker is a paper result our runs do not reproduce.",
    );
    h.push_str(
        "<h2>What the statistics mean</h2>\n<ul>\n\
        <li><strong>mean ± sd</strong>: the average test error over the repetitions, and how much \
        one repetition typically differs from it.</li>\n\
        <li><strong>95 % CI</strong>: the range that, by the t distribution, holds the true mean \
        error in 95 of 100 such studies.</li>\n\
        <li><strong>Δ vs independent</strong>: the row's error minus the independent student's \
        of the same repetition, averaged, in percentage points; negative means the row errs \
        less.</li>\n\
        <li><strong>p (paired t-test)</strong>: how often a Δ at least this far from zero would \
        come up by chance if the row were really no different from the independent student; \
        * &lt; 0.05, ** &lt; 0.01, *** &lt; 0.001.</li>\n\
        <li><strong>Holm †</strong>: the grid tests many cells at once, so a cell counts as a \
        real difference only if it stays below 0.05 after Holm's correction, which keeps the \
        chance of any false discovery in the whole grid under 5 %.</li>\n</ul>\n",
    );
    h.push_str("<h2>Figures</h2>\n");
    for f in page.figures {
        figure_block(&mut h, f.title, &f.drawn, f.reading);
    }
    deployment(&mut h, page.size_speed);
    let math = escape(page.math_href);
    let _ = writeln!(
        h,
        "<h2>The mathematics</h2>\n<p>Every formula is derived step by step in \
         <a href=\"{math}\">docs/MATH.md</a> of the kd-mlp repository:</p>\n<ul>"
    );
    for (heading, anchor) in MATH_SECTIONS {
        let _ = writeln!(
            h,
            "<li><a href=\"{math}#{anchor}\">{}</a></li>",
            escape(heading)
        );
    }
    let _ = writeln!(
        h,
        "</ul>\n<p>Written by kd-mlp {} from the records and models of this folder.</p>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}
