#!/usr/bin/env bash
# The prepared GPU run of the "beyond Ho et al." measurements on MNIST
# (issue 12). Build here, run there:
#
#   make gpu-bundle             # here: .device/{ddpm,mnist/} (x86-64 binary + MNIST IDX files)
#   bash scripts/gpu-mnist.sh   # there, from the repo root, on a machine with an NVIDIA GPU
#
# In priority order, each stage skipped when the time left (GPU_BUDGET
# seconds from the start) is too short for it:
#   1. a class-conditional ε-U-Net (-cond, p_uncond 0.1), COND_STEPS steps;
#      MNIST-FD and the classifier's label accuracy of 2,000 DDIM-50 η=1
#      samples for guidance w ∈ {0, 0.5, 1, 2, 4}, and guided grids;
#   2. the same U-Net with fixed (β_t) and learned (L_hybrid) variances at
#      the same budget, VAR_STEPS steps each; NLL bits/dim (stratified, 1,000
#      test digits) and MNIST-FD of 2,000 ancestral samples respaced to 50 and
#      100 steps, and of DDIM-50;
#   3. issue 9's GPU part: the shipped weights/mnist.ddpm fine-tuned for
#      FT_STEPS more steps (-init), evaluated like the shipped ones (10,000
#      DDIM-50 η=1 samples, seed 1; then 10,000 ancestral samples if time is
#      left), to replace them if better.
# STAGES (default "cond var ft") picks the stages.
# Results go to $OUT (or /tmp/gpu-mnist): log.txt and results.tar (weights,
# eval JSON, grids), appended to after every stage so that a run cut short
# still returns what it finished.
# GPU_BACKEND=xla:cpu with small *_STEPS, EVAL_N and NLL_N makes a dry run on a CPU.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/gpu-mnist}
mkdir -p "$out"
work=$(mktemp -d)
backend=${GPU_BACKEND:-xla:cuda}
budget=${GPU_BUDGET:-560}
cond_steps=${COND_STEPS:-15000}
var_steps=${VAR_STEPS:-5000}
n=${EVAL_N:-2000}
nll_n=${NLL_N:-1000}
cond_cap=${COND_CAP:-150}
var_cap=${VAR_CAP:-70}
ft_steps=${FT_STEPS:-20000}
ft_cap=${FT_CAP:-170}
stages=" ${STAGES:-cond var ft} "
bin=.device/ddpm
data=.device/mnist
start=$(date +%s)
left() { echo $((budget - ($(date +%s) - start))); }
log() { echo "[$(($(date +%s) - start))s] $*" | tee -a "$out/log.txt"; }
save() { (cd "$work" && tar -rf "$out/results.tar" "$@" 2>/dev/null); }
[ -x "$bin" ] && [ -d "$data" ] || { echo "gpu-mnist: $bin or $data missing: run 'make gpu-bundle' first" >&2; exit 1; }

if [ "$backend" = xla:cuda ]; then
	eval "$(bash scripts/find-cuda-plugin.sh)" || { echo "gpu-mnist: no CUDA PJRT plugin found" >&2; exit 1; }
	nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$out/log.txt"
fi
export GOMLX_BACKEND=$backend GOMLX_NO_AUTO_INSTALL=1
if ! "$bin" sample -data swissroll -n 100 -out "$work/probe.png" >"$work/probe.log" 2>&1; then
	echo "gpu-mnist: $backend does not work; diagnostics:" >&2
	tail -20 "$work/probe.log" >&2
	env | grep -E '^(PJRT|LD_LIBRARY|XLA|GOMLX)' >&2
	exit 1
fi
log "backend: $(grep -m1 'backend' "$work/probe.log")"

