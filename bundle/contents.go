package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
	"github.com/flytedoctor/flytedoctor/report"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
)

// Contents is what a source holds, each file placed by what it is, whatever its name: a
// bundle's own members, flytedoctor output, Kubernetes objects (kubectl get -o json or yaml,
// a List or single objects), Admin messages (its HTTP API's JSON, snake or camel case, and
// flytectl get -o json or yaml).
type Contents struct {
	Manifest *Manifest
	// Snapshot is the evidence to judge when the source has one (a bundle's snapshot.json, a
	// report's, flytedoctor -o json); SnapshotFile names the file.
	Snapshot     *evidence.Snapshot
	SnapshotFile string
	Warnings     []string

	Admin AdminDump
	Kube  KubeObjects
	// Calls is admin/calls.json: which request each Admin file answered.
	Calls []CallEntry
	// Unplaced lists the files that were not used, and why.
	Unplaced []Unplaced

	probes *evidence.Storage // storage/probes.json
}

// Unplaced is a file analysis did not use.
type Unplaced struct {
	File, Why string
}

// AdminDump is the Admin messages of a source, by kind.
type AdminDump struct {
	Executions []Placed[*admin.Execution]
	Data       []Placed[*admin.WorkflowExecutionGetDataResponse]
	Nodes      []Placed[*admin.NodeExecution]
	Tasks      []Placed[*admin.TaskExecution]
	TaskDefs   []*admin.Task
	Version    *admin.GetVersionResponse
}

// Placed is a message and where it came from: its file, and whether it was one item of a list
// (a list trims error messages; a Get does not).
type Placed[T proto.Message] struct {
	Msg    T
	File   string
	Listed bool
}

// Len counts the Admin messages.
func (a AdminDump) Len() int {
	return len(a.Executions) + len(a.Data) + len(a.Nodes) + len(a.Tasks) + len(a.TaskDefs)
}

var readJSON = protojson.UnmarshalOptions{DiscardUnknown: true}

const notJSON = "not JSON or YAML"

// DecodeSnapshot is Decode for a bundle that has its snapshot (snapshot.json at its top):
// that and the manifest alone, which is all analysis needs; false when there is none.
func DecodeSnapshot(src *Source) (*Contents, bool, error) {
	f := src.File(SnapshotFile)
	if f == nil || f.Data == nil {
		return nil, false, nil
	}
	files := []SourceFile{*f}
	if m := src.File(ManifestFile); m != nil {
		files = append(files, *m)
	}
	c, err := Decode(&Source{Path: src.Path, Files: files})
	if err != nil || c.Snapshot == nil {
		return c, false, err
	}
	return c, true, nil
}

// Decode places every file of the source. Files it cannot use are listed in Unplaced; a
// snapshot or report that does not read (another schema major version) is an error.
func Decode(src *Source) (*Contents, error) {
	c := &Contents{}
	var reportSnap *evidence.Snapshot
	reportFile := ""
	for _, f := range src.Files {
		if f.Data == nil {
			if wanted(f.Name) {
				continue
			}
			c.Unplaced = append(c.Unplaced, Unplaced{f.Name, notJSON})
			continue
		}
		docs, err := documents(f.Name, f.Data)
		if err != nil {
			c.Unplaced = append(c.Unplaced, Unplaced{f.Name, err.Error()})
			continue
		}
		for _, d := range docs {
			placed, err := c.place(f.Name, d, &reportSnap, &reportFile)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			if placed != "" {
				c.Unplaced = append(c.Unplaced, Unplaced{f.Name, placed})
			}
		}
	}
	if c.Snapshot == nil && reportSnap != nil {
		c.Snapshot, c.SnapshotFile = reportSnap, reportFile
	}
	if c.Manifest != nil {
		// A bundle's logs and Markdown report are for people.
		c.Unplaced = slices.DeleteFunc(c.Unplaced, func(u Unplaced) bool { return u.Why == notJSON })
	}
	return c, nil
}

