package s3

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// SchemeNotProbed is the Unprobed reason for gs://, abfs:// and other non-S3 URIs, e.g.
// "scheme gs:// is not probed".
func SchemeNotProbed(scheme string) string { return "scheme " + scheme + ":// is not probed" }

// Compiled once; regexps are safe for concurrent use and never change.
var (
	// flytekit names the remote path between fixed words (facts D6), so a key with spaces is
	// recovered whole. The local side of a download is flytekit's own temp path, so the last
	// " to " ends the remote one.
	flytekitGet = regexp.MustCompile(`Failed to get data from (.+) to (.+?) \(recursive=`)
	flytekitPut = regexp.MustCompile(`Failed to put data from (.+?) to (.+) \(recursive=`)
	// Elsewhere a URI ends at whitespace, quotes or brackets (propeller writes "[s3://...]").
	quotedURI = regexp.MustCompile("(?i)\\b(?:s3a?|s3n|gs|gcs|abfss?|wasbs?|adl|oss|os|sw)://[^\\s'\"<>()\\[\\]{},|`]+")
)

// location is a parsed storage URI.
type location struct {
	scheme string // lower case as written: s3, s3a, gs, ...
	bucket string
	key    string // decoded S3 key
}

func (l location) s3() bool { return l.scheme == "s3" || l.scheme == "s3a" || l.scheme == "s3n" }

// String is the canonical s3:// form used to deduplicate s3a:// and s3:// spellings.
func (l location) String() string {
	s := l.scheme
	if l.s3() {
		s = "s3"
	}
	return s + "://" + l.bucket + "/" + l.key
}

// parseURI splits scheme://bucket/key without net/url, which would cut keys at '?' or '#' and
// reject stray '%'. Flyte builds metadata references with url.URL.String, so their keys arrive
// percent-encoded (a space as %20, unicode as %C3%A9); flytekit prints raw keys. A key is decoded
// when it holds a valid escape and kept verbatim otherwise.
func parseURI(raw string) (location, bool) {
	raw = strings.TrimSpace(raw)
	i := strings.Index(raw, "://")
	if i <= 0 {
		return location{}, false
	}
	scheme := strings.ToLower(raw[:i])
	for _, r := range scheme {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return location{}, false
		}
	}
	bucket, key, _ := strings.Cut(raw[i+3:], "/")
	if strings.Contains(key, "%") {
		if d, err := url.PathUnescape(key); err == nil {
			key = d
		}
	}
	return location{scheme: scheme, bucket: bucket, key: key}, true
}

// pathSet collects paths in discovery order, each object or prefix once.
type pathSet struct {
	probe, unprobed []evidence.StoragePath
	seen            map[string]bool
	probeIndex      map[string]int // dedup key → index in probe
	rawFallback     string
	execsSeen       map[evidence.ExecutionID]bool
	metaSeen        map[evidence.ExecutionID]bool
}

// Paths lists the storage paths of an execution, from the evidence alone (no I/O): the
// execution's inputs, outputs, error file and raw output prefix (fallbackRawPrefix when the
// execution has none), its propeller metadata prefix, every unsucceeded node's inputs, output dir
// and error files, and s3:// URIs quoted in error messages and reasons; child executions too.
// probe holds s3://, s3a:// and s3n:// paths; unprobed other schemes (SchemeNotProbed) and
// unusable URIs. Each object and each prefix appears once.
func Paths(ex *evidence.Execution, fallbackRawPrefix string) (probe []evidence.StoragePath, unprobed []evidence.StoragePath) {
	s := &pathSet{seen: map[string]bool{}, probeIndex: map[string]int{}, rawFallback: fallbackRawPrefix,
		execsSeen: map[evidence.ExecutionID]bool{}, metaSeen: map[evidence.ExecutionID]bool{}}
	if ex == nil {
		s.add(fallbackRawPrefix, evidence.PurposeRawOutputPrefix, evidence.PathPrefix, nil)
		return s.probe, s.unprobed
	}
	s.execution(ex)
	ex.Walk(func(p []evidence.Step) bool {
		st := p[len(p)-1]
		s.metadataPrefix(st.Execution, st.Node)
		if !evidence.Succeeded(st.Node.Phase) {
			s.node(st.Execution, st.Node)
		}
		if c := st.Node.ChildExecution; c != nil {
			s.execution(c)
		}
		return true
	})
	s.siblings(ex)
	return s.probe, s.unprobed
}

// Bounds of the sibling comparison, per family of dynamic children with failures.
const (
	// SiblingSample is how many succeeded siblings have their inputs probed.
	SiblingSample = 3
	// compareFailed is how many failed children have their inputs' owner read (one listing each).
	compareFailed = 5
)

