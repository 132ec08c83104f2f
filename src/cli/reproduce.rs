//! `kd-mlp reproduce`: the paper's whole protocol (and, with lists of temperatures and alphas,
//! the extended grid), resumable, ending with the report.

use super::axes::AxesFlags;
use super::common::{check_memory, load_data, warn_empty_classes, TrainingFlags};
use super::distill_stopping::DistillStoppingFlags;

use super::reproduce_part;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kd_mlp::engine::loss::SoftTargetMode;
use kd_mlp::engine::mlp::parse_hidden;
use kd_mlp::limits::{study_plan, DataShape};
use kd_mlp::report::{write_report_folder, SpeedTable};
use kd_mlp::study::forensics::forensic_arms;
use kd_mlp::Split;

use kd_mlp::study::selection::{JobGroup, Part};
use kd_mlp::study::{
    self, data_fingerprint, grid_arms, merge_records, study_cost, ProgressState, Protocol,
    ResultsStore, Shard, Study, StudyEvent,
};
use kd_mlp::Error;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct ReproduceArgs {
    /// Repetitions of the whole protocol.
    #[arg(long, default_value_t = 10)]
    pub reps: usize,
    /// The study's seed; every model's seed derives from it, the repetition and the model's role.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// Small networks in the ensemble teacher.
    #[arg(long = "ensemble-size", default_value_t = 10)]
    pub ensemble_size: usize,
    /// Weight α of the hard-label loss; a comma-separated list runs a grid. The first value is
    /// the one the paper's Table 1 rows use.
    #[arg(
        long = "alphas",
        alias = "alpha",
        value_delimiter = ',',
        default_value = "0.1",
        allow_negative_numbers = true
    )]
    pub alphas: Vec<f64>,
    /// Temperature T; a comma-separated list runs a grid. The first value is Table 1's.
    #[arg(
        long = "temperatures",
        alias = "temperature",
        value_delimiter = ',',
        default_value = "1",
        allow_negative_numbers = true
    )]
    pub temperatures: Vec<f64>,
    /// Soft-target modes to run.
    #[arg(
        long = "modes",
        value_enum,
        value_delimiter = ',',
        default_value = "probabilities,logits"
    )]
    pub modes: Vec<SoftTargetMode>,
    /// The classroom version: 2 repetitions and an ensemble of 3 (a few minutes).
    #[arg(long)]
    pub quick: bool,
    /// Hidden widths of the teacher.
    #[arg(long = "teacher-arch", default_value = "500,400,300,200,100")]
    pub teacher_arch: String,
    /// Hidden widths of the student and of the ensemble members.
    #[arg(long = "student-arch", default_value = "100")]
    pub student_arch: String,
    /// Train only the I-th of N slices of the repetitions (1 <= I <= N), e.g. one per machine;
    /// `kd-mlp report DIR...` merges the folders. Same seeds as an unsharded run.
    #[arg(long)]
    pub shard: Option<String>,
    /// Train only these models, into a folder other such runs may share at the same time
    /// (`teachers`: each repetition's teacher, members and ensemble; `students`: the independent
    /// and distilled students, which need the teachers on disk). `--shard I/N` then takes the
    /// I-th of N slices of the selected jobs. No report: run `reproduce` with the same flags
    /// once every part is done (docs/SCALING.md).
    #[arg(long, value_enum)]
    pub only: Option<JobGroup>,
    /// The results folder (resumed if it holds the same protocol).
    #[arg(long, default_value = "results/reproduce")]
    pub out: PathBuf,
    #[command(flatten)]
    pub training: TrainingFlags,
    #[command(flatten)]
    pub axes: AxesFlags,
    #[command(flatten)]
    pub stopping: DistillStoppingFlags,
    /// Table 1's distilled rows under the fixed forensic matrix of soft-target modes and
    /// stopping rules (replaces --modes and the stopping flags; T and α: the first values), then
    /// forensics.md, .csv, .json and figures/forensics.svg beside the report.
    #[arg(long)]
    pub forensics: bool,
}

