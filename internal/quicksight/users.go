package quicksight

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Identity types and external login providers of the model.
const (
	IdentityIAM         = "IAM"
	IdentityQuickSight  = "QUICKSIGHT"
	IdentityIdentityCtr = "IAM_IDENTITY_CENTER"
	cognitoProviderURL  = "cognito-identity.amazonaws.com"
)

// User is a QuickSight user as the API describes it.
type User struct {
	ARN                   string
	UserName              string
	Email                 string
	Role                  string
	IdentityType          string
	Active                bool
	PrincipalID           string
	CustomPermissionsName string
	ExternalLoginProvider string
	ExternalLoginURL      string
	ExternalLoginID       string
}

func (s *Service) userView(u store.QuickSightUser) User {
	return User{ARN: s.UserARN(u.AccountID, u.Namespace, u.UserName), UserName: u.UserName, Email: u.Email, Role: u.Role,
		IdentityType: u.IdentityType, Active: u.Active, PrincipalID: u.PrincipalID, CustomPermissionsName: u.CustomPermissionsName,
		ExternalLoginProvider: u.ExternalLoginProvider, ExternalLoginURL: u.ExternalLoginURL, ExternalLoginID: u.ExternalLoginID}
}

// RegisterInput is RegisterUser's request.
type RegisterInput struct {
	Account, Namespace          string
	IdentityType, Email, Role   string
	IAMARN, SessionName         string
	UserName                    string
	CustomPermissionsName       string
	ExternalLoginProvider       string
	CustomFederationProviderURL string
	ExternalLoginID             string
	Tags                        []Tag
}

