package kube

import (
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
)

// Context is one context of the kubeconfig.
type Context struct{ Name, Cluster, Namespace string }

// Contexts lists the contexts of the kubeconfig NewClient would read, sorted by name, for shell
// completion of --context. It reads files only: no credential plugin runs and nothing is sent.
func Contexts(o ClientOptions) ([]Context, error) {
	rules, _ := kubeconfigRules(o, o.getenv())
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).RawConfig()
	if err != nil {
		return nil, err
	}
	out := make([]Context, 0, len(raw.Contexts))
	for name, c := range raw.Contexts {
		out = append(out, Context{Name: name, Cluster: c.Cluster, Namespace: c.Namespace})
	}
	slices.SortFunc(out, func(a, b Context) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// getenv is o.Getenv, or no environment at all when it is nil.
func (o ClientOptions) getenv() func(string) string {
	if o.Getenv == nil {
		return func(string) string { return "" }
	}
	return o.Getenv
}
