//! `kd-mlp inspect`: what a user checks before training: the four files, the class histograms,
//! the pixel statistics, the validation split and the warnings.

use super::common::FileFlags;
use clap::Args;
use kd_mlp::data::inspect::{inspect, Inspection};
use kd_mlp::Error;
use std::path::PathBuf;

#[derive(Args)]
pub struct InspectArgs {
    /// The data folder (the four IDX files are found as `--data` finds them).
    #[arg(default_value = "data/mnist")]
    dir: PathBuf,
    #[command(flatten)]
    files: FileFlags,
    /// Fraction of the training file (its end) the protocol holds out for validation.
    #[arg(long = "validation-fraction", default_value_t = 0.1)]
    validation_fraction: f64,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: InspectArgs) -> Result<(), Error> {
    if !(args.validation_fraction > 0.0 && args.validation_fraction < 1.0) {
        return Err(Error::Config(format!(
            "--validation-fraction must be between 0 and 1 (exclusive), got {}",
            args.validation_fraction
        )));
    }
    let files = args.files.source(&args.dir).resolve()?;
    let found = inspect(&files, args.files.classes, args.validation_fraction)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&found).expect("the inspection serialises")
        );
    } else {
        print_text(&found);
    }
    Ok(())
}

fn print_text(found: &Inspection) {
    for f in &found.files {
        println!(
            "{:<16} {}  {}, {} {:?}, {} bytes",
            f.role,
            f.path.display(),
            f.compression,
            f.element_type,
            f.dims,
            f.bytes
        );
    }
    let from = if found.classes_given {
        "as given"
    } else {
        "the largest training label + 1"
    };
    println!("\nclasses: {} ({from})", found.classes);
    for (name, set) in [("training", &found.train), ("test", &found.test)] {
        let size = set
            .image_size
            .map_or("?".to_string(), |(r, c)| format!("{r}x{c}"));
        let pixels = match (set.pixel_mean, set.pixel_sd) {
            (Some(m), Some(s)) => format!("pixel mean {m:.2}, sd {s:.2} (of 255)"),
            _ => "no pixel statistics".to_string(),
        };
        println!(
            "{name:<8} {} images of {size}, {} labels; {pixels}",
            set.images, set.labels
        );
    }
    let v = &found.validation;
    println!(
        "validation: the last {} % of the training file, samples {}..{} ({}); training on {}..{} ({})",
        100.0 * v.fraction,
        v.validation.0,
        v.validation.1,
        v.validation.1 - v.validation.0,
        v.train.0,
        v.train.1,
        v.train.1 - v.train.0
    );
    println!("\nclass   training       test  validation");
    let rows = found.train.histogram.len().max(found.test.histogram.len());
    let at = |h: &[usize], c: usize| h.get(c).copied().unwrap_or(0);
    for c in 0..rows {
        println!(
            "{c:>5} {:>10} {:>10} {:>11}",
            at(&found.train.histogram, c),
            at(&found.test.histogram, c),
            at(&v.histogram, c)
        );
    }
    if found.warnings.is_empty() {
        println!("\nno warnings");
    } else {
        println!("\nwarnings:");
        for w in &found.warnings {
            println!("  - {w}");
        }
    }
}
