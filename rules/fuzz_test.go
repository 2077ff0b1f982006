package rules

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Fuzz targets for the rules' readers of outside text: Flyte's error wrappers, the scheduler's
// verdict, quantities, image-pull, storage and container messages, array-node summaries, and
// the whole table over golden snapshots with fuzzed messages. Seeds are real texts from the
// golden cases and facts; more are in testdata/fuzz. `make fuzz` runs each for FUZZTIME.

// ---------------------------------------------------------------------------------------------
// Unwrap

func unwrapSeeds() [][2]string {
	return [][2]string{
		{"RetriesExhausted|OOMKilled", "[3/3] currentAttempt done. Last Error: USER::Pod failed. No message received from kubernetes.\r\n[a4t8-n1-2] terminated with exit code (137). Reason [OOMKilled]. Message: \n."},
		{"RetriesExhausted|ContainersNotReady|ImagePullBackOff", `[1/1] currentAttempt done. Last Error: USER::Grace period [3m0s] exceeded|containers with unready status: [a4t8tqkzr9xw2bnl5mfd-n1-0]|Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`},
		{"RetriesExhausted|Interrupted", "[2/2] currentAttempt done. Last Error: SYSTEM::Pod was terminated in response to imminent node shutdown."},
		{"SubWorkflowExecutionFailed", "failed at Node[n2]. RuntimeExecutionError: max number of system retry attempts [11/10] exhausted. Last known status message: failed at Node[n0]. RetriesExhausted|OOMKilled: [1/1] currentAttempt done. Last Error: USER::OOMKilled"},
		{"USER:ValueError", "Workflow[flytesnacks:development:wf.train] failed. RetriesExhausted|USER:ValueError: [1/1] currentAttempt done. Last Error: USER::Traceback (most recent call last):\n  File \"/root/wf.py\", line 3, in t\nValueError: bad"},
	}
}

func FuzzUnwrap(f *testing.F) {
	for _, s := range unwrapSeeds() {
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

// ---------------------------------------------------------------------------------------------
// The scheduler's verdict

func schedulerSeeds() []string {
	return []string{
		"0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.",
		"Unschedulable:0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..",
		"0/5 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
		"0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
		`0/6 nodes are available: persistentvolumeclaim "training-data" not found. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.`,
		"0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't match pod anti-affinity rules, 1 Too many pods. preemption: not eligible due to preemptionPolicy=Never.",
		"0/10 nodes are available: 2 node(s) were unschedulable, 3 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 5 Insufficient memory, 5 Insufficient ephemeral-storage.",
		"no nodes available to schedule pods",
	}
}

var pendingKinds = []string{pkInsufficient, pkTaint, pkUnavailable, pkSelector, pkPodAffinity, pkVolumeAffinity, pkPVC, pkOther}

func checkSchedulerParse(t *testing.T, text string) *pendingSched {
	t.Helper()
	ps := pendingParse(text)
	if !strings.Contains(text, ps.Message) {
		t.Fatalf("Message %q is not part of the input", ps.Message)
	}
	if b := ps.Body(); !strings.Contains(ps.Message, b) {
		t.Errorf("Body %q is not part of the message %q", b, ps.Message)
	}
	for _, r := range ps.Reasons {
		if !strings.Contains(ps.Message, r.Text) {
			t.Errorf("reason %q is not part of the message %q", r.Text, ps.Message)
		}
		if !oneOf(r.Kind, pendingKinds...) {
			t.Errorf("reason %q: kind %q", r.Text, r.Kind)
		}
		if r.Kind == pkInsufficient && (r.Resource == "" || !strings.Contains(r.Text, r.Resource) && r.Text != "Too many pods") {
			t.Errorf("reason %q: resource %q", r.Text, r.Resource)
		}
		if !strings.Contains(r.Text, r.TaintKey) || !strings.Contains(r.Text, r.TaintVal) {
			t.Errorf("reason %q: taint %q=%q is not part of it", r.Text, r.TaintKey, r.TaintVal)
		}
		if r.Count < 0 && r.Count != ps.Total {
			t.Errorf("reason %q: count %d", r.Text, r.Count)
		}
	}
	return ps
}

func FuzzSchedulerMessage(f *testing.F) {
	for _, s := range schedulerSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkSchedulerParse(t, text)
	})
}

