//! `kd-mlp report`: the tables and the figure from one or several results folders (shards run on
//! several machines merge here).

use clap::Args;
use kd_mlp::data::Mnist;
use kd_mlp::experiment::read_records;
use kd_mlp::record::{Record, Role};
use kd_mlp::report::{build_report, render_markdown, write_report};
use kd_mlp::speed::{measure, SizeSpeed};
use kd_mlp::{checkpoint, Error};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ReportArgs {
    /// Results folders written by `kd-mlp reproduce`; their records are merged.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the report (default: the first folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The temperature of the Table 1 rows.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
    /// The alpha of the Table 1 rows.
    #[arg(long, default_value_t = 0.1)]
    pub alpha: f64,
}

/// Merges the records of several folders by key: the same model in two folders must agree
/// (timings aside), or the folders come from different studies.
pub fn merge_records(sets: Vec<Vec<Record>>) -> Result<Vec<Record>, Error> {
    let mut merged: BTreeMap<String, Record> = BTreeMap::new();
    for record in sets.into_iter().flatten() {
        match merged.get(&record.key) {
            Some(seen) if seen.without_timings() != record.without_timings() => {
                return Err(Error::Config(format!(
                    "two different records of {}: the folders hold different studies",
                    record.key
                )))
            }
            Some(_) => {}
            None => {
                merged.insert(record.key.clone(), record);
            }
        }
    }
    Ok(merged.into_values().collect())
}

/// The size/speed table from repetition 0's models in `dir`, if they are there.
fn size_speed(dir: &Path, records: &[Record], mnist: &Mnist) -> Result<Vec<SizeSpeed>, Error> {
    let model = |key: &str| {
        checkpoint::load::<f32>(&dir.join("models").join(format!("{key}.safetensors")))
            .map(|(m, _)| m)
    };
    let mut rows = Vec::new();
    let has = |role: Role| records.iter().any(|r| r.role == role && r.repetition == 0);
    if has(Role::Teacher) {
        rows.push(measure("teacher", &[model("rep00/teacher")?], &mnist.test));
    }
    if has(Role::Ensemble) {
        let members: Vec<_> = records
            .iter()
            .filter(|r| r.role == Role::Member && r.repetition == 0)
            .map(|r| model(&r.key))
            .collect::<Result<_, _>>()?;
        rows.push(measure(
            &format!("ensemble of {}", members.len()),
            &members,
            &mnist.test,
        ));
    }
    if has(Role::Independent) {
        rows.push(measure(
            "student",
            &[model("rep00/independent")?],
            &mnist.test,
        ));
    }
    Ok(rows)
}

/// Builds the report of `records` and writes it to `dir` (measuring inference speed when the
/// data is given, otherwise reusing `dir/speed.json` if present). Returns the Markdown.
pub fn write_all(
    dir: &Path,
    records: &[Record],
    temperature: f64,
    alpha: f64,
    mnist: Option<&Mnist>,
) -> Result<String, Error> {
    let report = build_report(records, temperature, alpha)?;
    let speed_file = dir.join("speed.json");
    let speed = match mnist {
        Some(mnist) => {
            let rows = size_speed(dir, records, mnist)?;
            let text = serde_json::to_string_pretty(&rows).expect("rows serialise");
            checkpoint::write_atomically(&speed_file, text.as_bytes())?;
            rows
        }
        None => match std::fs::read(&speed_file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::Config(format!("{}: unreadable ({e})", speed_file.display()))
            })?,
            Err(_) => Vec::new(),
        },
    };
    write_report(dir, &report, &speed)?;
    Ok(render_markdown(&report, &speed))
}

pub fn run(args: ReportArgs) -> Result<(), Error> {
    let sets = args
        .dirs
        .iter()
        .map(|d| read_records(d))
        .collect::<Result<Vec<_>, _>>()?;
    let records = merge_records(sets)?;
    let out = args.out.clone().unwrap_or_else(|| args.dirs[0].clone());
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    if out != args.dirs[0] {
        if let Ok(bytes) = std::fs::read(args.dirs[0].join("speed.json")) {
            checkpoint::write_atomically(&out.join("speed.json"), &bytes)?;
        }
    }
    let markdown = write_all(&out, &records, args.temperature, args.alpha, None)?;
    println!("{markdown}");
    println!("report written to {}", out.display());
    Ok(())
}
