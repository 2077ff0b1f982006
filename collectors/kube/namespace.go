package kube

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// DefaultNamespaceTemplate is flyteadmin's default namespace_mapping template.
const DefaultNamespaceTemplate = "{{ project }}-{{ domain }}"

// Where a namespace came from (evidence.Kube.NamespaceSource).
const (
	SourceFlag     = "flag"
	SourceAdmin    = "admin"
	SourceTemplate = "template"
)

// flyteadmin substitutes exactly these strings (spaces included); anything else in braces is
// left as is, so we reject it rather than guess.
const (
	projectPlaceholder = "{{ project }}"
	domainPlaceholder  = "{{ domain }}"
)

var leftoverPlaceholder = regexp.MustCompile(`\{\{[^}]*\}\}`)

// ResolveNamespace picks the namespace of the execution's pods: --namespace when given, else
// Admin's system_metadata.namespace, else the template (DefaultNamespaceTemplate when empty).
func ResolveNamespace(ex *evidence.Execution, flagNamespace, template string) (ns, source string, err error) {
	if flagNamespace != "" {
		if err := validNamespace(flagNamespace); err != nil {
			return "", "", fmt.Errorf("--namespace %q: %w", flagNamespace, err)
		}
		return flagNamespace, SourceFlag, nil
	}
	if ex == nil {
		return "", "", errors.New("no execution to take the namespace from; set --namespace")
	}
	if ex.Namespace != "" {
		return ex.Namespace, SourceAdmin, nil
	}
	if template == "" {
		template = DefaultNamespaceTemplate
	}
	ns = strings.ReplaceAll(template, projectPlaceholder, ex.ID.Project)
	ns = strings.ReplaceAll(ns, domainPlaceholder, ex.ID.Domain)
	if p := leftoverPlaceholder.FindString(ns); p != "" {
		return "", "", fmt.Errorf("namespace template %q: unknown placeholder %s (only {{ project }} and {{ domain }})", template, p)
	}
	if err := validNamespace(ns); err != nil {
		return "", "", fmt.Errorf("namespace template %q gives %q: %w", template, ns, err)
	}
	return ns, SourceTemplate, nil
}

func validNamespace(ns string) error {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("not a valid namespace name: %s", errs[0])
	}
	return nil
}
