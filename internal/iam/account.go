package iam

import (
	"context"
	"errors"
	"net/http"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Account-level calls: the account alias, the password policy and the STS preferences. Each
// acts on the caller's own account only; no parameter names another account.

// authorizeAccount authorizes an account-level action, whose only resource is "*" (Service
// Authorization Reference, "Actions defined by AWS Identity and Access Management").
func (s *Service) authorizeAccount(ctx context.Context, caller *principal.Principal, action string) error {
	return s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: action, Resource: "*", ResourceAccount: caller.AccountID})
}

// CreateAccountAlias sets the caller's account alias. An account has one alias: a new one
// replaces the old (AWS Account Management Reference Guide, "Setting or changing your AWS account
// alias"); an alias any account already has, the caller's own included, is EntityAlreadyExists.
func (s *Service) CreateAccountAlias(ctx context.Context, caller *principal.Principal, alias string) error {
	if err := s.authorizeAccount(ctx, caller, "iam:CreateAccountAlias"); err != nil {
		return err
	}
	err := s.Store.PutAccountAlias(ctx, caller.AccountID, alias)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return awserr.New("EntityAlreadyExists", http.StatusConflict, "The account alias %s already exists.", alias)
	case err != nil:
		return awserr.InternalError(err)
	}
	return nil
}

// DeleteAccountAlias removes the caller's account alias, which must be the one named.
func (s *Service) DeleteAccountAlias(ctx context.Context, caller *principal.Principal, alias string) error {
	if err := s.authorizeAccount(ctx, caller, "iam:DeleteAccountAlias"); err != nil {
		return err
	}
	err := s.Store.DeleteAccountAlias(ctx, caller.AccountID, alias)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return awserr.New("NoSuchEntity", http.StatusNotFound, "The account alias %s cannot be found.", alias)
	case err != nil:
		return awserr.InternalError(err)
	}
	return nil
}

// ListAccountAliases returns the caller's account alias, if any. There is at most one, so the
// list is never truncated and the marker and page size have nothing to page.
func (s *Service) ListAccountAliases(ctx context.Context, caller *principal.Principal) ([]string, error) {
	if err := s.authorizeAccount(ctx, caller, "iam:ListAccountAliases"); err != nil {
		return nil, err
	}
	alias, err := s.Store.AccountAlias(ctx, caller.AccountID)
	if err != nil {
		return nil, awserr.InternalError(err)
	}
	if alias == "" {
		return []string{}, nil
	}
	return []string{alias}, nil
}

// DefaultMinimumPasswordLength is UpdateAccountPasswordPolicy's MinimumPasswordLength when the
// request leaves it out (IAM API Reference, UpdateAccountPasswordPolicy).
const DefaultMinimumPasswordLength = 6

// PasswordPolicyInput is UpdateAccountPasswordPolicy's request; nil means "left out", which
// takes IAM's default (false, 0 or DefaultMinimumPasswordLength). The model has checked ranges.
type PasswordPolicyInput struct {
	MinimumPasswordLength                                                                  *int
	RequireSymbols, RequireNumbers, RequireUppercaseCharacters, RequireLowercaseCharacters *bool
	AllowUsersToChangePassword, HardExpiry                                                 *bool
	MaxPasswordAge, PasswordReusePrevention                                                *int
}

// PasswordPolicy is the account's password policy as GetAccountPasswordPolicy reports it.
type PasswordPolicy struct {
	store.PasswordPolicy
	// ExpirePasswords is true when MaxPasswordAge is above 0 (IAM API Reference, PasswordPolicy).
	ExpirePasswords bool
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// UpdateAccountPasswordPolicy replaces the account's password policy with in: every parameter
// left out takes its default rather than keeping its old value, as IAM documents. Latchkey has no
// console passwords, so the policy is stored and reported, never enforced.
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, caller *principal.Principal, in PasswordPolicyInput) error {
	if err := s.authorizeAccount(ctx, caller, "iam:UpdateAccountPasswordPolicy"); err != nil {
		return err
	}
	p := store.PasswordPolicy{
		MinimumPasswordLength: DefaultMinimumPasswordLength,
		RequireSymbols:        deref(in.RequireSymbols), RequireNumbers: deref(in.RequireNumbers),
		RequireUppercaseCharacters: deref(in.RequireUppercaseCharacters), RequireLowercaseCharacters: deref(in.RequireLowercaseCharacters),
		AllowUsersToChangePassword: deref(in.AllowUsersToChangePassword), HardExpiry: deref(in.HardExpiry),
		MaxPasswordAge: deref(in.MaxPasswordAge), PasswordReusePrevention: deref(in.PasswordReusePrevention),
	}
	if in.MinimumPasswordLength != nil {
		p.MinimumPasswordLength = *in.MinimumPasswordLength
	}
	_, err := s.Store.UpdateAccountSettings(ctx, caller.AccountID, func(a *store.AccountSettings) error {
		a.PasswordPolicy = &p
		return nil
	})
	if err != nil {
		return awserr.InternalError(err)
	}
	return nil
}

