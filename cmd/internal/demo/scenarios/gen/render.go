package gen

import (
	"bytes"
	"encoding/json"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
)

// Scenario is one fixture file.
type Scenario struct {
	File  string
	Build func() *fakeadmin.Fixture
}

// Scenarios lists the demo scenarios in the order the demo presents them.
func Scenarios() []Scenario {
	return []Scenario{
		{"image-pull.json", imagePull},
		{"subworkflow.json", subworkflow},
		{"healthy.json", healthy},
		{"dynamic-fanout.json", dynamicFanout},
		{"child-launchplan.json", childLaunchPlan},
		{"array-node.json", arrayNode},
	}
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
	buf.WriteString("\n  ]\n}\n")
	// Prove the hand-assembled JSON is a valid fixture.
	if _, err := fakeadmin.ParseFixture(buf.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
