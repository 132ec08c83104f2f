//! The study: the paper's protocol and the extended grid, run as a set of independent models
//! with a resumable results store.
//!
//! For each repetition `r` the study trains the teacher, the ensemble members and the
//! independent student, assembles the ensemble, then distils one student per arm (source ×
//! soft-target mode × T × α). The independent and every distilled student of a repetition share
//! their seed — the same initial weights and the same batch order — so their test errors can be
//! compared pair by pair. Every model's record and weights are written the moment it finishes;
//! a re-run skips whatever is already on disk.

use crate::checkpoint;
use crate::data::Dataset;
use crate::error::Error;
use crate::evaluate::evaluate;
use crate::folder_lock::FolderLock;
use crate::loss::{Distillation, SoftTargetMode};
use crate::mlp::Mlp;
use crate::record::{distilled_key, DistillSettings, Record, Role, Source};
use crate::rng::derive_seed;
use crate::scheduler::{run_graph, Finished, Node};
use crate::teacher::{SoftTargets, Teacher};
use crate::train::{train, Objective, Split, TrainConfig, TrainEvent};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// What defines a study: two runs with the same protocol produce the same records, so a results
/// folder may only be resumed or extended with the same protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// The study's seed; every model's seed derives from it.
    pub seed: u64,
    pub ensemble_size: usize,
    pub teacher_hidden: Vec<usize>,
    pub student_hidden: Vec<usize>,
    /// Training settings shared by every model (its `seed` field is replaced per model).
    pub train: TrainConfig,
    pub validation_fraction: f64,
    /// Samples, pixels and a checksum of the training labels, so that a folder is not resumed
    /// on other data.
    pub data_fingerprint: String,
}

/// A study to run: the protocol, how many repetitions, which distillation arms.
#[derive(Debug, Clone)]
pub struct Study {
    pub protocol: Protocol,
    pub repetitions: usize,
    pub arms: Vec<DistillSettings>,
    /// Run only one slice of the repetitions (for several machines); all of them if `None`.
    pub shard: Option<Shard>,
}

impl Study {
    /// The repetitions this run trains: all, or those of its shard.
    pub fn repetitions_to_run(&self) -> Vec<usize> {
        (0..self.repetitions)
            .filter(|&r| self.shard.is_none_or(|s| s.contains(r)))
            .collect()
    }
}

