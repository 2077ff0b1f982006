package checks

import (
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

func TestTableIsValid(t *testing.T) {
	if err := Validate(Table(), Probes()); err != nil {
		t.Fatal(err)
	}
	if len(Table()) < 15 {
		t.Errorf("table has %d checks", len(Table()))
	}
}

func TestValidateRejectsBrokenTables(t *testing.T) {
	ok := func() *Check {
		return &Check{ID: "FDP201", Name: "x", Title: "t", Layer: Registry, Doc: "d", Verdict: func(*View) []evidence.CheckResult { return nil }}
	}
	cases := map[string]func() ([]*Check, []*Probe){
		"must be unique": func() ([]*Check, []*Probe) {
			b := ok()
			b.Name = "y"
			return []*Check{ok(), b}, nil
		},
		"does not match layer": func() ([]*Check, []*Probe) { c := ok(); c.Layer = Kube; return []*Check{c}, nil },
		"unknown probe":        func() ([]*Check, []*Probe) { c := ok(); c.Needs = []string{"nope"}; return []*Check{c}, nil },
		"trailing period":      func() ([]*Check, []*Probe) { c := ok(); c.Title = "t."; return []*Check{c}, nil },
		"no verdict":           func() ([]*Check, []*Probe) { c := ok(); c.Verdict = nil; return []*Check{c}, nil },
		"look like FDP101":     func() ([]*Check, []*Probe) { c := ok(); c.ID = "FD2001"; return []*Check{c}, nil },
		"cycle": func() ([]*Check, []*Probe) {
			sub := func(*evidence.PreflightSpec) []string { return nil }
			a := &Probe{Name: "a", Layer: Kube, After: []string{"b"}, Subjects: sub, Run: probeManifest}
			b := &Probe{Name: "b", Layer: Kube, After: []string{"a"}, Subjects: sub, Run: probeManifest}
			return nil, []*Probe{a, b}
		},
	}
	for want, mk := range cases {
		tb, pr := mk()
		err := Validate(tb, pr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
}

func TestParseResources(t *testing.T) {
	got, err := ParseResources("cpu=2, memory=4Gi,gpu=1,example.com/fpga=500m")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1", "example.com/fpga": "500m"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	for in, msg := range map[string]string{
		"cpu=abc":       "not a quantity",
		"cpu":           "NAME=QUANTITY",
		"disk=1":        "unknown resource",
		"cpu=1,cpu=2":   "twice",
		"memory=-1Gi":   "negative",
		"nvidia/g pu=1": "unknown resource",
	} {
		if _, err := ParseResources(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: got %v, want an error with %q", in, err, msg)
		}
	}
}

func TestImagePinnedVerdict(t *testing.T) {
	spec := &evidence.PreflightSpec{Tasks: []evidence.TaskSpec{{Name: "a", Images: []string{
		"ubuntu", "ghcr.io/acme/x:latest", "ghcr.io/acme/x:v1", "localhost:5000/x:v2", "ghcr.io/acme/x@sha256:" + strings.Repeat("a", 64), "Bad/Name:v1",
	}}}}
	res := Evaluate(Table(), spec, nil)
	c := &evidence.Checks{Results: res}
	wantStatus(t, result(t, c, "FDP202", "ubuntu"), evidence.CheckWarn, "no tag", "Docker Hub")
	wantStatus(t, result(t, c, "FDP202", "ghcr.io/acme/x:latest"), evidence.CheckWarn, ":latest")
	wantStatus(t, result(t, c, "FDP202", "ghcr.io/acme/x:v1"), evidence.CheckPass)
	wantStatus(t, result(t, c, "FDP202", "localhost:5000/x:v2"), evidence.CheckPass)
	wantStatus(t, result(t, c, "FDP202", "ghcr.io/acme/x@"), evidence.CheckPass, "digest")
	wantStatus(t, result(t, c, "FDP201", "Bad/Name:v1"), evidence.CheckFail, "not a valid image reference")
	// Nothing was probed: the probe-based checks are skipped, never passed.
	for _, r := range res {
		if r.ID == "FDP203" || r.ID == "FDP204" {
			wantStatus(t, r, evidence.CheckSkip)
		}
	}
}

func TestRegistryMatches(t *testing.T) {
	for _, c := range []struct {
		key, reg string
		want     bool
	}{
		{"https://index.docker.io/v1/", "index.docker.io", true},
		{"docker.io", "index.docker.io", true},
		{"127.0.0.1:5000", "127.0.0.1:5000", true},
		{"http://127.0.0.1:5000/v2/", "127.0.0.1:5000", true},
		{"*.example.com", "reg.example.com", true},
		{"*.example.com", "a.b.example.com", false},
		{"ghcr.io", "quay.io", false},
	} {
		if got := registryMatches(c.key, c.reg); got != c.want {
			t.Errorf("registryMatches(%q, %q) = %v", c.key, c.reg, got)
		}
	}
}
