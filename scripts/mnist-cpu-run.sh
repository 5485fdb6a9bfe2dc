#!/usr/bin/env bash
# One row of docs/cpu.md's tables (MNIST on a CPU): trains the preset
# mnist-cpu, changed by the flags given, for a wall-time budget on this
# machine (ddpm train plans the steps its cosine decay needs from a timed
# probe), then scores the weights by the table's protocol (2,000 DDIM-50
# η = 1 samples, seed 7, MNIST-FD against the test digits with its floor; a
# class-conditional model with the balanced labels 0…9 and the weight file's
# default guidance weight, which the preset names), and appends one line to
# $OUT/results.tsv (its w, and the share read as the digit asked for, are
# the last columns; scripts/guidance-grid.sh scores other w).
#
#   bash scripts/mnist-cpu-run.sh NAME MINUTES [ddpm train flags...]
#   bash scripts/mnist-cpu-run.sh s2d-p2 5 -model s2d-unet -patch 2
#   PRESET=mnist-cpu-uncond bash scripts/mnist-cpu-run.sh uncond 10
#
# Run it alone on the machine: two XLA CPU jobs side by side slow each
# other far more than 2x, and the budget is wall time. OUT defaults to
# runs/mnist-cpu; the run folder is $OUT/NAME-MINUTESm (refused if it exists:
# a row is one fresh run).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 NAME MINUTES [ddpm train flags...]" >&2; exit 2; }
name=$1 minutes=$2
shift 2
# Every argument is checked before anything is built or created: NAME names
# files under $OUT (one path component: letters, digits, . _ -, not starting
# with . or -), MINUTES is a positive number of minutes, and the flags that
# fix where the run goes and what it is are not given again (the last one
# would win: the folder the script scores, or the recipe the row names,
# would not be the run's). -max-time may be given (a wall limit below
# MINUTES, as for the 30-minute row).
case $name in
  '' | .* | -* | *[!A-Za-z0-9._-]*)
    echo "mnist-cpu-run: NAME '$name' must be letters, digits, '.', '_' or '-', not starting with '.' or '-' (it names files under \$OUT)" >&2; exit 2 ;;
esac
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v m="$minutes" 'BEGIN { exit !(m > 0 && m <= 10080) }' || {
  echo "mnist-cpu-run: MINUTES '$minutes' must be a number of minutes in (0, 10080], such as 5 or 2.5" >&2; exit 2; }
for a in "$@"; do
  case $a in
    -preset | -preset=* | --preset | --preset=* | -dir | -dir=* | --dir | --dir=* | \
    -checkpoint-every | -checkpoint-every=* | --checkpoint-every | --checkpoint-every=*)
      echo "mnist-cpu-run: $a is set by the script (-preset \$PRESET, default mnist-cpu; -dir \$OUT/NAME-MINUTESm; -checkpoint-every): leave it out" >&2; exit 2 ;;
  esac
done
preset=${PRESET:-mnist-cpu}
case $preset in mnist-cpu | mnist-cpu-uncond) ;; *)
  echo "mnist-cpu-run: PRESET '$preset' must be mnist-cpu or mnist-cpu-uncond (the CPU table's recipes)" >&2; exit 2 ;;
esac
out=${OUT:-runs/mnist-cpu}
dir="$out/$name-${minutes}m"
[ ! -e "$dir" ] || { echo "mnist-cpu-run: $dir exists: choose another NAME or remove it" >&2; exit 2; }
mkdir -p "$out"
export GOEXPERIMENT=simd GOMLX_NO_AUTO_INSTALL=1
bin="$out/.ddpm"
go build -o "$bin" ./cmd/ddpm
eval "$(sh scripts/allocator-env.sh)"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
avx512=$(grep -q avx512f /proc/cpuinfo && echo AVX-512 || echo no-AVX-512)
t0=$(date +%s)
"$bin" train -preset "$preset" -max-time "${minutes}m" -checkpoint-every 1000000000 -dir "$dir" -quiet "$@" >"$dir.train.log" 2>&1 || { tail -3 "$dir.train.log" >&2; exit 1; }
t1=$(date +%s)
"$bin" eval -weights "$dir/weights.ddpm" -n 2000 -sampler ddim -steps 50 -eta 1 -seed 7 -nll-examples 0 -json >"$dir.eval.json" 2>"$dir.eval.log"
python3 - "$dir" "$name" "$minutes" "$((t1 - t0))" "$cpu, $(nproc) cores, $avx512" "$*" >>"$out/results.tsv" <<'PY'
import json, sys
d, name, minutes, secs, cpu, flags = sys.argv[1:]
e = json.load(open(d + ".eval.json"))
p = e["provenance"]
fd = next(m for m in e["metrics"] if m["name"] == "MNIST-FD")
x = e["extra"]
conf = x["confident_share"]["samples"]
w = x.get("guidance", "-")
asked = round(100 * x["label_accuracy"], 1) if "label_accuracy" in x else "-"
rate = p["steps_per_sec"] * p["batch"]
print("\t".join(map(str, [name, minutes, flags, p["steps"], round(p["wall_seconds"]), secs, round(rate), p["parameters"],
                         round(fd["value"], 3), round(fd["floor"], 3), round(fd["ratio"], 2), round(100 * conf, 1), cpu, w, asked])))
PY
tail -1 "$out/results.tsv"
