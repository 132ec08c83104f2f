//! The figures and the page on a small hand-made study with real (random) models and data:
//! every SVG parses as XML and carries its title, missing evidence gives a note instead of a
//! picture, and the page escapes what comes from files.

use super::{render_figures, Drawn, Evidence};
use crate::data::Dataset;
use crate::engine::loss::SoftTargetMode;
use crate::engine::mlp::Mlp;
use crate::persist::checkpoint;
use crate::report::build::build_report;
use crate::report::html::{render_html, Page, TABLE1_FIGURE_TITLE};
use crate::report::speed::SizeSpeed;
use crate::report::{render_figure_svg, write_report_folder};
use crate::study::record::{DistillSettings, Record, Role, Source};
use crate::train::EpochRecord;

const SIZES: [usize; 3] = [16, 6, 10];

fn record(key: String, role: Role, rep: usize, distill: Option<DistillSettings>) -> Record {
    let offset = rep as f64 * 0.003 + key.len() as f64 * 1e-4;
    let epochs = (1..=4 + rep)
        .map(|epoch| EpochRecord {
            epoch,
            train_loss: 1.0 / epoch as f64,
            val_loss: 0.5 + offset + 0.02 * (epoch as f64 - 3.0).powi(2),
            val_error: 0.1,
            seconds: 1.0,
            samples_per_s: 1.0,
            val_seconds: 0.1,
            val_objective_loss: None,
        })
        .collect();
    Record {
        key,
        role,
        repetition: rep,
        member: None,
        distill,
        seed: rep as u64,
        arch: SIZES.to_vec(),
        parameters: 100,
        epochs,
        best_epoch: 3,
        stopped_early: true,
        val_loss: 0.5,
        val_error: 0.1,
        test_loss: 0.5,
        test_error: 0.02 + offset,
        train_seconds: 1.0,
        wall_seconds: 1.0,
        train_flops: (role != Role::Ensemble).then_some(1e9 * (1 + rep) as f64),
        soft_target_flops: distill.map(|_| 1e8),
        empty_classes: Vec::new(),
        train_subset: None,
        smoothing: None,
    }
}

/// Three repetitions of teacher, two members, the independent student and two distilled arms.
fn records() -> Vec<Record> {
    let arm = |source, mode| DistillSettings {
        source,
        mode,
        temperature: 1.0,
        alpha: 0.1,
        stopping: Default::default(),
    };
    let mut v = Vec::new();
    for rep in 0..3 {
        let key = |what: &str| format!("rep{rep:02}/{what}");
        v.push(record(key("teacher"), Role::Teacher, rep, None));
        for m in 0..2 {
            let mut r = record(key(&format!("member{m:02}")), Role::Member, rep, None);
            r.member = Some(m);
            v.push(r);
        }
        v.push(record(key("independent"), Role::Independent, rep, None));
        for (name, d) in [
            ("kd-teacher", arm(Source::Teacher, SoftTargetMode::Logits)),
            (
                "kd-ensemble",
                arm(Source::Ensemble, SoftTargetMode::Probabilities),
            ),
        ] {
            v.push(record(key(name), Role::Distilled, rep, Some(d)));
        }
    }
    v
}

/// A results folder with a random model for every record, and 30 random 4x4 test images.
fn folder(records: &[Record]) -> (tempfile::TempDir, Dataset) {
    let dir = tempfile::tempdir().unwrap();
    for (i, r) in records.iter().enumerate() {
        let m = Mlp::<f32>::glorot(&SIZES, i as u64).unwrap();
        let path = dir
            .path()
            .join("models")
            .join(format!("{}.safetensors", r.key));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        checkpoint::save(&m, &path, &[]).unwrap();
    }
    let images = (0..30 * 16).map(|i| ((i * 37) % 256) as u8).collect();
    let labels = (0..30).map(|i| (i % 10) as u8).collect();
    (dir, Dataset::new(images, labels, 4, 4, 10).unwrap())
}

