package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var _ store.IssuanceStore = (*Store)(nil)

// Recent credential issuances (00011_issuances.sql).

const issuanceColumns = `request_id, time, account_id, principal_arn, service, operation, action, role_arn, session_arn,
	source_identity, access_key_id, expiration, source_ip`

func scanIssuance(r rowScanner) (store.Issuance, error) {
	var (
		i          store.Issuance
		at, expire int64
		action     string
	)
	if err := r.Scan(&i.RequestID, &at, &i.AccountID, &i.PrincipalARN, &i.Service, &i.Operation, &action, &i.RoleARN,
		&i.SessionARN, &i.SourceIdentity, &i.AccessKeyID, &expire, &i.SourceIP); err != nil {
		return store.Issuance{}, err
	}
	i.Time, i.Expiration = decodeTime(at), decodeTime(expire)
	return i, nil
}

// PutIssuances writes a batch in one transaction; ids already stored are skipped.
func (s *Store) PutIssuances(ctx context.Context, is []store.Issuance) error {
	if len(is) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO issuances (`+issuanceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (request_id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, i := range is {
			if _, err := stmt.ExecContext(ctx, i.RequestID, encodeTime(i.Time), i.AccountID, i.PrincipalARN, i.Service, i.Operation,
				i.Service+":"+i.Operation, i.RoleARN, i.SessionARN, i.SourceIdentity, i.AccessKeyID, encodeTime(i.Expiration), i.SourceIP); err != nil {
				return err
			}
		}
		return nil
	})
	return s.mapErr("sqlstore: record issuances", err, nil)
}

func (s *Store) ListIssuances(ctx context.Context, f store.IssuanceFilter) ([]store.Issuance, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out, err := queryAll(ctx, s.reads(), scanIssuance, s.recentQuery("issuances", issuanceColumns),
		f.AccountID, encodeTime(f.Since), f.Principal, likePattern(f.Action), pageLimit(f.Limit))
	if err != nil {
		return nil, s.mapErr("sqlstore: list issuances", err, nil)
	}
	return out, nil
}

func (s *Store) PruneIssuances(ctx context.Context, olderThan time.Time, keep int) (int64, error) {
	n, err := s.prune(ctx, "issuances", olderThan, keep)
	if err != nil {
		return 0, s.mapErr("sqlstore: prune issuances", err, nil)
	}
	return n, nil
}
