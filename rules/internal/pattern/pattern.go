// Package pattern is regexp with a literal pre-check. Most of the rules' patterns are
// alternations of phrases (`NoSuchBucket|The specified bucket does not exist`) run over texts
// that hold none of them, and Go's regexp has no literal scan: every miss walks the whole text
// through the matcher, tens of microseconds for a short error message. MustCompile reads, from
// the pattern's syntax, strings one of which every match must contain; a text holding none of
// them cannot match, and the matcher is not run.
package pattern

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Regexp is a regexp whose Match and Find methods first check that the text holds one of the
// literals every match contains. Its matcher is compiled on first use: most patterns meet no
// text that passes the check (and `flytedoctor version` none), and compiling them all took
// about 3 ms of every start.
type Regexp struct {
	expr string
	lits []literal // every match contains one of them; nil: no pre-check
	// exact: the pattern is nothing but lits, in the order it tries them (`NoSuchBucket|The
	// specified bucket does not exist`): the leftmost-first match is found without the matcher.
	exact bool
	re    func() *regexp.Regexp
}

// literal is a string a match must contain, byte for byte or, when fold is set, up to ASCII
// case (s is then lower-case).
type literal struct {
	s    string
	fold bool
	// enough: a text that holds it matches (it is a whole branch of the pattern, or one
	// repeated with +); whole: and the branch is that string and nothing else.
	enough, whole bool
}

// MustCompile is regexp.MustCompile with the pre-check: it parses expr now, and panics if
// that fails, but compiles the matcher on first use.
func MustCompile(expr string) *Regexp {
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		panic(`pattern: Compile(` + strconv.Quote(expr) + `): ` + err.Error())
	}
	p := &Regexp{expr: expr, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
	if !anchored(tree) {
		p.lits = required(tree.Simplify())
		p.exact = p.lits != nil && tree.MaxCap() == 0
		for _, l := range p.lits {
			p.exact = p.exact && l.whole
		}
	}
	return p
}

// String is the source text.
func (re *Regexp) String() string { return re.expr }

// ReplaceAllString is regexp's ReplaceAllString.
func (re *Regexp) ReplaceAllString(src, repl string) string {
	if !re.may(src) {
		return src
	}
	return re.re().ReplaceAllString(src, repl)
}

// anchored reports whether re matches only at the start of the text: the matcher gives up
// on a miss there at once, where a scan for literals would read the whole text.
func anchored(re *syntax.Regexp) bool {
	for re.Op == syntax.OpConcat && len(re.Sub) > 0 || re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	return re.Op == syntax.OpBeginText
}

// may reports whether s can match: false only when it holds none of the literals.
func (re *Regexp) may(s string) bool {
	possible, _ := re.check(s)
	return possible
}

// check reports whether s may match (it holds one of the literals, or there are none) and
// whether it does for certain (it holds one that is enough).
func (re *Regexp) check(s string) (possible, certain bool) {
	if re.lits == nil {
		return true, false
	}
	for _, l := range re.lits {
		if l.fold && containsFold(s, l.s) || !l.fold && strings.Contains(s, l.s) {
			possible = true
			if l.enough {
				return true, true
			}
		}
	}
	return possible, false
}

func (re *Regexp) MatchString(s string) bool {
	possible, certain := re.check(s)
	return certain || possible && re.re().MatchString(s)
}

// leftmost is the match of an exact pattern: the earliest start, and there the first literal
// in the pattern's order (Perl's leftmost-first, as regexp).
func (re *Regexp) leftmost(s string) []int {
	var at []int
	for _, l := range re.lits {
		if i := strings.Index(s, l.s); i >= 0 && (at == nil || i < at[0]) {
			at = []int{i, i + len(l.s)}
		}
	}
	return at
}

func (re *Regexp) FindString(s string) string {
	if at := re.FindStringIndex(s); at != nil {
		return s[at[0]:at[1]]
	}
	return ""
}

func (re *Regexp) FindStringIndex(s string) []int {
	if re.exact {
		return re.leftmost(s)
	}
	if !re.may(s) {
		return nil
	}
	return re.re().FindStringIndex(s)
}

func (re *Regexp) FindStringSubmatch(s string) []string {
	if re.exact {
		if at := re.leftmost(s); at != nil {
			return []string{s[at[0]:at[1]]}
		}
		return nil
	}
	if !re.may(s) {
		return nil
	}
	return re.re().FindStringSubmatch(s)
}

func (re *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	if !re.may(s) {
		return nil
	}
	return re.re().FindAllStringSubmatch(s, n)
}

func (re *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	if !re.may(s) {
		return nil
	}
	return re.re().FindAllStringSubmatchIndex(s, n)
}

// required returns literals one of which every match of re contains, or nil when it cannot
// tell (a part that may match the empty string, a character class, an anchor).
func required(re *syntax.Regexp) []literal {
	switch re.Op {
	case syntax.OpLiteral:
		return literalOf(re)
	case syntax.OpCapture, syntax.OpPlus:
		return partOf(required(re.Sub[0]), true)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return partOf(required(re.Sub[0]), re.Min == 1)
		}
	case syntax.OpConcat:
		// Any part's literals will do: take the most selective, by their shortest.
		var best []literal
		for _, sub := range re.Sub {
			if l := required(sub); l != nil && (best == nil || shortest(l) > shortest(best)) {
				best = l
			}
		}
		return partOf(best, false)
	case syntax.OpAlternate:
		var all []literal
		for _, sub := range re.Sub {
			l := required(sub)
			if l == nil {
				return nil
			}
			all = append(all, l...)
		}
		return all
	}
	return nil
}

// partOf marks ls as literals of a part of a branch: no longer whole, and still enough only
// if keepEnough.
func partOf(ls []literal, keepEnough bool) []literal {
	if ls == nil {
		return nil
	}
	out := make([]literal, len(ls))
	for i, l := range ls {
		l.whole, l.enough = false, l.enough && keepEnough
		out[i] = l
	}
	return out
}

func shortest(ls []literal) int {
	n := len(ls[0].s)
	for _, l := range ls[1:] {
		n = min(n, len(l.s))
	}
	return n
}

// literalOf is the literal of an OpLiteral node. A case-insensitive one is checked up to ASCII
// case, so it keeps only its longest run of ASCII other than k and s, whose case-folds include
// the Kelvin sign and the long s.
func literalOf(re *syntax.Regexp) []literal {
	s := string(re.Rune)
	if strings.ContainsRune(s, utf8.RuneError) {
		return nil // it also matches invalid UTF-8, which is not these bytes
	}
	if re.Flags&syntax.FoldCase == 0 {
		return []literal{{s: s, enough: true, whole: true}}
	}
	best, start := "", 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] >= utf8.RuneSelf || lower(s[i]) == 'k' || lower(s[i]) == 's' {
			if i-start > len(best) {
				best = s[start:i]
			}
			start = i + 1
		}
	}
	if best == "" {
		return nil
	}
	// The whole literal, checked up to ASCII case, is enough: (?i) matches those cases too.
	return []literal{{s: strings.Map(func(r rune) rune { return rune(lower(byte(r))) }, best), fold: true, enough: len(best) == len(s)}}
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// containsFold reports whether s contains sub (lower-case ASCII) up to ASCII case.
func containsFold(s, sub string) bool {
	first, upper := sub[0], sub[0]
	if 'a' <= first && first <= 'z' {
		upper = first - ('a' - 'A')
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if c := s[i]; c != first && c != upper {
			continue
		}
		j := 1
		for j < len(sub) && lower(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}
