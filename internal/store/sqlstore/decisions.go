package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var _ store.DecisionStore = (*Store)(nil)

// Recent refusals (00007_decisions.sql).

const decisionColumns = `request_id, time, account_id, resource_account, principal_arn, service, operation, action,
	error_code, explanation`

func scanDecision(r rowScanner) (store.Decision, error) {
	var (
		d           store.Decision
		at          int64
		explanation string
	)
	if err := r.Scan(&d.RequestID, &at, &d.AccountID, &d.ResourceAccount, &d.PrincipalARN, &d.Service, &d.Operation,
		&d.Action, &d.ErrorCode, &explanation); err != nil {
		return store.Decision{}, err
	}
	d.Time = decodeTime(at)
	d.Explanation = []byte(explanation)
	return d, nil
}

// PutDecisions writes a batch in one transaction; ids already stored are skipped.
func (s *Store) PutDecisions(ctx context.Context, ds []store.Decision) error {
	if len(ds) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, insertDecision+` ON CONFLICT (request_id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, d := range ds {
			if _, err := stmt.ExecContext(ctx, decisionArgs(d)...); err != nil {
				return err
			}
		}
		return nil
	})
	return s.mapErr("sqlstore: record decisions", err, nil)
}

const insertDecision = `INSERT INTO decisions (` + decisionColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

// decisionArgs are d's values in decisionColumns' order; an empty explanation is stored as {}.
func decisionArgs(d store.Decision) []any {
	explanation := string(d.Explanation)
	if explanation == "" {
		explanation = "{}"
	}
	return []any{d.RequestID, encodeTime(d.Time), d.AccountID, d.ResourceAccount, d.PrincipalARN, d.Service, d.Operation, d.Action,
		d.ErrorCode, explanation}
}

func (s *Store) GetDecision(ctx context.Context, requestID string) (store.Decision, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	d, err := scanDecision(s.reads().QueryRowContext(ctx, `SELECT `+decisionColumns+` FROM decisions WHERE request_id = $1`, requestID))
	if err != nil {
		return store.Decision{}, s.mapErr(fmt.Sprintf("sqlstore: get decision %q", requestID), err, nil)
	}
	return d, nil
}

func (s *Store) ListDecisions(ctx context.Context, f store.DecisionFilter) ([]store.Decision, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out, err := queryAll(ctx, s.reads(), scanDecision, s.recentQuery("decisions", decisionColumns),
		f.AccountID, encodeTime(f.Since), f.Principal, likePattern(f.Action), pageLimit(f.Limit))
	if err != nil {
		return nil, s.mapErr("sqlstore: list decisions", err, nil)
	}
	return out, nil
}

// recentQuery selects columns of table (decisions or issuances: constants, never input), newest
// first, with the filters of store.DecisionFilter and store.IssuanceFilter as $1 account, $2 since,
// $3 principal, $4 action (a likePattern) and $5 limit.
func (s *Store) recentQuery(table, columns string) string {
	return `SELECT ` + columns + ` FROM ` + table + `
		WHERE ($1 = '' OR account_id = $1) AND time >= $2 AND ($3 = '' OR principal_arn = $3)
			AND ($4 = '' OR lower(action) LIKE $4 ESCAPE '\')
		ORDER BY time DESC, request_id` + s.dialect.textOrder + ` DESC
		LIMIT $5`
}

// likePattern turns an IAM-style pattern (* and ?) into a lower-cased LIKE pattern with \ as
// the escape character; "" stays "" (no filter).
func likePattern(glob string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(glob) {
		switch r {
		case '\\', '%', '_':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (s *Store) PruneDecisions(ctx context.Context, olderThan time.Time, keep int) (int64, error) {
	n, err := s.prune(ctx, "decisions", olderThan, keep)
	if err != nil {
		return 0, s.mapErr("sqlstore: prune decisions", err, nil)
	}
	return n, nil
}

// prune deletes the rows of table (decisions or issuances: a constant, never input) by age, then
// by count (everything older than the keep-th newest time), in one transaction.
func (s *Store) prune(ctx context.Context, table string, olderThan time.Time, keep int) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var deleted int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		deleted = 0
		res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE time < $1`, encodeTime(olderThan))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		deleted += n
		if keep <= 0 {
			return nil
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM `+table+`
			WHERE time < (SELECT time FROM `+table+` ORDER BY time DESC LIMIT 1 OFFSET $1)`, keep-1)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		deleted += n
		return nil
	})
	return deleted, err
}