// documents splits a file into JSON documents: a JSON array's items, YAML (multi-document
// too) converted to JSON.
func documents(name string, data []byte) ([]json.RawMessage, error) {
	var docs []json.RawMessage
	if isJSONish(data) {
		docs = []json.RawMessage{bytes.TrimSpace(data)}
	} else {
		for _, part := range yamlDocs.Split(string(data), -1) {
			if strings.TrimSpace(part) == "" {
				continue
			}
			j, err := yaml.YAMLToJSON([]byte(part))
			if err != nil {
				return nil, errors.New("neither JSON nor YAML")
			}
			if string(j) != "null" {
				docs = append(docs, j)
			}
		}
	}
	var out []json.RawMessage
	for _, d := range docs {
		if len(d) > 0 && d[0] == '[' {
			var items []json.RawMessage
			if err := json.Unmarshal(d, &items); err != nil {
				return nil, fmt.Errorf("invalid JSON: %s", jsonErr(err))
			}
			if isCallIndex(name, items) {
				out = append(out, d) // admin/calls.json is one document
				continue
			}
			out = append(out, items...)
			continue
		}
		if !json.Valid(d) {
			var v any
			return nil, fmt.Errorf("invalid JSON: %s", jsonErr(json.Unmarshal(d, &v)))
		}
		out = append(out, d)
	}
	return out, nil
}

var yamlDocs = regexp.MustCompile(`(?m)^---[ \t]*$`)

