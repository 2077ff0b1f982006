// Package kube collects the Kubernetes side of a Flyte execution into an evidence.Kube: the
// pods of its task attempts (status and spec essentials), their events, and, when something
// waited for resources, the namespace's quotas and limit ranges and a summary of the nodes.
//
// Calls stay at a few LISTs: pods by label selector (execution-id), events by field selector
// (involvedObject.kind), each paged; nodes, quotas and limit ranges only when scheduling
// matters; log tails only when asked and a container failed. Every call is counted and a
// failed call (403 included) is recorded as a CollectionError while collection goes on. The
// collector only reads; Permissions lists what it needs and docs/rbac.yaml grants exactly that.
package kube
