package iam

import (
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/store"
)

// The tagging rules every taggable IAM resource shares (users, roles, managed policies, MFA
// devices, OIDC and SAML providers): the Tag… operation merges with tagger, Untag… drops with
// untagger, List…Tags pages with listTags.

// tagContext is the request's tags as IAM authorizes them: aws:RequestTag/<key> and aws:TagKeys.
func tagContext(tags []Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	ctx := map[string][]string{}
	var keys []string
	for _, t := range tags {
		ctx["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys = append(keys, t.Key)
	}
	ctx["aws:TagKeys"] = keys
	return ctx
}

// tagKeyNorm is how a resource's tag keys compare: case-insensitively for users and roles.
func tagKeyNorm(caseInsensitive bool) func(string) string {
	if caseInsensitive {
		return strings.ToLower
	}
	return func(k string) string { return k }
}

// tagger is the updater of TagUser, TagRole, TagPolicy, … : it merges add into the resource's
// current tags, so concurrent tag requests with different keys all keep theirs, and checks the
// 50-tag quota against those current tags, so that concurrent requests cannot pass it together.
func tagger[T any](add []Tag, caseInsensitive bool, tags func(*T) *[]store.Tag) func(*T) error {
	return func(v *T) error {
		merged, err := mergeTags(*tags(v), storeTags(add), caseInsensitive)
		if err != nil {
			return err
		}
		*tags(v) = merged
		return nil
	}
}

// untagger is the updater of the Untag… operations.
func untagger[T any](keys []string, caseInsensitive bool, tags func(*T) *[]store.Tag) func(*T) error {
	return func(v *T) error {
		*tags(v) = dropTags(*tags(v), keys, caseInsensitive)
		return nil
	}
}

// mergeTags applies add onto existing with IAM's rules: reserved aws: prefix, duplicate keys in one
// request, the 50-tag quota, and (for users and roles) case-insensitive keys.
func mergeTags(existing, add []store.Tag, caseInsensitive bool) ([]store.Tag, error) {
	norm := tagKeyNorm(caseInsensitive)
	seen := map[string]bool{}
	for _, t := range add {
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return nil, awserr.New("InvalidInput", http.StatusBadRequest, "User-defined tag keys can't start with 'aws:'. This prefix is reserved for AWS use.")
		}
		if seen[norm(t.Key)] {
			return nil, awserr.New("InvalidInput", http.StatusBadRequest, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[norm(t.Key)] = true
	}
	out := make([]store.Tag, 0, len(existing)+len(add))
	for _, t := range existing {
		if !seen[norm(t.Key)] {
			out = append(out, t)
		}
	}
	out = append(out, add...)
	if len(out) > MaxTagsPerResource {
		return nil, awserr.New("LimitExceeded", http.StatusConflict, "The number of tags has reached the maximum limit of %d.", MaxTagsPerResource)
	}
	return out, nil
}

func dropTags(tags []store.Tag, keys []string, caseInsensitive bool) []store.Tag {
	drop := map[string]bool{}
	norm := tagKeyNorm(caseInsensitive)
	for _, k := range keys {
		drop[norm(k)] = true
	}
	kept := make([]store.Tag, 0, len(tags))
	for _, t := range tags {
		if !drop[norm(t.Key)] {
			kept = append(kept, t)
		}
	}
	return kept
}

// listTags pages through a resource's tags.
func listTags(all []store.Tag, marker string, maxItems int) (Page[Tag], error) {
	p, err := paginate(all, marker, maxItems)
	return mapPage(p, func(t store.Tag) Tag { return Tag(t) }), err
}