// schedulerWord is what kube-scheduler prints for resource names, taint keys and values.
var schedulerWord = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9./_-]*[A-Za-z0-9])?$`)

// FuzzSchedulerRoundTrip builds messages the way kube-scheduler does and checks that every
// clause, count, resource and taint comes back out.
func FuzzSchedulerRoundTrip(f *testing.F) {
	f.Add(uint16(4), uint16(3), "nvidia.com/gpu", uint16(1), "nvidia.com/gpu", "present", uint16(0), "node(s) didn't match Pod's node affinity/selector")
	f.Add(uint16(12), uint16(5), "memory", uint16(7), "dedicated", "spark", uint16(2), "node(s) were unschedulable")
	f.Add(uint16(1), uint16(1), "hugepages-2Mi", uint16(0), "node.kubernetes.io/unreachable", "", uint16(1), "Too many pods")
	f.Fuzz(func(t *testing.T, total, nIns uint16, res string, nTaint uint16, key, val string, nOther uint16, other string) {
		if !schedulerWord.MatchString(res) || !schedulerWord.MatchString(key) || val != "" && !schedulerWord.MatchString(val) ||
			other == "" || strings.ContainsAny(other, ",{}\n") || other[0] >= '0' && other[0] <= '9' || strings.Contains(other, ". preemption:") ||
			strings.TrimSpace(other) != other || strings.HasSuffix(other, ".") {
			return
		}
		msg := fmt.Sprintf("0/%d nodes are available: %d Insufficient %s, %d node(s) had untolerated taint {%s: %s}, %d %s. "+
			"preemption: 0/%d nodes are available: %d No preemption victims found for incoming pod.",
			total, nIns, res, nTaint, key, val, nOther, other, total, total)
		ps := checkSchedulerParse(t, msg)
		if ps.Total != int(total) {
			t.Errorf("%q: total %d, want %d", msg, ps.Total, total)
		}
		if len(ps.Reasons) != 3 {
			t.Fatalf("%q: %d reasons, want 3: %+v", msg, len(ps.Reasons), ps.Reasons)
		}
		ins, taint, oth := ps.Reasons[0], ps.Reasons[1], ps.Reasons[2]
		if ins.Count != int(nIns) || ins.Kind != pkInsufficient || ins.Resource != res {
			t.Errorf("%q: first reason %+v, want %d Insufficient %s", msg, ins, nIns, res)
		}
		if taint.Count != int(nTaint) || taint.TaintKey != key || taint.TaintVal != val || !oneOf(taint.Kind, pkTaint, pkUnavailable) {
			t.Errorf("%q: second reason %+v, want %d taint %s=%s", msg, taint, nTaint, key, val)
		}
		if oth.Count != int(nOther) || oth.Text != other {
			t.Errorf("%q: third reason %+v, want %d %q", msg, oth, nOther, other)
		}
	})
}

// ---------------------------------------------------------------------------------------------
// Quantities

var hugeExponent = regexp.MustCompile(`[eE][+-]?0*[0-9]{4}`)

func FuzzQuantity(f *testing.F) {
	for _, s := range []string{"500m", "24Gi", "95551679124", "1e3", "1.5Gi", "4", "64Mi", "100K", "2k", "0.5", "7E", "1Ei", "-1", ".5", "+3M", "10n", "1u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseQuantity(s)
		if ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Errorf("parseQuantity(%q) = %v", s, v)
		}
		if hugeExponent.MatchString(s) {
			return // apimachinery takes minutes over 1E400000000000000; no message writes one
		}
		q, err := resource.ParseQuantity(strings.TrimSpace(s))
		if err != nil {
			return
		}
		num := strings.TrimLeft(strings.TrimSpace(s), "+-")
		if i := strings.IndexFunc(num, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }); i >= 0 {
			num = num[:i]
		}
		if !strings.ContainsAny(num, "0123456789") {
			return // Kubernetes reads a bare suffix, sign or dot as 0; no message writes one
		}
		want := q.AsApproximateFloat64()
		if math.Abs(want) >= math.MaxInt64/2 {
			return // Kubernetes clamps at 2^63-1 (8Ei); no real request is that large
		}
		if !ok {
			t.Fatalf("parseQuantity(%q) failed; Kubernetes reads %v", s, want)
		}
		// Kubernetes keeps nano precision and rounds smaller values up to 1n.
		if diff := math.Abs(v - want); diff > 1e-9*math.Max(math.Abs(v), math.Abs(want))+1e-9 {
			t.Errorf("parseQuantity(%q) = %v; Kubernetes reads %v", s, v, want)
		}
	})
}

// ---------------------------------------------------------------------------------------------
// Image-pull messages

func pullSeeds() []string {
	return []string{
		`Failed to pull image "ghcr.io/acme/trainer:v1.2.3": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/trainer:v1.2.3": failed to resolve reference "ghcr.io/acme/trainer:v1.2.3": ghcr.io/acme/trainer:v1.2.3: not found`,
		`Failed to pull image "docker.io/library/python:3.11-slim": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/python:3.11-slim": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/python/manifests/sha256:abc: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.`,
		`Failed to pull image "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1": rpc error: code = Unknown desc = failed to pull and unpack image "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1": failed to resolve reference "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
		`Failed to pull image "registry.internal:5000/team/app:2": rpc error: code = Unknown desc = failed to pull and unpack image "registry.internal:5000/team/app:2": failed to resolve reference "registry.internal:5000/team/app:2": failed to do request: Head "https://registry.internal:5000/v2/team/app/manifests/2": dial tcp: lookup registry.internal on 10.96.0.10:53: no such host`,
		`Back-off pulling image "quay.io/Acme/Trainer:latest"`,
		`Failed to apply default image tag "Acme/Trainer": couldn't parse image reference "Acme/Trainer": invalid reference format: repository name must be lowercase`,
		`[ContainersNotReady|ErrImagePull]: containers with unready status: [a4t8-n1-0]|rpc error: code = NotFound desc = failed to pull and unpack image "x:1": no match for platform in manifest: not found`,
	}
}

