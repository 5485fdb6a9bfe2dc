#!/usr/bin/env bash
# The prepared GPU check (issue: XLA on CUDA). Build here, run there:
#
#   make gpu-bundle            # here: .device/{ddpm,ddpm.test,mnist/} (x86-64 binaries + MNIST IDX files)
#   bash scripts/gpu-check.sh  # there, from the repo root, on a machine with an NVIDIA GPU
#
# It points go-xla at the CUDA PJRT plugin of the installed jax-cuda*-pjrt
# (scripts/find-cuda-plugin.sh), runs the ddpm tests on xla:cuda, times the
# 2-D MLP and the MNIST U-Net training steps, trains the U-Net for
# GPU_TRAIN_TIME and samples a grid from it. Results go to $OUT (or
# /tmp/gpu-check): log, weights, provenance, sample grids.
# GPU_BACKEND overrides the backend (e.g. xla:cpu for a dry run on a CPU).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
backend=${GPU_BACKEND:-xla:cuda}
train_time=${GPU_TRAIN_TIME:-5m}
train_steps=${GPU_TRAIN_STEPS:-100000}
bin=.device
[ -x "$bin/ddpm" ] && [ -x "$bin/ddpm.test" ] || { echo "gpu-check: $bin/ddpm and $bin/ddpm.test missing: run 'make gpu-bundle' first" >&2; exit 1; }

if [ "$backend" = xla:cuda ]; then
	eval "$(bash scripts/find-cuda-plugin.sh)" || { echo "gpu-check: no CUDA PJRT plugin found" >&2; exit 1; }
	nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
fi
export GOMLX_BACKEND=$backend GOMLX_NO_AUTO_INSTALL=1
# A 5-second probe first, so that a broken plugin set-up costs no more.
if ! (cd ddpm && "../$bin/ddpm.test" -test.count=1 -test.run 'ExampleSampler$') >"$out/probe.log" 2>&1; then
	echo "gpu-check: $backend does not work; diagnostics:" >&2
	tail -20 "$out/probe.log" >&2
	env | grep -E '^(PJRT|LD_LIBRARY|XLA|GOMLX)' >&2
	exit 1
fi
echo "== ddpm tests on $backend"
t0=$(date +%s)
# The parity test needs the XLA CPU plugin as well; it skips itself without it.
(cd ddpm && "../$bin/ddpm.test" -test.count=1 -test.v) 2>&1 | grep -E '^(--- |ok|FAIL|PASS)|sampler_test.go|loss_test.go' | tail -45
echo "tests took $(($(date +%s) - t0)) s"

echo "== 2-D MLP training steps (B=1024)"
"$bin/ddpm" train -data swissroll -steps 600 -dir "$out/mlp-run" -quiet 2>&1 | tail -2

echo "== MNIST U-Net (776,929 parameters, B=128): train for $train_time"
"$bin/ddpm" train -data mnist -data-dir "$bin/mnist" -steps "$train_steps" -max-time "$train_time" \
	-ema 0.9995 -warmup 500 -lr 2e-4 -checkpoint-every 5000 -dir "$out/mnist-run" -quiet 2>&1 | tail -3
cp "$out/mnist-run/weights.ddpm" "$out/mnist.ddpm" 2>/dev/null
cp "$out/mnist-run/loss.png" "$out/mnist-loss.png" 2>/dev/null

echo "== samples from the trained U-Net"
for s in ddim ancestral; do
	"$bin/ddpm" sample -weights "$out/mnist.ddpm" -sampler "$s" -n 64 -seed 1 -out "$out/mnist-$s.png" 2>&1 | tail -1
done
echo "gpu-check: done in $(($(date +%s) - t0)) s"
