package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/cache"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// Store is the part of the store sessions read and write.
type Store interface {
	GetRole(ctx context.Context, accountID, roleName string) (store.Role, error)
	GetManagedPolicy(ctx context.Context, arn string) (store.ManagedPolicy, error)
	RecordRoleUse(ctx context.Context, roleID string, at time.Time, region string) error
	GetUserByID(ctx context.Context, userID string) (store.User, error)
}

// Engine is the policy engine as sessions use it.
type Engine interface {
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

// Deps are what a Service is built from.
type Deps struct {
	Store  Store
	Engine Engine
	MFA    MFAVerifier
	// Sealer seals principals into session tokens; IDs mints their access keys and secrets.
	Sealer *token.Sealer
	IDs    ids.Minter
	Now    func() time.Time
}

// Service mints sessions.
type Service struct {
	d Deps
	// roleUse throttles RoleLastUsed writes: AWS itself reports it with hours of delay, and a
	// write per session would put a synchronous disk flush on the hot path.
	roleUse *cache.Bounded[string, struct{}]
}

// roleUseInterval is how often one role's use is written.
const roleUseInterval = time.Minute

// New builds a Service.
func New(d Deps) *Service {
	s := &Service{d: d}
	s.roleUse = &cache.Bounded[string, struct{}]{Max: 100000, TTL: roleUseInterval, Now: s.now}
	return s
}

func (s *Service) now() time.Time {
	if s.d.Now != nil {
		return s.d.Now().UTC()
	}
	return time.Now().UTC()
}

// Credentials are freshly minted temporary credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// seal seals p into a session token with a fresh ASIA key and secret.
func (s *Service) seal(ctx context.Context, p *principal.Principal) (Credentials, error) {
	keyID := s.d.IDs.AccessKeyID(ids.PrefixTemporaryKey, p.AccountID)
	secret := s.d.IDs.SecretAccessKey()
	tok, err := s.d.Sealer.Seal(ctx, keyID, secret, p)
	if err != nil {
		return Credentials{}, awserr.InternalError(fmt.Errorf("sealing session token: %w", err))
	}
	return Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: tok, Expiration: p.Expires}, nil
}

func (s *Service) recordRoleUse(ctx context.Context, roleID string) {
	if _, recent := s.roleUse.Lookup(roleID); recent {
		return
	}
	s.roleUse.Put(roleID, struct{}{})
	_ = s.d.Store.RecordRoleUse(ctx, roleID, s.now(), authz.Info(ctx).Region)
}

var roleARN = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role(/(?:[\x21-\x7E]*/)?)([\w+=,.@-]{1,64})$`)

// RoleRef is a role as an ARN names it.
type RoleRef struct{ Account, Path, Name string }

// ParseRoleARN splits a role ARN into account, path and name.
func ParseRoleARN(arn string) (RoleRef, bool) {
	m := roleARN.FindStringSubmatch(arn)
	if m == nil {
		return RoleRef{}, false
	}
	return RoleRef{Account: m[1], Path: m[2], Name: m[3]}, true
}

// FindRole reads the role an ARN names. found is false when there is no such role, or when its
// path differs from the ARN's; every front door answers that like a refusal, so that the answer
// does not tell which roles exist.
func (s *Service) FindRole(ctx context.Context, ref RoleRef) (role store.Role, found bool, err error) {
	role, err = s.d.Store.GetRole(ctx, ref.Account, ref.Name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && role.Path != ref.Path) {
		return store.Role{}, false, nil
	}
	if err != nil {
		return store.Role{}, false, awserr.InternalError(err)
	}
	return role, true, nil
}

// checkPolicies validates the session policies and returns their packed text size. account is
// the role's account (AssumeRole*: "The policies must exist in the same account as the role",
// STS API Reference, PolicyArns) or the caller's (GetFederationToken); AWS managed policies are
// usable from every account. Another account's policy is answered like a missing one, so the
// answer does not tell whether it exists.
func (s *Service) checkPolicies(ctx context.Context, account string, sp Policies, modelBound bool) (int, error) {
	size := 0
	if sp.Policy != "" {
		if modelBound && len(sp.Policy) > MaxSessionPolicyText {
			return 0, Validation("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSessionPolicyText)
		}
		if _, err := s.d.Engine.Parse("session", sp.Policy, policy.Identity); err != nil {
			var pe *policy.ParseError
			msg, e := "Syntax errors in policy.", error(nil)
			if errors.As(err, &pe) {
				msg, e = pe.Message, explain.Wrap(pe.Explain(), nil)
			}
			ae := awserr.New("MalformedPolicyDocument", http.StatusBadRequest, "%s", msg)
			ae.Cause = e
			return 0, ae
		}
		size += compactLen(sp.Policy)
	}
	if len(sp.PolicyARNs) > MaxManagedSessionPolicy {
		return 0, Validation("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d", MaxManagedSessionPolicy)
	}
	for _, arn := range sp.PolicyARNs {
		mp, err := s.d.Store.GetManagedPolicy(ctx, arn)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !store.PolicyUsableIn(mp.AccountID, account)) {
			return 0, awserr.New("MalformedPolicyDocument", http.StatusBadRequest, "The policy %s does not exist or is not attachable.", arn)
		}
		if err != nil {
			return 0, awserr.InternalError(err)
		}
		size += len(arn)
	}
	if len(sp.Policy) > MaxSessionPolicyText {
		// Only AssumeRole's model leaves Policy unbounded; STS refuses the plaintext there, once
		// the document and the ARNs were checked, as a packing failure.
		return 0, awserr.New("PackedPolicyTooLarge", http.StatusBadRequest, "The plaintext of the inline session policy exceeds %d characters.", MaxSessionPolicyText)
	}
	return size, nil
}

// packedSize checks the session policies and returns PackedPolicySize, nil when the request
// carries neither session policies nor tags. modelBound says the operation's model limits Policy
// to MaxSessionPolicyText characters (every operation but AssumeRole), which is then checked first
// as the model's ValidationError.
func (s *Service) packedSize(ctx context.Context, account string, sp Policies, tags []Tag, tagSize int, modelBound bool) (*int, error) {
	polSize, err := s.checkPolicies(ctx, account, sp, modelBound)
	if err != nil {
		return nil, err
	}
	if !sp.Present() && len(tags) == 0 {
		return nil, nil
	}
	pct, err := packedPercent(polSize + tagSize)
	if err != nil {
		return nil, err
	}
	return &pct, nil
}

// MFA is the SerialNumber and TokenCode of a request.
type MFA struct {
	Serial, Code string
}

// verifyMFA checks the MFA facts of a request: none, or both and valid.
func (s *Service) verifyMFA(ctx context.Context, caller *principal.Principal, m MFA) (bool, error) {
	if m.Serial == "" && m.Code == "" {
		return false, nil
	}
	if m.Serial == "" || m.Code == "" {
		return false, Validation("SerialNumber and TokenCode must be provided together.")
	}
	if err := s.d.MFA.VerifyMFA(ctx, caller, m.Serial, m.Code); err != nil {
		return false, err
	}
	return true, nil
}

func expiry(now time.Time, seconds int) time.Time {
	return now.Add(time.Duration(seconds) * time.Second).Truncate(time.Second)
}
