#!/usr/bin/env bash
# Runs every native Go fuzz target (func FuzzXxx in a _test.go file) for FUZZTIME each: one
# `go test -fuzz` per target, since Go fuzzes one target per invocation. Targets are found with
# `go test -list`, so a new one needs no list to be kept up to date. A crasher is written to the
# package's testdata/fuzz/FuzzXxx/ (commit it with the fix) and fails the run.
#
#   scripts/fuzz.sh [FUZZTIME] [package ...]     e.g. scripts/fuzz.sh 30s ./rules
#
# FUZZPARALLEL (default 1) sets -parallel; FUZZMINIMIZE (default 2000x) sets -fuzzminimizetime,
# which also bounds the minimisation of each new interesting input (Go's default is 60 s each).
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
fuzztime=${1:-30s}
shift || true
if [ $# -gt 0 ]; then
  pkgs=("$@")
else
  mapfile -t pkgs < <(grep -rl --include='*_test.go' '^func Fuzz[A-Z]' . | xargs -n1 dirname | sort -u)
fi

status=0
printf '%-58s %8s %12s %6s  %s\n' target time execs new result
for pkg in "${pkgs[@]}"; do
  targets=$($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz') || { echo "$pkg: go test -list failed" >&2; status=1; continue; }
  for target in $targets; do
    corpus="$pkg/testdata/fuzz/$target"
    before=$(ls "$corpus" 2>/dev/null | sort)
    log=$(mktemp)
    $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime "${FUZZMINIMIZE:-2000x}" \
      -parallel "${FUZZPARALLEL:-1}" "$pkg" >"$log" 2>&1
    rc=$?
    new=$(comm -13 <(echo "$before") <(ls "$corpus" 2>/dev/null | sort))
    # fuzz: elapsed: 30s, execs: 123456 (4115/sec), new interesting: 12 (total: 40)
    last=$(grep '^fuzz: elapsed' "$log" | tail -1)
    elapsed=$(sed -n 's/.*elapsed: \([^,]*\),.*/\1/p' <<<"$last")
    execs=$(sed -n 's/.*execs: \([0-9]*\).*/\1/p' <<<"$last")
    interesting=$(sed -n 's/.*new interesting: \([0-9]*\).*/\1/p' <<<"$last")
    result=ok
    if [ $rc -ne 0 ]; then
      if [ -z "$new" ] && grep -q 'context deadline exceeded' "$log" && ! grep -q -- '--- FAIL: .*/' "$log" &&
        ! grep -q 'Failing input written' "$log"; then
        # go1.26's coordinator can report its own -fuzztime deadline as a failure (go.dev/issue/75804).
        result="ok (Go reported its own deadline; nothing found)"
      else
        result="FAILED: ${new:-see the log below}"
        status=1
        sed -n '/--- FAIL/,$p' "$log" | head -40 >&2
      fi
    fi
    printf '%-58s %8s %12s %6s  %s\n' "$pkg $target" "${elapsed:-?}" "${execs:-?}" "${interesting:-?}" "$result"
    rm -f "$log"
  done
done
exit $status
