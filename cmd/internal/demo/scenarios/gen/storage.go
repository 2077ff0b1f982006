package gen

//lint:file-ignore SA1019 flyteadmin v1.16 still fills the deprecated URI fields (inputs/outputs UrlBlob, output_uri, auth_role, abort_cause) and older servers fill only them

import (
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
)

// store builds a scenario's storage spec: the objects its Admin fixture points at, plus extras.
type store struct {
	objs map[string]map[string]s3stub.Object // bucket → key
	deny map[string][]s3stub.Rule
	enc  map[string]*s3stub.Encryption // bucket default encryption
}

func newStore() *store {
	return &store{objs: map[string]map[string]s3stub.Object{}, deny: map[string][]s3stub.Rule{}, enc: map[string]*s3stub.Encryption{}}
}

// put adds an object at an s3:// URI; the earliest write wins.
func (s *store) put(uri string, size int64, when time.Time) {
	bucket, key, ok := splitS3(uri)
	if !ok {
		return
	}
	if s.objs[bucket] == nil {
		s.objs[bucket] = map[string]s3stub.Object{}
	}
	if old, ok := s.objs[bucket][key]; ok && !old.LastModified.After(when) {
		return
	}
	s.objs[bucket][key] = s3stub.Object{Key: key, Size: size, LastModified: when.UTC().Truncate(time.Second)}
}

// denyAt adds a rule to the bucket of an s3:// URI.
func (s *store) denyAt(bucketURI string, r s3stub.Rule) {
	bucket, _, _ := splitS3(bucketURI)
	s.deny[bucket] = append(s.deny[bucket], r)
}

func splitS3(uri string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", false
	}
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key, true
}

// size is a plausible, stable size for a small protobuf file.
func size(uri string, lo, spread int64) int64 {
	h := fnv.New32a()
	h.Write([]byte(uri))
	return lo + int64(h.Sum32())%spread
}

// fixture adds every object an Admin fixture names: offloaded execution inputs and outputs,
// node inputs, outputs, futures and decks, and task outputs and error files.
func (s *store) fixture(f *fakeadmin.Fixture) {
	tm := func(t *timestamppb.Timestamp) time.Time { return t.AsTime() }
	for _, ef := range f.Executions {
		e := ef.Execution
		if in := ef.Data.GetInputs(); in.GetUrl() != "" {
			s.put(in.GetUrl(), in.GetBytes(), tm(e.GetClosure().GetCreatedAt()))
			s.put(strings.TrimSuffix(in.GetUrl(), "/inputs")+"/user_inputs", in.GetBytes(), tm(e.GetClosure().GetCreatedAt()))
		}
		if out := e.GetClosure().GetOutputs().GetUri(); out != "" {
			s.put(out, size(out, 40, 600), tm(e.GetClosure().GetUpdatedAt()))
		}
		for _, nf := range ef.Nodes {
			n := nf.NodeExecution
			c := n.GetClosure()
			s.put(n.GetInputUri(), size(n.GetInputUri(), 60, 400), tm(c.GetCreatedAt()))
			s.put(c.GetOutputUri(), size(c.GetOutputUri(), 40, 900), tm(c.GetUpdatedAt()))
			s.put(c.GetDynamicJobSpecUri(), 420*int64(len(ef.Nodes)), tm(c.GetStartedAt()).Add(30*time.Second))
			s.put(c.GetDeckUri(), size(c.GetDeckUri(), 20000, 9000), tm(c.GetUpdatedAt()))
			s.put(c.GetError().GetErrorUri(), int64(len(c.GetError().GetMessage())+48), tm(c.GetUpdatedAt()))
			for _, te := range nf.Tasks {
				tc := te.GetClosure()
				s.put(te.GetInputUri(), size(te.GetInputUri(), 60, 400), tm(tc.GetCreatedAt()))
				s.put(tc.GetOutputUri(), size(tc.GetOutputUri(), 40, 900), tm(tc.GetUpdatedAt()))
				if e := tc.GetError(); e.GetErrorUri() != "" {
					when := tm(tc.GetUpdatedAt())
					if e.GetTimestamp() != nil {
						when = tm(e.GetTimestamp())
					}
					s.put(e.GetErrorUri(), int64(len(e.GetMessage())+48), when)
				}
			}
		}
	}
}

// spec is the storage spec: the demo's two buckets in us-east-1, objects sorted by key.
func (s *store) spec() *s3stub.Spec {
	var out s3stub.Spec
	for _, uri := range []string{metaBucket, strings.TrimSuffix(rawPrefix, "/data")} {
		name, _, _ := splitS3(uri)
		b := s3stub.Bucket{Name: name, Region: cwRegion, Deny: s.deny[name], Encryption: s.enc[name]}
		for _, o := range s.objs[name] {
			b.Objects = append(b.Objects, o)
		}
		slices.SortFunc(b.Objects, func(x, y s3stub.Object) int { return strings.Compare(x.Key, y.Key) })
		out.Buckets = append(out.Buckets, b)
	}
	return &out
}

// encrypt sets an object's own encryption (key != "") or its bucket's default (key == "").
func (s *store) encrypt(bucket, key string, e s3stub.Encryption) {
	if key == "" {
		s.enc[bucket] = &e
		return
	}
	if o, ok := s.objs[bucket][key]; ok {
		o.Encryption = &e
		s.objs[bucket][key] = o
	}
}
