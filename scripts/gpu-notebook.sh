#!/usr/bin/env bash
# gpu-notebook.sh: runs a notebook (default notebooks/05_mnist.ipynb) headlessly on a machine
# that has no Go, GoNB, Jupyter or network, from the offline bundle of
# scripts/gpu-notebook-bundle.sh (make gpu-notebook-bundle). Made for the lent GPU machine:
#
#   make gpu-notebook-bundle              # here: .device/notebook-bundle (about 40 MiB; carry .device/notebook-bundle)
#   bash scripts/gpu-notebook.sh          # there, from the repo root: real mode, CUDA required
#
# With the device tool: carry [".device/notebook-bundle"], command `bash scripts/gpu-notebook.sh`
# (it writes to $OUT); the tracked tree plus the bundle are about 56 MiB of the 64 that travel.
#
#   bash scripts/gpu-notebook.sh [--quick] [--no-gpu] [--bundle DIR] [--dest DIR] [--notebook NB] [OUTDIR]
#
# What it does, one line per step:
#   1. checks the machine (x86-64 Linux, a Python >= 3.11 with pip, a C compiler) and the
#      bundle's SHA256SUMS;
#   2. unless --no-gpu: checks that nvidia-smi sees a GPU and points go-xla at the CUDA plugin
#      of the machine's jax-cuda13-pjrt/jax-cuda12-pjrt (scripts/find-cuda-plugin.sh, which
#      dlopen()s it and reads its PJRT C API version);
#   3. unpacks the bundle into DEST (default ${TMPDIR:-/tmp}/ddpm-gpu-notebook-<bundle hash>):
#      the Go toolchain, the module cache subset, gonb and goimports, and the runner's wheels
#      (pip install --no-index --require-hashes --target DEST/site-<python version>);
#      a DEST already unpacked from the same bundle is reused (with its warm Go build cache);
#   4. builds and runs a small cgo program that dlopen()s libc (go-xla's pjrt package needs
#      cgo and -ldl); from a cold build cache this also compiles the runtime;
#   5. builds a program that imports package ddpm as GoNB builds a cell (go mod init, the
#      notebooks' go mod edit -replace, go get, go build; offline) and runs it: it prints the
#      backend ddpm picks, and without --no-gpu anything but xla:cuda stops the run here; from a
#      cold build cache this compiles most of what the notebook's first Go cell needs;
#   6. installs the kernel spec "ddpm" into DEST/jupyter (JUPYTER_PATH; nothing in $HOME),
#      pointing at this repo and the bundle's gonb (DDPM_BIN);
#   7. runs the notebook with scripts/run_notebooks.py (real mode; --quick sets DDPM_QUICK=1),
#      with the Python of step 1 started with -S, so that only the bundle's wheels are imported;
#   8. prints, for each code cell, its wall time and the backend it picked (backend.New()'s
#      "ddpm: backend ..." line in the cell's output); without --no-gpu, a cell that picked
#      anything but xla:cuda fails the run.
# Written to OUTDIR (default $OUT, else /tmp/gpu-notebook): the executed notebook, gpu-notebook.log
# (everything printed), and the kernel's log when a cell failed.
#
# The Go environment (all under DEST, nothing in $HOME): GOROOT=DEST/go, GOMODCACHE=DEST/mod,
# GOCACHE=DEST/gocache, GOPATH=DEST/gopath, GOPROXY=off (no module is fetched: all come from the
# bundle's cache), GOSUMDB=off (GoNB's temporary module has no go.sum: the go command writes its
# lines from the cached hashes, which the bundle's builder checked against the repo's go.sum; the
# bundle itself is checked by SHA256SUMS), GOTOOLCHAIN=local,
# GOENV=off, GOFLAGS empty (GoNB's own `go get` adds the requirements of each cell to its temporary
# go.mod, from the cache; -mod=mod was not needed), CGO_ENABLED=1, GOEXPERIMENT=simd, GOWORK=off,
# GOMLX_NO_AUTO_INSTALL=1.
# XDG_CONFIG_HOME and XDG_CACHE_HOME point into DEST too (Go's telemetry counters, Jupyter).
#
# What it assumes about the machine, and checks: x86-64 Linux (uname); $PYTHON (default python3)
# is CPython 3.11 or 3.12 with pip, for which the bundle has wheels (pip refuses otherwise);
# a C compiler ($CC, else gcc, else cc) with libc headers and libdl (step 4); tar, and xz or
# Python's lzma for unpacking; sha256sum. With a GPU: nvidia-smi, and jax_plugins.xla_cuda13 or
# xla_cuda12 visible to $PYTHON (find-cuda-plugin.sh says which it found). A plugin for CPU runs
# (--no-gpu) is whatever PJRT_PLUGIN_LIBRARY_PATH names, else the pure-Go backend.
#
# Environment: PYTHON, CC, OUT, CELL_TIMEOUT (seconds per cell, default 900), GPU_NOTEBOOK_DEST
# (same as --dest), PJRT_PLUGIN_LIBRARY_PATH (with --no-gpu).
set -euo pipefail