func jsonErr(err error) string {
	if err == nil {
		return "not a JSON document"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func isCallIndex(name string, items []json.RawMessage) bool {
	if strings.HasSuffix(name, CallsFile) || name == "calls.json" {
		return true
	}
	if len(items) == 0 {
		return false
	}
	var e struct {
		Method  string          `json:"method"`
		Request json.RawMessage `json:"request"`
	}
	return json.Unmarshal(items[0], &e) == nil && e.Method != "" && len(e.Request) > 0
}

// place decodes one document; what it returns, when not "", says why it was not used.
func (c *Contents) place(name string, doc json.RawMessage, reportSnap **evidence.Snapshot, reportFile *string) (string, error) {
	if doc[0] == '[' { // the call index
		var calls []CallEntry
		if err := json.Unmarshal(doc, &calls); err != nil {
			return "not an Admin call index: " + jsonErr(err), nil
		}
		c.Calls = append(c.Calls, calls...)
		return "", nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return "not a JSON object", nil
	}
	keys := map[string]json.RawMessage{}
	for k, v := range top {
		keys[snake(k)] = v
	}
	if sv, ok := keys["schema_version"]; ok {
		var schema string
		_ = json.Unmarshal(sv, &schema)
		switch {
		case strings.HasPrefix(schema, "flytedoctor.evidence/"):
			snap, warns, err := evidence.Decode(doc)
			if err != nil {
				return "", err
			}
			if c.Snapshot == nil || path.Base(name) == SnapshotFile {
				c.Snapshot, c.SnapshotFile = snap, name
				c.Warnings = append(c.Warnings, warns...)
			}
			return "", nil
		case strings.HasPrefix(schema, "flytedoctor.report/"):
			rep, warns, err := report.Decode(doc)
			if err != nil {
				return "", err
			}
			if *reportSnap == nil {
				*reportSnap, *reportFile = rep.Snapshot, name
				c.Warnings = append(c.Warnings, warns...)
			}
			return "", nil
		case strings.HasPrefix(schema, schemaName):
			warn, err := CheckManifestVersion(schema)
			if err != nil {
				return "", err
			}
			if warn != "" {
				c.Warnings = append(c.Warnings, warn)
			}
			var m Manifest
			if err := json.Unmarshal(doc, &m); err != nil {
				return "", fmt.Errorf("cannot decode the manifest: %s", jsonErr(err))
			}
			c.Manifest = &m
			return "", nil
		}
		return "schema " + schema + " is not one flytedoctor reads", nil
	}
	if _, ok := keys["identity"]; ok && (keys["probes"] != nil || keys["unprobed"] != nil) {
		var st evidence.Storage
		if err := json.Unmarshal(doc, &st); err != nil {
			return "looks like storage probes but does not decode: " + jsonErr(err), nil
		}
		c.probes = &st
		return "", nil
	}
	if _, ok := keys["redactions"]; ok && len(keys) == 1 {
		return "", nil // redactions.json: what the bundle lost, nothing to judge
	}
	if _, ok := keys["kind"]; ok {
		if _, ok := keys["api_version"]; ok {
			return c.kube(doc), nil
		}
	}
	return c.adminMessage(name, keys, doc), nil
}

// kube places Kubernetes objects: a List or typed list, or one object.
func (c *Contents) kube(doc json.RawMessage) string {
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
	if err != nil {
		return "a Kubernetes object this build does not read: " + oneline.Clip(err.Error(), 200)
	}
	var items []runtime.Object
	switch l := obj.(type) {
	case *corev1.List:
		for _, it := range l.Items {
			o, _, err := scheme.Codecs.UniversalDeserializer().Decode(it.Raw, nil, nil)
			if err != nil {
				return "a List item does not decode: " + oneline.Clip(err.Error(), 200)
			}
			items = append(items, o)
		}
	case *corev1.PodList:
		for i := range l.Items {
			items = append(items, &l.Items[i])
		}
	case *corev1.EventList:
		for i := range l.Items {
			items = append(items, &l.Items[i])
		}
	case *corev1.NodeList:
		for i := range l.Items {
			items = append(items, &l.Items[i])
		}
	case *corev1.ResourceQuotaList:
		for i := range l.Items {
			items = append(items, &l.Items[i])
		}
	case *corev1.LimitRangeList:
		for i := range l.Items {
			items = append(items, &l.Items[i])
		}
	case *corev1.ServiceAccountList:
		for i := range l.Items {
			items = append(items, &l.Items[i])
		}
	default:
		items = []runtime.Object{obj}
	}
	var other []string
	for _, o := range items {
		switch o := o.(type) {
		case *corev1.Pod:
			c.Kube.Pods = append(c.Kube.Pods, *o)
		case *corev1.Event:
			c.Kube.Events = append(c.Kube.Events, *o)
		case *corev1.Node:
			c.Kube.Nodes = append(c.Kube.Nodes, *o)
		case *corev1.ResourceQuota:
			c.Kube.Quotas = append(c.Kube.Quotas, *o)
		case *corev1.LimitRange:
			c.Kube.LimitRanges = append(c.Kube.LimitRanges, *o)
		case *corev1.ServiceAccount:
			c.Kube.ServiceAccounts = append(c.Kube.ServiceAccounts, *o)
		default:
			other = append(other, o.GetObjectKind().GroupVersionKind().Kind)
		}
	}
	if len(other) > 0 {
		slices.Sort(other)
		return "Kubernetes " + strings.Join(slices.Compact(other), ", ") + " objects are not used"
	}
	return ""
}

// adminMessage places an Admin message by its fields (protojson reads snake and camel case).
func (c *Contents) adminMessage(name string, keys map[string]json.RawMessage, doc json.RawMessage) string {
	sub := func(k string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(keys[k], &m)
		out := map[string]json.RawMessage{}
		for kk, v := range m {
			out[snake(kk)] = v
		}
		return out
	}
	has := func(m map[string]json.RawMessage, k ...string) bool {
		for _, x := range k {
			if _, ok := m[x]; !ok {
				return false
			}
		}
		return true
	}
	bad := func(what string, err error) string {
		return "looks like " + what + " but does not decode: " + oneline.Clip(err.Error(), 200)
	}
	switch {
	case has(keys, "executions"):
		var l admin.ExecutionList
		if err := readJSON.Unmarshal(doc, &l); err != nil {
			return bad("an Admin ExecutionList", err)
		}
		for _, e := range l.Executions {
			c.Admin.Executions = append(c.Admin.Executions, Placed[*admin.Execution]{e, name, true})
		}
		return ""
	case has(keys, "node_executions"):
		var l admin.NodeExecutionList
		if err := readJSON.Unmarshal(doc, &l); err != nil {
			return bad("an Admin NodeExecutionList", err)
		}
		for _, n := range l.NodeExecutions {
			c.Admin.Nodes = append(c.Admin.Nodes, Placed[*admin.NodeExecution]{n, name, true})
		}
		return ""
	case has(keys, "task_executions"):
		var l admin.TaskExecutionList
		if err := readJSON.Unmarshal(doc, &l); err != nil {
			return bad("an Admin TaskExecutionList", err)
		}
		for _, t := range l.TaskExecutions {
			c.Admin.Tasks = append(c.Admin.Tasks, Placed[*admin.TaskExecution]{t, name, true})
		}
		return ""
	case has(keys, "control_plane_version"):
		var v admin.GetVersionResponse
		if err := readJSON.Unmarshal(doc, &v); err != nil {
			return bad("an Admin version", err)
		}
		c.Admin.Version = &v
		return ""
	case has(keys, "id"):
		id := sub("id")
		switch {
		case has(id, "node_id", "execution_id"):
			var n admin.NodeExecution
			if err := readJSON.Unmarshal(doc, &n); err != nil {
				return bad("an Admin NodeExecution", err)
			}
			c.Admin.Nodes = append(c.Admin.Nodes, Placed[*admin.NodeExecution]{&n, name, false})
			return ""
		case has(id, "task_id", "node_execution_id"):
			var t admin.TaskExecution
			if err := readJSON.Unmarshal(doc, &t); err != nil {
				return bad("an Admin TaskExecution", err)
			}
			c.Admin.Tasks = append(c.Admin.Tasks, Placed[*admin.TaskExecution]{&t, name, false})
			return ""
		case has(id, "version") && has(keys, "closure") && has(sub("closure"), "compiled_task"):
			var t admin.Task
			if err := readJSON.Unmarshal(doc, &t); err != nil {
				return bad("an Admin Task", err)
			}
			c.Admin.TaskDefs = append(c.Admin.TaskDefs, &t)
			return ""
		case has(id, "name") && (has(keys, "spec") || has(keys, "closure")):
			var e admin.Execution
			if err := readJSON.Unmarshal(doc, &e); err != nil {
				return bad("an Admin Execution", err)
			}
			c.Admin.Executions = append(c.Admin.Executions, Placed[*admin.Execution]{&e, name, false})
			return ""
		}
	case has(keys, "full_inputs") || has(keys, "inputs") || has(keys, "outputs") || has(keys, "full_outputs"):
		if has(keys, "flyte_urls") || has(keys, "dynamic_workflow") {
			return "node or task data: not used"
		}
		var d admin.WorkflowExecutionGetDataResponse
		if err := readJSON.Unmarshal(doc, &d); err != nil {
			return bad("Admin execution data", err)
		}
		c.Admin.Data = append(c.Admin.Data, Placed[*admin.WorkflowExecutionGetDataResponse]{&d, name, false})
		return ""
	}
	return "not a Kubernetes object, an Admin message or flytedoctor output"
}

// snake turns a camelCase JSON name into the proto field name.
func snake(s string) string {
	if !strings.ContainsFunc(s, unicode.IsUpper) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ContentsOf is what a live run's recorders hold, placed as Decode places a bundle's files:
// each response under the path the bundle would give it.
func ContentsOf(calls []AdminCall, objs KubeObjects) *Contents {
	c := &Contents{Kube: objs}
	for _, call := range calls {
		if call.Err != nil || call.Response == nil {
			continue
		}
		file := AdminPath(call.Method, call.Request)
		if req, err := httpJSON.Marshal(call.Request); err == nil {
			c.Calls = append(c.Calls, CallEntry{Method: call.Method, Request: req, File: file})
		}
		switch m := call.Response.(type) {
		case *admin.Execution:
			c.Admin.Executions = append(c.Admin.Executions, Placed[*admin.Execution]{m, file, false})
		case *admin.WorkflowExecutionGetDataResponse:
			c.Admin.Data = append(c.Admin.Data, Placed[*admin.WorkflowExecutionGetDataResponse]{m, file, false})
		case *admin.NodeExecutionList:
			for _, n := range m.NodeExecutions {
				c.Admin.Nodes = append(c.Admin.Nodes, Placed[*admin.NodeExecution]{n, file, true})
			}
		case *admin.NodeExecution:
			c.Admin.Nodes = append(c.Admin.Nodes, Placed[*admin.NodeExecution]{m, file, false})
		case *admin.TaskExecutionList:
			for _, t := range m.TaskExecutions {
				c.Admin.Tasks = append(c.Admin.Tasks, Placed[*admin.TaskExecution]{t, file, true})
			}
		case *admin.Task:
			c.Admin.TaskDefs = append(c.Admin.TaskDefs, m)
		case *admin.GetVersionResponse:
			c.Admin.Version = m
		}
	}
	return c
}

// RootMessages are the raw Admin messages of an execution: its Get answer (a list's when
// that is all there is) and its data.
func (c *Contents) RootMessages(id evidence.ExecutionID) (*admin.Execution, *admin.WorkflowExecutionGetDataResponse) {
	var ex *admin.Execution
	for _, p := range c.Admin.Executions {
		if k := keyOf(p.Msg.GetId()); k.id() == id && (ex == nil || !p.Listed) {
			ex = p.Msg
		}
	}
	var data *admin.WorkflowExecutionGetDataResponse
	for _, d := range c.Admin.Data {
		if m := dataPath.FindStringSubmatch(d.File); m != nil && (execKey{m[1], m[2], m[3]}).id() == id {
			data = d.Msg
		}
	}
	if data == nil && len(c.Admin.Data) == 1 && len(c.Admin.Executions) <= 1 {
		data = c.Admin.Data[0].Msg
	}
	return ex, data
}

// Attempts are every task execution read, of nodes that succeeded too.
func (c *Contents) Attempts() []*admin.TaskExecution {
	var out []*admin.TaskExecution
	for _, t := range c.Admin.Tasks {
		out = append(out, t.Msg)
	}
	return out
}
