#!/usr/bin/env bash
# install-peer.sh: install the PyTorch peer of the benchmark (bench/peer.py) on
# a Debian 12 machine, idempotently. One line per step; exit 1 with a one-line
# reason if torch cannot be had.
#
#   bash bench/install-peer.sh            # install (as root, or with sudo available)
#   PEER_PYTHON=/usr/bin/python3          # the interpreter that sees Debian's python3-torch
#
# Why Debian's python3-torch (1.13.1) and not PyPI's torch: PyPI's is a
# multi-GB CUDA build. Debian's torch links the generic libblas.so.3 /
# liblapack.so.3, whose default is the slow reference BLAS (2–5 GFLOP/s on
# sgemm); we point both alternatives at OpenBLAS built with OpenMP
# (libopenblas0-openmp), so that torch.set_num_threads / OMP_NUM_THREADS
# govern its threads. If the alternatives cannot be changed (not root), the
# script prints the LD_LIBRARY_PATH to use instead; bench.RunPeer sets it
# itself whenever that folder exists.
set -u -o pipefail

PY=${PEER_PYTHON:-/usr/bin/python3}
ARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
OMPDIR=/usr/lib/$ARCH/openblas-openmp

say() { echo "install-peer: $*"; }
die() { echo "install-peer: FAILED: $*" >&2; exit 1; }

SUDO=
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi

have_pkgs() { dpkg-query -W -f='${Status}\n' python3-torch libopenblas0-openmp 2>/dev/null | grep -c '^install ok installed$' | grep -q '^2$'; }

# 1. packages
if have_pkgs; then
    say "step 1/4 packages: python3-torch and libopenblas0-openmp already installed"
else
    command -v apt-get >/dev/null 2>&1 || die "no apt-get: this installer is for Debian 12 (python3-torch 1.13.1)"
    if [ "$(id -u)" != 0 ] && [ -z "$SUDO" ]; then
        die "python3-torch is not installed and this user cannot run apt-get (run as root: apt-get install -y python3-torch libopenblas0-openmp)"
    fi
    say "step 1/4 packages: apt-get update"
    $SUDO apt-get update -qq >/tmp/install-peer-apt.log 2>&1 || die "apt-get update failed (see /tmp/install-peer-apt.log)"
    say "step 1/4 packages: apt-get install -y python3-torch libopenblas0-openmp (a few hundred MB)"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch libopenblas0-openmp \
        >>/tmp/install-peer-apt.log 2>&1 || die "apt-get install python3-torch libopenblas0-openmp failed (see /tmp/install-peer-apt.log)"
    have_pkgs || die "python3-torch or libopenblas0-openmp still not installed after apt-get"
    say "step 1/4 packages: installed"
fi

# 2. torch importable from the Debian interpreter
[ -x "$PY" ] || die "$PY not found (Debian's python3-torch installs for /usr/bin/python3; set PEER_PYTHON)"
TV=$("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null) || die "$PY -c 'import torch' fails ($("$PY" -c 'import torch' 2>&1 | tail -1))"
say "step 2/4 torch: $PY imports torch $TV"

# 3. BLAS: generic libblas.so.3 / liblapack.so.3 → OpenBLAS-openmp
[ -e "$OMPDIR/libblas.so.3" ] || die "$OMPDIR/libblas.so.3 missing (libopenblas0-openmp not installed correctly)"
blas_now() { readlink -f "/usr/lib/$ARCH/libblas.so.3"; }
lapack_now() { readlink -f "/usr/lib/$ARCH/liblapack.so.3"; }
want_blas=$(readlink -f "$OMPDIR/libblas.so.3")
want_lapack=$(readlink -f "$OMPDIR/liblapack.so.3")
if [ "$(blas_now)" = "$want_blas" ] && [ "$(lapack_now)" = "$want_lapack" ]; then
    say "step 3/4 BLAS: libblas.so.3 and liblapack.so.3 already point to OpenBLAS-openmp ($OMPDIR)"
elif [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
    $SUDO update-alternatives --set "libblas.so.3-$ARCH" "$OMPDIR/libblas.so.3" >/dev/null 2>&1 &&
    $SUDO update-alternatives --set "liblapack.so.3-$ARCH" "$OMPDIR/liblapack.so.3" >/dev/null 2>&1 ||
        die "update-alternatives --set libblas.so.3-$ARCH $OMPDIR/libblas.so.3 failed"
    say "step 3/4 BLAS: update-alternatives now point libblas.so.3 / liblapack.so.3 to $OMPDIR"
else
    export LD_LIBRARY_PATH=$OMPDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    say "step 3/4 BLAS: cannot change the alternatives (not root); use LD_LIBRARY_PATH=$OMPDIR (bench.RunPeer does)"
fi

# 4. verify: which BLAS torch loaded, and a 2048² sgemm rate
out=$(OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)} "$PY" - <<'EOF' 2>&1
import time, os, torch
n = int(os.environ.get("OMP_NUM_THREADS", "1"))
torch.set_num_threads(n)
a = torch.randn(2048, 2048); b = torch.randn(2048, 2048)
# torch.mm goes to its BLAS (sgemm); check which libraries the process mapped.
for _ in range(2): torch.mm(a, b)
best = float("inf")
for _ in range(5):
    t0 = time.perf_counter(); torch.mm(a, b); best = min(best, time.perf_counter() - t0)
libs = sorted({l.split()[-1].rsplit("/", 2)[-2] + "/" + l.split()[-1].rsplit("/", 1)[-1]
               for l in open("/proc/self/maps") if ("blas" in l or "lapack" in l) and "/" in l})
print("%.1f GFLOP/s with %d threads; loaded: %s" % (2 * 2048**3 / best / 1e9, n, ", ".join(libs) or "no BLAS library mapped"))
EOF
) || die "sgemm check failed: $(echo "$out" | tail -1)"
say "step 4/4 sgemm 2048²: $out"
case "$out" in
    *openblas*) ;;
    *) say "WARNING: torch did not load OpenBLAS; the peer's times would be pessimistic" ;;
esac
say "done: peer ready ($PY, torch $TV)"
