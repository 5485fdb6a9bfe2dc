#!/usr/bin/env bash
# find-cuda-plugin.sh: makes go-xla (v0.3.0 and v0.4.1; GoMLX "xla" backend) use the CUDA PJRT plugin of a
# pip-installed JAX (jax-cuda13-pjrt / jax-cuda12-pjrt) and NVIDIA's pip libraries, offline.
#
# Usage:   eval "$(scripts/find-cuda-plugin.sh)"     then run the Go binary (GOMLX_BACKEND=xla or xla:cuda).
# Prints `export` lines on stdout; diagnostics go to stderr as "find-cuda-plugin: ..." lines.
# Exit status 1 (and nothing on stdout) if no plugin is found.
#
# Why each export (go-xla v0.3.0 source):
#  - go-xla only finds plugins named pjrt_c_api_<name>_plugin.so (or pjrt[-_]plugin[-_]<name>.so)
#    in the dirs of PJRT_PLUGIN_LIBRARY_PATH (pjrt/dynamiclib_base.go); jax ships the plugin as
#    jax_plugins/xla_cuda13/xla_cuda_plugin.so. So we make a link dir
#        $LINKDIR/lib/pjrt_c_api_cuda_plugin.so -> <site-packages>/jax_plugins/xla_cuda13/xla_cuda_plugin.so
#        $LINKDIR/nvidia                        -> <site-packages>/nvidia
#    The plugin's RPATH is $ORIGIN/../../nvidia/cu13/lib:$ORIGIN/../nvidia/cu13/lib:... and glibc takes
#    $ORIGIN from the path given to dlopen (the link, not its target), so $LINKDIR/lib/../nvidia must
#    exist; go-xla (pjrt/cuda_linux.go cudaNVidiaPath) also looks for <dir of plugin dir>/nvidia.
#  - PJRT_PLUGIN_LIBRARY_PATH replaces go-xla's default search dirs (~/.local/lib/go-xla, ...), so
#    those that exist are appended, to keep the CPU plugin available.
#  - LD_LIBRARY_PATH: every <site-packages>/nvidia/*/lib (what jax's Python preloads with ctypes).
#  - XLA_FLAGS=--xla_gpu_cuda_data_dir=<dir with bin/ptxas> (+ PATH), for ptxas and libdevice;
#    when set, go-xla does not override it with its own guess.
#  - GOMLX_NO_AUTO_INSTALL=1: otherwise xla.New runs go-xla's AutoInstall, which on a GPU machine
#    downloads the CUDA plugin from PyPI into ~/.local/lib/go-xla/nvidia (and the CPU plugin from
#    GitHub) and fails the backend creation when offline (compute/xla/xla.go).
#
# Environment: PYTHON (default python3), GOXLA_CUDA_LINK_DIR (default ${TMPDIR:-/tmp}/go-xla-cuda-$UID),
# JAX_CUDA_PLUGIN (explicit path of xla_cuda_plugin.so; skips the Python lookup), NO_CHECK=1 (skip the
# dlopen/GetPjrtApi check), GOXLA_PLUGIN_DIR (CPU plugin dir of scripts/install-xla-cpu.sh).
set -u

say() { echo "find-cuda-plugin: $*" >&2; }
die() { say "$*"; exit 1; }

PY="${PYTHON:-python3}"
PLUGIN="${JAX_CUDA_PLUGIN:-}"
NVIDIA=""
PKGVER=""