var iamIdentityARN = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):(user|role)(/(?:[\x21-\x7E]*/)?)([\w+=,.@-]{1,64})$`)

// externalLogin checks the external login federation fields and returns the provider URL.
func externalLogin(provider, customURL, loginID string) (string, error) {
	switch provider {
	case "":
		if customURL != "" || loginID != "" {
			return "", invalidParameter("CustomFederationProviderUrl and ExternalLoginId require ExternalLoginFederationProviderType.")
		}
		return "", nil
	case "COGNITO":
		if customURL != "" {
			return "", invalidParameter("CustomFederationProviderUrl is only allowed with ExternalLoginFederationProviderType CUSTOM_OIDC.")
		}
		return cognitoProviderURL, nil
	case "CUSTOM_OIDC":
		if customURL == "" {
			return "", invalidParameter("CustomFederationProviderUrl is required when ExternalLoginFederationProviderType is CUSTOM_OIDC.")
		}
		return customURL, nil
	}
	return "", invalidParameter("ExternalLoginFederationProviderType must be COGNITO or CUSTOM_OIDC.")
}

// RegisterUser registers an IAM user or role (IdentityType IAM) or a QuickSight-native user.
// IAM Identity Center users are refused: they come from trusted identity propagation, not from
// this registry.
func (s *Service) RegisterUser(ctx context.Context, caller *principal.Principal, in RegisterInput) (User, error) {
	var name, principalID, iamKind, iamName, iamPath string
	switch in.IdentityType {
	case IdentityIdentityCtr:
		return User{}, invalidParameter("IdentityType IAM_IDENTITY_CENTER is not supported by Latchkey: register users with IdentityType IAM or QUICKSIGHT.")
	case IdentityIAM:
		m := iamIdentityARN.FindStringSubmatch(in.IAMARN)
		if m == nil {
			return User{}, invalidParameter("IamArn must be the ARN of an IAM user or role when IdentityType is IAM.")
		}
		if m[1] != in.Account {
			return User{}, invalidParameter("IamArn %s is not in account %s.", in.IAMARN, in.Account)
		}
		iamKind, iamPath, iamName = m[2], m[3], m[4]
		if in.SessionName != "" && iamKind != "role" {
			return User{}, invalidParameter("SessionName is only allowed when IamArn is a role.")
		}
		name = iamName
		if in.SessionName != "" {
			name += "/" + in.SessionName
		}
	case IdentityQuickSight:
		if in.IAMARN != "" || in.SessionName != "" {
			return User{}, invalidParameter("IamArn and SessionName are only allowed when IdentityType is IAM.")
		}
		if in.UserName == "" {
			return User{}, invalidParameter("UserName is required when IdentityType is QUICKSIGHT.")
		}
		name = in.UserName
	default:
		return User{}, invalidParameter("IdentityType must be IAM or QUICKSIGHT.")
	}
	if err := s.authorize(ctx, caller, "RegisterUser", in.Account, s.UserARN(in.Account, in.Namespace, name)); err != nil {
		return User{}, err
	}
	loginURL, err := externalLogin(in.ExternalLoginProvider, in.CustomFederationProviderURL, in.ExternalLoginID)
	if err != nil {
		return User{}, err
	}
	if _, err := s.namespace(ctx, in.Account, in.Namespace); err != nil {
		return User{}, err
	}
	active := false
	switch iamKind {
	case "user":
		u, err := s.Store.GetUser(ctx, in.Account, iamName)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return User{}, awserr.InternalError(err)
		}
		if err != nil || u.Path != iamPath {
			return User{}, invalidParameter("IamArn %s is not an existing IAM user.", in.IAMARN)
		}
		principalID, active = "federated/iam/"+u.UserID, true
	case "role":
		r, err := s.Store.GetRole(ctx, in.Account, iamName)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return User{}, awserr.InternalError(err)
		}
		if err != nil || r.Path != iamPath {
			return User{}, invalidParameter("IamArn %s is not an existing IAM role.", in.IAMARN)
		}
		principalID, active = "federated/iam/"+r.RoleID, true
		if in.SessionName != "" {
			principalID += ":" + in.SessionName
		}
	default:
		principalID = "user/quicksight/" + s.newID()
	}
	now := s.now()
	u := store.QuickSightUser{AccountID: in.Account, Namespace: in.Namespace, UserName: name, PrincipalID: principalID,
		IdentityType: in.IdentityType, Email: in.Email, Role: in.Role, IAMARN: in.IAMARN, SessionName: in.SessionName, Active: active,
		CustomPermissionsName: in.CustomPermissionsName, ExternalLoginProvider: in.ExternalLoginProvider, ExternalLoginURL: loginURL,
		ExternalLoginID: in.ExternalLoginID, Tags: storedTags(in.Tags), CreatedAt: now, UpdatedAt: now}
	err = s.Store.CreateQuickSightUser(ctx, u)
	if errors.Is(err, store.ErrAlreadyExists) {
		return User{}, exists("USER", "User %s already exists.", s.UserARN(in.Account, in.Namespace, name))
	}
	if err != nil {
		return User{}, awserr.InternalError(err)
	}
	return s.userView(u), nil
}

// DescribeUser describes a user.
func (s *Service) DescribeUser(ctx context.Context, caller *principal.Principal, account, namespace, name string) (User, error) {
	if err := s.authorize(ctx, caller, "DescribeUser", account, s.UserARN(account, namespace, name)); err != nil {
		return User{}, err
	}
	u, err := s.user(ctx, account, namespace, name)
	if err != nil {
		return User{}, err
	}
	return s.userView(u), nil
}

// UpdateInput is UpdateUser's request.
type UpdateInput struct {
	Account, Namespace, UserName string
	Email, Role                  string
	CustomPermissionsName        string
	UnapplyCustomPermissions     bool
	ExternalLoginProvider        string
	CustomFederationProviderURL  string
	ExternalLoginID              string
}

// UpdateUser changes a user's email, role, custom permissions and external login.
func (s *Service) UpdateUser(ctx context.Context, caller *principal.Principal, in UpdateInput) (User, error) {
	if err := s.authorize(ctx, caller, "UpdateUser", in.Account, s.UserARN(in.Account, in.Namespace, in.UserName)); err != nil {
		return User{}, err
	}
	if in.UnapplyCustomPermissions && in.CustomPermissionsName != "" {
		return User{}, invalidParameter("CustomPermissionsName and UnapplyCustomPermissions cannot be used together.")
	}
	var loginURL string
	if in.ExternalLoginProvider != "NONE" {
		var err error
		if loginURL, err = externalLogin(in.ExternalLoginProvider, in.CustomFederationProviderURL, in.ExternalLoginID); err != nil {
			return User{}, err
		}
	}
	if _, err := s.namespace(ctx, in.Account, in.Namespace); err != nil {
		return User{}, err
	}
	now := s.now()
	// The request's changes are applied to the user as it is in the store transaction, which
	// reads it (a missing user is ErrNotFound): the fields the request leaves out (custom
	// permissions, external login) keep what a concurrent update set.
	u, err := s.Store.UpdateQuickSightUser(ctx, in.Account, in.Namespace, in.UserName, func(u *store.QuickSightUser) error {
		u.Email, u.Role = in.Email, in.Role
		if in.CustomPermissionsName != "" {
			u.CustomPermissionsName = in.CustomPermissionsName
		}
		if in.UnapplyCustomPermissions {
			u.CustomPermissionsName = ""
		}
		switch in.ExternalLoginProvider {
		case "":
		case "NONE":
			u.ExternalLoginProvider, u.ExternalLoginURL, u.ExternalLoginID = "", "", ""
		default:
			u.ExternalLoginProvider, u.ExternalLoginURL, u.ExternalLoginID = in.ExternalLoginProvider, loginURL, in.ExternalLoginID
		}
		u.UpdatedAt = now
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return User{}, s.userNotFound(in.Account, in.Namespace, in.UserName)
	}
	if err != nil {
		return User{}, awserr.InternalError(err)
	}
	return s.userView(u), nil
}

// DeleteUser removes a user from the registry (never the IAM identity behind it).
func (s *Service) DeleteUser(ctx context.Context, caller *principal.Principal, account, namespace, name string) error {
	if err := s.authorize(ctx, caller, "DeleteUser", account, s.UserARN(account, namespace, name)); err != nil {
		return err
	}
	if _, err := s.namespace(ctx, account, namespace); err != nil {
		return err
	}
	err := s.Store.DeleteQuickSightUser(ctx, account, namespace, name)
	if errors.Is(err, store.ErrNotFound) {
		return s.userNotFound(account, namespace, name)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	return nil
}

// DeleteUserByPrincipalID removes the user with this principal id. The policy resource is the
// user's ARN when it exists, else every user of the namespace.
func (s *Service) DeleteUserByPrincipalID(ctx context.Context, caller *principal.Principal, account, namespace, principalID string) error {
	resource := s.UserARN(account, namespace, "*")
	var u store.QuickSightUser
	var lookupErr error
	if caller != nil && caller.AccountID == account {
		u, lookupErr = s.Store.GetQuickSightUserByPrincipalID(ctx, account, namespace, principalID)
		if lookupErr == nil {
			resource = s.UserARN(account, namespace, u.UserName)
		} else if !errors.Is(lookupErr, store.ErrNotFound) {
			return awserr.InternalError(lookupErr)
		}
	}
	if err := s.authorize(ctx, caller, "DeleteUserByPrincipalId", account, resource); err != nil {
		return err
	}
	if _, err := s.namespace(ctx, account, namespace); err != nil {
		return err
	}
	if lookupErr != nil {
		return notFound("USER", "User with principal id %s not found in namespace %s.", principalID, namespace)
	}
	err := s.Store.DeleteQuickSightUser(ctx, account, namespace, u.UserName)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("USER", "User with principal id %s not found in namespace %s.", principalID, namespace)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	return nil
}

// UserPage is one page of ListUsers.
type UserPage struct {
	Users     []User
	NextToken string
}

// ListUsers pages a namespace's users by name.
func (s *Service) ListUsers(ctx context.Context, caller *principal.Principal, account, namespace string, maxResults int, nextToken string) (UserPage, error) {
	if err := s.authorize(ctx, caller, "ListUsers", account, s.UserARN(account, namespace, "*")); err != nil {
		return UserPage{}, err
	}
	after, err := decodeToken("users/"+namespace, nextToken)
	if err != nil {
		return UserPage{}, err
	}
	if _, err := s.namespace(ctx, account, namespace); err != nil {
		return UserPage{}, err
	}
	users, next, err := s.Store.ListQuickSightUsers(ctx, account, namespace, after, listLimit(maxResults))
	if err != nil {
		return UserPage{}, awserr.InternalError(err)
	}
	page := UserPage{Users: []User{}, NextToken: encodeToken("users/"+namespace, next)}
	for _, u := range users {
		page.Users = append(page.Users, s.userView(u))
	}
	return page, nil
}

// parseUserARN splits a QuickSight user ARN into region, account, namespace and name.
func parseUserARN(arn string) (region, account, namespace, name string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:aws:quicksight:")
	if !found {
		return "", "", "", "", false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 {
		return "", "", "", "", false
	}
	res, found := strings.CutPrefix(parts[2], "user/")
	if !found {
		return "", "", "", "", false
	}
	namespace, name, found = strings.Cut(res, "/")
	if !found || namespace == "" || name == "" {
		return "", "", "", "", false
	}
	return parts[0], parts[1], namespace, name, true
}
