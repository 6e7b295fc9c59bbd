package policy

import (
	"slices"
	"strings"
)

// Context holds the condition keys of one request. Key names are case-insensitive, as AWS treats
// them; each key carries one value, or several for multi-valued keys such as aws:TagKeys or
// cognito-identity.amazonaws.com:amr.
type Context struct {
	m map[string]ctxEntry // keyed by the lower-cased name
}

type ctxEntry struct {
	name   string
	values []string
}

// NewContext returns an empty context.
func NewContext() *Context { return &Context{m: make(map[string]ctxEntry)} }

// Set replaces the values of key. Setting no values removes the key: an empty multi-valued key and
// an absent one behave the same under every operator (ForAllValues is vacuously true and
// ForAnyValue false for both), and one representation leaves no room for Null to disagree.
func (c *Context) Set(key string, values ...string) {
	lk := strings.ToLower(key)
	if len(values) == 0 {
		delete(c.m, lk)
		return
	}
	if c.m == nil {
		c.m = make(map[string]ctxEntry)
	}
	c.m[lk] = ctxEntry{name: key, values: slices.Clone(values)}
}

// Get returns a copy of the values of key and whether it is present.
func (c *Context) Get(key string) ([]string, bool) {
	v, ok := c.lookup(strings.ToLower(key))
	if !ok {
		return nil, false
	}
	return slices.Clone(v), true
}

// Keys returns the key names as they were set, sorted case-insensitively.
func (c *Context) Keys() []string {
	if c == nil {
		return nil
	}
	lks := make([]string, 0, len(c.m))
	for lk := range c.m {
		lks = append(lks, lk)
	}
	slices.Sort(lks)
	out := make([]string, len(lks))
	for i, lk := range lks {
		out[i] = c.m[lk].name
	}
	return out
}

// Clone returns an independent copy, so a caller can add request-specific keys to a shared base.
func (c *Context) Clone() *Context {
	n := NewContext()
	if c == nil {
		return n
	}
	for lk, e := range c.m {
		n.m[lk] = ctxEntry{name: e.name, values: slices.Clone(e.values)}
	}
	return n
}

// lookup takes an already lower-cased key so the evaluation hot path never allocates.
func (c *Context) lookup(lk string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	e, ok := c.m[lk]
	if !ok || len(e.values) == 0 {
		return nil, false
	}
	return e.values, true
}
