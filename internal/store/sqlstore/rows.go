package sqlstore

import (
	"context"
	"database/sql"
)

// rowScanner is what a single-row query (*sql.Row, the read pool's retried row) and a multi-row
// result (*sql.Rows) have in common, so that one scan function per table serves both.
type rowScanner interface{ Scan(dest ...any) error }

// queryer runs a query on the read pool (retried, see readPool) or inside a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs query and scans every row with scan. The rows are closed before it returns, so a
// caller inside a transaction can go on using it; an empty result is a nil slice. Errors are
// returned as the driver gave them, for the caller to map once with the operation's name.
func queryAll[T any](ctx context.Context, q queryer, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// scanString scans a single text column.
func scanString(r rowScanner) (string, error) {
	var v string
	err := r.Scan(&v)
	return v, err
}

// trimPage cuts the look-ahead row that list queries fetch beyond limit (LIMIT limit+1) and, when
// it was there, returns the key of the page's last item as the marker of the next page.
func trimPage[T any](items []T, limit int, key func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, key(items[limit-1])
}
