package sts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
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

// RoleStore is the part of the store credential operations read.
type RoleStore interface {
	GetRole(ctx context.Context, accountID, roleName string) (store.Role, error)
	GetManagedPolicy(ctx context.Context, arn string) (store.ManagedPolicy, error)
	RecordRoleUse(ctx context.Context, roleID string, at time.Time, region string) error
	GetUserByID(ctx context.Context, userID string) (store.User, error)
}

// Decider is the policy engine as STS uses it.
type Decider interface {
	authz.Authorizer
	Check(ctx context.Context, req authz.Request) (policy.Output, error)
	Parse(id, doc string, kind policy.Kind) (*policy.Policy, error)
	// TrustPolicy is a role's trust policy bound to the unique ids of the principals it named
	// when it was saved.
	TrustPolicy(r store.Role) (*policy.Policy, error)
}

// MFAVerifier checks a TOTP code against the caller's virtual MFA device.
type MFAVerifier interface {
	VerifyMFA(ctx context.Context, caller *principal.Principal, serial, code string) error
}

// Credentials are freshly minted temporary credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// Issuer mints temporary credentials for a principal.
type Issuer struct {
	Sealer *token.Sealer
	IDs    ids.Minter
}

// Issue seals p into a session token with a fresh ASIA key and secret.
func (is *Issuer) Issue(ctx context.Context, p *principal.Principal) (Credentials, error) {
	keyID := is.IDs.AccessKeyID(ids.PrefixTemporaryKey, p.AccountID)
	secret := is.IDs.SecretAccessKey()
	tok, err := is.Sealer.Seal(ctx, keyID, secret, p)
	if err != nil {
		return Credentials{}, fmt.Errorf("sealing session token: %w", err)
	}
	return Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: tok, Expiration: p.Expires}, nil
}

func validation(format string, args ...any) *awserr.Error {
	return awserr.New("ValidationError", http.StatusBadRequest, format, args...)
}

func accessDenied(msg string) *awserr.Error {
	return awserr.New("AccessDenied", http.StatusForbidden, "%s", msg)
}

// SessionPolicies are the Policy and PolicyArns parameters.
type SessionPolicies struct {
	Policy     string
	PolicyARNs []string
}

func (sp SessionPolicies) present() bool { return sp.Policy != "" || len(sp.PolicyARNs) > 0 }

// SessionTag is a Tags entry.
type SessionTag = principal.Tag

// checkSessionPolicies validates the session policies and returns their packed text size.
// account is the role's account (AssumeRole*: "The policies must exist in the same account as the
// role", STS API Reference, PolicyArns) or the caller's (GetFederationToken); AWS managed policies
// are usable from every account. Another account's policy is answered like a missing one, so the
// answer does not tell whether it exists.
func (s *Service) checkSessionPolicies(ctx context.Context, account string, sp SessionPolicies, maxInline int) (int, error) {
	size := 0
	if sp.Policy != "" {
		if maxInline > 0 && len(sp.Policy) > maxInline {
			return 0, validation("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to %d", maxInline)
		}
		if _, err := s.Engine.Parse("session", sp.Policy, policy.Identity); err != nil {
			var pe *policy.ParseError
			msg := "Syntax errors in policy."
			if errors.As(err, &pe) {
				msg = pe.Message
			}
			return 0, awserr.New("MalformedPolicyDocument", http.StatusBadRequest, "%s", msg)
		}
		size += compactLen(sp.Policy)
	}
	if len(sp.PolicyARNs) > MaxManagedSessionPolicy {
		return 0, validation("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d", MaxManagedSessionPolicy)
	}
	for _, arn := range sp.PolicyARNs {
		mp, err := s.Roles.GetManagedPolicy(ctx, arn)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !store.PolicyUsableIn(mp.AccountID, account)) {
			return 0, awserr.New("MalformedPolicyDocument", http.StatusBadRequest, "The policy %s does not exist or is not attachable.", arn)
		}
		if err != nil {
			return 0, s.storeErr(err)
		}
		size += len(arn)
	}
	if sp.Policy != "" && len(sp.Policy) > MaxSessionPolicyText {
		return 0, awserr.New("PackedPolicyTooLarge", http.StatusBadRequest, "The plaintext of the inline session policy exceeds %d characters.", MaxSessionPolicyText)
	}
	return size, nil
}

func compactLen(doc string) int {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return len(doc)
	}
	b, _ := json.Marshal(v)
	return len(b)
}

var (
	reservedPrefix   = regexp.MustCompile(`(?i)^aws:`)
	sourceIdentityRe = regexp.MustCompile(`^[\w+=,.@-]+$`)
	// tagTextRe is the model's tagKeyType/tagValueType pattern. AssumeRole's parameters are
	// held to it by the model validation; tags read from a web identity token or a SAML
	// assertion must follow the same rules ("Session tags must follow the rules for naming tags",
	// IAM User Guide, "Pass session tags in AWS STS").
	tagTextRe = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// checkTagText applies the length and character rules of session tag keys and values.
func checkTagText(t SessionTag) error {
	switch k, v := utf8.RuneCountInString(t.Key), utf8.RuneCountInString(t.Value); {
	case k < 1 || k > 128 || !tagTextRe.MatchString(t.Key):
		return awserr.New("InvalidParameterValue", http.StatusBadRequest, "The session tag key %q is invalid: a key has 1 to 128 letters, digits, spaces or _.:/=+-@ characters.", t.Key)
	case v > 256 || !tagTextRe.MatchString(t.Value):
		return awserr.New("InvalidParameterValue", http.StatusBadRequest, "The value of session tag %q is invalid: a value has at most 256 letters, digits, spaces or _.:/=+-@ characters.", t.Key)
	}
	return nil
}

// checkTags applies the session-tag rules (IAM User Guide, "Pass session tags in AWS STS") and returns the tags' packed size.
func checkTags(tags []SessionTag, transitive []string, incomingTransitive []string) (int, error) {
	if len(tags) > MaxSessionTags {
		return 0, validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSessionTags)
	}
	seen := map[string]bool{}
	size := 0
	for _, t := range tags {
		if err := checkTagText(t); err != nil {
			return 0, err
		}
		if reservedPrefix.MatchString(t.Key) || reservedPrefix.MatchString(t.Value) {
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

// packedPercent converts a packed size into PackedPolicySize, failing above 100%.
func packedPercent(size int) (int, error) {
	pct := int(math.Ceil(100 * float64(size) / PackedPolicyLimit))
	if pct > 100 {
		return pct, awserr.New("PackedPolicyTooLarge", http.StatusBadRequest, "Packed size of consolidated session policies and session tags exceeds 100%% (%d%%).", pct)
	}
	return pct, nil
}

// mergeTags overlays session tags onto base tags, case-insensitively by key.
func mergeTags(base []store.Tag, overlays ...[]SessionTag) []principal.Tag {
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

func (s *Service) storeErr(err error) error {
	if errors.Is(err, store.ErrUnavailable) {
		return awserr.New("ServiceUnavailable", http.StatusServiceUnavailable, "Service is unavailable. Please try again.")
	}
	return awserr.InternalError(err)
}

// tagContext exposes passed tags as aws:RequestTag/*, aws:TagKeys and sts:TransitiveTagKeys.
func tagContext(ctx map[string][]string, tags []SessionTag, transitive []string) {
	if len(tags) == 0 {
		return
	}
	var keys []string
	for _, t := range tags {
		ctx["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys = append(keys, t.Key)
	}
	ctx["aws:TagKeys"] = keys
	if len(transitive) > 0 {
		ctx["sts:TransitiveTagKeys"] = transitive
	}
}
