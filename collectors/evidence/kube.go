package evidence

import "time"

// Kube is what the Kubernetes collector saw in the execution's namespace. Names of
// Kubernetes reasons and phases are kept as the API returns them.
type Kube struct {
	// Context and Server name the cluster that was asked (kubeconfig context, API server URL).
	Context   string `json:"context,omitempty"`
	Server    string `json:"server,omitempty"`
	Namespace string `json:"namespace"`
	// NamespaceSource says where Namespace came from: "admin" (system_metadata), "template"
	// (--namespace-template) or "flag" (--namespace).
	NamespaceSource string `json:"namespace_source,omitempty"`
	Pods            []Pod  `json:"pods,omitempty"`
	// MissingPods are task attempts whose pod no longer exists (Flyte deletes finished pods by
	// default); rules then fall back on Admin's error and reasons.
	MissingPods []PodRef `json:"missing_pods,omitempty"`
	// Events are deduplicated: one entry per object, reason and message, with counts and times.
	Events      []Event         `json:"events,omitempty"`
	Quotas      []ResourceQuota `json:"quotas,omitempty"`
	LimitRanges []LimitRange    `json:"limit_ranges,omitempty"`
	// Nodes is collected only when a pod is pending or unschedulable; nil otherwise.
	Nodes *NodeSummary   `json:"nodes,omitempty"`
	Logs  []ContainerLog `json:"logs,omitempty"`
	// Executions are the execution names whose pods were listed (label execution-id): the root
	// and its child executions in this namespace.
	Executions []string `json:"executions,omitempty"`
	// SchedulingContext is true when Quotas, LimitRanges and Nodes were asked for (a pod or an
	// attempt waited for resources), so empty lists mean "none", not "not read".
	SchedulingContext bool `json:"scheduling_context,omitempty"`
	// ServiceAccounts are the service accounts the execution's pods run as (or would).
	ServiceAccounts []ServiceAccount `json:"service_accounts,omitempty"`
}

// ServiceAccount is a service account in short: whether it exists and which cloud identity it maps to.
type ServiceAccount struct {
	Name     string `json:"name"`
	NotFound bool   `json:"not_found,omitempty"`
	// Annotations holds workload-identity annotations only (eks.amazonaws.com/role-arn, ...).
	Annotations      map[string]string `json:"annotations,omitempty"`
	ImagePullSecrets []string          `json:"image_pull_secrets,omitempty"`
}

// PodRef ties a pod name to the node execution attempt Flyte ran it for.
type PodRef struct {
	Name         string      `json:"name"`
	Execution    ExecutionID `json:"execution"`
	NodeID       string      `json:"node_id"` // unique node id
	RetryAttempt uint32      `json:"retry_attempt"`
	// ExternalIndex is the array-node subtask index, when the pod runs one.
	ExternalIndex *uint32 `json:"external_index,omitempty"`
	// ExternalRetryAttempt is that subtask's own retry attempt.
	ExternalRetryAttempt uint32 `json:"external_retry_attempt,omitempty"`
}

// Pod is a pod's status and the spec essentials a diagnosis needs.
type Pod struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	UID       string            `json:"uid,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	// Attempt is the task attempt this pod belongs to, when it could be matched.
	Attempt           *PodRef        `json:"attempt,omitempty"`
	Phase             string         `json:"phase"`
	Reason            string         `json:"reason,omitempty"`
	Message           string         `json:"message,omitempty"`
	NodeName          string         `json:"node_name,omitempty"`
	QOSClass          string         `json:"qos_class,omitempty"`
	CreatedAt         time.Time      `json:"created_at,omitzero"`
	StartedAt         time.Time      `json:"started_at,omitzero"`
	DeletionTimestamp time.Time      `json:"deletion_timestamp,omitzero"`
	Conditions        []PodCondition `json:"conditions,omitempty"`
	InitContainers    []Container    `json:"init_containers,omitempty"`
	Containers        []Container    `json:"containers,omitempty"`
	Spec              PodSpec        `json:"spec"`
}

// PodCondition is one of PodScheduled, Initialized, ContainersReady, Ready, ...
type PodCondition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	Reason             string    `json:"reason,omitempty"`
	Message            string    `json:"message,omitempty"`
	LastTransitionTime time.Time `json:"last_transition_time,omitzero"`
}

// Container is a container's spec essentials and status.
type Container struct {
	Name         string         `json:"name"`
	Image        string         `json:"image"`
	ImageID      string         `json:"image_id,omitempty"`
	Ready        bool           `json:"ready"`
	RestartCount int32          `json:"restart_count,omitempty"`
	State        ContainerState `json:"state,omitzero"`
	LastState    ContainerState `json:"last_state,omitzero"`
	// Requests and Limits are quantities as strings ("500m", "2Gi"), by resource name.
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
	// EnvNames are the names of env vars; values are never collected.
	EnvNames []string `json:"env_names,omitempty"`
	// SecretRefs and ConfigMapRefs name what env / envFrom read ("name" or "name/key").
	SecretRefs    []string `json:"secret_refs,omitempty"`
	ConfigMapRefs []string `json:"config_map_refs,omitempty"`
}

// ContainerState is the one set state of a container: waiting, running or terminated.
type ContainerState struct {
	State      string    `json:"state,omitempty"` // "waiting", "running" or "terminated"
	Reason     string    `json:"reason,omitempty"`
	Message    string    `json:"message,omitempty"`
	ExitCode   int32     `json:"exit_code,omitempty"`
	Signal     int32     `json:"signal,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// PodSpec holds what scheduling, identity and mounts depend on.
