package sts

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// AssumeRoleInput is the AssumeRole request.
type AssumeRoleInput struct {
	RoleARN           string
	RoleSessionName   string
	DurationSeconds   int
	ExternalID        string
	SerialNumber      string
	TokenCode         string
	SourceIdentity    string
	Session           SessionPolicies
	Tags              []SessionTag
	TransitiveTagKeys []string
	// Contexts are the ProvidedContexts (only the QuickSight provider is supported); HasContexts
	// is set whenever the request carries any, and adds sts:SetContext to the checked actions.
	Contexts    []ProvidedContext
	HasContexts bool
}

// RoleSession is what AssumeRole-family operations return.
type RoleSession struct {
	Credentials      Credentials
	AssumedRoleID    string
	ARN              string
	PackedPolicySize *int
	SourceIdentity   string
}

var roleARN = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role(/(?:[\x21-\x7E]*/)?)([\w+=,.@-]{1,64})$`)

// ParseRoleARN splits a role ARN into account, path and name.
func ParseRoleARN(arn string) (account, path, name string, ok bool) {
	m := roleARN.FindStringSubmatch(arn)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

// AssumeRole issues a role session to an IAM user or a role session (role chaining).
func (s *Service) AssumeRole(ctx context.Context, caller *principal.Principal, in AssumeRoleInput) (RoleSession, error) {
	if caller.Kind == principal.Root {
		return RoleSession{}, accessDenied("Roles may not be assumed by root accounts.")
	}
	if caller.Kind == principal.FederatedUser {
		return RoleSession{}, authz.Denied(caller, "sts:AssumeRole", in.RoleARN, "")
	}
	account, path, name, ok := ParseRoleARN(in.RoleARN)
	if !ok {
		return RoleSession{}, validation("Request ARN is invalid")
	}
	if err := checkProviders(in.Contexts); err != nil {
		return RoleSession{}, err
	}
	if len(in.Contexts) > 0 {
		in.HasContexts = true
	}
	denied := func() error { return authz.Denied(caller, "sts:AssumeRole", in.RoleARN, "") }
	role, err := s.Roles.GetRole(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && role.Path != path) {
		return RoleSession{}, denied()
	}
	if err != nil {
		return RoleSession{}, s.storeErr(err)
	}
	trust, err := s.Engine.TrustPolicy(role)
	if err != nil {
		return RoleSession{}, denied() // an unreadable trust policy trusts no one
	}

	chained := caller.Temporary && caller.Kind == principal.AssumedRole
	duration := in.DurationSeconds
	if duration == 0 {
		duration = DefaultRoleSession
	}
	if chained && duration > RoleChainingMax {
		return RoleSession{}, validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > role.MaxSessionDuration {
		return RoleSession{}, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	var incomingTransitive []SessionTag
	var incomingKeys []string
	if chained {
		for _, k := range caller.TransitiveTagKeys {
			if v, ok := caller.Tag(k); ok {
				incomingTransitive = append(incomingTransitive, SessionTag{Key: k, Value: v})
				incomingKeys = append(incomingKeys, k)
			}
		}
	}
	tagSize, err := checkTags(in.Tags, in.TransitiveTagKeys, incomingKeys)
	if err != nil {
		return RoleSession{}, err
	}
	sourceIdentity := in.SourceIdentity
	if sourceIdentity != "" && reservedPrefix.MatchString(sourceIdentity) {
		return RoleSession{}, validation("SourceIdentity must not begin with \"aws:\".")
	}
	if caller.SourceIdentity != "" {
		if sourceIdentity != "" && sourceIdentity != caller.SourceIdentity {
			return RoleSession{}, validation("The SourceIdentity of a session cannot be changed: the calling session's SourceIdentity is %s.", caller.SourceIdentity)
		}
		sourceIdentity = caller.SourceIdentity
	}

	mfa := false
	if in.SerialNumber != "" || in.TokenCode != "" {
		if in.SerialNumber == "" || in.TokenCode == "" {
			return RoleSession{}, validation("SerialNumber and TokenCode must be provided together.")
		}
		if err := s.MFA.VerifyMFA(ctx, caller, in.SerialNumber, in.TokenCode); err != nil {
			return RoleSession{}, err
		}
		mfa = true
	}

	// The trust policy sees the request as the caller makes it.
	reqCtx := map[string][]string{"sts:RoleSessionName": {in.RoleSessionName}}
	if in.ExternalID != "" {
		reqCtx["sts:ExternalId"] = []string{in.ExternalID}
	}
	if in.SourceIdentity != "" {
		reqCtx["sts:SourceIdentity"] = []string{in.SourceIdentity}
	}
	if mfa {
		// MFA supplied with the request counts for this evaluation, as it does in AWS.
		reqCtx["aws:MultiFactorAuthPresent"] = []string{"true"}
		reqCtx["aws:MultiFactorAuthAge"] = []string{"0"}
	}
	tagContext(reqCtx, in.Tags, in.TransitiveTagKeys)
	// aws:ResourceTag is "the key-value pair that is attached to the resource" (IAM User Guide,
	// "Pass session tags in AWS STS"): the role's own tags. Incoming transitive tags override
	// role tags only in the new session's principal tags (same page, "Chaining roles with session
	// tags"); letting them stand in for the role's tags here would let a caller choose the tags
	// that ABAC trust and identity conditions test.
	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 || len(in.TransitiveTagKeys) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if in.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	if in.HasContexts {
		actions = append(actions, "sts:SetContext")
	}
	roleARNWithPath := principal.RoleARNOf(role.AccountID, role.Path, role.RoleName)
	// The trust policy must allow every action the call uses; the caller's own policies never
	// stand in for it (IAM User Guide, "Policy evaluation logic").
	for _, act := range actions {
		if _, err := s.Engine.Check(ctx, authz.Request{
			Caller: caller, Action: act, Resource: roleARNWithPath, ResourceAccount: role.AccountID,
			Context: reqCtx, ResourcePolicy: trust, ResourcePolicyKind: policy.Trust, ResourceTags: role.Tags,
		}); err != nil {
			return RoleSession{}, err
		}
	}

	// The contexts are verified once the trust policy allowed sts:SetContext.
	identityContext, err := s.verifyContexts(ctx, role.AccountID, in.Contexts)
	if err != nil {
		return RoleSession{}, err
	}

	polSize, err := s.checkSessionPolicies(ctx, role.AccountID, in.Session, 0)
	if err != nil {
		return RoleSession{}, err
	}
	var packed *int
	if in.Session.present() || len(in.Tags) > 0 {
		pct, err := packedPercent(polSize + tagSize)
		if err != nil {
			return RoleSession{}, err
		}
		packed = &pct
	}

	now := s.now()
	transitive := append(append([]string{}, incomingKeys...), in.TransitiveTagKeys...)
	p := &principal.Principal{
		Kind:               principal.AssumedRole,
		AccountID:          role.AccountID,
		ARN:                principal.AssumedRoleARN(role.AccountID, role.RoleName, in.RoleSessionName),
		UserID:             role.RoleID + ":" + in.RoleSessionName,
		Expires:            now.Add(time.Duration(duration) * time.Second).Truncate(time.Second),
		IssuedAt:           now,
		Source:             "AssumeRole",
		RoleID:             role.RoleID,
		RoleName:           role.RoleName,
		RoleARN:            roleARNWithPath,
		SessionName:        in.RoleSessionName,
		HasSessionPolicies: in.Session.present(),
		SessionPolicy:      in.Session.Policy,
		SessionPolicyARNs:  in.Session.PolicyARNs,
		Tags:               mergeTags(role.Tags, incomingTransitive, in.Tags),
		TransitiveTagKeys:  transitive,
		SourceIdentity:     sourceIdentity,
		MFAAuthenticated:   mfa,
		Chained:            chained,
		FederatedProvider:  caller.FederatedProvider,
		IdentityContext:    identityContext,
	}
	if mfa {
		p.MFAAuthTime = now
	}
	creds, err := s.Issuer.Issue(ctx, p)
	if err != nil {
		return RoleSession{}, awserr.InternalError(err)
	}
	s.recordRoleUse(ctx, role.RoleID, now)
	return RoleSession{Credentials: creds, AssumedRoleID: p.UserID, ARN: p.ARN, PackedPolicySize: packed, SourceIdentity: sourceIdentity}, nil
}

// roleUseInterval throttles RoleLastUsed writes: AWS itself reports it with hours of delay, and a
// write per AssumeRole would put a synchronous disk flush on the hot path.
const roleUseInterval = time.Minute

func (s *Service) recordRoleUse(ctx context.Context, roleID string, now time.Time) {
	s.useMu.Lock()
	if s.roleUse == nil {
		s.roleUse = map[string]time.Time{}
	}
	last, seen := s.roleUse[roleID]
	due := !seen || now.Sub(last) >= roleUseInterval
	if due {
		if len(s.roleUse) > 100000 {
			s.roleUse = map[string]time.Time{}
		}
		s.roleUse[roleID] = now
	}
	s.useMu.Unlock()
	if due {
		_ = s.Roles.RecordRoleUse(ctx, roleID, now, authz.Info(ctx).Region)
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// GetSessionTokenInput is the GetSessionToken request.
type GetSessionTokenInput struct {
	DurationSeconds int
	SerialNumber    string
	TokenCode       string
}

// GetSessionToken issues temporary credentials with the caller's own identity, optionally MFA-marked.
func (s *Service) GetSessionToken(ctx context.Context, caller *principal.Principal, in GetSessionTokenInput) (Credentials, error) {
	if caller.Temporary {
		return Credentials{}, accessDenied("Cannot call GetSessionToken with session credentials")
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = DefaultTokenSession
	}
	if caller.Kind == principal.Root && duration > RootTokenSessionMax {
		duration = RootTokenSessionMax // AWS silently shortens root sessions
	}
	mfa := false
	if in.SerialNumber != "" || in.TokenCode != "" {
		if in.SerialNumber == "" || in.TokenCode == "" {
			return Credentials{}, validation("SerialNumber and TokenCode must be provided together.")
		}
		if err := s.MFA.VerifyMFA(ctx, caller, in.SerialNumber, in.TokenCode); err != nil {
			return Credentials{}, err
		}
		mfa = true
	}
	now := s.now()
	p := *caller
	p.AccessKeyID, p.Temporary = "", false
	p.Source = "GetSessionToken"
	p.IssuedAt = now
	p.Expires = now.Add(time.Duration(duration) * time.Second).Truncate(time.Second)
	p.MFAAuthenticated = mfa
	if caller.Kind == principal.User {
		p.BaseUserID = caller.UserID
	}
	if mfa {
		p.MFAAuthTime = now
	}
	creds, err := s.Issuer.Issue(ctx, &p)
	if err != nil {
		return Credentials{}, awserr.InternalError(err)
	}
	return creds, nil
}

// GetFederationTokenInput is the GetFederationToken request.
type GetFederationTokenInput struct {
	Name            string
	DurationSeconds int
	Session         SessionPolicies
	Tags            []SessionTag
}

// FederatedSession is GetFederationToken's answer.
type FederatedSession struct {
	Credentials      Credentials
	FederatedUserID  string
	ARN              string
	PackedPolicySize *int
}

// GetFederationToken issues a federated-user session whose permissions are the calling user's
// intersected with the session policies (none without them).
func (s *Service) GetFederationToken(ctx context.Context, caller *principal.Principal, in GetFederationTokenInput) (FederatedSession, error) {
	if caller.Temporary {
		return FederatedSession{}, accessDenied("Cannot call GetFederationToken with session credentials")
	}
	fedARN := principal.FederatedUserARN(caller.AccountID, in.Name)
	reqCtx := map[string][]string{}
	tagContext(reqCtx, in.Tags, nil)
	if err := s.Engine.Authorize(ctx, authz.Request{Caller: caller, Action: "sts:GetFederationToken", Resource: fedARN, ResourceAccount: caller.AccountID, Context: reqCtx}); err != nil {
		return FederatedSession{}, err
	}
	if len(in.Tags) > 0 {
		if err := s.Engine.Authorize(ctx, authz.Request{Caller: caller, Action: "sts:TagSession", Resource: fedARN, ResourceAccount: caller.AccountID, Context: reqCtx}); err != nil {
			return FederatedSession{}, err
		}
	}
	tagSize, err := checkTags(in.Tags, nil, nil)
	if err != nil {
		return FederatedSession{}, err
	}
	polSize, err := s.checkSessionPolicies(ctx, caller.AccountID, in.Session, MaxSessionPolicyText)
	if err != nil {
		return FederatedSession{}, err
	}
	var packed *int
	if in.Session.present() || len(in.Tags) > 0 {
		pct, err := packedPercent(polSize + tagSize)
		if err != nil {
			return FederatedSession{}, err
		}
		packed = &pct
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = DefaultTokenSession
	}
	if caller.Kind == principal.Root && duration > RootTokenSessionMax {
		duration = RootTokenSessionMax
	}
	var baseTags []store.Tag
	baseUser := ""
	if caller.Kind == principal.User {
		baseUser = caller.UserID
		if u, err := s.Roles.GetUserByID(ctx, caller.UserID); err == nil {
			baseTags = u.Tags
		}
	}
	now := s.now()
	p := &principal.Principal{
		Kind:               principal.FederatedUser,
		AccountID:          caller.AccountID,
		ARN:                fedARN,
		UserID:             caller.AccountID + ":" + in.Name,
		Expires:            now.Add(time.Duration(duration) * time.Second).Truncate(time.Second),
		IssuedAt:           now,
		Source:             "GetFederationToken",
		BaseUserID:         baseUser,
		SessionName:        in.Name,
		HasSessionPolicies: in.Session.present(),
		SessionPolicy:      in.Session.Policy,
		SessionPolicyARNs:  in.Session.PolicyARNs,
		Tags:               mergeTags(baseTags, in.Tags),
	}
	creds, err := s.Issuer.Issue(ctx, p)
	if err != nil {
		return FederatedSession{}, awserr.InternalError(err)
	}
	return FederatedSession{Credentials: creds, FederatedUserID: p.UserID, ARN: fedARN, PackedPolicySize: packed}, nil
}

// SessionRestriction enforces what GetSessionToken and GetFederationToken credentials may not
// call (IAM User Guide, "Compare AWS STS credentials"), before any policy is consulted.
func SessionRestriction(p *principal.Principal, service, operation string) error {
	if p == nil || !p.Temporary {
		return nil
	}
	switch p.Source {
	case "GetSessionToken":
		if service == "iam" && !p.MFAAuthenticated {
			return awserr.New("InvalidClientTokenId", http.StatusForbidden, "The security token included in the request is invalid")
		}
		if service == "sts" && operation != "AssumeRole" && operation != "GetCallerIdentity" {
			return accessDenied("Cannot call " + operation + " with session credentials")
		}
	case "GetFederationToken":
		if service == "iam" {
			return accessDenied("User: " + p.ARN + " is not authorized to perform: iam:" + operation + " because federated users cannot call IAM APIs")
		}
		if service == "sts" && operation != "GetCallerIdentity" {
			return accessDenied("Cannot call " + operation + " with session credentials")
		}
	default:
		if service == "sts" && (operation == "GetSessionToken" || operation == "GetFederationToken") {
			return accessDenied("Cannot call " + operation + " with session credentials")
		}
	}
	return nil
}
