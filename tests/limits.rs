//! Every numeric flag of every command at extreme values (0, 1, the type's maximum, one past
//! what this machine can hold): no panic, no abort, the documented exit code and message, done
//! within a bounded time (the child is killed after a few seconds), and no results left behind
//! by a refused run (docs/RELIABILITY.md, "Sizes the machine cannot hold").

mod common;

use common::write_synthetic;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a row expects.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Exit 0.
    Runs,
    /// Exit 0 with this text on stderr.
    Warns(&'static str),
    /// Exit 1, one line `error: …` containing this text, and the output path not created.
    Refused(&'static str),
    /// A legal request for endless work: still running when killed, nothing written.
    Endless,
}

/// The child is killed after this long.
const KILL_AFTER: Duration = Duration::from_secs(20);
/// A refusal comes before any work: well within this.
const REFUSED_WITHIN: Duration = Duration::from_secs(5);
/// `Endless` rows are killed after this long.
const ENDLESS_AFTER: Duration = Duration::from_secs(2);

const U64_MAX: &str = "18446744073709551615";
const F64_MAX: &str = "1.7976931348623157e308";

struct Outcome {
    code: Option<i32>,
    killed: bool,
    stderr: String,
    elapsed: Duration,
}

/// Runs the binary with `args`, killing it after `limit`.
fn run_bounded(args: &[String], dir: &Path, limit: Duration) -> Outcome {
    let err_path = dir.join("stderr.txt");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kd-mlp"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("the binary starts");
    let (status, killed) = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break (Some(status), false);
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Outcome {
        code: status.and_then(|s| s.code()),
        killed,
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

/// Bytes this machine has available (MemAvailable), for "one past the machine's limits".
fn mem_available() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(64 << 30, |kib| kib * 1024)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// `base` with `extra` on top: a `--flag value` pair replaces the base's value of that flag.
fn merged(base: &[&str], extra: &[&str]) -> Vec<String> {
    let mut args = strings(base);
    let mut rest = extra.iter();
    while let Some(&arg) = rest.next() {
        let takes_value = arg.starts_with("--") && !arg.contains('=');
        match (takes_value, args.iter().position(|a| a == arg)) {
            (true, Some(at)) => args[at + 1] = rest.next().expect("a value").to_string(),
            (true, None) => {
                args.push(arg.to_string());
                args.extend(rest.next().map(|v| v.to_string()));
            }
            (false, _) => args.push(arg.to_string()),
        }
    }
    args
}

#[test]
fn every_numeric_flag_at_its_extremes_ends_cleanly_and_as_documented() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_synthetic(dir, 8, 200, 40);
    let data = dir.to_str().unwrap().to_string();
    let model = dir.join("model.safetensors");
    let made = run_bounded(
        &strings(&[
            "train",
            "--data",
            &data,
            "--arch",
            "8",
            "--epochs-max",
            "2",
            "--out",
            model.to_str().unwrap(),
        ]),
        dir,
        KILL_AFTER,
    );
    assert_eq!(made.code, Some(0), "{}", made.stderr);
    let model = model.to_str().unwrap().to_string();

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most_threads = (cores * 32).to_string();
    let past_threads = (cores * 32 + 1).to_string();
    // One past this machine: a hidden layer whose five f32 copies (64 inputs, 4 outputs) need
    // twice MemAvailable; an ensemble of students 64-4-4 (280 parameters) likewise.
    let past_width = (mem_available() * 2 / (20 * 69)).to_string();
    let past_members = (mem_available() * 2 / (4 * 280)).to_string();

    // (command and flags, expectation); `OUT` is replaced by a fresh output path.
    let train = |extra: &[&str]| {
        merged(
            &[
                "train",
                "--data",
                &data,
                "--arch",
                "8",
                "--epochs-max",
                "2",
                "--out",
                "OUT",
            ],
            extra,
        )
    };
    let distill = |extra: &[&str]| {
        merged(
            &[
                "distill",
                "--data",
                &data,
                "--teacher",
                &model,
                "--arch",
                "4",
                "--epochs-max",
                "2",
                "--out",
                "OUT",
            ],
            extra,
        )
    };
    let reproduce = |extra: &[&str]| {
        merged(
            &[
                "reproduce",
                "--data",
                &data,
                "--out",
                "OUT",
                "--reps",
                "1",
                "--ensemble-size",
                "2",
                "--teacher-arch",
                "8",
                "--student-arch",
                "4",
                "--epochs-max",
                "1",
                "--modes",
                "logits",
                "--temperatures",
                "2",
                "--alphas",
                "0.5",
            ],
            extra,
        )
    };
    let threads = |n: &str, mut rest: Vec<String>| {
        let mut a = strings(&["--threads", n]);
        a.append(&mut rest);
        a
    };
    let with = |mut a: Vec<String>, extra: &[&str]| {
        a.extend(strings(extra));
        a
    };
    let eval = strings(&["eval", &model, "--data", &data]);
    let show = strings(&["show", &model, "--data", &data, "--teacher", &model]);
    let gradcheck = strings(&["gradcheck"]);
    let dump = strings(&[
        "gradcheck",
        "--model",
        &model,
        "--dump",
        "OUT",
        "--data",
        &data,
    ]);
    let bench = strings(&["bench", "--data", &data, "--json"]);

    use Expect::*;
    let rows: Vec<(Vec<String>, Expect)> = vec![
        // --threads, a global flag
        (threads("0", train(&[])), Runs),
        (threads("1", train(&[])), Runs),
        (
            threads(&most_threads, train(&[])),
            if cores * 32 > cores {
                Warns("more than the")
            } else {
                Runs
            },
        ),
        (threads(&past_threads, train(&[])), Refused("--threads")),
        (threads(U64_MAX, train(&[])), Refused("--threads")),
        (threads(U64_MAX, eval.clone()), Refused("--threads")),
        (threads(&past_threads, reproduce(&[])), Refused("--threads")),
        // train
        (train(&["--arch", "1"]), Runs),
        (train(&["--arch", &past_width]), Refused("lower --arch")),
        (train(&["--arch", U64_MAX]), Refused("lower --arch")),
        (
            train(&["--arch", &format!("8,{U64_MAX}")]),
            Refused("lower --arch"),
        ),
        (train(&["--seed", "0"]), Runs),
        (train(&["--seed", U64_MAX]), Runs),
        (train(&["--epochs-max", "0"]), Refused("epoch cap")),
        (train(&["--epochs-max", "1"]), Runs),
        (train(&["--epochs-max", U64_MAX]), Runs),
        (train(&["--batch", "0"]), Refused("batch size")),
        (train(&["--batch", "1"]), Runs),
        (train(&["--batch", U64_MAX]), Runs),
        (train(&["--patience", "0"]), Runs),
        (train(&["--patience", U64_MAX]), Runs),
        (train(&["--min-delta", "0"]), Runs),
        (train(&["--min-delta", F64_MAX]), Runs),
        (train(&["--min-delta=-1"]), Refused("--min-delta")),
        (train(&["--lr", "0"]), Refused("learning rate")),
        (train(&["--lr", "1"]), Runs),
        (train(&["--lr", F64_MAX]), Refused("diverged")),
        (
            train(&["--validation-fraction", "0"]),
            Refused("--validation-fraction"),
        ),
        (
            train(&["--validation-fraction", "1"]),
            Refused("--validation-fraction"),
        ),
        (train(&["--classes", "0"]), Refused("at least 1")),
        (train(&["--classes", "1"]), Refused("class")),
        (train(&["--classes", "256"]), Runs),
        (train(&["--classes", "257"]), Refused("at most 256")),
        (train(&["--classes", U64_MAX]), Refused("at most 256")),
        // distill
        (distill(&[]), Runs),
        (distill(&["--arch", &past_width]), Refused("lower --arch")),
        (distill(&["--alpha", "0"]), Runs),
        (distill(&["--alpha", "1"]), Runs),
        (distill(&["--alpha", F64_MAX]), Refused("alpha")),
        (distill(&["--temperature", "0"]), Refused("temperature")),
        (distill(&["--temperature", "1"]), Runs),
        (distill(&["--temperature", F64_MAX]), Refused("diverged")),
        (
            distill(&["--distill-epochs", "0"]),
            Refused("--distill-epochs"),
        ),
        (distill(&["--distill-epochs", "1"]), Runs),
        (distill(&["--distill-epochs", U64_MAX]), Endless),
        (distill(&["--distill-min-delta", F64_MAX]), Runs),
        (distill(&["--batch", U64_MAX]), Runs),
        // reproduce
        (reproduce(&[]), Runs),
        (reproduce(&["--reps", "0"]), Refused("--reps")),
        (reproduce(&["--reps", U64_MAX]), Refused("lower")),
        (
            reproduce(&["--ensemble-size", "0"]),
            Refused("--ensemble-size"),
        ),
        (reproduce(&["--ensemble-size", "1"]), Runs),
        (
            reproduce(&["--ensemble-size", &past_members]),
            Refused("lower --ensemble-size"),
        ),
        (
            reproduce(&["--ensemble-size", U64_MAX]),
            Refused("lower --ensemble-size"),
        ),
        (reproduce(&["--teacher-arch", U64_MAX]), Refused("lower")),
        (reproduce(&["--student-arch", U64_MAX]), Refused("lower")),
        (
            reproduce(&["--reps", U64_MAX, "--only", "teachers", "--shard", "1/2"]),
            Refused("lower"),
        ),
        (
            reproduce(&["--ensemble-size", U64_MAX, "--only", "students"]),
            Refused("lower --ensemble-size"),
        ),
        (reproduce(&["--train-sizes", "0"]), Refused("--train-sizes")),
        (
            reproduce(&["--train-sizes", U64_MAX]),
            Refused("--train-sizes"),
        ),
        (reproduce(&["--student-archs", U64_MAX]), Refused("lower")),
        (reproduce(&["--seed", U64_MAX]), Runs),
        (reproduce(&["--batch", "0"]), Refused("batch size")),
        (reproduce(&["--epochs-max", "0"]), Refused("epoch cap")),
        // eval, show
        (eval.clone(), Runs),
        (
            with(eval.clone(), &["--classes", "0"]),
            Refused("at least 1"),
        ),
        (
            with(eval.clone(), &["--classes", U64_MAX]),
            Refused("at most 256"),
        ),
        (with(show.clone(), &["--index", "0"]), Runs),
        (with(show.clone(), &["--index", "40"]), Refused("--index")),
        (
            with(show.clone(), &["--index", U64_MAX]),
            Refused("--index"),
        ),
        (
            with(show.clone(), &["--temperature", "0"]),
            Refused("--temperature"),
        ),
        (with(show.clone(), &["--temperature", F64_MAX]), Runs),
        // gradcheck
        (with(gradcheck.clone(), &["--batch", "0"]), Refused("batch")),
        (with(gradcheck.clone(), &["--batch", "1"]), Runs),
        (
            with(gradcheck.clone(), &["--batch", U64_MAX]),
            Refused("lower --batch"),
        ),
        (
            with(gradcheck.clone(), &["--sizes", &format!("{U64_MAX},2")]),
            Refused("lower --sizes"),
        ),
        (with(gradcheck.clone(), &["--seed", U64_MAX]), Runs),
        (
            with(gradcheck.clone(), &["--temperature", "0"]),
            Refused("temperature"),
        ),
        (
            with(gradcheck.clone(), &["--alpha", F64_MAX]),
            Refused("alpha"),
        ),
        (
            with(gradcheck.clone(), &["--label-smoothing", F64_MAX]),
            Refused("[0, 1]"),
        ),
        (
            with(dump.clone(), &["--samples", &format!("0..{U64_MAX}")]),
            Refused("samples"),
        ),
        // bench
        (
            with(bench.clone(), &["--samples", "0"]),
            Refused("--samples"),
        ),
        (threads(U64_MAX, bench.clone()), Refused("--threads")),
    ];

    let mut failures = Vec::new();
    for (i, (args, expect)) in rows.iter().enumerate() {
        let out_path: PathBuf = dir.join(format!("out-{i}"));
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a == "OUT" {
                    out_path.to_str().unwrap().to_string()
                } else {
                    a.clone()
                }
            })
            .collect();
        let limit = if matches!(expect, Endless) {
            ENDLESS_AFTER
        } else {
            KILL_AFTER
        };
        let o = run_bounded(&args, dir, limit);
        let mut wrong = Vec::new();
        if o.stderr.contains("panicked") || o.stderr.contains("backtrace") {
            wrong.push("a panic".to_string());
        }
        match expect {
            Runs | Warns(_) => {
                if o.code != Some(0) {
                    wrong.push(format!("exit {:?} (killed: {})", o.code, o.killed));
                }
                if let Warns(text) = expect {
                    if !o.stderr.contains(text) {
                        wrong.push(format!("no warning '{text}'"));
                    }
                }
            }
            Refused(text) => {
                if o.code != Some(1) {
                    wrong.push(format!("exit {:?} (killed: {}), not 1", o.code, o.killed));
                }
                let lines: Vec<&str> = o.stderr.trim().lines().collect();
                if lines.len() != 1 || !lines[0].starts_with("error: ") || !lines[0].contains(text)
                {
                    wrong.push(format!("not one error line with '{text}'"));
                }
                if o.elapsed > REFUSED_WITHIN {
                    wrong.push(format!(
                        "refused only after {:.1} s",
                        o.elapsed.as_secs_f64()
                    ));
                }
                if out_path.exists() {
                    wrong.push("left its output behind".into());
                }
            }
            Endless => {
                if !o.killed {
                    wrong.push(format!("ended with {:?} instead of working on", o.code));
                }
                if out_path.exists() {
                    wrong.push("wrote its output while still training".into());
                }
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{args:?}: {}; stderr: {}",
                wrong.join(", "),
                o.stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Workers the system refuses (an address-space limit leaves no room for `reproduce`'s 32
/// model workers and their pools) are one error line, exit code 1, never a panic or an abort.
#[test]
fn a_thread_pool_the_system_refuses_is_an_error_not_a_panic() {
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    write_synthetic(tmp.path(), 8, 200, 40);
    let data = tmp.path().to_str().unwrap();
    let out = tmp.path().join("study");
    let mut command = Command::new(env!("CARGO_BIN_EXE_kd-mlp"));
    command.args([
        "--threads",
        "32",
        "reproduce",
        "--quick",
        "--epochs-max",
        "1",
    ]);
    command.args(["--teacher-arch", "8", "--student-arch", "4", "--data", data]);
    command.arg("--out").arg(&out);
    // SAFETY: only setrlimit between fork and exec, which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 60_000_000,
                rlim_max: 60_000_000,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().expect("the binary starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let last = stderr.trim().lines().last().unwrap_or_default();
    assert!(last.starts_with("error: cannot start "), "{stderr}");
    assert!(
        last.contains("Resource temporarily unavailable"),
        "{stderr}"
    );
}