pub fn run(args: ReproduceArgs, threads: usize) -> Result<(), Error> {
    let (reps, ensemble_size) = if args.quick {
        (2, 3)
    } else {
        (args.reps, args.ensemble_size)
    };
    if reps == 0 || ensemble_size == 0 {
        return Err(Error::Config(
            "--reps and --ensemble-size must be at least 1".into(),
        ));
    }
    let stopping_flags = &args.stopping;
    let any_stopping_flag = stopping_flags.distill_epochs.is_some()
        || stopping_flags.distill_monitor.is_some()
        || stopping_flags.distill_min_delta.is_some();
    if args.forensics && any_stopping_flag {
        return Err(Error::Config(
            "--forensics runs its own matrix of stopping rules; drop --distill-epochs, \
             --distill-monitor and --distill-min-delta"
                .into(),
        ));
    }
    let arms = if args.forensics {
        forensic_arms(args.temperatures[0], args.alphas[0])?
    } else {
        let stopping = args.stopping.stopping()?;
        let mut arms = grid_arms(&args.modes, &args.temperatures, &args.alphas)?;
        for arm in &mut arms {
            arm.stopping = stopping;
        }
        arms
    };
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let mut train = args.training.config(0)?;
    train.seed = 0; // replaced by each model's own seed
    let mnist = load_data(&args.training.data, None)?;
    let protocol = Protocol {
        seed: args.seed,
        ensemble_size,
        teacher_hidden: parse_hidden(&args.teacher_arch)?,
        student_hidden: parse_hidden(&args.student_arch)?,
        train,
        validation_fraction: args.training.validation_fraction,
        data_fingerprint: data_fingerprint(&mnist.train),
        classes: mnist.classes(),
    };
    // The axes are checked against the split here, before a results folder is made for a
    // study that cannot run (the study checks them again for library callers).
    let axes = args.axes.axes()?;
    axes.check(
        Split::holdout(mnist.train.len(), args.training.validation_fraction)
            .train
            .len(),
    )?;
    if let Some(group) = args.only {
        let part = Part {
            roles: Some(group.roles()),
            slice: shard,
        };
        let study = Study {
            protocol,
            repetitions: reps,
            arms,
            shard: None,
            axes: axes.clone(),
        };
        let memory_mib = check_memory(&study_plan(&study, &part, &DataShape::of(&mnist), threads))?;
        eprintln!("memory: about {memory_mib:.0} MiB at most for this part");
        return reproduce_part::run(&study, &part, &mnist, &args.out, threads);
    }
    let study = Study {
        protocol,
        repetitions: reps,
        arms,
        shard,
        axes,
    };
    let plan = study_plan(&study, &Part::default(), &DataShape::of(&mnist), threads);
    let memory_mib = check_memory(&plan)?;
    let store = ResultsStore::open(&args.out, &study.protocol)?;
    warn_empty_classes(&mnist);
    let which = match shard {
        Some(s) => format!(
            " (shard {}/{}: repetitions {:?})",
            s.index,
            s.count,
            study.repetitions_to_run()
        ),
        None => String::new(),
    };
    println!(
        "reproducing on {threads} threads{which}: {reps} repetitions of teacher, {ensemble_size} ensemble members, the independent student and {} distilled students, about {memory_mib:.0} MiB of memory; results in {}",
        study.arms.len(),
        args.out.display()
    );

    if study.axes != Default::default() {
        println!("{}", super::axes::describe(&study));
    }
    let total = study_cost(&study);
    let bar = ProgressBar::new((total * 100.0) as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "[{elapsed_precise}] [{bar:30}] {percent:>3}% eta {eta} | {msg}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let progress = ProgressState::default();
    let started = Instant::now();
    let on_event = |event: StudyEvent| {
        let (done, training) = progress.apply(&event);
        bar.set_position((done * 100.0) as u64);
        let mut message = training;
        if message.len() > 120 {
            message.truncate(117);
            message.push_str("...");
        }
        bar.set_message(message);
        if let StudyEvent::ModelDone {
            key,
            test_error,
            resumed: false,
            ..
        } = &event
        {
            bar.suspend(|| eprintln!("done {key}: test error {:.2}%", 100.0 * test_error));
        }
    };
    let result = study::run(
        &study,
        &mnist.train,
        &mnist.test,
        &store,
        threads,
        &on_event,
    );
    bar.finish_and_clear();
    if let Err(Error::Interrupted(_)) = result {
        let saved = store.all_records()?.len();
        return Err(Error::Interrupted(format!(
            "{saved} models are saved in {}; run the same command again to resume",
            args.out.display()
        )));
    }
    let records = result?;
    let wall = started.elapsed().as_secs_f64();

    let mut per_role = std::collections::BTreeMap::<String, (usize, f64)>::new();
    for r in &records {
        let entry = per_role
            .entry(format!("{:?}", r.role).to_lowercase())
            .or_default();
        entry.0 += 1;
        entry.1 += r.wall_seconds;
    }
    println!("wall time {wall:.0} s on {threads} threads; model-seconds by role (models run side by side):");
    for (role, (n, secs)) in &per_role {
        println!("  {role:<12} {n:4} models {secs:9.0} s");
    }
    let records = merge_records(vec![store.all_records()?])?;
    let (first_t, first_a) = (args.temperatures[0], args.alphas[0]);
    let writing = Instant::now();
    let markdown = write_report_folder(
        &args.out,
        &records,
        first_t,
        first_a,
        Some(&mnist),
        SpeedTable::Measure,
    )?;
    println!("\n{markdown}");
    println!(
        "report written in {:.2} s: {} (tables, figures/, report.html)",
        writing.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
