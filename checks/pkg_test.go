package checks

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"

	"github.com/flytedoctor/flytedoctor/checks/checkstest"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

func TestReadPackage(t *testing.T) {
	arch := checkstest.Archive{
		Tasks: []checkstest.Task{
			{Name: "wf.prepare", Image: "ghcr.io/acme/prep:v1", CPU: "500m", Memory: "1Gi"},
			{Name: "wf.train", Image: "ghcr.io/acme/train:v2", CPU: "2", Arch: core.Container_ARM64,
				Secrets: []*core.Secret{{Group: "aws-creds", Key: "token"}}},
		},
		ServiceAccount: "trainer", IAMRole: "arn:aws:iam::123456789012:role/trainer", RawOutputPrefix: "s3://acme/data",
	}
	pkg, err := ReadPackage(bytes.NewReader(arch.Bytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Tasks) != 3 || len(pkg.Workflows) != 1 || len(pkg.LaunchPlans) != 1 {
		t.Fatalf("read %d tasks, %d workflows, %d launch plans", len(pkg.Tasks), len(pkg.Workflows), len(pkg.LaunchPlans))
	}
	tasks, notes := pkg.TaskSpecs(Overrides{})
	if len(tasks) != 2 || len(notes) != 1 || !strings.Contains(notes[0], "wf.query") {
		t.Fatalf("tasks %+v, notes %v", tasks, notes)
	}
	prep, train := tasks[0], tasks[1]
	if prep.Images[0] != "ghcr.io/acme/prep:v1" || prep.Requests["cpu"] != "500m" || prep.Requests["memory"] != "1Gi" || prep.Platform != DefaultPlatform {
		t.Errorf("prepare: %+v", prep)
	}
	// The launch plan's security context reaches the task inside the array node too.
	for _, tk := range tasks {
		if tk.ServiceAccount != "trainer" || tk.IAMRole != arch.IAMRole || tk.RawOutputPrefix != "s3://acme/data" || tk.From != "launch plan wf.pipeline" {
			t.Errorf("%s: %+v", tk.Name, tk)
		}
	}
	if train.Platform != "linux/arm64" || len(train.Secrets) != 1 || train.Secrets[0] != (evidence.SecretRef{Group: "aws-creds", Key: "token"}) {
		t.Errorf("train: %+v", train)
	}
	// Flags override the launch plan, as flytectl register's do.
	tasks, _ = pkg.TaskSpecs(Overrides{ServiceAccount: "other", RawOutputPrefix: "s3://b/x"})
	if tasks[0].ServiceAccount != "other" || tasks[0].RawOutputPrefix != "s3://b/x" || tasks[0].IAMRole != arch.IAMRole {
		t.Errorf("overridden: %+v", tasks[0])
	}
}

func TestReadPackageRejectsOtherFiles(t *testing.T) {
	if _, err := ReadPackage(strings.NewReader("plain text")); err == nil || !strings.Contains(err.Error(), "not a gzip'd tar") {
		t.Errorf("plain text: %v", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	_ = tw.WriteHeader(&tar.Header{Name: "README", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte("hi"))
	_ = tw.Close()
	_ = zw.Close()
	if _, err := ReadPackage(&buf); err == nil || !strings.Contains(err.Error(), "no serialized tasks") {
		t.Errorf("tar without protos: %v", err)
	}
}

// Two tasks from a package: one whose image exists, one whose image does not.
func TestPackageTasksAgainstRealRegistry(t *testing.T) {
	ti := pushImages(t)
	missing := strings.Replace(ti.app, ":v1", ":does-not-exist", 1)
	arch := checkstest.Archive{Tasks: []checkstest.Task{{Name: "wf.prepare", Image: ti.app}, {Name: "wf.train", Image: missing}}}
	pkg, err := ReadPackage(bytes.NewReader(arch.Bytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	tasks, _ := pkg.TaskSpecs(Overrides{})
	spec := imageSpec(tasks...)
	spec.Package = "flyte-package.tgz"
	c := runChecks(t, &Env{Transport: guarded(t)}, spec)
	wantStatus(t, result(t, c, "FDP203", ti.app, "wf.prepare"), evidence.CheckPass)
	wantStatus(t, result(t, c, "FDP203", missing, "wf.train"), evidence.CheckFail, "not found")
}
