package awsmodel

import (
	"strings"
	"testing"
)

// A model in botocore's format with the collection shapes the four shipped models lack, so the
// rules are pinned for them too: a map the model marks sensitive as a whole (Lambda's environment
// variables are one), sensitive keys, numbers and enums as elements.
const collectionsModel = `{
  "metadata": {"protocol": "json", "apiVersion": "2024-01-01", "signingName": "synthetic", "targetPrefix": "Synthetic"},
  "operations": {"Put": {"name": "Put", "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "PutInput"}}},
  "shapes": {
    "PutInput": {"type": "structure", "members": {
      "Env": {"shape": "EnvMap"}, "Secrets": {"shape": "SecretKeyed"}, "Ports": {"shape": "Ports"}, "Modes": {"shape": "Modes"},
      "Blobs": {"shape": "Blobs"}}},
    "EnvMap": {"type": "map", "key": {"shape": "EnvName"}, "value": {"shape": "EnvValue"}, "sensitive": true},
    "EnvName": {"type": "string", "pattern": "[a-zA-Z]([a-zA-Z0-9_])+", "sensitive": true},
    "EnvValue": {"type": "string", "sensitive": true},
    "SecretKeyed": {"type": "map", "key": {"shape": "SecretName"}, "value": {"shape": "Label"}},
    "SecretName": {"type": "string", "min": 2, "sensitive": true},
    "Label": {"type": "string", "max": 3},
    "Ports": {"type": "list", "member": {"shape": "Port"}, "max": 3},
    "Port": {"type": "integer", "min": 1, "max": 65535},
    "Modes": {"type": "list", "member": {"shape": "Mode"}},
    "Mode": {"type": "string", "enum": ["ro", "rw"]},
    "Blobs": {"type": "list", "member": {"shape": "Blob"}},
    "Blob": {"type": "blob", "min": 1}
  }
}`

func TestValidateCollectionShapes(t *testing.T) {
	svc, err := parse("synthetic", []byte(collectionsModel))
	if err != nil {
		t.Fatal(err)
	}
	in := svc.Operations["Put"].Input
	for _, c := range []struct {
		name   string
		in     map[string]any
		want   string
		absent []string
	}{
		{name: "valid", in: map[string]any{"Env": map[string]any{"DB_PASSWORD": "hunter2"}, "Secrets": map[string]any{"ab": "x"},
			"Ports": []any{int64(1), int64(65535)}, "Modes": []any{"ro"}, "Blobs": []any{[]byte{0}}}},
		{
			name:   "a sensitive map is never shown",
			in:     map[string]any{"Env": map[string]any{"1BAD": "hunter2"}},
			want:   "1 validation error detected: Value at 'env' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
			absent: []string{"hunter2", "1BAD"},
		},
		{
			name:   "sensitive keys are hidden, values shown",
			in:     map[string]any{"Secrets": map[string]any{"api-key-123": "long", "": "ok"}},
			want:   "2 validation errors detected: Value '{=ok, " + Redacted + "=long}' at 'secrets' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length greater than or equal to 2]; Value '{=ok, " + Redacted + "=long}' at 'secrets' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 3]",
			absent: []string{"api-key-123"},
		},
		{
			name: "numbers: value bounds, largest first",
			in:   map[string]any{"Ports": []any{int64(0), int64(1), int64(2), int64(70000)}},
			want: "2 validation errors detected: Value '[0, 1, 2, 70000]' at 'ports' failed to satisfy constraint: Member must have length less than or equal to 3; " +
				"Value '[0, 1, 2, 70000]' at 'ports' failed to satisfy constraint: Member must satisfy constraint: [Member must have value less than or equal to 65535, Member must have value greater than or equal to 1]",
		},
		{
			name: "enums",
			in:   map[string]any{"Modes": []any{"ro", "RW"}},
			want: "1 validation error detected: Value '[ro, RW]' at 'modes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ro, rw]]",
		},
		{
			name: "blobs",
			in:   map[string]any{"Blobs": []any{[]byte{}}},
			want: "1 validation error detected: Value '[[]]' at 'blobs' failed to satisfy constraint: Member must satisfy constraint: [Member must have length greater than or equal to 1]",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Validate(in, c.in)
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
			for _, s := range c.absent {
				if strings.Contains(got, s) {
					t.Errorf("message %q echoes %q", got, s)
				}
			}
		})
	}
}
