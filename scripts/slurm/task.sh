#!/usr/bin/env bash
# One task of a kd-mlp job array (submitted by scripts/slurm/submit.sh): trains slice
# $SLURM_ARRAY_TASK_ID of COUNT of the study's GROUP jobs into the shared folder OUT_DIR.
# A task whose models are all on disk exits at once, so resubmitting is always safe.
# Usage (by sbatch): task.sh GROUP COUNT OUT_DIR [reproduce flags...]
set -euo pipefail
group=$1
count=$2
out=$3
shift 3
: "${KD_MLP:?KD_MLP must name the kd-mlp binary (submit.sh exports it)}"
exec "$KD_MLP" --threads "${SLURM_CPUS_PER_TASK:-1}" reproduce "$@" \
    --only "$group" --shard "${SLURM_ARRAY_TASK_ID:?not run as an array task}/$count" --out "$out"
