package kube

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

func convertPod(p *corev1.Pod) evidence.Pod {
	out := evidence.Pod{
		Name:              p.Name,
		Namespace:         p.Namespace,
		UID:               string(p.UID),
		Labels:            p.Labels,
		Phase:             string(p.Status.Phase),
		Reason:            p.Status.Reason,
		Message:           p.Status.Message,
		NodeName:          p.Spec.NodeName,
		QOSClass:          string(p.Status.QOSClass),
		CreatedAt:         p.CreationTimestamp.UTC(),
		StartedAt:         timeOf(p.Status.StartTime),
		DeletionTimestamp: timeOf(p.DeletionTimestamp),
		InitContainers:    convertContainers(p.Spec.InitContainers, p.Status.InitContainerStatuses),
		Containers:        convertContainers(p.Spec.Containers, p.Status.ContainerStatuses),
		Spec: evidence.PodSpec{
			ServiceAccount:    p.Spec.ServiceAccountName,
			NodeSelector:      p.Spec.NodeSelector,
			Tolerations:       tolerations(p.Spec.Tolerations),
			Affinity:          affinity(p.Spec.Affinity),
			PriorityClassName: p.Spec.PriorityClassName,
			SchedulerName:     p.Spec.SchedulerName,
			Volumes:           volumes(p.Spec.Volumes),
		},
	}
	for _, s := range p.Spec.ImagePullSecrets {
		out.Spec.ImagePullSecrets = append(out.Spec.ImagePullSecrets, s.Name)
	}
	for _, c := range p.Status.Conditions {
		out.Conditions = append(out.Conditions, evidence.PodCondition{
			Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message,
			LastTransitionTime: c.LastTransitionTime.UTC(),
		})
	}
	return out
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func convertContainers(spec []corev1.Container, statuses []corev1.ContainerStatus) []evidence.Container {
	byName := map[string]*corev1.ContainerStatus{}
	for i := range statuses {
		byName[statuses[i].Name] = &statuses[i]
	}
	var out []evidence.Container
	for _, c := range spec {
		ec := evidence.Container{
			Name:     c.Name,
			Image:    c.Image,
			Requests: Quantities(c.Resources.Requests),
			Limits:   Quantities(c.Resources.Limits),
		}
		secrets, configMaps := map[string]bool{}, map[string]bool{}
		for _, e := range c.Env {
			ec.EnvNames = append(ec.EnvNames, e.Name)
			if f := e.ValueFrom; f != nil {
				if r := f.SecretKeyRef; r != nil {
					secrets[r.Name+"/"+r.Key] = true
				}
				if r := f.ConfigMapKeyRef; r != nil {
					configMaps[r.Name+"/"+r.Key] = true
				}
			}
		}
		for _, f := range c.EnvFrom {
			if f.SecretRef != nil {
				secrets[f.SecretRef.Name] = true
			}
			if f.ConfigMapRef != nil {
				configMaps[f.ConfigMapRef.Name] = true
			}
		}
		ec.SecretRefs, ec.ConfigMapRefs = sortedKeys(secrets), sortedKeys(configMaps)
		if s := byName[c.Name]; s != nil {
			ec.ImageID = s.ImageID
			ec.Ready = s.Ready
			ec.RestartCount = s.RestartCount
			ec.State = containerState(s.State)
			ec.LastState = containerState(s.LastTerminationState)
		}
		out = append(out, ec)
	}
	return out
}

func containerState(s corev1.ContainerState) evidence.ContainerState {
	switch {
	case s.Terminated != nil:
		t := s.Terminated
		return evidence.ContainerState{State: "terminated", Reason: t.Reason, Message: t.Message, ExitCode: t.ExitCode,
			Signal: t.Signal, StartedAt: t.StartedAt.UTC(), FinishedAt: t.FinishedAt.UTC()}
	case s.Waiting != nil:
		return evidence.ContainerState{State: "waiting", Reason: s.Waiting.Reason, Message: s.Waiting.Message}
	case s.Running != nil:
		return evidence.ContainerState{State: "running", StartedAt: s.Running.StartedAt.UTC()}
	}
	return evidence.ContainerState{}
}

// Quantities is a resource list as the evidence keeps it: name to canonical quantity text.
func Quantities(l corev1.ResourceList) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[string(k)] = v.String()
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// tolerations renders "key=value:Effect", "key:Exists:Effect", with " for Ns" when bounded.
func tolerations(ts []corev1.Toleration) []string {
	var out []string
	for _, t := range ts {
		key := t.Key
		if key == "" {
			key = "*"
		}
		s := key
		if t.Operator == corev1.TolerationOpExists {
			s += ":Exists"
		} else {
			s += "=" + t.Value
		}
		if t.Effect != "" {
			s += ":" + string(t.Effect)
		}
		if t.TolerationSeconds != nil {
			s += fmt.Sprintf(" for %ds", *t.TolerationSeconds)
		}
		out = append(out, s)
	}
	return out
}

// affinity summarises node and pod (anti-)affinity on one line.
func affinity(a *corev1.Affinity) string {
	if a == nil {
		return ""
	}
	var parts []string
	if na := a.NodeAffinity; na != nil {
		if r := na.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
			var terms []string
			for _, t := range r.NodeSelectorTerms {
				terms = append(terms, nodeSelectorTerm(t))
			}
			parts = append(parts, "node requires "+strings.Join(terms, " || "))
		}
		for _, p := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			parts = append(parts, fmt.Sprintf("node prefers (%d) %s", p.Weight, nodeSelectorTerm(p.Preference)))
		}
	}
	podTerms := func(kind string, req []corev1.PodAffinityTerm, pref []corev1.WeightedPodAffinityTerm) {
		for _, t := range req {
			parts = append(parts, fmt.Sprintf("%s requires %s per %s", kind, metav1.FormatLabelSelector(t.LabelSelector), t.TopologyKey))
		}
		for _, t := range pref {
			parts = append(parts, fmt.Sprintf("%s prefers (%d) %s per %s", kind, t.Weight,
				metav1.FormatLabelSelector(t.PodAffinityTerm.LabelSelector), t.PodAffinityTerm.TopologyKey))
		}
	}
	if pa := a.PodAffinity; pa != nil {
		podTerms("pod affinity", pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		podTerms("pod anti-affinity", pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	return strings.Join(parts, "; ")
}

func nodeSelectorTerm(t corev1.NodeSelectorTerm) string {
	var exprs []string
	for _, e := range append(append([]corev1.NodeSelectorRequirement(nil), t.MatchExpressions...), t.MatchFields...) {
		switch e.Operator {
		case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
			exprs = append(exprs, e.Key+" "+string(e.Operator))
		default:
			exprs = append(exprs, fmt.Sprintf("%s %s [%s]", e.Key, e.Operator, strings.Join(e.Values, ",")))
		}
	}
	return strings.Join(exprs, " && ")
}

func volumes(vs []corev1.Volume) []evidence.VolumeRef {
	var out []evidence.VolumeRef
	for _, v := range vs {
		switch {
		case v.Secret != nil:
			out = append(out, evidence.VolumeRef{Name: v.Name, Kind: "secret", Ref: v.Secret.SecretName})
		case v.ConfigMap != nil:
			out = append(out, evidence.VolumeRef{Name: v.Name, Kind: "configMap", Ref: v.ConfigMap.Name})
		case v.PersistentVolumeClaim != nil:
			out = append(out, evidence.VolumeRef{Name: v.Name, Kind: "persistentVolumeClaim", Ref: v.PersistentVolumeClaim.ClaimName})
		case v.Projected != nil:
			var refs []string
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					refs = append(refs, "secret:"+s.Secret.Name)
				}
				// kube-root-ca.crt is in every service-account token volume; it tells nothing.
				if s.ConfigMap != nil && s.ConfigMap.Name != "kube-root-ca.crt" {
					refs = append(refs, "configMap:"+s.ConfigMap.Name)
				}
			}
			if len(refs) > 0 {
				out = append(out, evidence.VolumeRef{Name: v.Name, Kind: "projected", Ref: strings.Join(refs, ",")})
			}
		}
	}
	return out
}

