//! Faults that really happen to a long run, done for real: the process killed (SIGKILL) at
//! several points and restarted, Ctrl-C (SIGINT), an output place that cannot be written or
//! fills up, damaged files in a results folder, damaged or forged model files, a model used on
//! images of another size, and a learning rate far too large. The list, with the test of each,
//! is in docs/RELIABILITY.md.

mod common;

use common::{
    assert_clean_failure, json_of, kd_mlp, record_files, small_study_args, stderr,
    study_records_without_timings, write_synthetic,
};
use kd_mlp::engine::mlp::Mlp;
use kd_mlp::persist::checkpoint::{from_safetensors, save, to_safetensors};
use safetensors::tensor::TensorView;
use safetensors::Dtype;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Synthetic data large enough that a study takes a few seconds: 16×16 images.
fn study_data(root: &Path) -> PathBuf {
    let data = root.join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 16, 2000, 200);
    data
}

fn spawn(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kd-mlp"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Waits until `out` holds at least `n` records, or the child has exited; returns whether it
/// is still running.
fn wait_for_records(child: &mut Child, out: &Path, n: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if record_files(out).len() >= n {
            return true;
        }
        assert!(Instant::now() < deadline, "no {n} records after 2 minutes");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} failed");
}

fn finish(child: Child) -> (ExitStatus, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The invariants of a results folder at any moment: every record parses, and every record of a
/// trained model has its model file beside it, which loads.
fn assert_folder_consistent(out: &Path) {
    for path in record_files(out) {
        let record: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let key = record["key"].as_str().unwrap();
        if record["role"] != "ensemble" {
            let model = out.join("models").join(format!("{key}.safetensors"));
            kd_mlp::persist::checkpoint::load::<f32>(&model)
                .unwrap_or_else(|e| panic!("record {key} without a loadable model: {e}"));
        }
    }
}

/// Files of the folder whose names mark them as temporary (of an atomic write or a probe).
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.contains(".tmp-") || name.contains("write-test") {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn killed_at_several_points_then_resumed_gives_the_uninterrupted_records() {
    let tmp = tempfile::tempdir().unwrap();
    let data = study_data(tmp.path());
    let reference = tmp.path().join("reference");
    let out = kd_mlp(
        &small_study_args(&data, &reference, "2", "2", &[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = study_records_without_timings(&reference);
    assert_eq!(expected.len(), 2 * 13);

    let study = tmp.path().join("study");
    let args = small_study_args(&data, &study, "2", "2", &[]);
    let mut kills = Vec::new();
    for after in [1, 3, 6] {
        let mut child = spawn(&args);
        let running = wait_for_records(&mut child, &study, after);
        child.kill().unwrap(); // SIGKILL: no handler runs, no file is closed properly
        let _ = child.wait();
        assert!(
            running,
            "the run ended before {after} records: make the study longer"
        );
        kills.push(record_files(&study).len());
        // Whatever the moment of the kill, the folder holds only whole files.
        assert_folder_consistent(&study);
    }
    eprintln!(
        "records on disk after each kill: {kills:?} of {}",
        expected.len()
    );
    assert!(kills.windows(2).all(|w| w[0] <= w[1]), "{kills:?}");
    assert!(
        *kills.last().unwrap() < expected.len(),
        "killed too late: {kills:?}"
    );
    let out = kd_mlp(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(study_records_without_timings(&study), expected);
    assert!(study.join("table.md").exists());
    // A temporary file left by a kill during a write is never read as a record or a model.
    for path in temporary_files(&study) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with('.'), "{name}");
        assert!(path
            .extension()
            .is_none_or(|x| x != "json" && x != "safetensors"));
    }
}

#[test]
fn ctrl_c_stops_reproduce_with_nothing_partial_and_says_how_to_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let data = study_data(tmp.path());
    let study = tmp.path().join("study");
    // One thread and three repetitions: the signal lands while many models are still to come.
    let args = small_study_args(&data, &study, "1", "3", &[]);
    let mut child = spawn(&args);
    assert!(
        wait_for_records(&mut child, &study, 2),
        "the run ended too soon"
    );
    signal(&child, "INT");
    let (status, err) = finish(child);
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let saved = record_files(&study).len();
    let message = format!(
        "interrupted: {saved} models are saved in {}; run the same command again to resume",
        study.display()
    );
    assert!(err.contains(&message), "{err}");
    assert!(saved < 3 * 13, "nothing was left to do: {saved}");
    assert_folder_consistent(&study);
    assert!(
        temporary_files(&study).is_empty(),
        "{:?}",
        temporary_files(&study)
    );
    assert!(!study.join("table.md").exists(), "no report from a cut run");

    let out = kd_mlp(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", stderr(&out));
    let reference = tmp.path().join("reference");
    let out = kd_mlp(
        &small_study_args(&data, &reference, "2", "3", &[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        study_records_without_timings(&study),
        study_records_without_timings(&reference)
    );
}

#[test]
fn ctrl_c_stops_train_before_the_next_batch_and_saves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = study_data(tmp.path());
    let model = tmp.path().join("m.safetensors");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kd-mlp"))
        .args([
            "--threads",
            "1",
            "train",
            "--data",
            data.to_str().unwrap(),
            "--arch",
            "256,128",
            "--epochs-max",
            "1000",
            "--patience",
            "1000",
            "--out",
            model.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first epoch line: training is under way.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = Instant::now();
    loop {
        let line = lines.next().expect("an epoch line").unwrap();
        if line.starts_with("epoch") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60));
    }
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted: training of 256-256-128-4 seed 1 stopped before epoch"),
        "{err}"
    );
    assert!(err.contains("nothing of it was saved"), "{err}");
    assert!(!model.exists());
    assert!(temporary_files(tmp.path()).is_empty());
}

#[test]
fn an_output_place_that_cannot_be_written_is_an_error_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 200, 40);
    let d = data.to_str().unwrap();
    // Tests run as root, for whom permission bits stop nothing: a parent that is a regular file
    // stops everyone.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let under_file = file.join("study");
    let out = kd_mlp(&[
        "reproduce",
        "--data",
        d,
        "--out",
        under_file.to_str().unwrap(),
    ]);
    assert_clean_failure(&out, "a-file");
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "nothing started"
    );
    let model = file.join("m.safetensors");
    let out = kd_mlp(&["train", "--data", d, "--out", model.to_str().unwrap()]);
    assert_clean_failure(&out, "a-file");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    // An existing folder given as the model's path.
    let out = kd_mlp(&["train", "--data", d, "--out", tmp.path().to_str().unwrap()]);
    assert_clean_failure(&out, "is a folder");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
}

/// A tmpfs of `kib` KiB mounted on a new folder, unmounted on drop; `None` where mounting is not
/// permitted (not root, or no CAP_SYS_ADMIN in a container).
struct TinyDisk {
    dir: PathBuf,
}

impl TinyDisk {
    fn mount(parent: &Path, kib: usize) -> Option<Self> {
        let dir = parent.join(format!("tmpfs-{kib}k"));
        std::fs::create_dir(&dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { dir })
    }

    /// Fills the disk: one file takes every free byte.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.dir.join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.flush();
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

#[test]
fn a_full_disk_is_an_error_at_start_and_leaves_no_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 300, 60);
    let d = data.to_str().unwrap();
    let Some(full) = TinyDisk::mount(tmp.path(), 64) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)");
        return;
    };
    full.fill();
    let study = full.dir.join("study");
    let out = kd_mlp(&["reproduce", "--data", d, "--out", study.to_str().unwrap()]);
    assert_clean_failure(&out, "No space left on device");
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "nothing started"
    );
    let model = full.dir.join("m.safetensors");
    let out = kd_mlp(&["train", "--data", d, "--out", model.to_str().unwrap()]);
    assert_clean_failure(&out, "No space left on device");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    assert!(temporary_files(&full.dir).is_empty());

    // Room for the start-up check but not for the model (64·400 + 400·4 floats, ~106 KiB):
    // the save fails, naming the file, and leaves neither the model nor a temporary file.
    let Some(small) = TinyDisk::mount(tmp.path(), 32) else {
        return;
    };
    let model = small.dir.join("m.safetensors");
    let out = kd_mlp(&[
        "train",
        "--data",
        d,
        "--arch",
        "400",
        "--epochs-max",
        "1",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert_clean_failure(&out, "No space left on device");
    assert!(stderr(&out).contains("m.safetensors"));
    assert!(!model.exists());
    assert!(
        temporary_files(&small.dir).is_empty(),
        "{:?}",
        temporary_files(&small.dir)
    );
}

#[test]
fn a_damaged_results_folder_is_named_never_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 400, 100);
    let study = tmp.path().join("study");
    let args = small_study_args(&data, &study, "2", "1", &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = kd_mlp(&args);
    assert!(out.status.success(), "{}", stderr(&out));

    // A model file cut in half, beside its valid record.
    let model = study.join("models/rep00/member00.safetensors");
    let whole = std::fs::read(&model).unwrap();
    std::fs::write(&model, &whole[..whole.len() / 2]).unwrap();
    assert_clean_failure(&kd_mlp(&args), "member00.safetensors");
    std::fs::write(&model, &whole).unwrap();

    // A model file that is missing, beside its record.
    let teacher = study.join("models/rep00/teacher.safetensors");
    let saved = std::fs::read(&teacher).unwrap();
    std::fs::remove_file(&teacher).unwrap();
    assert_clean_failure(&kd_mlp(&args), "teacher.safetensors");
    std::fs::write(&teacher, &saved).unwrap();

    // An empty record (what a crash without a flush can leave on some file systems).
    let record = study.join("records/rep00/independent.json");
    let kept = std::fs::read(&record).unwrap();
    std::fs::write(&record, b"").unwrap();
    assert_clean_failure(&kd_mlp(&args), "independent.json");
    std::fs::write(&record, &kept).unwrap();

    // Put back, the folder is whole again and the run completes without training anything.
    let before = study_records_without_timings(&study);
    let out = kd_mlp(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(study_records_without_timings(&study), before);
}

#[test]
fn a_model_for_28x28_images_is_refused_on_32x32_images() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 32, 200, 50);
    let d = data.to_str().unwrap();
    let model = tmp.path().join("mnist-student.safetensors");
    save(&Mlp::<f32>::glorot(&[784, 16, 10], 1).unwrap(), &model, &[]).unwrap();
    let m = model.to_str().unwrap();
    let out = kd_mlp(&["eval", m, "--data", d]);
    assert_clean_failure(&out, "784 inputs");
    assert!(stderr(&out).contains("1024 pixels"));
    let student = tmp.path().join("student.safetensors");
    let out = kd_mlp(&[
        "distill",
        "--data",
        d,
        "--teacher",
        m,
        "--out",
        student.to_str().unwrap(),
    ]);
    assert_clean_failure(&out, "784 inputs");
    assert!(!student.exists());
}

