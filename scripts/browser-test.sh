#!/usr/bin/env bash
# Runs a notebook the way a person does: JupyterLab in headless Chromium.
#
#   bash scripts/browser-test.sh [NOTEBOOK] [EXPECTED_TEXT] [SCREENSHOT] [OPTION...]
#
#   NOTEBOOK       path relative to the repo root (default notebooks/00_smoke.ipynb)
#   EXPECTED_TEXT  text that must appear in the cell outputs (default "2 + 3 = 5"; "" checks none)
#   SCREENSHOT     PNG to write (default ${TMPDIR:-/tmp}/ddpm-browser-<notebook>.png)
#   OPTION...      passed to scripts/browser_test.mjs: --cells REGEX (run only the
#                  matching code cells), --knobs SCENARIO (move a cell's knobs and
#                  check its numbers against `ddpm schedule -json`, which this
#                  script then writes for the four schedules)
#   BROWSER_TEST_TIMEOUT  seconds to wait for all cells (default 600)
#
# Installs what it needs when missing: Debian's chromium (apt-get), npm
# playwright-core (pinned in scripts/package.json + package-lock.json, into
# scripts/node_modules) and the venv/kernel (scripts/setup.sh). Starts JupyterLab
# from .venv on a free 127.0.0.1 port with a random token and throw-away
# settings (autosave off, so the notebook file is never rewritten), opens the
# notebook, runs all cells with the Run menu, checks the outputs, takes the
# screenshot and stops JupyterLab. Exit 0 when the notebook ran clean.
set -euo pipefail

REPO=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

NOTEBOOK=${1:-notebooks/00_smoke.ipynb}
EXPECT=${2-2 + 3 = 5}
SHOT=${3:-${TMPDIR:-/tmp}/ddpm-browser-$(basename "$NOTEBOOK" .ipynb).png}
shift $(($# < 3 ? $# : 3))
TIMEOUT=${BROWSER_TEST_TIMEOUT:-600}
CHROMIUM=/usr/bin/chromium

say() { printf 'browser-test: %s\n' "$*"; }
[ -f "$NOTEBOOK" ] || { say "no such notebook: $NOTEBOOK"; exit 2; }
# JupyterLab serves the repo; a notebook outside it is served from its own folder.
ROOT=$REPO
NOTEBOOK=$(realpath "$NOTEBOOK")
case "$NOTEBOOK" in
"$REPO"/*) NOTEBOOK=${NOTEBOOK#"$REPO"/} ;;
*) ROOT=$(dirname "$NOTEBOOK") NOTEBOOK=$(basename "$NOTEBOOK") ;;
esac

# ---------------------------------------------------------------- dependencies
if [ ! -x "$CHROMIUM" ]; then
	say "installing chromium (apt-get)"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
pinned=$(sed -n 's/.*"playwright-core": "\([^"]*\)".*/\1/p' scripts/package.json)
installed=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' scripts/node_modules/playwright-core/package.json 2>/dev/null || true)
if [ "$installed" != "$pinned" ]; then
	say "installing playwright-core $pinned (npm ci)"
	(cd scripts && npm ci --no-audit --no-fund --silent)
fi
if [ ! -x .venv/bin/jupyter-lab ] || [ ! -f .venv/share/jupyter/kernels/ddpm/kernel.json ] || [ ! -x .bin/gonb ]; then
	bash scripts/setup.sh
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ddpm-browser-test.XXXXXX")

# ---------------------------------------------------------------- JupyterLab
lab_pid=
cleanup() {
	if [ -n "$lab_pid" ] && kill -0 "$lab_pid" 2>/dev/null; then
		kill -TERM "$lab_pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$lab_pid" 2>/dev/null || true
		wait "$lab_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The package's float64 tables, for the knob checks (index i ↔ paper step i+1).
extra=("$@")
case " $* " in
*" --knobs "*)
	mkdir -p "$work/schedules"
	say "writing the schedules' tables with ddpm schedule -json"
	go build -o "$work/ddpm" ./cmd/ddpm
	for kind in linear cosine quadratic sigmoid; do
		"$work/ddpm" schedule -kind "$kind" -T 1000 -json >"$work/schedules/$kind.json"
	done
	extra+=(--schedules "$work/schedules")
	;;
esac

# Throw-away settings: no autosave (the notebook file stays as it is), no news or
# update checks, every cell rendered (no windowing), no kernel restart prompts.
settings=$work/settings
mkdir -p "$settings/@jupyterlab/docmanager-extension" "$settings/@jupyterlab/apputils-extension" \
	"$settings/@jupyterlab/notebook-extension"
echo '{"autosave": false}' >"$settings/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"
echo '{"fetchNews": "false", "checkForUpdates": false}' >"$settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
echo '{"windowingMode": "none"}' >"$settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"

port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(24))')
say "starting JupyterLab on 127.0.0.1:$port (log: $work/jupyterlab.log)"
# DDPM_WIDGETS=0 (scripts/run_notebooks.py's) would switch the knobs off.
env -u DDPM_WIDGETS JUPYTER_CONFIG_DIR=$work/config JUPYTER_RUNTIME_DIR=$work/runtime \
	.venv/bin/jupyter lab --no-browser \
	--ServerApp.ip=127.0.0.1 --ServerApp.port="$port" --ServerApp.port_retries=0 \
	--IdentityProvider.token="$token" --ServerApp.root_dir="$ROOT" --FileCheckpoints.checkpoint_dir="$work/checkpoints" \
	--LabApp.user_settings_dir="$settings" --LabApp.workspaces_dir="$work/workspaces" \
	--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	--LabApp.extension_manager=readonly --ServerApp.allow_root=True \
	>"$work/jupyterlab.log" 2>&1 &
lab_pid=$!

for _ in $(seq 120); do
	if curl -fsS -o /dev/null "http://127.0.0.1:$port/api/status?token=$token" 2>/dev/null; then break; fi
	kill -0 "$lab_pid" 2>/dev/null || { say "JupyterLab exited:"; tail -20 "$work/jupyterlab.log"; exit 1; }
	sleep 0.5
done

# ---------------------------------------------------------------- the browser
mkdir -p "$(dirname "$SHOT")"
status=0
node scripts/browser_test.mjs \
	--url "http://127.0.0.1:$port" --token "$token" --notebook "$NOTEBOOK" \
	--expect "$EXPECT" --screenshot "$SHOT" --timeout "$TIMEOUT" --chromium "$CHROMIUM" "${extra[@]}" || status=$?
if [ "$status" != 0 ]; then
	say "JupyterLab log (last lines):"
	tail -n 15 "$work/jupyterlab.log" | sed 's/token=[0-9a-f]*/token=…/g'
fi
exit "$status"