/// The `index`-th (1-based) of `count` slices of a study. A slice is a set of whole
/// repetitions, `r ≡ index − 1 (mod count)`, because a repetition's students need its teacher
/// and ensemble: shards share nothing while they run, and their records, made with the same
/// seeds as an unsharded run, merge into the same report (`kd-mlp report DIR...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with `1 <= I <= N`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = || {
            Error::Config(format!(
                "--shard wants I/N with 1 <= I <= N, e.g. 2/4; got '{text}'"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// Whether repetition `r` belongs to this shard.
    pub fn contains(&self, r: usize) -> bool {
        r % self.count == self.index - 1
    }
}

/// Every arm of a grid: both sources, the given modes, temperatures and alphas.
pub fn grid_arms(
    modes: &[SoftTargetMode],
    temperatures: &[f64],
    alphas: &[f64],
) -> Result<Vec<DistillSettings>, Error> {
    let mut arms = Vec::new();
    for source in [Source::Teacher, Source::Ensemble] {
        for &mode in modes {
            for &temperature in temperatures {
                for &alpha in alphas {
                    Distillation::new(alpha, temperature, mode)?;
                    arms.push(DistillSettings {
                        source,
                        mode,
                        temperature,
                        alpha,
                    });
                }
            }
        }
    }
    Ok(arms)
}

/// A short description of a data set that changes when the data does.
pub fn data_fingerprint(data: &Dataset) -> String {
    let label_sum: u64 = data.labels().iter().map(|&l| u64::from(l)).sum();
    let pixel_sum: u64 = data
        .images()
        .iter()
        .step_by(997)
        .map(|&p| u64::from(p))
        .sum();
    format!(
        "{} samples of {}x{}, label sum {label_sum}, sampled pixel sum {pixel_sum}",
        data.len(),
        data.rows(),
        data.cols()
    )
}

/// The seed of a model: `(study seed, repetition, role, member)`. Every student of a repetition
/// (independent and distilled) gets the same one: the paired design.
pub fn model_seed(study_seed: u64, repetition: usize, role: Role, member: usize) -> u64 {
    let role_code = match role {
        Role::Teacher => 1,
        Role::Member | Role::Ensemble => 2,
        Role::Independent | Role::Distilled => 3,
    };
    derive_seed(&[study_seed, repetition as u64, role_code, member as u64])
}

/// The folder of a study's results: `config.json`, `records/`, `models/`, and the report.
#[derive(Debug, Clone)]
pub struct ResultsStore {
    root: PathBuf,
    /// Held while the store (or a clone of it) is open: a second run on the folder is refused.
    _lock: std::sync::Arc<FolderLock>,
}

impl ResultsStore {
    /// Opens (creating if need be) a results folder for `protocol`. Checks at once that the
    /// folder is writable and that an existing folder holds the same protocol, so a mistake
    /// shows before any training, and nothing already there is overwritten.
    pub fn open(root: &Path, protocol: &Protocol) -> Result<Self, Error> {
        for dir in [
            root.to_path_buf(),
            root.join("records"),
            root.join("models"),
        ] {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        let lock = FolderLock::acquire(root)?;
        let probe = root.join(".write-test");
        checkpoint::write_atomically(&probe, b"ok")?;
        std::fs::remove_file(&probe).map_err(|e| Error::io(&probe, e))?;
        let config = root.join("config.json");
        let text = serde_json::to_string_pretty(protocol).expect("the protocol serialises");
        match std::fs::read_to_string(&config) {
            Ok(existing) => {
                let theirs: Protocol = serde_json::from_str(&existing).map_err(|e| {
                    Error::Config(format!(
                        "{}: not a kd-mlp study configuration ({e})",
                        config.display()
                    ))
                })?;
                if &theirs != protocol {
                    return Err(Error::Config(format!(
                        "{} holds a study with a different protocol ({}); use another --out folder",
                        config.display(),
                        protocol_difference(&theirs, protocol)
                    )));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                checkpoint::write_atomically(&config, text.as_bytes())?;
            }
            Err(e) => return Err(Error::io(&config, e)),
        }
        Ok(Self {
            root: root.to_path_buf(),
            _lock: std::sync::Arc::new(lock),
        })
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn record_path(&self, key: &str) -> PathBuf {
        self.root.join("records").join(format!("{key}.json"))
    }

    fn model_path(&self, key: &str) -> PathBuf {
        self.root.join("models").join(format!("{key}.safetensors"))
    }

    /// The record of `key`, if it is on disk. A record that does not parse is an error naming
    /// the file, never silently retrained over.
    pub fn record(&self, key: &str) -> Result<Option<Record>, Error> {
        let path = self.record_path(key);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::Config(format!(
                    "{}: corrupt record ({e}); delete it to train that model again",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// The saved model of `key`.
    pub fn model(&self, key: &str) -> Result<Mlp<f32>, Error> {
        let path = self.model_path(key);
        if !path.exists() {
            return Err(Error::Config(format!(
                "the record of {key} exists but its model {} is missing; delete {} to train it again",
                path.display(),
                self.record_path(key).display()
            )));
        }
        Ok(checkpoint::load::<f32>(&path)?.0)
    }

    /// Saves a model (if any) and then its record, each atomically: a record on disk always
    /// has its model beside it.
    pub fn save(&self, record: &Record, model: Option<&Mlp<f32>>) -> Result<(), Error> {
        if let Some(model) = model {
            let path = self.model_path(&record.key);
            ensure_parent(&path)?;
            checkpoint::save(
                model,
                &path,
                &[
                    ("key", record.key.clone()),
                    ("seed", record.seed.to_string()),
                ],
            )?;
        }
        let path = self.record_path(&record.key);
        ensure_parent(&path)?;
        let text = serde_json::to_string_pretty(record).expect("a record serialises");
        checkpoint::write_atomically(&path, text.as_bytes())
    }

    /// Every record in the folder, sorted by key.
    pub fn all_records(&self) -> Result<Vec<Record>, Error> {
        read_records(&self.root)
    }
}

/// Every record under `root/records`, sorted by key; a file that does not parse is an error
/// naming it.
pub fn read_records(root: &Path) -> Result<Vec<Record>, Error> {
    let dir = root.join("records");
    let mut files = Vec::new();
    collect_json(&dir, &mut files)?;
    let mut records = Vec::with_capacity(files.len());
    for path in files {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let record: Record = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Config(format!("{}: corrupt record ({e})", path.display())))?;
        records.push(record);
    }
    records.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(records)
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Config(format!(
                "{} is not a kd-mlp results folder (no records/ in it)",
                dir.parent().unwrap_or(dir).display()
            )))
        }
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            collect_json(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn ensure_parent(path: &Path) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// The first field in which two protocols differ, for the error message.
fn protocol_difference(a: &Protocol, b: &Protocol) -> String {
    let (a, b) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    );
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return "unreadable".into();
    };
    for (k, va) in a {
        if b.get(k) != Some(va) {
            return format!(
                "{k}: the folder has {va}, this run {}",
                b.get(k).cloned().unwrap_or_default()
            );
        }
    }
    "differing fields".into()
}

/// What the progress display is told.
#[derive(Debug, Clone)]
pub enum StudyEvent {
    /// A model started (or was found on disk: `resumed`).
    ModelStarted { key: String, resumed: bool },
    /// A model finished an epoch.
    Epoch {
        key: String,
        epoch: usize,
        val_error: f64,
    },
    /// A model is done (`resumed`: its record was already on disk); `cost` is its share of the
    /// study's work.
    ModelDone {
        key: String,
        test_error: f64,
        cost: f64,
        resumed: bool,
    },
}

/// Relative cost of training one model of a role, for the ETA: a teacher epoch is ~12 times a
/// student epoch (214.6 vs 17.3 GFLOP, docs/MATH.md).
pub fn role_cost(role: Role) -> f64 {
    match role {
        Role::Teacher => 12.0,
        Role::Ensemble => 0.0,
        Role::Member | Role::Independent | Role::Distilled => 1.0,
    }
}

/// The total cost of a study, for the ETA.
pub fn study_cost(study: &Study) -> f64 {
    let per_rep = role_cost(Role::Teacher)
        + study.protocol.ensemble_size as f64 * role_cost(Role::Member)
        + role_cost(Role::Independent)
        + study.arms.len() as f64 * role_cost(Role::Distilled);
    per_rep * study.repetitions_to_run().len() as f64
}

/// Runs the study on `train_data` (split by the protocol) and evaluates on `test_data`,
/// skipping every model whose record is already in `store`. The models run as a graph of jobs
/// on `workers` threads (see [`crate::scheduler`]): teachers first (the longest), then ensemble
/// members and independent students, the soft targets as soon as their teacher is ready, and
/// the distilled students last. Returns all records of the study, in job order.
pub fn run_study(
    study: &Study,
    train_data: &Dataset,
    test_data: &Dataset,
    store: &ResultsStore,
    workers: usize,
    on_event: &(dyn Fn(StudyEvent) + Sync),
) -> Result<Vec<Record>, Error> {
    let ctx = Context {
        study,
        train_data,
        test_data,
        split: Split::holdout(train_data.len(), study.protocol.validation_fraction),
        store,
        on_event,
    };
    let (tasks, nodes) = ctx.plan()?;
    let outputs = run_graph(&nodes, workers, &|i, finished: &Finished<'_, Output>| {
        ctx.run_task(&tasks[i], &nodes[i].deps, finished)
    })?;
    Ok(outputs
        .iter()
        .flatten()
        .filter_map(|output| match output.as_ref() {
            Output::Model(record, _) | Output::Ensemble(record, _) | Output::Record(record) => {
                Some(record.clone())
            }
            Output::Targets(_) => None,
        })
        .collect())
}

struct Context<'a> {
    study: &'a Study,
    train_data: &'a Dataset,
    test_data: &'a Dataset,
    split: Split,
    store: &'a ResultsStore,
    on_event: &'a (dyn Fn(StudyEvent) + Sync),
}

/// Who a model is in the study.
struct ModelId {
    key: String,
    role: Role,
    repetition: usize,
    member: Option<usize>,
    distill: Option<DistillSettings>,
    seed: u64,
}

/// One model to train on hard labels.
#[derive(Debug, Clone, Copy)]
enum Job {
    Teacher,
    Member(usize),
    Independent,
}

/// One job of the study's graph.
#[derive(Debug, Clone)]
enum Task {
    /// The teacher, a member or the independent student of a repetition.
    HardLabels(usize, Job),
    /// The ensemble of a repetition (its dependencies are the members).
    Ensemble(usize),
    /// Soft targets of the repetition's teacher or ensemble (its single dependency).
    Targets {
        temperature: f64,
        mode: SoftTargetMode,
    },
    /// A distilled student (its dependency: its soft targets, or none if it is on disk).
    Distilled(usize, DistillSettings),
}

/// What a job leaves for the jobs that depend on it.
enum Output {
    Model(Record, Mlp<f32>),
    Ensemble(Record, Teacher),
    Targets(SoftTargets),
    Record(Record),
}

/// Scheduling classes: lower runs first among ready jobs.
const FIRST: u64 = 0;
const SOON: u64 = 1;
const NORMAL: u64 = 2;
const LAST: u64 = 3;

impl Context<'_> {
    fn sizes(&self, hidden: &[usize]) -> Vec<usize> {
        let mut sizes = vec![self.train_data.pixels()];
        sizes.extend(hidden);
        sizes.push(self.train_data.classes());
        sizes
    }

    /// The graph of jobs: per repetition, the teacher (first: it is the longest), the members
    /// and the independent student, the ensemble, one soft-target job per (source, T, mode)
    /// still needed, and the distilled students.
    fn plan(&self) -> Result<(Vec<Task>, Vec<Node>), Error> {
        let mut tasks = Vec::new();
        let mut nodes = Vec::new();
        let mut push = |task: Task, priority: u64, deps: Vec<usize>, transient: bool| {
            tasks.push(task);
            nodes.push(Node {
                priority,
                deps,
                transient,
            });
            nodes.len() - 1
        };
        for r in self.study.repetitions_to_run() {
            let teacher = push(Task::HardLabels(r, Job::Teacher), FIRST, vec![], false);
            let members: Vec<usize> = (0..self.study.protocol.ensemble_size)
                .map(|m| push(Task::HardLabels(r, Job::Member(m)), NORMAL, vec![], false))
                .collect();
            push(Task::HardLabels(r, Job::Independent), NORMAL, vec![], false);
            let ensemble = push(Task::Ensemble(r), SOON, members, false);
            let mut targets: HashMap<(Source, u64, SoftTargetMode), usize> = HashMap::new();
            for arm in &self.study.arms {
                let deps = if self.store.record(&distilled_key(r, arm))?.is_some() {
                    vec![]
                } else {
                    let source = match arm.source {
                        Source::Teacher => teacher,
                        Source::Ensemble => ensemble,
                    };
                    let key = (arm.source, arm.temperature.to_bits(), arm.mode);
                    let job = *targets.entry(key).or_insert_with(|| {
                        let task = Task::Targets {
                            temperature: arm.temperature,
                            mode: arm.mode,
                        };
                        push(task, SOON, vec![source], true)
                    });
                    vec![job]
                };
                push(Task::Distilled(r, *arm), LAST, deps, false);
            }
        }
        Ok((tasks, nodes))
    }

    fn run_task(
        &self,
        task: &Task,
        deps: &[usize],
        finished: &Finished<'_, Output>,
    ) -> Result<Output, Error> {
        match task {
            Task::HardLabels(r, job) => {
                let (record, model) = self.hard_label_model(*r, *job)?;
                Ok(Output::Model(record, model))
            }
            Task::Ensemble(r) => {
                let members = deps
                    .iter()
                    .map(|&d| match finished.get(d).as_ref() {
                        Output::Model(_, model) => model.clone(),
                        _ => unreachable!("an ensemble depends on its members only"),
                    })
                    .collect();
                let ensemble = Teacher::ensemble(members)?;
                let record = self.ensemble_record(*r, &ensemble)?;
                Ok(Output::Ensemble(record, ensemble))
            }
            Task::Targets { temperature, mode } => {
                let source = finished.get(deps[0]);
                let targets = match source.as_ref() {
                    Output::Model(_, model) => Teacher::single(model.clone()).soft_targets(
                        self.train_data,
                        *temperature,
                        *mode,
                    ),
                    Output::Ensemble(_, ensemble) => {
                        ensemble.soft_targets(self.train_data, *temperature, *mode)
                    }
                    _ => unreachable!("soft targets depend on a teacher or an ensemble"),
                };
                Ok(Output::Targets(targets))
            }
            Task::Distilled(r, arm) => {
                let targets = deps.first().map(|&d| finished.get(d));
                let targets = targets.as_deref().map(|output| match output {
                    Output::Targets(t) => t,
                    _ => unreachable!("a distilled student depends on its soft targets only"),
                });
                Ok(Output::Record(self.distilled_model(*r, arm, targets)?))
            }
        }
    }

    /// The teacher, a member or the independent student: from disk, or trained now.
    fn hard_label_model(&self, r: usize, job: Job) -> Result<(Record, Mlp<f32>), Error> {
        let protocol = &self.study.protocol;
        let (key, role, member, hidden) = match job {
            Job::Teacher => (
                format!("rep{r:02}/teacher"),
                Role::Teacher,
                None,
                &protocol.teacher_hidden,
            ),
            Job::Member(m) => (
                format!("rep{r:02}/member{m:02}"),
                Role::Member,
                Some(m),
                &protocol.student_hidden,
            ),
            Job::Independent => (
                format!("rep{r:02}/independent"),
                Role::Independent,
                None,
                &protocol.student_hidden,
            ),
        };
        if let Some(record) = self.resumed(&key, role)? {
            let model = self.store.model(&key)?;
            return Ok((record, model));
        }
        let seed = model_seed(protocol.seed, r, role, member.unwrap_or(0));
        let id = ModelId {
            key,
            role,
            repetition: r,
            member,
            distill: None,
            seed,
        };
        self.train_model(id, hidden, &Objective::HardLabels)
    }

    /// One distilled student, unless its record is on disk (then `targets` is `None`).
    fn distilled_model(
        &self,
        r: usize,
        arm: &DistillSettings,
        targets: Option<&SoftTargets>,
    ) -> Result<Record, Error> {
        let key = distilled_key(r, arm);
        if let Some(record) = self.resumed(&key, Role::Distilled)? {
            return Ok(record);
        }
        let targets = targets.expect("soft targets are computed for every arm not on disk");
        let loss = Distillation::new(arm.alpha, arm.temperature, arm.mode)?;
        let seed = model_seed(self.study.protocol.seed, r, Role::Distilled, 0);
        let id = ModelId {
            key,
            role: Role::Distilled,
            repetition: r,
            member: None,
            distill: Some(*arm),
            seed,
        };
        let objective = Objective::Distill { targets, loss };
        Ok(self
            .train_model(id, &self.study.protocol.student_hidden, &objective)?
            .0)
    }

    /// The record of `key` if it is already on disk (announced as resumed).
    fn resumed(&self, key: &str, role: Role) -> Result<Option<Record>, Error> {
        let record = self.store.record(key)?;
        if let Some(record) = &record {
            (self.on_event)(StudyEvent::ModelStarted {
                key: key.to_string(),
                resumed: true,
            });
            (self.on_event)(StudyEvent::ModelDone {
                key: key.to_string(),
                test_error: record.test_error,
                cost: role_cost(role),
                resumed: true,
            });
        }
        Ok(record)
    }

    /// Trains one model, evaluates it, and saves its weights and record.
    fn train_model(
        &self,
        id: ModelId,
        hidden: &[usize],
        objective: &Objective<'_>,
    ) -> Result<(Record, Mlp<f32>), Error> {
        let started = Instant::now();
        (self.on_event)(StudyEvent::ModelStarted {
            key: id.key.clone(),
            resumed: false,
        });
        let sizes = self.sizes(hidden);
        let mut mlp = Mlp::<f32>::glorot(&sizes, id.seed)?;
        let cfg = TrainConfig {
            seed: id.seed,
            ..self.study.protocol.train.clone()
        };
        let mut on_train = |event: TrainEvent<'_>| {
            if let TrainEvent::EpochDone(e) = event {
                (self.on_event)(StudyEvent::Epoch {
                    key: id.key.clone(),
                    epoch: e.epoch,
                    val_error: e.val_error,
                });
            }
        };
        let report = train(
            &mut mlp,
            self.train_data,
            &self.split,
            &cfg,
            objective,
            &id.key,
            &mut on_train,
        )?;
        let best = report
            .epochs
            .iter()
            .find(|e| e.epoch == report.best_epoch)
            .cloned();
        let test = evaluate(&mlp, self.test_data, 0..self.test_data.len());
        let record = Record {
            key: id.key,
            role: id.role,
            repetition: id.repetition,
            member: id.member,
            distill: id.distill,
            seed: id.seed,
            arch: mlp.sizes().to_vec(),
            parameters: mlp.params().len(),
            val_loss: best.as_ref().map_or(f64::NAN, |e| e.val_loss),
            val_error: best.as_ref().map_or(f64::NAN, |e| e.val_error),
            best_epoch: report.best_epoch,
            stopped_early: report.stopped_early,
            epochs: report.epochs,
            test_loss: test.loss,
            test_error: test.error,
            train_seconds: report.train_seconds,
            wall_seconds: started.elapsed().as_secs_f64(),
        };
        self.store.save(&record, Some(&mlp))?;
        (self.on_event)(StudyEvent::ModelDone {
            key: record.key.clone(),
            test_error: record.test_error,
            cost: role_cost(record.role),
            resumed: false,
        });
        Ok((record, mlp))
    }

    /// The ensemble's record (assembled from the members, nothing trained).
    fn ensemble_record(&self, r: usize, ensemble: &Teacher) -> Result<Record, Error> {
        let key = format!("rep{r:02}/ensemble");
        if let Some(record) = self.store.record(&key)? {
            return Ok(record);
        }
        let started = Instant::now();
        let val = ensemble.evaluate(self.train_data, self.split.validation.clone());
        let test = ensemble.evaluate(self.test_data, 0..self.test_data.len());
        let record = Record {
            key,
            role: Role::Ensemble,
            repetition: r,
            member: None,
            distill: None,
            seed: model_seed(self.study.protocol.seed, r, Role::Ensemble, 0),
            arch: ensemble.members()[0].sizes().to_vec(),
            parameters: ensemble.members().iter().map(|m| m.params().len()).sum(),
            epochs: Vec::new(),
            best_epoch: 0,
            stopped_early: false,
            val_loss: val.loss,
            val_error: val.error,
            test_loss: test.loss,
            test_error: test.error,
            train_seconds: 0.0,
            wall_seconds: started.elapsed().as_secs_f64(),
        };
        self.store.save(&record, None)?;
        Ok(record)
    }
}