#[test]
fn a_learning_rate_of_10_collapses_but_stays_finite_and_1e30_diverges_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_synthetic(&data, 8, 400, 100);
    let d = data.to_str().unwrap();
    // Adam's step is about lr per parameter whatever the gradient, so lr = 10 throws the weights
    // far but never past f32's range in a few hundred steps: the loss stays finite, the network
    // collapses to near chance, and that is what its record says. Not an error: see
    // docs/RELIABILITY.md for why no threshold is added.
    let model = tmp.path().join("lr10.safetensors");
    let out = kd_mlp(&[
        "train",
        "--data",
        d,
        "--lr",
        "10",
        "--epochs-max",
        "3",
        "--json",
        "--out",
        model.to_str().unwrap(),
    ]);
    let record = json_of(&out);
    for e in record["epochs"].as_array().unwrap() {
        for k in ["train_loss", "val_loss", "val_error"] {
            assert!(e[k].as_f64().is_some_and(f64::is_finite), "{k}: {e}");
        }
    }
    let (mlp, _) = kd_mlp::persist::checkpoint::load::<f32>(&model).unwrap();
    assert!(mlp.params().iter().all(|v| v.is_finite()));

    // lr = 1e30 overflows f32 in the first steps: an error naming model, epoch and batch, and
    // no model file; the same inside a study, where no record or report is written either.
    let model = tmp.path().join("lr1e30.safetensors");
    let out = kd_mlp(&[
        "train",
        "--data",
        d,
        "--lr",
        "1e30",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert_clean_failure(&out, "training of 64-100-4 seed 1 diverged");
    assert!(stderr(&out).contains("at epoch 1, batch"));
    assert!(!model.exists());
    let study = tmp.path().join("study");
    let args = small_study_args(&data, &study, "2", "1", &["--lr", "1e30"]);
    let out = kd_mlp(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_clean_failure(&out, "diverged");
    assert!(stderr(&out).contains("rep00/"), "{}", stderr(&out));
    assert!(record_files(&study).is_empty());
    assert!(!study.join("table.md").exists());
}

// ---- model files: every tensor checked against the architecture in the metadata ----

/// A model file built by hand: `tensors` as (name, dtype, shape, bytes), `sizes` metadata.
fn forged(tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)], sizes: Option<&str>) -> Vec<u8> {
    let mut metadata = HashMap::new();
    metadata.insert("format".to_string(), "kd-mlp".to_string());
    if let Some(s) = sizes {
        metadata.insert("sizes".to_string(), s.to_string());
    }
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.to_string(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views, Some(metadata)).unwrap()
}

