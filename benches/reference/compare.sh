#!/usr/bin/env bash
# One training epoch (54 000 samples, batch 32) of the teacher and the student in kd-mlp and in
# PyTorch at its best CPU settings (torch_epoch.py), run back to back, with the ratio.
#
#   benches/reference/compare.sh [--threads N] [--repeat R] [--python PATH] [--data DIR]
#
# Each figure is the fastest of R epochs (default 3): kd-mlp's from R runs of one epoch, PyTorch's
# from R epochs in one process, so a moment of noise on a shared machine does not decide it.
# PYTHON defaults to `python3`; it must import torch and numpy (a venv outside the repository:
# `python3 -m venv ~/torch && ~/torch/bin/pip install torch numpy`). Not run by CI. Quote the
# table only from a quiet machine, with the FMA peak of the same sitting (`kd-mlp bench`).
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=1
repeat=3
python=python3
data=data/mnist
while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) threads="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        --python) python="$2"; shift 2 ;;
        --data) data="$2"; shift 2 ;;
        *) echo "compare.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
    esac
done
if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
    echo "compare.sh: '$python' cannot import torch and numpy (give --python PATH)" >&2
    exit 2
fi
kd_mlp="$(scripts/release-binary.sh)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

kd_mlp_epoch() { # ARCH -> seconds of the fastest of $repeat one-epoch runs, validation excluded
    for _ in $(seq "$repeat"); do
        "$kd_mlp" --threads "$threads" train --data "$data" --arch "$1" \
            --epochs-max 1 --json --out "$work/model.safetensors" |
            "$python" -c 'import json, sys; print(json.load(sys.stdin)["epochs"][0]["seconds"])'
    done | sort -g | head -1
}
teacher_ours="$(kd_mlp_epoch 500,400,300,200,100)"
student_ours="$(kd_mlp_epoch 100)"
"$python" benches/reference/torch_epoch.py --data "$data" --threads "$threads" \
    --repeat "$repeat" > "$work/torch.jsonl"

"$python" - "$work/torch.jsonl" "$teacher_ours" "$student_ours" "$threads" "$repeat" <<'PY'
import json, sys
theirs = {r["network"]: r for r in map(json.loads, open(sys.argv[1]))}
ours = {"teacher": float(sys.argv[2]), "student": float(sys.argv[3])}
framework = next(iter(theirs.values()))["framework"]
print(f"| network | threads | kd-mlp epoch (s), fastest of {sys.argv[5]} | {framework}, fused Adam, FTZ (s) | PyTorch ÷ kd-mlp |")
print("|---|---|---|---|---|")
for name in ("teacher", "student"):
    t = theirs[name]["epoch_seconds"]
    print(f"| {name} | {sys.argv[4]} | {ours[name]:.3f} | {t:.3f} | {t / ours[name]:.2f}x |")
PY
