// Package redact removes credentials from what flytedoctor writes into a support bundle:
// AWS access keys, secret keys and session tokens, bearer and basic credentials, JWTs, OAuth
// client secrets, passwords in URLs, docker config auths, PEM private keys, the values of env
// vars and annotations whose names look secret, values flytedoctor itself holds as secrets,
// and the user's own patterns. Identifiers (execution and node ids, pod names, buckets and
// object keys) stay readable: every rule matches a credential's shape or a name that says it
// holds one, never "long random-looking text".
//
// A Redactor counts what it removed by rule and file, never keeping what it removed. It is
// pure (no I/O) and safe for concurrent use; redacting redacted text changes nothing.
package redact

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Rule names, as Removal.Rule and the marker spell them.
const (
	RuleAWSAccessKeyID = "aws-access-key-id"
	RuleAWSSecretKey   = "aws-secret-access-key"
	RuleAWSSession     = "aws-session-token"
	RuleBearer         = "bearer-token"
	RuleBasic          = "basic-auth"
	RuleAuthorization  = "authorization-header"
	RuleAPIToken       = "api-token"
	RuleJWT            = "jwt"
	RuleClientSecret   = "oauth-client-secret"
	RuleURLPassword    = "url-password"
	RuleDockerAuth     = "docker-config-auth"
	RulePrivateKey     = "pem-private-key"
	RuleSignedURL      = "signed-url-signature"
	RuleNamed          = "secret-named-value"
	RuleKnown          = "known-secret"
	RuleUser           = "user-pattern"
)

// markerPrefix starts every replacement; text that already starts with it is left alone,
// which makes redaction idempotent.
const markerPrefix = "[redacted:"

// Marker is what replaces a secret removed by rule.
func Marker(rule string) string { return markerPrefix + rule + "]" }

// Known is a secret value flytedoctor holds itself (a client secret file, a credential in its
// environment): it is removed wherever it appears, whatever its shape.
type Known struct {
	Value  string
	Source string // where it came from, e.g. "admin.clientSecretLocation"; never the value
}

// MinKnownLen is the shortest known value that is looked for: shorter ones ("1", "true")
// would wipe unrelated text.
const MinKnownLen = 8

// Options configure a Redactor.
type Options struct {
	// Patterns are the user's (--redact, flytedoctor.redact in the config): a pattern with a
	// capture group removes the first group only, else the whole match.
	Patterns []*regexp.Regexp
	Known    []Known
}

// Removal says how many secrets a rule removed from one file.
type Removal struct {
	Rule  string `json:"rule"`
	File  string `json:"file"`
	Count int    `json:"count"`
}

// Redactor removes secrets from text and JSON and counts what it removed.
type Redactor struct {
	patterns []*regexp.Regexp
	known    []Known

	mu     sync.Mutex
	counts map[[2]string]int
}

// New builds a Redactor.
func New(o Options) *Redactor {
	r := &Redactor{patterns: o.Patterns, counts: map[[2]string]int{}}
	for _, k := range o.Known {
		if len(k.Value) >= MinKnownLen && !strings.HasPrefix(k.Value, markerPrefix) {
			r.known = append(r.known, k)
		}
	}
	// Longest first, so a value is not cut inside a longer one that holds it.
	slices.SortFunc(r.known, func(a, b Known) int { return len(b.Value) - len(a.Value) })
	return r
}

// Removals lists what was removed, by file then rule.
func (r *Redactor) Removals() []Removal {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Removal, 0, len(r.counts))
	for k, n := range r.counts {
		out = append(out, Removal{Rule: k[0], File: k[1], Count: n})
	}
	slices.SortFunc(out, func(a, b Removal) int {
		return cmp.Or(strings.Compare(a.File, b.File), strings.Compare(a.Rule, b.Rule))
	})
	return out
}

// Total is the number of secrets removed so far.
func (r *Redactor) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.counts {
		n += c
	}
	return n
}

