package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Quotas (IAM User Guide, "IAM and AWS STS quotas").
const (
	MaxAccessKeysPerOwner = 2
	MaxTagsPerResource    = 50
	DefaultMaxItems       = 100
)

// Store is the part of the store the IAM service uses.
type Store interface {
	CreateUser(ctx context.Context, u store.User) error
	GetUser(ctx context.Context, accountID, userName string) (store.User, error)
	GetUserByID(ctx context.Context, userID string) (store.User, error)
	UpdateUser(ctx context.Context, userID string, fn func(*store.User) error) (store.User, error)
	DeleteUser(ctx context.Context, accountID, userID string) error
	ListUsers(ctx context.Context, accountID, pathPrefix, after string, limit int) (store.UserPage, error)
	GetAccount(ctx context.Context, id string) (store.Account, error)
	CreateAccessKey(ctx context.Context, k store.AccessKey, maxPerOwner int) error
	GetAccessKey(ctx context.Context, accessKeyID string) (store.AccessKey, error)
	ListAccessKeys(ctx context.Context, accountID, userID string) ([]store.AccessKey, error)
	UpdateAccessKeyStatus(ctx context.Context, accessKeyID, status string) error
	DeleteAccessKey(ctx context.Context, accessKeyID string) error
	store.RoleStore
	store.InstanceProfileStore
	store.GroupStore
	store.PolicyStore
	store.MFAStore
	store.FederationStore
	store.AccountStore
	store.OrgStore
}

// KeyCache is told when a key or its owner changes, so authentication on this node sees it at once.
type KeyCache interface {
	Invalidate(accessKeyID string)
	InvalidateAll()
}

// Deps are what the IAM domain service works with.
type Deps struct {
	Store  Store
	Authz  authz.Authorizer
	Master *keys.MasterKey
	Cache  KeyCache
	IDs    ids.Minter
	Now    func() time.Time
	// SecretAAD binds sealed secrets to their key id; shared with authentication.
	SecretAAD func(accessKeyID string) []byte
	// Policies is told when anything that feeds authorization changed (policies, attachments,
	// boundaries, user tags), so this node stops using cached copies at once.
	Policies interface{ InvalidateAll() }
	// AllowHTTPIssuers permits http:// OIDC provider URLs (tests only).
	AllowHTTPIssuers bool
	// SAMLMetadata validates SAML IdP metadata documents.
	SAMLMetadata SAMLMetadataParser
	// IssuerURL is Latchkey's own OIDC issuer; outbound issuers live under it.
	IssuerURL string
	// LocalIssuer reports whether a provider URL is one of the issuers this server runs itself
	// (the test IdP); those are accepted as they are published, http and port included.
	LocalIssuer func(url string) bool
}

// Service is built by New; nothing changes it while it serves.
type Service struct {
	Deps
}

// New builds the service from its dependencies.
func New(d Deps) *Service { return &Service{Deps: d} }

func (s *Service) policiesChanged() {
	if s.Policies != nil {
		s.Policies.InvalidateAll()
	}
}

func noSuchUser(name string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "The user with name %s cannot be found.", name)
}

// concurrentModification is IAM's answer to an update that kept losing races with concurrent
// writers of the same entity: nothing was written. It is of kind Conflict, so the server answers
// it as it is where the operation's model lists ConcurrentModification, and as the family's
// unavailable error where it does not; cause is the store's error, kept for the log.
func concurrentModification(cause error) *awserr.Error {
	e := awserr.New("ConcurrentModification", http.StatusConflict,
		"Multiple requests to change this object were submitted simultaneously; none of this request's changes were made. Submit your request again.")
	e.Cause = cause
	return e.WithKind(awserr.Conflict)
}

// updateFailed maps the error of a store updater (see "Updaters" in package store): the updater's
// own AWS error as it is, a vanished entity as notFound, a race lost on every retry as
// ConcurrentModification, anything else as an internal failure that keeps its cause.
func (s *Service) updateFailed(err error, notFound func() *awserr.Error) error {
	if ae, ok := awserr.As(err); ok {
		return ae
	}
	if ae, ok := boundaryMissing(err); ok {
		return ae
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound()
	case errors.Is(err, store.ErrConcurrentModification):
		return concurrentModification(err)
	}
	return awserr.InternalError(err)
}

func (s *Service) authorize(ctx context.Context, caller *principal.Principal, action, resource string) error {
	return s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: action, Resource: resource, ResourceAccount: caller.AccountID})
}

// userResource is the ARN IAM authorizes user actions against; for a user that does not exist
// yet the request's own path and name describe it.
func userResource(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return principal.UserARN(account, path, name)
}

// CreateUserInput is the CreateUser request.
type CreateUserInput struct {
	UserName            string
	Path                string
	PermissionsBoundary string
	Tags                []Tag
}

