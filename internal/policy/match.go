package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Patterns are compiled to tokens rather than matched on raw strings because a policy variable's
// value, and the escapes ${*} ${?} ${$}, must be literal even when they contain wildcard characters.
// Substituted values are always literal: treating a principal tag value of "*" as a wildcard would
// let whoever controls the tag widen an Allow. (AWS documents substitution "before" wildcard
// processing for StringLike; whether it then interprets wildcards inside the value is unverified, and
// the literal reading is the one that never grants more.)

type tokKind uint8

const (
	tLit tokKind = iota
	tStar
	tAny
)

type tok struct {
	kind tokKind
	free bool // a wildcard that may match ':'
	r    rune
}

// pattern is a compiled glob.
type pattern struct {
	toks    []tok
	allFree bool // every wildcard may match anything, so the linear greedy matcher is exact
	// Most patterns are a literal or a literal prefix followed by wildcards; comparing those bytes
	// directly keeps the common trust-policy checks off the rune-by-rune matcher.
	literal bool   // no wildcards at all: the pattern is exactly prefix
	prefix  string // the literal runes before the first wildcard
	rest    []tok  // the tokens after prefix
}

func (p *pattern) match(s string) bool {
	if p.literal {
		return s == p.prefix
	}
	if !strings.HasPrefix(s, p.prefix) {
		return false
	}
	if p.allFree {
		return greedyMatch(p.rest, s[len(p.prefix):], false)
	}
	return dpMatch(p.toks, s)
}

// matchFold is match for patterns compiled with fold (actions): ASCII case-insensitive.
func (p *pattern) matchFold(s string) bool {
	if p.literal {
		return len(s) == len(p.prefix) && asciiEqualFold(s, p.prefix)
	}
	if len(s) < len(p.prefix) || !asciiEqualFold(s[:len(p.prefix)], p.prefix) {
		return false
	}
	return greedyMatch(p.rest, s[len(p.prefix):], true)
}

// asciiEqualFold compares s with a lower-case ASCII string b.
func asciiEqualFold(s, b string) bool {
	for i := 0; i < len(b); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != b[i] {
			return false
		}
	}
	return true
}

// split fills the literal fast-path fields. The prefix stops at the first non-ASCII rune so that
// case folding, which can change a rune's byte length, never runs on it.
func (p *pattern) split() {
	var b strings.Builder
	i := 0
	for ; i < len(p.toks); i++ {
		t := p.toks[i]
		if t.kind != tLit || t.r >= utf8.RuneSelf {
			break
		}
		b.WriteByte(byte(t.r))
	}
	p.prefix = b.String()
	p.rest = p.toks[i:]
	p.literal = i == len(p.toks)
}

// globTokens turns policy text into tokens where * and ? are wildcards.
func globTokens(dst []tok, text string, fold bool) []tok {
	for _, r := range text {
		switch r {
		case '*':
			dst = append(dst, tok{kind: tStar, free: true})
		case '?':
			dst = append(dst, tok{kind: tAny, free: true})
		default:
			if fold {
				r = lowerRune(r)
			}
			dst = append(dst, tok{kind: tLit, r: r})
		}
	}
	return dst
}

// literalTokens turns text into tokens that match only themselves.
func literalTokens(dst []tok, text string) []tok {
	for _, r := range text {
		dst = append(dst, tok{kind: tLit, r: r})
	}
	return dst
}

func lowerRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}
	return unicode.ToLower(r)
}

// globPattern compiles a glob in which every wildcard may match any character (actions,
// StringLike, the parts of ArnLike).
func globPattern(toks []tok) pattern {
	for i := range toks {
		if toks[i].kind != tLit {
			toks[i].free = true
		}
	}
	p := pattern{toks: toks, allFree: true}
	p.split()
	return p
}

// resourcePattern compiles a Resource glob with the ARN rule of "IAM JSON policy elements:
// Resource": wildcards work within a colon-separated segment, except that a * that is the last
// character of a segment may expand beyond the colon boundary. Everything after the fifth colon is
// the resource segment, where colons are ordinary characters.
func resourcePattern(toks []tok) pattern {
	seg := 0
	allFree := true
	for i := range toks {
		t := &toks[i]
		if t.kind == tLit {
			if t.r == ':' && seg < 5 {
				seg++
			}
			continue
		}
		switch {
		case seg >= 5:
			t.free = true
		case t.kind == tStar:
			t.free = i+1 == len(toks) || (toks[i+1].kind == tLit && toks[i+1].r == ':')
		default:
			t.free = false
		}
		if !t.free {
			allFree = false
		}
	}
	p := pattern{toks: toks, allFree: allFree}
	p.split()
	return p
}

// greedyMatch is the classic linear glob matcher with single-star backtracking; it is exact when
// every wildcard may match any character. With fold the tokens are already lower-cased.
func greedyMatch(toks []tok, s string, fold bool) bool {
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for si < len(s) {
		r, sz := utf8.DecodeRuneInString(s[si:])
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case tStar:
				starTi, starSi = ti, si
				ti++
				continue
			case tAny:
				ti++
				si += sz
				continue
			default:
				c := r
				if fold {
					c = lowerRune(r)
				}
				if c == t.r {
					ti++
					si += sz
					continue
				}
			}
		}
		if starTi < 0 {
			return false
		}
		_, ssz := utf8.DecodeRuneInString(s[starSi:])
		starSi += ssz
		ti, si = starTi+1, starSi
	}
	for ti < len(toks) && toks[ti].kind == tStar {
		ti++
	}
	return ti == len(toks)
}

// dpMatch handles globs whose wildcards differ in whether they may cross ':'; single-star
// backtracking is not exact then, so it runs the O(len(pattern)*len(s)) dynamic programme, on the
// stack for ordinary ARN lengths.
func dpMatch(toks []tok, s string) bool {
	var rbuf [256]rune
	rs := rbuf[:0]
	for _, r := range s {
		rs = append(rs, r)
	}
	n := len(rs)
	var bbuf [257]bool
	var cur []bool
	if n+1 <= len(bbuf) {
		cur = bbuf[:n+1]
	} else {
		cur = make([]bool, n+1)
	}
	cur[0] = true
	for _, t := range toks {
		if t.kind == tStar {
			reach := false
			for j := 0; j <= n; j++ {
				if j > 0 && !t.free && rs[j-1] == ':' {
					reach = false
				}
				if cur[j] {
					reach = true
				}
				cur[j] = reach
			}
			continue
		}
		for j := n; j >= 1; j-- {
			r := rs[j-1]
			ok := false
			if t.kind == tAny {
				ok = t.free || r != ':'
			} else {
				ok = r == t.r
			}
			cur[j] = cur[j-1] && ok
		}
		cur[0] = false
	}
	return cur[n]
}

// splitARN splits s into its six colon-separated parts; the last part keeps any further colons.
func splitARN(s string) (parts [6]string, ok bool) {
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return parts, false
		}
		parts[i] = s[:j]
		s = s[j+1:]
	}
	parts[5] = s
	return parts, true
}

// splitTokensARN splits compiled tokens at their first five literal colons.
func splitTokensARN(toks []tok) (parts [6]pattern, ok bool) {
	start, n := 0, 0
	for i, t := range toks {
		if n < 5 && t.kind == tLit && t.r == ':' {
			parts[n] = globPattern(toks[start:i:i])
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return parts, false
	}
	parts[5] = globPattern(toks[start:])
	return parts, true
}
