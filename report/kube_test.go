package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

func imagePullWithKube() *evidence.Snapshot {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	pod := "a4t8tqkzr9xw2bnl5mfd-n1-0"
	msg := `Grace period [3m0s] exceeded|containers with unready status: [` + pod + `]|Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`
	e := &evidence.ExecutionError{Kind: "USER", Code: "ContainersNotReady|ImagePullBackOff", Message: msg}
	ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "a4t8tqkzr9xw2bnl5mfd"}, Phase: "FAILED", Error: e,
		Nodes: []*evidence.Node{
			{ID: "n1", Phase: "FAILED", Kind: evidence.KindTask, Error: e, Attempts: []*evidence.TaskAttempt{
				{RetryAttempt: 0, Phase: "FAILED", PodName: pod, Error: e}}},
			{ID: "n2", Phase: "FAILED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
				{RetryAttempt: 0, Phase: "FAILED", PodName: "a4t8tqkzr9xw2bnl5mfd-n2-0"}}},
		}}
	return &evidence.Snapshot{SchemaVersion: evidence.SchemaVersion, CollectedAt: t0.Add(10 * time.Minute), Target: ex.ID, Execution: ex,
		Kube: &evidence.Kube{Namespace: "flytesnacks-development",
			Pods: []evidence.Pod{{Name: pod, Namespace: "flytesnacks-development", Phase: "Pending", NodeName: "ip-10-0-1-23.ec2.internal",
				Containers: []evidence.Container{{Name: pod, Image: "ghcr.io/acme/trainer:v1.2.3",
					State: evidence.ContainerState{State: "waiting", Reason: "ImagePullBackOff", Message: `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`}}}}},
			MissingPods: []evidence.PodRef{{Name: "a4t8tqkzr9xw2bnl5mfd-n2-0", NodeID: "n2"}},
			Events: []evidence.Event{
				{Kind: "Pod", Name: pod, Type: "Normal", Reason: "Pulling", Message: `Pulling image "ghcr.io/acme/trainer:v1.2.3"`, Count: 4, LastTime: t0.Add(5 * time.Minute)},
				{Kind: "Pod", Name: pod, Type: "Warning", Reason: "BackOff", Message: `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`, Count: 11, LastTime: t0.Add(9 * time.Minute)},
				{Kind: "Pod", Name: "other-pod", Type: "Warning", Reason: "BackOff", Message: "not ours", Count: 1, LastTime: t0},
			}},
		Storage: &evidence.Storage{Identity: evidence.StorageIdentity{ARN: "arn:aws:iam::123456789012:role/flyte-task", Source: "env"},
			Probes: []evidence.StorageProbe{{Operation: "HeadObject", Bucket: "flyte-data", Key: "metadata/propeller/x/n1/data/inputs.pb", Outcome: "denied",
				ErrorCode: "AccessDenied", HTTPStatus: 403, Path: evidence.StoragePath{Node: &evidence.NodeRef{Execution: ex.ID, NodeID: "n1"}}}}},
		Collection: []evidence.CollectorRecord{{Collector: "s3", Status: evidence.StatusOK}},
	}
}

func TestWriteTextPodsEventsAndStorage(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, &Report{Snapshot: imagePullWithKube()}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "kube-storage.txt", b.Bytes())
	out := b.String()
	// Latest event first, with its count; another pod's events are not under this attempt.
	if i, j := strings.Index(out, "BackOff ×11"), strings.Index(out, "Pulling ×4"); i < 0 || j < 0 || i > j {
		t.Errorf("events not latest-first with counts:\n%s", out)
	}
	for _, want := range []string{"waiting: ImagePullBackOff", "no longer exists", "HeadObject s3://flyte-data/metadata/propeller/x/n1/data/inputs.pb: AccessDenied (HTTP 403)", "identity arn:aws:iam::123456789012:role/flyte-task (credentials from env)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "not ours") {
		t.Error("another pod's event is shown")
	}
}