// siblings adds, for each dynamic node with failed children, the inputs of a few children that
// succeeded, and marks both sides for comparison: the same identity read those, so what differs
// about the failed children's objects is what matters.
func (s *pathSet) siblings(ex *evidence.Execution) {
	for _, g := range ex.SiblingGroups() {
		sample := g.Sample(SiblingSample)
		if len(sample) == 0 {
			continue
		}
		for i, n := range g.Failed {
			if i == compareFailed {
				break
			}
			if j, ok := s.probeIndex[s.dedupKey(n.InputURI, evidence.PathObject)]; ok {
				s.probe[j].Compare = true
			}
		}
		for _, n := range sample {
			if i := s.add(n.InputURI, evidence.PurposeSiblingInputs, evidence.PathObject, &evidence.NodeRef{Execution: g.Execution.ID, NodeID: n.ID}); i >= 0 {
				s.probe[i].Compare = true
			}
		}
	}
}

func (s *pathSet) execution(ex *evidence.Execution) {
	if s.execsSeen[ex.ID] {
		return
	}
	s.execsSeen[ex.ID] = true
	s.add(ex.InputsURI, evidence.PurposeExecutionInputs, evidence.PathObject, nil)
	s.add(ex.OutputsURI, evidence.PurposeExecutionOutputs, evidence.PathObject, nil)
	raw := ex.RawOutputPrefix
	if raw == "" {
		raw = s.rawFallback
	}
	s.add(raw, evidence.PurposeRawOutputPrefix, evidence.PathPrefix, nil)
	if e := ex.Error; e != nil {
		s.add(e.ErrorURI, evidence.PurposeError, evidence.PathObject, nil)
		s.quoted(e.Message, nil)
	}
	s.quoted(ex.AbortCause, nil)
}

func (s *pathSet) node(ex *evidence.Execution, n *evidence.Node) {
	ref := &evidence.NodeRef{Execution: ex.ID, NodeID: n.ID}
	s.add(n.InputURI, evidence.PurposeNodeInputs, evidence.PathObject, ref)
	if n.OutputURI != "" {
		s.add(n.OutputURI, evidence.PurposeNodeOutputs, outputKind(n.OutputURI), ref)
	}
	// The output dir is where the task writes outputs.pb and error.pb; listing it says whether
	// anything was written. Only the last attempt's: older ones are history.
	if n.OutputURI == "" {
		if dir := outputDir(n); dir != "" {
			s.add(dir, evidence.PurposeNodeOutputs, evidence.PathPrefix, ref)
		}
	}
	if e := n.Error; e != nil {
		s.add(e.ErrorURI, evidence.PurposeError, evidence.PathObject, ref)
		s.quoted(e.Message, ref)
	}
	for _, a := range n.Attempts {
		s.add(a.InputURI, evidence.PurposeNodeInputs, evidence.PathObject, ref)
		if a.OutputURI != "" {
			s.add(a.OutputURI, evidence.PurposeNodeOutputs, outputKind(a.OutputURI), ref)
		}
		if e := a.Error; e != nil {
			s.add(e.ErrorURI, evidence.PurposeError, evidence.PathObject, ref)
			s.quoted(e.Message, ref)
		}
		s.quoted(a.Reason, ref)
		for _, r := range a.Reasons {
			s.quoted(r.Message, ref)
		}
	}
}

// outputDir is the last attempt's output dir: the directory of its error file, else
// <node data dir>/<attempt>/ next to inputs.pb (facts E).
func outputDir(n *evidence.Node) string {
	last := n.LastAttempt()
	if last != nil && last.Error != nil && last.Error.ErrorURI != "" {
		return dirOf(last.Error.ErrorURI)
	}
	if last == nil && n.Error != nil && n.Error.ErrorURI != "" {
		return dirOf(n.Error.ErrorURI)
	}
	if last != nil && strings.HasSuffix(n.InputURI, "/data/inputs.pb") {
		return dirOf(n.InputURI) + strconv.FormatUint(uint64(last.RetryAttempt), 10) + "/"
	}
	return ""
}

func dirOf(uri string) string {
	i := strings.LastIndexByte(uri, '/')
	if i < strings.Index(uri, "://")+3 {
		return ""
	}
	return uri[:i+1]
}

// outputKind: an output URI naming a file is an object, anything else a directory.
func outputKind(uri string) string {
	if strings.HasSuffix(uri, ".pb") {
		return evidence.PathObject
	}
	return evidence.PathPrefix
}

