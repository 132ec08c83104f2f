//! Limits: what a run will need before it starts, against what this machine lets the process
//! have. A plan of the peak memory (data, models held at once, Adam's moments, workspaces, soft
//! targets), checked before anything is allocated or written; the thread count checked against
//! the cores the process may run on. docs/RELIABILITY.md, section "Sizes the machine cannot
//! hold", lists the limits and what each refusal says.

mod budget;
mod footprint;
mod plan;
mod runs;
mod study;
mod threads;

pub use budget::{read_budget, read_budget_at, MemoryBudget};
pub use plan::{human_bytes, MemoryItem, MemoryPlan, NEAR};
pub use runs::{
    base_plan, bench_plan, distill_plan, eval_plan, gradcheck_plan, sizes_text, train_plan,
    DataShape, OneModel,
};
pub use study::study_plan;
pub use threads::{check_threads, pool_threads, usable_cores, MAX_THREADS_PER_CORE};

/// Checks `plan` against this machine's budget: an error if it does not fit, a warning (the
/// text to print) if it is near the limit.
pub fn check_memory(plan: &MemoryPlan) -> Result<Option<String>, crate::Error> {
    plan.check(read_budget().as_ref())
}
