package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

// providerTable names a provider table; the values are constants, so they are safe to splice into
// a query.
type providerTable string

const (
	oidcProviders providerTable = "oidc_providers"
	samlProviders providerTable = "saml_providers"
)

// checkProviderCreate runs the checks of a provider create inside its write transaction, in the
// order the errors take precedence: a missing account (ErrNotFound), an existing ARN
// (ErrAlreadyExists, so that a retried create that already succeeded is not reported as over the
// limit), then the per-account limit (ErrLimitExceeded). The transaction is write-locked from BEGIN
// on SQLite and serializable on PostgreSQL, so concurrent creators cannot both pass the count; the
// foreign key and the primary key still refuse what the checks let through.
func checkProviderCreate(ctx context.Context, tx *sql.Tx, table providerTable, accountID, arn string, maxPerAccount int) error {
	var accounts, sameARN, count int
	if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM accounts WHERE id = $1),
			(SELECT COUNT(*) FROM `+string(table)+` WHERE arn = $2),
			(SELECT COUNT(*) FROM `+string(table)+` WHERE account_id = $1)`,
		accountID, arn).Scan(&accounts, &sameARN, &count); err != nil {
		return err
	}
	switch {
	case accounts == 0:
		return fmt.Errorf("account %q does not exist: %w", accountID, store.ErrNotFound)
	case sameARN > 0:
		return fmt.Errorf("%w: the ARN is taken", store.ErrAlreadyExists)
	case count >= maxPerAccount:
		return fmt.Errorf("%w: the account already has %d providers (limit %d)", store.ErrLimitExceeded, count, maxPerAccount)
	}
	return nil
}

// OIDC providers.

const oidcColumns = `account_id, arn, url, client_ids, thumbprints, tags, created_at`

func scanOIDCProvider(r rowScanner) (store.OIDCProvider, error) {
	var (
		p                            store.OIDCProvider
		clientIDs, thumbprints, tags string
		created                      int64
	)
	if err := r.Scan(&p.AccountID, &p.ARN, &p.URL, &clientIDs, &thumbprints, &tags, &created); err != nil {
		return store.OIDCProvider{}, err
	}
	var err error
	if p.ClientIDs, err = decodeStrings(clientIDs); err != nil {
		return store.OIDCProvider{}, err
	}
	if p.Thumbprints, err = decodeStrings(thumbprints); err != nil {
		return store.OIDCProvider{}, err
	}
	if p.Tags, err = decodeTags(tags); err != nil {
		return store.OIDCProvider{}, err
	}
	p.CreatedAt = decodeTime(created)
	return p, nil
}

// encodeOIDCLists encodes the three lists an OIDC provider's updater may change.
func encodeOIDCLists(p store.OIDCProvider) (clientIDs, thumbprints, tags string, err error) {
	if clientIDs, err = encodeStrings(p.ClientIDs); err != nil {
		return "", "", "", err
	}
	if thumbprints, err = encodeStrings(p.Thumbprints); err != nil {
		return "", "", "", err
	}
	if tags, err = encodeTags(p.Tags); err != nil {
		return "", "", "", err
	}
	return clientIDs, thumbprints, tags, nil
}

func (s *Store) CreateOIDCProvider(ctx context.Context, p store.OIDCProvider, maxPerAccount int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create OIDC provider %q in account %q", p.ARN, p.AccountID)
	clientIDs, thumbprints, tags, err := encodeOIDCLists(p)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkProviderCreate(ctx, tx, oidcProviders, p.AccountID, p.ARN, maxPerAccount); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_providers (`+oidcColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			p.AccountID, p.ARN, p.URL, clientIDs, thumbprints, tags, encodeTime(p.CreatedAt))
		return err
	})
	// A foreign-key failure here means the account does not exist.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetOIDCProvider(ctx context.Context, arn string) (store.OIDCProvider, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	p, err := scanOIDCProvider(s.reads().QueryRowContext(ctx,
		`SELECT `+oidcColumns+` FROM oidc_providers WHERE arn = $1`, arn))
	if err != nil {
		return store.OIDCProvider{}, s.mapErr(fmt.Sprintf("sqlstore: get OIDC provider %q", arn), err, nil)
	}
	return p, nil
}

