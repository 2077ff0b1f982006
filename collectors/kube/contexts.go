package kube

import (
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
)

// Context is one context of the kubeconfig.
type Context struct{ Name, Cluster, Namespace string }

// Contexts lists the contexts of the kubeconfig NewClient would read, sorted by name, for shell
// completion of --context. It reads files only: no credential plugin runs and nothing is sent.
func Contexts(o ClientOptions) ([]Context, error) {
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loadingRules(o), &clientcmd.ConfigOverrides{}).RawConfig()
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

// loadingRules are kubectl's: --kubeconfig alone, else the KUBECONFIG list, else ~/.kube/config.
func loadingRules(o ClientOptions) *clientcmd.ClientConfigLoadingRules {
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	rules := &clientcmd.ClientConfigLoadingRules{}
	switch {
	case o.Kubeconfig != "":
		rules.ExplicitPath = o.Kubeconfig
	case getenv(clientcmd.RecommendedConfigPathEnvVar) != "":
		rules.Precedence = dedupe(filepath.SplitList(getenv(clientcmd.RecommendedConfigPathEnvVar)))
	default:
		if home := homeDir(getenv); home != "" {
			rules.Precedence = []string{filepath.Join(home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
		}
	}
	return rules
}
