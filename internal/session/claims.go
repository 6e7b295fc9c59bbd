package session

import (
	"net/http"

	"github.com/latchkey/latchkey/internal/awserr"
)

// TagsClaim is the claim of a web identity token (an upstream OIDC token or a Cognito identity
// token) that carries session tags (IAM User Guide, "Pass session tags in AWS STS").
const TagsClaim = "https://aws.amazon.com/tags"

// Claims is what a verified token or assertion says: who vouched for the caller, and what the
// session it asks for carries.
type Claims struct {
	Identity Identity
	// Subject and Audience are answered to the caller.
	Subject, Audience string
	// Condition holds the claims the trust policy may test (<provider>:sub, saml:aud…).
	Condition         map[string][]string
	Tags              []Tag
	TransitiveTagKeys []string
	SourceIdentity    string
}

// TokenTags reads the TagsClaim: principal_tags maps each key to an array holding exactly one
// string, transitive_tag_keys lists keys.
func TokenTags(raw any) ([]Tag, []string, error) {
	if raw == nil {
		return nil, nil, nil
	}
	bad := func(why string) ([]Tag, []string, error) {
		return nil, nil, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "The https://aws.amazon.com/tags claim is invalid: %s", why)
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return bad("it must be an object")
	}
	var tags []Tag
	if pt, ok := obj["principal_tags"]; ok {
		m, ok := pt.(map[string]any)
		if !ok {
			return bad("principal_tags must be an object")
		}
		for k, v := range m {
			arr, ok := v.([]any)
			if !ok || len(arr) != 1 {
				return bad("each principal tag must be an array holding exactly one string")
			}
			s, ok := arr[0].(string)
			if !ok {
				return bad("each principal tag must be an array holding exactly one string")
			}
			tags = append(tags, Tag{Key: k, Value: s})
		}
	}
	var transitive []string
	if tt, ok := obj["transitive_tag_keys"]; ok {
		arr, ok := tt.([]any)
		if !ok {
			return bad("transitive_tag_keys must be an array of strings")
		}
		for _, v := range arr {
			s, ok := v.(string)
			if !ok {
				return bad("transitive_tag_keys must be an array of strings")
			}
			transitive = append(transitive, s)
		}
	}
	return tags, transitive, nil
}