// ListOIDCProviders returns an empty list for an account without providers, existing or not.
func (s *Store) ListOIDCProviders(ctx context.Context, accountID string) ([]store.OIDCProvider, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list OIDC providers of account %q", accountID)
	out, err := queryAll(ctx, s.reads(), scanOIDCProvider, `SELECT `+oidcColumns+` FROM oidc_providers
		WHERE account_id = $1
		ORDER BY arn`+s.dialect.textOrder, accountID)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

type oidcFixed struct {
	accountID, arn, url string
	created             int64
}

func (s *Store) UpdateOIDCProvider(ctx context.Context, arn string, fn func(*store.OIDCProvider) error) (store.OIDCProvider, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update OIDC provider %q", arn), entity[store.OIDCProvider, oidcFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.OIDCProvider, error) {
			return scanOIDCProvider(tx.QueryRowContext(ctx, `SELECT `+oidcColumns+` FROM oidc_providers WHERE arn = $1`+s.dialect.forUpdate, arn))
		},
		fixed: func(p store.OIDCProvider) oidcFixed {
			return oidcFixed{p.AccountID, p.ARN, p.URL, encodeTime(p.CreatedAt)}
		},
		write: func(ctx context.Context, tx *sql.Tx, p store.OIDCProvider) error {
			clientIDs, thumbprints, tags, err := encodeOIDCLists(p)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE oidc_providers SET client_ids = $2, thumbprints = $3, tags = $4
				WHERE arn = $1`, p.ARN, clientIDs, thumbprints, tags)
			return err
		},
	}, fn)
}

func (s *Store) DeleteOIDCProvider(ctx context.Context, arn string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: delete OIDC provider %q", arn),
		`DELETE FROM oidc_providers WHERE arn = $1`, arn)
}

// SAML providers.

const samlColumns = `account_id, arn, name, uuid, metadata_document, valid_until,
	assertion_encryption_mode, tags, created_at`

func scanSAMLProvider(r rowScanner) (store.SAMLProvider, error) {
	var (
		p          store.SAMLProvider
		validUntil sql.NullInt64
		tags       string
		created    int64
	)
	if err := r.Scan(&p.AccountID, &p.ARN, &p.Name, &p.UUID, &p.MetadataDocument, &validUntil,
		&p.AssertionEncryptionMode, &tags, &created); err != nil {
		return store.SAMLProvider{}, err
	}
	var err error
	if p.Tags, err = decodeTags(tags); err != nil {
		return store.SAMLProvider{}, err
	}
	p.ValidUntil = decodeOptionalTime(validUntil)
	p.CreatedAt = decodeTime(created)
	return p, nil
}

func (s *Store) CreateSAMLProvider(ctx context.Context, p store.SAMLProvider, maxPerAccount int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create SAML provider %q in account %q", p.ARN, p.AccountID)
	tags, err := encodeTags(p.Tags)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkProviderCreate(ctx, tx, samlProviders, p.AccountID, p.ARN, maxPerAccount); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO saml_providers (`+samlColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			p.AccountID, p.ARN, p.Name, p.UUID, p.MetadataDocument, encodeOptionalTime(p.ValidUntil),
			p.AssertionEncryptionMode, tags, encodeTime(p.CreatedAt))
		return err
	})
	// A unique violation here is the UUID (or the name under another spelling of the ARN); a
	// foreign-key failure means the account does not exist.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetSAMLProvider(ctx context.Context, arn string) (store.SAMLProvider, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	p, err := scanSAMLProvider(s.reads().QueryRowContext(ctx,
		`SELECT `+samlColumns+` FROM saml_providers WHERE arn = $1`, arn))
	if err != nil {
		return store.SAMLProvider{}, s.mapErr(fmt.Sprintf("sqlstore: get SAML provider %q", arn), err, nil)
	}
	return p, nil
}

