// Package demo holds the embedded scenarios `flytedoctor demo` serves from an in-process fake
// Flyte Admin: realistic failed (and one healthy) executions in fakeadmin fixture format.
package demo

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

//go:embed scenarios/*.json
var files embed.FS

// Scenario is one embedded execution to diagnose.
type Scenario struct {
	Name  string // file name without .json, e.g. "image-pull"
	Title string
	// Root is the execution to diagnose: the first execution of the fixture.
	Root    evidence.ExecutionID
	Fixture []byte
}

// titles orders the demo and says what each scenario shows.
var titles = []struct{ name, title string }{
	{"image-pull", "image pull failure"},
	{"subworkflow", "OOM failure nested in a subworkflow, retries exhausted"},
	{"dynamic-fanout", "3 failed children among 1,000 of a dynamic node"},
	{"child-launchplan", "failure inside a child launch plan"},
	{"array-node", "map task (array node) with failed subtasks"},
	{"healthy", "a healthy run"},
}

// Scenarios returns the embedded scenarios in demo order.
func Scenarios() ([]Scenario, error) {
	var out []Scenario
	for _, t := range titles {
		b, err := files.ReadFile(path.Join("scenarios", t.name+".json"))
		if err != nil {
			continue // a scenario not shipped in this build
		}
		root, err := rootID(b)
		if err != nil {
			return nil, fmt.Errorf("demo scenario %s: %w", t.name, err)
		}
		out = append(out, Scenario{Name: t.name, Title: t.title, Root: root, Fixture: b})
	}
	return out, nil
}

// Names lists the scenario names, for flag help and errors.
func Names() string {
	var n []string
	for _, t := range titles {
		n = append(n, t.name)
	}
	return strings.Join(n, ", ")
}

func rootID(fixture []byte) (evidence.ExecutionID, error) {
	var f struct {
		Executions []struct {
			Execution struct {
				ID evidence.ExecutionID `json:"id"`
			} `json:"execution"`
		} `json:"executions"`
	}
	if err := json.Unmarshal(fixture, &f); err != nil {
		return evidence.ExecutionID{}, err
	}
	if len(f.Executions) == 0 || f.Executions[0].Execution.ID.Name == "" {
		return evidence.ExecutionID{}, fmt.Errorf("fixture has no execution")
	}
	return f.Executions[0].Execution.ID, nil
}
