package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

type yamlRenderer struct{}

func (yamlRenderer) Name() string { return "yaml" }
func (yamlRenderer) Description() string {
	return "the JSON report's schema in YAML block style, one document per report"
}

// Render writes each report as a YAML document ("---" between them). It goes through the
// JSON encoding, so the keys, their order and every value's form (severities and durations
// as words and "3m6s", times as RFC 3339) are the JSON schema's; YAML only changes the layout:
// block style, multi-line messages as literal blocks.
func (yamlRenderer) Render(w io.Writer, reports []*Report, _ Options) error {
	for i, r := range reports {
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if err := WriteYAML(w, r); err != nil {
			return err
		}
	}
	return nil
}

// WriteYAML writes one report as a YAML document.
func WriteYAML(w io.Writer, r *Report) error {
	var j bytes.Buffer
	enc := json.NewEncoder(&j)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return err
	}
	return jsonToYAML(w, j.Bytes())
}

// jsonToYAML re-lays JSON as block-style YAML, keeping the order of keys.
func jsonToYAML(w io.Writer, j []byte) error {
	var doc yaml.Node
	// JSON is YAML's flow style: the parser keeps the document's order and scalars' tags.
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return fmt.Errorf("cannot lay out the report as YAML: %w", err)
	}
	block(&doc)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	return enc.Close()
}

// block turns flow collections into block ones and lets the encoder quote strings only
// where YAML needs it; multi-line strings become literal blocks.
func block(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		n.Style = 0
		if n.Tag == "!!str" && strings.Contains(n.Value, "\n") {
			n.Style = yaml.LiteralStyle // the encoder falls back to quoting where a block cannot say it
		}
	case yaml.MappingNode, yaml.SequenceNode:
		n.Style = 0
		if len(n.Content) == 0 {
			n.Style = yaml.FlowStyle // [] and {}
		}
	}
	for _, c := range n.Content {
		block(c)
	}
}
