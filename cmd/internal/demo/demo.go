// Package demo holds the embedded scenarios `flytedoctor demo` serves from an in-process fake
// Flyte Admin: realistic failed (and one healthy) executions in fakeadmin fixture format.
package demo

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// The scenarios' Admin fixtures, Kubernetes objects (*.kube.json) and S3 specs (*.storage.json).
//
//go:embed scenarios/*.json
var files embed.FS

// Scenario is one embedded execution to diagnose.
type Scenario struct {
	Name  string // file name without .json, e.g. "image-pull"
	Title string
	// Root is the execution to diagnose: the first execution of the fixture.
	Root    evidence.ExecutionID
	Fixture []byte
	// Kube is a v1 List of the Kubernetes objects the cluster shows; Storage is an s3stub spec.
	// Either may be empty.
	Kube, Storage []byte
}

// titles orders the demo and says what each scenario shows.
var titles = []struct{ name, title string }{
	{"image-pull", "image pull failure"},
	{"unschedulable", "GPU task queued for 47 minutes: no node can take its pod"},
	{"storage-permission", "task cannot read its inputs: S3 access denied on the metadata prefix"},
	{"subworkflow", "OOM failure nested in a subworkflow, retries exhausted"},
	{"dynamic-fanout", "3 failed children among 1,000 of a dynamic node"},
	{"fanout-denied", "3 of 1,000 dynamic children denied their inputs, which the 997 others read"},
	{"child-launchplan", "failure inside a child launch plan"},
	{"array-node", "map task (array node) with failed subtasks"},
	{"healthy", "a healthy run"},
	{"image-change-before", "nightly training run that worked (diff's baseline for image-change)"},
	{"image-change", "the next night's run fails after an image change: diff shows what changed"},
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
		kb, _ := files.ReadFile(path.Join("scenarios", t.name+".kube.json"))
		st, _ := files.ReadFile(path.Join("scenarios", t.name+".storage.json"))
		out = append(out, Scenario{Name: t.name, Title: t.title, Root: root, Fixture: b, Kube: kb, Storage: st})
	}
	return out, nil
}

// Entry names a scenario without its data.
type Entry struct{ Name, Title string }

// Index lists the scenarios shipped in this build in demo order, without decoding them: shell
// completion asks for it on every Tab.
func Index() []Entry {
	var out []Entry
	for _, t := range titles {
		if _, err := fs.Stat(files, path.Join("scenarios", t.name+".json")); err == nil {
			out = append(out, Entry{Name: t.name, Title: t.title})
		}
	}
	return out
}

// Names lists the scenario names, for flag help and errors.
func Names() string {
	var n []string
	for _, e := range Index() {
		n = append(n, e.Name)
	}
	return strings.Join(n, ", ")
}

// KubeObjects decodes the scenario's Kubernetes objects, for a fake clientset.
func (s Scenario) KubeObjects() ([]runtime.Object, error) {
	if len(s.Kube) == 0 {
		return nil, nil
	}
	dec := scheme.Codecs.UniversalDeserializer()
	obj, _, err := dec.Decode(s.Kube, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("demo scenario %s: kube objects: %w", s.Name, err)
	}
	list, ok := obj.(*corev1.List)
	if !ok {
		return nil, fmt.Errorf("demo scenario %s: kube objects: want a v1 List, got %T", s.Name, obj)
	}
	out := make([]runtime.Object, 0, len(list.Items))
	for _, item := range list.Items {
		o, _, err := dec.Decode(item.Raw, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("demo scenario %s: kube object: %w", s.Name, err)
		}
		out = append(out, o)
	}
	return out, nil
}

var timestamp = regexp.MustCompile(`"(20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"`)

// AsOf is the moment the scenario describes: a minute after its latest timestamp. The demo
// diagnoses "now" at that moment, so durations such as "queued for 47m" read as they would
// have on the day.
func (s Scenario) AsOf() time.Time {
	var latest time.Time
	for _, b := range [][]byte{s.Fixture, s.Kube} {
		for _, m := range timestamp.FindAllSubmatch(b, -1) {
			if t, err := time.Parse(time.RFC3339Nano, string(m[1])); err == nil && t.After(latest) {
				latest = t
			}
		}
	}
	return latest.Add(time.Minute)
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