/// Every text node of an SVG, parsed as XML (a parse error fails the test).
fn svg_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_figure_parses_as_xml_and_shows_its_title() {
    let records = records();
    let (dir, test) = folder(&records);
    let report = build_report(&records, 1.0, 0.1).unwrap();
    let figures =
        render_figures(&report, &records, &Evidence::new(dir.path(), Some(&test))).unwrap();
    assert_eq!(figures.len(), 6);
    for f in &figures {
        let Drawn::Svg(svg) = &f.drawn else {
            panic!("{} not drawn: {:?}", f.file, f.drawn)
        };
        let text = svg_text(svg);
        assert!(text.contains(f.title), "{}: no title in {text}", f.file);
    }
    assert!(svg_text(&render_figure_svg(&report).unwrap()).contains(TABLE1_FIGURE_TITLE));
    // The pixel pictures are embedded PNGs: the digits and the tiles.
    for file in ["dark-knowledge.svg", "first-layer.svg"] {
        let f = figures.iter().find(|f| f.file == file).unwrap();
        let Drawn::Svg(svg) = &f.drawn else {
            unreachable!()
        };
        assert!(
            svg.contains("href=\"data:image/png;base64,iVBORw0KGgo"),
            "{file}"
        );
    }
}

#[test]
fn without_models_or_data_the_figures_say_what_is_missing() {
    let records = records();
    let report = build_report(&records, 1.0, 0.1).unwrap();
    let figures = render_figures(&report, &records, &Evidence::records_only()).unwrap();
    let drawn: Vec<(&str, bool)> = figures
        .iter()
        .map(|f| (f.file, matches!(f.drawn, Drawn::Svg(_))))
        .collect();
    assert_eq!(
        drawn,
        vec![
            ("learning-curves.svg", true),
            ("dark-knowledge.svg", false),
            ("first-layer.svg", false),
            ("confusion.svg", false),
            ("grid.svg", true),
            ("compute.svg", true),
        ]
    );
    // With the models but no test data, the weights are drawn and the rest says why.
    let (dir, _) = folder(&records);
    let figures = render_figures(&report, &records, &Evidence::new(dir.path(), None)).unwrap();
    let f = |name: &str| {
        figures
            .iter()
            .find(|f| f.file == name)
            .unwrap()
            .drawn
            .clone()
    };
    assert!(matches!(f("first-layer.svg"), Drawn::Svg(_)));
    let Drawn::Absent(why) = f("confusion.svg") else {
        panic!()
    };
    assert!(why.contains("test data"), "{why}");
}

#[test]
fn the_page_escapes_what_comes_from_files() {
    let mut records = records();
    let (dir, test) = folder(&records);
    // A key from a hostile record file (the independent student's); its model is missing, so
    // the reason names it.
    assert_eq!(records[3].role, Role::Independent);
    records[3].key = "rep00/<img src=x onerror=alert(1)>".into();
    let report = build_report(&records, 1.0, 0.1).unwrap();
    let figures =
        render_figures(&report, &records, &Evidence::new(dir.path(), Some(&test))).unwrap();
    let speed = [SizeSpeed {
        model: "<script>alert(\"x\")</script>".into(),
        parameters: 1,
        bytes: 4,
        micros_per_sample_batch1: 1.0,
        micros_per_sample_batch1000: 1.0,
    }];
    let page = render_html(&Page {
        report: &report,
        size_speed: &speed,
        table1_figure: &render_figure_svg(&report).unwrap(),
        figures: &figures,
        math_href: "a\"b<c>/MATH.md",
    });
    assert!(!page.contains("<script"), "a script tag got through");
    assert!(!page.contains("<img"), "an img tag got through");
    assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("href=\"a&quot;b&lt;c&gt;/MATH.md#early-stopping\""));
    assert!(page.contains("Figure not drawn:"));
}

#[test]
fn the_writer_puts_figures_and_the_page_beside_the_tables() {
    let records = records();
    let (dir, _) = folder(&records);
    write_report_folder(
        dir.path(),
        &records,
        1.0,
        0.1,
        None,
        crate::report::SpeedTable::Keep,
    )
    .unwrap();
    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    for name in ["table.md", "table.csv", "summary.json", "figure.svg"] {
        assert!(dir.path().join(name).is_file(), "{name}");
    }
    // Records-only data: the figures that need test images are absent, and no file is left.
    for (file, present) in [
        ("learning-curves.svg", true),
        ("first-layer.svg", true),
        ("grid.svg", true),
        ("dark-knowledge.svg", false),
        ("confusion.svg", false),
    ] {
        assert_eq!(
            dir.path().join("figures").join(file).is_file(),
            present,
            "{file}"
        );
    }
    for row in [
        "big network (teacher)",
        "small network trained independently on hard labels",
    ] {
        assert!(page.contains(row), "{row}");
    }
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    assert!(
        !page.contains("src=\"http") && !page.contains("<script"),
        "external asset or script"
    );
}
