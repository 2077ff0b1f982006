package evidence

import "time"

// Execution is a workflow execution as Flyte Admin reports it, with its node tree.
type Execution struct {
	ID    ExecutionID     `json:"id"`
	Phase string          `json:"phase"`
	Error *ExecutionError `json:"error,omitempty"`
	// AbortCause is set when the execution was aborted (closure.abort_metadata or abort_cause).
	AbortCause     string     `json:"abort_cause,omitempty"`
	AbortPrincipal string     `json:"abort_principal,omitempty"`
	LaunchPlan     Identifier `json:"launch_plan,omitzero"`
	Workflow       Identifier `json:"workflow,omitzero"`
	Mode           string     `json:"mode,omitempty"`
	Principal      string     `json:"principal,omitempty"`
	Nesting        uint32     `json:"nesting,omitempty"`
	// Namespace is the Kubernetes namespace Admin resolved (spec.metadata.system_metadata.namespace).
	Namespace string `json:"namespace,omitempty"`
	Cluster   string `json:"cluster,omitempty"`
	// ParentNode is set on child executions launched by a launch-plan node.
	ParentNode      *NodeRef          `json:"parent_node,omitempty"`
	RawOutputPrefix string            `json:"raw_output_prefix,omitempty"`
	IAMRole         string            `json:"iam_role,omitempty"`
	ServiceAccount  string            `json:"service_account,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	CreatedAt       time.Time         `json:"created_at,omitzero"`
	StartedAt       time.Time         `json:"started_at,omitzero"`
	UpdatedAt       time.Time         `json:"updated_at,omitzero"`
	Duration        Duration          `json:"duration,omitempty"`
	// InputsURI and OutputsURI come from GetExecutionData.
	InputsURI  string `json:"inputs_uri,omitempty"`
	OutputsURI string `json:"outputs_uri,omitempty"`
	// Nodes are the top-level node executions in Admin order, without start-node and end-node.
	Nodes []*Node `json:"nodes,omitempty"`
}

// NodeRef points at a node execution of some execution.
type NodeRef struct {
	Execution ExecutionID `json:"execution"`
	NodeID    string      `json:"node_id"`
}

// Error kinds: core.ExecutionError's kind, by its enum name.
const (
	ErrorKindUser   = "USER"
	ErrorKindSystem = "SYSTEM"
)

// ExecutionError is Flyte's core.ExecutionError.
type ExecutionError struct {
	Code     string    `json:"code,omitempty"`
	Message  string    `json:"message,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	ErrorURI string    `json:"error_uri,omitempty"`
	Time     time.Time `json:"timestamp,omitzero"`
	Worker   string    `json:"worker,omitempty"`
}

