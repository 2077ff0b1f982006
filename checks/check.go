package checks

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Layer is the system a probe talks to, and what --skip names.
type Layer string

// Layers.
const (
	Admin    Layer = "admin"    // Flyte Admin (gRPC)
	Registry Layer = "registry" // the images' registries
	Kube     Layer = "kube"     // the Kubernetes API
	Storage  Layer = "s3"       // S3
)

// Layers lists every layer, in the order reports print them.
var Layers = []Layer{Admin, Registry, Kube, Storage}

// Title is how reports name the layer.
func (l Layer) Title() string {
	switch l {
	case Admin:
		return "Flyte Admin"
	case Registry:
		return "Images"
	case Kube:
		return "Kubernetes"
	case Storage:
		return "Storage"
	}
	return string(l)
}

// Check is one preflight check.
type Check struct {
	ID    string // "FDP203": FDP, the layer's digit (1 admin, 2 image, 3 kube, 4 storage), two digits; never reused
	Name  string // short kebab-case name
	Title string // one line, no trailing period
	Layer Layer
	// Needs are the probes whose records the verdict reads; the runner runs them first.
	Needs []string
	// Doc says what the check looks at and why it matters, in prose.
	Doc string
	// Verdict judges each subject the check is about (an image, a task, a bucket). It is pure:
	// it reads the view only. ID and Title of its results are filled in by Evaluate.
	Verdict func(*View) []evidence.CheckResult
}

// Probe is one kind of request, made once per subject.
type Probe struct {
	Name  string // e.g. "image-manifest"
	Layer Layer
	// After are probes whose records Run reads (the image probe needs the pull secrets).
	After []string
	// Subjects lists what to probe for a spec, without duplicates.
	Subjects func(*evidence.PreflightSpec) []string
	// Run probes one subject. It records what it saw; errors are evidence, not failures.
	Run func(ctx context.Context, env *Env, subject string, prior *View) evidence.ProbeRecord
}

// View is what a verdict reads: the spec and the probes' records.
type View struct {
	Spec   *evidence.PreflightSpec
	probes map[probeKey]*evidence.ProbeRecord
}

type probeKey struct{ probe, subject string }

// NewView indexes the probe records of a snapshot.
func NewView(spec *evidence.PreflightSpec, probes []evidence.ProbeRecord) *View {
	v := &View{Spec: spec, probes: map[probeKey]*evidence.ProbeRecord{}}
	for i := range probes {
		v.probes[probeKey{probes[i].Probe, probes[i].Subject}] = &probes[i]
	}
	return v
}

// Probe is the record of probe name on subject, or nil when it did not run.
func (v *View) Probe(name, subject string) *evidence.ProbeRecord {
	return v.probes[probeKey{name, subject}]
}

var idPattern = regexp.MustCompile(`^FDP[1-4]\d\d$`)
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// layerDigit is the digit of a layer's IDs.
var layerDigit = map[Layer]byte{Admin: '1', Registry: '2', Kube: '3', Storage: '4'}

// Validate checks a check table against its probes: unique, well-formed IDs and names whose
// digit matches the layer, titles, docs, a verdict, and needs that name probes.
func Validate(table []*Check, probes []*Probe) error {
	var errs []string
	known := map[string]*Probe{}
	for _, p := range probes {
		if !namePattern.MatchString(p.Name) || known[p.Name] != nil {
			errs = append(errs, fmt.Sprintf("probe %q: name must be unique kebab-case", p.Name))
		}
		known[p.Name] = p
		if !slices.Contains(Layers, p.Layer) || p.Run == nil || p.Subjects == nil {
			errs = append(errs, fmt.Sprintf("probe %q: needs a known layer, Subjects and Run", p.Name))
		}
	}
	for _, p := range probes {
		for _, a := range p.After {
			if known[a] == nil || a == p.Name {
				errs = append(errs, fmt.Sprintf("probe %q: runs after %q, which is not another probe", p.Name, a))
			}
		}
	}
	if cyclic(probes, known) {
		errs = append(errs, "probes depend on each other in a cycle")
	}
	ids, names := map[string]bool{}, map[string]bool{}
	for _, c := range table {
		bad := func(format string, a ...any) { errs = append(errs, c.ID+": "+fmt.Sprintf(format, a...)) }
		if !idPattern.MatchString(c.ID) || ids[c.ID] {
			bad("ID must be unique and look like FDP101")
		} else if c.ID[3] != layerDigit[c.Layer] {
			bad("ID digit %c does not match layer %q", c.ID[3], c.Layer)
		}
		ids[c.ID] = true
		if !namePattern.MatchString(c.Name) || names[c.Name] {
			bad("name %q must be unique kebab-case", c.Name)
		}
		names[c.Name] = true
		if c.Title == "" || strings.HasSuffix(c.Title, ".") {
			bad("title must be set, without a trailing period")
		}
		if strings.TrimSpace(c.Doc) == "" {
			bad("no doc")
		}
		if c.Verdict == nil {
			bad("no verdict")
		}
		for _, n := range c.Needs {
			if known[n] == nil {
				bad("needs unknown probe %q", n)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid check table: %s", strings.Join(errs, "; "))
	}
	return nil
}

func cyclic(probes []*Probe, known map[string]*Probe) bool {
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(p *Probe) bool
	visit = func(p *Probe) bool {
		switch state[p.Name] {
		case 1:
			return true
		case 2:
			return false
		}
		state[p.Name] = 1
		for _, a := range p.After {
			if q := known[a]; q != nil && visit(q) {
				return true
			}
		}
		state[p.Name] = 2
		return false
	}
	for _, p := range probes {
		if visit(p) {
			return true
		}
	}
	return false
}

// Lookup finds a check by ID (case-insensitive).
func Lookup(table []*Check, id string) *Check {
	for _, c := range table {
		if strings.EqualFold(c.ID, id) {
			return c
		}
	}
	return nil
}

// Evaluate runs every check's verdict on the spec and the probe records, in table order. It
// does no I/O: the same records give the same results live and offline.
func Evaluate(table []*Check, spec *evidence.PreflightSpec, probes []evidence.ProbeRecord) []evidence.CheckResult {
	v := NewView(spec, probes)
	var out []evidence.CheckResult
	for _, c := range table {
		if why, ok := spec.Skipped[string(c.Layer)]; ok {
			out = append(out, evidence.CheckResult{ID: c.ID, Title: c.Title, Status: evidence.CheckSkip, Subject: string(c.Layer), Summary: "skipped: " + why})
			continue
		}
		for _, r := range c.Verdict(v) {
			r.ID, r.Title = c.ID, c.Title
			out = append(out, r)
		}
	}
	return out
}

// Counts tallies results by status.
func Counts(results []evidence.CheckResult) map[string]int {
	n := map[string]int{}
	for _, r := range results {
		n[r.Status]++
	}
	return n
}