/// Collects progress for a display; thread-safe.
#[derive(Debug, Default)]
pub struct ProgressState {
    inner: Mutex<ProgressInner>,
}

#[derive(Debug, Default)]
struct ProgressInner {
    done_cost: f64,
    in_flight: Vec<(String, usize)>,
}

impl ProgressState {
    /// Applies an event; returns (work done so far, a short description of what is training).
    pub fn apply(&self, event: &StudyEvent) -> (f64, String) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            StudyEvent::ModelStarted {
                key,
                resumed: false,
            } => s.in_flight.push((key.clone(), 0)),
            StudyEvent::ModelStarted { .. } => {}
            StudyEvent::Epoch { key, epoch, .. } => {
                if let Some(entry) = s.in_flight.iter_mut().find(|(k, _)| k == key) {
                    entry.1 = *epoch;
                }
            }
            StudyEvent::ModelDone { key, cost, .. } => {
                s.done_cost += cost;
                s.in_flight.retain(|(k, _)| k != key);
            }
        }
        let training = s
            .in_flight
            .iter()
            .map(|(k, e)| format!("{k} (epoch {e})"))
            .collect::<Vec<_>>()
            .join(", ");
        (s.done_cost, training)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition_the_repetitions() {
        let s = Shard::parse("2/3").unwrap();
        assert_eq!((s.index, s.count), (2, 3));
        let owners: Vec<usize> = (0..7)
            .map(|r| {
                (1..=3)
                    .filter(|&i| Shard { index: i, count: 3 }.contains(r))
                    .collect::<Vec<_>>()
            })
            .map(|v| {
                assert_eq!(v.len(), 1, "every repetition in exactly one shard");
                v[0]
            })
            .collect();
        assert_eq!(owners, vec![1, 2, 3, 1, 2, 3, 1]);
        for bad in ["0/3", "4/3", "1/0", "2", "a/b", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn students_of_a_repetition_share_a_seed_and_roles_do_not() {
        let s = |r, role, m| model_seed(2024, r, role, m);
        assert_eq!(s(3, Role::Independent, 0), s(3, Role::Distilled, 0));
        assert_ne!(s(3, Role::Independent, 0), s(4, Role::Independent, 0));
        assert_ne!(s(3, Role::Teacher, 0), s(3, Role::Member, 0));
        assert_ne!(s(3, Role::Member, 0), s(3, Role::Member, 1));
    }
}
