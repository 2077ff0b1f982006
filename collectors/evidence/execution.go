package evidence

import "time"

// Execution is a workflow execution as Flyte Admin reports it, with its node tree.
type Execution struct {
	ID    ExecutionID     `json:"id"`
	Phase string          `json:"phase"`
	Error *ExecutionError `json:"error,omitempty"`
	// AbortCause is set when the execution was aborted (closure.abort_metadata or abort_cause).
	AbortCause     string     `json:"abortCause,omitempty"`
	AbortPrincipal string     `json:"abortPrincipal,omitempty"`
	LaunchPlan     Identifier `json:"launchPlan,omitzero"`
	Workflow       Identifier `json:"workflow,omitzero"`
	Mode           string     `json:"mode,omitempty"`
	Principal      string     `json:"principal,omitempty"`
	Nesting        uint32     `json:"nesting,omitempty"`
	// Namespace is the Kubernetes namespace Admin resolved (spec.metadata.system_metadata.namespace).
	Namespace string `json:"namespace,omitempty"`
	Cluster   string `json:"cluster,omitempty"`
	// ParentNode is set on child executions launched by a launch-plan node.
	ParentNode      *NodeRef          `json:"parentNode,omitempty"`
	RawOutputPrefix string            `json:"rawOutputPrefix,omitempty"`
	IAMRole         string            `json:"iamRole,omitempty"`
	ServiceAccount  string            `json:"serviceAccount,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	CreatedAt       time.Time         `json:"createdAt,omitzero"`
	StartedAt       time.Time         `json:"startedAt,omitzero"`
	UpdatedAt       time.Time         `json:"updatedAt,omitzero"`
	Duration        Duration          `json:"duration,omitempty"`
	// InputsURI and OutputsURI come from GetExecutionData.
	InputsURI  string `json:"inputsUri,omitempty"`
	OutputsURI string `json:"outputsUri,omitempty"`
	// Nodes are the top-level node executions in Admin order, without start-node and end-node.
	Nodes []*Node `json:"nodes,omitempty"`
}

// NodeRef points at a node execution of some execution.
type NodeRef struct {
	Execution ExecutionID `json:"execution"`
	NodeID    string      `json:"nodeId"`
}

// ExecutionError is Flyte's core.ExecutionError.
type ExecutionError struct {
	Code     string    `json:"code,omitempty"`
	Message  string    `json:"message,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	ErrorURI string    `json:"errorUri,omitempty"`
	Time     time.Time `json:"timestamp,omitzero"`
	Worker   string    `json:"worker,omitempty"`
}

// Node is one node execution. Parent nodes (subworkflow, dynamic, branch) carry their children;
// launch-plan nodes carry the child execution.
type Node struct {
	ID         string          `json:"id"`
	SpecNodeID string          `json:"specNodeId,omitempty"`
	ParentID   string          `json:"parentId,omitempty"`
	RetryGroup string          `json:"retryGroup,omitempty"`
	Phase      string          `json:"phase"`
	Error      *ExecutionError `json:"error,omitempty"`
	// ErrorTrimmed is true when the message comes from a list call, which trims it to 100 bytes,
	// because the full node execution could not be read.
	ErrorTrimmed bool      `json:"errorTrimmed,omitempty"`
	Kind         NodeKind  `json:"kind"`
	IsParent     bool      `json:"isParent,omitempty"`
	IsDynamic    bool      `json:"isDynamic,omitempty"`
	IsArray      bool      `json:"isArray,omitempty"`
	IsEager      bool      `json:"isEager,omitempty"`
	CacheStatus  string    `json:"cacheStatus,omitempty"`
	InputURI     string    `json:"inputUri,omitempty"`
	OutputURI    string    `json:"outputUri,omitempty"`
	DeckURI      string    `json:"deckUri,omitempty"`
	CreatedAt    time.Time `json:"createdAt,omitzero"`
	StartedAt    time.Time `json:"startedAt,omitzero"`
	UpdatedAt    time.Time `json:"updatedAt,omitzero"`
	Duration     Duration  `json:"duration,omitempty"`
	// ChildExecutionID is the execution a launch-plan node started.
	ChildExecutionID *ExecutionID `json:"childExecutionId,omitempty"`
	// ChildExecution is that execution, collected when the node did not succeed.
	ChildExecution *Execution `json:"childExecution,omitempty"`
	// Children are the node executions under a parent node; collected when it did not succeed.
	Children []*Node `json:"children,omitempty"`
	// ChildrenCollected tells an empty Children list apart from one that was not read.
	ChildrenCollected bool `json:"childrenCollected,omitempty"`
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
	TaskID       Identifier      `json:"taskId"`
	RetryAttempt uint32          `json:"retryAttempt"`
	Phase        string          `json:"phase"`
	Error        *ExecutionError `json:"error,omitempty"`
	// Reason is the latest phase reason; Reasons is the history Admin kept (with k8s event notes
	// when propeller sends object events).
	Reason       string    `json:"reason,omitempty"`
	Reasons      []Reason  `json:"reasons,omitempty"`
	TaskType     string    `json:"taskType,omitempty"`
	PluginID     string    `json:"pluginId,omitempty"`
	EventVersion int32     `json:"eventVersion,omitempty"`
	Logs         []TaskLog `json:"logs,omitempty"`
	// PodName is metadata.generated_name: the pod name for plain Kubernetes pod tasks.
	PodName           string             `json:"podName,omitempty"`
	PrimaryPodName    string             `json:"primaryPodName,omitempty"`
	Pods              []PodLogContext    `json:"pods,omitempty"`
	ExternalResources []ExternalResource `json:"externalResources,omitempty"`
	InstanceClass     string             `json:"instanceClass,omitempty"`
	InputURI          string             `json:"inputUri,omitempty"`
	OutputURI         string             `json:"outputUri,omitempty"`
	CreatedAt         time.Time          `json:"createdAt,omitzero"`
	StartedAt         time.Time          `json:"startedAt,omitzero"`
	UpdatedAt         time.Time          `json:"updatedAt,omitzero"`
	Duration          Duration           `json:"duration,omitempty"`
}

// Reason is one entry of a task attempt's reason history.
type Reason struct {
	OccurredAt time.Time `json:"occurredAt,omitzero"`
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
	PodName          string `json:"podName"`
	PrimaryContainer string `json:"primaryContainer,omitempty"`
}

// ExternalResource is one sub-task of a map task / array node, or a plugin's external job.
type ExternalResource struct {
	ExternalID   string    `json:"externalId"`
	Index        uint32    `json:"index"`
	RetryAttempt uint32    `json:"retryAttempt,omitempty"`
	Phase        string    `json:"phase"`
	CacheStatus  string    `json:"cacheStatus,omitempty"`
	Logs         []TaskLog `json:"logs,omitempty"`
	// ChildExecutionID is set when the sub-task is a launch plan.
	ChildExecutionID *ExecutionID `json:"childExecutionId,omitempty"`
}
