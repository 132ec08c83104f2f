//! Choosing a part of the study's job graph to run: the jobs of some kinds (`--only teachers`,
//! `--only students`), and of those one slice of `N` (`--shard I/N`), so that many machines can
//! share one study folder, each training its own models with the seeds of an unsharded run.
//!
//! Why slices are made of *units* and not of single jobs: a selected job may need another
//! selected job's output while it runs (an ensemble needs its members, a distilled student its
//! teacher when both kinds are chosen). Two jobs joined that way — directly or through helper
//! jobs that make no model, such as soft targets — go into one unit, so no model is ever trained
//! by two slices. Everything else a unit needs comes from outside it: helper jobs are recomputed
//! by every slice that needs them (they are deterministic and cheap next to training), and models
//! of kinds not chosen must already be on disk (a *required* job: read, never trained).
//!
//! The rule is generic over job kinds: a new kind of job fits without change here.

use super::protocol::Shard;
use crate::error::Error;
use crate::study::record::Role;

/// Which jobs of the graph a run trains.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Part {
    /// The kinds of model to train; all if `None`.
    pub roles: Option<Vec<Role>>,
    /// One slice of the selected jobs' units (contiguous in job order); all units if `None`.
    pub slice: Option<Shard>,
}

/// The groups of kinds that `--only` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JobGroup {
    /// The teacher, the ensemble members and the ensemble of each repetition.
    Teachers,
    /// The independent and the distilled students (they need the teachers on disk).
    Students,
}

impl JobGroup {
    /// The kinds of model in the group.
    pub fn roles(self) -> Vec<Role> {
        match self {
            JobGroup::Teachers => vec![Role::Teacher, Role::Member, Role::Ensemble],
            JobGroup::Students => vec![Role::Independent, Role::Distilled, Role::Smoothed],
        }
    }
}

/// How a job of the full graph takes part in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inclusion {
    /// A model this run trains (or finds on disk).
    Selected,
    /// A model another run trains, which this one reads from disk: an error if it is missing.
    Required,
    /// A job that makes no model (soft targets), needed by one of the above.
    Helper,
}

/// One job of the full graph as the selection sees it: its kind (`None` for a helper) and the
/// jobs it depends on (all earlier in the list).
pub struct JobShape<'a> {
    pub role: Option<Role>,
    pub deps: &'a [usize],
}

