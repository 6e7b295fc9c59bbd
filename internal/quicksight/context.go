package quicksight

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// IdentityContextInput is GetIdentityContext's request. Exactly one of UserName, Email and
// UserARN identifies the user.
type IdentityContextInput struct {
	Account          string
	UserName         string
	Email            string
	UserARN          string
	Namespace        string
	SessionExpiresAt *time.Time
	ContextRegion    string
}

// partition is the partition a region belongs to.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

// GetIdentityContext signs an identity context for a registered user: a compact JWS (ES384, by
// Latchkey's issuer) binding the account, namespace, user ARN, principal id, region and expiry,
// which STS AssumeRole accepts in ProvidedContexts. The context expires at SessionExpiresAt
// (which must lie in the future and at most MaxContextLifetime ahead), else after ContextTTL.
func (s *Service) GetIdentityContext(ctx context.Context, caller *principal.Principal, in IdentityContextInput) (string, error) {
	n := 0
	for _, v := range []string{in.UserName, in.Email, in.UserARN} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return "", invalidParameter("UserIdentifier must set exactly one of UserName, Email and UserArn.")
	}
	namespace := in.Namespace
	resource := ""
	switch {
	case in.UserARN != "":
		region, account, ns, name, ok := parseUserARN(in.UserARN)
		if !ok {
			return "", invalidParameter("UserArn %s is not a QuickSight user ARN.", in.UserARN)
		}
		if account != in.Account {
			return "", invalidParameter("UserArn %s is not in account %s.", in.UserARN, in.Account)
		}
		if namespace != "" && namespace != ns {
			return "", invalidParameter("Namespace %s does not match the namespace of UserArn %s.", namespace, in.UserARN)
		}
		if region != s.Region {
			if err := s.authorize(ctx, caller, "GetIdentityContext", in.Account, in.UserARN); err != nil {
				return "", err
			}
			return "", notFound("USER", "User not found: %s", in.UserARN)
		}
		namespace, in.UserName = ns, name
		resource = s.UserARN(in.Account, ns, name)
	case namespace == "":
		return "", invalidParameter("Namespace is required when UserIdentifier is UserName or Email.")
	case in.UserName != "":
		resource = s.UserARN(in.Account, namespace, in.UserName)
	default:
		resource = s.UserARN(in.Account, namespace, "*")
	}
	region := s.Region
	if in.ContextRegion != "" {
		if partition(in.ContextRegion) != partition(s.Region) {
			return "", invalidParameter("ContextRegion %s is not in the partition of %s.", in.ContextRegion, s.Region)
		}
		region = in.ContextRegion
	}
	now := s.now()
	exp := now.Add(ContextTTL)
	if in.SessionExpiresAt != nil {
		at := in.SessionExpiresAt.UTC().Truncate(time.Second)
		if !at.After(now) {
			return "", invalidParameter("SessionExpiresAt must be in the future.")
		}
		if at.After(now.Add(MaxContextLifetime)) {
			return "", invalidParameter("SessionExpiresAt must be at most %d hours in the future.", int(MaxContextLifetime/time.Hour))
		}
		exp = at
	}

	// Resolve the user (only in the caller's own account), then authorize on its ARN.
	var u store.QuickSightUser
	var lookup error = errors.New("not looked up")
	if caller != nil && caller.AccountID == in.Account {
		u, lookup = s.findUser(ctx, in.Account, namespace, in.UserName, in.Email)
		if lookup == nil {
			resource = s.UserARN(u.AccountID, u.Namespace, u.UserName)
		} else if ae, ok := awserr.As(lookup); !ok || ae.Code != "ResourceNotFoundException" {
			if ok && ae.Code == "InvalidParameterValueException" {
				if err := s.authorize(ctx, caller, "GetIdentityContext", in.Account, resource); err != nil {
					return "", err
				}
			}
			return "", lookup
		}
	}
	if err := s.authorize(ctx, caller, "GetIdentityContext", in.Account, resource); err != nil {
		return "", err
	}
	if lookup != nil {
		return "", lookup
	}
	if err := s.checkIAMIdentity(ctx, u); err != nil {
		return "", err
	}
	ic := principal.IdentityContext{AccountID: u.AccountID, Namespace: u.Namespace, UserARN: resource, PrincipalID: u.PrincipalID, Region: region, Expires: exp}
	tok, err := s.Tokens.Sign(ctx, "ES384", ContextClaims(ic, now, s.newID()))
	if err != nil {
		return "", awserr.InternalError(err)
	}
	return tok, nil
}

// findUser resolves a user by name or email in an existing namespace.
func (s *Service) findUser(ctx context.Context, account, namespace, name, email string) (store.QuickSightUser, error) {
	if name != "" {
		return s.user(ctx, account, namespace, name)
	}
	if _, err := s.namespace(ctx, account, namespace); err != nil {
		return store.QuickSightUser{}, err
	}
	users, err := s.Store.FindQuickSightUsersByEmail(ctx, account, namespace, email, 2)
	if err != nil {
		return store.QuickSightUser{}, awserr.InternalError(err)
	}
	switch len(users) {
	case 0:
		return store.QuickSightUser{}, notFound("USER", "No user with this email in namespace %s.", namespace)
	case 1:
		return users[0], nil
	}
	return store.QuickSightUser{}, invalidParameter("More than one user of namespace %s has this email; identify the user by UserName or UserArn.", namespace)
}

// checkIAMIdentity refuses a context for a user registered from an IAM identity that no longer
// exists (its QuickSight user outlives it, as in AWS).
func (s *Service) checkIAMIdentity(ctx context.Context, u store.QuickSightUser) error {
	if u.IdentityType != IdentityIAM {
		return nil
	}
	m := iamIdentityARN.FindStringSubmatch(u.IAMARN)
	if m == nil {
		return preconditionNotMet("The IAM identity of user %s is unknown.", u.UserName)
	}
	var err error
	if m[2] == "user" {
		_, err = s.Store.GetUser(ctx, m[1], m[4])
	} else {
		_, err = s.Store.GetRole(ctx, m[1], m[4])
	}
	if errors.Is(err, store.ErrNotFound) {
		return preconditionNotMet("The IAM identity %s of user %s no longer exists.", u.IAMARN, u.UserName)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	return nil
}
