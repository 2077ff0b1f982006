package rule

import (
	"strings"
	"testing"
)

func UnwrapSeeds() [][2]string {
	return [][2]string{
		{"RetriesExhausted|OOMKilled", "[3/3] currentAttempt done. Last Error: USER::Pod failed. No message received from kubernetes.\r\n[a4t8-n1-2] terminated with exit code (137). Reason [OOMKilled]. Message: \n."},
		{"RetriesExhausted|ContainersNotReady|ImagePullBackOff", `[1/1] currentAttempt done. Last Error: USER::Grace period [3m0s] exceeded|containers with unready status: [a4t8tqkzr9xw2bnl5mfd-n1-0]|Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`},
		{"RetriesExhausted|Interrupted", "[2/2] currentAttempt done. Last Error: SYSTEM::Pod was terminated in response to imminent node shutdown."},
		{"SubWorkflowExecutionFailed", "failed at Node[n2]. RuntimeExecutionError: max number of system retry attempts [11/10] exhausted. Last known status message: failed at Node[n0]. RetriesExhausted|OOMKilled: [1/1] currentAttempt done. Last Error: USER::OOMKilled"},
		{"USER:ValueError", "Workflow[flytesnacks:development:wf.train] failed. RetriesExhausted|USER:ValueError: [1/1] currentAttempt done. Last Error: USER::Traceback (most recent call last):\n  File \"/root/wf.py\", line 3, in t\nValueError: bad"},
	}
}

func FuzzUnwrap(f *testing.F) {
	for _, s := range UnwrapSeeds() {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, code, msg string) {
		c, m := Unwrap(code, msg)
		// Unwrapping only cuts wrappers off the front: the result is a suffix of the input.
		if !strings.HasSuffix(code, c) {
			t.Errorf("code %q is not a suffix of %q", c, code)
		}
		if !strings.HasSuffix(msg, m) {
			t.Errorf("message %q is not a suffix of %q", m, msg)
		}
		// Every wrapper is removed, so unwrapping again changes nothing.
		if c2, m2 := Unwrap(c, m); c2 != c || m2 != m {
			t.Errorf("Unwrap is not idempotent: (%q, %q) then (%q, %q)", c, m, c2, m2)
		}
	})
}
