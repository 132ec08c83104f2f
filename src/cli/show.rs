//! `kd-mlp show`: one test digit as terminal art beside a model's probabilities as bars, and,
//! with `--teacher`, the soft targets a student would learn from at `--temperature`, in both
//! modes: dark knowledge demonstrated live, without a browser.

use super::common::{check_model_fits, load_data, DataFlags};
use clap::Args;
use kd_mlp::engine::loss::SoftTargetMode;
use kd_mlp::persist::checkpoint;
use kd_mlp::train::evaluate::argmax;
use kd_mlp::{Dataset, Error, Teacher};
use ndarray::ArrayView1;
use std::path::PathBuf;

#[derive(Args)]
pub struct ShowArgs {
    /// A saved model (safetensors).
    model: PathBuf,
    /// The test image's index (0-based).
    #[arg(long, default_value_t = 0)]
    index: usize,
    /// A teacher whose soft targets to show; several files, comma-separated, are an ensemble.
    #[arg(long, value_delimiter = ',')]
    teacher: Vec<PathBuf>,
    /// Temperature T of the soft targets.
    #[arg(long, default_value_t = 4.0, allow_negative_numbers = true)]
    temperature: f64,
    #[command(flatten)]
    data: DataFlags,
}

/// Width of a bar at probability 1, in characters.
const BAR: usize = 32;

/// The image as text, two characters per pixel so that it is not squashed sideways.
fn art(test: &Dataset, index: usize) -> Vec<String> {
    const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];
    test.image(index)
        .chunks(test.cols())
        .map(|row| {
            row.iter()
                .map(|&p| SHADES[(usize::from(p) * SHADES.len()) / 256])
                .flat_map(|c| [c, c])
                .collect()
        })
        .collect()
}

/// A heading and one bar per class, the largest marked.
fn bars(heading: String, p: ArrayView1<f32>) -> Vec<String> {
    let best = argmax(p);
    let mut lines = vec![heading];
    for (class, &v) in p.iter().enumerate() {
        let n = (f64::from(v) * BAR as f64).round() as usize;
        let mark = if class == best { " <" } else { "" };
        lines.push(format!(
            "{class} |{:<BAR$}| {:.3}{mark}",
            "█".repeat(n.min(BAR)),
            v
        ));
    }
    lines.push(String::new());
    lines
}

pub fn run(args: ShowArgs) -> Result<(), Error> {
    if !(args.temperature.is_finite() && args.temperature > 0.0) {
        return Err(Error::Config(format!(
            "--temperature must be a positive number, got {}",
            args.temperature
        )));
    }
    let (model, _) = checkpoint::load::<f32>(&args.model)?;
    let mnist = load_data(&args.data, Some(model.classes()))?;
    let test = &mnist.test;
    if args.index >= test.len() {
        return Err(Error::Config(format!(
            "--index {} is out of range: the test set has {} images (0 to {})",
            args.index,
            test.len(),
            test.len() - 1
        )));
    }
    check_model_fits(&model, test, &args.model)?;
    let one = args.index..args.index + 1;
    let probs = Teacher::single(model).probabilities(test, one.clone());
    let mut right = bars(
        format!("model {}: probabilities", args.model.display()),
        probs.row(0),
    );
    if !args.teacher.is_empty() {
        let members = args
            .teacher
            .iter()
            .map(|path| {
                let (m, _) = checkpoint::load::<f32>(path)?;
                check_model_fits(&m, test, path)?;
                Ok(m)
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let who = if members.len() == 1 {
            "teacher".to_string()
        } else {
            format!("ensemble of {}", members.len())
        };
        let teacher = Teacher::ensemble(members)?;
        for (mode, name) in [
            (SoftTargetMode::Logits, "logits mode (Hinton)"),
            (
                SoftTargetMode::Probabilities,
                "probabilities mode (paper-literal)",
            ),
        ] {
            let q = teacher.soft_targets_of(test, one.clone(), args.temperature, mode);
            right.extend(bars(
                format!("{who}: soft targets at T = {}, {name}", args.temperature),
                q.row(0),
            ));
        }
    }
    let left = art(test, args.index);
    let width = 2 * test.cols();
    println!(
        "test image {} of {}, label {}",
        args.index,
        test.len(),
        test.label(args.index)
    );
    for k in 0..left.len().max(right.len()) {
        let l = left.get(k).map_or("", String::as_str);
        let r = right.get(k).map_or("", String::as_str);
        println!("{:<width$}  {r}", l);
    }
    Ok(())
}