// eventKey deduplicates events: the same thing said about the same object.
type eventKey struct{ kind, name, reason, message string }

// eventSet merges events as they arrive, page by page, from concurrent reads.
type eventSet struct {
	mu    sync.Mutex
	byKey map[eventKey]*evidence.Event
	order []eventKey
}

func newEventSet() *eventSet { return &eventSet{byKey: map[eventKey]*evidence.Event{}} }

func (s *eventSet) add(e *corev1.Event) {
	k := eventKey{e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message}
	count := e.Count
	if e.Series != nil && e.Series.Count > count {
		count = e.Series.Count // events.k8s.io-style: the series carries the count
	}
	count = max(count, 1)
	first, last := eventTimes(e)
	source := e.ReportingController
	if source == "" {
		source = e.Source.Component
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.byKey[k]
	if cur == nil {
		s.byKey[k] = &evidence.Event{Kind: k.kind, Name: k.name, Type: e.Type, Reason: e.Reason, Message: e.Message,
			Source: source, Count: count, FirstTime: first, LastTime: last}
		s.order = append(s.order, k)
		return
	}
	cur.Count += count
	if e.Type == corev1.EventTypeWarning {
		cur.Type = e.Type
	}
	if cur.Source == "" {
		cur.Source = source
	}
	if !first.IsZero() && (cur.FirstTime.IsZero() || first.Before(cur.FirstTime)) {
		cur.FirstTime = first
	}
	if last.After(cur.LastTime) {
		cur.LastTime = last
	}
}

// eventTimes reads first and last occurrence from whichever fields the writer set: the core/v1
// timestamps, or eventTime and series.lastObservedTime for events.k8s.io writers.
func eventTimes(e *corev1.Event) (first, last time.Time) {
	first = e.FirstTimestamp.UTC()
	if e.FirstTimestamp.IsZero() {
		first = e.EventTime.UTC()
		if e.EventTime.IsZero() {
			first = e.CreationTimestamp.UTC()
		}
	}
	last = e.LastTimestamp.UTC()
	if e.Series != nil && e.Series.LastObservedTime.UTC().After(last) {
		last = e.Series.LastObservedTime.UTC()
	}
	if e.LastTimestamp.IsZero() && last.IsZero() {
		last = first
	}
	return first, last
}

// list returns the events latest first.
func (s *eventSet) list() []evidence.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]evidence.Event, 0, len(s.order))
	for _, k := range s.order {
		out = append(out, *s.byKey[k])
	}
	sortEvents(out)
	return out
}

