//! The report's files from the hand-made study of the parent module: Markdown, CSV, the SVG
//! figure and the folder they are written to.

use super::*;

#[test]
fn markdown_shows_paper_values_and_grid_marks() {
    let report = build_report(&study(), T1, A01).unwrap();
    let md = render_markdown(&report, &[]);
    for paper in ["2.01 %", "2.89 %", "1.81 %", "2.26 %"] {
        assert!(md.contains(paper), "{paper} missing:\n{md}");
    }
    // 4a is not in the records, so its paper value is not either.
    assert!(!md.contains("2.68 %"));
    let line = |start: &str| {
        md.lines()
            .find(|l| l.starts_with(start))
            .unwrap()
            .to_string()
    };
    // The Hinton row has no paper value of its own.
    let hinton: Vec<String> = line("| 2b |")
        .split('|')
        .map(|c| c.trim().to_string())
        .collect();
    assert_eq!(hinton[3], "—");
    assert!(
        line("| 2a |").contains("| 3.00 ± 0.10 % |"),
        "{}",
        line("| 2a |")
    );
    assert!(line("| 5 |").contains("2.20–2.50 %"));
    // Grid: +0.70 pp with p ≈ 0.007 (**), −0.15 pp with p ≈ 0.014 (*), +0.05 pp unmarked,
    // −0.25 pp (*). Holm over the 4 tests: 0.007·4 and 0.014·3 stay below 0.05 (†); the
    // third smallest p, times 2, does not, so −0.25 keeps its * without †.
    assert!(md.contains("### KD ← teacher, probabilities (paper-literal)"));
    assert!(md.contains("| 1 | +0.70 ** † |"), "{md}");
    assert!(md.contains("| T \\ α | 0.1 | 0.5 |"));
    assert!(md.contains("| 1 | -0.15 * † | — |"), "{md}");
    assert!(md.contains("| 4 | — | +0.05 |"), "{md}");
    assert!(md.contains("| 1 | -0.25 * |"), "{md}");
    assert!(md.contains("Holm's correction for the 4 tests of the grid"));
    assert!(md.contains("negative = distillation better"));
    assert!(!md.contains("Deployment"));
    let speed = SizeSpeed {
        model: "teacher".into(),
        parameters: 717_210,
        bytes: 2_868_840,
        micros_per_sample_batch1: 150.0,
        micros_per_sample_batch1000: 3.5,
    };
    let md = render_markdown(&report, &[speed]);
    assert!(md.contains("## Deployment: size and inference speed"));
    assert!(
        md.contains("| teacher | 717210 | 2.87 MB | 150.0 | 3.50 |"),
        "{md}"
    );
}

#[test]
fn p_values_and_marks_are_formatted() {
    assert_eq!(format_p(0.0123), "0.0123");
    assert_eq!(format_p(0.5), "0.500");
    assert_eq!(format_p(1.0), "1.00");
    assert_eq!(format_p(0.05), "0.0500");
    assert_eq!(format_p(0.0004), "< 0.001");
    assert_eq!(
        [stars(0.0009), stars(0.009), stars(0.049), stars(0.05)],
        ["***", "**", "*", ""]
    );
}

#[test]
fn csv_has_a_header_and_one_line_per_row() {
    let report = build_report(&study(), T1, A01).unwrap();
    let csv = render_csv(&report);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), report.rows.len() + 1);
    assert!(lines[0].starts_with("row,model,role,"));
    let columns = lines[0].split(',').count();
    for l in &lines[1..] {
        assert_eq!(l.split(',').count(), columns, "{l}");
    }
    assert!(lines[1].starts_with("1,big network (teacher),teacher,,,,,2.01"));
    assert!(lines[2].starts_with("2a,") && lines[2].contains(",teacher,probabilities,1,0.1,"));
    assert_eq!(csv_field("a,b \"c\""), "\"a,b \"\"c\"\"\"");
    assert_eq!(csv_num(Some(0.0289), 100.0), "2.89");
    assert_eq!(csv_num(Some(9.1e-140), 1.0), "9.1e-140");
    assert_eq!(csv_num(Some(-0.35000000000000003), 1.0), "-0.35");
    assert_eq!(csv_num(Some(f64::NAN), 1.0), "");
    assert_eq!(csv_num(None, 1.0), "");
}

#[test]
fn figure_is_an_svg_with_axis_label_and_legend() {
    let report = build_report(&study(), T1, A01).unwrap();
    let svg = render_figure_svg(&report).unwrap();
    assert!(svg.trim_start().starts_with("<svg"), "{}", &svg[..100]);
    assert!(svg.trim_end().ends_with("</svg>"));
    for text in [
        "test error (%)",
        "paper (Table 1)",
        "ours: mean test error",
        "ours: 95 % CI of the mean",
        crate::report::figure::ZOOMED_AXIS_NOTE,
        "KD←teacher (prob.)",
        "independent",
        "member",
    ] {
        assert!(svg.contains(text), "{text} missing");
    }
    // Every opened element is closed or self-closing, roughly.
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    // An empty report still draws.
    let empty = build_report(&[], T1, A01).unwrap();
    assert!(render_figure_svg(&empty)
        .unwrap()
        .contains("no results yet"));
}

#[test]
fn write_report_writes_four_files() {
    let dir = tempfile::tempdir().unwrap();
    let report = build_report(&study(), T1, A01).unwrap();
    let speed = [SizeSpeed {
        model: "student".into(),
        parameters: 79_510,
        bytes: 318_040,
        micros_per_sample_batch1: 12.0,
        micros_per_sample_batch1000: 0.4,
    }];
    write_report(dir.path(), &report, &speed).unwrap();
    for name in ["table.md", "table.csv", "summary.json", "figure.svg"] {
        assert!(dir.path().join(name).is_file(), "{name}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), report.rows.len());
    assert_eq!(json["size_speed"][0]["parameters"], 79_510);
    assert_eq!(json["main_alpha"], 0.1);
}
