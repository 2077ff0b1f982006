package flyteadmin

//lint:file-ignore SA1019 flyteadmin v1.16 still fills the deprecated URI fields (inputs/outputs UrlBlob, output_uri, auth_role, abort_cause) and older servers fill only them

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/deadline"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// Name is the collector's name in evidence records and --skip.
const Name = "flyteadmin"

// Defaults.
const (
	DefaultPageSize       = 500
	DefaultMaxConcurrency = 8
	DefaultMaxChildDepth  = 5
)

// flyteadmin trims error messages in list responses to 100 bytes, then drops a partial UTF-8
// rune, so a listed message of 97..100 bytes may be cut.
const trimmedErrLen = 100

// AdminAPI is the part of flyteidl's AdminService the collector calls. The generated
// service.AdminServiceClient satisfies it.
type AdminAPI interface {
	GetExecution(ctx context.Context, in *admin.WorkflowExecutionGetRequest, opts ...grpc.CallOption) (*admin.Execution, error)
	GetExecutionData(ctx context.Context, in *admin.WorkflowExecutionGetDataRequest, opts ...grpc.CallOption) (*admin.WorkflowExecutionGetDataResponse, error)
	ListNodeExecutions(ctx context.Context, in *admin.NodeExecutionListRequest, opts ...grpc.CallOption) (*admin.NodeExecutionList, error)
	GetNodeExecution(ctx context.Context, in *admin.NodeExecutionGetRequest, opts ...grpc.CallOption) (*admin.NodeExecution, error)
	ListTaskExecutions(ctx context.Context, in *admin.TaskExecutionListRequest, opts ...grpc.CallOption) (*admin.TaskExecutionList, error)
	GetVersion(ctx context.Context, in *admin.GetVersionRequest, opts ...grpc.CallOption) (*admin.GetVersionResponse, error)
}

// Collector reads one execution from Flyte Admin.
type Collector struct {
	API      AdminAPI
	Endpoint string // for messages and evidence only
	// PageSize is the list page size (limit); flyteadmin serves 1,000 rows a page comfortably.
	PageSize uint32
	// MaxConcurrency bounds the calls in flight.
	MaxConcurrency int
	// MaxChildDepth bounds how deep child launch-plan executions are followed.
	MaxChildDepth int
	Now           func() time.Time
	// OnExecution, when set, is called once, from the collector's goroutine, as soon as
	// GetExecution answered for the root execution: the execution without its nodes, a copy
	// the collector does not touch again. Collectors that need only what it says (the
	// namespace, the raw output prefix, the IAM role) can start then. It must not block.
	OnExecution func(*evidence.Execution)
	// OnNode, when set, is called for every node that did not succeed as soon as its page of
	// the node list arrived, with a copy of the node as listed (no attempts or children yet)
	// and the execution it belongs to; collectors can learn from it how big the failure is
	// before the walk ends. It is called from several goroutines at once and must not block.
	OnNode func(evidence.ExecutionID, evidence.Node)
}

// Result is what Collect read.
type Result struct {
	Execution *evidence.Execution
	Admin     evidence.AdminInfo
	Record    evidence.CollectorRecord
}

// NotFoundError says the execution does not exist on the Admin that was asked.
type NotFoundError struct {
	ID       evidence.ExecutionID
	Endpoint string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("execution %s not found on %s", e.ID, e.Endpoint)
}

// ReadError says the execution itself could not be read; Err is the gRPC error, kept so the
// caller can explain it (adminclient.Conn.Explain).
type ReadError struct {
	ID       evidence.ExecutionID
	Endpoint string
	Err      error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("cannot read execution %s from Flyte Admin at %s: %s", e.ID, e.Endpoint, describe(e.Err))
}

func (e *ReadError) Unwrap() error { return e.Err }