func FuzzPullMessage(f *testing.F) {
	for _, s := range pullSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cause := pullCause(text)
		if !oneOf(cause, "", pullNotFound, pullAuth, pullUnreachable, pullRateLimited, pullPlatform) {
			t.Errorf("pullCause(%q) = %q", text, cause)
		}
		if cause != "" && !pullContext.MatchString(text) {
			t.Errorf("pullCause(%q) = %q without a pull context", text, cause)
		}
		img := pullImageIn(text)
		if img != "" && !strings.Contains(text, `"`+img+`"`) {
			t.Errorf("image %q is not quoted in %q", img, text)
		}
		if reg := pullRegistry(img); reg != "docker.io" && !strings.Contains(img, reg) {
			t.Errorf("registry %q is not part of image %q", reg, img)
		}
		if last := pullLastClause(text); !strings.Contains(text, last) {
			t.Errorf("last clause %q is not part of %q", last, text)
		}
		if ref := pullSuggestRef(img); len(ref) > len(img) {
			t.Errorf("pullSuggestRef(%q) = %q grew", img, ref)
		}
	})
}

// ---------------------------------------------------------------------------------------------
// Storage error texts

func storageSeeds() []string {
	return []string{
		"SYSTEM:DownloadDataError: error=Failed to get data from s3://acme-flyte/metadata/propeller/flytesnacks-development-a1b2/n0/data/inputs.pb to /tmp/flyte-abc/inputs.pb (recursive=False).\n\nOriginal exception: An error occurred (403) when calling the HeadObject operation: Forbidden",
		"botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: User: arn:aws:sts::123456789012:assumed-role/flyte-task/botocore-session-1 is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::acme-data/train/shard-0.parquet\" with an explicit deny in an identity-based policy",
		"failed to read data from dataDir [s3://acme-flyte/metadata/propeller/p-d-x/n1/data/0/outputs.pb]. Error: path:s3://acme-flyte/metadata/propeller/p-d-x/n1/data/0/outputs.pb: [AccessDenied] Access Denied: status code: 403, request id: 8Q2, host id: abc",
		"SYSTEM:UploadDataError: error=Failed to put data from /tmp/out to s3://acme-flyte/raw/ab/cd (recursive=True).\n\nOriginal exception: An error occurred (RequestTimeTooSkewed) when calling the PutObject operation: The difference between the request time and the current time is too large.",
		"botocore.exceptions.NoCredentialsError: Unable to locate credentials\n  File \"/usr/local/lib/python3.11/site-packages/s3fs/core.py\", line 113, in _error_wrapper",
		"An error occurred (PermanentRedirect) when calling the ListObjectsV2 operation: The bucket you are attempting to access must be addressed using the specified endpoint. the region 'us-east-1' is wrong; expecting 'eu-west-1'",
		"USER:ValueError: error=Value error!  Received: s3://acme-flyte/inputs/missing.csv. File not found",
	}
}

