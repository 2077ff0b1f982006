package s3stub

import (
	"cmp"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// Server serves a Spec over HTTP, path-style. It is safe for concurrent use.
type Server struct {
	buckets map[string]*Bucket
	seq     atomic.Uint64 // request ids

	mu      sync.Mutex
	objects map[string]map[string]Object // bucket → key → object, spec plus writes
}

// New returns a Server for spec. Later duplicates in spec win.
func New(spec Spec) *Server {
	s := &Server{buckets: map[string]*Bucket{}, objects: map[string]map[string]Object{}}
	for i := range spec.Buckets {
		b := spec.Buckets[i]
		s.buckets[b.Name] = &b
		objs := map[string]Object{}
		for _, o := range b.Objects {
			objs[o.Key] = o
		}
		s.objects[b.Name] = objs
	}
	return s
}

// Start serves on 127.0.0.1 and a free port until stop is called or ctx ends. endpoint is the
// base URL for the SDK's BaseEndpoint, e.g. "http://127.0.0.1:40123".
func (s *Server) Start(ctx context.Context) (endpoint string, stop func(), err error) {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("s3stub: listen: %w", err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = hs.Serve(lis) // returns once closed
	}()
	stop = sync.OnceFunc(func() {
		_ = hs.Close()
		<-served
	})
	context.AfterFunc(ctx, stop)
	return "http://" + lis.Addr().String(), stop, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.requestID()
	h := w.Header()
	h.Set("x-amz-request-id", reqID)
	h.Set("x-amz-id-2", hostID(reqID))
	h.Set("Server", "AmazonS3")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	rq := &request{w: w, r: r, id: reqID}

	name, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if name == "" {
		rq.notImplemented()
		return
	}
	b := s.buckets[name]
	if b == nil {
		rq.fail(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", errorField{"BucketName", name})
		return
	}
	h.Set("x-amz-bucket-region", b.Region)
	q := r.URL.Query()
	if key == "" {
		switch {
		case r.Method == http.MethodHead:
			s.headBucket(rq, b)
		case r.Method == http.MethodGet && q.Has("location"):
			s.getBucketLocation(rq, b)
		case r.Method == http.MethodGet && q.Get("list-type") == "2":
			s.listObjectsV2(rq, b, q)
		default:
			rq.notImplemented()
		}
		return
	}
	for k := range q {
		if k != "x-id" { // the SDK names the operation in x-id; other sub-resources are not served
			rq.notImplemented()
			return
		}
	}
	switch r.Method {
	case http.MethodHead, http.MethodGet:
		s.getObject(rq, b, key)
	case http.MethodPut:
		if r.Header.Get("x-amz-copy-source") != "" {
			rq.notImplemented()
			return
		}
		s.putObject(rq, b, key)
	case http.MethodDelete:
		s.deleteObject(rq, b, key)
	default:
		rq.notImplemented()
	}
}

func (s *Server) headBucket(rq *request, b *Bucket) {
	if r, ok := b.denied(ActionListBucket, ""); ok {
		rq.denied(r)
		return
	}
	rq.w.Header().Set("x-amz-access-point-alias", "false")
	rq.w.WriteHeader(http.StatusOK)
}

func (s *Server) getBucketLocation(rq *request, b *Bucket) {
	if r, ok := b.denied(ActionGetBucketLocation, ""); ok {
		rq.denied(r)
		return
	}
	loc := b.Region
	if loc == "us-east-1" {
		loc = "" // S3 reports us-east-1 as an empty constraint
	}
	rq.xml(http.StatusOK, struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		NS      string   `xml:"xmlns,attr"`
		Region  string   `xml:",chardata"`
	}{NS: xmlns, Region: loc})
}

type listEntry struct {
	Key          string
	LastModified string
	ETag         string
	Size         int64
	Owner        *listOwner `xml:",omitempty"`
	StorageClass string
}

type listOwner struct {
	ID string
}

type commonPrefix struct {
	Prefix string
}

type listResult struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	NS                    string   `xml:"xmlns,attr"`
	Name                  string
	Prefix                string
	Delimiter             string `xml:",omitempty"`
	StartAfter            string `xml:",omitempty"`
	ContinuationToken     string `xml:",omitempty"`
	NextContinuationToken string `xml:",omitempty"`
	KeyCount              int
	MaxKeys               int
	EncodingType          string `xml:",omitempty"`
	IsTruncated           bool
	Contents              []listEntry
	CommonPrefixes        []commonPrefix
}

