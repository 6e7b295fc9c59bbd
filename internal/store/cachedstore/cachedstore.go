package cachedstore

import (
	"context"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/cache"
	"github.com/latchkey/latchkey/internal/store"
)

// Defaults of Options.
const (
	DefaultTTL = 5 * time.Second
	DefaultMax = 10000
)

// Options bound the caches.
type Options struct {
	// TTL is how long an entry may be answered after the read that built it began; 0 means DefaultTTL.
	TTL time.Duration
	// Max is the most entries of each kind held; 0 means DefaultMax.
	Max int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// roleKey is a role's account and its lower-cased name: IAM role names are unique
// case-insensitively and GetRole matches them so, and one entry per spelling would let a caller
// fill the cache (and so empty it) with case variants of one name.
type roleKey struct{ account, name string }

func roleKeyOf(accountID, roleName string) roleKey {
	return roleKey{accountID, strings.ToLower(roleName)}
}

type loginKey struct{ pool, provider, subject string }

// caches are the entries both views of one wrapper share.
type caches struct {
	roles      cache.Bounded[roleKey, store.Role]
	providers  cache.Bounded[string, store.OIDCProvider]
	pools      cache.Bounded[string, store.IdentityPool]
	identities cache.Bounded[string, store.Identity]
	// logins holds FindLogin's answers, loginLists ListLogins'; both change with any identity write.
	logins     cache.Bounded[loginKey, store.IdentityLogin]
	loginLists cache.Bounded[string, []store.IdentityLogin]
}

// Writes is a store whose reads go to the database and whose writes invalidate the caches they
// may change (see Direct).
type Writes struct {
	store.Store
	c *caches
}

// Store answers the reads of the credential hot paths from the caches; every other call, and
// every write, is the wrapped store's (writes invalidating first).
type Store struct {
	Writes
}

// New wraps st.
func New(st store.Store, o Options) *Store {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	c := &caches{}
	c.roles.Max, c.roles.TTL, c.roles.Now = o.Max, o.TTL, o.Now
	c.providers.Max, c.providers.TTL, c.providers.Now = o.Max, o.TTL, o.Now
	c.pools.Max, c.pools.TTL, c.pools.Now = o.Max, o.TTL, o.Now
	c.identities.Max, c.identities.TTL, c.identities.Now = o.Max, o.TTL, o.Now
	c.logins.Max, c.logins.TTL, c.logins.Now = o.Max, o.TTL, o.Now
	c.loginLists.Max, c.loginLists.TTL, c.loginLists.Now = o.Max, o.TTL, o.Now
	return &Store{Writes{Store: st, c: c}}
}

// Direct is the view of s whose reads all go to the database, for the services that read to
// decide writes or to show an entity as it is now (IAM, the console); its writes invalidate s's
// caches like s's own.
func (s *Store) Direct() *Writes { return &s.Writes }

// GetRole answers a role by account and name, case-insensitively, from the cache.
func (s *Store) GetRole(ctx context.Context, accountID, roleName string) (store.Role, error) {
	return s.c.roles.Get(roleKeyOf(accountID, roleName), func() (store.Role, error) {
		return s.Store.GetRole(ctx, accountID, roleName)
	})
}

// GetOIDCProvider answers a provider by ARN from the cache.
func (s *Store) GetOIDCProvider(ctx context.Context, arn string) (store.OIDCProvider, error) {
	return s.c.providers.Get(arn, func() (store.OIDCProvider, error) { return s.Store.GetOIDCProvider(ctx, arn) })
}

// GetIdentityPool answers a pool by id from the cache.
func (s *Store) GetIdentityPool(ctx context.Context, id string) (store.IdentityPool, error) {
	return s.c.pools.Get(id, func() (store.IdentityPool, error) { return s.Store.GetIdentityPool(ctx, id) })
}

// GetIdentity answers an identity by id from the cache.
func (s *Store) GetIdentity(ctx context.Context, id string) (store.Identity, error) {
	return s.c.identities.Get(id, func() (store.Identity, error) { return s.Store.GetIdentity(ctx, id) })
}

// FindLogin answers the link of a login from the cache; a login linked to nothing is looked up
// every time.
func (s *Store) FindLogin(ctx context.Context, poolID, provider, subject string) (store.IdentityLogin, error) {
	return s.c.logins.Get(loginKey{poolID, provider, subject}, func() (store.IdentityLogin, error) {
		return s.Store.FindLogin(ctx, poolID, provider, subject)
	})
}

// ListLogins answers an identity's logins from the cache.
func (s *Store) ListLogins(ctx context.Context, identityID string) ([]store.IdentityLogin, error) {
	return s.c.loginLists.Get(identityID, func() ([]store.IdentityLogin, error) { return s.Store.ListLogins(ctx, identityID) })
}

// The writes below invalidate before and after the write: before, so that a read racing the
// write cannot store what it read earlier (cache.Bounded drops a value built across a Delete or
// Clear); after, so that nothing read while the write was in flight survives it. They invalidate
// whatever the write answers: a write refused by its precondition (a link decided on logins that
// changed) is retried on a fresh read.

func (w *Writes) rolesChanged() { w.c.roles.Clear() }

func (w *Writes) identitiesChanged() {
	w.c.identities.Clear()
	w.c.logins.Clear()
	w.c.loginLists.Clear()
}

// CreateRole invalidates the role's name: another node may have deleted a role of that name
// that this node still caches.
func (w *Writes) CreateRole(ctx context.Context, r store.Role) error {
	k := roleKeyOf(r.AccountID, r.RoleName)
	w.c.roles.Delete(k)
	defer w.c.roles.Delete(k)
	return w.Store.CreateRole(ctx, r)
}

// UpdateRole invalidates every cached role.
func (w *Writes) UpdateRole(ctx context.Context, roleID string, fn func(*store.Role) error) (store.Role, error) {
	w.rolesChanged()
	defer w.rolesChanged()
	return w.Store.UpdateRole(ctx, roleID, fn)
}

// DeleteRole invalidates every cached role.
func (w *Writes) DeleteRole(ctx context.Context, accountID, roleID string) error {
	w.rolesChanged()
	defer w.rolesChanged()
	return w.Store.DeleteRole(ctx, accountID, roleID)
}

// DeleteServiceLinkedRole invalidates every cached role: it deletes a role as DeleteRole does.
func (w *Writes) DeleteServiceLinkedRole(ctx context.Context, accountID, roleID, taskID string, at time.Time) error {
	w.rolesChanged()
	defer w.rolesChanged()
	return w.Store.DeleteServiceLinkedRole(ctx, accountID, roleID, taskID, at)
}

// CreateOIDCProvider invalidates the provider's ARN (see CreateRole).
func (w *Writes) CreateOIDCProvider(ctx context.Context, p store.OIDCProvider, maxPerAccount int) error {
	w.c.providers.Delete(p.ARN)
	defer w.c.providers.Delete(p.ARN)
	return w.Store.CreateOIDCProvider(ctx, p, maxPerAccount)
}

// UpdateOIDCProvider invalidates the provider.
func (w *Writes) UpdateOIDCProvider(ctx context.Context, arn string, fn func(*store.OIDCProvider) error) (store.OIDCProvider, error) {
	w.c.providers.Delete(arn)
	defer w.c.providers.Delete(arn)
	return w.Store.UpdateOIDCProvider(ctx, arn, fn)
}

// DeleteOIDCProvider invalidates the provider.
func (w *Writes) DeleteOIDCProvider(ctx context.Context, arn string) error {
	w.c.providers.Delete(arn)
	defer w.c.providers.Delete(arn)
	return w.Store.DeleteOIDCProvider(ctx, arn)
}

// CreateIdentityPool invalidates the pool's id.
func (w *Writes) CreateIdentityPool(ctx context.Context, p store.IdentityPool, maxPerAccount int) error {
	w.c.pools.Delete(p.ID)
	defer w.c.pools.Delete(p.ID)
	return w.Store.CreateIdentityPool(ctx, p, maxPerAccount)
}

// UpdateIdentityPool invalidates the pool.
func (w *Writes) UpdateIdentityPool(ctx context.Context, id string, fn func(*store.IdentityPool) error) (store.IdentityPool, error) {
	w.c.pools.Delete(id)
	defer w.c.pools.Delete(id)
	return w.Store.UpdateIdentityPool(ctx, id, fn)
}

// DeleteIdentityPool invalidates the pool and every cached identity and login, since its
// identities go with it.
func (w *Writes) DeleteIdentityPool(ctx context.Context, id string) error {
	w.c.pools.Delete(id)
	w.identitiesChanged()
	defer func() {
		w.c.pools.Delete(id)
		w.identitiesChanged()
	}()
	return w.Store.DeleteIdentityPool(ctx, id)
}

// CreateIdentity invalidates the identity's id, its login list (ListLogins answers an empty list
// for an identity that does not exist yet) and its logins.
func (w *Writes) CreateIdentity(ctx context.Context, id store.Identity, logins []store.IdentityLogin) error {
	forget := func() {
		w.c.identities.Delete(id.ID)
		w.c.loginLists.Delete(id.ID)
		for _, l := range logins {
			pool := l.PoolID
			if pool == "" {
				pool = id.PoolID
			}
			w.c.logins.Delete(loginKey{pool, l.Provider, l.Subject})
		}
	}
	forget()
	defer forget()
	return w.Store.CreateIdentity(ctx, id, logins)
}

// DeleteIdentity invalidates every cached identity and login.
func (w *Writes) DeleteIdentity(ctx context.Context, id string) error {
	w.identitiesChanged()
	defer w.identitiesChanged()
	return w.Store.DeleteIdentity(ctx, id)
}

// LinkLogins invalidates every cached identity and login.
func (w *Writes) LinkLogins(ctx context.Context, identityID string, logins []store.IdentityLogin, onePerProvider []string, check store.LinkCheck) error {
	w.identitiesChanged()
	defer w.identitiesChanged()
	return w.Store.LinkLogins(ctx, identityID, logins, onePerProvider, check)
}

// UpdateIdentity invalidates every cached identity and login.
func (w *Writes) UpdateIdentity(ctx context.Context, id string, fn func(*store.IdentityWithLogins) error) (store.IdentityWithLogins, error) {
	w.identitiesChanged()
	defer w.identitiesChanged()
	return w.Store.UpdateIdentity(ctx, id, fn)
}

// MergeIdentities invalidates every cached identity and login.
func (w *Writes) MergeIdentities(ctx context.Context, m store.Merge) error {
	w.identitiesChanged()
	defer w.identitiesChanged()
	return w.Store.MergeIdentities(ctx, m)
}