// CreateUser adds an IAM user to the caller's account.
func (s *Service) CreateUser(ctx context.Context, caller *principal.Principal, in CreateUserInput) (User, error) {
	path := in.Path
	if path == "" {
		path = "/"
	}
	if err := s.authorize(ctx, caller, "iam:CreateUser", userResource(caller.AccountID, path, in.UserName)); err != nil {
		return User{}, err
	}
	if err := validatePath(path); err != nil {
		return User{}, err
	}
	tags, err := mergeTags(nil, storeTags(in.Tags), true)
	if err != nil {
		return User{}, err
	}
	if in.PermissionsBoundary != "" {
		if err := s.checkBoundary(ctx, caller.AccountID, in.PermissionsBoundary); err != nil {
			return User{}, err
		}
	}
	u := store.User{
		AccountID:           caller.AccountID,
		UserID:              s.IDs.UniqueID(ids.PrefixUser),
		UserName:            in.UserName,
		Path:                path,
		PermissionsBoundary: in.PermissionsBoundary,
		Tags:                tags,
		CreatedAt:           s.Now().UTC().Truncate(time.Second),
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return User{}, awserr.New("EntityAlreadyExists", http.StatusConflict, "User with name %s already exists.", in.UserName)
		}
		if ae, ok := boundaryMissing(err); ok {
			return User{}, ae
		}
		return User{}, awserr.InternalError(err)
	}
	return userView(u), nil
}

// authorizeUser authorizes an action on an existing user — against its ARN with its path, and
// with its tags as resource tags — and loads it. A user that does not exist is authorized as
// arn:…:user/<name> first, so a denied caller learns nothing about which users exist.
func (s *Service) authorizeUser(ctx context.Context, caller *principal.Principal, action, name string, extra map[string][]string) (store.User, error) {
	u, err := s.Store.GetUser(ctx, caller.AccountID, name)
	return u, s.authorizeFound(ctx, caller, action, extra, found{
		err: err, arn: principal.UserARN(u.AccountID, u.Path, u.UserName), tags: u.Tags,
		missingARN: userResource(caller.AccountID, "/", name), notFound: func() error { return noSuchUser(name) },
	})
}

// lookupUser finds a user of the caller's account by name.
func (s *Service) lookupUser(ctx context.Context, caller *principal.Principal, name string) (store.User, error) {
	u, err := s.Store.GetUser(ctx, caller.AccountID, name)
	if errors.Is(err, store.ErrNotFound) {
		return u, noSuchUser(name)
	}
	if err != nil {
		return u, awserr.InternalError(err)
	}
	return u, nil
}

// GetUser returns a user, or the caller itself when name is empty.
func (s *Service) GetUser(ctx context.Context, caller *principal.Principal, name string) (User, error) {
	if name == "" {
		switch caller.Kind {
		case principal.Root:
			acct, err := s.Store.GetAccount(ctx, caller.AccountID)
			if err != nil {
				return User{}, awserr.InternalError(err)
			}
			return User{AccountID: caller.AccountID, UserID: caller.AccountID, CreatedAt: acct.CreatedAt, ARN: caller.ARN, Root: true}, nil
		case principal.User:
			name = caller.UserName
		default:
			return User{}, awserr.New("ValidationError", http.StatusBadRequest, "Must specify userName when calling with non-User credentials")
		}
	}
	u, err := s.authorizeUser(ctx, caller, "iam:GetUser", name, nil)
	if err != nil {
		return User{}, err
	}
	return userView(u), nil
}

// Page is a page of results with IAM's Marker convention.
type Page[T any] struct {
	Items       []T
	IsTruncated bool
	Marker      string
}

// listing is what a List… operation over a path prefix asks the store for.
type listing struct {
	pathPrefix, after string
	maxItems          int
}

// authorizeListing authorizes a List… operation over a path prefix (action on the account's
// resource type, e.g. "user/") and applies IAM's defaults: path prefix "/", 100 items.
func (s *Service) authorizeListing(ctx context.Context, caller *principal.Principal, action, resourceType, pathPrefix, marker string, maxItems int) (listing, error) {
	if err := s.authorize(ctx, caller, action, "arn:aws:iam::"+caller.AccountID+":"+resourceType); err != nil {
		return listing{}, err
	}
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	if maxItems == 0 {
		maxItems = DefaultMaxItems
	}
	after, err := decodeMarker(marker)
	if err != nil {
		return listing{}, err
	}
	return listing{pathPrefix, after, maxItems}, nil
}

// ListUsers lists users under a path prefix.
func (s *Service) ListUsers(ctx context.Context, caller *principal.Principal, pathPrefix, marker string, maxItems int) (Page[User], error) {
	l, err := s.authorizeListing(ctx, caller, "iam:ListUsers", "user/", pathPrefix, marker, maxItems)
	if err != nil {
		return Page[User]{}, err
	}
	page, err := s.Store.ListUsers(ctx, caller.AccountID, l.pathPrefix, l.after, l.maxItems)
	if err != nil {
		return Page[User]{}, awserr.InternalError(err)
	}
	out := Page[User]{IsTruncated: page.Next != "", Marker: encodeMarker(page.Next)}
	for _, u := range page.Users {
		out.Items = append(out.Items, userView(u))
	}
	return out, nil
}

