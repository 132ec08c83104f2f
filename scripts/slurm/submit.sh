#!/usr/bin/env bash
# Submits a kd-mlp study to Slurm as three dependent jobs sharing one results folder:
#   (a) an array training the teachers, ensemble members and ensembles (one task per teacher
#       and one per ensemble with its members: 2 tasks per repetition),
#   (b) after all of (a) succeeded, an array training the students in slices finer than a
#       repetition (KD_MLP_STUDENT_TASKS tasks, default 40),
#   (c) after all of (b) succeeded, the merge: the report written into OUT_DIR.
# With --wait, blocks until (c) ends and exits non-zero if any job failed; without, prints the
# three job IDs. Run the same command again after a failure or a pre-emption: tasks whose
# models are on disk exit at once, the others resume. docs/SCALING.md explains the design.
#
# Usage: scripts/slurm/submit.sh [--wait] OUT_DIR [reproduce flags...]
# Environment: KD_MLP (the binary; default target/release/kd-mlp of this checkout),
#   KD_MLP_CPUS (CPUs per task, default 2), KD_MLP_STUDENT_TASKS (default 40),
#   and sbatch's own SBATCH_* variables (partition, time limit, account...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage() {
    echo "usage: $0 [--wait] OUT_DIR [reproduce flags...]" >&2
    exit 2
}
wait_for_end=false
if [[ ${1:-} == --wait ]]; then
    wait_for_end=true
    shift
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

KD_MLP=$(realpath "${KD_MLP:-$repo/target/release/kd-mlp}")
[[ -x $KD_MLP ]] || { echo "$0: $KD_MLP is not an executable; build with cargo build --release" >&2; exit 2; }
export KD_MLP
cpus=${KD_MLP_CPUS:-2}
students=${KD_MLP_STUDENT_TASKS:-40}
teachers=$((2 * reps))
logs="$out/slurm-logs"
mkdir -p "$logs"

common=(--parsable --cpus-per-task="$cpus" --export=ALL --chdir="$PWD")
a=$(sbatch "${common[@]}" --job-name=kd-teachers --array="1-$teachers" \
    --output="$logs/teachers-%A_%a.out" \
    "$here/task.sh" teachers "$teachers" "$out" "$@")
b=$(sbatch "${common[@]}" --job-name=kd-students --array="1-$students" \
    --dependency="afterok:$a" --kill-on-invalid-dep=yes \
    --output="$logs/students-%A_%a.out" \
    "$here/task.sh" students "$students" "$out" "$@")
merge=(sbatch "${common[@]}" --job-name=kd-report --dependency="afterok:$b" \
    --kill-on-invalid-dep=yes --output="$logs/report-%j.out" "$here/merge.sh" "$out" "$@")
c=$("${merge[@]}")
echo "teachers $a ($teachers tasks), students $b ($students tasks), report $c"
if ! $wait_for_end; then
    echo "logs in $logs; the report will be in $out"
    exit 0
fi
# Wait until no job of the three is queued or running. The report job only runs once every task
# of both arrays succeeded and is cancelled as soon as one of them failed; without accounting,
# `scontrol` (which remembers ended jobs for MinJobAge, 300 s by default) tells how each ended.
while [[ -n $(squeue -h -j "$a,$b,$c" 2>/dev/null) ]]; do
    sleep 2
done
states() {
    scontrol -o show job "$1" 2>/dev/null |
        awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(JobId|ArrayTaskId|JobState)=/) printf "%s ", $i; print "" }'
}
all=$(for id in "$a" "$b" "$c"; do states "$id"; done)
failed=$(grep -v 'JobState=COMPLETED' <<<"$all" || true)
if [[ -n $failed ]] || ! grep -q "JobId=$c .*JobState=COMPLETED" <<<"$all"; then
    echo "$0: the study did not complete; these jobs did not: ${failed:-the report job $c}" >&2
    echo "see $logs; run the same command again to resume" >&2
    exit 1
fi
echo "report written into $out"
