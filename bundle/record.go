package bundle

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
)

// AdminCall is one Admin call as the collector made it: the request and the response (or
// the error), the raw protos the snapshot was built from.
type AdminCall struct {
	Method   string
	Request  proto.Message
	Response proto.Message // nil when Err is set
	Err      error
	Duration time.Duration
}

// AdminRecorder is a flyteadmin.AdminAPI that keeps every call it passes on. The bundle's
// admin/ files are these responses re-encoded as protojson: what the collector read, not a
// second read that might differ.
type AdminRecorder struct {
	API flyteadmin.AdminAPI
	Now func() time.Time

	mu    sync.Mutex
	calls []AdminCall
}

var _ flyteadmin.AdminAPI = (*AdminRecorder)(nil)

// Calls returns the calls recorded so far, in the order they ended.
func (r *AdminRecorder) Calls() []AdminCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]AdminCall(nil), r.calls...)
}

func (r *AdminRecorder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func record[Req, Resp proto.Message](r *AdminRecorder, method string, req Req, call func() (Resp, error)) (Resp, error) {
	start := r.now()
	resp, err := call()
	c := AdminCall{Method: method, Request: proto.Clone(req), Err: err, Duration: r.now().Sub(start)}
	if err == nil {
		c.Response = proto.Clone(resp)
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return resp, err
}

// GetExecution implements flyteadmin.AdminAPI.
func (r *AdminRecorder) GetExecution(ctx context.Context, in *admin.WorkflowExecutionGetRequest, opts ...grpc.CallOption) (*admin.Execution, error) {
	return record(r, "GetExecution", in, func() (*admin.Execution, error) { return r.API.GetExecution(ctx, in, opts...) })
}

// GetExecutionData implements flyteadmin.AdminAPI.
func (r *AdminRecorder) GetExecutionData(ctx context.Context, in *admin.WorkflowExecutionGetDataRequest, opts ...grpc.CallOption) (*admin.WorkflowExecutionGetDataResponse, error) {
	return record(r, "GetExecutionData", in, func() (*admin.WorkflowExecutionGetDataResponse, error) {
		return r.API.GetExecutionData(ctx, in, opts...)
	})
}

// ListNodeExecutions implements flyteadmin.AdminAPI.
func (r *AdminRecorder) ListNodeExecutions(ctx context.Context, in *admin.NodeExecutionListRequest, opts ...grpc.CallOption) (*admin.NodeExecutionList, error) {
	return record(r, "ListNodeExecutions", in, func() (*admin.NodeExecutionList, error) { return r.API.ListNodeExecutions(ctx, in, opts...) })
}

// GetNodeExecution implements flyteadmin.AdminAPI.
func (r *AdminRecorder) GetNodeExecution(ctx context.Context, in *admin.NodeExecutionGetRequest, opts ...grpc.CallOption) (*admin.NodeExecution, error) {
	return record(r, "GetNodeExecution", in, func() (*admin.NodeExecution, error) { return r.API.GetNodeExecution(ctx, in, opts...) })
}

// ListTaskExecutions implements flyteadmin.AdminAPI.
func (r *AdminRecorder) ListTaskExecutions(ctx context.Context, in *admin.TaskExecutionListRequest, opts ...grpc.CallOption) (*admin.TaskExecutionList, error) {
	return record(r, "ListTaskExecutions", in, func() (*admin.TaskExecutionList, error) { return r.API.ListTaskExecutions(ctx, in, opts...) })
}

// GetVersion implements flyteadmin.AdminAPI.
func (r *AdminRecorder) GetVersion(ctx context.Context, in *admin.GetVersionRequest, opts ...grpc.CallOption) (*admin.GetVersionResponse, error) {
	return record(r, "GetVersion", in, func() (*admin.GetVersionResponse, error) { return r.API.GetVersion(ctx, in, opts...) })
}

// TaskGetter is the Admin call the bundle adds to what the collector reads: the task
// definitions of the attempts, for their images and resources.
type TaskGetter interface {
	GetTask(ctx context.Context, in *admin.ObjectGetRequest, opts ...grpc.CallOption) (*admin.Task, error)
}

// GetTask records a GetTask call through api.
func (r *AdminRecorder) GetTask(ctx context.Context, api TaskGetter, in *admin.ObjectGetRequest) (*admin.Task, error) {
	return record(r, "GetTask", in, func() (*admin.Task, error) { return api.GetTask(ctx, in) })
}

// KubeObjects are the Kubernetes objects a run read, as the API returned them.
type KubeObjects struct {
	Pods            []corev1.Pod
	Events          []corev1.Event
	Nodes           []corev1.Node
	Quotas          []corev1.ResourceQuota
	LimitRanges     []corev1.LimitRange
	ServiceAccounts []corev1.ServiceAccount
}

// KubeRecorder wraps a clientset so that the core/v1 reads the collector makes (pods,
// events, quotas, limit ranges, nodes, service accounts) are kept. Everything else passes
// through untouched.
type KubeRecorder struct {
	kubernetes.Interface

	mu   sync.Mutex
	objs KubeObjects
	seen map[string]int // kind/namespace/name -> index in its list
}

// NewKubeRecorder wraps c.
func NewKubeRecorder(c kubernetes.Interface) *KubeRecorder {
	return &KubeRecorder{Interface: c, seen: map[string]int{}}
}

// Objects returns what was read, each object once.
func (k *KubeRecorder) Objects() KubeObjects {
	k.mu.Lock()
	defer k.mu.Unlock()
	o := k.objs
	o.Pods = append([]corev1.Pod(nil), o.Pods...)
	o.Events = append([]corev1.Event(nil), o.Events...)
	o.Nodes = append([]corev1.Node(nil), o.Nodes...)
	o.Quotas = append([]corev1.ResourceQuota(nil), o.Quotas...)
	o.LimitRanges = append([]corev1.LimitRange(nil), o.LimitRanges...)
	o.ServiceAccounts = append([]corev1.ServiceAccount(nil), o.ServiceAccounts...)
	return o
}

// keep adds items to into, each object (by kind, namespace and name) once: a later read of
// one replaces the earlier, as the collector's own merge does.
func keep[T any](k *KubeRecorder, kind string, items []T, meta func(*T) metav1.ObjectMeta, into *[]T) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range items {
		m := meta(&items[i])
		key := kind + "/" + m.Namespace + "/" + m.Name
		if j, ok := k.seen[key]; ok {
			(*into)[j] = items[i]
			continue
		}
		k.seen[key] = len(*into)
		*into = append(*into, items[i])
	}
}

// AddNodes keeps nodes read outside the collector (the nodes the pods ran on).
func (k *KubeRecorder) AddNodes(nodes ...corev1.Node) {
	keep(k, "Node", nodes, func(n *corev1.Node) metav1.ObjectMeta { return n.ObjectMeta }, &k.objs.Nodes)
}

// CoreV1 implements kubernetes.Interface.
func (k *KubeRecorder) CoreV1() typedcorev1.CoreV1Interface {
	return coreRecorder{CoreV1Interface: k.Interface.CoreV1(), k: k}
}

type coreRecorder struct {
	typedcorev1.CoreV1Interface
	k *KubeRecorder
}

func (c coreRecorder) Pods(ns string) typedcorev1.PodInterface {
	return podRecorder{PodInterface: c.CoreV1Interface.Pods(ns), k: c.k}
}

func (c coreRecorder) Events(ns string) typedcorev1.EventInterface {
	return eventRecorder{EventInterface: c.CoreV1Interface.Events(ns), k: c.k}
}

func (c coreRecorder) Nodes() typedcorev1.NodeInterface {
	return nodeRecorder{NodeInterface: c.CoreV1Interface.Nodes(), k: c.k}
}

func (c coreRecorder) ResourceQuotas(ns string) typedcorev1.ResourceQuotaInterface {
	return quotaRecorder{ResourceQuotaInterface: c.CoreV1Interface.ResourceQuotas(ns), k: c.k}
}

func (c coreRecorder) LimitRanges(ns string) typedcorev1.LimitRangeInterface {
	return limitRangeRecorder{LimitRangeInterface: c.CoreV1Interface.LimitRanges(ns), k: c.k}
}

func (c coreRecorder) ServiceAccounts(ns string) typedcorev1.ServiceAccountInterface {
	return saRecorder{ServiceAccountInterface: c.CoreV1Interface.ServiceAccounts(ns), k: c.k}
}

type podRecorder struct {
	typedcorev1.PodInterface
	k *KubeRecorder
}

func (p podRecorder) List(ctx context.Context, o metav1.ListOptions) (*corev1.PodList, error) {
	l, err := p.PodInterface.List(ctx, o)
	if err == nil {
		keep(p.k, "Pod", l.Items, func(x *corev1.Pod) metav1.ObjectMeta { return x.ObjectMeta }, &p.k.objs.Pods)
	}
	return l, err
}

type eventRecorder struct {
	typedcorev1.EventInterface
	k *KubeRecorder
}

func (e eventRecorder) List(ctx context.Context, o metav1.ListOptions) (*corev1.EventList, error) {
	l, err := e.EventInterface.List(ctx, o)
	if err == nil {
		keep(e.k, "Event", l.Items, func(x *corev1.Event) metav1.ObjectMeta { return x.ObjectMeta }, &e.k.objs.Events)
	}
	return l, err
}

type nodeRecorder struct {
	typedcorev1.NodeInterface
	k *KubeRecorder
}

func (n nodeRecorder) List(ctx context.Context, o metav1.ListOptions) (*corev1.NodeList, error) {
	l, err := n.NodeInterface.List(ctx, o)
	if err == nil {
		keep(n.k, "Node", l.Items, func(x *corev1.Node) metav1.ObjectMeta { return x.ObjectMeta }, &n.k.objs.Nodes)
	}
	return l, err
}

type quotaRecorder struct {
	typedcorev1.ResourceQuotaInterface
	k *KubeRecorder
}

func (q quotaRecorder) List(ctx context.Context, o metav1.ListOptions) (*corev1.ResourceQuotaList, error) {
	l, err := q.ResourceQuotaInterface.List(ctx, o)
	if err == nil {
		keep(q.k, "ResourceQuota", l.Items, func(x *corev1.ResourceQuota) metav1.ObjectMeta { return x.ObjectMeta }, &q.k.objs.Quotas)
	}
	return l, err
}

type limitRangeRecorder struct {
	typedcorev1.LimitRangeInterface
	k *KubeRecorder
}

func (lr limitRangeRecorder) List(ctx context.Context, o metav1.ListOptions) (*corev1.LimitRangeList, error) {
	l, err := lr.LimitRangeInterface.List(ctx, o)
	if err == nil {
		keep(lr.k, "LimitRange", l.Items, func(x *corev1.LimitRange) metav1.ObjectMeta { return x.ObjectMeta }, &lr.k.objs.LimitRanges)
	}
	return l, err
}

type saRecorder struct {
	typedcorev1.ServiceAccountInterface
	k *KubeRecorder
}

func (s saRecorder) Get(ctx context.Context, name string, o metav1.GetOptions) (*corev1.ServiceAccount, error) {
	sa, err := s.ServiceAccountInterface.Get(ctx, name, o)
	if err == nil {
		keep(s.k, "ServiceAccount", []corev1.ServiceAccount{*sa}, func(x *corev1.ServiceAccount) metav1.ObjectMeta { return x.ObjectMeta }, &s.k.objs.ServiceAccounts)
	}
	return sa, err
}
