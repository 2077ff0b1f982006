package checks

import (
	"archive/tar"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// Limits on a package archive: pyflyte's are a few KiB a file and far fewer files.
const (
	maxPackageFiles = 10000
	maxEntryBytes   = 16 << 20
)

// pyflyte names serialized files NN_<name>_1.pb (admin.TaskSpec), _2.pb (admin.WorkflowSpec) and
// _3.pb (admin.LaunchPlan); flytectl register reads them by that suffix.
var entityFile = regexp.MustCompile(`_([1-3])\.pb$`)

// Package is what a `pyflyte package` archive holds.
type Package struct {
	Tasks       []*admin.TaskSpec
	Workflows   []*admin.WorkflowSpec
	LaunchPlans []*admin.LaunchPlan
}

// ReadPackage reads a `pyflyte package` archive (flyte-package.tgz): a gzip'd tar of serialized
// protobuf files. Other files (the fast-register source tarball) are ignored.
func ReadPackage(r io.Reader) (*Package, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, errors.New("not a gzip'd tar (pyflyte package writes flyte-package.tgz)")
	}
	tr := tar.NewReader(zr)
	p := &Package{}
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.New("not a gzip'd tar (pyflyte package writes flyte-package.tgz): " + err.Error())
		}
		if n >= maxPackageFiles {
			return nil, fmt.Errorf("more than %d files: not a pyflyte package", maxPackageFiles)
		}
		m := entityFile.FindStringSubmatch(path.Base(h.Name))
		if h.Typeflag != tar.TypeReg || m == nil {
			continue
		}
		if h.Size > maxEntryBytes {
			return nil, fmt.Errorf("%s is %d bytes, more than a serialized entity has", userinput.Quote(h.Name), h.Size)
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxEntryBytes))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", userinput.Quote(h.Name), err)
		}
		var msg proto.Message
		switch m[1] {
		case "1":
			msg = &admin.TaskSpec{}
		case "2":
			msg = &admin.WorkflowSpec{}
		default:
			msg = &admin.LaunchPlan{}
		}
		if err := proto.Unmarshal(b, msg); err != nil {
			return nil, fmt.Errorf("%s is not a serialized %s: %v", userinput.Quote(h.Name), kindOf(m[1]), err)
		}
		switch x := msg.(type) {
		case *admin.TaskSpec:
			p.Tasks = append(p.Tasks, x)
		case *admin.WorkflowSpec:
			p.Workflows = append(p.Workflows, x)
		case *admin.LaunchPlan:
			p.LaunchPlans = append(p.LaunchPlans, x)
		}
	}
	if len(p.Tasks)+len(p.Workflows)+len(p.LaunchPlans) == 0 {
		return nil, errors.New("has no serialized tasks, workflows or launch plans (*_1.pb, *_2.pb, *_3.pb)")
	}
	return p, nil
}

func kindOf(i string) string {
	switch i {
	case "1":
		return "task spec"
	case "2":
		return "workflow spec"
	}
	return "launch plan"
}

// Overrides are what flags say over a package, as flytectl register's --k8sServiceAccount,
// --assumableIamRole and --outputLocationPrefix do; Platform is for tasks that name none.
type Overrides struct {
	ServiceAccount, IAMRole, RawOutputPrefix, Platform string
}