func (r *Redactor) count(rule, where string, n int) {
	if n == 0 {
		return
	}
	r.mu.Lock()
	r.counts[[2]string{rule, where}] += n
	r.mu.Unlock()
}

// Text removes every secret the text rules find in s; where names the file for Removals.
func (r *Redactor) Text(where, s string) string {
	if len(s) < 6 {
		return s
	}
	for _, k := range r.known {
		if n := strings.Count(s, k.Value); n > 0 {
			s = strings.ReplaceAll(s, k.Value, Marker(RuleKnown))
			r.count(RuleKnown, where, n)
		}
	}
	for _, p := range r.patterns {
		s = r.replace(where, s, p, RuleUser, userGroup(p))
	}
	s = r.privateKeys(where, s)
	lower := strings.ToLower(s) // for the hints only: replacements never add one
	for _, t := range textRules {
		if t.hint != "" && !strings.Contains(lower, t.hint) {
			continue
		}
		if t.fn != nil {
			s = t.fn(r, where, s)
			continue
		}
		s = r.replace(where, s, t.re, t.rule, t.group)
	}
	return s
}

// Named is the value of an env var, annotation or similar name=value pair: all of it is
// removed when the name looks secret (NameLooksSecret), else it goes through Text.
func (r *Redactor) Named(where, name, value string) string {
	if value == "" || strings.HasPrefix(value, markerPrefix) {
		return value
	}
	if NameLooksSecret(name) {
		r.count(RuleNamed, where, 1)
		return Marker(RuleNamed)
	}
	return r.Text(where, value)
}

func userGroup(p *regexp.Regexp) int {
	if p.NumSubexp() > 0 {
		return 1
	}
	return 0
}

// replace removes group g of every match of re (the whole match when g is 0), leaving
// what is already a marker.
func (r *Redactor) replace(where, s string, re *regexp.Regexp, rule string, g int) string {
	idx := re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last, n := 0, 0
	for _, m := range idx {
		start, end := m[2*g], m[2*g+1]
		if start < 0 || start == end || strings.HasPrefix(s[start:], markerPrefix) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(Marker(rule))
		last = end
		n++
	}
	if n == 0 {
		return s
	}
	b.WriteString(s[last:])
	r.count(rule, where, n)
	return b.String()
}

// textRule is one pattern of the text pass; hint, when set, is a substring (any case) the
// text must hold for the pattern to be tried at all.
type textRule struct {
	rule  string
	re    *regexp.Regexp
	group int
	hint  string
	fn    func(r *Redactor, where, s string) string
}

var textRules = []textRule{
	// Base64 docker configs (.dockerconfigjson, a pull secret's data) start with {"auths":
	// (eyJhdXRocyI6), or with a newline and indent.
	{rule: RuleDockerAuth, re: regexp.MustCompile(`(?:eyJhdXRocyI6|ewogICJhdXRocyI6|ewoJImF1dGhzIjo|eyAiYXV0aHMiOi)[A-Za-z0-9+/]*=*`)},
	{rule: RuleDockerAuth, re: regexp.MustCompile(`(?i)"(?:auth|identitytoken|registrytoken)"\s*:\s*"([^"\\]{4,})"`), group: 1, hint: `"`},
	{rule: RuleJWT, re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`), hint: "eyj"},
	// STS session tokens begin with one of a few fixed prefixes.
	{rule: RuleAWSSession, re: regexp.MustCompile(`\b(?:FwoGZXIvYXdzE|IQoJb3JpZ2lu|IQoDb3JpZ2lu|IQoKb3JpZ2lu)[A-Za-z0-9/+=]{20,}`)},
	// Tokens whose issuers give them a fixed prefix: GitHub, GitLab, Slack, OpenAI, Stripe,
	// Google API keys, Hugging Face.
	{rule: RuleAPIToken, re: regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}|glpat-[A-Za-z0-9_\-]{20,}|xox[abposr]-[A-Za-z0-9\-]{10,}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}|sk-[A-Za-z0-9]{48}|[rs]k_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_\-]{35}|hf_[A-Za-z0-9]{30,})`)},
	{rule: RuleBearer, re: regexp.MustCompile(`(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{8,}=*)`), group: 1, hint: "bearer"},
	{rule: RuleBasic, re: regexp.MustCompile(`(?i)\bbasic\s+([A-Za-z0-9+/]{8,}=*)`), group: 1, hint: "basic"},
	// authorization: TOKEN without a scheme (a scheme's token is matched above).
	{rule: RuleAuthorization, re: regexp.MustCompile(`(?i)\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?([A-Za-z0-9\-._~+/]{12,}=*)`), group: 1, hint: "authorization"},
	{rule: RuleURLPassword, re: regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.\-]{0,20}://[^/\s:@"'<>\[\]]{1,256}:([^/\s@"'<>]{1,256})@`), group: 1, hint: "://"},
	{rule: RuleNamed, fn: (*Redactor).namedPairs},
	{rule: RuleAWSAccessKeyID, fn: (*Redactor).accessKeys},
}

