package bundle

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// httpJSON is how Admin's HTTP gateway writes messages (flyteadmin pkg/server/service.go):
// proto field names, unpopulated fields and default values included, enums by name.
var httpJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true, EmitDefaultValues: true}

// CallEntry is one line of admin/calls.json: the request a response file answered.
type CallEntry struct {
	Method  string          `json:"method"`
	Request json.RawMessage `json:"request"`
	// File is the response, under admin/; empty when the call failed.
	File       string  `json:"file,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	Error      *Status `json:"error,omitempty"`
}

// Status is a failed call's gRPC status.
type Status struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// AddAdmin adds each response as admin/api/v1/... (the HTTP API's path for the request) and
// admin/calls.json, the index of requests.
func (b *Builder) AddAdmin(calls []AdminCall) error {
	entries := []CallEntry{}
	for _, c := range calls {
		req, err := httpJSON.Marshal(c.Request)
		if err != nil {
			return fmt.Errorf("encode a %s request: %w", c.Method, err)
		}
		e := CallEntry{Method: c.Method, Request: req, DurationMS: float64(c.Duration.Microseconds()) / 1000}
		if c.Err != nil {
			st := status.Convert(c.Err)
			e.Error = &Status{Code: st.Code().String(), Message: st.Message()}
			entries = append(entries, e)
			continue
		}
		data, err := httpJSON.Marshal(c.Response)
		if err != nil {
			return fmt.Errorf("encode a %s response: %w", c.Method, err)
		}
		name := b.name(AdminPath(c.Method, c.Request))
		if b.add(name, b.red.Bytes(name, data)) {
			e.File = name
		}
		entries = append(entries, e)
	}
	return b.AddValue(CallsFile, entries)
}

var unsafeSegment = regexp.MustCompile(`[^A-Za-z0-9._@=-]+`)

// seg makes one path segment of an id: what a file name may hold, never "." or "..".
func seg(s string) string {
	s = unsafeSegment.ReplaceAllString(s, "_")
	if s == "" || strings.Trim(s, ".") == "" {
		return "_" + s
	}
	return s
}

func execPath(id *core.WorkflowExecutionIdentifier) string {
	return seg(id.GetProject()) + "/" + seg(id.GetDomain()) + "/" + seg(id.GetName())
}

func page(token string) string {
	if token == "" {
		return ""
	}
	return ".token-" + seg(token)
}

// AdminPath is where the response to a request lives in a bundle: the path of Admin's HTTP
// API for it, under admin/, with the list parameters that tell pages apart in the name.
func AdminPath(method string, req proto.Message) string {
	const api = "admin/api/v1/"
	switch r := req.(type) {
	case *admin.WorkflowExecutionGetRequest:
		return api + "executions/" + execPath(r.GetId()) + ".json"
	case *admin.WorkflowExecutionGetDataRequest:
		return api + "data/executions/" + execPath(r.GetId()) + ".json"
	case *admin.NodeExecutionListRequest:
		p := api + "node_executions/" + execPath(r.GetWorkflowExecutionId())
		if u := r.GetUniqueParentId(); u != "" {
			p += ".parent-" + seg(u)
		}
		return p + page(r.GetToken()) + ".json"
	case *admin.NodeExecutionGetRequest:
		return api + "node_executions/" + execPath(r.GetId().GetExecutionId()) + "/" + seg(r.GetId().GetNodeId()) + ".json"
	case *admin.TaskExecutionListRequest:
		n := r.GetNodeExecutionId()
		return api + "task_executions/" + execPath(n.GetExecutionId()) + "/" + seg(n.GetNodeId()) + page(r.GetToken()) + ".json"
	case *admin.GetVersionRequest:
		return api + "version.json"
	case *admin.ObjectGetRequest:
		id := r.GetId()
		return api + "tasks/" + seg(id.GetProject()) + "/" + seg(id.GetDomain()) + "/" + seg(id.GetName()) + "/" + seg(id.GetVersion()) + ".json"
	case *admin.ResourceListRequest:
		id := r.GetId()
		return api + "executions/" + seg(id.GetProject()) + "/" + seg(id.GetDomain()) + page(r.GetToken()) + ".json"
	}
	return "admin/calls/" + seg(method) + ".json"
}
