package authn

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/cache"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/sigv4"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// Kind classifies an authentication failure independently of the protocol.
type Kind int

const (
	Missing      Kind = iota + 1 // no signature at all
	Incomplete                   // malformed signature data
	Mismatch                     // wrong signature or scope
	Skewed                       // request time outside the window, or presigned URL expired
	InvalidToken                 // unknown or inactive key, bad or missing session token
	ExpiredToken                 // temporary credentials past their expiry
	Unavailable                  // the store could not be reached
)

// Error is an authentication failure with a message safe to send to the client.
type Error struct {
	Kind    Kind
	Message string
	Cause   error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Cause }

const invalidTokenMsg = "The security token included in the request is invalid."

// KeyStore is the part of the store authentication reads.
type KeyStore interface {
	GetAccessKey(ctx context.Context, accessKeyID string) (store.AccessKey, error)
	GetUserByID(ctx context.Context, userID string) (store.User, error)
	RecordAccessKeyUse(ctx context.Context, accessKeyID string, at time.Time, service, region string) error
}

// SessionOpener opens sealed session tokens.
type SessionOpener interface {
	Open(ctx context.Context, accessKeyID, token string) (*principal.Principal, string, error)
}

// Options tunes the authenticator.
type Options struct {
	// CacheTTL bounds how stale a cached long-term key may be on this node (other nodes' changes
	// to a key become visible within it; changes made through this node are seen at once).
	CacheTTL time.Duration
	// CacheSize bounds the number of cached keys.
	CacheSize int
	// UseRecordInterval throttles last-used writes to one per key per interval.
	UseRecordInterval time.Duration
	Now               func() time.Time
	Logger            *slog.Logger
}

// Authenticator verifies SigV4 requests.
type Authenticator struct {
	store    KeyStore
	master   *keys.MasterKey
	sessions SessionOpener
	opts     Options

	// keys caches long-term keys by access key id. Its generation counter drops a lookup that
	// overlapped an Invalidate: such a lookup may have read the key before the change that
	// invalidated it (a deactivation, a deletion).
	keys *cache.Bounded[string, *cachedKey]
	// mu guards cachedKey.recordedAt.
	mu sync.Mutex
}

type cachedKey struct {
	secret     string
	status     string
	principal  principal.Principal
	recordedAt time.Time
}

