#!/usr/bin/env bash
# Submits a kd-mlp study to Slurm as three dependent jobs sharing one results folder:
#   (a) an array training the teachers, ensemble members and ensembles (one task per teacher
#       and one per ensemble with its members: 2 tasks per repetition),
#   (b) after all of (a) succeeded, an array training the students in slices finer than a
#       repetition (KD_MLP_STUDENT_TASKS tasks, default 40),
#   (c) after all of (b) succeeded, the merge: the report written into OUT_DIR.
# With --wait, blocks until (c) ends and exits non-zero if any job failed; without, prints the
# three job IDs. Run the same command again after a failure or a pre-emption: tasks whose
# models are on disk exit at once, the others resume. Or, when only some student tasks were
# cut (the teachers done), `--students 3,17` submits just those student tasks and the merge.
# docs/SCALING.md explains the design.
#
# Usage: scripts/slurm/submit.sh [--wait] [--students LIST] OUT_DIR [reproduce flags...]
# Environment: KD_MLP (the binary; default this checkout's release build, wherever cargo puts it),
#   KD_MLP_CPUS (CPUs per task, default 2), KD_MLP_STUDENT_TASKS (default 40),
#   and sbatch's own SBATCH_* variables (partition, time limit, account...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage() {
    echo "usage: $0 [--wait] [--students LIST] OUT_DIR [reproduce flags...]" >&2
    exit 2
}
wait_for_end=false
if [[ ${1:-} == --wait ]]; then
    wait_for_end=true
    shift
fi
only_students=""
if [[ ${1:-} == --students ]]; then
    only_students=${2:-}
    [[ $only_students =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
        { echo "$0: --students takes task numbers like 3,17, got '$only_students'" >&2; exit 2; }
    shift 2
fi
[[ $# -ge 1 && ${1:-} != -* ]] || usage
out=$(realpath -m "$1")
shift

# The teacher array has two tasks per repetition: read --reps (or --quick) from the flags.
reps=10
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        --out | --out=* | --only | --only=* | --shard | --shard=*)
            echo "$0: do not pass ${args[i]}: submit.sh sets it" >&2
            exit 2
            ;;
        --quick) reps=2 ;;
        --reps=*) reps=${args[i]#--reps=} ;;
        --reps) reps=${args[i + 1]:-} ;;
    esac
done
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "$0: --reps must be a positive integer, got '$reps'" >&2; exit 2; }
# --quick wins over --reps in reproduce, wherever it stands.
if printf '%s\n' "${args[@]}" | grep -qx -- --quick; then reps=2; fi

KD_MLP=$(realpath "${KD_MLP:-$("$repo/scripts/release-binary.sh" --no-build)}")
[[ -x $KD_MLP ]] || { echo "$0: $KD_MLP is not an executable; build with cargo build --release" >&2; exit 2; }
export KD_MLP
cpus=${KD_MLP_CPUS:-2}
students=${KD_MLP_STUDENT_TASKS:-40}
teachers=$((2 * reps))
logs="$out/slurm-logs"
mkdir -p "$logs"

common=(--parsable --cpus-per-task="$cpus" --export=ALL --chdir="$PWD")
if [[ -n $only_students ]]; then
    # Only the named student tasks (of the same KD_MLP_STUDENT_TASKS slices): the teachers are
    # on disk, and a student task that needs one that is not fails naming it.
    for t in ${only_students//,/ }; do
        ((t <= students)) || { echo "$0: task $t of --students is above KD_MLP_STUDENT_TASKS=$students" >&2; exit 2; }
    done
    a=""
    b=$(sbatch "${common[@]}" --job-name=kd-students --array="$only_students" \
        --output="$logs/students-%A_%a.out" \
        "$here/task.sh" students "$students" "$out" "$@")
else
    a=$(sbatch "${common[@]}" --job-name=kd-teachers --array="1-$teachers" \
        --output="$logs/teachers-%A_%a.out" \
        "$here/task.sh" teachers "$teachers" "$out" "$@")
    b=$(sbatch "${common[@]}" --job-name=kd-students --array="1-$students" \
        --dependency="afterok:$a" --kill-on-invalid-dep=yes \
        --output="$logs/students-%A_%a.out" \
        "$here/task.sh" students "$students" "$out" "$@")
fi
merge=(sbatch "${common[@]}" --job-name=kd-report --dependency="afterok:$b" \
    --kill-on-invalid-dep=yes --output="$logs/report-%j.out" "$here/merge.sh" "$out" "$@")
c=$("${merge[@]}")
if [[ -n $a ]]; then
    echo "teachers $a ($teachers tasks), students $b ($students tasks), report $c"
else
    echo "students $b (tasks $only_students of $students), report $c"
fi
jobs=$(IFS=,; echo "${a:+$a,}$b,$c")
if ! $wait_for_end; then
    echo "logs in $logs; the report will be in $out"
    exit 0
fi
# Wait until no job of the three is queued or running. The report job only runs once every task
# of both arrays succeeded and is cancelled as soon as one of them failed; without accounting,
# `scontrol` (which remembers ended jobs for MinJobAge, 300 s by default) tells how each ended.
while [[ -n $(squeue -h -j "$jobs" 2>/dev/null) ]]; do
    sleep 2
done
states() {
    scontrol -o show job "$1" 2>/dev/null |
        awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(JobId|ArrayTaskId|JobState)=/) printf "%s ", $i; print "" }'
}
all=$(for id in ${jobs//,/ }; do states "$id"; done)
failed=$(grep -v 'JobState=COMPLETED' <<<"$all" || true)
if [[ -n $failed ]] || ! grep -q "JobId=$c .*JobState=COMPLETED" <<<"$all"; then
    echo "$0: the study did not complete; these jobs did not: ${failed:-the report job $c}" >&2
    echo "see $logs; run the same command again to resume" >&2
    exit 1
fi
echo "report written into $out"
