//! `kd-mlp report`: the tables and the figure from one or several results folders (shards run on
//! several machines merge here).

use clap::Args;
use kd_mlp::persist::write_atomically;
use kd_mlp::report::write_report_folder;
use kd_mlp::study::{merge_records, read_records};
use kd_mlp::Error;
use std::path::PathBuf;

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
            write_atomically(&out.join("speed.json"), &bytes)?;
        }
    }
    let writing = std::time::Instant::now();
    let markdown = write_report_folder(&out, &records, args.temperature, args.alpha, None)?;
    println!("{markdown}");
    println!(
        "report written to {} in {:.2} s (tables, figures/, report.html)",
        out.display(),
        writing.elapsed().as_secs_f64()
    );
    Ok(())
}
