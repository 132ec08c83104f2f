//! The memory plans of the commands that run one model or one tool: `train`, `distill`, `eval`,
//! `bench` and `gradcheck` (the study's is in `study.rs`).

use super::footprint::{
    dataset_bytes, evaluation_bytes, model_bytes, param_count, pass_bytes, soft_targets_bytes,
    soft_targets_work_bytes, training_bytes, PROCESS_BYTES, THREAD_BYTES,
};
use super::plan::MemoryPlan;
use crate::data::Mnist;

/// The sizes of a loaded data set that memory depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataShape {
    pub train: usize,
    pub test: usize,
    pub pixels: usize,
    pub classes: usize,
}

impl DataShape {
    pub fn of(mnist: &Mnist) -> Self {
        Self {
            train: mnist.train.len(),
            test: mnist.test.len(),
            pixels: mnist.train.pixels(),
            classes: mnist.classes(),
        }
    }

    /// `[pixels, hidden…, classes]`.
    pub fn sizes(&self, hidden: &[usize]) -> Vec<usize> {
        let mut sizes = vec![self.pixels];
        sizes.extend(hidden);
        sizes.push(self.classes);
        sizes
    }
}

/// The process with `threads` workers and the data set loaded.
pub fn base_plan(threads: usize, data: Option<&DataShape>) -> MemoryPlan {
    let mut plan = MemoryPlan::default();
    plan.add(
        format!("the process and its {threads} threads"),
        PROCESS_BYTES.saturating_add((threads as u128).saturating_mul(THREAD_BYTES)),
        &["--threads"],
    );
    if let Some(d) = data {
        plan.add(
            "the data set",
            dataset_bytes(d.train, d.pixels).saturating_add(dataset_bytes(d.test, d.pixels)),
            &["--data"],
        );
    }
    plan
}

/// What one model's training holds (see `training_bytes`), for `train` and `distill`.
pub struct OneModel<'a> {
    pub hidden: &'a [usize],
    pub batch: usize,
    pub train_rows: usize,
    pub validation_rows: usize,
}

impl<'a> OneModel<'a> {
    /// A network of `hidden` widths trained in batches of `batch` on the rows of `split`.
    pub fn on_split(hidden: &'a [usize], batch: usize, split: &crate::data::Split) -> Self {
        Self {
            hidden,
            batch,
            train_rows: split.train.len(),
            validation_rows: split.validation.len(),
        }
    }
}

/// `train`: the model in training with `threads` evaluation chunks in flight.
pub fn train_plan(data: &DataShape, model: &OneModel<'_>, threads: usize) -> MemoryPlan {
    let mut plan = base_plan(threads, Some(data));
    add_training(&mut plan, data, model, threads);
    plan
}

fn add_training(plan: &mut MemoryPlan, data: &DataShape, model: &OneModel<'_>, threads: usize) {
    let sizes = data.sizes(model.hidden);
    plan.add(
        format!(
            "the model {} in training ({} parameters, five copies: weights, best weights, \
             gradient, Adam's two moments)",
            sizes_text(&sizes),
            param_count(&sizes)
        ),
        model_bytes(&sizes).saturating_mul(5),
        &["--arch"],
    );
    let all = training_bytes(
        &sizes,
        model.batch,
        model.train_rows,
        model.validation_rows,
        threads,
    );
    plan.add(
        format!(
            "its batches of {} and {threads} evaluation chunks in flight",
            model.batch.min(model.train_rows)
        ),
        all.saturating_sub(model_bytes(&sizes).saturating_mul(5)),
        &["--arch", "--batch", "--threads"],
    );
}

/// `distill`: the teacher's members (already loaded), one set of soft targets (and the three
/// arrays that make it) and the student in training.
pub fn distill_plan(
    data: &DataShape,
    teacher_members: &[Vec<usize>],
    student: &OneModel<'_>,
    threads: usize,
) -> MemoryPlan {
    let mut plan = base_plan(threads, Some(data));
    plan.add(
        format!("the teacher ({} model(s))", teacher_members.len()),
        teacher_members
            .iter()
            .map(|s| model_bytes(s))
            .fold(0, u128::saturating_add),
        &["--teacher"],
    );
    plan.add(
        "the soft targets",
        soft_targets_bytes(data.train, data.classes)
            .saturating_add(soft_targets_work_bytes(data.train, data.classes)),
        &["--data"],
    );
    add_training(&mut plan, data, student, threads);
    plan
}

/// `eval`: the model (already loaded), the test set's evaluation and predictions.
pub fn eval_plan(data: &DataShape, sizes: &[usize], threads: usize) -> MemoryPlan {
    let mut plan = base_plan(threads, Some(data));
    plan.add("the model", model_bytes(sizes), &["MODEL"]);
    plan.add(
        "the test set's evaluation",
        evaluation_bytes(sizes, data.test, threads).saturating_mul(2),
        &["--threads"],
    );
    plan
}

/// `bench`: the teacher in training on batches of 32, inference at a batch of up to 1 000.
pub fn bench_plan(data: &DataShape, teacher_hidden: &[usize], threads: usize) -> MemoryPlan {
    let mut plan = base_plan(threads, Some(data));
    let sizes = data.sizes(teacher_hidden);
    plan.add(
        "the timed teacher",
        model_bytes(&sizes)
            .saturating_mul(4)
            .saturating_add(pass_bytes(&sizes, 32))
            .saturating_add(pass_bytes(&sizes, 1000)),
        &["--threads"],
    );
    plan
}

/// `gradcheck`: the f64 network, its analytic and numeric gradients and the perturbed copy, the
/// batch and its pass (each f64: twice an f32's bytes).
pub fn gradcheck_plan(sizes: &[usize], batch: usize) -> MemoryPlan {
    let mut plan = base_plan(1, None);
    plan.add(
        format!("the audited network {}", sizes_text(sizes)),
        model_bytes(sizes).saturating_mul(2 * 5),
        &["--sizes"],
    );
    plan.add(
        format!("a batch of {batch}"),
        pass_bytes(sizes, batch as u128).saturating_mul(2 * 2),
        &["--batch", "--sizes"],
    );
    plan
}

/// `784-100-10`.
pub fn sizes_text(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MNIST: DataShape = DataShape {
        train: 60_000,
        test: 10_000,
        pixels: 784,
        classes: 10,
    };

    #[test]
    fn a_wide_student_is_mostly_its_model_and_names_arch() {
        let model = OneModel {
            hidden: &[100_000_000],
            batch: 32,
            train_rows: 54_000,
            validation_rows: 6_000,
        };
        let plan = train_plan(&MNIST, &model, 2);
        let model_item = &plan.items[2];
        assert!(
            model_item.what.contains("784-100000000-10"),
            "{}",
            model_item.what
        );
        // 79 500 000 010 parameters, five f32 copies: 1.59 TB; --arch is named first
        assert_eq!(model_item.bytes, 5 * 4 * 79_500_000_010);
        let budget = super::super::MemoryBudget {
            bytes: 24 << 30,
            source: "test".into(),
        };
        let err = plan.check(Some(&budget)).unwrap_err().to_string();
        assert!(err.contains("lower --arch,"), "{err}");
    }

    #[test]
    fn the_default_student_needs_about_what_was_measured() {
        let model = OneModel {
            hidden: &[100],
            batch: 32,
            train_rows: 54_000,
            validation_rows: 6_000,
        };
        // measured: 64.9 MiB peak RSS at --threads 2 (`/usr/bin/time -v`)
        let mib = train_plan(&MNIST, &model, 2).total_mib();
        assert!((55.0..80.0).contains(&mib), "{mib}");
    }
}