type PodSpec struct {
	ServiceAccount    string            `json:"service_account,omitempty"`
	NodeSelector      map[string]string `json:"node_selector,omitempty"`
	Tolerations       []string          `json:"tolerations,omitempty"` // "key=value:Effect", "key:Exists"
	Affinity          string            `json:"affinity,omitempty"`    // one-line summary
	ImagePullSecrets  []string          `json:"image_pull_secrets,omitempty"`
	PriorityClassName string            `json:"priority_class_name,omitempty"`
	SchedulerName     string            `json:"scheduler_name,omitempty"`
	Volumes           []VolumeRef       `json:"volumes,omitempty"`
}

// VolumeRef is a volume that needs another object: a secret, config map or claim.
type VolumeRef struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // "secret", "configMap", "persistentVolumeClaim", "projected"
	Ref  string `json:"ref"`
}

// Event is a deduplicated Kubernetes event.
type Event struct {
	Kind      string    `json:"kind"` // involved object kind, e.g. Pod, ResourceQuota
	Name      string    `json:"name"`
	Type      string    `json:"type"` // Normal or Warning
	Reason    string    `json:"reason"`
	Message   string    `json:"message"`
	Source    string    `json:"source,omitempty"` // reporting component: kubelet, default-scheduler
	Count     int32     `json:"count"`
	FirstTime time.Time `json:"first_time,omitzero"`
	LastTime  time.Time `json:"last_time,omitzero"`
}

// ResourceQuota is a namespace quota, hard against used.
type ResourceQuota struct {
	Name string            `json:"name"`
	Hard map[string]string `json:"hard,omitempty"`
	Used map[string]string `json:"used,omitempty"`
}

// LimitRange is a namespace's defaults and bounds.
type LimitRange struct {
	Name  string           `json:"name"`
	Items []LimitRangeItem `json:"items,omitempty"`
}

// LimitRangeItem is one limit of a LimitRange.
type LimitRangeItem struct {
	Type           string            `json:"type"` // Container, Pod, PersistentVolumeClaim
	Max            map[string]string `json:"max,omitempty"`
	Min            map[string]string `json:"min,omitempty"`
	Default        map[string]string `json:"default,omitempty"`
	DefaultRequest map[string]string `json:"default_request,omitempty"`
}

// NodeSummary is the cluster's nodes in short: enough to explain why a pod cannot be placed.
type NodeSummary struct {
	Total int        `json:"total"`
	Nodes []NodeInfo `json:"nodes,omitempty"`
	// SelectorLabels are label keys kept on every node besides the well-known ones because the
	// execution's pods select on them (node selector, required node affinity): a node without
	// one of them does not carry it.
	SelectorLabels []string `json:"selector_labels,omitempty"`
}

// NodeInfo is one node in short.
type NodeInfo struct {
	Name          string            `json:"name"`
	Ready         bool              `json:"ready"`
	Unschedulable bool              `json:"unschedulable,omitempty"`
	Taints        []string          `json:"taints,omitempty"` // "key=value:Effect"
	Labels        map[string]string `json:"labels,omitempty"` // well-known scheduling labels only
	Allocatable   map[string]string `json:"allocatable,omitempty"`
}

// ContainerLog is a bounded tail of a container's log.
type ContainerLog struct {
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Previous  bool   `json:"previous,omitempty"`
	Text      string `json:"text"`
	Truncated bool   `json:"truncated,omitempty"`
}
