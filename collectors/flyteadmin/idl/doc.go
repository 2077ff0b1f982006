// Package idl holds flytedoctor's own minimal, wire-compatible subset of the
// Flyte Admin API (flyteidl v1.16).
//
// flyteidl is not published on the Go module proxy, so flytedoctor carries
// hand-written .proto files under protos/flyteidl/{core,admin,event,service}.
// They use the same proto packages (flyteidl.core, flyteidl.admin,
// flyteidl.event, flyteidl.service), message and field names, field numbers,
// enum values and gRPC service/method names as flyteidl v1.16.8, so the
// generated client talks to a real flyteadmin and a fake server built on the
// generated server interfaces looks like one on the wire. Only what a
// diagnostics client reads is declared: read-only AdminService calls, the
// AuthMetadataService discovery calls, and the messages they return. Nested
// messages we never inspect are declared as bytes under the upstream field
// number, which decodes the same wire data without interpreting it.
//
// The generated Go packages live in gen/{core,admin,event,service} and are
// committed. After editing a .proto file, regenerate them from the repository
// root with
//
//	make proto
//
// and verify with make proto-check (which CI runs through make test). Both use
// protoc 3.21.12 with the pinned protoc-gen-go and protoc-gen-go-grpc plugins
// that make tools installs.
package idl
