package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []xSuite `xml:"testsuite"`
}

type xSuite struct {
	Name      string  `xml:"name,attr"`
	Tests     int     `xml:"tests,attr"`
	Failures  int     `xml:"failures,attr"`
	Errors    int     `xml:"errors,attr"`
	Skipped   int     `xml:"skipped,attr"`
	Cases     []xCase `xml:"testcase"`
	SystemOut string  `xml:"system-out"`
}

type xCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Time      string `xml:"time,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	} `xml:"failure"`
}

// parseJUnit reads a JUnit document strictly and checks that its counts are its contents'.
func parseJUnit(t *testing.T, b []byte) xSuites {
	t.Helper()
	var s xSuites
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("not XML: %v\n%.400s", err, b)
	}
	tests, failures := 0, 0
	for _, su := range s.Suites {
		f := 0
		for _, c := range su.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Name == "" || c.Classname == "" || c.Time == "" {
				t.Errorf("test case without name, classname or time: %+v", c)
			}
		}
		if su.Tests != len(su.Cases) || su.Failures != f || su.Tests == 0 {
			t.Errorf("suite %s says %d tests, %d failures; has %d, %d", su.Name, su.Tests, su.Failures, len(su.Cases), f)
		}
		tests, failures = tests+len(su.Cases), failures+f
	}
	if s.Tests != tests || s.Failures != failures {
		t.Errorf("testsuites says %d tests, %d failures; has %d, %d", s.Tests, s.Failures, tests, failures)
	}
	return s
}

// xmllint validates against testdata/junit.xsd, the shape CI reporters read. make test
// installs it; elsewhere the test skips without it, except in CI.
func xmllint(t *testing.T, paths ...string) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint is missing (apt libxml2-utils; make test installs it)")
		}
		t.Skip("no xmllint (apt libxml2-utils)")
	}
	args := append([]string{"--noout", "--schema", "testdata/junit.xsd"}, paths...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

// One test case per failing place, its failure message the finding's summary.
func TestJUnitOneCasePerFailingPlace(t *testing.T) {
	var goldens []string
	for _, name := range inputNames(t) {
		r := input(t, name)
		s := parseJUnit(t, render(t, "junit", []*Report{r}, Options{}))
		su := s.Suites[0]
		var want []string
		for _, f := range r.Findings {
			if f.RootCause {
				want = append(want, f.Summary)
			}
		}
		var got []string
		for _, c := range su.Cases {
			if c.Failure != nil {
				got = append(got, c.Failure.Message)
				if !strings.Contains(c.Failure.Text, "docs: https://") || !strings.HasPrefix(c.Failure.Type, "FD") {
					t.Errorf("%s: failure of %s lacks its rule: %+v", name, c.Name, c.Failure)
				}
			}
			if c.Classname != r.Snapshot.Execution.LaunchPlan.Name {
				t.Errorf("%s: classname %q, want the launch plan", name, c.Classname)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: failures %q, want the root causes' summaries %q", name, got, want)
		}
		if len(want) == 0 && (len(su.Cases) != 1 || su.Cases[0].Failure != nil) {
			t.Errorf("%s: a run with nothing wrong is one passing case: %+v", name, su.Cases)
		}
		goldens = append(goldens, filepath.Join("testdata", "golden", name+".xml"))
	}
	xmllint(t, goldens...)
}

// Control characters, invalid UTF-8 and "]]>" in messages still make well-formed XML that
// says what the message said.
func TestJUnitCarriesHostileMessages(t *testing.T) {
	b := render(t, "junit", []*Report{hostileReport()}, Options{})
	s := parseJUnit(t, b)
	c := s.Suites[0].Cases[0]
	if c.Failure == nil || c.Failure.Message != hostileSummary || c.Name != "n0" || c.Classname != "wf|lp<x>" || c.Time != "80.000" {
		t.Fatalf("case %+v", c)
	}
	if !strings.Contains(c.Failure.Text, hostileDetail) {
		t.Errorf("the failure text lost the detail (with its ]]>):\n%s", c.Failure.Text)
	}
	if !strings.Contains(s.Suites[0].SystemOut, "warning [FD9002] a | warning with <tags> and\nlines") {
		t.Errorf("the warning is not in system-out: %q", s.Suites[0].SystemOut)
	}
	path := filepath.Join(t.TempDir(), "hostile.xml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	xmllint(t, path)
}