// New builds an authenticator.
func New(st KeyStore, master *keys.MasterKey, sessions SessionOpener, opts Options) *Authenticator {
	if opts.CacheTTL == 0 {
		opts.CacheTTL = 5 * time.Second
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = 10000
	}
	if opts.UseRecordInterval == 0 {
		opts.UseRecordInterval = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Authenticator{store: st, master: master, sessions: sessions, opts: opts,
		keys: &cache.Bounded[string, *cachedKey]{Max: opts.CacheSize, TTL: opts.CacheTTL, Now: opts.Now}}
}

// Authenticate verifies req for the given signing service ("sts", "iam", …). region is the
// region of the credential scope, for last-used records and responses.
func (a *Authenticator) Authenticate(ctx context.Context, req *sigv4.Request, service string) (p *principal.Principal, region string, err error) {
	auth, perr := sigv4.Parse(req)
	if perr != nil {
		return nil, "", fromSigV4(perr)
	}
	if auth == nil {
		return nil, "", &Error{Kind: Missing, Message: "Request is missing Authentication Token"}
	}
	now := a.opts.Now()
	if err := auth.CheckScope(service, now); err != nil {
		return nil, "", fromSigV4(err)
	}
	if strings.HasPrefix(auth.AccessKeyID, "ASIA") {
		return a.authenticateSession(ctx, req, auth, now)
	}
	if auth.SecurityToken != "" {
		return nil, "", tokenRefusal(auth, "a session token was sent with the long-term access key "+auth.AccessKeyID+"; long-term keys sign without one")
	}
	ck, err := a.lookup(ctx, auth.AccessKeyID)
	if err != nil {
		return nil, "", err
	}
	if ck.status != "Active" {
		return nil, "", keyRefusal(auth.AccessKeyID, "status", []string{"Active"}, []string{ck.status}, "the access key "+auth.AccessKeyID+" is "+ck.status+"; activate it or use another")
	}
	if err := auth.Verify(req, ck.secret); err != nil {
		return nil, "", fromSigV4(err)
	}
	a.recordUse(ctx, auth.AccessKeyID, ck, now, service, auth.Region)
	pr := ck.principal
	return &pr, auth.Region, nil
}

// authenticateSession verifies temporary credentials from the sealed token alone: no store read.
func (a *Authenticator) authenticateSession(ctx context.Context, req *sigv4.Request, auth *sigv4.Auth, now time.Time) (*principal.Principal, string, error) {
	if auth.SecurityToken == "" || a.sessions == nil {
		return nil, "", tokenRefusal(auth, "temporary access key "+auth.AccessKeyID+" was sent without its session token (X-Amz-Security-Token)")
	}
	p, secret, err := a.sessions.Open(ctx, auth.AccessKeyID, auth.SecurityToken)
	if err != nil {
		if errors.Is(err, token.ErrInvalid) {
			return nil, "", tokenRefusal(auth, "the session token does not open, or was not issued with access key "+auth.AccessKeyID+"; send the token issued with the key")
		}
		return nil, "", &Error{Kind: Unavailable, Message: "Service unavailable", Cause: err}
	}
	if !now.Before(p.Expires) {
		return nil, "", expiredRefusal(auth.AccessKeyID, p.Expires, now)
	}
	if err := auth.Verify(req, secret); err != nil {
		return nil, "", fromSigV4(err)
	}
	return p, auth.Region, nil
}

// lookup answers the key from the cache, or reads it from the store and caches it. A read that
// overlapped Invalidate or InvalidateAll is answered but not cached.
func (a *Authenticator) lookup(ctx context.Context, keyID string) (*cachedKey, error) {
	return a.keys.Get(keyID, func() (*cachedKey, error) {
		ck, err := a.load(ctx, keyID)
		if err != nil {
			// A nil *Error must not become a non-nil error.
			return nil, err
		}
		return ck, nil
	})
}

func (a *Authenticator) load(ctx context.Context, keyID string) (*cachedKey, *Error) {
	k, err := a.store.GetAccessKey(ctx, keyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, keyRefusal(keyID, "access key id", nil, []string{keyID}, "no access key "+keyID+" exists; it was deleted or never issued")
	}
	if err != nil {
		return nil, &Error{Kind: Unavailable, Message: "Service unavailable", Cause: err}
	}
	secret, err := a.master.Open(k.SecretCiphertext, SecretAAD(k.AccessKeyID))
	if err != nil {
		return nil, &Error{Kind: Unavailable, Message: "Service unavailable", Cause: err}
	}
	p := principal.Principal{AccountID: k.AccountID, AccessKeyID: keyID}
	if k.UserID == "" {
		p.Kind, p.ARN, p.UserID = principal.Root, principal.RootARN(k.AccountID), k.AccountID
	} else {
		u, err := a.store.GetUserByID(ctx, k.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, keyRefusal(keyID, "access key owner", nil, []string{keyID}, "the user of access key "+keyID+" no longer exists")
		}
		if err != nil {
			return nil, &Error{Kind: Unavailable, Message: "Service unavailable", Cause: err}
		}
		p.Kind, p.ARN, p.UserID, p.UserName = principal.User, principal.UserARN(u.AccountID, u.Path, u.UserName), u.UserID, u.UserName
	}
	ck := &cachedKey{secret: string(secret), status: k.Status, principal: p}
	if k.LastUsedAt != nil {
		ck.recordedAt = *k.LastUsedAt
	}
	return ck, nil
}

func (a *Authenticator) recordUse(ctx context.Context, keyID string, ck *cachedKey, now time.Time, service, region string) {
	a.mu.Lock()
	due := now.Sub(ck.recordedAt) >= a.opts.UseRecordInterval
	if due {
		ck.recordedAt = now
	}
	a.mu.Unlock()
	if !due {
		return
	}
	if err := a.store.RecordAccessKeyUse(ctx, keyID, now, service, region); err != nil {
		a.opts.Logger.Warn("recording access key use failed", "access_key_id", keyID, "err", err)
	}
}

// Invalidate drops a cached key so changes made through this node apply to the next request.
// A lookup in flight at that moment is not cached.
func (a *Authenticator) Invalidate(accessKeyID string) { a.keys.Delete(accessKeyID) }

// InvalidateAll drops every cached key (a user was renamed or deleted).
func (a *Authenticator) InvalidateAll() { a.keys.Clear() }

// SecretAAD binds a sealed secret to its access key id.
func SecretAAD(accessKeyID string) []byte { return []byte("access-key-secret:" + accessKeyID) }

// fromSigV4 keeps the explanation sigv4 attached; the malformed-signature refusals of Parse get
// one naming the message.
func fromSigV4(err error) *Error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return &Error{Kind: Incomplete, Message: err.Error(), Cause: malformed(err.Error())}
	}
	cause := se.Cause
	if explain.Of(cause) == nil {
		cause = malformed(se.Message)
	}
	switch se.Kind {
	case sigv4.KindMismatch:
		return &Error{Kind: Mismatch, Message: se.Message, Cause: cause}
	case sigv4.KindExpired:
		return &Error{Kind: Skewed, Message: se.Message, Cause: cause}
	default:
		return &Error{Kind: Incomplete, Message: se.Message, Cause: cause}
	}
}

// VerifySecret checks a long-term access key id and its secret given directly, as the console's
// sign-in form sends them: the same key lookup SigV4 verification uses, an Active key, and a
// constant-time comparison of the secret. Every refusal is one InvalidToken error that does not
// tell whether the key exists.
func (a *Authenticator) VerifySecret(ctx context.Context, accessKeyID, secret string) (*principal.Principal, error) {
	refused := &Error{Kind: InvalidToken, Message: "The access key id or secret access key is not valid."}
	if strings.HasPrefix(accessKeyID, "ASIA") || accessKeyID == "" {
		return nil, refused
	}
	ck, err := a.lookup(ctx, accessKeyID)
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) && ae.Kind == Unavailable {
			return nil, err
		}
		return nil, refused
	}
	if subtle.ConstantTimeCompare([]byte(ck.secret), []byte(secret)) != 1 || ck.status != "Active" {
		return nil, refused
	}
	pr := ck.principal
	return &pr, nil
}
