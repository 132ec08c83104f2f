#!/usr/bin/env bash
# Prints the path of this checkout's release `kd-mlp`, wherever cargo puts it (CARGO_TARGET_DIR,
# a `build.target-dir` in a cargo config, or the default `target/`), after building it; with
# --no-build, only prints the path. Scripts call this instead of assuming `target/release`.
#
# Usage: scripts/release-binary.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} != --no-build ]]; then
    cargo build --release --quiet
fi
target=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')
echo "$target/release/kd-mlp"