// sortEvents orders events latest first, then by object and reason.
func sortEvents(evs []evidence.Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].LastTime.Equal(evs[j].LastTime) {
			return evs[i].LastTime.After(evs[j].LastTime)
		}
		if evs[i].Name != evs[j].Name {
			return evs[i].Name < evs[j].Name
		}
		return evs[i].Reason < evs[j].Reason
	})
}

func convertQuota(q *corev1.ResourceQuota) evidence.ResourceQuota {
	hard := q.Status.Hard
	if len(hard) == 0 {
		hard = q.Spec.Hard // no quota controller has filled status yet
	}
	return evidence.ResourceQuota{Name: q.Name, Hard: Quantities(hard), Used: Quantities(q.Status.Used)}
}

func convertLimitRange(l *corev1.LimitRange) evidence.LimitRange {
	out := evidence.LimitRange{Name: l.Name}
	for _, it := range l.Spec.Limits {
		out.Items = append(out.Items, evidence.LimitRangeItem{
			Type: string(it.Type), Max: Quantities(it.Max), Min: Quantities(it.Min),
			Default: Quantities(it.Default), DefaultRequest: Quantities(it.DefaultRequest),
		})
	}
	return out
}

// Node labels that explain placement; the rest (hostnames, cloud ids, ...) stay out.
var nodeLabelPrefixes = []string{
	"node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type",
	"topology.kubernetes.io/zone", "topology.kubernetes.io/region",
	"kubernetes.io/arch", "kubernetes.io/os",
	"node-role.kubernetes.io/",
	"karpenter.sh/nodepool", "karpenter.sh/capacity-type", "karpenter.k8s.aws/instance-family",
	"eks.amazonaws.com/nodegroup", "eks.amazonaws.com/capacityType",
	"cloud.google.com/gke-nodepool", "cloud.google.com/gke-accelerator", "cloud.google.com/gke-spot",
	"kubernetes.azure.com/agentpool", "kubernetes.azure.com/scalesetpriority",
	"nvidia.com/gpu.",
}