var storageCauses = []string{storageAccessDenied, storageNoSuchBucket, storageNoSuchKey, storageInvalidCreds,
	storageExpiredCreds, storageNoCreds, storageWrongRegion, storageClockSkew}

func FuzzStorageText(f *testing.F) {
	for _, s := range storageSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		sf := storageClassify(text)
		if sf == nil {
			return
		}
		if !oneOf(sf.cause, storageCauses...) {
			t.Errorf("cause %q", sf.cause)
		}
		line := strings.TrimSuffix(strings.TrimPrefix(sf.line, "... "), " ...")
		if !strings.Contains(text, line) {
			t.Errorf("line %q is not part of %q", sf.line, text)
		}
		if len(sf.line) > 400+len("... ")+len(" ...") {
			t.Errorf("line is %d bytes long", len(sf.line))
		}
		if utf8.ValidString(text) && !utf8.ValidString(sf.line) {
			t.Errorf("line %q cuts a character", sf.line)
		}
		for what, v := range map[string]string{"bucket": sf.bucket, "key": sf.key, "op": sf.op, "principal": sf.principal} {
			if !strings.Contains(text, v) {
				t.Errorf("%s %q is not part of the text", what, v)
			}
		}
		if sf.code == "" {
			t.Errorf("no code for %q", text)
		}
	})
}

// ---------------------------------------------------------------------------------------------
// Array-node summaries and container/traceback texts

func arraySeeds() []string {
	return []string{
		"[0-1][3]: [1/1] currentAttempt done. Last Error: USER::Pod failed. No message received from kubernetes.\r\n[fanout-n1-0-n0-0] terminated with exit code (137). Reason [OOMKilled]. Message: \n.\n[2]: USER::Traceback (most recent call last):\n  File \"/root/workflows/fanout.py\", line 31, in parse_shard\n    raise ValueError(f\"bad shard {i}\")\nValueError: bad shard 2\n",
		"[5]: code:\"USER:ValueError\" message:\"Traceback (most recent call last):\\n  File \\\"/root/wf.py\\\", line 9, in t\\nValueError: x\"\n[7-9]: resource not found, name [flytesnacks-development/x-n1-0-7]. reason: pods \"x-n1-0-7\" not found\n... and many more.",
		"[0-999]: task execution timeout [10m0s] expired",
	}
}

var flyteClasses = []string{"oom", "memory-eviction", "gpu-oom", "timeout", "deleted", "shutdown", "evicted", "other",
	"user-exception", "nonzero-exit", "interrupted"}

