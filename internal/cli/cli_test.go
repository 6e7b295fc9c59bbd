package cli

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for in, secret := range map[string]string{
		"postgres://lk:s3cret@db:5432/latchkey?sslmode=disable": "s3cret",
		"postgres://lk@db/latchkey?password=s3cret":             "s3cret",
		"postgresql://lk:p%40ss@db/x?Password=other":            "other",
	} {
		out := redactURL(in)
		if strings.Contains(out, secret) || !strings.Contains(out, "redacted") {
			t.Errorf("%s -> %s", in, out)
		}
	}
	if got := redactURL("./latchkey-data/latchkey.db"); got != "./latchkey-data/latchkey.db" {
		t.Errorf("file path changed: %s", got)
	}
}
