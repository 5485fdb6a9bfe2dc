#!/usr/bin/env bash
# Sets up the notebook toolchain for this repo, idempotently:
#   1. gonb + goimports (pinned in tools/go.mod) built into $REPO/.bin
#   2. a Python venv in $REPO/.venv with JupyterLab, nbclient, nbformat
#      (pinned in tools/requirements.txt)
#   3. the XLA CPU plugin, via scripts/install-xla-cpu.sh when that file exists,
#      and jemalloc (Debian's libjemalloc2, as root only; see scripts/allocator-env.sh)
#   4. the Jupyter kernel spec "ddpm" (kernels/ddpm), installed into the venv
# Steps whose outputs are up to date are skipped, so a re-run takes about a second.
# One line per step is printed.
#
# Environment:
#   PYTHON=python3        the interpreter used to create the venv
#   DDPM_WITH_GOPLS=1     also build gopls v0.23.0 into .bin (optional: it gives
#                         completion/hover in JupyterLab; slow to build)
#   DDPM_SETUP_FORCE=1    redo every step
set -euo pipefail

REPO=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

export GOEXPERIMENT=simd # the shared Go build cache is keyed on it
export GOWORK=off        # tools/ is its own module; never pick up a go.work
PYTHON=${PYTHON:-python3}
FORCE=${DDPM_SETUP_FORCE:-0}
GOPLS_VERSION=v0.23.0

step() { printf 'setup: %-10s %s\n' "$1" "$2"; }
t0=$(date +%s)

# quiet WHAT CMD...: run CMD with its output in a log, shown only if it fails.
quiet() {
	local what=$1 log
	shift
	log=$(mktemp)
	if ! "$@" >"$log" 2>&1; then
		echo "setup: FAILED $what:" >&2
		cat "$log" >&2
		rm -f "$log"
		exit 1
	fi
	rm -f "$log"
}