REPO=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

die() { echo "gpu-notebook: $*" >&2; exit 1; }
quick=0
gpu=1
bundle=.device/notebook-bundle
dest=${GPU_NOTEBOOK_DEST:-}
notebook=notebooks/05_mnist.ipynb
out=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--no-gpu) gpu=0 ;;
	--bundle) bundle=${2:?--bundle needs a folder}; shift ;;
	--dest) dest=${2:?--dest needs a folder}; shift ;;
	--notebook) notebook=${2:?--notebook needs a file}; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) [ -z "$out" ] || die "one output folder only"; out=$1 ;;
	esac
	shift
done
out=${out:-${OUT:-/tmp/gpu-notebook}}
PY=${PYTHON:-python3}
timeout=${CELL_TIMEOUT:-900}
[ -f "$notebook" ] || die "no notebook $notebook"
mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
log="$out/gpu-notebook.log"
: >"$log"
exec > >(tee -a "$log") 2>&1
teepid=$!
# At exit, let tee write the last lines before the script's caller sees it end.
trap 'exec >&- 2>&-; wait "$teepid" 2>/dev/null || true' EXIT
t0=$(date +%s)
step() { printf 'gpu-notebook: [%4ds] %-9s %s\n' "$(($(date +%s) - t0))" "$1" "$2"; }

# ------------------------------------------------------------------ 1. the machine, the bundle
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "this is $(uname -s)/$(uname -m); the bundle is for Linux/x86_64"
command -v "$PY" >/dev/null || die "$PY not found (set PYTHON)"
PY=$(command -v "$PY")
pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || die "$PY does not run"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$PY is Python $pyver; 3.11 or later needed"
"$PY" -m pip --version >/dev/null 2>&1 || die "$PY has no pip (python3 -m pip)"
if [ -n "${CC:-}" ]; then
	command -v "${CC%% *}" >/dev/null || die "CC=$CC not found"
elif command -v gcc >/dev/null; then
	export CC=gcc
elif command -v cc >/dev/null; then
	export CC=cc
else
	die "no C compiler (gcc or cc): go-xla needs cgo"
fi
for f in SHA256SUMS go.tar.xz modcache.tar.xz gomnist.tar bin.tar.xz wheels/requirements.txt; do
	[ -f "$bundle/$f" ] || die "$bundle/$f missing: make gpu-notebook-bundle here, then carry $bundle"
