package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
)

// Scenario is one demo scenario, written to <Name>.json, <Name>.kube.json and <Name>.storage.json.
type Scenario struct {
	Name  string
	Build func() Built
}

// Built is a scenario's content: what Admin, the cluster and the object store show.
type Built struct {
	Admin *fakeadmin.Fixture
	// Kube is what the execution's namespace and the cluster hold when flytedoctor runs.
	Kube    []runtime.Object
	Storage *s3stub.Spec
}

// File is one rendered scenario file.
type File struct {
	Name string
	Data []byte
}

// Files renders the scenario's files.
func (s Scenario) Files() ([]File, error) {
	b := s.Build()
	if len(b.Admin.Tasks) == 0 {
		b.Admin.Tasks = taskDefs(b)
	}
	admin, err := Render(b.Admin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	out := []File{{s.Name + ".json", admin}}
	if b.Kube != nil {
		k, err := RenderKube(b.Kube)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		out = append(out, File{s.Name + ".kube.json", k})
	}
	if b.Storage != nil {
		st, err := RenderStorage(b.Storage)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		out = append(out, File{s.Name + ".storage.json", st})
	}
	return out, nil
}

// Render indents small fixtures fully and puts each node of a large execution on one line,
// which keeps the fan-out file small and its diffs readable.
func Render(f *fakeadmin.Fixture) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("{\n  \"executions\": [")
	for i, ef := range f.Executions {
		if i > 0 {
			buf.WriteString(",")
		}
		head := *ef
		head.Nodes = nil
		b, err := json.Marshal(&head)
		if err != nil {
			return nil, err
		}
		// Cut the empty "nodes":[] to append the nodes by hand.
		b = append(bytes.TrimSuffix(b, []byte(`,"nodes":[]}`)), '}')
		var ind bytes.Buffer
		if err := json.Indent(&ind, b, "    ", "  "); err != nil {
			return nil, err
		}
		buf.WriteString("\n    ")
		buf.Write(bytes.TrimSuffix(ind.Bytes(), []byte("\n    }")))
		buf.WriteString(",\n      \"nodes\": [")
		for j, nf := range ef.Nodes {
			if j > 0 {
				buf.WriteString(",")
			}
			b, err := json.Marshal(nf)
			if err != nil {
				return nil, err
			}
			buf.WriteString("\n        ")
			if len(ef.Nodes) > 100 {
				buf.Write(b)
				continue
			}
			if err := json.Indent(&buf, b, "        ", "  "); err != nil {
				return nil, err
			}
		}
		buf.WriteString("\n      ]\n    }")
	}
	buf.WriteString("\n  ]")
	if len(f.Tasks) > 0 {
		// The task definitions, one a line, as the fixture's own encoding writes them.
		all, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		var enc struct {
			Tasks []json.RawMessage `json:"tasks"`
		}
		if err := json.Unmarshal(all, &enc); err != nil {
			return nil, err
		}
		buf.WriteString(",\n  \"tasks\": [")
		for i, t := range enc.Tasks {
			if i > 0 {
				buf.WriteString(",")
			}
			buf.WriteString("\n    ")
			buf.Write(t)
		}
		buf.WriteString("\n  ]")
	}
	buf.WriteString("\n}\n")
	// Prove the hand-assembled JSON is a valid fixture.
	if _, err := fakeadmin.ParseFixture(buf.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// kindOrder sorts a kube file the way one reads it: cluster, namespace setup, pods, events.
func kindOrder(o runtime.Object) int {
	switch o.(type) {
	case *corev1.Node:
		return 0
	case *corev1.ServiceAccount:
		return 1
	case *corev1.ResourceQuota:
		return 2
	case *corev1.LimitRange:
		return 3
	case *corev1.Pod:
		return 4
	default:
		return 5
	}
}

// eventTime is when an event was first seen, in either event shape.
func eventTime(o runtime.Object) int64 {
	e, ok := o.(*corev1.Event)
	if !ok {
		return 0
	}
	if !e.EventTime.IsZero() {
		return e.EventTime.UnixNano()
	}
	return e.FirstTimestamp.UnixNano()
}

// RenderKube writes objects as a v1 List, as `kubectl get -o json` prints one: kinds grouped,
// events in time order.
func RenderKube(objs []runtime.Object) ([]byte, error) {
	objs = slices.Clone(objs)
	slices.SortStableFunc(objs, func(a, b runtime.Object) int {
		if d := kindOrder(a) - kindOrder(b); d != 0 {
			return d
		}
		ta, tb := eventTime(a), eventTime(b)
		switch {
		case ta < tb:
			return -1
		case ta > tb:
			return 1
		}
		return 0
	})
	var items []json.RawMessage
	for _, o := range objs {
		gvks, _, err := scheme.Scheme.ObjectKinds(o)
		if err != nil {
			return nil, err
		}
		o = o.DeepCopyObject()
		o.GetObjectKind().SetGroupVersionKind(gvks[0])
		raw, err := sortedJSON(o)
		if err != nil {
			return nil, err
		}
		items = append(items, bytes.TrimSuffix(raw, []byte("\n")))
	}
	return marshal(map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]string{"resourceVersion": ""}, "items": items}, true)
}

// sortedJSON marshals an object with its keys sorted, as kubectl prints it.
func sortedJSON(o runtime.Object) ([]byte, error) {
	b, err := marshal(o, false)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return marshal(m, false)
}

// marshal is json.Marshal without HTML escaping, optionally indented, ending in a newline.
func marshal(v any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RenderStorage indents the spec but puts each object on one line.
func RenderStorage(s *s3stub.Spec) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("{\n  \"buckets\": [")
	for i, b := range s.Buckets {
		if i > 0 {
			buf.WriteString(",")
		}
		fmt.Fprintf(&buf, "\n    {\n      \"name\": %q,\n      \"region\": %q", b.Name, b.Region)
		if b.Encryption != nil {
			e, err := marshal(b.Encryption, false)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&buf, ",\n      \"encryption\": %s", bytes.TrimSuffix(e, []byte("\n")))
		}
		for _, part := range []struct {
			key   string
			items []any
		}{{"objects", toAny(b.Objects)}, {"deny", toAny(b.Deny)}} {
			if len(part.items) == 0 {
				continue
			}
			fmt.Fprintf(&buf, ",\n      %q: [", part.key)
			for j, it := range part.items {
				line, err := marshal(it, false)
				if err != nil {
					return nil, err
				}
				line = bytes.TrimSuffix(line, []byte("\n"))
				if j > 0 {
					buf.WriteString(",")
				}
				buf.WriteString("\n        ")
				buf.Write(line)
			}
			buf.WriteString("\n      ]")
		}
		buf.WriteString("\n    }")
	}
	buf.WriteString("\n  ]\n}\n")
	if _, err := s3stub.ParseSpec(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("rendered storage spec: %w", err)
	}
	return buf.Bytes(), nil
}

func toAny[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