func wellKnownLabel(k string) bool {
	for _, p := range nodeLabelPrefixes {
		if k == p || (strings.HasSuffix(p, "/") || strings.HasSuffix(p, ".")) && strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func convertNode(n *corev1.Node) evidence.NodeInfo {
	out := evidence.NodeInfo{Name: n.Name, Unschedulable: n.Spec.Unschedulable}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Ready = c.Status == corev1.ConditionTrue
		}
	}
	for _, t := range n.Spec.Taints {
		s := t.Key
		if t.Value != "" {
			s += "=" + t.Value
		}
		out.Taints = append(out.Taints, s+":"+string(t.Effect))
	}
	for k, v := range n.Labels {
		if wellKnownLabel(k) {
			if out.Labels == nil {
				out.Labels = map[string]string{}
			}
			out.Labels[k] = v
		}
	}
	alloc := corev1.ResourceList{}
	for k, v := range n.Status.Allocatable {
		if !v.IsZero() || !strings.HasPrefix(string(k), corev1.ResourceHugePagesPrefix) {
			alloc[k] = v
		}
	}
	out.Allocatable = Quantities(alloc)
	return out
}

// selectorLabels keeps, on every node of the summary, the labels the unscheduled pods select
// on (node selector, required node affinity) besides the well-known ones, and records their
// keys: a selector on a custom label ("team: ml") can then be checked against the nodes, and a
// node without that label is known not to carry it.
func selectorLabels(sum *evidence.NodeSummary, all map[string]map[string]string, pods []corev1.Pod) {
	if sum == nil {
		return
	}
	keys := map[string]bool{}
	for i := range pods {
		p := &pods[i]
		if p.Spec.NodeName != "" {
			continue
		}
		for k := range p.Spec.NodeSelector {
			keys[k] = true
		}
		if a := p.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
			for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
				for _, e := range t.MatchExpressions {
					keys[e.Key] = true
				}
			}
		}
	}
	for k := range keys {
		if wellKnownLabel(k) {
			delete(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	for k := range keys {
		sum.SelectorLabels = append(sum.SelectorLabels, k)
	}
	sort.Strings(sum.SelectorLabels)
	for i := range sum.Nodes {
		n := &sum.Nodes[i]
		for _, k := range sum.SelectorLabels {
			if v, ok := all[n.Name][k]; ok {
				if n.Labels == nil {
					n.Labels = map[string]string{}
				}
				n.Labels[k] = v
			}
		}
	}
}

// Service-account annotations that map pods to a cloud identity.
var identityAnnotations = []string{
	"eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account", "azure.workload.identity/client-id",
}

func convertServiceAccount(sa *corev1.ServiceAccount) evidence.ServiceAccount {
	out := evidence.ServiceAccount{Name: sa.Name}
	for _, k := range identityAnnotations {
		if v, ok := sa.Annotations[k]; ok {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[k] = v
		}
	}
	for _, s := range sa.ImagePullSecrets {
		out.ImagePullSecrets = append(out.ImagePullSecrets, s.Name)
	}
	return out
}