// metadataPrefix records the execution's propeller data dir, <base>/<project>-<domain>-<name>/,
// found in the node's data URIs (facts E).
func (s *pathSet) metadataPrefix(ex *evidence.Execution, n *evidence.Node) {
	if s.metaSeen[ex.ID] {
		return
	}
	dir := ex.ID.Project + "-" + ex.ID.Domain + "-" + ex.ID.Name
	uris := []string{n.InputURI, n.OutputURI}
	if n.Error != nil {
		uris = append(uris, n.Error.ErrorURI)
	}
	for _, u := range uris {
		l, ok := parseURI(u)
		if !ok || l.bucket == "" {
			continue
		}
		segs := strings.Split(l.key, "/")
		for i, seg := range segs {
			if seg == dir {
				s.metaSeen[ex.ID] = true
				prefix := l.scheme + "://" + l.bucket + "/" + strings.Join(segs[:i+1], "/") + "/"
				s.add(prefix, evidence.PurposeMetadataPrefix, evidence.PathPrefix, nil)
				return
			}
		}
	}
}

// quoted records storage URIs inside a message.
func (s *pathSet) quoted(msg string, ref *evidence.NodeRef) {
	if !strings.Contains(msg, "://") {
		return
	}
	var found []string
	var spans [][]int
	for _, m := range flytekitGet.FindAllStringSubmatchIndex(msg, -1) {
		found, spans = append(found, msg[m[2]:m[3]]), append(spans, m[:2])
	}
	for _, m := range flytekitPut.FindAllStringSubmatchIndex(msg, -1) {
		found, spans = append(found, msg[m[4]:m[5]]), append(spans, m[:2])
	}
	// Blank the flytekit spans so the generic scan does not find a key cut at its first space
	// (in one copy: a copy per span made long messages quadratic).
	if len(spans) > 0 {
		b := []byte(msg)
		for _, sp := range spans {
			for i := sp[0]; i < sp[1]; i++ {
				b[i] = ' '
			}
		}
		msg = string(b)
	}
	for _, u := range quotedURI.FindAllString(msg, -1) {
		found = append(found, strings.TrimRight(u, ".,;:"))
	}
	for _, u := range found {
		u = strings.TrimSpace(u)
		l, ok := parseURI(u)
		if !ok {
			continue // the local side of a transfer
		}
		purpose := evidence.PurposeQuotedInError
		if strings.HasSuffix(l.key, "_offloaded_metadata.pb") {
			purpose = evidence.PurposeOffloadedLiteral
		}
		s.add(u, purpose, quotedKind(l.key), ref)
	}
}

// quotedKind: a quoted path whose last segment has an extension is a file; otherwise it may be
// a file or a directory, and a listing with the key itself as prefix answers for both.
func quotedKind(key string) string {
	if strings.Contains(path.Base(key), ".") && !strings.HasSuffix(key, "/") {
		return evidence.PathObject
	}
	return evidence.PathPrefix
}

// quotedOnly: the path was met in a message, not as one of the node's own paths.
func quotedOnly(purpose string) bool {
	return purpose == evidence.PurposeQuotedInError || purpose == evidence.PurposeOffloadedLiteral
}

// dedupKey is how add recognizes one object or prefix spelled several ways.
func (s *pathSet) dedupKey(uri, kind string) string {
	uri = strings.TrimSpace(uri)
	dedup := uri
	if l, ok := parseURI(uri); ok {
		dedup = l.String()
	}
	// A directory and the same path quoted without its slash are one prefix.
	if kind == evidence.PathPrefix {
		dedup = strings.TrimSuffix(dedup, "/")
	}
	return kind + " " + dedup
}

// add records a path once; it returns the path's index in s.probe, or -1 when it is not probed.
func (s *pathSet) add(uri, purpose, kind string, ref *evidence.NodeRef) int {
	uri = strings.TrimSpace(uri)
	if uri == "" {
		return -1
	}
	p := evidence.StoragePath{URI: uri, Purpose: purpose, Node: ref, Kind: kind}
	l, ok := parseURI(uri)
	switch {
	case !ok:
		p.Reason = "not a storage URI"
	case !l.s3():
		p.Reason = SchemeNotProbed(l.scheme)
	case l.bucket == "":
		p.Reason = "no bucket in URI"
	}
	dedup := s.dedupKey(uri, kind)
	if s.seen[dedup] {
		// A path first met without a node (quoted in the execution's error, say), or quoted in
		// a parent's error (Flyte passes a child's error up), belongs to the node that uses it,
		// so its probe shows under that node.
		i, ok := s.probeIndex[dedup]
		if ok && ref != nil && (s.probe[i].Node == nil || quotedOnly(s.probe[i].Purpose) && !quotedOnly(purpose)) {
			s.probe[i].Node, s.probe[i].Purpose = ref, purpose
		}
		if !ok {
			return -1
		}
		return i
	}
	s.seen[dedup] = true
	if p.Reason != "" {
		s.unprobed = append(s.unprobed, p)
		return -1
	}
	s.probeIndex[dedup] = len(s.probe)
	s.probe = append(s.probe, p)
	return len(s.probe) - 1
}
