package cli

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/plan"
)

// A collector that ignores its context is abandoned plan.StopGrace after the deadline: the run
// still reports the Admin evidence and says which collector was cut short.
func TestStuckCollectorIsAbandonedAtTheDeadline(t *testing.T) {
	addr := startAdmin(t)
	f, out, errOut := testFactory(t, nil)
	release := make(chan struct{})
	defer close(release)
	f.KubeClient = func(kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		cs := k8sfake.NewClientset()
		// A reactor sees no context: stuck in something that does not watch it.
		cs.PrependReactor("list", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
			<-release
			return true, nil, errors.New("released")
		})
		return cs, kube.ClusterInfo{Context: "test", Server: "https://127.0.0.1:6443"}, nil
	}
	start := time.Now()
	code := run(f, "--admin-endpoint", addr, "--insecure", "--skip", "s3", "--timeout", "1s", "flytesnacks/development/failedrun")
	took := time.Since(start)
	if code != ExitErrors {
		t.Fatalf("exit %d, want %d; stderr %s", code, ExitErrors, errOut)
	}
	if took > time.Second+plan.StopGrace+500*time.Millisecond {
		t.Errorf("the run took %s, want --timeout 1s + plan.StopGrace (%s)", took, plan.StopGrace)
	}
	for _, want := range []string{"ImagePullBackOff", "kube was cut short: timed out after --timeout 1s (collect)", "still busy 500ms after the stop; abandoned"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// An interrupt before Admin answered leaves nothing to report: one line, exit 1.
func TestInterruptBeforeAdminAnswered(t *testing.T) {
	addr := startAdmin(t)
	f, out, errOut := testFactory(t, nil)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(Interrupted(os.Interrupt))
	code := Main(ctx, f, []string{"--admin-endpoint", addr, "--insecure", "flytesnacks/development/failedrun"})
	if code != ExitFailure || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q; want %d and nothing", code, out, ExitFailure)
	}
	if want := "flytedoctor: interrupted by SIGINT while connecting to Flyte Admin at " + addr + "; nothing was collected\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}
