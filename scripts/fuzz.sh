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
  ./trained:FuzzLoadWeights
  ./run:FuzzParseRunJSON
  ./run:FuzzParseLosses
  ./data:FuzzReadIDX
  ./data:FuzzReadCIFAR10Batch
)
counts=$(mktemp -d)
trap 'rm -rf "$counts"' EXIT
for t in "${targets[@]}"; do
  pkg=${t%%:*} name=${t##*:}
  note=""
  if ! DDPM_FUZZ_COUNT_DIR=$counts go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" > "$counts/log" 2>&1; then
    # go test -fuzz itself sometimes ends with "context deadline exceeded"
    # when a slow worker answers after -fuzztime ran out: no input failed then.
    if grep -q "context deadline exceeded" "$counts/log" && ! grep -q "Failing input written" "$counts/log"; then
      note=" (go test -fuzz ended with 'context deadline exceeded' at shutdown; no input failed)"
    else
      cat "$counts/log"
      echo "fuzz: $name FAILED (see above)"
      exit 1
    fi
  fi
  n=0
  for f in "$counts/$name"-*; do [ -f "$f" ] && n=$((n + $(cat "$f"))); done
  echo "fuzz: $name ($pkg): $n executions in $FUZZTIME, no failure$note"
done
