//! What the machine score says about the machine: the CPU's name, its cores, the process's peak
//! memory, and an energy counter where Linux exposes one readable (RAPL through powercap).

use std::path::{Path, PathBuf};

/// The CPU's name: on Linux from `/proc/cpuinfo` (`cpu_model_from`), the architecture where
/// that file says nothing.
pub fn cpu_model() -> String {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    cpu_model_from(&text).unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// The CPU's name in the text of a `/proc/cpuinfo`. An x86 kernel writes it as `model name`;
/// an ARM kernel writes no name, only each core's `CPU implementer` and `CPU part` codes, which
/// are named here ([`arm_core_name`]): "Cortex-A72", "Cortex-A55 + Cortex-A76" for a board with
/// two kinds of core, followed by the board's `Model` line where the kernel gives one (a
/// Raspberry Pi's does). Without either, the `Model` or `Hardware` line.
pub fn cpu_model_from(cpuinfo: &str) -> Option<String> {
    let fields = || {
        cpuinfo.lines().filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            Some((key.trim(), value.trim()))
        })
    };
    let first = |wanted: &[&str]| {
        fields()
            .find(|(key, value)| wanted.contains(key) && !value.is_empty())
            .map(|(_, value)| value.to_string())
    };
    if let Some(name) = first(&["model name"]) {
        return Some(name);
    }
    // Each processor's block gives its implementer before its part.
    let mut cores: Vec<String> = Vec::new();
    let mut implementer = None;
    for (key, value) in fields() {
        match key {
            "CPU implementer" => implementer = parse_hex(value),
            "CPU part" => {
                let (Some(imp), Some(part)) = (implementer, parse_hex(value)) else {
                    continue;
                };
                let name = arm_core_name(imp, part);
                if !cores.contains(&name) {
                    cores.push(name);
                }
            }
            _ => {}
        }
    }
    let board = first(&["Model"]);
    match (cores.is_empty(), board) {
        (false, Some(board)) => Some(format!("{} ({board})", cores.join(" + "))),
        (false, None) => Some(cores.join(" + ")),
        (true, board) => board.or_else(|| first(&["Hardware"])),
    }
}

/// `0x41`-style or decimal text as a number.
fn parse_hex(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The name of an ARM core from its MIDR implementer and part codes (the codes of Arm's
/// technical reference manuals, as Linux's `arch/arm64/include/asm/cputype.h` lists them), or
/// the two codes in hex for a core not in the table.
pub fn arm_core_name(implementer: u32, part: u32) -> String {
    let name = match (implementer, part) {
        (0x41, 0xd01) => "Cortex-A32",
        (0x41, 0xd03) => "Cortex-A53",
        (0x41, 0xd04) => "Cortex-A35",
        (0x41, 0xd05) => "Cortex-A55",
        (0x41, 0xd07) => "Cortex-A57",
        (0x41, 0xd08) => "Cortex-A72",
        (0x41, 0xd09) => "Cortex-A73",
        (0x41, 0xd0a) => "Cortex-A75",
        (0x41, 0xd0b) => "Cortex-A76",
        (0x41, 0xd0c) => "Neoverse-N1",
        (0x41, 0xd0d) => "Cortex-A77",
        (0x41, 0xd40) => "Neoverse-V1",
        (0x41, 0xd41) => "Cortex-A78",
        (0x41, 0xd44) => "Cortex-X1",
        (0x41, 0xd46) => "Cortex-A510",
        (0x41, 0xd47) => "Cortex-A710",
        (0x41, 0xd48) => "Cortex-X2",
        (0x41, 0xd49) => "Neoverse-N2",
        (0x41, 0xd4f) => "Neoverse-V2",
        (0x41, 0xd80) => "Cortex-A520",
        (0x41, 0xd81) => "Cortex-A720",
        _ => return format!("CPU implementer {implementer:#04x} part {part:#05x}"),
    };
    name.to_string()
}

/// Logical cores available to this process (its affinity and cgroup quota), as `--threads 0`
/// and the limits count them.
pub use crate::engine::kernels::threads::usable_cores as cores;

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The head of one processor's block of a Raspberry Pi 4's `/proc/cpuinfo`.
    const PI4_CORE: &str =
        "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n\
        CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\n\
        CPU revision\t: 3\n\n";

    #[test]
    fn an_arm_cpuinfo_names_its_cores_and_board() {
        let pi4 = format!(
            "{}{}Hardware\t: BCM2835\nRevision\t: c03114\nModel\t: Raspberry Pi 4 Model B Rev 1.4\n",
            PI4_CORE,
            PI4_CORE.replace(": 0\n", ": 1\n")
        );
        assert_eq!(
            cpu_model_from(&pi4).as_deref(),
            Some("Cortex-A72 (Raspberry Pi 4 Model B Rev 1.4)")
        );
        // two kinds of core, no board line (a phone-class SoC: four A55, then A76)
        let big_little: String = [(0, "0xd05"), (4, "0xd05"), (6, "0xd0b"), (7, "0xd0b")]
            .iter()
            .map(|(n, part)| {
                PI4_CORE
                    .replace(": 0\n", &format!(": {n}\n"))
                    .replace("0xd08", part)
            })
            .collect();
        assert_eq!(
            cpu_model_from(&big_little).as_deref(),
            Some("Cortex-A55 + Cortex-A76")
        );
        // a core not in the table: its codes
        let other = PI4_CORE.replace("0x41", "0x51").replace("0xd08", "0x802");
        assert_eq!(
            cpu_model_from(&other).as_deref(),
            Some("CPU implementer 0x51 part 0x802")
        );
    }

    #[test]
    fn an_x86_cpuinfo_gives_its_model_name_and_an_empty_one_nothing() {
        let x86 = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n\
            model name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu vme\n";
        assert_eq!(
            cpu_model_from(x86).as_deref(),
            Some("Intel(R) Xeon(R) Processor")
        );
        assert_eq!(cpu_model_from(""), None);
        assert_eq!(
            cpu_model_from("Hardware\t: BCM2835\n").as_deref(),
            Some("BCM2835")
        );
        assert_eq!(arm_core_name(0x41, 0xd0b), "Cortex-A76");
        assert_eq!(arm_core_name(0x41, 0xd03), "Cortex-A53");
    }
}
