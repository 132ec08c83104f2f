//! A memory plan: what a run will hold at its peak, piece by piece, each with the flags that
//! size it, and its verdict against the budget: fits, near (a warning), or over (an error that
//! names the flags, the estimate and the limit, before anything is allocated or written).

use super::budget::MemoryBudget;
use crate::error::Error;

/// Above this fraction of the budget a plan gets a warning: the estimates run within 25 % of
/// the measured peak (docs/RELIABILITY.md), so a plan at 80 % may not fit.
pub const NEAR: f64 = 0.8;

/// One piece of the peak.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryItem {
    /// What it is, e.g. "the model 784-100-10 in training".
    pub what: String,
    pub bytes: u128,
    /// The flags that size it, e.g. `--arch`.
    pub flags: Vec<&'static str>,
}

/// The pieces of a run's peak memory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryPlan {
    pub items: Vec<MemoryItem>,
}

impl MemoryPlan {
    /// Adds a piece (a piece of 0 bytes is left out).
    pub fn add(&mut self, what: impl Into<String>, bytes: u128, flags: &[&'static str]) {
        if bytes > 0 {
            self.items.push(MemoryItem {
                what: what.into(),
                bytes,
                flags: flags.to_vec(),
            });
        }
    }

    /// The estimated peak, in bytes.
    pub fn total(&self) -> u128 {
        self.items
            .iter()
            .map(|i| i.bytes)
            .fold(0, u128::saturating_add)
    }

    /// The estimate rounded to MiB, for records and start lines.
    pub fn total_mib(&self) -> f64 {
        self.total() as f64 / (1u64 << 20) as f64
    }

    /// The largest pieces (the largest, and any other of at least a quarter of the total),
    /// largest first.
    fn main_items(&self) -> Vec<&MemoryItem> {
        let total = self.total();
        let mut items: Vec<&MemoryItem> = self.items.iter().collect();
        items.sort_by_key(|i| std::cmp::Reverse(i.bytes));
        let mut main: Vec<&MemoryItem> = items.iter().take(1).copied().collect();
        main.extend(items.iter().skip(1).filter(|i| i.bytes >= total / 4));
        main
    }

    /// The flags of the main pieces, each once, in order.
    fn main_flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        for item in self.main_items() {
            for flag in &item.flags {
                if !flags.contains(flag) {
                    flags.push(*flag);
                }
            }
        }
        flags
    }

    /// "the model … (1.2 GiB), the data (52.4 MiB)": the main pieces.
    fn main_text(&self) -> String {
        self.main_items()
            .iter()
            .map(|i| format!("{} ({})", i.what, human_bytes(i.bytes)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Errors if the plan needs more than `budget`; returns a warning when it needs more than
    /// [`NEAR`] of it; nothing to say otherwise, or without a budget.
    pub fn check(&self, budget: Option<&MemoryBudget>) -> Result<Option<String>, Error> {
        let Some(budget) = budget else {
            return Ok(None);
        };
        let (total, limit) = (self.total(), u128::from(budget.bytes));
        let flags = self.main_flags().join(", ");
        if total > limit {
            return Err(Error::Config(format!(
                "this run needs about {} of memory, more than the {} this process may use ({}); \
                 mostly {}: lower {flags}",
                human_bytes(total),
                human_bytes(limit),
                budget.source,
                self.main_text()
            )));
        }
        if total as f64 > NEAR * limit as f64 {
            return Ok(Some(format!(
                "warning: this run needs about {} of memory, {:.0} % of the {} this process may \
                 use ({}); mostly {}: it may run out of memory (sized by {flags})",
                human_bytes(total),
                100.0 * total as f64 / limit as f64,
                human_bytes(limit),
                budget.source,
                self.main_text()
            )));
        }
        Ok(None)
    }
}

/// `52.4 MiB`, `1.5 TiB`; beyond 1 024 EiB, `3.2e22 bytes`.
pub fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    for (i, unit) in UNITS.iter().enumerate() {
        if value < 1024.0 {
            return if i == 0 {
                format!("{bytes} bytes")
            } else {
                format!("{value:.1} {unit}")
            };
        }
        value /= 1024.0;
    }
    format!("{:.1e} bytes", bytes as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> MemoryPlan {
        let mut plan = MemoryPlan::default();
        plan.add("the process", 8 << 20, &["--threads"]);
        plan.add("the data", 55 << 20, &["--data"]);
        plan.add("the model in training", 300 << 20, &["--arch"]);
        plan.add("nothing", 0, &["--never"]);
        plan
    }

    fn budget(mib: u64) -> MemoryBudget {
        MemoryBudget {
            bytes: mib << 20,
            source: "MemAvailable (/proc/meminfo)".into(),
        }
    }

    #[test]
    fn over_the_budget_names_the_flags_the_estimate_and_the_limit() {
        let err = plan().check(Some(&budget(200))).unwrap_err().to_string();
        assert!(err.contains("363.0 MiB"), "{err}");
        assert!(err.contains("200.0 MiB"), "{err}");
        assert!(err.contains("MemAvailable"), "{err}");
        assert!(err.ends_with("lower --arch"), "{err}");
        assert!(
            !err.contains("--never") && !err.contains("--threads"),
            "{err}"
        );
    }

    #[test]
    fn near_the_budget_warns_and_far_below_says_nothing() {
        let warning = plan().check(Some(&budget(400))).unwrap().unwrap();
        assert!(
            warning.starts_with("warning:") && warning.contains("91 %"),
            "{warning}"
        );
        assert_eq!(plan().check(Some(&budget(1000))).unwrap(), None);
        assert_eq!(plan().check(None).unwrap(), None);
        // pieces of a quarter of the total or more are named too
        let mut two = plan();
        two.add("the teachers held", 200 << 20, &["--reps"]);
        let err = two.check(Some(&budget(100))).unwrap_err().to_string();
        assert!(err.ends_with("lower --arch, --reps"), "{err}");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(318_000_000_040), "296.2 GiB");
        assert_eq!(human_bytes(u128::MAX), "3.4e38 bytes");
    }
}
