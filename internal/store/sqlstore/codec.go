package sqlstore

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// Column encodings shared by every dialect; the migration explains why each type was chosen.

// encodeTime maps the zero time to 0 because UnixNano is undefined for it; no real record is
// created at the Unix epoch, so 0 is free to mean "unset".
func encodeTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func decodeTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func encodeOptionalTime(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: encodeTime(*t), Valid: true}
}

func decodeOptionalTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := decodeTime(n.Int64)
	return &t
}

func encodeBytes(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func decodeBytes(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: corrupt base64 column: %w", err)
	}
	return b, nil
}

// tagJSON pins the stored field names, so that adding JSON tags to store.Tag later cannot change
// how existing rows are read.
type tagJSON struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func encodeTags(tags []store.Tag) (string, error) {
	out := make([]tagJSON, len(tags))
	for i, t := range tags {
		out[i] = tagJSON(t)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode tags: %w", err)
	}
	return string(b), nil
}

func decodeTags(s string) ([]store.Tag, error) {
	var in []tagJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("sqlstore: corrupt tags column: %w", err)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]store.Tag, len(in))
	for i, t := range in {
		out[i] = store.Tag(t)
	}
	return out, nil
}

// encodeStrings stores a list of strings (OIDC client ids, thumbprints) as a JSON array, which keeps
// order and duplicates. nil and empty lists are both stored as [] and read back as nil, as tags are.
func encodeStrings(list []string) (string, error) {
	if len(list) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(list)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode string list: %w", err)
	}
	return string(b), nil
}

func decodeStrings(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("sqlstore: corrupt string list column: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
