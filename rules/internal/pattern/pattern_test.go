package pattern

import (
	"fmt"
	"regexp"
	"slices"
	"testing"
)

var exprs = []string{
	`NoSuchBucket|The specified bucket does not exist`,
	`Failed to (?:get|put) data from|failed to read data from dataDir|path:(?:s3|gs|abfss?|oss)://`,
	`(?i)pulling image|pull image|ErrImagePull|ImagePullBackOff|failed to resolve reference`,
	`(?i)kelvin|ask|sss`,
	`status code: \d{3}, request id: `,
	`\(404\) when calling the \w+ operation|Received: \S+\. File not found`,
	`User: (arn:aws:\S+) is not authorized to perform: ([a-z0-9-]+:\w+)`,
	`\b(s3|gs)://([A-Za-z0-9][A-Za-z0-9._@-]*)/?`,
	`(?:abc)+x|(?:def){2,3}`,
	`a*b?|c`,
	`^\d+$`,
	`(?i)é|Straße`,
	`x\x{FFFD}y`,
	`^failed at Node\[[^\]]*\]\. [A-Za-z]+: `,
	`abc|ab|bcd`,
	`ab|abc|b`,
	`xy|yz|z`,
	`(?:xy)+|yx|(xyz)`,
	`(?i)errimagepull|pull`,
	`NoSuchBucket|The specified bucket does not exist`,
}

var texts = []string{
	"",
	"NoSuchBucket: The specified bucket does not exist",
	"the specified bucket does not exist",
	"Failed to put data from s3://b/k",
	"error path:gs://bucket/x",
	"Back-off PULLING IMAGE \"x\"",
	"errimagepull",
	"failed to reſolve reference",
	"ſſſ and \u212Aelvin and AſK",
	"status code: 403, request id: ABC",
	"(404) when calling the HeadObject operation: Not Found",
	"Received: s3://b/k. File not found",
	"User: arn:aws:iam::1:role/r is not authorized to perform: s3:GetObject on resource",
	"see s3://flyte-data/metadata and gs://other",
	"abcabcx defdef",
	"42",
	"STRASSE straße É",
	"x\xffy x\uFFFDy",
	"failed at Node[n1]. RuntimeExecutionError: x",
	"abcd xabc bcd",
	"zyzxyz",
	"xyxyz yx",
	"PULL ErrImagePull",
	"Pod failed. No message received from kubernetes.\r\n[p-0] terminated with exit code (137). Reason [OOMKilled].",
}

// The pre-check never changes an answer: every method returns what regexp's does.
func TestSameAsRegexp(t *testing.T) {
	for _, e := range exprs {
		re, p := regexp.MustCompile(e), MustCompile(e)
		for _, s := range texts {
			check(t, e, s, re, p)
		}
	}
}

func check(t *testing.T, e, s string, re *regexp.Regexp, p *Regexp) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"MatchString", p.MatchString(s), re.MatchString(s)},
		{"FindString", p.FindString(s), re.FindString(s)},
		{"FindStringIndex", p.FindStringIndex(s), re.FindStringIndex(s)},
		{"FindStringSubmatch", p.FindStringSubmatch(s), re.FindStringSubmatch(s)},
		{"FindAllStringSubmatch", p.FindAllStringSubmatch(s, -1), re.FindAllStringSubmatch(s, -1)},
		{"FindAllStringSubmatchIndex", p.FindAllStringSubmatchIndex(s, -1), re.FindAllStringSubmatchIndex(s, -1)},
		{"ReplaceAllString", p.ReplaceAllString(s, "<$1>"), re.ReplaceAllString(s, "<$1>")},
		{"String", p.String(), re.String()},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s(%q) on %q = %v, regexp says %v", c.name, e, s, c.got, c.want)
		}
	}
}

// Which patterns are found without the matcher at all: alternations of plain strings.
func TestExact(t *testing.T) {
	for expr, want := range map[string]bool{
		`NoSuchBucket|The specified bucket does not exist`: true,
		`xy|yz|z`:              true,
		`ab|abc|b`:             false, // parsed as ab(?:|c)|b
		`(ab)|cd`:              false, // a capture: FindStringSubmatch has groups
		`(?:ab)+|cd`:           false,
		`(?i)ab|cd`:            false,
		`when calling the \w+`: false,
	} {
		if got := MustCompile(expr).exact; got != want {
			t.Errorf("%q: exact %v, want %v", expr, got, want)
		}
	}
}

// The pre-check is there for the patterns it is for, and keeps out of the way elsewhere.
func TestLiterals(t *testing.T) {
	for _, c := range []struct {
		expr          string
		exact, folded []string
	}{
		{`NoSuchBucket|The specified bucket does not exist`, []string{"NoSuchBucket", "The specified bucket does not exist"}, nil},
		{`when calling the (\w+) operation|operation error S3: (\w+)`, []string{"when calling the ", "operation error S3: "}, nil},
		{`Failed to (?:get|put) data from`, []string{"Failed to "}, nil}, // ties go to the first
		{`(?i)failed to resolve reference|ErrImagePull`, nil, []string{"olve reference", "errimagepull"}},
		{`(?:abc)+x`, []string{"abc"}, nil},
		{`status code: \d{3}`, []string{"status code: "}, nil},
		{`a*|b`, nil, nil},      // may match the empty string
		{`\d+`, nil, nil},       // a class
		{`(?i)sks|x`, nil, nil}, // nothing but k and s to look for in one branch
		{"x\uFFFDy", nil, nil},  // U+FFFD also matches invalid UTF-8
		{`(?i)Straße`, nil, []string{"tra"}},
		{`AB|ABC|(?:B)+`, []string{"AB", "B"}, nil},    // AB(?:|C)|B+
		{`^\[\d+/\d+\] currentAttempt done`, nil, nil}, // anchored: the matcher fails fast
	} {
		var exact, folded []string
		for _, l := range MustCompile(c.expr).lits {
			if l.fold {
				folded = append(folded, l.s)
			} else {
				exact = append(exact, l.s)
			}
		}
		if !slices.Equal(exact, c.exact) || !slices.Equal(folded, c.folded) {
			t.Errorf("%q: literals %q, folded %q; want %q, %q", c.expr, exact, folded, c.exact, c.folded)
		}
	}
}

func TestMustCompilePanicsOnABadPattern(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustCompile(`a(b`) did not panic")
		}
	}()
	MustCompile(`a(b`)
}

func FuzzSameAsRegexp(f *testing.F) {
	for _, e := range exprs {
		for _, s := range texts {
			f.Add(e, s)
		}
	}
	f.Fuzz(func(t *testing.T, e, s string) {
		re, err := regexp.Compile(e)
		if err != nil {
			return
		}
		check(t, e, s, re, MustCompile(e))
	})
}
