package kube

import (
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// FuzzNamespace: whatever --namespace, --namespace-template and the execution's project and
// domain say, the namespace read is a valid one and a refusal is one line.
func FuzzNamespace(f *testing.F) {
	f.Add("", "", "flytesnacks", "development")
	f.Add("", "{{ project }}-{{ domain }}", "flytesnacks", "development")
	f.Add("", "flyte-{{ project }}", "Flytesnacks", "dev")
	f.Add("", "{{ domain }}/{{ project }}", "p", "d")
	f.Add("", "{{project}}-{{domain}}", "p", "d")
	f.Add("Bad Namespace!", "", "p", "d")
	f.Add("team-a", "{{ nope }}", "p", "d")
	f.Fuzz(func(t *testing.T, flag, template, project, domain string) {
		ex := &evidence.Execution{ID: evidence.ExecutionID{Project: project, Domain: domain, Name: "a1"}}
		ns, source, err := ResolveNamespace(ex, flag, template)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			t.Fatalf("namespace %q: %s", ns, errs[0])
		}
		switch {
		case flag != "" && (ns != flag || source != SourceFlag):
			t.Fatalf("--namespace %q gave %q from %s", flag, ns, source)
		case flag == "" && source != SourceTemplate:
			t.Fatalf("no flag, no Admin namespace, yet source %s", source)
		}
	})
}

var labelValue = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$`)

// FuzzNames checks the name rules that turn Admin's ids into Kubernetes names: labels are
// valid label values, pod names valid or shortened the same way twice, unique ids bounded.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"a4t8tqkzr9xw2bnl5mfd", "n1-0-dn3", "workflows.train.Train_Model", "n0-0-n1-0-n2",
		"-leading-and-trailing-", strings.Repeat("very-long-node-id-", 6), "Ünïcode.nöde", "a..b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := SanitizeLabel(s)
		if len(l) > validation.LabelValueMaxLength || !labelValue.MatchString(l) {
			t.Fatalf("SanitizeLabel(%q) = %q", s, l)
		}
		if again := SanitizeLabel(l); again != l {
			t.Fatalf("SanitizeLabel(%q) = %q, then %q", s, l, again)
		}
		p := podName(s)
		if len(p) > validation.DNS1123SubdomainMaxLength {
			t.Fatalf("podName(%q) is %d bytes", s, len(p))
		}
		if again := podName(p); again != p {
			t.Fatalf("podName(%q) = %q, then %q", s, p, again)
		}
		if id := UniqueID(generatedNameMax, s, "n1", "0"); len(id) > generatedNameMax {
			t.Fatalf("UniqueID(%q) = %q", s, id)
		}
	})
}
