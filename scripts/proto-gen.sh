#!/usr/bin/env bash
# Regenerate the Go code for flytedoctor's Flyte Admin API subset.
#
#   PROTOC_GEN_GO=... PROTOC_GEN_GO_GRPC=... scripts/proto-gen.sh OUTDIR
#
# Reads collectors/flyteadmin/idl/protos and writes
# OUTDIR/{core,admin,event,service}/*.pb.go. Existing *.pb.go files under
# OUTDIR/{core,admin,event,service} are removed first so that deleted protos
# leave nothing behind.
# Normally run via `make proto`, which installs the pinned plugins.
set -euo pipefail

usage() { echo "usage: PROTOC_GEN_GO=... PROTOC_GEN_GO_GRPC=... $0 OUTDIR" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

: "${PROTOC_GEN_GO:?set PROTOC_GEN_GO to the protoc-gen-go binary (see make proto)}"
: "${PROTOC_GEN_GO_GRPC:?set PROTOC_GEN_GO_GRPC to the protoc-gen-go-grpc binary (see make proto)}"
PROTOC="${PROTOC:-protoc}"
WANT_PROTOC="libprotoc 3.21.12"

abspath() { echo "$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")"; }
for p in "$PROTOC_GEN_GO" "$PROTOC_GEN_GO_GRPC"; do
  [[ -x "$p" ]] || { echo "proto-gen: plugin not executable: $p" >&2; exit 1; }
done
PROTOC_GEN_GO="$(abspath "$PROTOC_GEN_GO")"
PROTOC_GEN_GO_GRPC="$(abspath "$PROTOC_GEN_GO_GRPC")"
command -v "$PROTOC" >/dev/null || { echo "proto-gen: $PROTOC not found (apt: protobuf-compiler)" >&2; exit 1; }
have="$("$PROTOC" --version)"
if [[ "$have" != "$WANT_PROTOC" ]]; then
  # The protoc version is written into every generated header.
  echo "proto-gen: warning: $have found, committed code was made with $WANT_PROTOC" >&2
fi

# Resolve OUTDIR against the caller's cwd, then work from the repo root.
mkdir -p "$1"
outdir="$(cd "$1" && pwd -P)"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

module="github.com/flytedoctor/flytedoctor/collectors/flyteadmin/idl/gen"
protodir="collectors/flyteadmin/idl/protos"

# Sorted, root-relative file list for a stable invocation.
mapfile -t protos < <(cd "$protodir" && find flyteidl -name '*.proto' -type f | LC_ALL=C sort)
[[ ${#protos[@]} -gt 0 ]] || { echo "proto-gen: no .proto files under $protodir" >&2; exit 1; }

for pkg in core admin event service; do
  if [[ -d "$outdir/$pkg" ]]; then
    find "$outdir/$pkg" -maxdepth 1 -name '*.pb.go' -type f -delete
  fi
done

"$PROTOC" \
  -I "$protodir" \
  --plugin=protoc-gen-go="$PROTOC_GEN_GO" \
  --plugin=protoc-gen-go-grpc="$PROTOC_GEN_GO_GRPC" \
  --go_out="$outdir" --go_opt=module="$module" \
  --go-grpc_out="$outdir" --go-grpc_opt=module="$module" \
  "${protos[@]}"
