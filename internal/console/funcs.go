package console

import (
	"html/template"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
)

// funcs are the templates' helpers: marks and values as `latchkey explain` prints them.
var funcs = template.FuncMap{
	"mark": func(ok bool) string {
		if ok {
			return "✓"
		}
		return "✗"
	},
	"markClass": func(ok bool) string {
		if ok {
			return "ok"
		}
		return "no"
	},
	"quote": explain.Quote,
	"requestValues": func(c explain.Condition) string {
		if c.Absent || len(c.RequestValues) == 0 {
			return "absent"
		}
		return explain.Quote(c.RequestValues)
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"whenp": func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"deref": func(b *bool) bool { return b != nil && *b },
}
