package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sfake "k8s.io/client-go/kubernetes/fake"

	"github.com/flytedoctor/flytedoctor/internal/redact"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

var t0 = time.Date(2026, 8, 14, 9, 0, 0, 0, time.UTC)

func untar(t *testing.T, data []byte) (names []string, members map[string][]byte) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	members = map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names, members
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		names = append(names, h.Name)
		members[h.Name] = b
	}
}

func TestBuilderIndexAndLimits(t *testing.T) {
	red := redact.New(redact.Options{Patterns: []*regexp.Regexp{regexp.MustCompile(`customer-[a-z]+`)}})
	b := NewBuilder(red, Limits{LogBytes: 4096, LogPods: 1, TotalBytes: 2000}, "case-customer-acme", t0)
	b.Manifest().CommandLine = []string{"flytedoctor", "bundle", "--admin-endpoint=https://u:hunter2pw@admin.acme.io", "x"}
	if err := b.AddValue("snapshot.json", map[string]string{"note": "for customer-acme", "password": "pw123456"}); err != nil {
		t.Fatal(err)
	}
	b.AddText("logs/customer-acme-n0-0/main.log", "hello")
	b.AddText("logs/big.log", strings.Repeat("x", 3000)) // past the total
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	names, members := untar(t, buf.Bytes())
	if names[0] != "case-[redacted:user-pattern]/manifest.json" {
		t.Fatalf("first member %q; all %v", names[0], names)
	}
	if strings.Contains(buf.String(), "customer-acme") {
		t.Error("a user pattern survived (member names?)")
	}
	var m Manifest
	if err := json.Unmarshal(members[names[0]], &m); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(m.CommandLine, " "), "hunter2pw") {
		t.Errorf("command line not redacted: %q", m.CommandLine)
	}
	// Every member but the manifest is in the index, with its size and hash.
	if len(m.Files) != len(names)-1 {
		t.Fatalf("index has %d files, archive %d members: %+v", len(m.Files), len(names), m.Files)
	}
	for _, f := range m.Files {
		data, ok := members["case-[redacted:user-pattern]/"+f.Path]
		sum := sha256.Sum256(data)
		if !ok || int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("index entry %+v does not match the member (%d bytes)", f, len(data))
		}
	}
	if len(m.LimitsHit) != 1 || m.LimitsHit[0].Limit != "total_bytes" || m.LimitsHit[0].File != "logs/big.log" {
		t.Errorf("limits hit: %+v", m.LimitsHit)
	}
	if m.Redactions < 4 { // command line password, note, password field, two names
		t.Errorf("redactions %d", m.Redactions)
	}
	var rj struct{ Redactions []redact.Removal }
	if err := json.Unmarshal(members["case-[redacted:user-pattern]/redactions.json"], &rj); err != nil || len(rj.Redactions) == 0 {
		t.Fatalf("redactions.json: %v %s", err, members["case-[redacted:user-pattern]/redactions.json"])
	}
	if err := b.Write(io.Discard); err == nil {
		t.Error("a builder wrote twice")
	}
}

func TestWriteFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "b.tar.gz")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := NewBuilder(redact.New(redact.Options{}), DefaultLimits(), "b", t0)
	b.AddText("a.txt", "a")
	if err := WriteFile(path, b); err != nil {
		t.Fatal(err)
	}
	// A failed write (the builder was written already) leaves the bundle and no temp file.
	if err := WriteFile(path, b); err == nil {
		t.Fatal("second write succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	data, _ := os.ReadFile(path)
	if _, m := untar(t, data); m["b/a.txt"] == nil {
		t.Errorf("bundle has %v", m)
	}
}

func TestAdminPath(t *testing.T) {
	id := &core.WorkflowExecutionIdentifier{Project: "p", Domain: "d", Name: "abc"}
	for _, c := range []struct {
		req  proto.Message
		want string
	}{
		{&admin.WorkflowExecutionGetRequest{Id: id}, "admin/api/v1/executions/p/d/abc.json"},
		{&admin.WorkflowExecutionGetDataRequest{Id: id}, "admin/api/v1/data/executions/p/d/abc.json"},
		{&admin.NodeExecutionListRequest{WorkflowExecutionId: id, Token: "500"}, "admin/api/v1/node_executions/p/d/abc.token-500.json"},
		{&admin.NodeExecutionListRequest{WorkflowExecutionId: id, UniqueParentId: "n1"}, "admin/api/v1/node_executions/p/d/abc.parent-n1.json"},
		{&admin.NodeExecutionGetRequest{Id: &core.NodeExecutionIdentifier{ExecutionId: id, NodeId: "n1-0-dn3"}}, "admin/api/v1/node_executions/p/d/abc/n1-0-dn3.json"},
		{&admin.TaskExecutionListRequest{NodeExecutionId: &core.NodeExecutionIdentifier{ExecutionId: id, NodeId: "n1"}}, "admin/api/v1/task_executions/p/d/abc/n1.json"},
		{&admin.ObjectGetRequest{Id: &core.Identifier{Project: "p", Domain: "d", Name: "wf.t", Version: "v1"}}, "admin/api/v1/tasks/p/d/wf.t/v1.json"},
		// What a name may not hold is replaced, and ".." cannot climb.
		{&admin.WorkflowExecutionGetRequest{Id: &core.WorkflowExecutionIdentifier{Project: "..", Domain: "a/b", Name: ""}}, "admin/api/v1/executions/_../a_b/_.json"},
	} {
		got := AdminPath("", c.req)
		if got != c.want {
			t.Errorf("%T: %q, want %q", c.req, got, c.want)
		}
	}
}

func TestHeadTail(t *testing.T) {
	for _, c := range []struct {
		in         string
		h, tl      int64
		head, tail string
		cut        bool
	}{
		{"abcdef", 2, 10, "ab", "cdef", false},
		{"abcdefghij", 2, 3, "ab", "hij", true},
		{"abcdefghij", 0, 3, "", "hij", true},
	} {
		for _, chunk := range []int{1, 3, 100} {
			w := newHeadTail(c.h, c.tl)
			for i := 0; i < len(c.in); i += chunk {
				w.Write([]byte(c.in[i:min(len(c.in), i+chunk)]))
			}
			if string(w.head) != c.head || string(w.tailBytes()) != c.tail || w.cut() != c.cut {
				t.Errorf("%q h%d t%d by %d: head %q tail %q cut %v", c.in, c.h, c.tl, chunk, w.head, w.tailBytes(), w.cut())
			}
		}
	}
}

func TestFetchLogsKeepsHeadAndTail(t *testing.T) {
	// The fake clientset answers every log request with "fake logs"; what matters here is that
	// the targets are the containers that ran in pods that did not succeed.
	pods := []corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "ok", Namespace: "ns"}, Status: corev1.PodStatus{Phase: corev1.PodSucceeded},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: "ns"}, Status: corev1.PodStatus{Phase: corev1.PodFailed,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "main", RestartCount: 1,
				State:                corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}}}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}, {Name: "sidecar-never-started"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "pending", Namespace: "ns"}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "main", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "over-the-limit", Namespace: "ns"}, Status: corev1.PodStatus{Phase: corev1.PodFailed},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}}}},
	}
	logs, hits, run := FetchLogs(context.Background(), k8sfake.NewClientset(), pods, Limits{LogBytes: 4, LogPods: 2}, func() time.Time { return t0 })
	var files []string
	for _, l := range logs {
		files = append(files, l.File())
	}
	if strings.Join(files, " ") != "logs/bad/main.log logs/bad/main.previous.log" {
		t.Errorf("logs %v", files)
	}
	// "fake logs" is 9 bytes, 4 are kept: the cut is marked in the text and in the hits.
	if !logs[0].Cut || !strings.Contains(logs[0].Text, "left out here") || !strings.HasPrefix(logs[0].Text, "f") || !strings.HasSuffix(logs[0].Text, "ogs") {
		t.Errorf("log %+v", logs[0])
	}
	var limits []string
	for _, h := range hits {
		limits = append(limits, h.Limit)
	}
	if strings.Join(limits, " ") != "log_pods log_bytes log_bytes" || run.Status != "ok" || run.Calls != 2 {
		t.Errorf("hits %+v run %+v", hits, run)
	}
}
