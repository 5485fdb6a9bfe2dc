#!/usr/bin/env bash
# Times the CPU model's whole training step and one convolution layer with
# each convolution algorithm that ConvAuto can be set to through
# DDPM_CONV_ALGO (nets.ConvAlgoEnv; nets/conv.go documents each), in
# A B A B order, and prints one table for each:
#
#   - BenchmarkTrainStepImagesPerSec/s2d-unet/p2-base32-mults1,2: the
#     network of the mnist-cpu presets (without their label embedding),
#     batch 32, notebook 05's recipe; ms per step, images/s;
#   - BenchmarkConv2DTrain: one 3×3 layer's forward pass and both
#     gradients, B = 128, at three sizes; ms per call.
#
# Each row is the mean over the rounds (each round's value in brackets);
# "÷ hybrid" is the row's time over hybrid's (ConvAuto's default on XLA
# CPU): below 1 is faster.
#
#   bash scripts/conv-algo-bench.sh                  # about 6 minutes on 2 cores
#   ALGOS="hybrid xfwd" ROUNDS=3 STEPS=200 bash scripts/conv-algo-bench.sh
#
# Run it alone on the machine: XLA CPU's thread pools beside another job
# halve a step's speed (README, "MNIST on a CPU"). It needs the XLA CPU
# plugin (ddpm.Backend must pick XLA; the benchmarks fail otherwise) and
# writes nothing but a temporary folder it removes.
set -euo pipefail
cd "$(dirname "$0")/.."
known="auto im2col native hybrid kshift xfwd xfwd-kshift"
read -r -a algos <<<"${ALGOS:-hybrid kshift xfwd xfwd-kshift}"
rounds=${ROUNDS:-2}
steps=${STEPS:-100}
iters=${CONV_ITERS:-10}
[ ${#algos[@]} -ge 1 ] || { echo "conv-algo-bench: ALGOS is empty: name one or more of $known" >&2; exit 2; }
for a in "${algos[@]}"; do
	[[ " $known " == *" $a "* ]] || { echo "conv-algo-bench: ALGOS names '$a', which is not a convolution algorithm: use $known" >&2; exit 2; }
done
for v in "ROUNDS=$rounds" "STEPS=$steps" "CONV_ITERS=$iters"; do
	[[ ${v#*=} =~ ^[1-9][0-9]*$ ]] || { echo "conv-algo-bench: $v is not a whole number ≥ 1" >&2; exit 2; }
done
export GOEXPERIMENT=simd GOMLX_NO_AUTO_INSTALL=1 GOWORK=off
unset DDPM_CONV_ALGO
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/nets.test" ./nets
eval "$(sh scripts/allocator-env.sh)"
echo "conv-algo-bench: $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs; algorithms ${algos[*]}, $rounds rounds, $steps steps, $iters layer calls" >&2
bench() { # name algo round pattern benchtime
	local out="$tmp/$1-$2-$3.txt"
	echo "  round $3, $2: $1" >&2
	if ! (cd nets && DDPM_CONV_ALGO=$2 "$tmp/nets.test" -test.run '^$' -test.bench "$4" -test.benchtime "$5" >"$out" 2>&1) || ! grep -q '^Benchmark.*ns/op' "$out"; then
		echo "conv-algo-bench: the $1 benchmark with DDPM_CONV_ALGO=$2 failed:" >&2
		tail -5 "$out" >&2
		exit 1
	fi
}
for r in $(seq "$rounds"); do
	for a in "${algos[@]}"; do
		bench step "$a" "$r" 'TrainStepImagesPerSec/s2d-unet/p2-base32-mults1,2$' "${steps}x"
		bench conv "$a" "$r" 'Conv2DTrain' "${iters}x"
	done
done
python3 - "$tmp" "$rounds" "${algos[@]}" <<'PY'
import re, sys
tmp, rounds, algos = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def parse(kind, algo, r):
    res = {}
    for line in open(f"{tmp}/{kind}-{algo}-{r}.txt"):
        m = re.match(r"Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)", line)
        if m:
            name = m.group(1).split("/")
            key = name[1] if kind == "conv" else "step"
            res[key] = float(m.group(3)) / 1e6
    return res
data = {k: {a: [parse(k, a, r) for r in range(1, rounds + 1)] for a in algos} for k in ("step", "conv")}
def mean(xs): return sum(xs) / len(xs)
def cell(kind, a, key):
    v = [d[key] for d in data[kind][a] if key in d]
    if len(v) != rounds:
        return None, "—"
    return mean(v), f"{mean(v):.1f} [{', '.join(f'{x:.1f}' for x in v)}]"
def ratio(kind, a, key, m):
    h, _ = cell(kind, "hybrid", key) if "hybrid" in algos else (None, "")
    return f"{m / h:.3f}" if h and m else "—"
print("Whole training step, s2d-unet p2 base 32 mults 1,2, batch 32 (BenchmarkTrainStepImagesPerSec)")
print(f"{'algorithm':<12} {'ms/step [rounds]':<28} {'images/s':>9} {'÷ hybrid':>9}")
for a in algos:
    m, s = cell("step", a, "step")
    print(f"{a:<12} {s:<28} {32e3 / m if m else float('nan'):>9.1f} {ratio('step', a, 'step', m):>9}")
keys = []
for a in algos:
    for d in data["conv"][a]:
        keys += [k for k in d if k not in keys]
print()
print("One 3×3 layer, forward + both gradients, B = 128, ms per call [rounds] (÷ hybrid) (BenchmarkConv2DTrain)")
print(f"{'algorithm':<12} " + " ".join(f"{k:<32}" for k in keys))
for a in algos:
    cells = []
    for k in keys:
        m, s = cell("conv", a, k)
        cells.append(f"{s} ({ratio('conv', a, k, m)})")
    print(f"{a:<12} " + " ".join(f"{c:<32}" for c in cells))
PY
