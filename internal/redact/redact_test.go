package redact

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// Made-up credentials in the shapes the rules look for.
const (
	keyID     = "AKIAZ7QW2XK4LMNOPQRS"
	tempKeyID = "ASIAY3RT5UV6WX7YZ2AB"
	secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY"
	session   = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDxEXAMPLE"
	jwt       = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqYW5lIiwiZXhwIjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLWJ5dGVz"
)

func TestText(t *testing.T) {
	cases := []struct {
		name, in string
		gone     []string // must not survive
		kept     []string // must survive
		rule     string
	}{
		{"access key id and secret in a credentials file", "[default]\naws_access_key_id = " + keyID + "\naws_secret_access_key = " + secretKey + "\n",
			[]string{keyID, secretKey}, []string{"aws_access_key_id", "[default]"}, RuleAWSAccessKeyID},
		{"secret key next to a key id, no names", "creds " + tempKeyID + " " + secretKey + " ok",
			[]string{tempKeyID, secretKey}, []string{"creds", " ok"}, RuleAWSSecretKey},
		{"session token by prefix", "token in log: " + session, []string{session}, []string{"token in log"}, RuleAWSSession},
		{"session token by name", "AWS_SESSION_TOKEN=abcdefgh12345678zz", []string{"abcdefgh12345678zz"}, []string{"AWS_SESSION_TOKEN="}, RuleAWSSession},
		{"bearer", "Authorization: Bearer abc.def-ghi_jkl~mno", []string{"abc.def-ghi_jkl~mno"}, []string{"Authorization: Bearer "}, RuleBearer},
		{"basic", "proxy-authorization: Basic dXNlcjpodW50ZXIy", []string{"dXNlcjpodW50ZXIy"}, []string{"Basic "}, RuleBasic},
		{"bare authorization header", "flyte-authorization: q8Zx1LmN0pQrStUv", []string{"q8Zx1LmN0pQrStUv"}, []string{"flyte-authorization:"}, RuleAuthorization},
		{"jwt anywhere", "got token " + jwt + " from idp", []string{jwt, "c2lnbmF0dXJlLWJ5dGVz"}, []string{"from idp"}, RuleJWT},
		{"client secret in yaml", "clientSecret: s3cr3t-Value_9", []string{"s3cr3t-Value_9"}, []string{"clientSecret:"}, RuleClientSecret},
		{"client secret as env", `FLYTE_CLIENT_SECRET="quoted value with spaces"`, []string{"quoted value with spaces"}, []string{"FLYTE_CLIENT_SECRET"}, RuleClientSecret},
		{"password in url", "dial postgres://flyte:hunter2pw@db.acme.io:5432/flyte failed", []string{"hunter2pw"}, []string{"postgres://flyte:", "@db.acme.io:5432/flyte failed"}, RuleURLPassword},
		{"docker config base64", "data: " + base64.StdEncoding.EncodeToString([]byte(`{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"}}}`)),
			[]string{"dXNlcjpwYXNz", base64.StdEncoding.EncodeToString([]byte(`{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"}}}`))}, []string{"data: "}, RuleDockerAuth},
		{"docker config json in a log", `{"auths":{"ghcr.io":{"auth":"Z2hjcjp0b2tlbg=="}}}`, []string{"Z2hjcjp0b2tlbg=="}, []string{`"ghcr.io"`}, RuleDockerAuth},
		{"pem key", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx9\nAbCdEf==\n-----END RSA PRIVATE KEY-----\nrest",
			[]string{"MIIEowIBAAKCAQEAx9", "AbCdEf=="}, []string{"-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "rest"}, RulePrivateKey},
		{"pem key escaped in json text", `"-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBgkq\n-----END PRIVATE KEY-----\n"`,
			[]string{"MIIBVgIBADANBgkq"}, []string{"-----END PRIVATE KEY-----"}, RulePrivateKey},
		{"pem key cut short", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n[truncated]",
			[]string{"b3BlbnNzaC1rZXktdjEAAAAA"}, []string{"[truncated]"}, RulePrivateKey},
		{"long value", "AWS_SESSION_TOKEN=" + strings.Repeat("Ab1/", 300) + " next", []string{"Ab1/Ab1/"}, []string{" next"}, RuleAWSSession},
		{"named pair", "export DB_PASSWORD=Tr0ub4dor&3 and GITHUB_TOKEN: ghp_abcdefghij1234567890", []string{"Tr0ub4dor", "ghp_abcdefghij1234567890"}, []string{"DB_PASSWORD=", "&3"}, RuleNamed},
		{"prefixed api tokens", "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789 slack xoxb-1234567890-abcdefghij hf hf_abcdefghijklmnopqrstuvwxyz012345 g AIzaSyA1234567890abcdefghijklmnopqrstuv",
			[]string{"ghp_abcdefghijklmnopqrstuvwxyz0123456789", "xoxb-1234567890-abcdefghij", "hf_abcdefghijklmnopqrstuvwxyz012345", "AIzaSyA1234567890abcdefghijklmnopqrstuv"}, []string{"gh ", " slack ", " g "}, RuleAPIToken},
		{"presigned url", "https://acme.s3.amazonaws.com/k?X-Amz-Credential=" + keyID + "%2F20260814&X-Amz-Security-Token=FQoDYXdzEabc123&X-Amz-Signature=0a1b2c3d4e5f",
			[]string{keyID, "FQoDYXdzEabc123", "0a1b2c3d4e5f"}, []string{"https://acme.s3.amazonaws.com/k?"}, RuleSignedURL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := New(Options{})
			out := r.Text("f", c.in)
			for _, g := range c.gone {
				if strings.Contains(out, g) {
					t.Errorf("%q survived: %q", g, out)
				}
			}
			for _, k := range c.kept {
				if !strings.Contains(out, k) {
					t.Errorf("%q was lost: %q", k, out)
				}
			}
			if !hasRule(r, c.rule) {
				t.Errorf("no removal by %s: %+v (out %q)", c.rule, r.Removals(), out)
			}
			// Redacting again changes nothing and counts nothing.
			r2 := New(Options{})
			if again := r2.Text("f", out); again != out || r2.Total() != 0 {
				t.Errorf("not idempotent: %q -> %q (%+v)", out, again, r2.Removals())
			}
		})
	}
}

func hasRule(r *Redactor, rule string) bool {
	for _, rm := range r.Removals() {
		if rm.Rule == rule && rm.Count > 0 {
			return true
		}
	}
	return false
}

// What a diagnosis needs stays whole: ids, names, buckets, keys, images, Flyte and
// Kubernetes error texts, and references to secrets by name.
func TestKept(t *testing.T) {
	texts := []string{
		"flytesnacks/development/a4t8tqkzr9xw2bnl5mfd",
		"a4t8tqkzr9xw2bnl5mfd-n1-0",
		"fdf98e4ed2b524dc3bf7-get-flyte-id-task-0",
		"s3://acme-flyte-metadata/metadata/propeller/flytesnacks-development-a4t8tqkzr9xw2bnl5mfd/n1/data/0/outputs.pb",
		"arn:aws:iam::123456789012:role/flyte-user-role",
		"AROAEXAMPLEID1234567X:botocore-session",
		`[1/1] currentAttempt done. Last Error: USER::Grace period [3m0s] exceeded|containers with unready status: [a4t8tqkzr9xw2bnl5mfd-n1-0]|Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`,
		`Error: secret "db-creds" not found`,
		`couldn't find key password in Secret flytesnacks-development/db-creds`,
		"cache_key: 7f3a9c1e, key: data/ab/xyz, partition_key=2026-08-14, secretName: db-creds, tokenUrl: https://idp/token",
		"git sha 3f9c2e1d8b7a6c5e4f3a2b1c0d9e8f7a6b5c4d3e next to nothing",
		"sha256:4b825dc642cb6eb9a060e54bf8d69288fbee4904f2b1d7e8c9a0b1c2d3e4f5a6",
		"0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available",
		"An error occurred (AccessDenied) when calling the GetObject operation: Access Denied",
		"https://k8s-dashboard.acme.io/#!/log/flytesnacks-development/a4t8tqkzr9xw2bnl5mfd-n1-0/pod",
		"clientSecretLocation: /etc/secrets/client_secret, clientSecretEnvVar: FLYTE_CLIENT_SECRET",
		"basic usage: run it",
		"image ghcr.io/acme/sk-learn-trainer:v1 disk-abcdefghijklmnopqrstuvwxyz ask-abcdefghijklmnopqrstuvwxyz",
	}
	r := New(Options{})
	for _, s := range texts {
		if out := r.Text("f", s); out != s {
			t.Errorf("changed:\n  in  %q\n  out %q", s, out)
		}
	}
	if r.Total() != 0 {
		t.Errorf("removals on clean text: %+v", r.Removals())
	}
}

func TestNames(t *testing.T) {
	for name, want := range map[string]bool{
		"AWS_SECRET_ACCESS_KEY": true, "db-password": true, "GITHUB_TOKEN": true, "api_key": true,
		"google-credentials": true, "MyPasswd": true, "AWS_WEB_IDENTITY_TOKEN_FILE": false, "SSH_KEY_PATH": false, "KEY": true,
		"FLYTE_INTERNAL_EXECUTION_ID": false, "node-id": false, "task-name": false, "HOME": false,
	} {
		if got := NameLooksSecret(name); got != want {
			t.Errorf("NameLooksSecret(%q) = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]bool{
		"clientSecret": true, "client_secret": true, "secretKey": true, "secret-key": true, "access_key": true,
		"aws_session_token": true, "password": true, "refresh_token": true, "X-Amz-Signature": true, "privateKey": true,
		"key": false, "cache_key": false, "secretName": false, "secret_refs": false, "image_pull_secrets": false,
		"clientSecretLocation": false, "clientSecretEnvVar": false, "tokenUrl": false, "tokens": false, "secretKeyRef": false,
		"node_id": false, "name": false, "authorization_metadata_key": false,
	} {
		if _, got := ValueNameRule(name); got != want {
			t.Errorf("ValueNameRule(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{
			"name": "a4t8tqkzr9xw2bnl5mfd-n1-0",
			"annotations": map[string]any{
				"vault.acme.io/api-token":                          "vt-9f8e7d6c5b4a",
				"cluster-autoscaler.kubernetes.io/safe-to-evict":   "false",
				"kubectl.kubernetes.io/last-applied-configuration": `{"spec":{"containers":[{"env":[{"name":"DB_PASSWORD","value":"in-last-applied-9"}]}]}}`,
			},
		},
		"spec": map[string]any{"containers": []any{map[string]any{
			"name": "c", "image": "ghcr.io/acme/trainer:v1.2.3",
			"env": []any{
				map[string]any{"name": "FLYTE_INTERNAL_EXECUTION_ID", "value": "a4t8tqkzr9xw2bnl5mfd"},
				map[string]any{"name": "OPENAI_API_KEY", "value": "sk-proj-zzzzzzzzzzzz"},
				map[string]any{"name": "DSN", "value": "mysql://app:pw-in-dsn-77@db:3306/x"},
				map[string]any{"name": "S", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "db-creds", "key": "password"}}},
			},
		}}},
		"dockercfg": map[string]any{"auths": map[string]any{"registry.acme.io": map[string]any{"auth": "cmVnOnB3ZA==", "username": "reg"}}},
		"envs":      map[string]any{"values": []any{map[string]any{"key": "HF_TOKEN", "value": "hf_abcdefghijk"}}},
		"token":     "500",
	}
	in, _ := json.Marshal(pod)
	r := New(Options{})
	out, err := r.JSON("kube/pods.json", in)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"vt-9f8e7d6c5b4a", "in-last-applied-9", "sk-proj-zzzzzzzzzzzz", "pw-in-dsn-77", "cmVnOnB3ZA==", "hf_abcdefghijk"} {
		if strings.Contains(string(out), g) {
			t.Errorf("%q survived:\n%s", g, out)
		}
	}
	for _, k := range []string{"a4t8tqkzr9xw2bnl5mfd-n1-0", `"db-creds"`, `"password"`, "OPENAI_API_KEY", "vault.acme.io/api-token", `"false"`, `"500"`, "ghcr.io/acme/trainer:v1.2.3", `"reg"`} {
		if !strings.Contains(string(out), k) {
			t.Errorf("%q was lost:\n%s", k, out)
		}
	}
	var back map[string]any
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	// Key order is kept: apiVersion was written first.
	if !strings.HasPrefix(string(out), "{\n  \"apiVersion\"") {
		t.Errorf("order changed:\n%.80s", out)
	}
	for _, rm := range r.Removals() {
		if rm.File != "kube/pods.json" {
			t.Errorf("removal filed under %q", rm.File)
		}
	}
}

func TestKnownAndUserPatterns(t *testing.T) {
	r := New(Options{
		Known:    []Known{{Value: "plain-words-secret", Source: "admin.clientSecretLocation"}, {Value: "short", Source: "x"}},
		Patterns: []*regexp.Regexp{regexp.MustCompile(`internal-[0-9]{4}`), regexp.MustCompile(`ticket=(\w+)`)},
	})
	out := r.Text("logs/p/c.log", "a plain-words-secret b internal-1234 ticket=ABC123 short")
	for _, g := range []string{"plain-words-secret", "internal-1234", "ABC123"} {
		if strings.Contains(out, g) {
			t.Errorf("%q survived: %q", g, out)
		}
	}
	if !strings.Contains(out, "ticket=") || !strings.Contains(out, "short") {
		t.Errorf("too much removed: %q", out)
	}
	if !hasRule(r, RuleKnown) || !hasRule(r, RuleUser) {
		t.Errorf("removals: %+v", r.Removals())
	}
}

func TestJSONRejectsDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+10) + strings.Repeat("]", MaxDepth+10)
	if _, err := New(Options{}).JSON("f", []byte(deep)); err == nil {
		t.Fatal("deep nesting accepted")
	}
	// Bytes falls back on text for it: nothing is lost.
	if got := New(Options{}).Bytes("f", []byte(deep)); string(got) != deep {
		t.Fatal("Bytes changed a document it could not parse")
	}
}
