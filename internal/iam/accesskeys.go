package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

func invalidMarker() *awserr.Error {
	return awserr.New("ValidationError", http.StatusBadRequest, "Invalid Marker.")
}

func encodeMarker(s string) string {
	if s == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeMarker(m string) (string, error) {
	if m == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || len(b) == 0 {
		return "", invalidMarker()
	}
	return string(b), nil
}

// resolveOwner authorizes a key operation and loads the user it addresses: the named user, or the
// caller itself when no name is given (root addresses its own root keys, reported as root=true).
func (s *Service) resolveOwner(ctx context.Context, caller *principal.Principal, action, userName string) (u store.User, root bool, err error) {
	if userName == "" {
		switch caller.Kind {
		case principal.Root:
			return store.User{}, true, s.authorize(ctx, caller, action, caller.ARN)
		case principal.User:
			userName = caller.UserName
		default:
			return store.User{}, false, awserr.New("ValidationError", http.StatusBadRequest, "Must specify userName when calling with non-User credentials")
		}
	}
	u, err = s.authorizeUser(ctx, caller, action, userName, nil)
	return u, false, err
}

// CreateAccessKey mints a key for a user (or the caller's own root/user identity).
func (s *Service) CreateAccessKey(ctx context.Context, caller *principal.Principal, userName string) (AccessKey, error) {
	u, root, err := s.resolveOwner(ctx, caller, "iam:CreateAccessKey", userName)
	if err != nil {
		return AccessKey{}, err
	}
	for attempt := 0; ; attempt++ {
		id := s.IDs.AccessKeyID(ids.PrefixLongTermKey, caller.AccountID)
		secret := s.IDs.SecretAccessKey()
		k := store.AccessKey{
			AccessKeyID:      id,
			AccountID:        caller.AccountID,
			UserID:           u.UserID,
			Status:           "Active",
			SecretCiphertext: s.Master.Seal([]byte(secret), s.SecretAAD(id)),
			CreatedAt:        s.Now().UTC().Truncate(time.Second),
		}
		err := s.Store.CreateAccessKey(ctx, k, MaxAccessKeysPerOwner)
		switch {
		case err == nil:
			ak := accessKeyOf(k, u.UserName)
			ak.Secret = secret
			return ak, nil
		case errors.Is(err, store.ErrLimitExceeded):
			kind := "AccessKeysPerUser"
			if root {
				kind = "AccessKeysPerRoot"
			}
			return AccessKey{}, awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for %s: %d", kind, MaxAccessKeysPerOwner)
		case errors.Is(err, store.ErrAlreadyExists) && attempt < 3:
			continue // a random id collided; draw another
		case errors.Is(err, store.ErrNotFound):
			return AccessKey{}, noSuchUser(userName)
		default:
			return AccessKey{}, awserr.InternalError(err)
		}
	}
}

// ListAccessKeys lists a user's keys without their secrets.
func (s *Service) ListAccessKeys(ctx context.Context, caller *principal.Principal, userName, marker string, maxItems int) (Page[AccessKey], error) {
	u, _, err := s.resolveOwner(ctx, caller, "iam:ListAccessKeys", userName)
	if err != nil {
		return Page[AccessKey]{}, err
	}
	keys, err := s.Store.ListAccessKeys(ctx, caller.AccountID, u.UserID)
	if err != nil {
		return Page[AccessKey]{}, awserr.InternalError(err)
	}
	views := make([]AccessKey, len(keys))
	for i, k := range keys {
		views[i] = accessKeyOf(k, u.UserName)
	}
	return paginate(views, marker, maxItems)
}

// ownedKey loads a key and checks it belongs to the addressed owner; AWS answers NoSuchEntity
// for a key of another user rather than revealing that it exists.
func (s *Service) ownedKey(ctx context.Context, caller *principal.Principal, u store.User, keyID string) (store.AccessKey, error) {
	k, err := s.Store.GetAccessKey(ctx, keyID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (k.AccountID != caller.AccountID || k.UserID != u.UserID)) {
		who := u.UserName
		if u.UserID == "" {
			who = "root"
		}
		return k, awserr.New("NoSuchEntity", http.StatusNotFound, "The Access Key with id %s cannot be found for user %s.", keyID, who)
	}
	if err != nil {
		return k, awserr.InternalError(err)
	}
	return k, nil
}

// UpdateAccessKey activates or deactivates a key.
func (s *Service) UpdateAccessKey(ctx context.Context, caller *principal.Principal, userName, keyID, status string) error {
	u, _, err := s.resolveOwner(ctx, caller, "iam:UpdateAccessKey", userName)
	if err != nil {
		return err
	}
	if _, err := s.ownedKey(ctx, caller, u, keyID); err != nil {
		return err
	}
	if err := s.Store.UpdateAccessKeyStatus(ctx, keyID, status); err != nil {
		return awserr.InternalError(err)
	}
	s.Cache.Invalidate(keyID)
	return nil
}

// DeleteAccessKey removes a key; requests signed with it fail from then on.
func (s *Service) DeleteAccessKey(ctx context.Context, caller *principal.Principal, userName, keyID string) error {
	u, _, err := s.resolveOwner(ctx, caller, "iam:DeleteAccessKey", userName)
	if err != nil {
		return err
	}
	if _, err := s.ownedKey(ctx, caller, u, keyID); err != nil {
		return err
	}
	if err := s.Store.DeleteAccessKey(ctx, keyID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return awserr.InternalError(err)
	}
	s.Cache.Invalidate(keyID)
	return nil
}

// KeyLastUsed is GetAccessKeyLastUsed's answer.
type KeyLastUsed struct {
	UserName string
	At       *time.Time
	Service  string
	Region   string
}

// GetAccessKeyLastUsed reports when and where a key of the caller's account was last used.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, caller *principal.Principal, keyID string) (KeyLastUsed, error) {
	k, err := s.Store.GetAccessKey(ctx, keyID)
	notFound := errors.Is(err, store.ErrNotFound) || (err == nil && k.AccountID != caller.AccountID)
	resource := "*"
	var owner store.User
	if err == nil && !notFound {
		resource = caller.ARN
		if k.UserID != "" {
			owner, err = s.Store.GetUserByID(ctx, k.UserID)
			if err != nil {
				return KeyLastUsed{}, awserr.InternalError(err)
			}
			resource = principal.UserARN(owner.AccountID, owner.Path, owner.UserName)
		}
	}
	if aerr := s.authorize(ctx, caller, "iam:GetAccessKeyLastUsed", resource); aerr != nil {
		return KeyLastUsed{}, aerr
	}
	if notFound {
		return KeyLastUsed{}, awserr.New("NoSuchEntity", http.StatusNotFound, "The Access Key with id %s cannot be found.", keyID)
	}
	if err != nil {
		return KeyLastUsed{}, awserr.InternalError(err)
	}
	out := KeyLastUsed{UserName: owner.UserName, At: k.LastUsedAt, Service: k.LastUsedService, Region: k.LastUsedRegion}
	if k.UserID == "" {
		out.UserName = "root"
	}
	return out, nil
}
