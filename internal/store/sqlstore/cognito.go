package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

var _ store.CognitoStore = (*Store)(nil)

// Column encodings of 00004_cognito.sql. Empty and nil lists and maps are stored alike ([] and {})
// and read back as nil, as tags and the OIDC provider lists are; RoleMappings and PrincipalTagMaps
// are kept verbatim, "" included.

// cognitoProviderJSON pins the stored field names of a CognitoUserPoolProvider, so that adding JSON
// tags to the store type later cannot change how existing rows are read.
type cognitoProviderJSON struct {
	ProviderName         string `json:"ProviderName"`
	ClientID             string `json:"ClientId"`
	ServerSideTokenCheck bool   `json:"ServerSideTokenCheck"`
}

func encodeCognitoProviders(list []store.CognitoUserPoolProvider) (string, error) {
	out := make([]cognitoProviderJSON, len(list))
	for i, p := range list {
		out[i] = cognitoProviderJSON(p)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode Cognito identity providers: %w", err)
	}
	return string(b), nil
}

func decodeCognitoProviders(s string) ([]store.CognitoUserPoolProvider, error) {
	var in []cognitoProviderJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("sqlstore: corrupt Cognito identity providers column: %w", err)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]store.CognitoUserPoolProvider, len(in))
	for i, p := range in {
		out[i] = store.CognitoUserPoolProvider(p)
	}
	return out, nil
}

// encodePoolMap stores a string map as a JSON object; the order of its keys carries no meaning.
func encodePoolMap(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode string map: %w", err)
	}
	return string(b), nil
}

