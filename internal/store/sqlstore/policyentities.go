package sqlstore

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

// policyEntitiesQuery selects the users, roles and groups of an account ($1) that have the policy
// ($2) attached ($5 = 1) or as their permissions boundary ($6 = 1), of one kind ($4, empty for
// all) and under a path prefix ($3, compared byte for byte: IAM paths may hold % and _).
const policyEntitiesQuery = `SELECT e.kind, e.id, e.name, e.path FROM (
	SELECT 0 AS rank, 'user' AS kind, u.user_id AS id, u.user_name AS name, u.path AS path, u.user_name_lower AS name_lower
	FROM users u WHERE u.account_id = $1 AND (
		($5 = 1 AND EXISTS (SELECT 1 FROM attachments a WHERE a.policy_arn = $2 AND a.user_id = u.user_id))
		OR ($6 = 1 AND u.permissions_boundary = $2))
	UNION ALL
	SELECT 1, 'role', r.role_id, r.role_name, r.path, r.role_name_lower
	FROM roles r WHERE r.account_id = $1 AND (
		($5 = 1 AND EXISTS (SELECT 1 FROM attachments a WHERE a.policy_arn = $2 AND a.role_id = r.role_id))
		OR ($6 = 1 AND r.permissions_boundary = $2))
	UNION ALL
	SELECT 2, 'group', g.group_id, g.group_name, g.path, g.group_name_lower
	FROM iam_groups g WHERE g.account_id = $1 AND
		$5 = 1 AND EXISTS (SELECT 1 FROM attachments a WHERE a.policy_arn = $2 AND a.group_id = g.group_id)
) e
WHERE substr(e.path, 1, length(CAST($3 AS TEXT))) = CAST($3 AS TEXT) AND (CAST($4 AS TEXT) = '' OR e.kind = CAST($4 AS TEXT))
ORDER BY e.rank, e.name_lower%[1]s, e.id%[1]s`

// ListPolicyEntities lists the entities of account that use the policy as q selects.
func (s *Store) ListPolicyEntities(ctx context.Context, account, arn string, q store.PolicyEntityQuery) ([]store.PolicyEntity, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	flag := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	out, err := queryAll(ctx, s.reads(), scanPolicyEntity, fmt.Sprintf(policyEntitiesQuery, s.dialect.textOrder),
		account, arn, q.PathPrefix, string(q.Kind), flag(q.Attached), flag(q.Boundary))
	if err != nil {
		return nil, s.mapErr(fmt.Sprintf("sqlstore: list entities using managed policy %q", arn), err, nil)
	}
	return out, nil
}

func scanPolicyEntity(r rowScanner) (store.PolicyEntity, error) {
	var (
		e    store.PolicyEntity
		kind string
	)
	if err := r.Scan(&kind, &e.ID, &e.Name, &e.Path); err != nil {
		return store.PolicyEntity{}, err
	}
	e.Kind = store.PrincipalKind(kind)
	return e, nil
}
