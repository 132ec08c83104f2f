#!/usr/bin/env bash
# The NEON kernel's speed per Raspberry Pi core, predicted by llvm-mca from the built binary.
#
#   scripts/arm-predict.sh [path/to/aarch64/kd-mlp]
#
# Takes the register tile's inner loop out of an aarch64 build of kd-mlp (llvm-objdump of the
# NEON level's product function, found by its symbol; the loop is the innermost backward branch
# holding the most FMLA instructions), feeds it to llvm-mca for each core's scheduling model,
# and prints cycles per iteration, FLOP per cycle and the share of that model's FMA peak (the
# same llvm-mca's rate for a block of independent FMLA.4S: what the core's FP pipes can issue).
# Exits non-zero if the loop falls short of 80 % of the peak on the A72 and A76, or 60 % on the
# A53 (the goals of issue 26).
#
# Needs llvm-objdump and llvm-mca (Debian: LLVM 22 under /usr/lib/llvm-22/bin, installed with
# rustc-web) and python3. Build the binary first, e.g. with .ci/arm-check or
#   RUSTC=/usr/bin/rustc CARGO_TARGET_DIR=target/debian \
#   CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
#   /usr/bin/cargo build --release --target aarch64-unknown-linux-gnu
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debian/aarch64-unknown-linux-gnu/release/kd-mlp}
llvm=${LLVM_BIN:-/usr/lib/llvm-22/bin}
[ -x "$llvm/llvm-mca" ] || { echo "no llvm-mca in $llvm (set LLVM_BIN)" >&2; exit 1; }
[ -f "$binary" ] || { echo "no aarch64 binary at $binary" >&2; exit 1; }

# The level's product: `gemm_neon` (the intrinsics register), else the portable arrays'
# `gemm_baseline`; the whole kernel is inlined into it.
symbol=$("$llvm/llvm-nm" "$binary" | awk '{print $NF}' | grep -E 'kernels4simd[0-9]+gemm_neon17h' | head -1 || true)
[ -n "$symbol" ] || symbol=$("$llvm/llvm-nm" "$binary" | awk '{print $NF}' | grep -E 'kernels4simd[0-9]+gemm_baseline17h' | head -1 || true)
[ -n "$symbol" ] || { echo "no gemm_neon or gemm_baseline symbol in $binary" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$llvm/llvm-objdump" -d --no-show-raw-insn --disassemble-symbols="$symbol" "$binary" > "$work/dis.txt"

# Each core: its name, the -mcpu whose scheduling model stands for it, and why.
cores="cortex-a53 cortex-a53 own-model
cortex-a55 cortex-a55 own-model
cortex-a72 cortex-a72 llvm-maps-it-to-the-cortex-a57-model
cortex-a76 neoverse-n1 llvm-maps-cortex-a76-to-the-cortex-a57-model;-the-neoverse-n1-model-(an-a76-derivative)-is-used"

python3 - "$work" "$llvm/llvm-mca" "$symbol" "$cores" <<'EOF'
import re, subprocess, sys
work, mca, symbol, cores = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]

# Instructions of the disassembly: (address, text).
insns = []
for line in open(f"{work}/dis.txt"):
    m = re.match(r"\s*([0-9a-f]+):\s+(\S.*)$", line)
    if m:
        insns.append((int(m.group(1), 16), m.group(2).split("//")[0].strip()))
index = {addr: i for i, (addr, _) in enumerate(insns)}

# Loops: a branch back to an earlier address; innermost = no other backward branch inside.
def target(text):
    if not re.match(r"(b\.\w+|b|cbn?z|tbn?z)\s", text):
        return None
    m = re.search(r"(?:0x)?([0-9a-f]+)\s*<", text)
    return int(m.group(1), 16) if m else None
loops = []
for i, (addr, text) in enumerate(insns):
    t = target(text)
    if t is not None and t <= addr and t in index:
        loops.append((index[t], i))
# The register tile's loop is straight-line code: no branch but the one closing it (the masked
# variants' loops, with a branch out in the middle, are the edges' and not the hot path).
branch = lambda t: re.match(r"(b\.\w+|b|bl|br|blr|ret|cbn?z|tbn?z)\b", t)
inner = [(s, e) for (s, e) in loops
         if not any(branch(t) for _, t in insns[s:e])]
fmla = lambda s, e: sum(1 for _, t in insns[s:e + 1] if re.match(r"fmla\s+v\d+\.4s", t))
best = max(fmla(s, e) for s, e in inner)
chosen = []
for s, e in inner:
    if fmla(s, e) != best:
        continue
    body = [t for _, t in insns[s:e]] + [re.sub(r"(0x)?[0-9a-f]+\s*<.*>$", ".Ltop", insns[e][1])]
    if body not in [b for _, b in chosen]:
        chosen.append((insns[s][0], body))

def run_mca(cpu, lines, name):
    path = f"{work}/{name}.s"
    open(path, "w").write(".Ltop:\n" + "\n".join(lines) + "\n")
    run = subprocess.run([mca, "-mtriple=aarch64", f"-mcpu={cpu}", "-iterations=1000", path],
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"llvm-mca -mcpu={cpu} failed on {path}:\n{run.stderr}")
    out = run.stdout
    cycles = int(re.search(r"Total Cycles:\s+(\d+)", out).group(1))
    iters = int(re.search(r"Iterations:\s+(\d+)", out).group(1))
    units = re.findall(r"\[[\d.]+\]\s+-\s+(\w+)", out)
    model = re.sub(r"Unit.*", "", units[0]) if units else "?"
    return cycles / iters, model

# The model's FMA peak: 24 independent FMLA.4S, nothing else.
peak_block = [f"fmla v{i}.4s, v24.4s, v{25 + i % 6}.4s" for i in range(24)]
print(f"symbol: {symbol}")
print(f"{len(inner)} straight-line loops; {len(chosen)} distinct with the most FMLA.4S ({best}, "
      f"{8 * best} FLOP per iteration):")
for addr, body in chosen:
    print(f"  loop at {addr:#x}: {len(body)} instructions")
print()
print("| core | -mcpu (llvm-mca model) | model's FMA peak | loop at | cycles/iteration | FLOP/cycle | share of peak |")
print("|---|---|---|---|---|---|---|")
short = []
for line in cores.splitlines():
    core, cpu, why = line.split()
    peak_cycles, model = run_mca(cpu, peak_block, f"peak-{cpu}")
    peak = 24 * 8 / peak_cycles
    for addr, body in chosen:
        cycles, _ = run_mca(cpu, body, f"loop-{cpu}-{addr:x}")
        rate = 8 * best / cycles
        share = rate / peak
        print(f"| {core} | {cpu} ({model}) | {peak:.1f} FLOP/cycle | {addr:#x} | {cycles:.2f} | "
              f"{rate:.2f} | {100 * share:.0f} % |")
        goal = 0.6 if core == "cortex-a53" else 0.8 if core in ("cortex-a72", "cortex-a76") else 0
        if share < goal:
            short.append(f"{core} at {100 * share:.0f} % (goal {100 * goal:.0f} %)")
print()
for line in cores.splitlines():
    core, cpu, why = line.split()
    print(f"{core}: -mcpu={cpu}: {why.replace('-', ' ')}")
if short:
    print("below the goal: " + "; ".join(short))
    sys.exit(1)
EOF