// Collect reads the execution id and everything under it that did not succeed. It fails only
// when the execution itself cannot be read; later failed calls are recorded in the result.
func (c *Collector) Collect(ctx context.Context, id evidence.ExecutionID) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := c.newRun()

	var version, inputsURI, outputsURI string
	r.wg.Go(func() { version = r.version(ctx) })
	r.wg.Go(func() { inputsURI, outputsURI = r.executionData(ctx, id) })
	root, _, err := r.collectExecution(ctx, id, 0, 0)
	if err != nil {
		cancel() // the calls started beside GetExecution are moot now
		r.wg.Wait()
		if status.Code(err) == codes.NotFound {
			return nil, &NotFoundError{ID: id, Endpoint: c.Endpoint}
		}
		return nil, &ReadError{ID: id, Endpoint: c.Endpoint, Err: err}
	}
	r.wg.Wait()
	root.InputsURI, root.OutputsURI = inputsURI, outputsURI

	return &Result{
		Execution: root,
		Admin:     evidence.AdminInfo{Endpoint: c.Endpoint, Version: version},
		Record:    r.record(),
	}, nil
}

// run is the state of one Collect call.
type run struct {
	c     *Collector
	slots *slots
	wg    sync.WaitGroup
	rec   *evidence.Recorder
}

func (c *Collector) newRun() *run {
	n := c.MaxConcurrency
	if n <= 0 {
		n = DefaultMaxConcurrency
	}
	r := &run{c: c, slots: newSlots(n)}
	r.rec = evidence.NewRecorder(Name, r.now())
	return r
}

func (r *run) now() time.Time {
	if r.c.Now != nil {
		return r.c.Now()
	}
	return time.Now()
}

func (r *run) pageSize() uint32 {
	if r.c.PageSize == 0 {
		return DefaultPageSize
	}
	return r.c.PageSize
}

func (r *run) maxChildDepth() int {
	if r.c.MaxChildDepth <= 0 {
		return DefaultMaxChildDepth
	}
	return r.c.MaxChildDepth
}

// call runs one RPC under the concurrency bound. depth is the number of calls this one had to
// wait for, plus one; the largest depth is the critical path of the collection. The returned
// Call (nil when the run ended before a slot was free, so nothing was sent) has the attempts the
// retry interceptor made.
func call[T any](ctx context.Context, r *run, method string, depth int, fn func(context.Context) (T, error)) (T, *evidence.Call, error) {
	prio := prioLeaf
	if method == "ListNodeExecutions" || method == "GetExecution" {
		prio = prioFanout
	}
	var zero T
	if err := r.slots.acquire(ctx, prio); err != nil {
		return zero, nil, err
	}
	if err := deadline.Ended(ctx); err != nil { // the slot came as the run ended: nothing is sent
		r.slots.release()
		return zero, nil, err
	}
	cctx, c := r.rec.Start(ctx, method, depth)
	v, err := fn(cctx)
	c.End()
	r.slots.release()
	return v, c, err
}

// fail records a failed call; c is the call, nil when it was never sent.
func (r *run) fail(method, target string, err error, c *evidence.Call) {
	e := evidence.CollectionError{Method: method, Target: target, Code: status.Code(err).String(), Message: describe(err)}
	if c != nil {
		e.Attempts = c.Attempts()
	} else if runEnded(err) {
		e.NotSent, e.Code = true, status.FromContextError(err).Code().String()
	}
	r.rec.Fail(e)
}

