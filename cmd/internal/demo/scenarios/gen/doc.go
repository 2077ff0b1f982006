// Package gen builds the demo scenario files that `flytedoctor demo` serves, three per scenario:
//
//   - <name>.json, the fakeadmin fixture (executions, node and task executions);
//   - <name>.kube.json, a v1 List of what the cluster shows when flytedoctor runs: the
//     execution's pods (or their absence), events, nodes, the namespace's service account,
//     ResourceQuota and LimitRange, and another execution's pod and events;
//   - <name>.storage.json, an s3stub.Spec: the objects the fixture's URIs name, and deny rules.
//
// The files are generated rather than hand-written so that pod names, labels, unique node ids,
// storage paths, timestamps and error texts follow flytepropeller's rules and agree across the
// three files, and so that the 1,000-child fan-out stays reviewable. Kubernetes objects take
// their names and times from the Admin attempts; storage objects are the Admin URIs.
//
// After editing, run `go generate` here; TestGoldens fails while the committed files are stale
// or when a committed file is no longer generated.
package gen

//go:generate env UPDATE_SCENARIOS=1 go test -run TestGoldens .