func (s *Server) listObjectsV2(rq *request, b *Bucket, q url.Values) {
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	if r, ok := b.denied(ActionListBucket, prefix); ok {
		rq.denied(r)
		return
	}
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			rq.fail(http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range",
				errorField{"ArgumentName", "max-keys"}, errorField{"ArgumentValue", v})
			return
		}
		maxKeys = min(n, 1000)
	}
	after := q.Get("start-after")
	token := q.Get("continuation-token")
	if token != "" {
		t, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			rq.fail(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect",
				errorField{"ArgumentName", "continuation-token"})
			return
		}
		after = string(t)
	}
	encode := func(v string) string { return v }
	if q.Get("encoding-type") == "url" {
		encode = func(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "%2F", "/") }
	}

	res := listResult{NS: xmlns, Name: b.Name, Prefix: encode(prefix), Delimiter: encode(delim), StartAfter: encode(q.Get("start-after")),
		ContinuationToken: token, MaxKeys: maxKeys, EncodingType: q.Get("encoding-type")}
	seen := map[string]bool{}
	last := ""
	for _, o := range s.sorted(b.Name) {
		k := o.Key
		if !strings.HasPrefix(k, prefix) || k <= after || (strings.HasSuffix(after, delim) && delim != "" && strings.HasPrefix(k, after)) {
			continue
		}
		cp := ""
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp = k[:len(prefix)+i+len(delim)]
				if seen[cp] {
					continue
				}
			}
		}
		if res.KeyCount == maxKeys {
			res.IsTruncated = true
			break
		}
		res.KeyCount++
		if cp != "" {
			seen[cp] = true
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{encode(cp)})
			last = cp
			continue
		}
		e := listEntry{Key: encode(k), LastModified: o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"),
			ETag: etag(o), Size: o.Size, StorageClass: "STANDARD"}
		if q.Get("fetch-owner") == "true" {
			e.Owner = &listOwner{ID: cmp.Or(o.Owner, BucketOwner)}
		}
		res.Contents = append(res.Contents, e)
		last = k
	}
	if res.IsTruncated {
		res.NextContinuationToken = base64.StdEncoding.EncodeToString([]byte(last))
	}
	rq.xml(http.StatusOK, res)
}

func (s *Server) getObject(rq *request, b *Bucket, key string) {
	if r, ok := b.denied(ActionGetObject, key); ok {
		rq.denied(r)
		return
	}
	o, ok := s.lookup(b.Name, key)
	if !ok {
		// Without s3:ListBucket, S3 will not say whether a key exists.
		if r, denied := b.denied(ActionListBucket, key); denied {
			rq.denied(r)
			return
		}
		rq.fail(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", errorField{"Key", key})
		return
	}
	h := rq.w.Header()
	h.Set("Last-Modified", o.LastModified.UTC().Format(http.TimeFormat))
	h.Set("ETag", etag(o))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", "application/octet-stream")
	enc := cmp.Or(o.Encryption, b.Encryption, &Encryption{SSE: "AES256"})
	h.Set("x-amz-server-side-encryption", enc.SSE)
	if enc.KMSKeyID != "" {
		h.Set("x-amz-server-side-encryption-aws-kms-key-id", enc.KMSKeyID)
	}
	if enc.BucketKeyEnabled {
		h.Set("x-amz-server-side-encryption-bucket-key-enabled", "true")
	}
	start, end, status := int64(0), o.Size-1, http.StatusOK
	if rng := rq.r.Header.Get("Range"); rng != "" && rq.r.Method == http.MethodGet {
		var ok bool
		if start, end, ok = parseRange(rng, o.Size); !ok {
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", o.Size))
			rq.fail(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable",
				errorField{"RangeRequested", rng}, errorField{"ActualObjectSize", strconv.FormatInt(o.Size, 10)})
			return
		}
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, o.Size))
	}
	h.Set("Content-Length", strconv.FormatInt(end-start+1, 10))
	rq.w.WriteHeader(status)
	if rq.r.Method == http.MethodGet {
		writeContent(rq.w, o.Key, start, end)
	}
}