// accessKeyID is an AWS access key id: AKIA (long-term) or ASIA (temporary), and the rarer
// ABIA/ACCA; other AWS unique-id prefixes (AROA, AIDA) name principals and stay.
var accessKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`)

// secretKeyShape is a 40-character AWS secret access key.
var secretKeyShape = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])`)

// nearKey is how far from an access key id a secret key is looked for.
const nearKey = 256

// accessKeys removes access key ids, and 40-character secret keys near them (the two travel
// together: a credentials file, an env dump, a config line).
func (r *Redactor) accessKeys(where, s string) string {
	ids := accessKeyID.FindAllStringIndex(s, -1)
	if ids == nil {
		return s
	}
	type span struct{ a, b int }
	// The windows around the ids, merged, are searched once each.
	var windows []span
	for _, id := range ids {
		lo, hi := max(0, id[0]-nearKey), min(len(s), id[1]+nearKey)
		if n := len(windows); n > 0 && lo <= windows[n-1].b {
			windows[n-1].b = hi
			continue
		}
		windows = append(windows, span{lo, hi})
	}
	var secrets []span
	for _, w := range windows {
		for _, m := range secretKeyShape.FindAllStringSubmatchIndex(s[w.a:w.b], -1) {
			a, b := w.a+m[2], w.a+m[3]
			if looksLikeSecretKey(s[a:b]) {
				secrets = append(secrets, span{a, b})
			}
		}
	}
	var all []span
	for _, id := range ids {
		all = append(all, span{id[0], id[1]})
	}
	all = append(all, secrets...)
	slices.SortFunc(all, func(x, y span) int { return x.a - y.a })
	var b strings.Builder
	last, nID, nSecret := 0, 0, 0
	for _, sp := range all {
		if sp.a < last {
			continue // overlapping (a key id inside a 40-char run): already replaced
		}
		b.WriteString(s[last:sp.a])
		if sp.b-sp.a == 40 && !accessKeyID.MatchString(s[sp.a:sp.b]) {
			b.WriteString(Marker(RuleAWSSecretKey))
			nSecret++
		} else {
			b.WriteString(Marker(RuleAWSAccessKeyID))
			nID++
		}
		last = sp.b
	}
	b.WriteString(s[last:])
	r.count(RuleAWSAccessKeyID, where, nID)
	r.count(RuleAWSSecretKey, where, nSecret)
	return b.String()
}

// looksLikeSecretKey tells a secret key from other 40-character runs (a git sha is hex, lower
// case): it mixes upper and lower case, or holds / or +.
func looksLikeSecretKey(s string) bool {
	var upper, lower, other bool
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c == '/' || c == '+':
			other = true
		}
	}
	return (upper && lower) || other
}

