//! How much memory this process may use: what it holds now plus what it may still take, the
//! smaller of the system's `MemAvailable` and the room left under its cgroup's limit (v2
//! `memory.max` at every level of its path, v1 `memory.limit_in_bytes`).
//!
//! Why "holds now plus free": the plan is checked after the data is loaded (its size is part of
//! the plan), so the data is already resident and no longer counted as available.

use std::path::{Path, PathBuf};

/// What the process may use at most, and where that figure came from.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryBudget {
    /// Bytes: resident now + what is still free to it.
    pub bytes: u64,
    /// `MemAvailable` or the cgroup file that set the bound, for messages.
    pub source: String,
}

/// A cgroup v1 "no limit" is the largest page-aligned counter (2^63 − 4096); anything above
/// 2^60 bytes (an exbibyte) is read as no limit.
const NO_LIMIT: u64 = 1 << 60;

/// The budget read from this machine (`/proc` and `/sys/fs/cgroup`), or `None` where neither
/// `/proc/meminfo` nor a cgroup limit can be read (not Linux): nothing is then refused.
pub fn read_budget() -> Option<MemoryBudget> {
    read_budget_at(Path::new("/"))
}

/// [`read_budget`] with `/proc` and `/sys` under `root` (tests use a fake tree).
pub fn read_budget_at(root: &Path) -> Option<MemoryBudget> {
    let resident = read(root, "proc/self/status")
        .and_then(|s| kib_field(&s, "VmRSS:"))
        .unwrap_or(0);
    let available = read(root, "proc/meminfo")
        .and_then(|s| kib_field(&s, "MemAvailable:"))
        .map(|free| (free, "MemAvailable (/proc/meminfo)".to_string()));
    let cgroup = read(root, "proc/self/cgroup").and_then(|s| cgroup_room(root, &s));
    let (free, source) = match (available, cgroup) {
        (Some(a), Some(c)) => {
            if c.0 < a.0 {
                c
            } else {
                a
            }
        }
        (a, c) => a.or(c)?,
    };
    Some(MemoryBudget {
        bytes: resident.saturating_add(free),
        source,
    })
}

fn read(root: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(root.join(file)).ok()
}

/// The value of a `NAME:   123 kB` line, in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

fn number(root: &Path, file: &Path) -> Option<u64> {
    std::fs::read_to_string(root.join(file))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The least room (limit − usage) over the cgroups that bound this process, and the limit file
/// that gave it; `None` when no level has a limit.
fn cgroup_room(root: &Path, self_cgroup: &str) -> Option<(u64, String)> {
    let mut best: Option<(u64, String)> = None;
    let mut consider = |limit: Option<u64>, usage: Option<u64>, file: PathBuf| {
        let (Some(limit), usage) = (limit, usage.unwrap_or(0)) else {
            return;
        };
        if limit >= NO_LIMIT {
            return;
        }
        let room = limit.saturating_sub(usage);
        if best.as_ref().is_none_or(|(b, _)| room < *b) {
            best = Some((
                room,
                format!("cgroup limit {}", Path::new("/").join(file).display()),
            ));
        }
    };
    for line in self_cgroup.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let path = path.trim_start_matches('/');
        if controllers.is_empty() {
            // v2: the limit of every ancestor applies.
            let mut dir = PathBuf::from(path);
            loop {
                let base = Path::new("sys/fs/cgroup").join(&dir);
                consider(
                    number(root, &base.join("memory.max")),
                    number(root, &base.join("memory.current")),
                    base.join("memory.max"),
                );
                if !dir.pop() {
                    break;
                }
            }
        } else if controllers.split(',').any(|c| c == "memory") {
            // v1: the hierarchical limit of the process's own group.
            let base = Path::new("sys/fs/cgroup/memory").join(path);
            consider(
                number(root, &base.join("memory.limit_in_bytes")),
                number(root, &base.join("memory.usage_in_bytes")),
                base.join("memory.limit_in_bytes"),
            );
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, file: &str, text: &str) {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn machine(root: &Path, cgroup: &str) {
        write(
            root,
            "proc/self/status",
            "Name:\tkd-mlp\nVmRSS:\t  100 kB\n",
        );
        write(
            root,
            "proc/meminfo",
            "MemTotal: 9000 kB\nMemFree: 10 kB\nMemAvailable:   4000 kB\n",
        );
        write(root, "proc/self/cgroup", cgroup);
    }

    #[test]
    fn mem_available_alone_plus_what_the_process_holds() {
        let tmp = tempfile::tempdir().unwrap();
        machine(tmp.path(), "0::/\n");
        let budget = read_budget_at(tmp.path()).unwrap();
        assert_eq!(budget.bytes, (100 + 4000) * 1024);
        assert!(budget.source.contains("MemAvailable"));
    }

    #[test]
    fn a_v2_limit_at_any_level_and_a_v1_limit_bound_the_budget() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        machine(root, "0::/jobs/task\n");
        write(root, "sys/fs/cgroup/jobs/task/memory.max", "max\n");
        write(root, "sys/fs/cgroup/jobs/task/memory.current", "1000\n");
        write(root, "sys/fs/cgroup/jobs/memory.max", "1048576\n");
        write(root, "sys/fs/cgroup/jobs/memory.current", "524288\n");
        let budget = read_budget_at(root).unwrap();
        assert_eq!(budget.bytes, 100 * 1024 + 524_288);
        assert!(
            budget.source.contains("/sys/fs/cgroup/jobs/memory.max"),
            "{}",
            budget.source
        );

        let v1 = tempfile::tempdir().unwrap();
        machine(v1.path(), "5:cpu,cpuacct:/\n4:memory:/box\n0::/\n");
        write(
            v1.path(),
            "sys/fs/cgroup/memory/box/memory.limit_in_bytes",
            "2097152\n",
        );
        write(
            v1.path(),
            "sys/fs/cgroup/memory/box/memory.usage_in_bytes",
            "1048576\n",
        );
        assert_eq!(
            read_budget_at(v1.path()).unwrap().bytes,
            100 * 1024 + 1_048_576
        );
        // v1's "no limit" (2^63 - 4096) leaves MemAvailable in charge
        write(
            v1.path(),
            "sys/fs/cgroup/memory/box/memory.limit_in_bytes",
            "9223372036854771712\n",
        );
        assert_eq!(read_budget_at(v1.path()).unwrap().bytes, 4100 * 1024);
    }

    #[test]
    fn nothing_readable_means_no_budget() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(read_budget_at(tmp.path()), None);
    }
}