# The recipe of all three runs: package recipe's preset "mnist-gpu" (a short-run
# schedule: warm-up, cosine decay to 0 at the last step, EMA with warm-up).
opt=(-preset mnist-gpu -data-dir "$data" -quiet)
train() { # name steps max-seconds flags...
	local name=$1 steps=$2 cap=$3
	shift 3
	log "train $name: $steps steps (at most ${cap}s) $*"
	"$bin" train "${opt[@]}" -steps "$steps" -max-time "${cap}s" -checkpoint-every "$steps" -dir "$work/$name" "$@" 2>&1 | tail -2 | tee -a "$out/log.txt"
	cp "$work/$name/weights.ddpm" "$work/$name.ddpm" && cp "$work/$name/loss.png" "$work/$name-loss.png" && save "$name.ddpm" "$name-loss.png"
}
evaluate() { # tag weights flags... (killed after $eval_timeout seconds when set)
	local tag=$1 w=$2
	shift 2
	timeout "${eval_timeout:-0}" "$bin" eval -weights "$work/$w.ddpm" -data-dir "$data" -n "$n" -sample-batch "$n" -seed 7 -json "$@" >"$work/eval-$tag.json" 2>"$work/eval-$tag.log"
	log "eval $tag ($*): $(grep -E 'MNIST-FD|reads|NLL' "$work/eval-$tag.log" | sed 's/^ddpm eval: //' | tr '\n' ' ')"
	save "eval-$tag.json"
}

# 1. Class-conditional model and the guidance table.
if [[ $stages == *" cond "* ]] && [ "$(left)" -gt 200 ]; then
	train mnist_cond "$cond_steps" "$cond_cap" -cond
	for w in 0 1 2 4 0.5; do
		[ "$(left)" -gt 150 ] || { log "skip guidance w=$w: $(left)s left"; continue; }
		evaluate "cond-w$w" mnist_cond -sampler ddim -steps 50 -eta 1 -nll-examples 0 -guidance "$w"
	done
	for w in 0 2; do
		"$bin" sample -weights "$work/mnist_cond.ddpm" -sampler ddim -steps 50 -eta 1 -guidance "$w" -seed 3 -out "$work/cond-grid-w$w.png" >/dev/null 2>&1 && save "cond-grid-w$w.png"
	done
fi

# 2. Fixed against learned variances at the same budget.
for v in fixed learned; do
	[[ $stages == *" var "* ]] || continue
	[ "$(left)" -gt 90 ] || { log "skip the $v-variance run: $(left)s left"; continue; }
	flags=()
	[ $v = learned ] && flags=(-learn-variance)
	train "mnist_$v" "$var_steps" "$var_cap" "${flags[@]}"
done
for v in fixed learned; do
	[ -f "$work/mnist_$v.ddpm" ] || continue
	[ "$(left)" -gt 25 ] && evaluate "$v-anc50" "mnist_$v" -sampler ancestral -steps 50 -nll-examples "$nll_n" -nll-stride 50
	[ "$(left)" -gt 20 ] && evaluate "$v-anc100" "mnist_$v" -sampler ancestral -steps 100 -nll-examples 0
	[ "$(left)" -gt 15 ] && evaluate "$v-ddim50" "mnist_$v" -sampler ddim -steps 50 -eta 1 -nll-examples 0
done
# 3. The shipped unconditional model, trained further.
if [[ $stages == *" ft "* ]] && [ "$(left)" -gt $((ft_cap + 60)) ]; then
	opt=(-data mnist -data-dir "$data" -batch 128 -lr 1e-4 -warmup 200 -ema 0.9995 -quiet)
	train mnist_ft "$ft_steps" "$ft_cap" -init weights/mnist.ddpm
	n=${FT_EVAL_N:-10000}
	[ "$(left)" -gt 30 ] && evaluate ft-ddim50 mnist_ft -sampler ddim -steps 50 -eta 1 -seed 1 -nll-examples "$nll_n" -nll-stride 50
	[ "$(left)" -gt 60 ] && eval_timeout=$(($(left) - 5)) evaluate ft-anc mnist_ft -sampler ancestral -seed 1 -nll-examples 0
fi
log "gpu-mnist: done"
cp "$out/log.txt" "$work/log.txt" && save log.txt
rm -rf "$work"
