#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 60s) and prints, per
# target, the executions counted by internal/fuzzcount (go test's own figure
# lags far behind). Any failure stops with go test's report: the failing
# input lands in the package's testdata/fuzz/ — commit it as a regression
# seed once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-60s}
targets=(
  ./ckpt:FuzzLoad
  ./experiment:FuzzLoadWeights
  ./experiment:FuzzParseRunJSON
  ./experiment:FuzzParseLosses
  ./data:FuzzReadIDX
  ./data:FuzzReadCIFAR10Batch
)
counts=$(mktemp -d)
trap 'rm -rf "$counts"' EXIT
for t in "${targets[@]}"; do
  pkg=${t%%:*} name=${t##*:}
  if ! DDPM_FUZZ_COUNT_DIR=$counts go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" > "$counts/log" 2>&1; then
    cat "$counts/log"
    echo "fuzz: $name FAILED (see above)"
    exit 1
  fi
  n=0
  for f in "$counts/$name"-*; do [ -f "$f" ] && n=$((n + $(cat "$f"))); done
  echo "fuzz: $name ($pkg): $n executions in $FUZZTIME, no failure"
done