// pair is name=value or name: value in free text (env dumps, config lines, query strings,
// JSON or YAML quoted in a message) where the name ends in a word that may say "secret"; the
// value is quoted, or runs to a separator. ValueNameRule then judges the whole name. Values
// are bounded, which keeps the search linear when a rejected pair is searched again from its
// value (which may hold pairs of its own: "failed: x-amz-security-token=...").
var pair = regexp.MustCompile(`(?i)([A-Za-z0-9_.\-]{0,80}(?:secret|password|passwd|pwd|passphrase|token|credentials?|apikey|signature|sig|key))["']?[ \t]*[:=][ \t]*(?:"([^"\\\n]*)"|'([^'\n]*)'|([^\s"',;&}\])<>?]{1,256}))`)

// bareValue is what an unquoted value may hold: pair's last group, byte by byte.
func bareValue(c byte) bool {
	return c > ' ' && strings.IndexByte("\"',;&}])<>?", c) < 0
}

// namedPairs removes the values of pairs whose name says they are a secret (ValueNameRule).
func (r *Redactor) namedPairs(where, s string) string {
	if !strings.ContainsAny(s, ":=") {
		return s
	}
	var b strings.Builder
	last, pos := 0, 0
	counts := map[string]int{}
	for pos < len(s) {
		m := pair.FindStringSubmatchIndex(s[pos:])
		if m == nil {
			break
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += pos
			}
		}
		vs, ve := -1, -1
		for g := 2; g <= 4; g++ {
			if m[2*g] >= 0 {
				vs, ve = m[2*g], m[2*g+1]
				break
			}
		}
		if m[8] >= 0 { // a bare value: the pattern bounds it, a secret is not
			for ve < len(s) && bareValue(s[ve]) {
				ve++
			}
		}
		rule, ok := ValueNameRule(s[m[2]:m[3]])
		if !ok || vs < 0 || vs == ve || strings.HasPrefix(s[vs:], markerPrefix) {
			pos = max(vs, m[3]) // the value may hold pairs of its own
			continue
		}
		b.WriteString(s[last:vs])
		b.WriteString(Marker(rule))
		last, pos = ve, ve
		counts[rule]++
	}
	if len(counts) == 0 {
		return s
	}
	b.WriteString(s[last:])
	for rule, n := range counts {
		r.count(rule, where, n)
	}
	return b.String()
}

// maxPEM is how far after its BEGIN line a key's END line is looked for: keys are a few KiB.
const maxPEM = 64 << 10

