package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/flytedoctor/flytedoctor/internal/jsonout"
)

// Renderer writes reports in one format. Several reports (the demo's scenarios) make one
// document where the format has one (JUnit, Markdown, text) and a stream of documents where
// it does not (JSON, YAML).
type Renderer interface {
	// Name is the -o value.
	Name() string
	// Description is one line for --help and shell completion.
	Description() string
	Render(w io.Writer, reports []*Report, o Options) error
}

// Options tune what renderers write.
type Options struct {
	// Style colours the text format; the others have no colour.
	Style Style
	// MaxMessageLines caps each error message in the text format; 0 means 20. The other
	// formats carry messages whole.
	MaxMessageLines int
	// Titles, when set, head the reports, one each (the demo's scenario titles).
	Titles []string
}

func (o Options) title(i int) string {
	if i < len(o.Titles) {
		return o.Titles[i]
	}
	return ""
}

// Renderers lists every format, in the order help shows them. It is built on each call:
// the registry is a value, not state.
func Renderers() []Renderer {
	return []Renderer{textRenderer{}, jsonRenderer{}, yamlRenderer{}, markdownRenderer{}, junitRenderer{}}
}

// Names lists the -o values.
func Names() []string {
	var out []string
	for _, r := range Renderers() {
		out = append(out, r.Name())
	}
	return out
}

// Lookup is the renderer of format name, or an error that lists the formats there are.
func Lookup(name string) (Renderer, error) {
	for _, r := range Renderers() {
		if r.Name() == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("use one of %s", strings.Join(Names(), ", "))
}

type textRenderer struct{}

func (textRenderer) Name() string { return "text" }
func (textRenderer) Description() string {
	return "for a terminal: root cause first, then the failing path"
}

func (textRenderer) Render(w io.Writer, reports []*Report, o Options) error {
	for i, r := range reports {
		if i > 0 {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		if t := o.title(i); t != "" {
			if _, err := fmt.Fprintf(w, "━━ %s ━━  flytedoctor %s\n\n", t, r.Snapshot.Target); err != nil {
				return err
			}
		}
		if err := WriteText(w, r, TextOptions{Style: o.Style, MaxMessageLines: o.MaxMessageLines}); err != nil {
			return err
		}
	}
	return nil
}

type jsonRenderer struct{}

func (jsonRenderer) Name() string { return "json" }
func (jsonRenderer) Description() string {
	return "schema " + SchemaVersion + ": findings, rules and the evidence snapshot"
}

// Render writes one indented JSON document per report.
func (jsonRenderer) Render(w io.Writer, reports []*Report, _ Options) error {
	for _, r := range reports {
		if err := WriteJSON(w, r); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error { return jsonout.Write(w, r) }