done
(cd "$bundle" && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1 || die "$bundle does not match its SHA256SUMS (incomplete copy?)"
bundle=$(cd "$bundle" && pwd)
id=$(sha256sum "$bundle/SHA256SUMS" | cut -c1-12)
step machine "$(uname -m), Python $pyver ($PY), C compiler $CC ($("$CC" --version 2>/dev/null | head -n 1))"
step bundle "$bundle ($(du -sh "$bundle" | cut -f1), id $id; $(sed -n 3p "$bundle/BUNDLE.txt"))"

# ------------------------------------------------------------------ 2. the GPU (before the unpacking: a failure costs nothing)
if [ "$gpu" = 1 ]; then
	command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 ||
		die "nvidia-smi sees no GPU (--no-gpu runs on the CPU)"
	step gpu "$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -n 1)"
	cuda_env=$(PYTHON=$PY bash scripts/find-cuda-plugin.sh) || die "no CUDA PJRT plugin found (scripts/find-cuda-plugin.sh)"
	eval "$cuda_env"
	export DDPM_CUDA_ENV=1
	step plugin "PJRT_PLUGIN_LIBRARY_PATH=$PJRT_PLUGIN_LIBRARY_PATH"
else
	step gpu "not used (--no-gpu); PJRT_PLUGIN_LIBRARY_PATH=${PJRT_PLUGIN_LIBRARY_PATH:-(unset: no XLA plugin unless go-xla finds one in its default folders)}"
fi

# ------------------------------------------------------------------ 3. unpack
dest=${dest:-${TMPDIR:-/tmp}/ddpm-gpu-notebook-$id}
mkdir -p "$(dirname "$dest")"
dest=$(cd "$(dirname "$dest")" && pwd)/$(basename "$dest")
site="$dest/site-$pyver"
untar() { # untar ARCHIVE DIR: with tar (and xz), else Python's tarfile (lzma)
	if [ "${1%.xz}" = "$1" ] || command -v xz >/dev/null; then
		tar -C "$2" -xf "$1"
	else
		"$PY" -c 'import sys, tarfile; t = tarfile.open(sys.argv[1]); (t.extractall(sys.argv[2], filter="tar") if hasattr(tarfile, "tar_filter") else t.extractall(sys.argv[2]))' "$1" "$2"
	fi
}
if [ -f "$dest/.bundle-id" ] && [ "$(cat "$dest/.bundle-id")" = "$id" ]; then
	step unpack "reusing $dest (unpacked from this bundle before)"
else
	if [ -e "$dest" ]; then
		[ -f "$dest/.bundle-id" ] || die "$dest exists and was not unpacked by this script: not touching it (use --dest)"
		chmod -R u+w "$dest" && rm -rf "$dest" # an older bundle's (the module cache is read-only)
	fi
	mkdir -p "$dest/mod" "$dest/bin"
	untar "$bundle/go.tar.xz" "$dest"
	untar "$bundle/modcache.tar.xz" "$dest/mod"
	untar "$bundle/gomnist.tar" "$dest/mod"
	untar "$bundle/bin.tar.xz" "$dest/bin"
	echo "$id" >"$dest/.bundle-id"
	step unpack "$dest ($(du -sh "$dest" | cut -f1))"
fi
if [ ! -f "$site/.installed" ]; then
	rm -rf "$site"
	PIP_ROOT_USER_ACTION=ignore "$PY" -m pip install -q --disable-pip-version-check --no-index --no-deps --require-hashes --no-cache-dir --no-warn-script-location \
		--find-links "$bundle/wheels" --target "$site" -r "$bundle/wheels/requirements.txt" ||
		die "pip install of the bundle's wheels failed for Python $pyver (the bundle has wheels for: $(sed -n 's/^pythons //p' "$bundle/BUNDLE.txt"))"
	touch "$site/.installed"
fi
step wheels "$(ls "$site" | grep -c 'dist-info$') packages in $site"

# The environment: Go, Jupyter and Python, all in $dest.
export GOROOT="$dest/go" GOMODCACHE="$dest/mod" GOPATH="$dest/gopath" GOCACHE="$dest/gocache"
export GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOENV=off GOFLAGS= GOWORK=off
export CGO_ENABLED=1 GOEXPERIMENT=simd GOMLX_NO_AUTO_INSTALL=1
export XDG_CONFIG_HOME="$dest/config" XDG_CACHE_HOME="$dest/cache"
export PATH="$dest/go/bin:$dest/bin:$PATH"
unset GOBIN GOTMPDIR GOROOT_FINAL
[ "$(command -v go)" = "$dest/go/bin/go" ] || die "go on PATH is $(command -v go), not the bundle's"
step go "$(go version) at $GOROOT"

# ------------------------------------------------------------------ 4. cgo
mkdir -p "$dest/cgocheck"
cat >"$dest/cgocheck/go.mod" <<'EOF'
module cgocheck

go 1.21
EOF
cat >"$dest/cgocheck/main.go" <<'EOF'
package main

// #cgo LDFLAGS: -ldl
// #include <dlfcn.h>
// #include <stdlib.h>
// static int canOpenLibc(void) { void *h = dlopen("libc.so.6", RTLD_NOW); if (!h) return 0; dlclose(h); return 1; }
import "C"

import "fmt"

func main() {
	if C.canOpenLibc() == 0 {
		panic("dlopen(libc.so.6) failed")
	}
	fmt.Println("cgo ok")
}
EOF
t=$(date +%s)
(cd "$dest/cgocheck" && go build -o cgocheck . && ./cgocheck) >"$dest/cgocheck/log" 2>&1 ||
	{ cat "$dest/cgocheck/log"; die "cgo does not build or run here (CC=$CC; needs libc headers and libdl)"; }
step cgo "a cgo program with dlopen built and ran ($(($(date +%s) - t)) s, CC=$CC)"

# ------------------------------------------------------------------ 5. the backend, before the notebook
# A cell's program built as GoNB builds it (go mod init, the notebooks' first cell's go mod edit,
# go get, go build), offline; it prints the backend package ddpm picks. With a GPU anything but
# xla:cuda stops here, before notebook 05 would train on the CPU for ten minutes.
module=$(sed -n 's/^module[[:space:]]*//p' go.mod | head -n 1)
[ -n "$module" ] || die "no module line in go.mod"
probe="$dest/probe"
rm -rf "$probe" && mkdir -p "$probe"
printf 'package main\n\nimport (\n\t"fmt"\n\n\t"%s/backend"\n)\n\nfunc main() {\n\tbackend.Must()\n\tfmt.Println(backend.Name())\n}\n' "$module" >"$probe/main.go"
t=$(date +%s)
(
	cd "$probe" && go mod init probe && go mod edit -replace "$module=$REPO" -require "$module@v0.0.0-00010101000000-000000000000" &&
		go get && go build -o probe . && ./probe >name
) >"$probe/log" 2>&1 || { cat "$probe/log"; die "a program importing $module/ddpm does not build or run offline"; }
picked=$(cat "$probe/name")
step backend "$picked: $(grep -h '^ddpm: backend' "$probe/log" | head -n 1) (built offline in $(($(date +%s) - t)) s)"
[ "$gpu" = 0 ] || [ "$picked" = xla:cuda ] || { cat "$probe/log"; die "package ddpm picks $picked, not xla:cuda, with the CUDA plugin above"; }

# ------------------------------------------------------------------ 6. the kernel spec
export JUPYTER_PATH="$dest/jupyter" JUPYTER_DATA_DIR="$dest/jupyter-data" JUPYTER_CONFIG_DIR="$dest/jupyter-config"
export JUPYTER_RUNTIME_DIR="$dest/jupyter-runtime" JUPYTER_PLATFORM_DIRS=1
export PYTHONPATH="$site" PYTHONNOUSERSITE=1 PYTHONUNBUFFERED=1
spec="$dest/jupyter/kernels/ddpm"
mkdir -p "$spec"
cp kernels/ddpm/* "$spec/"
chmod +x "$spec/gonb-ddpm"
"$PY" -S - "$spec/kernel.json" "$REPO" "$dest/bin" <<'PY'
import json, sys
path, repo, bindir = sys.argv[1:]
with open(path) as f:
    spec = json.load(f)
spec.setdefault("env", {}).update({"DDPM_REPO": repo, "DDPM_BIN": bindir})
with open(path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
PY
"$PY" -S -c 'import nbclient, nbformat, jupyter_client, zmq, tornado; from jupyter_client.kernelspec import KernelSpecManager as K; K().get_kernel_spec("ddpm")' ||
	die "the runner's packages or the kernel spec do not load from $site"
step kernel "ddpm -> $spec (gonb $(go version -m "$dest/bin/gonb" | awk '$1 == "mod" { print $3; exit }'))"

# ------------------------------------------------------------------ 7. the notebook
mode=real
if [ "$quick" = 1 ]; then
	export DDPM_QUICK=1
	mode=quick
else
	unset DDPM_QUICK
fi
step run "$notebook in $mode mode, $timeout s per cell; outputs in $out"
set +e
"$PY" -S scripts/run_notebooks.py --timeout "$timeout" --output-dir "$out" "$notebook" | tee "$dest/runner.out"
rc=${PIPESTATUS[0]}
set -e

# ------------------------------------------------------------------ 8. what each cell picked
executed="$out/$(basename "$notebook")"
[ -f "$executed" ] || die "no executed notebook at $executed"
"$PY" -S - "$executed" "$gpu" "$dest/runner.out" <<'PY' || rc=1
import json, re, sys
path, need_cuda, runner_out = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
nb = json.load(open(path))
# The runner's "  <notebook> cell N: ok (12.3 s)" lines.
walls = {int(m.group(1)): m.group(2) + " s" for m in re.finditer(r" cell (\d+): (?:ok|FAILED) \(([\d.]+) s\)", open(runner_out).read())}
# backend.New()'s stderr lines ("ddpm: backend xla:cuda (...)", or its fall-back line); any other
# output that names a backend the same way ("backend: xla:cuda") is read too.
strict = re.compile(r'ddpm: backend (\S+) \((.*)\)$|ddpm: backend "(.*)" failed \((.*)\); falling back')
loose = re.compile(r'\bbackend:?\s+"?((?:xla:\w+|go(?::\w+)?))\b')
bad, seen = [], False

def texts(cell):
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            yield "".join(o.get("text", ""))
        for kind in ("text/plain", "text/html"):
            if kind in o.get("data", {}):
                yield re.sub(r"<[^>]+>", " ", "".join(o["data"][kind]))

for i, cell in enumerate(nb["cells"]):
    if cell["cell_type"] != "code":
        continue
    picked, names = [], []
    for line in "\n".join(texts(cell)).splitlines():
        m = strict.search(line)
        if m:
            names.append(m.group(1) or "go")
            picked.append(f"{m.group(1)} ({m.group(2)})" if m.group(1) else f"go ({m.group(3)} failed: {m.group(4)})")
        elif (m := loose.search(line)):
            names.append(m.group(1))
            picked.append(m.group(1))
    picked = list(dict.fromkeys(picked))
    seen = seen or bool(names)
    if need_cuda and any(n != "xla:cuda" for n in names):
        bad.append(i)
    wall = walls.get(i, "not run")
    first = next((l for l in "".join(cell["source"]).splitlines() if l.strip() and not l.startswith("//")), "")
    print(f"gpu-notebook: cell {i:2d} {wall:>8}  backend: {', '.join(picked) or '-':<58.70} | {first[:50]}")
if not seen:
    print("gpu-notebook: warning: no cell named the backend it picked", flush=True)
if bad:
    print(f"gpu-notebook: FAIL: cells {bad} did not pick xla:cuda", flush=True)
    sys.exit(1)
PY
if [ "$rc" = 0 ]; then
	step done "passed: $executed, log $log"
else
	step done "FAILED (see above): $executed, log $log"
fi
exit "$rc"
