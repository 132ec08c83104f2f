#!/usr/bin/env bash
# The last job of scripts/slurm/submit.sh: once every part is trained, the same `reproduce`
# command on the shared folder finds every model on disk, trains nothing and writes the report
# (table.md, summary.json, speed.json, figures, report.html) into OUT_DIR.
# Usage (by sbatch): merge.sh OUT_DIR [reproduce flags...]
set -euo pipefail
out=$1
shift
: "${KD_MLP:?KD_MLP must name the kd-mlp binary (submit.sh exports it)}"
exec "$KD_MLP" --threads "${SLURM_CPUS_PER_TASK:-1}" reproduce "$@" --out "$out"
