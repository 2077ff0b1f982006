package collection

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// The family's collector names are the ones the engine uses to find a layer's record.
func TestCollectorNames(t *testing.T) {
	for name, e := range map[string]rule.Evidence{adminCollector: rule.Admin, kubeCollector: rule.Kube, storageCollector: rule.Storage} {
		if e.Collector() != name {
			t.Errorf("%s evidence is collected by %q, the family says %q", e, e.Collector(), name)
		}
	}
}