// Node is one node execution. Parent nodes (subworkflow, dynamic, branch) carry their children;
// launch-plan nodes carry the child execution.
type Node struct {
	ID         string          `json:"id"`
	SpecNodeID string          `json:"spec_node_id,omitempty"`
	ParentID   string          `json:"parent_id,omitempty"`
	RetryGroup string          `json:"retry_group,omitempty"`
	Phase      string          `json:"phase"`
	Error      *ExecutionError `json:"error,omitempty"`
	// ErrorTrimmed is true when the message comes from a list call, which trims it to 100 bytes,
	// because the full node execution could not be read.
	ErrorTrimmed bool      `json:"error_trimmed,omitempty"`
	Kind         NodeKind  `json:"kind"`
	IsParent     bool      `json:"is_parent,omitempty"`
	IsDynamic    bool      `json:"is_dynamic,omitempty"`
	IsArray      bool      `json:"is_array,omitempty"`
	IsEager      bool      `json:"is_eager,omitempty"`
	CacheStatus  string    `json:"cache_status,omitempty"`
	InputURI     string    `json:"input_uri,omitempty"`
	OutputURI    string    `json:"output_uri,omitempty"`
	DeckURI      string    `json:"deck_uri,omitempty"`
	CreatedAt    time.Time `json:"created_at,omitzero"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	UpdatedAt    time.Time `json:"updated_at,omitzero"`
	Duration     Duration  `json:"duration,omitempty"`
	// ChildExecutionID is the execution a launch-plan node started.
	ChildExecutionID *ExecutionID `json:"child_execution_id,omitempty"`
	// ChildExecution is that execution, collected when the node did not succeed.
	ChildExecution *Execution `json:"child_execution,omitempty"`
	// Children are the node executions under a parent node; collected when it did not succeed.
	Children []*Node `json:"children,omitempty"`
	// ChildrenCollected tells an empty Children list apart from one that was not read.
	ChildrenCollected bool `json:"children_collected,omitempty"`
	// Attempts are the task executions (every retry), read for nodes that did not succeed.
	Attempts []*TaskAttempt `json:"attempts,omitempty"`
}

// NodeKind says what a node runs.
type NodeKind string

// Node kinds, derived from Admin's node metadata.
const (
	KindTask        NodeKind = "task"
	KindSubworkflow NodeKind = "subworkflow" // also branch nodes: a parent that is neither dynamic nor array
	KindDynamic     NodeKind = "dynamic"
	KindArray       NodeKind = "array"
	KindLaunchPlan  NodeKind = "launchplan"
)

// TaskAttempt is one task execution (one retry attempt) of a node.
type TaskAttempt struct {
	TaskID       Identifier      `json:"task_id"`
	RetryAttempt uint32          `json:"retry_attempt"`
	Phase        string          `json:"phase"`
	Error        *ExecutionError `json:"error,omitempty"`
	// Reason is the latest phase reason; Reasons is the history Admin kept (with k8s event notes
	// when propeller sends object events).
	Reason       string    `json:"reason,omitempty"`
	Reasons      []Reason  `json:"reasons,omitempty"`
	TaskType     string    `json:"task_type,omitempty"`
	PluginID     string    `json:"plugin_id,omitempty"`
	EventVersion int32     `json:"event_version,omitempty"`
	Logs         []TaskLog `json:"logs,omitempty"`
	// PodName is metadata.generated_name: the pod name for plain Kubernetes pod tasks.
	PodName           string             `json:"pod_name,omitempty"`
	PrimaryPodName    string             `json:"primary_pod_name,omitempty"`
	Pods              []PodLogContext    `json:"pods,omitempty"`
	ExternalResources []ExternalResource `json:"external_resources,omitempty"`
	InstanceClass     string             `json:"instance_class,omitempty"`
	InputURI          string             `json:"input_uri,omitempty"`
	OutputURI         string             `json:"output_uri,omitempty"`
	CreatedAt         time.Time          `json:"created_at,omitzero"`
	StartedAt         time.Time          `json:"started_at,omitzero"`
	UpdatedAt         time.Time          `json:"updated_at,omitzero"`
	Duration          Duration           `json:"duration,omitempty"`
}

// Reason is one entry of a task attempt's reason history.
type Reason struct {
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	Message    string    `json:"message"`
}

// TaskLog is a log link.
type TaskLog struct {
	Name string `json:"name,omitempty"`
	URI  string `json:"uri"`
}

// PodLogContext names a pod that ran (part of) a task attempt (Flyte v1.16 log_context).
type PodLogContext struct {
	Namespace        string `json:"namespace,omitempty"`
	PodName          string `json:"pod_name"`
	PrimaryContainer string `json:"primary_container,omitempty"`
}

// ExternalResource is one sub-task of a map task / array node, or a plugin's external job.
type ExternalResource struct {
	ExternalID   string    `json:"external_id"`
	Index        uint32    `json:"index"`
	RetryAttempt uint32    `json:"retry_attempt,omitempty"`
	Phase        string    `json:"phase"`
	CacheStatus  string    `json:"cache_status,omitempty"`
	Logs         []TaskLog `json:"logs,omitempty"`
	// ChildExecutionID is set when the sub-task is a launch plan.
	ChildExecutionID *ExecutionID `json:"child_execution_id,omitempty"`
}
