package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/report"
)

// htmlPage is what a test reads back from -o html: its sections (one per report), each
// with its root-cause summaries and its attempt bars.
type htmlPage struct {
	doctypes int
	sections []htmlSection
}

type htmlSection struct {
	roots []string
	bars  int
}

func readHTMLPage(t *testing.T, b []byte) htmlPage {
	t.Helper()
	var p htmlPage
	z := html.NewTokenizer(bytes.NewReader(b))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			break
		}
		if tt == html.DoctypeToken {
			p.doctypes++
		}
	}
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	classes := func(n *html.Node) []string {
		for _, a := range n.Attr {
			if a.Key == "class" {
				return strings.Fields(a.Val)
			}
		}
		return nil
	}
	has := func(n *html.Node, c string) bool {
		for _, x := range classes(n) {
			if x == c {
				return true
			}
		}
		return false
	}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var s string
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			s += text(c)
		}
		return s
	}
	var walk func(n *html.Node, root bool)
	walk = func(n *html.Node, root bool) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "section" && has(n, "report"):
				p.sections = append(p.sections, htmlSection{})
			case n.Data == "article" && has(n, "finding"):
				root = has(n, "root")
			case root && has(n, "summary"):
				s := &p.sections[len(p.sections)-1]
				s.roots = append(s.roots, text(n))
			case has(n, "bar") && has(n, "attempt"):
				p.sections[len(p.sections)-1].bars++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, root)
		}
	}
	walk(doc, false)
	return p
}

// jsonReports reads a -o json stream.
func jsonReports(t *testing.T, b []byte) []*report.Report {
	t.Helper()
	var out []*report.Report
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		r, _, err := report.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

func rootSummaries(r *report.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.RootCause {
			out = append(out, f.Summary)
		}
	}
	return out
}

func attempts(snap *evidence.Snapshot) int {
	n := 0
	if snap.Execution != nil {
		snap.Execution.Walk(func(path []evidence.Step) bool {
			n += len(path[len(path)-1].Node.Attempts)
			return true
		})
	}
	return n
}

// checkHTMLAgainstJSON checks that the page of -o html shows what -o json of the same run
// reports: a section per report, its root causes, one bar per attempt.
func checkHTMLAgainstJSON(t *testing.T, page htmlPage, reports []*report.Report) {
	t.Helper()
	if page.doctypes != 1 || len(page.sections) != len(reports) {
		t.Fatalf("%d documents with %d sections, want 1 with %d", page.doctypes, len(page.sections), len(reports))
	}
	for i, r := range reports {
		s := page.sections[i]
		if got, want := strings.Join(s.roots, "\n"), strings.Join(rootSummaries(r), "\n"); got != want {
			t.Errorf("%s: root causes on the page %q, want %q", r.Snapshot.Target, got, want)
		}
		if want := attempts(r.Snapshot); s.bars != want {
			t.Errorf("%s: %d attempt bars, want %d", r.Snapshot.Target, s.bars, want)
		}
	}
}

// flytedoctor demo -o html: the 1,000-children scenario alone, and every scenario in one page.
func TestDemoHTML(t *testing.T) {
	for _, args := range [][]string{{"demo", "dynamic-fanout"}, {"demo"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f, out, errOut := testFactory(t, nil)
			if code := run(f, append(args, "-o", "html")...); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			page := out.Bytes()
			t.Logf("%s -o html: %d bytes", strings.Join(args, " "), len(page))
			f, out, errOut = testFactory(t, nil)
			if code := run(f, append(args, "-o", "json")...); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			reports := jsonReports(t, out.Bytes())
			if len(args) == 1 && len(reports) < 8 {
				t.Fatalf("the demo has %d scenarios", len(reports))
			}
			checkHTMLAgainstJSON(t, readHTMLPage(t, page), reports)
		})
	}
}

// A live run against the fake Admin and a Kubernetes API with the attempt's pod and event.
func TestLiveHTML(t *testing.T) {
	addr := startAdmin(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "failedrun-n0-0", Namespace: "flytesnacks-development",
			Labels: map[string]string{"execution-id": "failedrun", "node-id": "n0"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "failedrun-n0-0", Image: "ghcr.io/acme/trainer:v1.2.3"}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "failedrun-n0-0", Image: "ghcr.io/acme/trainer:v1.2.3",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`}},
		}}},
	}
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "failedrun-n0-0.1", Namespace: "flytesnacks-development"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "failedrun-n0-0", Namespace: "flytesnacks-development"},
		Type:           "Warning", Reason: "BackOff", Message: `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`, Count: 11,
	}
	diagnose := func(format string) []byte {
		f, out, errOut := testFactory(t, nil)
		f.KubeClient = func(kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
			return k8sfake.NewClientset(pod, ev), kube.ClusterInfo{Context: "test", Server: "https://127.0.0.1:6443"}, nil
		}
		if code := run(f, "--admin-endpoint", addr, "--insecure", "-o", format, "flytesnacks/development/failedrun"); code != ExitErrors {
			t.Fatalf("-o %s: exit %d: %s", format, code, errOut)
		}
		return out.Bytes()
	}
	page := diagnose("html")
	reports := jsonReports(t, diagnose("json"))
	if len(reports) != 1 || len(rootSummaries(reports[0])) == 0 {
		t.Fatalf("the live run has no root cause: %+v", reports)
	}
	checkHTMLAgainstJSON(t, readHTMLPage(t, page), reports)
	for _, want := range []string{"failedrun-n0-0  Pending", "Warning BackOff ×11", "<title>flytedoctor: flytesnacks/development/failedrun FAILED</title>"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
