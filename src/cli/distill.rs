//! `kd-mlp distill`: one student distilled from a saved teacher or an ensemble of saved models.

use super::common::{
    check_memory, check_model_fits, load_data, network_sizes, sizes_text, warn_empty_classes,
    ModelFlags, TrainingFlags,
};
use super::distill_stopping::DistillStoppingFlags;
use super::model_run::{prepare_out, train_and_finish, RunOutput, Training};
use clap::Args;
use kd_mlp::data::Split;
use kd_mlp::engine::loss::{Distillation, SoftTargetMode};
use kd_mlp::engine::mlp::{parse_hidden, Mlp};
use kd_mlp::limits::{distill_plan, DataShape, OneModel};
use kd_mlp::persist::checkpoint;
use kd_mlp::train::teacher::Teacher;
use kd_mlp::train::Objective;
use kd_mlp::Error;
use std::path::PathBuf;

#[derive(Args)]
pub struct DistillArgs {
    /// The teacher's model file; several, separated by commas, make an ensemble.
    #[arg(long, value_delimiter = ',', required = true)]
    pub teacher: Vec<PathBuf>,
    /// Weight of the hard-label loss, in [0, 1] (1: hard labels only; 0: copy the teacher only).
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Temperature T > 0 of the soft distributions.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub temperature: f64,
    /// logits: Hinton's distillation; probabilities: the paper-literal softmax of probabilities;
    /// double-softmax: probabilities, and the hard term on softmax(p) too.
    #[arg(long = "soft-targets", value_enum, default_value_t = SoftTargetMode::Logits)]
    pub soft_targets: SoftTargetMode,
    // the student: --arch, --seed, --out, --json
    #[command(flatten)]
    pub model: ModelFlags,
    #[command(flatten)]
    pub training: TrainingFlags,
    #[command(flatten)]
    pub stopping: DistillStoppingFlags,
}

pub fn run(args: DistillArgs, threads: usize) -> Result<(), Error> {
    let loss = Distillation::new(args.alpha, args.temperature, args.soft_targets)?;
    let model = &args.model;
    let hidden = parse_hidden(&model.arch)?;
    let stopping = args.stopping.stopping()?;
    let cfg = stopping.apply(&args.training.config(model.seed)?);
    let suffix = format!(
        "-{}-T{}-a{}{}",
        args.soft_targets,
        args.temperature,
        args.alpha,
        stopping.key_suffix()
    );
    let out = model.out_or_default("distill", &suffix);
    let members = args
        .teacher
        .iter()
        .map(|path| checkpoint::load::<f32>(path).map(|(m, _)| m))
        .collect::<Result<Vec<Mlp<f32>>, _>>()?;
    let mnist = load_data(&args.training.data, members.first().map(Mlp::classes))?;
    for (member, path) in members.iter().zip(&args.teacher) {
        check_model_fits(member, &mnist.train, path)?;
    }
    let split = Split::holdout(mnist.train.len(), args.training.validation_fraction);
    let one = OneModel::on_split(&hidden, cfg.batch_size, &split);
    let member_sizes: Vec<Vec<usize>> = members.iter().map(|m| m.sizes().to_vec()).collect();
    let plan = distill_plan(&DataShape::of(&mnist), &member_sizes, &one, threads);
    let memory_mib = check_memory(&plan)?;
    prepare_out(&out)?;
    warn_empty_classes(&mnist);
    let teacher = Teacher::ensemble(members)?;
    let sizes = network_sizes(&mnist.train, &hidden);
    if !model.json {
        let val = teacher.evaluate(&mnist.train, split.validation.clone());
        println!(
            "teacher: {} model(s), validation error {:.2}%; soft targets: {} at T = {}, alpha = {}",
            teacher.members().len(),
            100.0 * val.error,
            args.soft_targets,
            args.temperature,
            args.alpha
        );
    }
    let targets = teacher.soft_targets(&mnist.train, args.temperature, args.soft_targets);
    if !model.json {
        println!(
            "soft targets: mean entropy {:.3} nats (uniform: {:.3}); distilling {} on {} samples, {threads} threads, about {memory_mib:.0} MiB of memory",
            targets.mean_entropy(),
            (teacher.classes() as f64).ln(),
            sizes_text(&sizes),
            split.train.len()
        );
    }
    let mlp = Mlp::<f32>::glorot(&sizes, model.seed)?;
    let objective = Objective::Distill {
        targets: &targets,
        loss,
    };
    let name = format!("student {} seed {}", sizes_text(&sizes), model.seed);
    let run = RunOutput {
        seed: model.seed,
        monitor: cfg.monitor,
        threads,
        memory_mib,
        out: &out,
        json: model.json,
        metadata: vec![
            ("alpha", args.alpha.to_string()),
            ("temperature", args.temperature.to_string()),
            ("soft_targets", args.soft_targets.to_string()),
        ],
    };
    let task = Training {
        split: &split,
        cfg: &cfg,
        objective: &objective,
        name: &name,
    };
    train_and_finish(mlp, &mnist, task, run)
}
