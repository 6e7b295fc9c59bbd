package session

import (
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Limits (STS API Reference, the operations' parameters; IAM User Guide, "IAM and AWS STS quotas").
const (
	DefaultRoleSession      = 3600
	RoleChainingMax         = 3600
	DefaultTokenSession     = 43200
	RootTokenSessionMax     = 3600
	MaxSessionPolicyText    = 2048
	MaxManagedSessionPolicy = 10
	MaxSessionTags          = 50
	// PackedPolicyLimit is Latchkey's documented denominator for PackedPolicySize: the compacted
	// inline session policy, the managed policy ARNs and the session tag keys and values, in bytes.
	// AWS does not publish its packing; this measure is deterministic and of the same order.
	PackedPolicyLimit = 4096
)

// Tag is a session tag.
type Tag = principal.Tag

// Policies are the session policies of a request (Policy and PolicyArns).
type Policies struct {
	Policy     string
	PolicyARNs []string
}

// Present reports whether the request carries any session policy.
func (sp Policies) Present() bool { return sp.Policy != "" || len(sp.PolicyARNs) > 0 }

// Validation is STS's ValidationError.
func Validation(format string, args ...any) *awserr.Error {
	return awserr.New("ValidationError", http.StatusBadRequest, format, args...)
}

var (
	// ReservedPrefix is the "aws:" prefix callers may not use in tags and source identities.
	ReservedPrefix = regexp.MustCompile(`(?i)^aws:`)
	// SourceIdentityText is the character set of a source identity.
	SourceIdentityText = regexp.MustCompile(`^[\w+=,.@-]+$`)
	// tagTextRe is the model's tagKeyType/tagValueType pattern. AssumeRole's parameters are
	// held to it by the model validation; tags read from a web identity token or a SAML
	// assertion must follow the same rules ("Session tags must follow the rules for naming tags",
	// IAM User Guide, "Pass session tags in AWS STS").
	tagTextRe = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// checkTagText applies the length and character rules of session tag keys and values.
func checkTagText(t Tag) error {
	switch k, v := utf8.RuneCountInString(t.Key), utf8.RuneCountInString(t.Value); {
	case k < 1 || k > 128 || !tagTextRe.MatchString(t.Key):
		return awserr.New("InvalidParameterValue", http.StatusBadRequest, "The session tag key %q is invalid: a key has 1 to 128 letters, digits, spaces or _.:/=+-@ characters.", t.Key)
	case v > 256 || !tagTextRe.MatchString(t.Value):
		return awserr.New("InvalidParameterValue", http.StatusBadRequest, "The value of session tag %q is invalid: a value has at most 256 letters, digits, spaces or _.:/=+-@ characters.", t.Key)
	}
	return nil
}

// CheckTags applies the session-tag rules (IAM User Guide, "Pass session tags in AWS STS") and
// returns the tags' packed size. incomingTransitive are the transitive tag keys of a chained
// caller, which the new tags may not override.
func CheckTags(tags []Tag, transitive, incomingTransitive []string) (int, error) {
	if len(tags) > MaxSessionTags {
		return 0, Validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSessionTags)
	}
	seen := map[string]bool{}
	size := 0
	for _, t := range tags {
		if err := checkTagText(t); err != nil {
			return 0, err
		}
		if ReservedPrefix.MatchString(t.Key) || ReservedPrefix.MatchString(t.Value) {
			return 0, awserr.New("InvalidParameterValue", http.StatusBadRequest, "Tag keys and values can't start with 'aws:'. This prefix is reserved for AWS use.")
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return 0, awserr.New("InvalidParameterValue", http.StatusBadRequest, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
		size += len(t.Key) + len(t.Value)
	}
	for _, k := range transitive {
		if !seen[strings.ToLower(k)] {
			return 0, awserr.New("InvalidParameterValue", http.StatusBadRequest, "The transitive tag key %s must also be passed as a session tag.", k)
		}
	}
	for _, k := range incomingTransitive {
		if seen[strings.ToLower(k)] {
			return 0, awserr.New("InvalidParameterValue", http.StatusBadRequest, "The session tag %s conflicts with a transitive tag of the calling session; transitive tags cannot be overridden.", k)
		}
	}
	return size, nil
}

// TagCondition exposes passed tags as aws:RequestTag/*, aws:TagKeys and sts:TransitiveTagKeys.
func TagCondition(cond map[string][]string, tags []Tag, transitive []string) {
	if len(tags) == 0 {
		return
	}
	var keys []string
	for _, t := range tags {
		cond["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys = append(keys, t.Key)
	}
	cond["aws:TagKeys"] = keys
	if len(transitive) > 0 {
		cond["sts:TransitiveTagKeys"] = transitive
	}
}

// packedPercent converts a packed size into PackedPolicySize, failing above 100%.
func packedPercent(size int) (int, error) {
	pct := int(math.Ceil(100 * float64(size) / PackedPolicyLimit))
	if pct > 100 {
		return pct, awserr.New("PackedPolicyTooLarge", http.StatusBadRequest, "Packed size of consolidated session policies and session tags exceeds 100%% (%d%%).", pct)
	}
	return pct, nil
}

// mergeTags overlays session tags onto base tags, case-insensitively by key.
func mergeTags(base []store.Tag, overlays ...[]Tag) []principal.Tag {
	out := make([]principal.Tag, 0, len(base))
	index := map[string]int{}
	for _, t := range base {
		index[strings.ToLower(t.Key)] = len(out)
		out = append(out, principal.Tag{Key: t.Key, Value: t.Value})
	}
	for _, ov := range overlays {
		for _, t := range ov {
			if i, ok := index[strings.ToLower(t.Key)]; ok {
				out[i] = t
				continue
			}
			index[strings.ToLower(t.Key)] = len(out)
			out = append(out, t)
		}
	}
	return out
}

func compactLen(doc string) int {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return len(doc)
	}
	b, _ := json.Marshal(v)
	return len(b)
}
