package read

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/rule"
	"k8s.io/apimachinery/pkg/api/resource"
)

// ParseQuantity is apimachinery behind a guard: it must answer fast on anything (the corpus has
// a 10^400000000000000 case that apimachinery itself takes minutes over), never return NaN or
// Inf, and agree with apimachinery wherever the guard lets an input through.
func FuzzQuantity(f *testing.F) {
	for _, s := range []string{"500m", "24Gi", "95551679124", "1e3", "1.5Gi", "4", "64Mi", "100K", "2k", "0.5", "7E", "1Ei", "-1", ".5", "+3M", "10n", "1u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseQuantity(s)
		if ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Errorf("ParseQuantity(%q) = %v", s, v)
		}
		if !ok || strings.HasSuffix(strings.TrimSpace(s), "K") {
			return
		}
		q, err := resource.ParseQuantity(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("ParseQuantity(%q) = %v; Kubernetes refuses it: %v", s, v, err)
		}
		if want := q.AsApproximateFloat64(); v != want {
			t.Errorf("ParseQuantity(%q) = %v; Kubernetes reads %v", s, v, want)
		}
	})
}

// Messages and specs write these; the values are what the API server stores.
func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]float64{"500m": 0.5, "24Gi": 24 << 30, "1500M": 1.5e9, "100K": 1e5, "1e3": 1000, " 2 ": 2} {
		if got, ok := ParseQuantity(in); !ok || got != want {
			t.Errorf("ParseQuantity(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "m", "+", "Inf", "NaN", "0x10", "1E4000", "1e0000000000000000000000009", strings.Repeat("9", 65), "12 Gi"} {
		if got, ok := ParseQuantity(in); ok {
			t.Errorf("ParseQuantity(%q) = %v, want refused", in, got)
		}
	}
}

func ArraySeeds() []string {
	return []string{
		"[0-1][3]: [1/1] currentAttempt done. Last Error: USER::Pod failed. No message received from kubernetes.\r\n[fanout-n1-0-n0-0] terminated with exit code (137). Reason [OOMKilled]. Message: \n.\n[2]: USER::Traceback (most recent call last):\n  File \"/root/workflows/fanout.py\", line 31, in parse_shard\n    raise ValueError(f\"bad shard {i}\")\nValueError: bad shard 2\n",
		"[5]: code:\"USER:ValueError\" message:\"Traceback (most recent call last):\\n  File \\\"/root/wf.py\\\", line 9, in t\\nValueError: x\"\n[7-9]: resource not found, name [flytesnacks-development/x-n1-0-7]. reason: pods \"x-n1-0-7\" not found\n... and many more.",
		"[0-999]: task execution timeout [10m0s] expired",
	}
}

var flyteClasses = []string{"oom", "memory-eviction", "gpu-oom", "timeout", "deleted", "shutdown", "evicted", "other",
	"user-exception", "nonzero-exit", "interrupted"}

func FuzzArraySubtasks(f *testing.F) {
	for _, s := range ArraySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		s := &rule.Site{Snapshot: &evidence.Snapshot{}, Execution: &evidence.Execution{},
			Node: &evidence.Node{ID: "n1", IsArray: true, Error: &evidence.ExecutionError{Message: msg}}}
		subs, ok := flyteReadArraySubs(s)
		if !ok {
			return
		}
		n := 0
		for _, sub := range subs {
			if !strings.Contains(msg, sub.Ranges) || !strings.HasPrefix(sub.Ranges, "[") {
				t.Errorf("ranges %q", sub.Ranges)
			}
			if !oneOf(sub.Class, flyteClasses...) {
				t.Errorf("class %q", sub.Class)
			}
			for _, i := range sub.Indices {
				if i < 0 {
					t.Fatalf("index %d in %q", i, sub.Ranges)
				}
			}
			n += len(sub.Indices)
		}
		if n > flyteMaxSubtasks {
			t.Errorf("%d subtask indices from %d bytes", n, len(msg))
		}
	})
}

func TracebackSeeds() []string {
	return []string{
		"Traceback (most recent call last):\n  File \"/usr/local/lib/python3.11/site-packages/flytekit/exceptions/scopes.py\", line 206, in user_entry_point\n    return wrapped(*args, **kwargs)\n  File \"/root/workflows/train.py\", line 42, in train\n    df = pd.read_parquet(path)\nModuleNotFoundError: No module named 'pyarrow'\n",
		"Pod failed. No message received from kubernetes.\r\n[a4t8-n1-0] terminated with exit code (1). Reason [Error]. Message: \nTraceback (most recent call last):\n  File \"/root/x.py\", line 1, in <module>\nRuntimeError: boom\n.",
		"\r\n[primary] terminated with exit code (137). Reason [OOMKilled]. Message: \n\r\n[sidecar] terminated with exit code (2). Reason [Error]. Message: \nerror: cannot open /data/in.csv: No such file or directory.",
		"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.77 GiB total capacity)",
		"max number of system retry attempts [11/10] exhausted. Last known status message: Pod was terminated in response to imminent node shutdown.",
	}
}

func FuzzTraceback(f *testing.F) {
	for _, s := range TracebackSeeds() {
		f.Add("", s)
	}
	f.Add("USER:ValueError", TracebackSeeds()[0])
	f.Add("OOMKilled", TracebackSeeds()[2])
	f.Fuzz(func(t *testing.T, code, msg string) {
		if l := ExceptionLine(msg); l != "" {
			typ, _, _ := strings.Cut(l, ": ")
			if !strings.Contains(msg, typ) {
				t.Errorf("exception type %q is not part of the message", typ)
			}
		}
		if fr := UserFrame(msg); fr != "" {
			if file, _, _ := strings.Cut(fr, ":"); !strings.Contains(msg, file) {
				t.Errorf("frame %q is not part of the message", fr)
			}
		}
		for _, term := range flyteTermsIn(msg) {
			for _, part := range []string{term.Container, term.Reason, term.Tail} {
				if !strings.Contains(msg, part) {
					t.Errorf("termination part %q is not part of the message", part)
				}
			}
		}
		if c := flyteClass(code, msg); !oneOf(c, flyteClasses...) {
			t.Errorf("class %q", c)
		}
		_ = Decisive(code, msg)
		_ = TermSummary(msg)
		if l := TailLine(msg); utf8.ValidString(msg) && !utf8.ValidString(l) {
			t.Errorf("tail line %q cuts a character", l)
		}
	})
}

// oneOf reports whether v is one of the allowed values.
func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}
