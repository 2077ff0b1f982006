package kube

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
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
		if err := CheckNamespaceFlags(flagNamespace, ""); err != nil {
			return "", "", err
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
		return "", "", fmt.Errorf("namespace template %s: unknown placeholder %s (only {{ project }} and {{ domain }})", userinput.Quote(template), userinput.Quote(p))
	}
	if why := invalidNamespace(ns); why != "" {
		return "", "", fmt.Errorf("namespace template %s gives %s, which %s", userinput.Quote(template), userinput.Quote(ns), why)
	}
	return ns, SourceTemplate, nil
}

// CheckNamespaceFlags checks --namespace and --namespace-template (either may be empty)
// before anything is sent; its errors name the flag.
func CheckNamespaceFlags(namespace, template string) error {
	if namespace != "" {
		if why := invalidNamespace(namespace); why != "" {
			return fmt.Errorf("--namespace %s %s", userinput.Quote(namespace), why)
		}
	}
	if template != "" {
		if p := leftoverPlaceholder.FindString(strings.NewReplacer(projectPlaceholder, "", domainPlaceholder, "").Replace(template)); p != "" {
			return fmt.Errorf("--namespace-template %s: unknown placeholder %s: use only {{ project }} and {{ domain }}, spaces included", userinput.Quote(template), userinput.Quote(p))
		}
		// What is around the placeholders ends up in every namespace.
		literal := strings.NewReplacer(projectPlaceholder, "a", domainPlaceholder, "a").Replace(template)
		if why := invalidNamespace(literal); why != "" && !strings.Contains(why, "longer") {
			return fmt.Errorf("--namespace-template %s cannot give a valid namespace: a namespace has only lower case letters, digits and '-', starting and ending with a letter or digit", userinput.Quote(template))
		}
	}
	return nil
}

// invalidNamespace says why ns is not a namespace name (a DNS-1123 label), "" if it is one.
func invalidNamespace(ns string) string {
	if len(validation.IsDNS1123Label(ns)) == 0 {
		return ""
	}
	if len(ns) > validation.DNS1123LabelMaxLength {
		return fmt.Sprintf("is longer than the %d characters a namespace name may have", validation.DNS1123LabelMaxLength)
	}
	return "is not a valid namespace name: use lower case letters, digits and '-', starting and ending with a letter or digit"
}
