package kube

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// The preflight checks read the same objects the collector does and record them the same way.

// QuotaEvidence is a ResourceQuota as the collector records it (status.hard, else spec.hard).
func QuotaEvidence(q *corev1.ResourceQuota) evidence.ResourceQuota { return convertQuota(q) }

// LimitRangeEvidence is a LimitRange as the collector records it.
func LimitRangeEvidence(l *corev1.LimitRange) evidence.LimitRange { return convertLimitRange(l) }

// NodeEvidence is a node in short: readiness, taints, scheduling labels, allocatable.
func NodeEvidence(n *corev1.Node) evidence.NodeInfo { return convertNode(n) }

// ServiceAccountEvidence is a service account in short: identity annotations, pull secrets.
func ServiceAccountEvidence(sa *corev1.ServiceAccount) evidence.ServiceAccount {
	return convertServiceAccount(sa)
}

// NewClients is NewClient plus a metadata-only client on the same connection: it reads
// objects as PartialObjectMetadata, so a secret's data never leaves the API server.
func NewClients(o ClientOptions) (kubernetes.Interface, metadata.Interface, ClusterInfo, error) {
	cfg, hc, info, err := restConfig(o)
	if err != nil {
		return nil, nil, ClusterInfo{}, err
	}
	cs, err := kubernetes.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, nil, ClusterInfo{}, fmt.Errorf("cannot build Kubernetes client for %s: %w", cfg.Host, err)
	}
	mc, err := metadata.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, nil, ClusterInfo{}, fmt.Errorf("cannot build Kubernetes client for %s: %w", cfg.Host, err)
	}
	return cs, mc, info, nil
}
