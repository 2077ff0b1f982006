package kube

// Permission is one RBAC verb the collector uses. docs/rbac.yaml grants exactly these.
type Permission struct {
	Group       string // "" is the core group
	Resource    string
	Subresource string
	Verb        string
	Namespaced  bool
	Why         string
}

// Permissions lists every verb the collector may use. Nothing writes, and secrets are never read:
// env and volume references are names taken from the pod spec.
func Permissions() []Permission {
	return []Permission{
		{Resource: "pods", Verb: "list", Namespaced: true, Why: "the execution's pods, by label execution-id"},
		{Resource: "pods", Verb: "get", Namespaced: true, Why: "read access to pods, needed with pods/log"},
		{Resource: "pods", Subresource: "log", Verb: "get", Namespaced: true, Why: "log tail of a failed container (--logs)"},
		{Resource: "events", Verb: "list", Namespaced: true, Why: "kubelet and scheduler events of the pods and quotas"},
		{Resource: "events", Verb: "get", Namespaced: true, Why: "read access to events"},
		{Resource: "resourcequotas", Verb: "list", Namespaced: true, Why: "quota hard and used when a pod waits for resources"},
		{Resource: "resourcequotas", Verb: "get", Namespaced: true, Why: "read access to quotas"},
		{Resource: "limitranges", Verb: "list", Namespaced: true, Why: "default and maximum requests when a pod waits for resources"},
		{Resource: "limitranges", Verb: "get", Namespaced: true, Why: "read access to limit ranges"},
		{Resource: "serviceaccounts", Verb: "get", Namespaced: true, Why: "the pods' service account exists and its cloud identity annotation"},
		{Resource: "serviceaccounts", Verb: "list", Namespaced: true, Why: "read access to service accounts"},
		{Resource: "nodes", Verb: "list", Why: "allocatable, taints and labels when a pod cannot be scheduled"},
		{Resource: "nodes", Verb: "get", Why: "read access to nodes"},
	}
}
