//! `table.csv`: one line per row of Table 1 and per grid cell, numbers in percent.

use super::model::{RowKind, StudyReport};

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub(super) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A number for the CSV, `x · scale` to 10 significant digits (which hides the binary noise of
/// `0.0289 · 100`), in exponent form when tiny or huge; empty if missing or not finite.
pub(super) fn csv_num(x: Option<f64>, scale: f64) -> String {
    let Some(v) = x.map(|x| x * scale).filter(|v| v.is_finite()) else {
        return String::new();
    };
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let trim = |t: &str| {
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t.to_string()
        }
    };
    if !(-4..15).contains(&magnitude) {
        let text = format!("{v:.9e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        return format!("{}e{exponent}", trim(mantissa));
    }
    let decimals = (9 - magnitude).max(0) as usize;
    trim(&format!("{v:.decimals$}"))
}

/// Table 1 as CSV: a header, then one line per row. Errors in %, differences in percentage
/// points; empty cells where a value does not exist.
pub fn render_csv(report: &StudyReport) -> String {
    let mut out = String::from(
        "row,model,role,source,mode,temperature,alpha,paper_error_pct,n,mean_pct,sd_pct,\
         ci95_low_pct,ci95_high_pct,min_pct,max_pct,pairs,diff_pp,diff_ci95_low_pp,\
         diff_ci95_high_pp,t,p_value\n",
    );
    for row in &report.rows {
        let s = &row.summary;
        let d = row.vs_independent.as_ref();
        let role = serde_json::to_value(row.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let fields = [
            RowKind::of(row).number().to_string(),
            csv_field(&row.label),
            role,
            row.distill.map_or(String::new(), |d| d.source.to_string()),
            row.distill.map_or(String::new(), |d| d.mode.to_string()),
            csv_num(row.distill.map(|d| d.temperature), 1.0),
            csv_num(row.distill.map(|d| d.alpha), 1.0),
            csv_num(row.paper_error, 100.0),
            s.n.to_string(),
            csv_num(Some(s.mean), 100.0),
            csv_num(Some(s.sd), 100.0),
            csv_num(Some(s.ci95_low), 100.0),
            csv_num(Some(s.ci95_high), 100.0),
            csv_num(Some(s.min), 100.0),
            csv_num(Some(s.max), 100.0),
            d.map_or(String::new(), |d| d.n.to_string()),
            csv_num(d.map(|d| d.mean_diff), 100.0),
            csv_num(d.map(|d| d.ci95_low), 100.0),
            csv_num(d.map(|d| d.ci95_high), 100.0),
            csv_num(d.map(|d| d.t), 1.0),
            csv_num(d.map(|d| d.p_value), 1.0),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}