# hash_of FILE... : a stable fingerprint of files' contents plus extra strings.
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# stamp_ok STAMP VALUE: true when STAMP holds VALUE (and FORCE is off).
stamp_ok() { [ "$FORCE" = 0 ] && [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# ---------------------------------------------------------------- 1. Go tools
command -v go >/dev/null || { echo "setup: go not found on PATH" >&2; exit 1; }
mkdir -p .bin
# `gonb -V` misreports v0.11.3 as v0.11.1: read the module version from the binary.
tool_version() { go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'; }
go_tools_key="$(hash_of tools/go.mod tools/go.sum) $(go env GOVERSION) $GOEXPERIMENT"
if stamp_ok .bin/.tools.stamp "$go_tools_key" && [ -x .bin/gonb ] && [ -x .bin/goimports ]; then
	step go-tools "up to date (.bin/gonb $(tool_version .bin/gonb), .bin/goimports $(tool_version .bin/goimports))"
else
	quiet "building gonb and goimports" \
		sh -c 'cd tools && go build -o "$1/.bin/" github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports' sh "$REPO"
	echo "$go_tools_key" >.bin/.tools.stamp
	step go-tools "built .bin/gonb $(tool_version .bin/gonb), .bin/goimports $(tool_version .bin/goimports)"
fi

if [ "${DDPM_WITH_GOPLS:-0}" != 0 ]; then
	gopls_key="gopls $GOPLS_VERSION $(go env GOVERSION) $GOEXPERIMENT"
	if stamp_ok .bin/.gopls.stamp "$gopls_key" && [ -x .bin/gopls ]; then
		step gopls "up to date ($GOPLS_VERSION)"
	else
		# `go install golang.org/x/tools/gopls@v` is refused by the proxy's version
		# list here; building inside the downloaded module (its own go.sum) works.
		gopls_dir=$(go mod download -json "golang.org/x/tools/gopls@$GOPLS_VERSION" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		quiet "building gopls" sh -c 'cd "$1" && go build -o "$2/.bin/gopls" .' sh "$gopls_dir" "$REPO"
		echo "$gopls_key" >.bin/.gopls.stamp
		step gopls "built .bin/gopls $GOPLS_VERSION"
	fi
else
	step gopls "skipped (optional; DDPM_WITH_GOPLS=1 builds it)"
fi

# ---------------------------------------------------------------- 2. Python venv
command -v "$PYTHON" >/dev/null || { echo "setup: $PYTHON not found on PATH" >&2; exit 1; }
py_version() { "$1" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null; }
venv_key="$(hash_of tools/requirements.txt) $(py_version "$PYTHON")"
if stamp_ok .venv/.requirements.stamp "$venv_key" && [ -x .venv/bin/jupyter ]; then
	step venv "up to date (.venv, jupyterlab $(sed -n 's/^jupyterlab==//p' tools/requirements.txt))"
else
	# A venv made by another interpreter is made anew.
	if [ ! -x .venv/bin/python ] || [ "$FORCE" != 0 ] || [ "$(py_version .venv/bin/python)" != "$(py_version "$PYTHON")" ]; then
		rm -rf .venv
		if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
			# Debian's python3 lacks ensurepip until python3-venv is installed.
			rm -rf .venv
			step venv "'$PYTHON -m venv' failed; installing python3-venv with apt-get"
			apt-get update -qq >/dev/null
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
			"$PYTHON" -m venv .venv
		fi
	fi
	quiet "pip install -r tools/requirements.txt" \
		.venv/bin/python -m pip install -q --disable-pip-version-check -r tools/requirements.txt
	echo "$venv_key" >.venv/.requirements.stamp
	step venv "installed .venv ($(.venv/bin/python --version), jupyterlab $(sed -n 's/^jupyterlab==//p' tools/requirements.txt))"
fi

# ---------------------------------------------------------------- 3. XLA CPU plugin
if [ -f scripts/install-xla-cpu.sh ]; then
	if bash scripts/install-xla-cpu.sh >/tmp/ddpm-install-xla-cpu.$$.log 2>&1; then
		step xla-cpu "ok ($(tail -n 1 /tmp/ddpm-install-xla-cpu.$$.log))"
	else
		step xla-cpu "WARNING: scripts/install-xla-cpu.sh failed (continuing): $(tail -n 1 /tmp/ddpm-install-xla-cpu.$$.log)"
	fi
	rm -f /tmp/ddpm-install-xla-cpu.$$.log
else
	step xla-cpu "skipped (scripts/install-xla-cpu.sh not present)"
fi

# jemalloc: XLA CPU training steps run ~1.5x faster on it (scripts/allocator-env.sh).
if [ -n "$(env -u LD_PRELOAD sh scripts/allocator-env.sh)" ]; then
	step jemalloc "ok ($(env -u LD_PRELOAD sh scripts/allocator-env.sh | sed -n "s/^export LD_PRELOAD='\([^ ']*\).*/\1/p"))"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2) >/dev/null 2>&1; then
		step jemalloc "installed libjemalloc2 (apt-get)"
	else
		step jemalloc "WARNING: apt-get install libjemalloc2 failed (continuing; XLA CPU steps run slower on glibc malloc)"
	fi
else
	step jemalloc "not installed (optional: apt-get install libjemalloc2 makes XLA CPU U-Net steps ~1.5x faster)"
fi

# ---------------------------------------------------------------- 4. kernel spec
# Jupyter copies the kernel dir, so the installed kernel.json gets the repo
# root in env.DDPM_REPO; nothing with an absolute path is committed.
spec_tmp=$(mktemp -d)
trap 'rm -rf "$spec_tmp"' EXIT
mkdir "$spec_tmp/ddpm"
cp kernels/ddpm/* "$spec_tmp/ddpm/"
.venv/bin/python - "$spec_tmp/ddpm/kernel.json" "$REPO" <<'PY'
import json, sys
path, repo = sys.argv[1], sys.argv[2]
with open(path) as f:
    spec = json.load(f)
spec.setdefault("env", {})["DDPM_REPO"] = repo
with open(path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
PY
installed=.venv/share/jupyter/kernels/ddpm
if [ "$FORCE" = 0 ] && [ -d "$installed" ] && diff -r -q "$spec_tmp/ddpm" "$installed" >/dev/null 2>&1; then
	step kernel "up to date ($installed)"
else
	.venv/bin/jupyter kernelspec install --sys-prefix --name ddpm "$spec_tmp/ddpm" >/dev/null 2>&1 ||
		.venv/bin/jupyter kernelspec install --sys-prefix --name ddpm "$spec_tmp/ddpm"
	chmod +x "$installed/gonb-ddpm"
	step kernel "installed 'ddpm' (Go (ddpm)) into $installed"
fi

step finished "in $(($(date +%s) - t0)) s"