// TaskSpecs is each task of the package as it would run: its image, resources and secrets,
// and the security context and raw output prefix of the launch plan that runs it (the first
// by name when several do). notes say what was left out.
func (p *Package) TaskSpecs(o Overrides) (tasks []evidence.TaskSpec, notes []string) {
	workflows := map[string]*core.WorkflowTemplate{}
	for _, w := range p.Workflows {
		for _, t := range append([]*core.WorkflowTemplate{w.GetTemplate()}, w.GetSubWorkflows()...) {
			if n := t.GetId().GetName(); n != "" && workflows[n] == nil {
				workflows[n] = t
			}
		}
	}
	lps := append([]*admin.LaunchPlan(nil), p.LaunchPlans...)
	sort.SliceStable(lps, func(i, j int) bool { return lps[i].GetId().GetName() < lps[j].GetId().GetName() })
	byTask := map[string]*admin.LaunchPlan{}
	for _, lp := range lps {
		for _, name := range tasksOf(workflows, lp.GetSpec().GetWorkflowId().GetName(), map[string]bool{}) {
			if byTask[name] == nil {
				byTask[name] = lp
			}
		}
	}
	for _, ts := range p.Tasks {
		t := ts.GetTemplate()
		name := t.GetId().GetName()
		spec := evidence.TaskSpec{Name: name, From: "task"}
		switch {
		case t.GetContainer() != nil:
			c := t.GetContainer()
			spec.Images = []string{c.GetImage()}
			spec.Requests, spec.Limits = resourceEntries(c.GetResources().GetRequests()), resourceEntries(c.GetResources().GetLimits())
			spec.Platform = architecture(c.GetArchitecture())
		case t.GetK8SPod() != nil:
			if err := podTask(t.GetK8SPod(), &spec); err != nil {
				notes = append(notes, fmt.Sprintf("task %s: its pod spec does not parse (%v); only its name is checked", name, err))
			}
		default:
			notes = append(notes, fmt.Sprintf("task %s (type %s) runs no container of its own: not checked", name, t.GetType()))
			continue
		}
		for _, s := range t.GetSecurityContext().GetSecrets() {
			spec.Secrets = append(spec.Secrets, evidence.SecretRef{Group: s.GetGroup(), Key: s.GetKey()})
		}
		runAs := t.GetSecurityContext().GetRunAs()
		spec.ServiceAccount, spec.IAMRole = runAs.GetK8SServiceAccount(), runAs.GetIamRole()
		if lp := byTask[name]; lp != nil {
			spec.From = "launch plan " + lp.GetId().GetName()
			ls := lp.GetSpec()
			sa, role := ls.GetSecurityContext().GetRunAs().GetK8SServiceAccount(), ls.GetSecurityContext().GetRunAs().GetIamRole()
			//lint:ignore SA1019 auth_role is deprecated, but older serializations fill only it
			auth := ls.GetAuthRole()
			if sa == "" {
				sa = auth.GetKubernetesServiceAccount()
			}
			if role == "" {
				role = auth.GetAssumableIamRole()
			}
			spec.ServiceAccount, spec.IAMRole = cmp.Or(sa, spec.ServiceAccount), cmp.Or(role, spec.IAMRole)
			spec.RawOutputPrefix = ls.GetRawOutputDataConfig().GetOutputLocationPrefix()
		}
		if o.ServiceAccount != "" {
			spec.ServiceAccount, spec.From = o.ServiceAccount, "flags"
		}
		if o.IAMRole != "" {
			spec.IAMRole = o.IAMRole
		}
		if o.RawOutputPrefix != "" {
			spec.RawOutputPrefix = o.RawOutputPrefix
		}
		spec.ServiceAccount = cmp.Or(spec.ServiceAccount, DefaultServiceAccount)
		spec.Platform = cmp.Or(spec.Platform, o.Platform, DefaultPlatform)
		tasks = append(tasks, spec)
	}
	return tasks, notes
}

// tasksOf lists the tasks a workflow runs, through subworkflows, branches and array nodes.
func tasksOf(workflows map[string]*core.WorkflowTemplate, wf string, seen map[string]bool) []string {
	if seen[wf] || workflows[wf] == nil {
		return nil
	}
	seen[wf] = true
	var out []string
	var node func(n *core.Node)
	node = func(n *core.Node) {
		if n == nil {
			return
		}
		switch {
		case n.GetTaskNode() != nil:
			out = append(out, n.GetTaskNode().GetReferenceId().GetName())
		case n.GetWorkflowNode().GetSubWorkflowRef() != nil:
			out = append(out, tasksOf(workflows, n.GetWorkflowNode().GetSubWorkflowRef().GetName(), seen)...)
		case n.GetArrayNode() != nil:
			node(n.GetArrayNode().GetNode())
		case n.GetBranchNode() != nil:
			ie := n.GetBranchNode().GetIfElse()
			node(ie.GetCase().GetThenNode())
			for _, b := range ie.GetOther() {
				node(b.GetThenNode())
			}
			node(ie.GetElseNode())
		}
	}
	w := workflows[wf]
	for _, n := range w.GetNodes() {
		node(n)
	}
	node(w.GetFailureNode())
	return out
}

// Flyte's resource names as Kubernetes names them (flytepropeller: GPU is nvidia.com/gpu by default).
func resourceEntries(es []*core.Resources_ResourceEntry) map[string]string {
	out := map[string]string{}
	for _, e := range es {
		var k string
		switch e.GetName() {
		case core.Resources_CPU:
			k = string(corev1.ResourceCPU)
		case core.Resources_MEMORY:
			k = string(corev1.ResourceMemory)
		case core.Resources_GPU:
			k = GPUResource
		case core.Resources_EPHEMERAL_STORAGE:
			k = string(corev1.ResourceEphemeralStorage)
		default:
			continue
		}
		if q, err := resource.ParseQuantity(e.GetValue()); err == nil {
			out[k] = q.String()
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func architecture(a core.Container_Architecture) string {
	switch a {
	case core.Container_AMD64:
		return "linux/amd64"
	case core.Container_ARM64:
		return "linux/arm64"
	case core.Container_ARM_V6:
		return "linux/arm/v6"
	case core.Container_ARM_V7:
		return "linux/arm/v7"
	}
	return ""
}

// podTask reads a pod task's images and its primary container's resources.
func podTask(p *core.K8SPod, spec *evidence.TaskSpec) error {
	b, err := protojson.Marshal(p.GetPodSpec())
	if err != nil {
		return err
	}
	var ps corev1.PodSpec
	if err := json.Unmarshal(b, &ps); err != nil {
		return err
	}
	for _, c := range ps.Containers {
		spec.Images = append(spec.Images, c.Image)
		if c.Name == p.GetPrimaryContainerName() || len(ps.Containers) == 1 {
			spec.Requests, spec.Limits = kube.Quantities(c.Resources.Requests), kube.Quantities(c.Resources.Limits)
		}
	}
	spec.Images = uniq(spec.Images)
	if spec.ServiceAccount == "" {
		spec.ServiceAccount = ps.ServiceAccountName
	}
	return nil
}
