package quicksight

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Limits and defaults.
const (
	DefaultNamespace = "default"
	// DefaultListResult is the largest MaxResults of ListUsers (Amazon QuickSight API Reference,
	// ListUsers).
	DefaultListResult = 100
	// ContextTTL is the lifetime of an identity context when SessionExpiresAt is absent:
	// Latchkey's choice, as AWS's own is unverified.
	ContextTTL = 15 * time.Minute
	// MaxContextLifetime bounds SessionExpiresAt: no role session outlives 12 hours (AWS STS API
	// Reference, AssumeRole, DurationSeconds).
	MaxContextLifetime = 12 * time.Hour
)

// Store is the part of the store the service uses: its own aggregate and the IAM users and roles
// users are registered from.
type Store interface {
	store.QuickSightStore
	GetUser(ctx context.Context, accountID, userName string) (store.User, error)
	GetRole(ctx context.Context, accountID, roleName string) (store.Role, error)
}

// TokenSigner signs identity contexts (token.Issuer).
type TokenSigner interface {
	Sign(ctx context.Context, alg string, claims map[string]any) (string, error)
}

// Deps are what the QuickSight domain service works with.
type Deps struct {
	Store  Store
	Authz  authz.Authorizer
	Tokens TokenSigner
	// Region is the serving region: the region of every user and namespace ARN.
	Region string
	Now    func() time.Time
	// NewID returns a random identifier (principal ids of QuickSight-native users, context ids);
	// nil uses crypto/rand.
	NewID func() string
}

// Service is built by New; nothing changes it while it serves.
type Service struct {
	Deps
}

// New builds the service from its dependencies.
func New(d Deps) *Service { return &Service{Deps: d} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Errors, with the model's codes and statuses.

func invalidParameter(format string, args ...any) *awserr.Error {
	return awserr.New("InvalidParameterValueException", http.StatusBadRequest, format, args...)
}

func notFound(resourceType, format string, args ...any) *awserr.Error {
	return awserr.New("ResourceNotFoundException", http.StatusNotFound, format, args...).WithField("ResourceType", resourceType)
}

func exists(resourceType, format string, args ...any) *awserr.Error {
	return awserr.New("ResourceExistsException", http.StatusConflict, format, args...).WithField("ResourceType", resourceType)
}

func preconditionNotMet(format string, args ...any) *awserr.Error {
	return awserr.New("PreconditionNotMetException", http.StatusBadRequest, format, args...)
}

// Tag is a tag of a namespace or a user.
type Tag struct {
	Key, Value string
}

// storedTags is the store's form of tags; none is nil.
func storedTags(in []Tag) []store.Tag {
	if len(in) == 0 {
		return nil
	}
	out := make([]store.Tag, len(in))
	for i, t := range in {
		out[i] = store.Tag(t)
	}
	return out
}

// ARNs.

// UserARN is a QuickSight user's ARN; name may contain "/" (role/session users).
func (s *Service) UserARN(account, namespace, name string) string {
	return "arn:aws:quicksight:" + s.Region + ":" + account + ":user/" + namespace + "/" + name
}

// NamespaceARN is a namespace's ARN.
func (s *Service) NamespaceARN(account, namespace string) string {
	return "arn:aws:quicksight:" + s.Region + ":" + account + ":namespace/" + namespace
}

// authorize checks quicksight:<op> on resource, after the path's account was checked against the
// caller's: a call naming another account is denied as AWS denies it.
func (s *Service) authorize(ctx context.Context, caller *principal.Principal, op, account, resource string) error {
	action := "quicksight:" + op
	if caller == nil {
		return awserr.DeniedError("Missing credentials for %s.", action)
	}
	if account != caller.AccountID {
		return authz.Denied(caller, action, resource, "because the resource belongs to another account")
	}
	return s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: action, Resource: resource, ResourceAccount: account})
}

// namespace checks that a namespace exists ("default" always does).
func (s *Service) namespace(ctx context.Context, account, name string) (store.QuickSightNamespace, error) {
	if name == DefaultNamespace {
		return store.QuickSightNamespace{AccountID: account, Name: DefaultNamespace, IdentityStore: "QUICKSIGHT"}, nil
	}
	ns, err := s.Store.GetQuickSightNamespace(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return ns, notFound("NAMESPACE", "Namespace %s not found in account %s.", name, account)
	}
	if err != nil {
		return ns, awserr.InternalError(err)
	}
	return ns, nil
}

func (s *Service) userNotFound(account, namespace, name string) *awserr.Error {
	return notFound("USER", "User not found: %s", s.UserARN(account, namespace, name))
}

// user loads a user of an existing namespace.
func (s *Service) user(ctx context.Context, account, namespace, name string) (store.QuickSightUser, error) {
	if _, err := s.namespace(ctx, account, namespace); err != nil {
		return store.QuickSightUser{}, err
	}
	u, err := s.Store.GetQuickSightUser(ctx, account, namespace, name)
	if errors.Is(err, store.ErrNotFound) {
		return u, s.userNotFound(account, namespace, name)
	}
	if err != nil {
		return u, awserr.InternalError(err)
	}
	return u, nil
}

// Pagination tokens are the store's resume key, base64url-encoded with a prefix naming the
// listing, so that a token of one listing is refused by another.

func encodeToken(kind, next string) string {
	if next == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "\x00" + next))
}

func decodeToken(kind, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	after, ok := strings.CutPrefix(string(raw), kind+"\x00")
	if err != nil || !ok || after == "" {
		return "", awserr.New("InvalidNextTokenException", http.StatusBadRequest, "The NextToken is invalid.")
	}
	return after, nil
}

func listLimit(n int) int {
	if n <= 0 || n > DefaultListResult {
		return DefaultListResult
	}
	return n
}
