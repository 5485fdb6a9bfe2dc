#!/usr/bin/env bash
# install-xla-cpu.sh: installs an XLA PJRT CPU plugin for go-xla (v0.3.0, v0.4.1; GoMLX "xla" backend)
# from PyPI, without GitHub.
#
# go-xla's own auto-installer fetches the CPU plugin from GitHub releases
# (gomlx/pjrt-cpu-binaries), which is unreachable on many machines. This script instead takes
# libpjrt_cpu.so from the PyPI wheel fastatomstruct-xla-cpu==2026.6.23 (an unmodified
# zml/pjrt-artifacts "pjrt-cpu_linux-amd64" build, manual-2026-06-23T00-20-00Z, PJRT C API
# v0.106; go-xla v0.3.0 is built against v0.104, and go-xla's own compute/xla and pjrt test
# suites pass with this plugin).
#
# What it writes, all in ${GOXLA_PLUGIN_DIR:-$HOME/.local/lib/go-xla}:
#   libpjrt_cpu-fastatomstruct-xla-cpu-2026.6.23.so  the plugin (a name go-xla does not scan)
#   pjrt_c_api_cpu_plugin.so -> the above             what go-xla finds as plugin "cpu"
#   pjrt_c_api_cpu_v0.104.0_plugin.so -> the above    only when the dir is $HOME/.local/lib/go-xla:
#       go-xla's AutoInstall (run by xla.New unless GOMLX_NO_AUTO_INSTALL is set) checks for exactly
#       this file and otherwise tries GitHub and fails the backend creation. The name is a marker
#       only: the plugin is the 0.106 build above. Set GOXLA_NO_MARKER=1 to skip it (and then set
#       GOMLX_NO_AUTO_INSTALL=1 when running). go-xla v0.4.1's installer looks for
#       pjrt_c_api_cpu_v0.114.0_plugin.so instead; ddpm-go never runs it (package ddpm calls
#       xla.EnableAutoInstall(false) and every build path sets GOMLX_NO_AUTO_INSTALL=1), and with
#       v0.4.1 (C API headers 0.104, as v0.3.0) all of make test passes on this plugin.
# Plus a temporary directory that it removes. pip runs with --no-cache-dir.
#
# Environment:
#   GOXLA_PLUGIN_DIR  target directory (default $HOME/.local/lib/go-xla). A non-default dir must be
#                     put on PJRT_PLUGIN_LIBRARY_PATH, together with GOMLX_NO_AUTO_INSTALL=1.
#   STRICT=1          exit 1 on failure (default: print one line and exit 0).
#   FORCE=1           reinstall, and replace an existing pjrt_c_api_cpu_plugin.so not made by this script.
#   PYTHON            python interpreter used for pip and the load check (default python3).
#
# On failure it prints one line saying the pure-Go backend will be used.
set -u

PKG=fastatomstruct-xla-cpu
VER=2026.6.23
WHEEL=fastatomstruct_xla_cpu-2026.6.23-py3-none-manylinux_2_27_x86_64.whl
WHEEL_SHA256=88b1c430b341b4bea40a37420311c9c75db6e22b46d2ff95b6986577bee6afe9
SO_IN_WHEEL=fastatomstruct_xla_cpu/libpjrt_cpu.so
SO_SHA256=0a0fe56ca17be9efc7b942e89e534e5e0ad4a0f1e369b66d27b62184509015b9
SO_SIZE=273768800
PJRT_API=0.106

DEFAULT_DIR="${HOME:-/nonexistent}/.local/lib/go-xla"
DIR="${GOXLA_PLUGIN_DIR:-$DEFAULT_DIR}"
REAL="libpjrt_cpu-$PKG-$VER.so"
LINK=pjrt_c_api_cpu_plugin.so
MARKER=pjrt_c_api_cpu_v0.104.0_plugin.so   # go-xla v0.3.0 installer/cpu.go: utils.DefaultCPUVersion
PY="${PYTHON:-python3}"
TMP=""

