#!/usr/bin/env bash
# Fail when collectors/flyteadmin/idl/gen does not match what the protos
# generate. Needs PROTOC_GEN_GO and PROTOC_GEN_GO_GRPC like proto-gen.sh;
# normally run via `make proto-check`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
committed="collectors/flyteadmin/idl/gen"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

scripts/proto-gen.sh "$tmp/gen"
mkdir -p "$committed"

if ! diff -r -q "$committed" "$tmp/gen" >"$tmp/summary" 2>&1; then
  echo "generated code is stale: run make proto" >&2
  sed -e "s#$tmp/gen#<regenerated>#g" "$tmp/summary" >&2
  exit 1
fi
