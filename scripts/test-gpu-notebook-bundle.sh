#!/usr/bin/env bash
# test-gpu-notebook-bundle.sh: the offline notebook bundle tested without a GPU
# (make test-gpu-notebook-bundle, after make gpu-notebook-bundle).
#
#   bash scripts/test-gpu-notebook-bundle.sh [BUNDLE] [OUTDIR]
#
# Runs scripts/gpu-notebook.sh --quick --no-gpu on notebooks/05_mnist.ipynb from BUNDLE (default
# .device/notebook-bundle) alone, in a clean environment: env -i with PATH=/usr/sbin:/usr/bin:/sbin:/bin
# (it fails if a go command is found there), an empty HOME and TMPDIR in a new temporary folder,
# GOPROXY=off, and, when unshare works (root), a network namespace of its own with only the loopback
# interface (the kernel's ZeroMQ sockets need 127.0.0.1), so nothing can be fetched. Python is this
# machine's python3 interpreter, resolved to its real path (a pyenv shim needs HOME); the runner's
# packages are only the bundle's wheels, installed into a fresh folder, and the runner runs with -S
# (no site-packages). The Go build cache starts empty, so the first Go cell compiles everything:
# the log gives each cell's wall time.
# The XLA CPU plugin of scripts/install-xla-cpu.sh, when installed (GOXLA_PLUGIN_DIR, default
# ~/.local/lib/go-xla), is named in PJRT_PLUGIN_LIBRARY_PATH, as the CUDA plugin is on the GPU
# machine; it is not part of the bundle. Without it the cells run on the pure-Go backend.
# OUTDIR (default ${TMPDIR:-/tmp}/ddpm-test-gpu-notebook-bundle) receives the executed notebook and
# gpu-notebook.log; the temporary folder is removed.
set -euo pipefail

REPO=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
die() { echo "test-gpu-notebook-bundle: $*" >&2; exit 1; }

bundle=${1:-.device/notebook-bundle}
out=${2:-${TMPDIR:-/tmp}/ddpm-test-gpu-notebook-bundle}
[ -f "$bundle/SHA256SUMS" ] || die "no bundle at $bundle: run make gpu-notebook-bundle first"
bundle=$(cd "$bundle" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

py=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)') || die "${PYTHON:-python3} does not run"
cleanpath=/usr/sbin:/usr/bin:/sbin:/bin
if env -i PATH=$cleanpath sh -c 'command -v go' >/dev/null 2>&1; then
	die "a go command is on $cleanpath ($(env -i PATH=$cleanpath sh -c 'command -v go')): the test needs a PATH without Go"
fi
plugin_dir=${GOXLA_PLUGIN_DIR:-$HOME/.local/lib/go-xla}
pjrt=
[ -e "$plugin_dir/pjrt_c_api_cpu_plugin.so" ] && pjrt=$plugin_dir

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ddpm-bundle-test.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/tmp"

isolate=()
if command -v unshare >/dev/null && command -v ip >/dev/null &&
	unshare -n sh -c 'ip link set lo up' >/dev/null 2>&1; then
	isolate=(unshare -n sh -c 'ip link set lo up && exec "$@"' sh)
	net="own network namespace (loopback only)"
else
	net="WARNING: not isolated from the network (unshare -n failed); GOPROXY=off and pip --no-index only"
fi
echo "test-gpu-notebook-bundle: bundle $bundle; Python $py; XLA plugin ${pjrt:-none (pure-Go backend)}; $net"

t0=$(date +%s)
set +e
env -i HOME="$tmp/home" TMPDIR="$tmp/tmp" PATH="$cleanpath" LANG=C.UTF-8 \
	GOPROXY=off PYTHON="$py" ${pjrt:+PJRT_PLUGIN_LIBRARY_PATH="$pjrt"} CELL_TIMEOUT="${CELL_TIMEOUT:-900}" \
	"${isolate[@]}" bash scripts/gpu-notebook.sh --quick --no-gpu --bundle "$bundle" --dest "$tmp/dest" "$out"
rc=$?
set -e
[ -z "$(ls -A "$tmp/home")" ] || echo "test-gpu-notebook-bundle: note: HOME got $(ls -A "$tmp/home" | tr '\n' ' ')"
if [ "$rc" = 0 ]; then
	echo "test-gpu-notebook-bundle: passed in $(($(date +%s) - t0)) s (outputs in $out)"
else
	echo "test-gpu-notebook-bundle: FAILED (exit $rc) after $(($(date +%s) - t0)) s (outputs in $out)"
fi
exit "$rc"