func (s *Server) putObject(rq *request, b *Bucket, key string) {
	n, _ := io.Copy(io.Discard, io.LimitReader(rq.r.Body, 1<<30))
	if r, ok := b.denied(ActionPutObject, key); ok {
		rq.denied(r)
		return
	}
	if v, err := strconv.ParseInt(rq.r.Header.Get("x-amz-decoded-content-length"), 10, 64); err == nil {
		n = v // aws-chunked upload: the body has chunk framing around the payload
	}
	o := Object{Key: key, Size: n, LastModified: time.Now().UTC().Truncate(time.Second)}
	s.mu.Lock()
	s.objects[b.Name][key] = o
	s.mu.Unlock()
	rq.w.Header().Set("ETag", etag(o))
	rq.w.Header().Set("x-amz-server-side-encryption", "AES256")
	rq.w.WriteHeader(http.StatusOK)
}

func (s *Server) deleteObject(rq *request, b *Bucket, key string) {
	if r, ok := b.denied(ActionDeleteObject, key); ok {
		rq.denied(r)
		return
	}
	s.mu.Lock()
	delete(s.objects[b.Name], key)
	s.mu.Unlock()
	rq.w.WriteHeader(http.StatusNoContent) // also for a missing key, as S3 does
}

func (s *Server) lookup(bucket, key string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[bucket][key]
	return o, ok
}

func (s *Server) sorted(bucket string) []Object {
	s.mu.Lock()
	out := make([]Object, 0, len(s.objects[bucket]))
	for _, o := range s.objects[bucket] {
		out = append(out, o)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func (s *Server) requestID() string {
	x := s.seq.Add(1) * 0x9e3779b97f4a7c15 // spread the counter over 16 hex digits
	x ^= x >> 31
	return fmt.Sprintf("%016X", x)
}

func hostID(reqID string) string {
	sum := sha512.Sum512([]byte(reqID))
	return base64.StdEncoding.EncodeToString(sum[:57])
}

func etag(o Object) string {
	sum := md5.Sum([]byte(fmt.Sprintf("%s\x00%d\x00%d", o.Key, o.Size, o.LastModified.Unix())))
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// writeContent writes bytes start..end of the key's generated content.
func writeContent(w io.Writer, key string, start, end int64) {
	pattern := sha256.Sum256([]byte(key))
	buf := make([]byte, 32*1024)
	for off := start; off <= end; {
		n := min(int64(len(buf)), end-off+1)
		for i := range n {
			buf[i] = pattern[(off+i)%int64(len(pattern))]
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return
		}
		off += n
	}
}

// parseRange reads one HTTP byte range: "bytes=a-b", "bytes=a-" or "bytes=-n".
func parseRange(h string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, true
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start >= size {
		return 0, 0, false
	}
	end = size - 1
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < start {
			return 0, 0, false
		}
		end = min(e, size-1)
	}
	return start, end, true
}

// request is one request being answered.
type request struct {
	w  http.ResponseWriter
	r  *http.Request
	id string
}

type errorField struct{ name, value string }

func (rq *request) denied(r Rule) {
	msg := r.Message
	if msg == "" {
		msg = "Access Denied"
	}
	rq.fail(http.StatusForbidden, "AccessDenied", msg)
}

func (rq *request) notImplemented() {
	rq.fail(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented")
}

// fail writes an S3 error: status only for HEAD, an <Error> document otherwise.
func (rq *request) fail(status int, code, msg string, fields ...errorField) {
	if rq.r.Method == http.MethodHead {
		rq.w.WriteHeader(status)
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error>")
	field := func(name, value string) {
		b.WriteString("<" + name + ">")
		_ = xml.EscapeText(&b, []byte(value))
		b.WriteString("</" + name + ">")
	}
	field("Code", code)
	field("Message", msg)
	for _, f := range fields {
		field(f.name, f.value)
	}
	field("RequestId", rq.id)
	field("HostId", hostID(rq.id))
	b.WriteString("</Error>")
	rq.w.Header().Set("Content-Type", "application/xml")
	rq.w.WriteHeader(status)
	_, _ = io.WriteString(rq.w, b.String())
}

func (rq *request) xml(status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		rq.fail(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	}
	rq.w.Header().Set("Content-Type", "application/xml")
	rq.w.WriteHeader(status)
	_, _ = io.WriteString(rq.w, xml.Header)
	_, _ = rq.w.Write(out)
}