// UpdateUserInput renames or moves a user.
type UpdateUserInput struct {
	UserName    string
	NewPath     string
	NewUserName string
}

// UpdateUser changes a user's name and/or path.
func (s *Service) UpdateUser(ctx context.Context, caller *principal.Principal, in UpdateUserInput) error {
	u, err := s.authorizeUser(ctx, caller, "iam:UpdateUser", in.UserName, nil)
	if err != nil {
		return err
	}
	if in.NewPath != "" {
		if err := validatePath(in.NewPath); err != nil {
			return err
		}
	}
	_, err = s.Store.UpdateUser(ctx, u.UserID, func(u *store.User) error {
		if in.NewPath != "" {
			u.Path = in.NewPath
		}
		if in.NewUserName != "" {
			u.UserName = in.NewUserName
		}
		return nil
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return awserr.New("EntityAlreadyExists", http.StatusConflict, "User with name %s already exists.", in.NewUserName)
	}
	if err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchUser(in.UserName) })
	}
	// Cached principals carry the user's ARN, which just changed.
	s.Cache.InvalidateAll()
	s.policiesChanged()
	return nil
}

// DeleteUser removes a user that no longer owns anything.
func (s *Service) DeleteUser(ctx context.Context, caller *principal.Principal, name string) error {
	u, err := s.authorizeUser(ctx, caller, "iam:DeleteUser", name, nil)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteUser(ctx, caller.AccountID, u.UserID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return s.userDeleteConflict(ctx, u.UserID)
		}
		if errors.Is(err, store.ErrNotFound) {
			return noSuchUser(name)
		}
		return awserr.InternalError(err)
	}
	s.Cache.InvalidateAll()
	s.policiesChanged()
	return nil
}

// userDeleteConflict says what keeps a user from being deleted as IAM does: a group membership
// is named as such, anything else as the access keys IAM names first.
func (s *Service) userDeleteConflict(ctx context.Context, userID string) error {
	if groups, err := s.Store.ListGroupsForUser(ctx, userID); err == nil && len(groups) > 0 {
		return awserr.New("DeleteConflict", http.StatusConflict, "Cannot delete entity, must remove user from all groups first.")
	}
	return awserr.New("DeleteConflict", http.StatusConflict, "Cannot delete entity, must delete access keys first.")
}

// changeUser authorizes action on a user and runs change on it in one store transaction. Tags
// feed authorization (aws:PrincipalTag), so cached decisions are dropped after every change.
func (s *Service) changeUser(ctx context.Context, caller *principal.Principal, action, name string, extra map[string][]string, change func(*store.User) error) error {
	u, err := s.authorizeUser(ctx, caller, action, name, extra)
	if err != nil {
		return err
	}
	if _, err := s.Store.UpdateUser(ctx, u.UserID, change); err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchUser(name) })
	}
	s.policiesChanged()
	return nil
}

func userTags(u *store.User) *[]store.Tag { return &u.Tags }

// TagUser adds or replaces tags; user tag keys compare case-insensitively.
func (s *Service) TagUser(ctx context.Context, caller *principal.Principal, name string, tags []Tag) error {
	return s.changeUser(ctx, caller, "iam:TagUser", name, tagContext(tags), tagger(tags, true, userTags))
}

// UntagUser removes tags by key (case-insensitively); absent keys are ignored, as in AWS.
func (s *Service) UntagUser(ctx context.Context, caller *principal.Principal, name string, keys []string) error {
	return s.changeUser(ctx, caller, "iam:UntagUser", name, map[string][]string{"aws:TagKeys": keys}, untagger(keys, true, userTags))
}

// ListUserTags pages through a user's tags.
func (s *Service) ListUserTags(ctx context.Context, caller *principal.Principal, name, marker string, maxItems int) (Page[Tag], error) {
	u, err := s.authorizeUser(ctx, caller, "iam:ListUserTags", name, nil)
	if err != nil {
		return Page[Tag]{}, err
	}
	return listTags(u.Tags, marker, maxItems)
}

func validatePath(p string) error {
	if p != "/" && (!strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || len(p) < 2) {
		return awserr.New("ValidationError", http.StatusBadRequest, "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return nil
}

// paginate serves in-memory lists with an opaque numeric marker.
func paginate[T any](all []T, marker string, maxItems int) (Page[T], error) {
	if maxItems == 0 {
		maxItems = DefaultMaxItems
	}
	start := 0
	if marker != "" {
		after, err := decodeMarker(marker)
		if err != nil {
			return Page[T]{}, err
		}
		if _, err := fmt.Sscanf(after, "%d", &start); err != nil || start < 0 || start > len(all) {
			return Page[T]{}, invalidMarker()
		}
	}
	end := start + maxItems
	if end >= len(all) {
		return Page[T]{Items: all[start:]}, nil
	}
	return Page[T]{Items: all[start:end], IsTruncated: true, Marker: encodeMarker(fmt.Sprint(end))}, nil
}