func decodePoolMap(s string) (map[string]string, error) {
	var out map[string]string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("sqlstore: corrupt string map column: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// cognitoText makes a text column compare and sort by code point on every backend (see
// dialect.textOrder), so that the exclusive `after` marker of a page agrees with the ORDER BY.
func (s *Store) cognitoText(column string) string { return column + s.dialect.textOrder }

// Identity pools.

const identityPoolColumns = `id, account_id, name, allow_unauthenticated, allow_classic_flow,
	supported_login_providers, developer_provider_name, oidc_provider_arns, cognito_identity_providers,
	saml_provider_arns, tags, roles, role_mappings, principal_tag_maps, created_at, updated_at`

// poolJSON holds the JSON encodings of an identity pool's lists and maps.
type poolJSON struct {
	loginProviders, oidcARNs, cognitoProviders, samlARNs, tags, roles string
}

func encodePoolJSON(p store.IdentityPool) (poolJSON, error) {
	var (
		e   poolJSON
		err error
	)
	if e.loginProviders, err = encodePoolMap(p.SupportedLoginProviders); err != nil {
		return poolJSON{}, err
	}
	if e.oidcARNs, err = encodeStrings(p.OpenIDConnectProviderARNs); err != nil {
		return poolJSON{}, err
	}
	if e.cognitoProviders, err = encodeCognitoProviders(p.CognitoIdentityProviders); err != nil {
		return poolJSON{}, err
	}
	if e.samlARNs, err = encodeStrings(p.SAMLProviderARNs); err != nil {
		return poolJSON{}, err
	}
	if e.tags, err = encodePoolMap(p.Tags); err != nil {
		return poolJSON{}, err
	}
	if e.roles, err = encodePoolMap(p.Roles); err != nil {
		return poolJSON{}, err
	}
	return e, nil
}

// encodeClassicFlow stores nil (never set) as NULL.
func encodeClassicFlow(b *bool) sql.NullBool {
	if b == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *b, Valid: true}
}

func scanIdentityPool(r rowScanner) (store.IdentityPool, error) {
	var (
		p                                                                 store.IdentityPool
		classic                                                           sql.NullBool
		loginProviders, oidcARNs, cognitoProviders, samlARNs, tags, roles string
		created, updated                                                  int64
	)
	if err := r.Scan(&p.ID, &p.AccountID, &p.Name, &p.AllowUnauthenticated, &classic,
		&loginProviders, &p.DeveloperProviderName, &oidcARNs, &cognitoProviders,
		&samlARNs, &tags, &roles, &p.RoleMappings, &p.PrincipalTagMaps, &created, &updated); err != nil {
		return store.IdentityPool{}, err
	}
	var err error
	if p.SupportedLoginProviders, err = decodePoolMap(loginProviders); err != nil {
		return store.IdentityPool{}, err
	}
	if p.OpenIDConnectProviderARNs, err = decodeStrings(oidcARNs); err != nil {
		return store.IdentityPool{}, err
	}
	if p.CognitoIdentityProviders, err = decodeCognitoProviders(cognitoProviders); err != nil {
		return store.IdentityPool{}, err
	}
	if p.SAMLProviderARNs, err = decodeStrings(samlARNs); err != nil {
		return store.IdentityPool{}, err
	}
	if p.Tags, err = decodePoolMap(tags); err != nil {
		return store.IdentityPool{}, err
	}
	if p.Roles, err = decodePoolMap(roles); err != nil {
		return store.IdentityPool{}, err
	}
	if classic.Valid {
		v := classic.Bool
		p.AllowClassicFlow = &v
	}
	p.CreatedAt = decodeTime(created)
	p.UpdatedAt = decodeTime(updated)
	return p, nil
}

// CreateIdentityPool checks, in its write transaction and in this order, that the account exists
// (ErrNotFound), that the id is free (ErrAlreadyExists, so that a retried create that already
// succeeded is not reported as over the limit) and the per-account limit (ErrLimitExceeded). The
// transaction is write-locked from BEGIN on SQLite and serializable on PostgreSQL, so concurrent
// creators cannot both pass the count; the foreign and primary keys refuse what the checks let by.
func (s *Store) CreateIdentityPool(ctx context.Context, p store.IdentityPool, maxPerAccount int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create identity pool %q in account %q", p.ID, p.AccountID)
	e, err := encodePoolJSON(p)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var accounts, sameID, count int
		lo, hi := regionBounds(ids.RegionOf(p.ID))
		if err := tx.QueryRowContext(ctx, `SELECT
				(SELECT COUNT(*) FROM accounts WHERE id = $1),
				(SELECT COUNT(*) FROM identity_pools WHERE id = $2),
				(SELECT COUNT(*) FROM identity_pools WHERE account_id = $1
					AND `+s.cognitoText("id")+` >= $3 AND `+s.cognitoText("id")+` < $4)`,
			p.AccountID, p.ID, lo, hi).Scan(&accounts, &sameID, &count); err != nil {
			return err
		}
		switch {
		case accounts == 0:
			return fmt.Errorf("account %q does not exist: %w", p.AccountID, store.ErrNotFound)
		case sameID > 0:
			return fmt.Errorf("%w: the identity pool id is taken", store.ErrAlreadyExists)
		case count >= maxPerAccount:
			return fmt.Errorf("%w: the account already has %d identity pools in the region (limit %d)", store.ErrLimitExceeded, count, maxPerAccount)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO identity_pools (`+identityPoolColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			p.ID, p.AccountID, p.Name, p.AllowUnauthenticated, encodeClassicFlow(p.AllowClassicFlow),
			e.loginProviders, p.DeveloperProviderName, e.oidcARNs, e.cognitoProviders,
			e.samlARNs, e.tags, e.roles, p.RoleMappings, p.PrincipalTagMaps,
			encodeTime(p.CreatedAt), encodeTime(p.UpdatedAt))
		return err
	})
	// A foreign-key failure here means the account does not exist.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetIdentityPool(ctx context.Context, id string) (store.IdentityPool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	p, err := scanIdentityPool(s.reads().QueryRowContext(ctx,
		`SELECT `+identityPoolColumns+` FROM identity_pools WHERE id = $1`, id))
	if err != nil {
		return store.IdentityPool{}, s.mapErr(fmt.Sprintf("sqlstore: get identity pool %q", id), err, nil)
	}
	return p, nil
}

type poolFixed struct {
	id, accountID string
	created       int64
}

// UpdateIdentityPool writes UpdatedAt as the updater leaves it.
func (s *Store) UpdateIdentityPool(ctx context.Context, id string, fn func(*store.IdentityPool) error) (store.IdentityPool, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update identity pool %q", id), entity[store.IdentityPool, poolFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.IdentityPool, error) {
			return scanIdentityPool(tx.QueryRowContext(ctx, `SELECT `+identityPoolColumns+` FROM identity_pools WHERE id = $1`+s.dialect.forUpdate, id))
		},
		fixed: func(p store.IdentityPool) poolFixed { return poolFixed{p.ID, p.AccountID, encodeTime(p.CreatedAt)} },
		write: func(ctx context.Context, tx *sql.Tx, p store.IdentityPool) error {
			e, err := encodePoolJSON(p)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE identity_pools
				SET name = $2, allow_unauthenticated = $3, allow_classic_flow = $4,
					supported_login_providers = $5, developer_provider_name = $6, oidc_provider_arns = $7,
					cognito_identity_providers = $8, saml_provider_arns = $9, tags = $10, roles = $11,
					role_mappings = $12, principal_tag_maps = $13, updated_at = $14
				WHERE id = $1`,
				p.ID, p.Name, p.AllowUnauthenticated, encodeClassicFlow(p.AllowClassicFlow),
				e.loginProviders, p.DeveloperProviderName, e.oidcARNs, e.cognitoProviders,
				e.samlARNs, e.tags, e.roles, p.RoleMappings, p.PrincipalTagMaps, encodeTime(p.UpdatedAt))
			return err
		},
	}, fn)
}