// runEnded reports whether err is the run's context ending.
func runEnded(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func (r *run) record() evidence.CollectorRecord {
	st := evidence.StatusOK
	if r.rec.Failures() > 0 {
		st = evidence.StatusPartial
	}
	return r.rec.Record(st, r.now())
}

func (r *run) version(ctx context.Context) string {
	resp, c, err := call(ctx, r, "GetVersion", 1, func(ctx context.Context) (*admin.GetVersionResponse, error) {
		return r.c.API.GetVersion(ctx, &admin.GetVersionRequest{})
	})
	if err != nil {
		// Old or locked-down servers may not answer; the version is a nicety, not evidence of a failure.
		if code := status.Code(err); code != codes.Unimplemented && code != codes.PermissionDenied {
			r.fail("GetVersion", r.c.Endpoint, err, c)
		}
		return ""
	}
	return resp.GetControlPlaneVersion().GetVersion()
}

// collectExecution reads an execution and its top-level nodes, expanding what did not succeed.
// GetExecution and the node list do not depend on each other, so both start at once. depth is
// the depth of the call that led here; nesting counts child-execution hops.
// The returned Call is GetExecution's.
func (r *run) collectExecution(ctx context.Context, id evidence.ExecutionID, depth, nesting int) (*evidence.Execution, *evidence.Call, error) {
	var nodes []*evidence.Node
	var listed bool
	var lists sync.WaitGroup
	lists.Go(func() { nodes, listed = r.listNodes(ctx, id, "", depth, nesting) })
	ex, c, err := call(ctx, r, "GetExecution", depth+1, func(ctx context.Context) (*admin.Execution, error) {
		return r.c.API.GetExecution(ctx, &admin.WorkflowExecutionGetRequest{Id: toWorkflowExecutionID(id)})
	})
	if err == nil && nesting == 0 && r.c.OnExecution != nil {
		r.c.OnExecution(convertExecution(ex))
	}
	lists.Wait()
	if err != nil {
		return nil, c, err
	}
	out := convertExecution(ex)
	if listed || len(nodes) > 0 {
		out.Nodes = nodes
	}
	return out, c, nil
}

func (r *run) executionData(ctx context.Context, id evidence.ExecutionID) (inputs, outputs string) {
	resp, c, err := call(ctx, r, "GetExecutionData", 1, func(ctx context.Context) (*admin.WorkflowExecutionGetDataResponse, error) {
		return r.c.API.GetExecutionData(ctx, &admin.WorkflowExecutionGetDataRequest{Id: toWorkflowExecutionID(id)})
	})
	if err != nil {
		// Recorded even when the run ended: without it the report could not say why the inputs
		// are unknown. (When GetExecution itself fails, the whole result is dropped anyway.)
		r.fail("GetExecutionData", id.String(), err, c)
		return "", ""
	}
	return resp.GetInputs().GetUrl(), resp.GetOutputs().GetUrl()
}

// listNodes pages through the node executions under parentID ("" for the top level) and starts
// the expansion of each unsuccessful node as soon as its page arrives.
func (r *run) listNodes(ctx context.Context, exID evidence.ExecutionID, parentID string, depth, nesting int) ([]*evidence.Node, bool) {
	var nodes []*evidence.Node
	seen := map[string]bool{}
	token := ""
	target := exID.String()
	if parentID != "" {
		target += " node " + parentID
	}
	for {
		req := &admin.NodeExecutionListRequest{
			WorkflowExecutionId: toWorkflowExecutionID(exID),
			Limit:               r.pageSize(),
			Token:               token,
			SortBy:              &admin.Sort{Key: "id", Direction: admin.Sort_ASCENDING},
			UniqueParentId:      parentID,
		}
		depth++
		resp, c, err := call(ctx, r, "ListNodeExecutions", depth, func(ctx context.Context) (*admin.NodeExecutionList, error) {
			return r.c.API.ListNodeExecutions(ctx, req)
		})
		if err != nil {
			r.fail("ListNodeExecutions", target, err, c)
			return nodes, false
		}
		for _, ne := range resp.GetNodeExecutions() {
			nid := ne.GetId().GetNodeId()
			if isPseudoNode(ne) || seen[nid] {
				continue
			}
			seen[nid] = true
			n := convertNode(ne, parentID)
			nodes = append(nodes, n)
			if r.c.OnNode != nil && !evidence.Succeeded(n.Phase) {
				r.c.OnNode(exID, *n) // before expand's goroutines write to n
			}
			r.expand(ctx, exID, n, depth, nesting)
		}
		next := resp.GetToken()
		if next == "" || next == token || len(resp.GetNodeExecutions()) == 0 {
			return nodes, true
		}
		token = next
	}
}

// isPseudoNode reports Flyte's start-node and end-node, which UIs hide. Inside subworkflows and
// dynamic nodes their ids are unique ids such as "n0-0-start-node", or a hash when those would
// exceed 20 characters, so the template id is checked too.
func isPseudoNode(ne *admin.NodeExecution) bool {
	for _, id := range []string{ne.GetId().GetNodeId(), ne.GetMetadata().GetSpecNodeId()} {
		if id == "start-node" || id == "end-node" || strings.HasSuffix(id, "-start-node") || strings.HasSuffix(id, "-end-node") {
			return true
		}
	}
	return false
}

// expand starts the calls an unsuccessful node needs. Each goroutine writes only its own fields
// of n, and nothing reads them before run.wg is done.
func (r *run) expand(ctx context.Context, exID evidence.ExecutionID, n *evidence.Node, depth, nesting int) {
	if evidence.Succeeded(n.Phase) {
		return
	}
	if n.Error != nil && len(n.Error.Message) >= trimmedErrLen-3 {
		r.wg.Go(func() { r.fullNodeError(ctx, exID, n, depth) })
	}
	if n.IsParent {
		r.wg.Go(func() {
			children, ok := r.listNodes(ctx, exID, n.ID, depth, nesting)
			n.Children, n.ChildrenCollected = children, ok
		})
	}
	if n.Kind == evidence.KindTask || n.IsDynamic || n.IsArray {
		r.wg.Go(func() { n.Attempts = r.listTasks(ctx, exID, n, depth) })
	}
	if child := n.ChildExecutionID; child != nil {
		if nesting+1 > r.maxChildDepth() {
			r.fail("GetExecution", child.String(), status.Errorf(codes.OutOfRange,
				"child execution not followed: deeper than %d launch-plan levels", r.maxChildDepth()), nil)
			return
		}
		r.wg.Go(func() {
			cex, c, err := r.collectExecution(ctx, *child, depth, nesting+1)
			if err != nil {
				r.fail("GetExecution", child.String(), err, c)
				return
			}
			n.ChildExecution = cex
		})
	}
}

func (r *run) fullNodeError(ctx context.Context, exID evidence.ExecutionID, n *evidence.Node, depth int) {
	full, c, err := call(ctx, r, "GetNodeExecution", depth+1, func(ctx context.Context) (*admin.NodeExecution, error) {
		return r.c.API.GetNodeExecution(ctx, &admin.NodeExecutionGetRequest{Id: &core.NodeExecutionIdentifier{
			NodeId: n.ID, ExecutionId: toWorkflowExecutionID(exID),
		}})
	})
	if err != nil {
		n.ErrorTrimmed = true
		r.fail("GetNodeExecution", exID.String()+" node "+n.ID, err, c)
		return
	}
	if e := convertError(full.GetClosure().GetError()); e != nil {
		n.Error = e
	}
}

// listTasks reads every attempt of a node. Unlike node lists, flyteadmin (v1.10 to v1.16) does
// not trim errors in task-execution lists, so no GetTaskExecution follows.
func (r *run) listTasks(ctx context.Context, exID evidence.ExecutionID, n *evidence.Node, depth int) []*evidence.TaskAttempt {
	target := exID.String() + " node " + n.ID
	nodeID := &core.NodeExecutionIdentifier{NodeId: n.ID, ExecutionId: toWorkflowExecutionID(exID)}
	var attempts []*evidence.TaskAttempt
	type key struct {
		task    evidence.Identifier
		attempt uint32
	}
	seen := map[key]bool{}
	token := ""
	for {
		req := &admin.TaskExecutionListRequest{
			NodeExecutionId: nodeID,
			Limit:           r.pageSize(),
			Token:           token,
			SortBy:          &admin.Sort{Key: "id", Direction: admin.Sort_ASCENDING},
		}
		depth++
		resp, c, err := call(ctx, r, "ListTaskExecutions", depth, func(ctx context.Context) (*admin.TaskExecutionList, error) {
			return r.c.API.ListTaskExecutions(ctx, req)
		})
		if err != nil {
			r.fail("ListTaskExecutions", target, err, c)
			break
		}
		for _, te := range resp.GetTaskExecutions() {
			a := convertAttempt(te)
			k := key{a.TaskID, a.RetryAttempt}
			if seen[k] {
				continue
			}
			seen[k] = true
			attempts = append(attempts, a)
		}
		next := resp.GetToken()
		if next == "" || next == token || len(resp.GetTaskExecutions()) == 0 {
			break
		}
		token = next
	}
	sort.SliceStable(attempts, func(i, j int) bool { return attempts[i].RetryAttempt < attempts[j].RetryAttempt })
	return attempts
}

// describe renders an RPC error as one line: the gRPC code and the server's message, with
// grpc-go's transport wrapping removed from connection errors.
func describe(err error) string {
	if s, ok := status.FromError(err); ok {
		msg := s.Message()
		// `connection error: desc = "transport: Error while dialing: dial tcp ...: connection refused"`
		if head, rest, ok := strings.Cut(msg, `connection error: desc = "`); ok && s.Code() == codes.Unavailable {
			inner, tail, _ := strings.Cut(rest, `"`)
			msg = head + strings.TrimPrefix(inner, "transport: Error while dialing: ") + tail
		}
		return s.Code().String() + ": " + msg
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out (raise --timeout)"
	}
	return err.Error()
}