cleanup() { if [ -n "$TMP" ] && [ -d "$TMP" ]; then rm -rf -- "$TMP"; fi; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

fail() {
  echo "install-xla-cpu: $*; the pure-Go backend will be used (XLA CPU plugin not installed)."
  if [ "${STRICT:-0}" = 1 ]; then exit 1; fi
  exit 0
}

want_marker() {
  [ "${GOXLA_NO_MARKER:-0}" = 1 ] && return 1
  local a b
  a=$(cd "$DIR" 2>/dev/null && pwd -P) || return 1
  b=$(cd "$DEFAULT_DIR" 2>/dev/null && pwd -P) || return 1
  [ "$a" = "$b" ]
}

link_points_to_real() { [ -L "$DIR/$1" ] && [ "$(readlink "$DIR/$1")" = "$REAL" ]; }

# Fast path: already installed.
if [ "${FORCE:-0}" != 1 ] && [ -f "$DIR/$REAL" ] && [ "$(stat -c %s "$DIR/$REAL" 2>/dev/null)" = "$SO_SIZE" ] \
   && link_points_to_real "$LINK" && { ! want_marker || [ -e "$DIR/$MARKER" ]; }; then
  echo "install-xla-cpu: already installed: $PKG $VER (PJRT C API v$PJRT_API) at $DIR/$LINK"
  exit 0
fi

# go-xla's own CPU plugin (a real file, not our link) already installed: keep it.
if [ "${FORCE:-0}" != 1 ] && [ -f "$DIR/$MARKER" ] && [ ! -L "$DIR/$MARKER" ]; then
  echo "install-xla-cpu: go-xla's own CPU plugin is already installed at $DIR/$MARKER; nothing to do."
  exit 0
fi

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || fail "only linux/x86_64 is supported (this is $(uname -s)/$(uname -m))"
command -v sha256sum >/dev/null 2>&1 || fail "sha256sum not found"
if [ -e "$DIR/$LINK" ] || [ -L "$DIR/$LINK" ]; then
  if ! link_points_to_real "$LINK" && [ "${FORCE:-0}" != 1 ]; then
    fail "$DIR/$LINK already exists and was not made by this script (rerun with FORCE=1 to replace it)"
  fi
fi

mkdir -p "$DIR" 2>/dev/null && [ -w "$DIR" ] || fail "cannot create or write $DIR"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/install-xla-cpu.XXXXXX" 2>/dev/null) || fail "cannot create a temporary directory"

# 1. Download the wheel by package name and exact version with pip (its sha256 is checked below).
command -v "$PY" >/dev/null 2>&1 && "$PY" -m pip --version >/dev/null 2>&1 || fail "$PY with pip is needed to download $PKG==$VER"
"$PY" -m pip download --no-deps --no-cache-dir --disable-pip-version-check -q \
  --only-binary=:all: -d "$TMP" "$PKG==$VER" >"$TMP/pip.log" 2>&1 && [ -f "$TMP/$WHEEL" ] ||
  fail "pip could not download $PKG==$VER ($(tail -n 1 "$TMP/pip.log" 2>/dev/null))"

# 2. Check the wheel's sha256.
sum=$(sha256sum "$TMP/$WHEEL" | cut -d' ' -f1)
[ "$sum" = "$WHEEL_SHA256" ] || fail "sha256 mismatch for $WHEEL (got $sum)"

# 3. Extract the plugin and check it.
if command -v unzip >/dev/null 2>&1; then
  unzip -p "$TMP/$WHEEL" "$SO_IN_WHEEL" >"$TMP/plugin.so" 2>/dev/null || rm -f "$TMP/plugin.so"
else
  "$PY" -c 'import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$TMP/$WHEEL" "$SO_IN_WHEEL" "$TMP/plugin.so" 2>/dev/null || rm -f "$TMP/plugin.so"
fi
[ -s "$TMP/plugin.so" ] || fail "could not extract $SO_IN_WHEEL from the wheel (need unzip or $PY)"
rm -f "$TMP/$WHEEL"
sum=$(sha256sum "$TMP/plugin.so" | cut -d' ' -f1)
[ "$sum" = "$SO_SHA256" ] || fail "sha256 mismatch for the extracted $SO_IN_WHEEL (got $sum)"

# 4. Check that it loads here and reports the expected PJRT C API version.
ver=$("$PY" "$(dirname "${BASH_SOURCE[0]}")/pjrt_api_version.py" "$TMP/plugin.so" 2>/dev/null) || ver=""
[ -n "$ver" ] || fail "the plugin does not load on this machine (dlopen/GetPjrtApi failed; glibc >= 2.27 needed)"
[ "$ver" = "$PJRT_API" ] || fail "the plugin reports PJRT C API v$ver, expected v$PJRT_API"

# 5. Install atomically (rename within $DIR), then the links.
chmod 0755 "$TMP/plugin.so"
tmpdst="$DIR/.$REAL.tmp.$$"
if ! cp -f "$TMP/plugin.so" "$tmpdst" 2>/dev/null || ! mv -f "$tmpdst" "$DIR/$REAL"; then
  rm -f "$tmpdst"
  fail "cannot write $DIR/$REAL"
fi
ln -sfn "$REAL" "$DIR/$LINK" 2>/dev/null || fail "cannot create the link $DIR/$LINK"
marker_note=""
if want_marker; then
  if [ ! -e "$DIR/$MARKER" ] || [ -L "$DIR/$MARKER" ]; then
    ln -sfn "$REAL" "$DIR/$MARKER" 2>/dev/null || fail "cannot create the link $DIR/$MARKER"
  fi
  marker_note="; go-xla auto-install satisfied"
else
  marker_note="; run with PJRT_PLUGIN_LIBRARY_PATH=$DIR GOMLX_NO_AUTO_INSTALL=1"
fi
echo "install-xla-cpu: installed $PKG $VER (libpjrt_cpu.so, PJRT C API v$PJRT_API, sha256 ${SO_SHA256:0:12}…) at $DIR/$LINK$marker_note"
exit 0