// ListSAMLProviders orders by ARN and returns whole providers, metadata documents included, as the
// contract's type says; an empty list for an account without providers, existing or not.
func (s *Store) ListSAMLProviders(ctx context.Context, accountID string) ([]store.SAMLProvider, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list SAML providers of account %q", accountID)
	out, err := queryAll(ctx, s.reads(), scanSAMLProvider, `SELECT `+samlColumns+` FROM saml_providers
		WHERE account_id = $1
		ORDER BY arn`+s.dialect.textOrder, accountID)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

type samlFixed struct {
	accountID, arn, name, uuid string
	created                    int64
}

func (s *Store) UpdateSAMLProvider(ctx context.Context, arn string, fn func(*store.SAMLProvider) error) (store.SAMLProvider, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update SAML provider %q", arn), entity[store.SAMLProvider, samlFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.SAMLProvider, error) {
			return scanSAMLProvider(tx.QueryRowContext(ctx, `SELECT `+samlColumns+` FROM saml_providers WHERE arn = $1`+s.dialect.forUpdate, arn))
		},
		fixed: func(p store.SAMLProvider) samlFixed {
			return samlFixed{p.AccountID, p.ARN, p.Name, p.UUID, encodeTime(p.CreatedAt)}
		},
		write: func(ctx context.Context, tx *sql.Tx, p store.SAMLProvider) error {
			tags, err := encodeTags(p.Tags)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE saml_providers
				SET metadata_document = $2, valid_until = $3, assertion_encryption_mode = $4, tags = $5
				WHERE arn = $1`,
				p.ARN, p.MetadataDocument, encodeOptionalTime(p.ValidUntil), p.AssertionEncryptionMode, tags)
			return err
		},
	}, fn)
}

func (s *Store) DeleteSAMLProvider(ctx context.Context, arn string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: delete SAML provider %q", arn),
		`DELETE FROM saml_providers WHERE arn = $1`, arn)
}

// Outbound web identity federation.

func scanOutbound(r rowScanner, accountID string) (store.OutboundFederation, error) {
	f := store.OutboundFederation{AccountID: accountID}
	var updated int64
	if err := r.Scan(&f.IssuerIdentifier, &f.Enabled, &updated); err != nil {
		return store.OutboundFederation{}, err
	}
	f.UpdatedAt = decodeTime(updated)
	return f, nil
}

const outboundSelect = `SELECT issuer_identifier, enabled, updated_at FROM outbound_federation WHERE account_id = $1`

func (s *Store) GetOutboundFederation(ctx context.Context, accountID string) (store.OutboundFederation, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	f, err := scanOutbound(s.reads().QueryRowContext(ctx, outboundSelect, accountID), accountID)
	if err != nil {
		return store.OutboundFederation{}, s.mapErr(fmt.Sprintf("sqlstore: get outbound federation of account %q", accountID), err, nil)
	}
	return f, nil
}

// UpdateOutboundFederation is an updater that may create its row. A missing row cannot be locked
// on PostgreSQL, so two first enables can both read "none"; the serializable transaction then
// fails one of them at its insert or commit, and its rerun sees the other's row.
func (s *Store) UpdateOutboundFederation(ctx context.Context, accountID string, fn func(*store.OutboundFederation, bool) error) (store.OutboundFederation, error) {
	found := false
	return update(ctx, s, fmt.Sprintf("sqlstore: update outbound federation of account %q", accountID), entity[store.OutboundFederation, string]{
		read: func(ctx context.Context, tx *sql.Tx) (store.OutboundFederation, error) {
			f, err := scanOutbound(tx.QueryRowContext(ctx, outboundSelect+s.dialect.forUpdate, accountID), accountID)
			found = err == nil
			if errors.Is(err, sql.ErrNoRows) {
				return store.OutboundFederation{AccountID: accountID}, nil
			}
			return f, err
		},
		fixed: func(f store.OutboundFederation) string { return f.AccountID },
		write: func(ctx context.Context, tx *sql.Tx, f store.OutboundFederation) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO outbound_federation
				(account_id, issuer_identifier, enabled, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (account_id) DO UPDATE SET issuer_identifier = excluded.issuer_identifier,
					enabled = excluded.enabled, updated_at = excluded.updated_at`,
				f.AccountID, f.IssuerIdentifier, f.Enabled, encodeTime(f.UpdatedAt))
			return err
		},
		// A foreign-key failure means the account does not exist.
		fkErr: store.ErrNotFound,
	}, func(f *store.OutboundFederation) error { return fn(f, found) })
}