func FuzzArraySubtasks(f *testing.F) {
	for _, s := range arraySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		s := &Site{Snapshot: &evidence.Snapshot{}, Execution: &evidence.Execution{},
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

func tracebackSeeds() []string {
	return []string{
		"Traceback (most recent call last):\n  File \"/usr/local/lib/python3.11/site-packages/flytekit/exceptions/scopes.py\", line 206, in user_entry_point\n    return wrapped(*args, **kwargs)\n  File \"/root/workflows/train.py\", line 42, in train\n    df = pd.read_parquet(path)\nModuleNotFoundError: No module named 'pyarrow'\n",
		"Pod failed. No message received from kubernetes.\r\n[a4t8-n1-0] terminated with exit code (1). Reason [Error]. Message: \nTraceback (most recent call last):\n  File \"/root/x.py\", line 1, in <module>\nRuntimeError: boom\n.",
		"\r\n[primary] terminated with exit code (137). Reason [OOMKilled]. Message: \n\r\n[sidecar] terminated with exit code (2). Reason [Error]. Message: \nerror: cannot open /data/in.csv: No such file or directory.",
		"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.77 GiB total capacity)",
		"max number of system retry attempts [11/10] exhausted. Last known status message: Pod was terminated in response to imminent node shutdown.",
	}
}

func FuzzTraceback(f *testing.F) {
	for _, s := range tracebackSeeds() {
		f.Add("", s)
	}
	f.Add("USER:ValueError", tracebackSeeds()[0])
	f.Add("OOMKilled", tracebackSeeds()[2])
	f.Fuzz(func(t *testing.T, code, msg string) {
		if l := flyteExceptionLine(msg); l != "" {
			typ, _, _ := strings.Cut(l, ": ")
			if !strings.Contains(msg, typ) {
				t.Errorf("exception type %q is not part of the message", typ)
			}
		}
		if fr := flyteUserFrame(msg); fr != "" {
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
		_ = flyteDecisive(code, msg)
		_ = flyteTermSummary(msg)
		if l := flyteTailLine(msg); utf8.ValidString(msg) && !utf8.ValidString(l) {
			t.Errorf("tail line %q cuts a character", l)
		}
	})
}

// ---------------------------------------------------------------------------------------------
// The whole table

// fuzzBases are the golden snapshots the table target fills with fuzzed texts.
func fuzzBases(t testing.TB) []string {
	dirs, err := filepath.Glob("testdata/cases/FD*/*/snapshot.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden snapshots: %v", err)
	}
	return dirs
}

// fillTexts sets every outside text of the snapshot (messages, reasons, log text, abort
// causes; codes too when withCodes) to text, or appends text to what is there.
func fillTexts(v reflect.Value, text string, appendText, withCodes bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fillTexts(v.Elem(), text, appendText, withCodes)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			fillTexts(v.Index(i), text, appendText, withCodes)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			fillTexts(e, text, appendText, withCodes)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fv, name := v.Field(i), v.Type().Field(i).Name
			if !fv.CanSet() {
				continue
			}
			if fv.Kind() == reflect.String && (oneOf(name, "Message", "Reason", "Text", "AbortCause") || withCodes && name == "Code") {
				if appendText {
					fv.SetString(fv.String() + text)
				} else {
					fv.SetString(text)
				}
				continue
			}
			fillTexts(fv, text, appendText, withCodes)
		}
	}
}

// fuzzSnapshot is golden snapshot base (modulo the number of them) with texts filled per mode.
func fuzzSnapshot(t testing.TB, bases []string, base, mode uint8, text string) *evidence.Snapshot {
	snap := loadSnapshot(t, bases[int(base)%len(bases)])
	fillTexts(reflect.ValueOf(snap), text, mode&1 == 1, mode&2 == 2)
	return snap
}

func FuzzRun(f *testing.F) {
	bases := fuzzBases(f)
	seeds := []string{unwrapSeeds()[0][1], schedulerSeeds()[0], pullSeeds()[0], storageSeeds()[0], tracebackSeeds()[1], arraySeeds()[0]}
	for i, s := range seeds {
		f.Add(uint8(i*13), uint8(i), s)
	}
	table := Table()
	f.Fuzz(func(t *testing.T, base, mode uint8, text string) {
		snap := fuzzSnapshot(t, bases, base, mode, text)
		orig := fuzzSnapshot(t, bases, base, mode, text)
		res := Run(snap, table, Config{})
		if !reflect.DeepEqual(snap, orig) {
			t.Fatal("Run changed the snapshot")
		}
		if again := Run(snap, table, Config{}); !reflect.DeepEqual(res, again) {
			t.Fatal("two runs over the same snapshot differ")
		}
		roots := 0
		for _, fd := range res.Findings {
			r := Lookup(table, fd.RuleID)
			if r == nil {
				t.Fatalf("finding of unknown rule %s", fd.RuleID)
			}
			if fd.Category != r.Category || !contains(r.Causes, fd.Cause) {
				t.Errorf("%s: category %s, cause %s", fd.RuleID, fd.Category, fd.Cause)
			}
			if strings.TrimSpace(fd.Summary) == "" {
				t.Errorf("%s: empty summary", fd.RuleID)
			}
			// Texts are cut for summaries and evidence; a cut must not split a character.
			if utf8.ValidString(text) {
				for _, v := range append([]string{fd.Summary, fd.Detail}, fd.Evidence...) {
					if !utf8.ValidString(v) {
						t.Errorf("%s: %q cuts a character", fd.RuleID, v)
					}
				}
			}
			if fd.RootCause {
				roots++
			}
		}
		if n := len(sites(snap)); roots > n {
			t.Errorf("%d root causes for %d places", roots, n)
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
