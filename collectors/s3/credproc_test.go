package s3

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// writeProcessProfile writes profile dev with credential_process = sh -c 'script' and selects it.
func writeProcessProfile(t *testing.T, dir, script string) {
	t.Helper()
	cfg := "[profile dev]\nregion = us-west-2\ncredential_process = sh -c '" + script + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_PROFILE", "dev")
}

func readPids(t *testing.T, path string) []int {
	t.Helper()
	b, _ := os.ReadFile(path)
	var out []int
	for _, f := range strings.Fields(string(b)) {
		p, _ := strconv.Atoi(f)
		out = append(out, p)
	}
	return out
}

// running: alive and not a zombie.
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || !bytes.HasPrefix(bytes.TrimSpace(stat[i+1:]), []byte("Z"))
}

func TestCredentialProcessSignsRequests(t *testing.T) {
	dir := cleanEnv(t)
	writeProcessProfile(t, dir, `echo run >> `+dir+`/runs; echo "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"s\"}"`)
	f := newFakeS3(t)
	f.buckets["my-s3-bucket"] = "us-west-2"
	cl, err := NewClients(context.Background(), ClientOptions{Endpoint: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Identity.Source != "profile:dev" {
		t.Errorf("identity source = %q, want profile:dev", cl.Identity.Source)
	}
	c := &Collector{S3: cl.S3, Identity: cl.Identity}
	st, _ := c.Collect(context.Background(), []evidence.StoragePath{prefixPath("s3://my-s3-bucket/data", evidence.PurposeRawOutputPrefix)})
	if st.Probes[0].Outcome != evidence.ProbeOK {
		t.Errorf("probe: %+v", st.Probes[0])
	}
	if k := signedKeys(f); len(k) == 0 || k[0] != "AKIDPROC" {
		t.Errorf("signed with %v, want the credential_process key", k)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "runs")); strings.Count(string(b), "run") != 1 {
		t.Errorf("credential_process ran %d times, want once (cached)", strings.Count(string(b), "run"))
	}
}

func TestHangingCredentialProcessIsKilledAtTheDeadline(t *testing.T) {
	dir := cleanEnv(t)
	pidFile := filepath.Join(dir, "pids")
	writeProcessProfile(t, dir, `echo $$ >> `+pidFile+`; sleep 30 & echo $! >> `+pidFile+`; wait`)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := NewClients(ctx, ClientOptions{})
	if took := time.Since(start); took > 700*time.Millisecond+500*time.Millisecond {
		t.Errorf("NewClients returned after %s, want about the 700ms deadline", took)
	}
	if err == nil || !strings.Contains(err.Error(), "credential_process") || !strings.Contains(err.Error(), "had not printed credentials by the deadline") {
		t.Errorf("err = %v", err)
	}
	pids := readPids(t, pidFile)
	if len(pids) != 2 {
		t.Fatalf("pids %v: the process did not start as expected", pids)
	}
	deadline := time.Now().Add(time.Second)
	for _, p := range pids {
		for running(p) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if running(p) {
			t.Errorf("process %d of the credential_process still runs", p)
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
}
