#!/usr/bin/env bash
# install-jax-peer.sh: a virtual environment .venv-jax (repository root) with
# the pinned JAX of bench/peer_jax.py, idempotently. jaxlib 0.10.2 carries
# the XLA CPU compiler of the same generation as our PJRT CPU plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if .venv-jax/bin/python -c 'import jax, sys; sys.exit(jax.__version__ != "0.10.2")' 2>/dev/null; then
	echo "install-jax-peer: .venv-jax has jax 0.10.2"
	exit 0
fi
"$PY" -m venv .venv-jax
.venv-jax/bin/pip install -q jax==0.10.2 jaxlib==0.10.2
echo "install-jax-peer: .venv-jax ready ($(.venv-jax/bin/python -c 'import jax; print("jax", jax.__version__)'))"
