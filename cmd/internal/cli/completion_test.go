package cli

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/rules"
)

// complete runs `flytedoctor __complete args...`, what the shell scripts call on Tab, and
// returns the completions and the directive line (":4" is ShellCompDirectiveNoFileComp, ":0"
// the shell's own file completion).
func complete(t *testing.T, env map[string]string, args ...string) ([]string, string) {
	t.Helper()
	f, out, _ := testFactory(t, env)
	if code := run(f, append([]string{"__complete"}, args...)...); code != ExitOK {
		t.Fatalf("__complete %q: exit %d", args, code)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		t.Fatalf("__complete %q: no directive line in %q", args, out)
	}
	return lines[:len(lines)-1], last
}

func names(comps []string) []string {
	var out []string
	for _, c := range comps {
		name, _, _ := strings.Cut(c, "\t")
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func TestCompleteRuleIDs(t *testing.T) {
	table := rules.Table()
	comps, dir := complete(t, nil, "--disable", "FD10")
	want := []string{"FD1001", "FD1002", "FD1003", "FD1004", "FD1005", "FD1006", "FD1007"}
	if got := names(comps); !slices.Equal(got, want) || dir != ":4" {
		t.Fatalf("--disable FD10: %q %s, want %v :4", comps, dir, want)
	}
	for _, c := range comps {
		id, title, _ := strings.Cut(c, "\t")
		if r := rules.Lookup(table, id); r == nil || title != r.Title {
			t.Errorf("%q: want the rule's title as the description", c)
		}
	}
	var fd500 []string // the memory rules, whatever the table holds
	for _, r := range table {
		if strings.HasPrefix(r.ID, "FD500") {
			fd500 = append(fd500, r.ID)
		}
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--disable", "fd10"}, want},
		{[]string{"--disable", "FD1001=flaky", "--disable", "FD100"}, want[1:]}, // already disabled
		{[]string{"--disable", "FD1001="}, nil},                                 // a reason is free text
		{[]string{"diagnose", "--disable", "FD500"}, fd500},
		{[]string{"rules", "explain", "FD100"}, want},
		{[]string{"rules", "explain", "FD1001", ""}, nil}, // one ID only
	}
	for _, c := range cases {
		comps, dir := complete(t, nil, c.args...)
		if got := names(comps); !slices.Equal(got, c.want) || dir != ":4" {
			t.Errorf("%q: %q %s, want %v :4", c.args, got, dir, c.want)
		}
	}
	comps, _ = complete(t, nil, "rules", "explain", "FD2")
	var fd2 []string
	for _, r := range table {
		if strings.HasPrefix(r.ID, "FD2") {
			fd2 = append(fd2, r.ID+"\t"+r.Title)
		}
	}
	if len(fd2) < 11 || !slices.Equal(comps, fd2) {
		t.Errorf("rules explain FD2: %q, want the FD2 rules with titles %q", comps, fd2)
	}
}

func TestCompleteFlagValuesAndArguments(t *testing.T) {
	var scenarios, rest []string
	for i, e := range demo.Index() {
		scenarios = append(scenarios, e.Name+"\t"+e.Title)
		if i > 0 {
			rest = append(rest, e.Name)
		}
	}
	if len(scenarios) < 8 {
		t.Fatalf("demo.Index() = %v", scenarios)
	}
	comps, dir := complete(t, nil, "demo", "")
	if !slices.Equal(comps, scenarios) || dir != ":4" {
		t.Errorf("demo: %q %s, want %q", comps, dir, scenarios)
	}
	cases := []struct {
		args    []string
		want    []string
		wantDir string
	}{
		{[]string{"demo", demo.Index()[0].Name, ""}, sorted(rest), ":4"}, // a scenario named once
		{[]string{"demo", "image-p"}, []string{"image-pull"}, ":4"},
		{[]string{"--skip", "kube,"}, []string{"kube,s3"}, ":4"},
		{[]string{"--skip=kube,"}, []string{"kube,s3"}, ":4"},
		{[]string{"--skip", ""}, []string{"kube", "s3"}, ":4"},
		{[]string{"--skip", "s3", "--skip", ""}, []string{"kube"}, ":4"},
		{[]string{"--skip", "kube,s3,"}, nil, ":4"},
		{[]string{"-o", ""}, []string{"html", "json", "junit", "markdown", "text", "yaml"}, ":4"},
		{[]string{"--output", "j"}, []string{"json", "junit"}, ":4"},
		{[]string{"demo", "-o", ""}, []string{"html", "json", "junit", "markdown", "text", "yaml"}, ":4"},
		{[]string{"--fail-on", ""}, []string{"error", "never", "warning"}, ":4"},
		{[]string{"--config", ""}, nil, ":0"},
		{[]string{"-c", ""}, nil, ":0"},
		{[]string{"--kubeconfig", ""}, nil, ":0"},
		{[]string{"-f", ""}, nil, ":0"},
		{[]string{"demo", "--output-file", ""}, nil, ":0"},
		{[]string{"--timeout", ""}, nil, ":4"}, // no file names where none fit
		{[]string{"-p", ""}, nil, ":4"},
		{[]string{"flytesnacks/development/x", ""}, nil, ":4"},
		{[]string{"version", ""}, nil, ":4"},
		{[]string{"rules", ""}, []string{"explain", "list"}, ":4"},
		{[]string{"completion", ""}, []string{"bash", "fish", "powershell", "zsh"}, ":4"},
		{[]string{"completion", "bash", ""}, nil, ":4"},
		{[]string{"de"}, []string{"demo"}, ":4"},
	}
	for _, c := range cases {
		comps, dir := complete(t, nil, c.args...)
		if got := names(comps); !slices.Equal(got, c.want) || dir != c.wantDir {
			t.Errorf("%q: %q %s, want %v %s", c.args, got, dir, c.want, c.wantDir)
		}
	}
	comps, _ = complete(t, nil, "")
	for _, sub := range []string{"completion", "demo", "diagnose", "rules", "version"} {
		if !slices.Contains(names(comps), sub) {
			t.Errorf("flytedoctor <Tab>: %q lacks %s", comps, sub)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// --context reads the kubeconfig's contexts and nothing else: the exec credential plugin does
// not run and the (non-loopback) server is not contacted.
func TestCompleteKubeContexts(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "plugin-ran")
	kubeconfig := filepath.Join(dir, "kubeconfig")
	body := `apiVersion: v1
kind: Config
clusters:
- name: eks-prod
  cluster: {server: "https://10.255.255.1:6443"}
- name: kind-dev
  cluster: {server: "https://10.255.255.1:6444"}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: sh
      args: ["-c", "touch ` + marker + `"]
contexts:
- name: prod-eks
  context: {cluster: eks-prod, user: u, namespace: flytesnacks-production}
- name: dev
  context: {cluster: kind-dev, user: u}
current-context: dev
`
	if err := os.WriteFile(kubeconfig, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	comps, dir1 := complete(t, nil, "--kubeconfig", kubeconfig, "--context", "")
	if want := []string{"dev\tcluster kind-dev", "prod-eks\tcluster eks-prod"}; !slices.Equal(comps, want) || dir1 != ":4" {
		t.Errorf("--context: %q %s, want %q", comps, dir1, want)
	}
	env := map[string]string{"KUBECONFIG": kubeconfig}
	if comps, _ := complete(t, env, "--context", "p"); !slices.Equal(names(comps), []string{"prod-eks"}) {
		t.Errorf("--context p with KUBECONFIG: %q", comps)
	}
	if comps, dir := complete(t, env, "--kubeconfig", filepath.Join(dir, "nosuch"), "--context", ""); len(comps) != 0 || dir != ":4" {
		t.Errorf("missing kubeconfig: %q %s, want nothing", comps, dir)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("completing --context ran the kubeconfig's exec credential plugin")
	}
}

func TestCompletionScripts(t *testing.T) {
	markers := map[string]string{
		"bash":       "__start_flytedoctor()",
		"zsh":        "#compdef flytedoctor",
		"fish":       "complete -c flytedoctor",
		"powershell": "Register-ArgumentCompleter",
	}
	for _, s := range shells {
		for _, extra := range [][]string{nil, {"--no-descriptions"}} {
			f, out, errOut := testFactory(t, nil)
			args := append([]string{"completion", s.name}, extra...)
			if code := run(f, args...); code != ExitOK || errOut.Len() != 0 {
				t.Fatalf("%q: exit %d, stderr %q", args, code, errOut)
			}
			if !strings.Contains(out.String(), markers[s.name]) || out.Len() < 1000 {
				t.Errorf("%q: %d bytes without %q", args, out.Len(), markers[s.name])
			}
			// The script asks flytedoctor for completions, with or without descriptions.
			if noDesc := strings.Contains(out.String(), "__completeNoDesc"); noDesc != (extra != nil) {
				t.Errorf("%q: uses __completeNoDesc = %v", args, noDesc)
			}
		}
	}

	bash, err := osexec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to check the script's syntax")
	}
	f, out, _ := testFactory(t, nil)
	run(f, "completion", "bash")
	script := filepath.Join(t.TempDir(), "flytedoctor.bash")
	if err := os.WriteFile(script, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := osexec.Command(bash, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, b)
	}
}

func TestCompletionHelpAndUsageErrors(t *testing.T) {
	f, out, _ := testFactory(t, nil)
	if code := run(f, "completion", "--help"); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"source <(flytedoctor completion bash)", `flytedoctor completion zsh > "${fpath[1]}/_flytedoctor"`,
		"flytedoctor completion fish > ~/.config/fish/completions/flytedoctor.fish",
		"flytedoctor completion powershell | Out-String | Invoke-Expression",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("completion --help lacks %q", want)
		}
	}
	cases := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"completion"}, "completion takes one shell: bash, zsh, fish, powershell"},
		{[]string{"completion", "tcsh"}, "completion takes one shell"},
		{[]string{"completion", "bash", "zsh"}, "completion takes one shell"},
		{[]string{"rule", "list"}, `unknown command "rule"; did you mean "rules"?`},
		{[]string{"complet", "bash"}, `unknown command "complet"; did you mean "completion"?`},
		{[]string{"verison", "x"}, `unknown command "verison"; did you mean "version"?`},
		{[]string{"flytesnacks/development/x", "extra"}, "expected one execution, got 2 arguments"},
	}
	for _, c := range cases {
		f, out, errOut := testFactory(t, nil)
		if code := run(f, c.args...); code != ExitUsage || out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q; want 2", c.args, code, out)
		}
		if s := errOut.String(); !strings.Contains(s, c.wantErr) || strings.Count(s, "\n") != 1 {
			t.Errorf("%q: stderr %q, want one line with %q", c.args, s, c.wantErr)
		}
	}
}