var pemBegin = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]{0,40}PRIVATE KEY)-----`)

// pemBody is what a PEM body may hold, also as quoted in JSON or a log (\n escapes) and
// with the headers of an encrypted key (Proc-Type: 4,ENCRYPTED).
func pemBody(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		strings.IndexByte("+/=\\ \t\r\n:,-", c) >= 0
}

// privateKeys removes the body of every PEM private key, keeping its BEGIN and END lines so
// a reader still sees that a key was there. A key cut short (a truncated log) loses what
// follows its BEGIN line up to the first character no key holds.
func (r *Redactor) privateKeys(where, s string) string {
	if !strings.Contains(s, "PRIVATE KEY-----") {
		return s
	}
	var b strings.Builder
	last, n := 0, 0
	for {
		loc := pemBegin.FindStringSubmatchIndex(s[last:])
		if loc == nil {
			break
		}
		bodyStart := last + loc[1]
		// The body runs to the next "-----" (its END line, or the next key when this one was
		// cut short) or to the first character no key holds.
		bodyEnd := bodyStart
		for bodyEnd < len(s) && bodyEnd-bodyStart < maxPEM && pemBody(s[bodyEnd]) && !strings.HasPrefix(s[bodyEnd:], "-----") {
			bodyEnd++
		}
		b.WriteString(s[last:bodyStart])
		if strings.HasPrefix(strings.TrimLeft(s[bodyStart:bodyEnd], "\\rn \t\r\n"), markerPrefix) || bodyEnd == bodyStart {
			// already redacted, or nothing to remove
			last = bodyStart
			continue
		}
		b.WriteString(Marker(RulePrivateKey))
		last = bodyEnd
		n++
	}
	if n == 0 {
		return s
	}
	b.WriteString(s[last:])
	r.count(RulePrivateKey, where, n)
	return b.String()
}

// NameLooksSecret says whether an env var or annotation named name holds a secret: its name
// contains KEY, SECRET, TOKEN, PASSWORD, PASSWD or CREDENTIAL, in any case. Its value is then
// removed whole, whatever it looks like. Names that end by saying they hold a reference
// (AWS_WEB_IDENTITY_TOKEN_FILE, SSH_KEY_PATH, ..._DIR, FLYTE_SECRETS_ENV_PREFIX) do not: a path is no secret, and goes
// through the text rules like any other value.
func NameLooksSecret(name string) bool {
	u := strings.ToUpper(name)
	for _, w := range []string{"KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL"} {
		if strings.Contains(u, w) {
			parts := words(name)
			return len(parts) < 2 || !referenceWords[parts[len(parts)-1]]
		}
	}
	return false
}

// referenceWords end names that hold where a secret is, not the secret.
var referenceWords = map[string]bool{"file": true, "path": true, "dir": true, "location": true, "prefix": true}

// keyQualifiers are the words that make "...key" a credential (API_KEY, ACCESS_KEY, a private
// or signing key) rather than an object, cache or partition key.
var keyQualifiers = map[string]bool{
	"api": true, "access": true, "secret": true, "private": true, "signing": true, "encryption": true,
	"master": true, "auth": true, "client": true, "account": true, "ssh": true, "license": true,
	"app": true, "sas": true, "storage": true, "shared": true, "hmac": true, "gpg": true, "pgp": true,
	"subscription": true, "service": true, "admin": true, "webhook": true, "consumer": true,
}

// secretWords end the names of fields that hold a credential.
var secretWords = map[string]bool{
	"secret": true, "password": true, "passwd": true, "pwd": true, "passphrase": true, "token": true,
	"credential": true, "credentials": true, "apikey": true, "signature": true, "sig": true,
	"secretkey": true, "accesskey": true, "privatekey": true, "clientsecret": true,
}

// ValueNameRule says whether a field or pair named name holds a secret, judged by the last
// word of the name, so that a reference to a secret stays (secretName, secret_refs,
// clientSecretLocation, tokenUrl, cache_key); and names the rule that removes it.
func ValueNameRule(name string) (string, bool) {
	parts := words(name)
	if len(parts) == 0 {
		return "", false
	}
	last := parts[len(parts)-1]
	prev := ""
	if len(parts) > 1 {
		prev = parts[len(parts)-2]
	}
	secret := secretWords[last] || (last == "key" && keyQualifiers[prev])
	if !secret {
		return "", false
	}
	has := func(w string) bool { return slices.Contains(parts, w) }
	switch {
	case has("session") && last == "token", has("security") && last == "token":
		return RuleAWSSession, true
	case (has("secret") && has("access")) || last == "secretkey" && has("aws"):
		return RuleAWSSecretKey, true
	case has("client") && (last == "secret" || last == "clientsecret") || last == "clientsecret":
		return RuleClientSecret, true
	case last == "signature" || last == "sig":
		return RuleSignedURL, true
	}
	return RuleNamed, true
}

// words splits a name into lower-case words at _ . - and camelCase boundaries.
func words(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, c := range rs {
		switch {
		case c == '_' || c == '.' || c == '-' || c == '/' || c == ' ':
			flush()
		case unicode.IsUpper(c) && len(cur) > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))):
			flush()
			cur = append(cur, c)
		default:
			cur = append(cur, c)
		}
	}
	flush()
	return out
}
