package kube

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

// InputError is a Kubernetes input the user gave explicitly that cannot work: --kubeconfig,
// --context, or a KUBECONFIG file that does not load. The CLI makes it a usage error, while a
// missing implicit config (no flag, no KUBECONFIG, no ~/.kube/config) only skips the collector.
type InputError struct {
	Input string // --kubeconfig, --context or KUBECONFIG
	Msg   string
}

func (e *InputError) Error() string { return e.Input + " " + e.Msg }

// Where the kubeconfig comes from, as NewClient loads it.
const (
	sourceFlag = "--kubeconfig"
	sourceEnv  = "KUBECONFIG"
	sourceHome = "~/.kube/config"
)

// kubeconfigRules are kubectl's loading rules: --kubeconfig alone, else the KUBECONFIG path
// list, else ~/.kube/config. source says which; "" when there is nothing to read (no home).
func kubeconfigRules(o ClientOptions, getenv func(string) string) (rules *clientcmd.ClientConfigLoadingRules, source string) {
	rules = &clientcmd.ClientConfigLoadingRules{}
	switch {
	case o.Kubeconfig != "":
		rules.ExplicitPath = o.Kubeconfig
		return rules, sourceFlag
	case getenv(clientcmd.RecommendedConfigPathEnvVar) != "":
		rules.Precedence = dedupe(filepath.SplitList(getenv(clientcmd.RecommendedConfigPathEnvVar)))
		return rules, sourceEnv
	}
	if home := homeDir(getenv); home != "" {
		rules.Precedence = []string{filepath.Join(home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
		return rules, sourceHome
	}
	return rules, ""
}

// checkInputs finds, before anything is sent, what cannot work in an explicit input: a
// --kubeconfig that is missing or does not load, a KUBECONFIG file that does not load, a
// --context the kubeconfig does not have. A KUBECONFIG entry that does not exist is skipped,
// as kubectl does: the variable is often set once in a shell profile and outlives its files.
func checkInputs(o ClientOptions, rules *clientcmd.ClientConfigLoadingRules, source string) error {
	if source == sourceHome && o.Context == "" {
		return nil // implicit: whatever is wrong becomes the skip reason
	}
	if source == sourceFlag {
		if _, err := os.Stat(o.Kubeconfig); err != nil {
			why := "cannot be read (" + brief(unwrapPath(err)) + ")"
			if errors.Is(err, fs.ErrNotExist) {
				why = "does not exist"
			}
			return &InputError{sourceFlag, fmt.Sprintf("%s %s: pass an existing kubeconfig file, or leave out --kubeconfig to use $KUBECONFIG or ~/.kube/config",
				userinput.ClipPath(o.Kubeconfig), why)}
		}
	}
	var cfg *clientcmdapi.Config
	if source != "" {
		var err error
		if cfg, err = rules.Load(); err != nil {
			switch source {
			case sourceFlag:
				return &InputError{sourceFlag, fmt.Sprintf("%s does not load (%s): fix it or pass another kubeconfig file",
					userinput.ClipPath(o.Kubeconfig), brief(err))}
			case sourceEnv:
				return &InputError{sourceEnv, fmt.Sprintf("does not load (%s): fix the file or point KUBECONFIG at another one", brief(err))}
			}
			return &InputError{"--context", fmt.Sprintf("%s: %s does not load (%s): fix it or pass --kubeconfig",
				userinput.Quote(o.Context), sourceHome, brief(err))}
		}
	}
	if o.Context == "" {
		return nil
	}
	if cfg == nil || len(cfg.Contexts) == 0 {
		return &InputError{"--context", fmt.Sprintf("%s: no kubeconfig with contexts found (%s): pass --kubeconfig, or leave out --context",
			userinput.Quote(o.Context), describeSource(rules, source))}
	}
	ctx, ok := cfg.Contexts[o.Context]
	if !ok {
		return &InputError{"--context", fmt.Sprintf("%s is not a context in %s (it has %s): pick one of them, or leave out --context for the current one",
			userinput.Quote(o.Context), describeSource(rules, source), someNames(cfg.Contexts, 5))}
	}
	// client-go only says "no configuration has been provided" for these.
	if _, ok := cfg.Clusters[ctx.Cluster]; !ok {
		return &InputError{"--context", fmt.Sprintf("%s names cluster %s, which %s does not have: fix the context or pick another",
			userinput.Quote(o.Context), userinput.Quote(ctx.Cluster), describeSource(rules, source))}
	}
	if _, ok := cfg.AuthInfos[ctx.AuthInfo]; !ok && ctx.AuthInfo != "" {
		return &InputError{"--context", fmt.Sprintf("%s names user %s, which %s does not have: fix the context or pick another",
			userinput.Quote(o.Context), userinput.Quote(ctx.AuthInfo), describeSource(rules, source))}
	}
	return nil
}

func emptyConfig(cc clientcmd.ClientConfig) bool {
	raw, err := cc.RawConfig()
	return err == nil && len(raw.Clusters) == 0 && len(raw.Contexts) == 0
}

func noneExists(paths []string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return false
		}
	}
	return true
}

func describeSource(rules *clientcmd.ClientConfigLoadingRules, source string) string {
	switch source {
	case sourceFlag:
		return userinput.ClipPath(rules.ExplicitPath)
	case sourceEnv:
		return "KUBECONFIG " + userinput.ClipPath(strings.Join(rules.Precedence, string(filepath.ListSeparator)))
	case sourceHome:
		return sourceHome
	}
	return "no --kubeconfig, KUBECONFIG or home directory"
}

// someNames lists up to n names, sorted: `"a", "b" and 3 more`.
func someNames(m map[string]*clientcmdapi.Context, n int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for i, name := range names[:min(n, len(names))] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(userinput.Quote(name))
	}
	if len(names) > n {
		fmt.Fprintf(&b, " and %d more", len(names)-n)
	}
	return b.String()
}

// brief folds a client-go error into one short line: its decode errors can be paragraphs, and
// they start with the file name, which our messages already give.
// fileOf is " FILE" for clientcmd's "error loading config file" errors, which brief drops:
// an implicit kubeconfig's skip reason must say which file is broken.
func fileOf(err error) string {
	rest, ok := strings.CutPrefix(err.Error(), `error loading config file "`)
	if !ok {
		return ""
	}
	file, _, ok := strings.Cut(rest, `": `)
	if !ok {
		return ""
	}
	return " " + userinput.ClipPath(file)
}

// brief is err on one line, clientcmd's file prefix dropped, clipped to 120 bytes.
func brief(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if rest, ok := strings.CutPrefix(s, `error loading config file "`); ok {
		if _, cause, ok := strings.Cut(rest, `": `); ok {
			s = cause
		}
	}
	if strings.HasPrefix(s, "couldn't get version/kind") {
		return "not a kubeconfig: no apiVersion and kind"
	}
	return oneline.Clip(s, 120)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