// DeleteIdentityPool deletes the logins, then the identities, then the pool, in one transaction;
// the foreign keys refuse any other order.
func (s *Store) DeleteIdentityPool(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete identity pool %q", id)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM identity_pools WHERE id = $1`, id).Scan(&one); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM identity_logins WHERE pool_id = $1`,
			`DELETE FROM identities WHERE pool_id = $1`,
			`DELETE FROM identity_pools WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	// sql.ErrNoRows becomes ErrNotFound.
	return s.mapErr(op, err, store.ErrConflict)
}

// regionBounds are the ids of one region as a range in code-point order: those that start with
// "<region>:" are at least "<region>:" and below "<region>;", ';' being the code point after ':'.
// A range, unlike LIKE, has no wildcard characters to escape and is served by the index on
// (account_id, id).
func regionBounds(region string) (lo, hi string) {
	return region + ":", region + ";"
}

// ListIdentityPools treats limit <= 0 as no limit, and returns an empty page for an account without
// pools, existing or not.
func (s *Store) ListIdentityPools(ctx context.Context, accountID, region, after string, limit int) ([]store.IdentityPool, string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list identity pools of account %q in region %q", accountID, region)
	limit = pageLimit(limit)
	filter, args := "", []any{accountID, after, limit + 1}
	if region != "" {
		lo, hi := regionBounds(region)
		filter = ` AND ` + s.cognitoText("id") + ` >= $4 AND ` + s.cognitoText("id") + ` < $5`
		args = append(args, lo, hi)
	}
	out, err := queryAll(ctx, s.reads(), scanIdentityPool, `SELECT `+identityPoolColumns+` FROM identity_pools
		WHERE account_id = $1 AND `+s.cognitoText("id")+` > $2`+filter+`
		ORDER BY `+s.cognitoText("id")+`
		LIMIT $3`, args...)
	if err != nil {
		return nil, "", s.mapErr(op, err, nil)
	}
	out, next := trimPage(out, limit, func(v store.IdentityPool) string { return v.ID })
	return out, next, nil
}

// Identities.

const identityColumns = `id, pool_id, disabled, created_at, updated_at`

func scanIdentity(r rowScanner) (store.Identity, error) {
	var (
		id               store.Identity
		created, updated int64
	)
	if err := r.Scan(&id.ID, &id.PoolID, &id.Disabled, &created, &updated); err != nil {
		return store.Identity{}, err
	}
	id.CreatedAt = decodeTime(created)
	id.UpdatedAt = decodeTime(updated)
	return id, nil
}

// identityLogins checks and completes the logins of one call for identityID of poolID: an empty
// PoolID or IdentityID is filled in, a different one is refused (a caller bug, so no sentinel),
// and a login listed twice is kept once (the first, with its CreatedAt).
func identityLogins(poolID, identityID string, logins []store.IdentityLogin) ([]store.IdentityLogin, error) {
	seen := make(map[loginKey]bool, len(logins))
	out := make([]store.IdentityLogin, 0, len(logins))
	for _, l := range logins {
		if l.PoolID != "" && l.PoolID != poolID {
			return nil, fmt.Errorf("login %q/%q names pool %q, but identity %q belongs to pool %q",
				l.Provider, l.Subject, l.PoolID, identityID, poolID)
		}
		if l.IdentityID != "" && l.IdentityID != identityID {
			return nil, fmt.Errorf("login %q/%q names identity %q, not %q", l.Provider, l.Subject, l.IdentityID, identityID)
		}
		k := loginKey{l.Provider, l.Subject}
		if seen[k] {
			continue
		}
		seen[k] = true
		l.PoolID, l.IdentityID = poolID, identityID
		out = append(out, l)
	}
	return out, nil
}

const insertLoginSQL = `INSERT INTO identity_logins
	(pool_id, provider, subject, identity_id, created_at) VALUES ($1, $2, $3, $4, $5)`

// insertLogins inserts links inside tx. The primary key refuses a login linked already; the
// driver error stays in the chain (wrapped with the login) so that retry and mapErr classify it.
func insertLogins(ctx context.Context, tx execer, logins []store.IdentityLogin) error {
	for _, l := range logins {
		if _, err := tx.ExecContext(ctx, insertLoginSQL,
			l.PoolID, l.Provider, l.Subject, l.IdentityID, encodeTime(l.CreatedAt)); err != nil {
			return fmt.Errorf("link login %q/%q: %w", l.Provider, l.Subject, err)
		}
	}
	return nil
}

// CreateIdentity relies on the primary key of identity_logins: of concurrent callers linking one
// login, exactly one commits and the others' identities roll back with their inserts.
func (s *Store) CreateIdentity(ctx context.Context, id store.Identity, logins []store.IdentityLogin) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create identity %q in pool %q", id.ID, id.PoolID)
	logins, err := identityLogins(id.PoolID, id.ID, logins)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if s.dialect.name == sqliteDialect.name {
		err = s.createIdentityGrouped(ctx, &identityInsert{id: id, logins: logins})
	} else {
		err = s.inTx(ctx, func(tx *sql.Tx) error { return insertIdentity(ctx, tx, id, logins) })
	}
	// A unique violation is a login linked already (or, improbably, a taken identity id); a
	// foreign-key failure means the pool does not exist.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetIdentity(ctx context.Context, id string) (store.Identity, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	i, err := scanIdentity(s.reads().QueryRowContext(ctx, `SELECT `+identityColumns+` FROM identities WHERE id = $1`, id))
	if err != nil {
		return store.Identity{}, s.mapErr(fmt.Sprintf("sqlstore: get identity %q", id), err, nil)
	}
	return i, nil
}

// ListIdentities treats limit <= 0 as no limit, and returns an empty page for a pool without
// identities, existing or not.
func (s *Store) ListIdentities(ctx context.Context, poolID string, hideDisabled bool, after string, limit int) ([]store.Identity, string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list identities of pool %q", poolID)
	limit = pageLimit(limit)
	filter, args := "", []any{poolID, after, limit + 1}
	if hideDisabled {
		filter, args = ` AND disabled = $4`, append(args, false)
	}
	out, err := queryAll(ctx, s.reads(), scanIdentity, `SELECT `+identityColumns+` FROM identities
		WHERE pool_id = $1 AND `+s.cognitoText("id")+` > $2`+filter+`
		ORDER BY `+s.cognitoText("id")+`
		LIMIT $3`, args...)
	if err != nil {
		return nil, "", s.mapErr(op, err, nil)
	}
	out, next := trimPage(out, limit, func(v store.Identity) string { return v.ID })
	return out, next, nil
}

// DeleteIdentity deletes the logins, then the identity, in one transaction.
func (s *Store) DeleteIdentity(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete identity %q", id)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM identity_logins WHERE identity_id = $1`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM identities WHERE id = $1`, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
	return s.mapErr(op, err, store.ErrConflict)
}

// Logins.

const identityLoginColumns = `pool_id, identity_id, provider, subject, created_at`

func scanIdentityLogin(r rowScanner) (store.IdentityLogin, error) {
	var (
		l       store.IdentityLogin
		created int64
	)
	if err := r.Scan(&l.PoolID, &l.IdentityID, &l.Provider, &l.Subject, &created); err != nil {
		return store.IdentityLogin{}, err
	}
	l.CreatedAt = decodeTime(created)
	return l, nil
}

func (s *Store) FindLogin(ctx context.Context, poolID, provider, subject string) (store.IdentityLogin, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	l, err := scanIdentityLogin(s.reads().QueryRowContext(ctx, `SELECT `+identityLoginColumns+` FROM identity_logins
		WHERE pool_id = $1 AND provider = $2 AND subject = $3`, poolID, provider, subject))
	if err != nil {
		return store.IdentityLogin{}, s.mapErr(fmt.Sprintf("sqlstore: find login %q/%q in pool %q", provider, subject, poolID), err, nil)
	}
	return l, nil
}

// ListLogins returns an empty list for an identity without logins, existing or not.
func (s *Store) ListLogins(ctx context.Context, identityID string) ([]store.IdentityLogin, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out, err := s.loginsOf(ctx, s.reads(), identityID)
	if err != nil {
		return nil, s.mapErr(fmt.Sprintf("sqlstore: list logins of identity %q", identityID), err, nil)
	}
	return out, nil
}

// loginsOf reads an identity's logins ordered by provider then subject.
func (s *Store) loginsOf(ctx context.Context, q queryer, identityID string) ([]store.IdentityLogin, error) {
	return queryAll(ctx, q, scanIdentityLogin, `SELECT `+identityLoginColumns+` FROM identity_logins
		WHERE identity_id = $1
		ORDER BY `+s.cognitoText("provider")+`, `+s.cognitoText("subject"), identityID)
}

// lockIdentity reads an identity inside tx, locking its row for the rest of the transaction (see
// dialect.forUpdate); ErrNotFound when the identity does not exist. Every transaction that links
// logins to an identity, moves them or unlinks them reads the identity this way first, so they
// queue on the row and none of them acts on a state another is changing: a link cannot slip in
// between the unlink of an identity's last login and its disabling, nor between a LinkCheck and
// the link it allowed.
func (s *Store) lockIdentity(ctx context.Context, tx *sql.Tx, identityID string) (store.Identity, error) {
	id, err := scanIdentity(tx.QueryRowContext(ctx, `SELECT `+identityColumns+` FROM identities WHERE id = $1`+s.dialect.forUpdate, identityID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Identity{}, fmt.Errorf("identity %q does not exist: %w", identityID, store.ErrNotFound)
	}
	return id, err
}

// lockIdentityWithLogins is lockIdentity that also reads the identity's logins, in ListLogins'
// order.
func (s *Store) lockIdentityWithLogins(ctx context.Context, tx *sql.Tx, identityID string) (store.IdentityWithLogins, error) {
	id, err := s.lockIdentity(ctx, tx, identityID)
	if err != nil {
		return store.IdentityWithLogins{}, err
	}
	return s.withLogins(ctx, tx, id)
}

// withLogins reads the logins of an identity that tx has read (and locked) already.
func (s *Store) withLogins(ctx context.Context, tx *sql.Tx, id store.Identity) (store.IdentityWithLogins, error) {
	logins, err := s.loginsOf(ctx, tx, id.ID)
	if err != nil {
		return store.IdentityWithLogins{}, err
	}
	return store.IdentityWithLogins{Identity: id, Logins: logins}, nil
}

// LinkLogins answers, in this order: ErrNotFound for a missing identity, ErrIdentityDisabled for a
// disabled one, check's refusal, a plain error for a login naming another pool or identity, then
// linkLogins' errors. The identity's UpdatedAt is left alone: the call carries no time of change
// (each link keeps its own CreatedAt).
func (s *Store) LinkLogins(ctx context.Context, identityID string, logins []store.IdentityLogin, onePerProvider []string, check store.LinkCheck) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: link %d logins to identity %q", len(logins), identityID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ident, err := s.lockIdentity(ctx, tx, identityID)
		if err != nil {
			return err
		}
		if ident.Disabled {
			return fmt.Errorf("identity %q: %w", identityID, store.ErrIdentityDisabled)
		}
		if check != nil {
			cur, err := s.withLogins(ctx, tx, ident)
			if err != nil {
				return err
			}
			if err := check(cur); err != nil {
				return updaterError{err}
			}
		}
		return s.linkLogins(ctx, tx, ident.PoolID, identityID, logins, onePerProvider)
	})
	// check's refusal comes back as it is (an updater's error, see updateErr). A unique violation
	// means a concurrent caller linked a login first; a foreign-key failure that the identity
	// vanished, which the check above already reports.
	return s.updateErr(op, err, store.ErrNotFound)
}

// linkLogins links logins to identityID of poolID inside tx, whose row the caller locked. It
// answers a plain error for a login naming another pool or identity, ErrAlreadyExists for a login
// linked to another identity, then ErrConflict for a second subject of a provider in
// onePerProvider (against the identity's links and within logins). Logins already linked to this
// identity are skipped, so they never conflict; nothing is written unless every login passes.
func (s *Store) linkLogins(ctx context.Context, tx *sql.Tx, poolID, identityID string, logins []store.IdentityLogin, onePerProvider []string) error {
	all, err := identityLogins(poolID, identityID, logins)
	if err != nil {
		return err
	}
	var fresh []store.IdentityLogin
	for _, l := range all {
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT identity_id FROM identity_logins
			WHERE pool_id = $1 AND provider = $2 AND subject = $3`, poolID, l.Provider, l.Subject).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			fresh = append(fresh, l)
		case err != nil:
			return err
		case owner != identityID:
			return fmt.Errorf("%w: login %q/%q is linked to identity %q", store.ErrAlreadyExists, l.Provider, l.Subject, owner)
		}
	}
	batch := make(map[string]string)
	for _, l := range fresh {
		if !slices.Contains(onePerProvider, l.Provider) {
			continue
		}
		if other, ok := batch[l.Provider]; ok {
			return fmt.Errorf("%w: two logins of provider %q (%q and %q)", store.ErrConflict, l.Provider, other, l.Subject)
		}
		batch[l.Provider] = l.Subject
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM identity_logins
			WHERE identity_id = $1 AND provider = $2 AND subject <> $3`,
			identityID, l.Provider, l.Subject).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: the identity already has a login of provider %q", store.ErrConflict, l.Provider)
		}
	}
	return insertLogins(ctx, tx, fresh)
}

type loginKey struct{ provider, subject string }

// UpdateIdentity runs the identity's updater with the identity row locked (see lockIdentity),
// deletes the logins fn removed and writes Disabled and UpdatedAt, all in one transaction.
func (s *Store) UpdateIdentity(ctx context.Context, id string, fn func(*store.IdentityWithLogins) error) (store.IdentityWithLogins, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: update identity %q", id)
	var out store.IdentityWithLogins
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := s.lockIdentityWithLogins(ctx, tx, id)
		if err != nil {
			return err
		}
		cur := before
		cur.Logins = slices.Clone(before.Logins)
		if err := fn(&cur); err != nil {
			return updaterError{err}
		}
		if cur.ID != before.ID || cur.PoolID != before.PoolID || !cur.CreatedAt.Equal(before.CreatedAt) || (before.Disabled && !cur.Disabled) {
			return errFixedField
		}
		had := make(map[loginKey]store.IdentityLogin, len(before.Logins))
		for _, l := range before.Logins {
			had[loginKey{l.Provider, l.Subject}] = l
		}
		kept := make(map[loginKey]bool, len(cur.Logins))
		for _, l := range cur.Logins {
			k := loginKey{l.Provider, l.Subject}
			old, ok := had[k]
			if !ok || kept[k] || l.PoolID != old.PoolID || l.IdentityID != old.IdentityID || !l.CreatedAt.Equal(old.CreatedAt) {
				return errFixedField
			}
			kept[k] = true
		}
		for _, l := range before.Logins {
			if kept[loginKey{l.Provider, l.Subject}] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM identity_logins
				WHERE pool_id = $1 AND provider = $2 AND subject = $3 AND identity_id = $4`,
				l.PoolID, l.Provider, l.Subject, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE identities SET disabled = $2, updated_at = $3 WHERE id = $1`,
			id, cur.Disabled, encodeTime(cur.UpdatedAt)); err != nil {
			return err
		}
		out, err = s.lockIdentityWithLogins(ctx, tx, id)
		return err
	})
	if err != nil {
		return store.IdentityWithLogins{}, s.updateErr(op, err, nil)
	}
	return out, nil
}

// MergeIdentities locks the rows of the winner and of the losers in the order of their ids, so that
// two merges of the same identities in opposite roles queue on each other instead of deadlocking,
// and answers, in this order: ErrNotFound when one of them is missing or a loser belongs to another
// pool, ErrIdentityDisabled when the winner is disabled, m.Check's refusal, then linkLogins' errors
// for m.Link. Nothing changes unless all pass. The store does not check the moved logins against
// any one-per-provider rule (m.Check decides what may be merged). Every identity involved gets
// UpdatedAt = m.At.
func (s *Store) MergeIdentities(ctx context.Context, m store.Merge) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: merge identities %q into %q", m.LoserIDs, m.WinnerID)
	var losers []string
	for _, l := range m.LoserIDs {
		if l != m.WinnerID && !slices.Contains(losers, l) {
			losers = append(losers, l)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows := make(map[string]store.Identity, len(losers)+1)
		for _, id := range slices.Sorted(slices.Values(append([]string{m.WinnerID}, losers...))) {
			ident, err := s.lockIdentity(ctx, tx, id)
			if err != nil {
				return err
			}
			rows[id] = ident
		}
		poolID := rows[m.WinnerID].PoolID
		for _, loser := range losers {
			if p := rows[loser].PoolID; p != poolID {
				return fmt.Errorf("identity %q belongs to pool %q, not to the winner's pool %q: %w", loser, p, poolID, store.ErrNotFound)
			}
		}
		if rows[m.WinnerID].Disabled {
			return fmt.Errorf("identity %q: %w", m.WinnerID, store.ErrIdentityDisabled)
		}
		if m.Check != nil {
			winner, err := s.withLogins(ctx, tx, rows[m.WinnerID])
			if err != nil {
				return err
			}
			cur := make([]store.IdentityWithLogins, len(losers))
			for i, loser := range losers {
				if cur[i], err = s.withLogins(ctx, tx, rows[loser]); err != nil {
					return err
				}
			}
			if err := m.Check(winner, cur); err != nil {
				return updaterError{err}
			}
		}
		for _, loser := range losers {
			if _, err := tx.ExecContext(ctx, `UPDATE identity_logins SET identity_id = $1 WHERE identity_id = $2`,
				m.WinnerID, loser); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE identities SET disabled = $2, updated_at = $3 WHERE id = $1`,
				loser, true, encodeTime(m.At)); err != nil {
				return err
			}
		}
		if err := s.linkLogins(ctx, tx, poolID, m.WinnerID, m.Link, m.OnePerProvider); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE identities SET updated_at = $2 WHERE id = $1`, m.WinnerID, encodeTime(m.At))
		return err
	})
	// m.Check's refusal comes back as it is (see updateErr).
	return s.updateErr(op, err, store.ErrNotFound)
}

// ListLoginSubjects treats limit <= 0 as no limit, and returns an empty page when the identity has
// no login of the provider, or does not exist.
func (s *Store) ListLoginSubjects(ctx context.Context, identityID, provider, after string, limit int) ([]string, string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list %q subjects of identity %q", provider, identityID)
	limit = pageLimit(limit)
	out, err := queryAll(ctx, s.reads(), scanString, `SELECT subject FROM identity_logins
		WHERE identity_id = $1 AND provider = $2 AND `+s.cognitoText("subject")+` > $3
		ORDER BY `+s.cognitoText("subject")+`
		LIMIT $4`,
		identityID, provider, after, limit+1)
	if err != nil {
		return nil, "", s.mapErr(op, err, nil)
	}
	out, next := trimPage(out, limit, func(subject string) string { return subject })
	return out, next, nil
}
