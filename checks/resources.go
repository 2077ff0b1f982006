package checks

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// GPUResource is the resource Flyte requests for GPUs (flytepropeller's default gpu-resource-name).
const GPUResource = "nvidia.com/gpu"

// ParseResources reads NAME=QUANTITY[,NAME=QUANTITY...] (--requests, --limits): Kubernetes
// resource names (cpu, memory, ephemeral-storage, or a domain-prefixed extended resource such as
// nvidia.com/gpu; "gpu" means nvidia.com/gpu) and quantities such as 500m, 4Gi, 1.
func ParseResources(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%s is not NAME=QUANTITY (e.g. cpu=2,memory=4Gi)", userinput.Quote(part))
		}
		switch k {
		case "gpu":
			k = GPUResource
		case "cpu", "memory", "ephemeral-storage":
		default:
			if !strings.Contains(k, "/") || len(validation.IsQualifiedName(k)) > 0 {
				return nil, fmt.Errorf("unknown resource %s: use cpu, memory, ephemeral-storage, gpu or an extended resource such as nvidia.com/gpu", userinput.Quote(k))
			}
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: not a quantity (e.g. 500m, 2, 4Gi)", k, userinput.Quote(v))
		}
		if q.Sign() < 0 {
			return nil, fmt.Errorf("%s=%s: a quantity cannot be negative", k, userinput.Quote(v))
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s given twice", k)
		}
		out[k] = q.String()
	}
	return out, nil
}

// effective returns the requests and limits the pod gets: Flyte sets a missing limit to the
// request and a missing request to the limit (before platform defaults, which are not known here).
func effective(t evidence.TaskSpec) (req, lim map[string]resource.Quantity) {
	req, lim = quantities(t.Requests), quantities(t.Limits)
	for k, v := range lim {
		if _, ok := req[k]; !ok {
			req[k] = v
		}
	}
	for k, v := range req {
		if _, ok := lim[k]; !ok {
			lim[k] = v
		}
	}
	return req, lim
}

func quantities(m map[string]string) map[string]resource.Quantity {
	out := map[string]resource.Quantity{}
	for k, v := range m {
		if q, err := resource.ParseQuantity(v); err == nil {
			out[k] = q
		}
	}
	return out
}

func quantity(s string) (resource.Quantity, bool) {
	q, err := resource.ParseQuantity(s)
	return q, err == nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// extended reports a resource that is not built in (nvidia.com/gpu, example.com/fpga).
func extended(name string) bool { return strings.Contains(name, "/") }

// resourceText is "cpu=2, memory=4Gi".
func resourceText(m map[string]resource.Quantity) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		q := m[k]
		parts = append(parts, k+"="+q.String())
	}
	return strings.Join(parts, ", ")
}