/// The jobs of `jobs` that `part` runs, in job order, each with how it takes part; and the
/// number of units the selection was sliced over (more slices than units leave some idle).
/// Errors if a job depends on a later one.
pub fn select(
    jobs: &[JobShape<'_>],
    part: &Part,
) -> Result<(Vec<(usize, Inclusion)>, usize), Error> {
    let n = jobs.len();
    let selected: Vec<bool> = jobs
        .iter()
        .map(|j| {
            j.role
                .is_some_and(|r| part.roles.as_ref().is_none_or(|roles| roles.contains(&r)))
        })
        .collect();
    // Join every selected job to the selected jobs it needs, directly or through helpers.
    let mut unit: Vec<usize> = (0..n).collect();
    for i in (0..n).filter(|&i| selected[i]) {
        let mut stack = jobs[i].deps.to_vec();
        while let Some(d) = stack.pop() {
            if selected[d] {
                join(&mut unit, i, d);
            } else if jobs[d].role.is_none() {
                stack.extend_from_slice(jobs[d].deps);
            }
        }
    }
    // Units in the order of their first job; a slice is a contiguous block of them, so the
    // students of one slice share their teachers and soft targets.
    let mut roots: Vec<usize> = Vec::new();
    for i in (0..n).filter(|&i| selected[i]) {
        let root = find(&mut unit, i);
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    let units = roots.len();
    let chosen: &[usize] = match part.slice {
        None => &roots,
        Some(s) => &roots[(s.index - 1) * units / s.count..s.index * units / s.count],
    };
    let mut inclusion: Vec<Option<Inclusion>> = vec![None; n];
    for i in (0..n).filter(|&i| selected[i]) {
        if chosen.contains(&find(&mut unit, i)) {
            inclusion[i] = Some(Inclusion::Selected);
        }
    }
    // Whatever an included job needs comes along: walk backwards, so a job is marked before its
    // dependencies are visited.
    for i in (0..n).rev() {
        if inclusion[i].is_none() {
            continue;
        }
        for &d in jobs[i].deps {
            if d >= i {
                return Err(Error::Config(format!(
                    "job {i} depends on job {d}, which does not come before it"
                )));
            }
            if inclusion[d].is_none() {
                inclusion[d] = Some(if jobs[d].role.is_none() {
                    Inclusion::Helper
                } else {
                    Inclusion::Required
                });
            }
        }
    }
    let kept = inclusion
        .iter()
        .enumerate()
        .filter_map(|(i, inc)| inc.map(|inc| (i, inc)))
        .collect();
    Ok((kept, units))
}

fn find(unit: &mut [usize], i: usize) -> usize {
    let mut root = i;
    while unit[root] != root {
        root = unit[root];
    }
    let mut j = i;
    while unit[j] != root {
        let next = unit[j];
        unit[j] = root;
        j = next;
    }
    root
}

/// Joins two units; the smaller index becomes the root, so a unit's root is its first job.
fn join(unit: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(unit, a), find(unit, b));
    let (lo, hi) = (ra.min(rb), ra.max(rb));
    unit[hi] = lo;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One repetition shaped like the study's: 0 teacher, 1-2 members, 3 independent,
    /// 4 ensemble(1,2), 5 targets(0), 6 distilled(5), 7 distilled(5), 8 targets(4), 9 distilled(8).
    fn repetition() -> Vec<(Option<Role>, Vec<usize>)> {
        use Role::*;
        vec![
            (Some(Teacher), vec![]),
            (Some(Member), vec![]),
            (Some(Member), vec![]),
            (Some(Independent), vec![]),
            (Some(Ensemble), vec![1, 2]),
            (None, vec![0]),
            (Some(Distilled), vec![5]),
            (Some(Distilled), vec![5]),
            (None, vec![4]),
            (Some(Distilled), vec![8]),
        ]
    }

    fn run(graph: &[(Option<Role>, Vec<usize>)], part: &Part) -> (Vec<(usize, Inclusion)>, usize) {
        let jobs: Vec<JobShape<'_>> = graph
            .iter()
            .map(|(role, deps)| JobShape { role: *role, deps })
            .collect();
        select(&jobs, part).unwrap()
    }

    fn part(group: JobGroup, slice: Option<(usize, usize)>) -> Part {
        Part {
            roles: Some(group.roles()),
            slice: slice.map(|(index, count)| Shard { index, count }),
        }
    }

    #[test]
    fn the_whole_graph_is_one_unit_per_connected_repetition() {
        let (kept, units) = run(&repetition(), &Part::default());
        assert_eq!(kept.len(), 10);
        assert!(kept.iter().all(|&(i, inc)| inc
            == if [5, 8].contains(&i) {
                Inclusion::Helper
            } else {
                Inclusion::Selected
            }));
        // the teacher with its students, the members with the ensemble and its student, and the
        // independent student
        assert_eq!(units, 3);
    }

    #[test]
    fn teachers_split_into_the_teacher_and_the_ensemble_with_its_members() {
        let graph = repetition();
        let (all, units) = run(&graph, &part(JobGroup::Teachers, None));
        assert_eq!(units, 2);
        let selected: Vec<usize> = all.iter().map(|&(i, _)| i).collect();
        assert_eq!(selected, vec![0, 1, 2, 4]);
        let (first, _) = run(&graph, &part(JobGroup::Teachers, Some((1, 2))));
        assert_eq!(first, vec![(0, Inclusion::Selected)]);
        let (second, _) = run(&graph, &part(JobGroup::Teachers, Some((2, 2))));
        assert_eq!(
            second,
            vec![
                (1, Inclusion::Selected),
                (2, Inclusion::Selected),
                (4, Inclusion::Selected)
            ]
        );
    }

    #[test]
    fn every_student_is_a_unit_and_brings_what_it_needs_as_required() {
        let graph = repetition();
        let (_, units) = run(&graph, &part(JobGroup::Students, None));
        assert_eq!(units, 4, "the independent and three distilled students");
        let slices: Vec<Vec<(usize, Inclusion)>> = (1..=4)
            .map(|i| run(&graph, &part(JobGroup::Students, Some((i, 4)))).0)
            .collect();
        use Inclusion::*;
        assert_eq!(slices[0], vec![(3, Selected)]);
        assert_eq!(slices[1], vec![(0, Required), (5, Helper), (6, Selected)]);
        assert_eq!(slices[2], vec![(0, Required), (5, Helper), (7, Selected)]);
        assert_eq!(
            slices[3],
            vec![
                (1, Required),
                (2, Required),
                (4, Required),
                (8, Helper),
                (9, Selected)
            ]
        );
    }

    #[test]
    fn slices_partition_the_selected_jobs_for_any_count() {
        let mut graph = Vec::new();
        for _ in 0..3 {
            let offset = graph.len();
            graph.extend(repetition().into_iter().map(|(role, deps)| {
                (
                    role,
                    deps.into_iter().map(|d| d + offset).collect::<Vec<_>>(),
                )
            }));
        }
        for group in [JobGroup::Teachers, JobGroup::Students] {
            let (all, units) = run(&graph, &part(group, None));
            for count in 1..=units + 2 {
                let mut owners = vec![0usize; graph.len()];
                for index in 1..=count {
                    for (i, inc) in run(&graph, &part(group, Some((index, count)))).0 {
                        if inc == Inclusion::Selected {
                            owners[i] += 1;
                        }
                    }
                }
                for &(i, _) in all.iter().filter(|&&(_, inc)| inc == Inclusion::Selected) {
                    assert_eq!(
                        owners[i], 1,
                        "job {i}, {count} slices: trained exactly once"
                    );
                }
            }
        }
    }
}