if [ -z "$PLUGIN" ]; then
  command -v "$PY" >/dev/null 2>&1 || die "no $PY; set PYTHON or JAX_CUDA_PLUGIN=/path/to/xla_cuda_plugin.so"
  # importlib.util.find_spec("jax_plugins.xla_cudaNN") imports only the namespace package
  # jax_plugins, not the plugin's __init__ (which imports jax). jax_plugins has no __file__.
  out=$("$PY" - <<'EOF'
import importlib.util, importlib.metadata, os, sys
for mod, dist in (("xla_cuda13", "jax-cuda13-pjrt"), ("xla_cuda12", "jax-cuda12-pjrt")):
    try:
        spec = importlib.util.find_spec("jax_plugins." + mod)
    except Exception:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        continue
    for loc in spec.submodule_search_locations:
        so = os.path.join(os.path.realpath(loc), "xla_cuda_plugin.so")
        if os.path.isfile(so):
            try:
                ver = importlib.metadata.version(dist)
            except Exception:
                ver = "?"
            print("PLUGIN=" + so)
            print("PKGVER=%s %s" % (dist, ver))
            site = os.path.dirname(os.path.dirname(os.path.dirname(so)))
            nv = os.path.join(site, "nvidia")
            if not os.path.isdir(nv):
                try:
                    s = importlib.util.find_spec("nvidia")
                    locs = [l for l in (s.submodule_search_locations or []) if os.path.isdir(l)] if s else []
                    nv = os.path.realpath(locs[0]) if locs else ""
                except Exception:
                    nv = ""
            print("NVIDIA=" + nv)
            sys.exit(0)
sys.exit(3)
EOF
  ) || die "no jax_plugins.xla_cuda13 / xla_cuda12 with xla_cuda_plugin.so visible to $PY ($(command -v "$PY")); pip install jax-cuda13-pjrt, or set PYTHON / JAX_CUDA_PLUGIN"
  while IFS= read -r line; do
    case "$line" in
      PLUGIN=*) PLUGIN="${line#PLUGIN=}" ;;
      PKGVER=*) PKGVER="${line#PKGVER=}" ;;
      NVIDIA=*) NVIDIA="${line#NVIDIA=}" ;;
    esac
  done <<<"$out"
fi
[ -n "$PLUGIN" ] && [ -f "$PLUGIN" ] || die "plugin file not found: '${PLUGIN}'"
PLUGIN=$(readlink -f "$PLUGIN")
if [ -z "$NVIDIA" ]; then
  cand="$(dirname "$(dirname "$(dirname "$PLUGIN")")")/nvidia"   # <site-packages>/nvidia
  [ -d "$cand" ] && NVIDIA="$cand"
fi
[ -n "$NVIDIA" ] && NVIDIA=$(readlink -f "$NVIDIA")

# Link dir with the names go-xla and the plugin's RPATH expect.
LINKDIR="${GOXLA_CUDA_LINK_DIR:-${TMPDIR:-/tmp}/go-xla-cuda-$(id -u)}"
mkdir -p "$LINKDIR/lib" 2>/dev/null || die "cannot create $LINKDIR/lib"
ln -sfn "$PLUGIN" "$LINKDIR/lib/pjrt_c_api_cuda_plugin.so" 2>/dev/null || die "cannot create $LINKDIR/lib/pjrt_c_api_cuda_plugin.so"
if [ -n "$NVIDIA" ]; then
  ln -sfn "$NVIDIA" "$LINKDIR/nvidia" 2>/dev/null || die "cannot create $LINKDIR/nvidia"
else
  rm -f "$LINKDIR/nvidia" 2>/dev/null
  say "warning: no <site-packages>/nvidia directory found; relying on system CUDA libraries (LD_LIBRARY_PATH / ldconfig)"
fi

# Plugin search path: our link dir first, then the user's setting or go-xla's default dirs that exist.
PJRT_PATH="$LINKDIR/lib"
if [ -n "${PJRT_PLUGIN_LIBRARY_PATH+x}" ]; then
  [ -n "$PJRT_PLUGIN_LIBRARY_PATH" ] && PJRT_PATH="$PJRT_PATH:$PJRT_PLUGIN_LIBRARY_PATH"
else
  for d in "${GOXLA_PLUGIN_DIR:-}" "${HOME:-/nonexistent}/.local/lib/go-xla" /usr/local/lib/go-xla; do
    [ -n "$d" ] && [ -d "$d" ] && case ":$PJRT_PATH:" in *":$d:"*) ;; *) PJRT_PATH="$PJRT_PATH:$d" ;; esac
  done