// The bash script, sourced in a real bash, completes through this test binary (TestMain runs
// it as flytedoctor): the script, __complete and the directive handling together.
func TestBashCompletesForReal(t *testing.T) {
	bash, err := osexec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, out, _ := testFactory(t, nil)
	run(f, "completion", "bash")
	script := filepath.Join(t.TempDir(), "flytedoctor.bash")
	if err := os.WriteFile(script, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// The script needs bash-completion's _get_comp_words_by_ref. Without the package, a stand-in
	// that does what it does for a line given in COMP_WORDS (no re-splitting at = or :).
	const driver = `
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
    source /usr/share/bash-completion/bash_completion
else
    _get_comp_words_by_ref() {
        while [[ $1 == -* ]]; do shift 2; done
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cword=$COMP_CWORD
        words=("${COMP_WORDS[@]}")
    }
fi
source "$1"; shift
COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMP_LINE="$*" COMP_TYPE=9
COMP_POINT=${#COMP_LINE}
__start_flytedoctor
printf '%s\n' "${COMPREPLY[@]}"
`
	cases := []struct {
		words []string
		want  []string
	}{
		{[]string{"--skip", "kube,"}, []string{`kube\,s3`}}, // bash quotes the one completion it inserts
		{[]string{"demo", "image-p"}, []string{"image-pull"}},
		{[]string{"completion", "f"}, []string{"fish"}},
		{[]string{"--fail-on", "w"}, []string{"warning"}},
		{[]string{"de"}, []string{"demo"}},
		{[]string{"rules", "explain", "FD100"}, []string{"FD1001", "FD1002", "FD1003", "FD1004", "FD1005", "FD1006", "FD1007"}},
		{[]string{"--timeout", ""}, nil},
	}
	for _, c := range cases {
		cmd := osexec.Command(bash, append([]string{"--norc", "--noprofile", "-c", driver, "driver", script, exe}, c.words...)...)
		cmd.Env = append(os.Environ(), asCLI+"=1")
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", c.words, err)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				got = append(got, f[0]) // a listing shows "FD1001  (title)"
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("bash completes %q to %q, want %q", c.words, b, c.want)
		}
	}
}
