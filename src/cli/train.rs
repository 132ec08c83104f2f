//! `kd-mlp train`: one network on hard labels, to early stop.

use super::common::{
    check_memory, load_data, network_sizes, sizes_text, warn_empty_classes, ModelFlags,
    TrainingFlags,
};
use super::model_run::{prepare_out, train_and_finish, RunOutput, Training};
use clap::Args;
use kd_mlp::data::Split;
use kd_mlp::engine::mlp::{parse_hidden, Mlp};
use kd_mlp::limits::{train_plan, DataShape, OneModel};
use kd_mlp::train::Objective;
use kd_mlp::Error;

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub model: ModelFlags,
    #[command(flatten)]
    pub training: TrainingFlags,
}

pub fn run(args: TrainArgs, threads: usize) -> Result<(), Error> {
    let model = &args.model;
    let hidden = parse_hidden(&model.arch)?;
    let cfg = args.training.config(model.seed)?;
    let out = model.out_or_default("train", "");
    let mnist = load_data(&args.training.data, None)?;
    let split = Split::holdout(mnist.train.len(), args.training.validation_fraction);
    let one = OneModel::on_split(&hidden, cfg.batch_size, &split);
    let memory_mib = check_memory(&train_plan(&DataShape::of(&mnist), &one, threads))?;
    prepare_out(&out)?;
    warn_empty_classes(&mnist);
    let sizes = network_sizes(&mnist.train, &hidden);
    let mlp = Mlp::<f32>::glorot(&sizes, model.seed)?;
    if !model.json {
        println!(
            "training {} ({} parameters) on {} samples, validating on {}, {threads} threads, about {memory_mib:.0} MiB of memory",
            sizes_text(&sizes),
            mlp.params().len(),
            split.train.len(),
            split.validation.len()
        );
    }
    let name = format!("{} seed {}", sizes_text(&sizes), model.seed);
    let run = RunOutput {
        seed: model.seed,
        monitor: cfg.monitor,
        threads,
        memory_mib,
        out: &out,
        json: model.json,
        metadata: Vec::new(),
    };
    let task = Training {
        split: &split,
        cfg: &cfg,
        objective: &Objective::HardLabels,
        name: &name,
    };
    train_and_finish(mlp, &mnist, task, run)
}