func noPasswordPolicy(account string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "The Password Policy with domain name %s cannot be found.", account)
}

// GetAccountPasswordPolicy returns the account's password policy; NoSuchEntity when it has none.
func (s *Service) GetAccountPasswordPolicy(ctx context.Context, caller *principal.Principal) (PasswordPolicy, error) {
	if err := s.authorizeAccount(ctx, caller, "iam:GetAccountPasswordPolicy"); err != nil {
		return PasswordPolicy{}, err
	}
	a, err := s.Store.GetAccountSettings(ctx, caller.AccountID)
	if err != nil {
		return PasswordPolicy{}, awserr.InternalError(err)
	}
	if a.PasswordPolicy == nil {
		return PasswordPolicy{}, noPasswordPolicy(caller.AccountID)
	}
	return PasswordPolicy{PasswordPolicy: *a.PasswordPolicy, ExpirePasswords: a.PasswordPolicy.MaxPasswordAge > 0}, nil
}

// DeleteAccountPasswordPolicy removes the account's password policy; NoSuchEntity when it has
// none.
func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, caller *principal.Principal) error {
	if err := s.authorizeAccount(ctx, caller, "iam:DeleteAccountPasswordPolicy"); err != nil {
		return err
	}
	errNone := noPasswordPolicy(caller.AccountID)
	_, err := s.Store.UpdateAccountSettings(ctx, caller.AccountID, func(a *store.AccountSettings) error {
		if a.PasswordPolicy == nil {
			return errNone
		}
		a.PasswordPolicy = nil
		return nil
	})
	switch {
	case errors.Is(err, errNone):
		return errNone
	case err != nil:
		return awserr.InternalError(err)
	}
	return nil
}

// DefaultGlobalEndpointTokenVersion is the token version of an account that never called
// SetSecurityTokenServicePreferences (IAM User Guide, "Manage AWS STS in an AWS Region": the
// global endpoint issues version 1 tokens by default).
const DefaultGlobalEndpointTokenVersion = "v1Token"

// SetSecurityTokenServicePreferences stores the account's GlobalEndpointTokenVersion ("v1Token"
// or "v2Token"; the model has checked the value). Latchkey's tokens are valid in every region
// whichever version is set; the value is reported back by GlobalEndpointTokenVersion.
func (s *Service) SetSecurityTokenServicePreferences(ctx context.Context, caller *principal.Principal, version string) error {
	if err := s.authorizeAccount(ctx, caller, "iam:SetSecurityTokenServicePreferences"); err != nil {
		return err
	}
	if version == "" {
		// The parameter is required by the model; an empty value is not one of its enum values.
		return awserr.New("ValidationError", http.StatusBadRequest, "GlobalEndpointTokenVersion must be v1Token or v2Token.")
	}
	_, err := s.Store.UpdateAccountSettings(ctx, caller.AccountID, func(a *store.AccountSettings) error {
		a.GlobalEndpointTokenVersion = version
		return nil
	})
	if err != nil {
		return awserr.InternalError(err)
	}
	return nil
}

// GlobalEndpointTokenVersion is the account's STS global endpoint token version, for
// GetAccountSummary's GlobalEndpointTokenVersion entry (1 or 2).
func (s *Service) GlobalEndpointTokenVersion(ctx context.Context, accountID string) (string, error) {
	a, err := s.Store.GetAccountSettings(ctx, accountID)
	if err != nil {
		return "", awserr.InternalError(err)
	}
	if a.GlobalEndpointTokenVersion == "" {
		return DefaultGlobalEndpointTokenVersion, nil
	}
	return a.GlobalEndpointTokenVersion, nil
}