/// The tensors of a valid 6-4-3 model, as (name, dtype, shape, bytes).
fn valid_tensors() -> Vec<(&'static str, Dtype, Vec<usize>, Vec<u8>)> {
    let f32s = |n: usize| -> Vec<u8> {
        (0..n)
            .flat_map(|i| (i as f32 * 0.1).to_le_bytes())
            .collect()
    };
    vec![
        ("dense.0.weight", Dtype::F32, vec![6, 4], f32s(24)),
        ("dense.0.bias", Dtype::F32, vec![4], f32s(4)),
        ("dense.1.weight", Dtype::F32, vec![4, 3], f32s(12)),
        ("dense.1.bias", Dtype::F32, vec![3], f32s(3)),
    ]
}

fn load_error(bytes: &[u8]) -> String {
    match from_safetensors::<f32>(bytes, Path::new("forged.safetensors")) {
        Ok(_) => panic!("a bad model file loaded"),
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains("forged.safetensors"), "{text}");
            text
        }
    }
}

#[test]
fn model_files_are_checked_tensor_by_tensor_against_their_sizes() {
    // The hand-made valid file loads: the forgeries below differ from it in one thing each.
    let good = forged(&valid_tensors(), Some("6,4,3"));
    let (mlp, _) = from_safetensors::<f32>(&good, Path::new("good")).unwrap();
    assert_eq!(mlp.sizes(), &[6, 4, 3]);

    // Wrong shape (the transpose: same bytes), and sizes that disagree with the shapes.
    let mut t = valid_tensors();
    t[0].2 = vec![4, 6];
    assert!(load_error(&forged(&t, Some("6,4,3"))).contains("has shape [4, 6]"));
    assert!(load_error(&forged(&valid_tensors(), Some("6,5,3"))).contains("has shape"));
    assert!(load_error(&forged(&valid_tensors(), Some("6,4,4"))).contains("has shape"));
    assert!(load_error(&forged(&valid_tensors(), Some("6,4,3,2"))).contains("expected 6 tensors"));

    // Wrong dtypes, with byte counts that suit the dtype (so only the dtype is wrong).
    for (dtype, width) in [
        (Dtype::F16, 2),
        (Dtype::BF16, 2),
        (Dtype::I32, 4),
        (Dtype::U8, 1),
    ] {
        let mut t = valid_tensors();
        t[2].1 = dtype;
        t[2].3 = vec![0; 12 * width];
        let err = load_error(&forged(&t, Some("6,4,3")));
        assert!(err.contains(&format!("dtype {dtype:?}")), "{err}");
    }

    // An extra tensor, a missing one, and one renamed.
    let mut t = valid_tensors();
    t.push(("dense.2.bias", Dtype::F32, vec![3], vec![0; 12]));
    assert!(load_error(&forged(&t, Some("6,4,3"))).contains("expected 4 tensors"));
    let mut t = valid_tensors();
    t.pop();
    assert!(load_error(&forged(&t, Some("6,4,3"))).contains("expected 4 tensors"));
    let mut t = valid_tensors();
    t[3].0 = "dense.1.b";
    assert!(load_error(&forged(&t, Some("6,4,3"))).contains("dense.1.bias is missing"));

    // Metadata: none, unparsable, or sizes that would be an allocation bomb. The huge sizes are
    // refused by the shape check, before the network is allocated (10^12 floats otherwise).
    assert!(load_error(&forged(&valid_tensors(), None)).contains("no 'sizes'"));
    for bad in ["6,x,3", "", "6", "0,4,3", "6,,3", "-6,4,3"] {
        assert!(
            load_error(&forged(&valid_tensors(), Some(bad))).contains("sizes"),
            "{bad}"
        );
    }
    let err = load_error(&forged(&valid_tensors(), Some("1000000,1000000,10")));
    assert!(err.contains("has shape"), "{err}");
    assert!(
        load_error(&forged(&valid_tensors(), Some("18446744073709551615,2,3"))).contains("shape")
    );

    // A NaN among the values.
    let mut t = valid_tensors();
    t[1].3[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(load_error(&forged(&t, Some("6,4,3"))).contains("non-finite"));

    // A foreign safetensors file (no kd-mlp metadata) and non-safetensors bytes.
    let views = vec![(
        "t",
        TensorView::new(Dtype::F32, vec![1], &[0u8; 4]).unwrap(),
    )];
    let foreign = safetensors::serialize(views, None).unwrap();
    assert!(load_error(&foreign).contains("not a kd-mlp model"));
    assert!(load_error(b"PK\x03\x04 a zip file").contains("not a safetensors file"));
}

#[test]
fn a_model_file_cut_at_any_length_or_with_any_byte_changed_is_an_error_not_a_panic() {
    let mlp = Mlp::<f32>::glorot(&[6, 4, 3], 3).unwrap();
    let bytes = to_safetensors(&mlp, &[("seed", "3".into())]).unwrap();
    for len in 0..bytes.len() {
        load_error(&bytes[..len]);
    }
    // Every byte of the header (length and JSON) set to a few values: loads or errs, never
    // panics. (A changed data byte gives another valid model, or a NaN that is refused.)
    let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    for at in 0..header_end {
        for value in [0u8, b'9', b'"', b',', 0xff] {
            let mut b = bytes.clone();
            b[at] = value;
            let _ = from_safetensors::<f32>(&b, Path::new("m"));
        }
    }
}
