#!/usr/bin/env bash
# The guidance search of docs/cpu.md's tables (MNIST on a CPU) on one weight
# file (evaluation only, no training): for each guidance weight w given,
# `ddpm eval` by the table's protocol (2,000 samples with the balanced labels
# 0…9, DDIM-50 η = 1, seed 7, MNIST-FD against the test digits with its
# floor), plus any eval flags in EVAL_FLAGS (for example
# "-guidance-interval 0.3,5", "-guidance-interval all" to guide at every step
# where the weight file names an interval, or "-eta 0 -steps 25"); one TSV line per w is
# appended to $OUT/guidance.tsv and printed.
#
#   bash scripts/guidance-grid.sh WEIGHTS W [W...]
#   EVAL_FLAGS="-guidance-interval 0.3,5" bash scripts/guidance-grid.sh runs/mnist-cpu/cond-10m/weights.ddpm 0.3 0.5
#
# Sampling quality does not depend on the machine's load, so this may run
# beside other work (only its timings would suffer).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 WEIGHTS W [W...]" >&2; exit 2; }
weights=$1
shift
[ -f "$weights" ] || { echo "guidance-grid: $weights is not a file" >&2; exit 2; }
for w in "$@"; do
	[[ $w =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "guidance-grid: w = '$w' is not a number ≥ 0" >&2; exit 2; }
done
out=${OUT:-runs/mnist-cpu}
mkdir -p "$out"
export GOEXPERIMENT=simd GOMLX_NO_AUTO_INSTALL=1
bin="$out/.ddpm-eval"
go build -o "$bin" ./cmd/ddpm
eval "$(sh scripts/allocator-env.sh)"
read -r -a extra <<<"${EVAL_FLAGS:-}"
for w in "$@"; do
	json=$(mktemp)
	"$bin" eval -weights "$weights" -n 2000 -sampler ddim -steps 50 -eta 1 -seed 7 -nll-examples 0 -json -guidance "$w" "${extra[@]}" >"$json" 2>"$json.log" || { tail -3 "$json.log" >&2; exit 1; }
	python3 - "$json" "$weights" "$w" "${EVAL_FLAGS:-}" >>"$out/guidance.tsv" <<'PY'
import json, sys
path, weights, w, flags = sys.argv[1:]
e = json.load(open(path))
fd = next(m for m in e["metrics"] if m["name"] == "MNIST-FD")
x = e["extra"]
print("\t".join(map(str, [weights, w, flags or "-", round(fd["value"], 3), round(fd["floor"], 3), round(fd["ratio"], 2),
                         round(100 * x.get("label_accuracy", float("nan")), 1), round(100 * x["confident_share"]["samples"], 1)])))
PY
	rm -f "$json" "$json.log"
	tail -1 "$out/guidance.tsv"
done
