package policy

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A hand-written JSON reader instead of encoding/json because the engine needs what encoding/json
// throws away: duplicate keys (rejected, since two "Effect" members would leave the meaning to
// whichever one a reader keeps), member order (GetContextKeysForCustomPolicy lists keys in document
// order), the literal text of numbers, and byte offsets (the simulator reports statement positions).

type jkind uint8

const (
	jString jkind = iota + 1
	jNumber
	jBool
	jNull
	jArray
	jObject
)

type jvalue struct {
	kind  jkind
	str   string // string contents, or the literal text of a number
	b     bool
	arr   []*jvalue
	obj   []jmember
	start int // byte offset of the first character
	end   int // byte offset just past the last character
}

type jmember struct {
	key string
	val *jvalue
}

func (v *jvalue) get(key string) *jvalue {
	for i := range v.obj {
		if v.obj[i].key == key {
			return v.obj[i].val
		}
	}
	return nil
}

// maxDepth bounds recursion so a hostile document cannot exhaust the stack; real policies nest
// about six levels deep.
const maxDepth = 64

type jparser struct {
	s     string
	i     int
	depth int
}

// parseJSON returns nil when the text is not exactly one well-formed JSON value (with optional
// surrounding whitespace) or when an object repeats a key.
func parseJSON(s string) *jvalue {
	p := &jparser{s: s}
	p.skipWS()
	v := p.value()
	if v == nil {
		return nil
	}
	p.skipWS()
	if p.i != len(p.s) {
		return nil
	}
	return v
}

func (p *jparser) skipWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value() *jvalue {
	if p.i >= len(p.s) {
		return nil
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		start := p.i
		s, ok := p.str()
		if !ok {
			return nil
		}
		return &jvalue{kind: jString, str: s, start: start, end: p.i}
	case c == 't':
		return p.literal("true", jBool, true)
	case c == 'f':
		return p.literal("false", jBool, false)
	case c == 'n':
		return p.literal("null", jNull, false)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil
}

func (p *jparser) literal(word string, k jkind, b bool) *jvalue {
	if !strings.HasPrefix(p.s[p.i:], word) {
		return nil
	}
	start := p.i
	p.i += len(word)
	return &jvalue{kind: k, b: b, str: word, start: start, end: p.i}
}

func (p *jparser) number() *jvalue {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.s) {
		return nil
	}
	if p.s[p.i] == '0' {
		p.i++
	} else if isDigit(p.s[p.i]) {
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	} else {
		return nil
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.i >= len(p.s) || !isDigit(p.s[p.i]) {
			return nil
		}
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.i >= len(p.s) || !isDigit(p.s[p.i]) {
			return nil
		}
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	}
	return &jvalue{kind: jNumber, str: p.s[start:p.i], start: start, end: p.i}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *jparser) str() (string, bool) {
	p.i++ // opening quote
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			if !utf8.ValidString(s) {
				return "", false
			}
			p.i++
			return s, true
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	var b strings.Builder
	b.WriteString(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			s := b.String()
			if !utf8.ValidString(s) {
				return "", false
			}
			return s, true
		case c < 0x20:
			return "", false
		case c == '\\':
			p.i++
			if p.i >= len(p.s) {
				return "", false
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) {
					// A lone surrogate has no character to stand for; refuse rather than guess.
					if !strings.HasPrefix(p.s[p.i:], `\u`) {
						return "", false
					}
					p.i += 2
					r2, ok := p.hex4()
					if !ok {
						return "", false
					}
					r = utf16.DecodeRune(r, r2)
					if r == utf8.RuneError {
						return "", false
					}
				}
				b.WriteRune(r)
			default:
				return "", false
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", false
}

func (p *jparser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		c := p.s[p.i+k]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	p.i += 4
	return r, true
}

func (p *jparser) array() *jvalue {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil
	}
	v := &jvalue{kind: jArray, start: p.i}
	p.i++
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		v.end = p.i
		return v
	}
	for {
		p.skipWS()
		e := p.value()
		if e == nil {
			return nil
		}
		v.arr = append(v.arr, e)
		p.skipWS()
		if p.i >= len(p.s) {
			return nil
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			v.end = p.i
			return v
		default:
			return nil
		}
	}
}

func (p *jparser) object() *jvalue {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil
	}
	v := &jvalue{kind: jObject, start: p.i}
	var seen map[string]struct{}
	p.i++
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		v.end = p.i
		return v
	}
	for {
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil
		}
		key, ok := p.str()
		if !ok {
			return nil
		}
		if seen != nil {
			if _, dup := seen[key]; dup {
				return nil
			}
			seen[key] = struct{}{}
		} else {
			for _, m := range v.obj {
				if m.key == key {
					return nil
				}
			}
			if len(v.obj) >= 16 {
				// Large objects switch to a set so a hostile document cannot make the
				// duplicate check quadratic.
				seen = make(map[string]struct{}, 2*len(v.obj))
				for _, m := range v.obj {
					seen[m.key] = struct{}{}
				}
				seen[key] = struct{}{}
			}
		}
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil
		}
		p.i++
		p.skipWS()
		e := p.value()
		if e == nil {
			return nil
		}
		v.obj = append(v.obj, jmember{key: key, val: e})
		p.skipWS()
		if p.i >= len(p.s) {
			return nil
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			v.end = p.i
			return v
		default:
			return nil
		}
	}
}
