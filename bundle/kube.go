package bundle

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// List is a Kubernetes v1 List, what `kubectl get -o json` prints for several objects, so
// that kubectl and other tools read the bundle's kube/ files.
type List struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   map[string]string `json:"metadata"`
	Items      []any             `json:"items"`
}

func newList[T any](items []T, kind string, meta func(*T) (*metav1.TypeMeta, *metav1.ObjectMeta)) List {
	l := List{APIVersion: "v1", Kind: "List", Metadata: map[string]string{"resourceVersion": ""}, Items: []any{}}
	for i := range items {
		it := items[i] // a copy: the caller's objects are not touched
		tm, om := meta(&it)
		*tm = metav1.TypeMeta{APIVersion: "v1", Kind: kind}
		om.ManagedFields = nil // bookkeeping, no evidence
		l.Items = append(l.Items, &it)
	}
	return l
}

// AddKube adds the objects as one v1 List per kind; kinds with no object are left out.
func (b *Builder) AddKube(o KubeObjects) error {
	lists := []struct {
		file string
		n    int
		list func() List
	}{
		{PodsFile, len(o.Pods), func() List {
			return newList(o.Pods, "Pod", func(x *corev1.Pod) (*metav1.TypeMeta, *metav1.ObjectMeta) { return &x.TypeMeta, &x.ObjectMeta })
		}},
		{EventsFile, len(o.Events), func() List {
			return newList(o.Events, "Event", func(x *corev1.Event) (*metav1.TypeMeta, *metav1.ObjectMeta) { return &x.TypeMeta, &x.ObjectMeta })
		}},
		{NodesFile, len(o.Nodes), func() List {
			return newList(o.Nodes, "Node", func(x *corev1.Node) (*metav1.TypeMeta, *metav1.ObjectMeta) { return &x.TypeMeta, &x.ObjectMeta })
		}},
		{QuotasFile, len(o.Quotas), func() List {
			return newList(o.Quotas, "ResourceQuota", func(x *corev1.ResourceQuota) (*metav1.TypeMeta, *metav1.ObjectMeta) {
				return &x.TypeMeta, &x.ObjectMeta
			})
		}},
		{LimitRangesFile, len(o.LimitRanges), func() List {
			return newList(o.LimitRanges, "LimitRange", func(x *corev1.LimitRange) (*metav1.TypeMeta, *metav1.ObjectMeta) { return &x.TypeMeta, &x.ObjectMeta })
		}},
		{ServiceAccountsFile, len(o.ServiceAccounts), func() List {
			return newList(o.ServiceAccounts, "ServiceAccount", func(x *corev1.ServiceAccount) (*metav1.TypeMeta, *metav1.ObjectMeta) {
				return &x.TypeMeta, &x.ObjectMeta
			})
		}},
	}
	for _, l := range lists {
		if l.n == 0 {
			continue
		}
		data, err := json.Marshal(l.list())
		if err != nil {
			return fmt.Errorf("encode %s: %w", l.file, err)
		}
		b.AddJSON(l.file, data)
	}
	return nil
}

// Objects flattens them, for a fake clientset.
func (o KubeObjects) Objects() []runtime.Object {
	var out []runtime.Object
	for i := range o.Pods {
		out = append(out, &o.Pods[i])
	}
	for i := range o.Events {
		out = append(out, &o.Events[i])
	}
	for i := range o.Nodes {
		out = append(out, &o.Nodes[i])
	}
	for i := range o.Quotas {
		out = append(out, &o.Quotas[i])
	}
	for i := range o.LimitRanges {
		out = append(out, &o.LimitRanges[i])
	}
	for i := range o.ServiceAccounts {
		out = append(out, &o.ServiceAccounts[i])
	}
	return out
}

// Len is the number of objects.
func (o KubeObjects) Len() int {
	return len(o.Pods) + len(o.Events) + len(o.Nodes) + len(o.Quotas) + len(o.LimitRanges) + len(o.ServiceAccounts)
}
