//go:build linux

package subproc

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// script is sh -c body as a helper, with $D a fresh directory (returned) and stdout in out.
func script(t *testing.T, ctx context.Context, body string) (cmd *exec.Cmd, out *bytes.Buffer, dir string) {
	t.Helper()
	dir = t.TempDir()
	cmd = Command(ctx, false, "sh", "-c", body)
	cmd.Env = append(os.Environ(), "D="+dir)
	out = &bytes.Buffer{}
	cmd.Stdout = out
	return cmd, out, dir
}

// pids waits until path holds n pids and returns them.
func pids(t *testing.T, path string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if f := strings.Fields(string(b)); len(f) >= n {
			out := make([]int, len(f))
			for i, s := range f {
				out[i], _ = strconv.Atoi(s)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never got %d pids: %q", path, n, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || !bytes.HasPrefix(bytes.TrimSpace(stat[i+1:]), []byte("Z"))
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d was still running", pid)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCancelKillsTheWholeGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd, _, dir := script(t, ctx, `echo $$ > "$D/pids"; sleep 30 & echo $! >> "$D/pids"; wait`)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ps := pids(t, filepath.Join(dir, "pids"), 2)
	start := time.Now()
	cancel()
	if err := cmd.Wait(); err == nil {
		t.Error("Wait after cancel returned nil, want the kill")
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("Wait returned %s after cancel", took)
	}
	for _, p := range ps {
		waitGone(t, p) // the shell and the sleep it started
	}
}

func TestWaitDoesNotWaitForAStrayDescendant(t *testing.T) {
	// setsid puts the sleep outside the group; it keeps stdout open after the shell exits.
	cmd, out, dir := script(t, context.Background(), `setsid sleep 30 & echo $! > "$D/pids"; echo token`)
	start := time.Now()
	err := Finished(cmd, cmd.Run())
	took := time.Since(start)
	stray := pids(t, filepath.Join(dir, "pids"), 1)[0]
	defer syscall.Kill(stray, syscall.SIGKILL)
	if took > WaitDelay+500*time.Millisecond {
		t.Errorf("Run took %s with a descendant holding stdout, want about WaitDelay (%s)", took, WaitDelay)
	}
	if err != nil || strings.TrimSpace(out.String()) != "token" {
		t.Errorf("Run = %v, output %q; want success and what the shell printed", err, out)
	}
	cmd, _, _ = script(t, context.Background(), "exit 3")
	if err := Finished(cmd, cmd.Run()); err == nil {
		t.Error("a failed command is reported as finished")
	}
}

func TestEndAllKillsAdoptedOrphans(t *testing.T) {
	if err := Adopt(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The shell exits at once; its sleep, in a session of its own, is orphaned and adopted.
	cmd := Command(context.Background(), false, "sh", "-c", `setsid sleep 30 >/dev/null 2>&1 & echo $! > "$D/pids"`)
	cmd.Env = append(os.Environ(), "D="+dir)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	orphan := pids(t, filepath.Join(dir, "pids"), 1)[0]
	defer syscall.Kill(orphan, syscall.SIGKILL)
	if !alive(orphan) {
		t.Fatal("the orphan is not running")
	}
	EndAll()
	waitGone(t, orphan)
}

func TestHasChildren(t *testing.T) {
	if hasChildren() {
		t.Skip("the test process already has a child")
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !hasChildren() {
		t.Error("hasChildren is false with a sleep running")
	}
	_ = cmd.Process.Kill()
	if !hasChildren() { // running still or a zombie: not reaped, and hasChildren must not reap it
		t.Error("hasChildren is false with a child not reaped yet")
	}
	_ = cmd.Wait()
	if hasChildren() {
		t.Error("hasChildren is true once the child is reaped")
	}
}
