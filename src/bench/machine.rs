//! What the machine score says about the machine: the CPU's name, its cores, the process's peak
//! memory, and an energy counter where Linux exposes one readable (RAPL through powercap).

use std::path::{Path, PathBuf};

/// The CPU's model name (`/proc/cpuinfo` on Linux, the architecture elsewhere).
pub fn cpu_model() -> String {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    text.lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            let key = key.trim();
            (key == "model name" || key == "Model" || key == "Hardware")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// Logical cores available to this process.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Peak resident memory of this process so far, in MiB (`getrusage`; None where it fails).
pub fn peak_rss_mib() -> Option<f64> {
    #[cfg(unix)]
    {
        // SAFETY: getrusage fills the struct it is given and touches nothing else.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            // Linux reports KiB.
            return Some(usage.ru_maxrss as f64 / 1024.0);
        }
    }
    None
}

/// The package energy counters of RAPL under `/sys/class/powercap` that this process can read.
#[derive(Debug, Clone)]
pub struct EnergyMeter {
    /// `(energy_uj file, its wrap-around range in µJ)` per package domain.
    domains: Vec<(PathBuf, u64)>,
}

impl EnergyMeter {
    /// The readable package domains (`intel-rapl:N`, also used by AMD's driver), or why there
    /// are none.
    pub fn open() -> Result<Self, String> {
        let root = Path::new("/sys/class/powercap");
        let entries =
            std::fs::read_dir(root).map_err(|_| format!("{} is not there", root.display()))?;
        let mut domains = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // package domains are intel-rapl:N; their sub-domains (intel-rapl:N:M) overlap them
            if !name.starts_with("intel-rapl:") || name.matches(':').count() != 1 {
                continue;
            }
            let dir = entry.path();
            let range = read_u64(&dir.join("max_energy_range_uj")).unwrap_or(u64::MAX);
            if read_u64(&dir.join("energy_uj")).is_some() {
                domains.push((dir.join("energy_uj"), range));
            }
        }
        if domains.is_empty() {
            return Err("no readable RAPL energy counter".into());
        }
        domains.sort();
        Ok(Self { domains })
    }

    /// The counters now, in µJ.
    pub fn read(&self) -> Vec<u64> {
        self.domains
            .iter()
            .map(|(path, _)| read_u64(path).unwrap_or(0))
            .collect()
    }

    /// Joules between two readings, allowing for a counter's wrap-around.
    pub fn joules_between(&self, before: &[u64], after: &[u64]) -> f64 {
        self.domains
            .iter()
            .zip(before.iter().zip(after))
            .map(|((_, range), (&b, &a))| {
                let micro = if a >= b { a - b } else { range - b + a };
                micro as f64 * 1e-6
            })
            .sum()
    }
}

fn read_u64(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}
