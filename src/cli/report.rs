//! `kd-mlp report`: the tables and the figures from one or several results folders (shards run
//! on several machines merge here). With `--data`, also the figures that need the test data and
//! the saved models (dark knowledge, first-layer weights, confusion matrices), as `reproduce`
//! draws them.

use super::common::{load_data, DataFlags};
use clap::Args;
use kd_mlp::data::Mnist;
use kd_mlp::persist::write_atomically;
use kd_mlp::report::{write_report_folder, SpeedTable};
use kd_mlp::study::{data_fingerprint, merge_records, read_protocol, read_records};
use kd_mlp::Error;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ReportArgs {
    /// Results folders written by `kd-mlp reproduce`; their records are merged.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the report (default: the first folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The temperature of the Table 1 rows (default: the one of the first folder's report,
    /// else 1).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// The alpha of the Table 1 rows (default: the one of the first folder's report, else 0.1).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// The study's data: with it, and the models under `models/` of the folder the report is
    /// written to, the report draws every figure `reproduce` draws. It must be the data the
    /// study was trained on (checked against the first folder's `config.json`).
    #[arg(long = "data")]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub files: super::common::FileFlags,
}

pub fn run(args: ReportArgs) -> Result<(), Error> {
    let sets = args
        .dirs
        .iter()
        .map(|d| read_records(d))
        .collect::<Result<Vec<_>, _>>()?;
    let records = merge_records(sets)?;
    let data = match &args.data {
        Some(dir) => Some(study_data(dir, &args.files, &args.dirs[0])?),
        None => None,
    };
    let out = args.out.clone().unwrap_or_else(|| args.dirs[0].clone());
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    if out != args.dirs[0] {
        if let Ok(bytes) = std::fs::read(args.dirs[0].join("speed.json")) {
            write_atomically(&out.join("speed.json"), &bytes)?;
        }
    }
    let (temperature, alpha) = table1_settings(&args);
    let writing = std::time::Instant::now();
    let markdown = write_report_folder(
        &out,
        &records,
        temperature,
        alpha,
        data.as_ref(),
        SpeedTable::Keep,
    )?;
    println!("{markdown}");
    println!(
        "report written to {} in {:.2} s (tables, figures/, report.html)",
        out.display(),
        writing.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The T and α of Table 1: the flags, else those the first folder's `summary.json` was written
/// with (so that `report DIR` remakes what `reproduce` wrote there), else T = 1 and α = 0.1.
fn table1_settings(args: &ReportArgs) -> (f64, f64) {
    #[derive(serde::Deserialize)]
    struct Written {
        main_temperature: f64,
        main_alpha: f64,
    }
    // A missing or unreadable summary (the report is about to be rewritten) only loses the
    // default.
    let written = std::fs::read(args.dirs[0].join("summary.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Written>(&bytes).ok());
    (
        args.temperature
            .or(written.as_ref().map(|w| w.main_temperature))
            .unwrap_or(1.0),
        args.alpha
            .or(written.as_ref().map(|w| w.main_alpha))
            .unwrap_or(0.1),
    )
}

/// The data of `--data`, refused when the results folder's `config.json` says the study was
/// trained on other data: its figures would show another data set's digits and errors.
fn study_data(
    dir: &Path,
    files: &super::common::FileFlags,
    results: &Path,
) -> Result<Mnist, Error> {
    let protocol = read_protocol(results)?;
    let flags = DataFlags {
        data: dir.to_path_buf(),
        files: files.clone(),
    };
    let mnist = load_data(&flags, protocol.as_ref().map(|p| p.classes))?;
    if let Some(protocol) = protocol {
        let ours = data_fingerprint(&mnist.train);
        if ours != protocol.data_fingerprint {
            return Err(Error::Config(format!(
                "--data {}: not the data of the study in {} (its training set: {}; this one: {ours})",
                dir.display(),
                results.display(),
                protocol.data_fingerprint
            )));
        }
    }
    Ok(mnist)
}