fi

# NVIDIA libraries, CUDA 13 layout (nvidia/cu13/lib) first, then every other nvidia/*/lib.
LDP=""
DATADIR=""
if [ -n "$NVIDIA" ]; then
  for d in "$NVIDIA"/cu13/lib "$NVIDIA"/*/lib; do
    [ -d "$d" ] || continue
    case ":$LDP:" in *":$d:"*) ;; *) LDP="${LDP:+$LDP:}$d" ;; esac
  done
  # CUDA "data dir": holds bin/ptxas and, ideally, nvvm/libdevice (cu13 for CUDA 13, cuda_nvcc for 12).
  for d in "$NVIDIA"/cu13 "$NVIDIA"/cuda_nvcc "$NVIDIA"/*; do
    if [ -x "$d/bin/ptxas" ] && [ -d "$d/nvvm/libdevice" ]; then DATADIR="$d"; break; fi
  done
  if [ -z "$DATADIR" ]; then
    for d in "$NVIDIA"/cu13 "$NVIDIA"/cuda_nvcc "$NVIDIA"/*; do
      if [ -x "$d/bin/ptxas" ]; then DATADIR="$d"; break; fi
    done
  fi
  [ -n "$DATADIR" ] || say "warning: no ptxas under $NVIDIA/*/bin (pip install nvidia-cuda-nvcc); XLA may fall back to nvjitlink or fail to compile"
  [ -n "$DATADIR" ] && [ ! -d "$DATADIR/nvvm/libdevice" ] && say "warning: no $DATADIR/nvvm/libdevice (pip install nvidia-nvvm)"
fi

# Optional check: the plugin loads here and reports its PJRT C API version (no GPU needed).
if [ "${NO_CHECK:-0}" != 1 ] && command -v "$PY" >/dev/null 2>&1; then
  api=$(LD_LIBRARY_PATH="${LDP}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" TF_CPP_MIN_LOG_LEVEL=3 \
        "$PY" "$(dirname "${BASH_SOURCE[0]}")/pjrt_api_version.py" "$LINKDIR/lib/pjrt_c_api_cuda_plugin.so" 2>/dev/null
  ) || api=""
  if [ -n "$api" ]; then
    say "found ${PKGVER:-CUDA plugin} at $PLUGIN (PJRT C API v$api; go-xla v0.4.1 is built for v0.104)"
  else
    say "warning: could not dlopen $LINKDIR/lib/pjrt_c_api_cuda_plugin.so / call GetPjrtApi from $PY"
  fi
else
  say "found ${PKGVER:-CUDA plugin} at $PLUGIN"
fi
[ -e /dev/nvidiactl ] || [ -e /dev/nvidia0 ] || say "warning: no /dev/nvidia* here: go-xla skips CUDA plugins on machines without a GPU"

# The export lines.
printf 'export PJRT_PLUGIN_LIBRARY_PATH=%q\n' "$PJRT_PATH"
if [ -n "$LDP" ]; then
  printf 'export LD_LIBRARY_PATH=%q\n' "${LDP}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ -n "$DATADIR" ]; then
  case " ${XLA_FLAGS:-} " in
    *--xla_gpu_cuda_data_dir*) ;;   # the user's own setting wins
    *) printf 'export XLA_FLAGS=%q\n' "${XLA_FLAGS:+$XLA_FLAGS }--xla_gpu_cuda_data_dir=$DATADIR" ;;
  esac
  case ":${PATH:-}:" in
    *":$DATADIR/bin:"*) ;;
    *) printf 'export PATH=%q\n' "$DATADIR/bin${PATH:+:$PATH}" ;;
  esac
fi
printf 'export GOMLX_NO_AUTO_INSTALL=1\n'
printf '# GoMLX: GOMLX_BACKEND=xla picks "cuda" before "cpu"; or force it with: export GOMLX_BACKEND=xla:cuda\n'
exit 0
