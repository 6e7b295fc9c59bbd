package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/store"
)

// ownerRefs gives the user_id, role_id and group_id columns of a row owned by (kind, id): the
// owner id goes into the column whose foreign key matches kind, the others stay NULL (see
// 00002_iam.sql and 00010_groups.sql).
func ownerRefs(kind store.PrincipalKind, id string) (refs [3]sql.NullString, err error) {
	col, err := ownerColumn(kind)
	if err != nil {
		return refs, err
	}
	for i, c := range ownerColumns {
		if c == col {
			refs[i] = sql.NullString{String: id, Valid: true}
		}
	}
	return refs, nil
}

// ownerColumns are the owner columns of inline_policies and attachments, in ownerRefs' order.
var ownerColumns = [3]string{"user_id", "role_id", "group_id"}

// ownerColumn names the indexed column holding an owner id of kind. The result is one of three
// constants, so it is safe to splice into a query.
func ownerColumn(kind store.PrincipalKind) (string, error) {
	switch kind {
	case store.KindUser:
		return "user_id", nil
	case store.KindRole:
		return "role_id", nil
	case store.KindGroup:
		return "group_id", nil
	}
	return "", fmt.Errorf("unknown principal kind %q", kind)
}

// ownerAccount reads the account of a user, role or group inside tx, failing with ErrNotFound
// when the owner does not exist. Reading it in the write transaction keeps it from disappearing
// before the transaction commits (and the owner foreign keys would refuse the insert anyway).
func ownerAccount(ctx context.Context, tx *sql.Tx, kind store.PrincipalKind, id string) (string, error) {
	query := `SELECT account_id FROM users WHERE user_id = $1`
	switch kind {
	case store.KindRole:
		query = `SELECT account_id FROM roles WHERE role_id = $1`
	case store.KindGroup:
		query = `SELECT account_id FROM iam_groups WHERE group_id = $1`
	}
	var account string
	err := tx.QueryRowContext(ctx, query, id).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("the %s does not exist: %w", kind, store.ErrNotFound)
	}
	return account, err
}

// Inline policies.

func (s *Store) PutInlinePolicy(ctx context.Context, p store.InlinePolicy, size func(doc string) int, maxAggregate int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: put inline policy %q of %s %q", p.PolicyName, p.OwnerKind, p.OwnerID)
	refs, err := ownerRefs(p.OwnerKind, p.OwnerID)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if size == nil {
		size = func(doc string) int { return len(doc) }
	}
	// The sum and the write share one write transaction, so two concurrent puts to one owner
	// cannot both fit under the limit that only one of them fits under.
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := ownerAccount(ctx, tx, p.OwnerKind, p.OwnerID); err != nil {
			return err
		}
		docs, err := queryAll(ctx, tx, scanString, `SELECT document FROM inline_policies
			WHERE owner_kind = $1 AND owner_id = $2 AND policy_name <> $3`,
			string(p.OwnerKind), p.OwnerID, p.PolicyName)
		if err != nil {
			return err
		}
		total := size(p.Document)
		for _, d := range docs {
			total += size(d)
		}
		if total > maxAggregate {
			return fmt.Errorf("%w: the owner's inline policies would total %d (limit %d)", store.ErrLimitExceeded, total, maxAggregate)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO inline_policies
			(owner_kind, owner_id, policy_name, document, user_id, role_id, group_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (owner_kind, owner_id, policy_name) DO UPDATE SET document = excluded.document`,
			string(p.OwnerKind), p.OwnerID, p.PolicyName, p.Document, refs[0], refs[1], refs[2])
		return err
	})
	// A foreign-key failure here means the owner vanished, which the check above already reports.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetInlinePolicy(ctx context.Context, kind store.PrincipalKind, ownerID, name string) (store.InlinePolicy, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	p := store.InlinePolicy{OwnerKind: kind, OwnerID: ownerID, PolicyName: name}
	err := s.reads().QueryRowContext(ctx, `SELECT document FROM inline_policies
		WHERE owner_kind = $1 AND owner_id = $2 AND policy_name = $3`,
		string(kind), ownerID, name).Scan(&p.Document)
	if err != nil {
		return store.InlinePolicy{}, s.mapErr(fmt.Sprintf("sqlstore: get inline policy %q of %s %q", name, kind, ownerID), err, nil)
	}
	return p, nil
}

func (s *Store) DeleteInlinePolicy(ctx context.Context, kind store.PrincipalKind, ownerID, name string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: delete inline policy %q of %s %q", name, kind, ownerID),
		`DELETE FROM inline_policies WHERE owner_kind = $1 AND owner_id = $2 AND policy_name = $3`,
		string(kind), ownerID, name)
}

// ListInlinePolicies returns an empty list for an owner without policies, existing or not.
func (s *Store) ListInlinePolicies(ctx context.Context, kind store.PrincipalKind, ownerID string) ([]store.InlinePolicy, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list inline policies of %s %q", kind, ownerID)
	scan := func(r rowScanner) (store.InlinePolicy, error) {
		p := store.InlinePolicy{OwnerKind: kind, OwnerID: ownerID}
		err := r.Scan(&p.PolicyName, &p.Document)
		return p, err
	}
	out, err := queryAll(ctx, s.reads(), scan, `SELECT policy_name, document FROM inline_policies
		WHERE owner_kind = $1 AND owner_id = $2
		ORDER BY policy_name`+s.dialect.textOrder,
		string(kind), ownerID)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

// Managed policies.

// policyColumns selects a managed policy aliased p with its two computed counts. Boundaries are
// counted over users and roles of every account, and so are attachments: an AWS managed policy is
// shared by all accounts.
const policyColumns = `p.account_id, p.policy_id, p.policy_name, p.path, p.arn, p.description,
	p.default_version_id, p.next_version, p.is_attachable, p.tags, p.created_at, p.updated_at,
	(SELECT COUNT(*) FROM attachments a WHERE a.policy_arn = p.arn),
	(SELECT COUNT(*) FROM users u WHERE u.permissions_boundary = p.arn) +
		(SELECT COUNT(*) FROM roles r WHERE r.permissions_boundary = p.arn)`

func scanPolicy(r rowScanner) (store.ManagedPolicy, error) {
	var (
		p                store.ManagedPolicy
		tags             string
		created, updated int64
	)
	if err := r.Scan(&p.AccountID, &p.PolicyID, &p.PolicyName, &p.Path, &p.ARN, &p.Description,
		&p.DefaultVersionID, &p.NextVersion, &p.IsAttachable, &tags, &created, &updated,
		&p.AttachmentCount, &p.BoundaryUsageCount); err != nil {
		return store.ManagedPolicy{}, err
	}
	var err error
	if p.Tags, err = decodeTags(tags); err != nil {
		return store.ManagedPolicy{}, err
	}
	p.CreatedAt = decodeTime(created)
	p.UpdatedAt = decodeTime(updated)
	return p, nil
}

// versionNumber reads N from a version id "vN" or "vN.suffix"; 0 when it has no number.
func versionNumber(id string) int {
	digits, ok := strings.CutPrefix(id, "v")
	if !ok {
		return 0
	}
	if i := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits = digits[:i]
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0
	}
	return n
}

// CreateManagedPolicy stores v under p.ARN (v.PolicyARN is not consulted) as the default version;
// an empty v.VersionID means "v1". p.DefaultVersionID is ignored, and p.NextVersion is raised
// above v's number when it is not already, so later versions can never collide with v.
func (s *Store) CreateManagedPolicy(ctx context.Context, p store.ManagedPolicy, v store.PolicyVersion) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create managed policy %q", p.ARN)
	tags, err := encodeTags(p.Tags)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	versionID := v.VersionID
	if versionID == "" {
		versionID = "v1"
	}
	next := max(p.NextVersion, versionNumber(versionID)+1)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if p.AccountID != store.AWSManagedPolicyAccount {
			// managed_policies.account_id has no foreign key (see the migration), so check here.
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = $1`, p.AccountID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("account %q does not exist: %w", p.AccountID, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO managed_policies
			(arn, policy_id, account_id, policy_name, policy_name_lower, path, description,
			 default_version_id, next_version, is_attachable, tags, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			p.ARN, p.PolicyID, p.AccountID, p.PolicyName, lowerName(p.PolicyName), p.Path, p.Description,
			versionID, next, p.IsAttachable, tags, encodeTime(p.CreatedAt), encodeTime(p.UpdatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (policy_arn, version_id, document, created_at)
			VALUES ($1, $2, $3, $4)`,
			p.ARN, versionID, v.Document, encodeTime(v.CreatedAt))
		return err
	})
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetManagedPolicy(ctx context.Context, arn string) (store.ManagedPolicy, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	p, err := scanPolicy(s.reads().QueryRowContext(ctx, `SELECT `+policyColumns+` FROM managed_policies p WHERE p.arn = $1`, arn))
	if err != nil {
		return store.ManagedPolicy{}, s.mapErr(fmt.Sprintf("sqlstore: get managed policy %q", arn), err, nil)
	}
	return p, nil
}

// ListManagedPolicies treats limit <= 0 as no limit; the path prefix and the marker (a lower-cased
// name) work as in ListUsers. onlyAttached keeps policies attached to at least one user or role.
func (s *Store) ListManagedPolicies(ctx context.Context, accountID, pathPrefix string, onlyAttached bool, after string, limit int) (store.PolicyPage, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list managed policies of account %q", accountID)
	limit = pageLimit(limit)
	attached := ""
	if onlyAttached {
		attached = ` AND EXISTS (SELECT 1 FROM attachments a WHERE a.policy_arn = p.arn)`
	}
	policies, err := queryAll(ctx, s.reads(), scanPolicy, `SELECT `+policyColumns+` FROM managed_policies p
		WHERE p.account_id = $1 AND substr(p.path, 1, $2) = $3 AND p.policy_name_lower > $4`+attached+`
		ORDER BY p.policy_name_lower`+s.dialect.textOrder+`
		LIMIT $5`,
		accountID, utf8.RuneCountInString(pathPrefix), pathPrefix, lowerName(after), limit+1)
	if err != nil {
		return store.PolicyPage{}, s.mapErr(op, err, nil)
	}
	var page store.PolicyPage
	page.Policies, page.Next = trimPage(policies, limit, func(p store.ManagedPolicy) string { return lowerName(p.PolicyName) })
	return page, nil
}

// Messages of the DeleteManagedPolicy conflicts; the first and the last are AWS's words.
const (
	msgPolicyAttached = "Cannot delete a policy attached to entities."
	msgPolicyBoundary = "Cannot delete a policy used as a permissions boundary."
	msgPolicyVersions = "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
)

// DeleteManagedPolicy checks every conflict in the deleting transaction, then deletes the default
// version and the policy. The foreign keys of attachments and policy_versions would refuse the
// final delete anyway; permissions boundaries are plain ARNs and are only checked here.
func (s *Store) DeleteManagedPolicy(ctx context.Context, arn string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete managed policy %q", arn)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var defaultVersion string
		if err := tx.QueryRowContext(ctx, `SELECT default_version_id FROM managed_policies WHERE arn = $1`,
			arn).Scan(&defaultVersion); err != nil {
			return err
		}
		for _, c := range []struct{ query, msg string }{
			{`SELECT COUNT(*) FROM attachments WHERE policy_arn = $1`, msgPolicyAttached},
			{`SELECT (SELECT COUNT(*) FROM users WHERE permissions_boundary = $1) +
				(SELECT COUNT(*) FROM roles WHERE permissions_boundary = $1)`, msgPolicyBoundary},
		} {
			var n int
			if err := tx.QueryRowContext(ctx, c.query, arn).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%w: %s", store.ErrConflict, c.msg)
			}
		}
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_versions WHERE policy_arn = $1 AND version_id <> $2`,
			arn, defaultVersion).Scan(&others); err != nil {
			return err
		}
		if others > 0 {
			return fmt.Errorf("%w: %s", store.ErrConflict, msgPolicyVersions)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM policy_versions WHERE policy_arn = $1`, arn); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM managed_policies WHERE arn = $1`, arn)
		return err
	})
	return s.mapErr(op, err, store.ErrConflict)
}

// CreatePolicyVersion reads the counter, checks the limit, inserts and bumps the counter in one
// write transaction, so concurrent creators get distinct ids and never pass the limit together.
func (s *Store) CreatePolicyVersion(ctx context.Context, arn, document string, createdAt time.Time, setDefault bool, maxVersions int) (store.PolicyVersion, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create version of managed policy %q", arn)
	var v store.PolicyVersion
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var next, n int
		if err := tx.QueryRowContext(ctx, `SELECT next_version FROM managed_policies WHERE arn = $1`, arn).Scan(&next); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM policy_versions WHERE policy_arn = $1`, arn).Scan(&n); err != nil {
			return err
		}
		if n >= maxVersions {
			return fmt.Errorf("%w: the policy already has %d versions (limit %d)", store.ErrLimitExceeded, n, maxVersions)
		}
		id := "v" + strconv.Itoa(next)
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (policy_arn, version_id, document, created_at)
			VALUES ($1, $2, $3, $4)`, arn, id, document, encodeTime(createdAt)); err != nil {
			return err
		}
		var err error
		if setDefault {
			_, err = tx.ExecContext(ctx, `UPDATE managed_policies
				SET next_version = $2, default_version_id = $3, updated_at = $4 WHERE arn = $1`,
				arn, next+1, id, encodeTime(createdAt))
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE managed_policies SET next_version = $2 WHERE arn = $1`, arn, next+1)
		}
		v = store.PolicyVersion{PolicyARN: arn, VersionID: id, Document: document, CreatedAt: decodeTime(encodeTime(createdAt))}
		return err
	})
	if err != nil {
		return store.PolicyVersion{}, s.mapErr(op, err, nil)
	}
	return v, nil
}

const versionColumns = `policy_arn, version_id, document, created_at`

func scanVersion(r rowScanner) (store.PolicyVersion, error) {
	var (
		v       store.PolicyVersion
		created int64
	)
	if err := r.Scan(&v.PolicyARN, &v.VersionID, &v.Document, &created); err != nil {
		return store.PolicyVersion{}, err
	}
	v.CreatedAt = decodeTime(created)
	return v, nil
}

func (s *Store) GetPolicyVersion(ctx context.Context, arn, versionID string) (store.PolicyVersion, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := scanVersion(s.reads().QueryRowContext(ctx,
		`SELECT `+versionColumns+` FROM policy_versions WHERE policy_arn = $1 AND version_id = $2`, arn, versionID))
	if err != nil {
		return store.PolicyVersion{}, s.mapErr(fmt.Sprintf("sqlstore: get version %q of managed policy %q", versionID, arn), err, nil)
	}
	return v, nil
}

// ListPolicyVersions returns the versions oldest first (by version number), and ErrNotFound for a
// policy that does not exist: every existing policy has at least its default version.
func (s *Store) ListPolicyVersions(ctx context.Context, arn string) ([]store.PolicyVersion, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list versions of managed policy %q", arn)
	// Ordering by length first sorts "v2" before "v10".
	out, err := queryAll(ctx, s.reads(), scanVersion, `SELECT `+versionColumns+` FROM policy_versions
		WHERE policy_arn = $1
		ORDER BY length(version_id), version_id`+s.dialect.textOrder, arn)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return out, nil
}

func (s *Store) DeletePolicyVersion(ctx context.Context, arn, versionID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete version %q of managed policy %q", versionID, arn)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var defaultVersion string
		if err := tx.QueryRowContext(ctx, `SELECT default_version_id FROM managed_policies WHERE arn = $1`,
			arn).Scan(&defaultVersion); err != nil {
			return err
		}
		if versionID == defaultVersion {
			return fmt.Errorf("%w: Cannot delete the default version of a policy.", store.ErrConflict)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM policy_versions WHERE policy_arn = $1 AND version_id = $2`, arn, versionID)
		if err != nil {
			return err
		}
		return affectedSome(res)
	})
	return s.mapErr(op, err, nil)
}

// affectedSome turns a change that matched no row into sql.ErrNoRows, which mapErr reports as
// ErrNotFound.
func affectedSome(res sql.Result) error {
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = sql.ErrNoRows
	}
	return err
}

// SetDefaultPolicyVersion runs in a write transaction so that, on a backend with real
// concurrency, it serializes against DeletePolicyVersion of the same version.
func (s *Store) SetDefaultPolicyVersion(ctx context.Context, arn, versionID string, updatedAt time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: set default version of managed policy %q to %q", arn, versionID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE managed_policies SET default_version_id = $2, updated_at = $3
			WHERE arn = $1 AND EXISTS (SELECT 1 FROM policy_versions v WHERE v.policy_arn = $1 AND v.version_id = $2)`,
			arn, versionID, encodeTime(updatedAt))
		if err != nil {
			return err
		}
		return affectedSome(res)
	})
	return s.mapErr(op, err, nil)
}

// policyFixed is every field of a managed policy but its tags.
type policyFixed struct {
	accountID, policyID, name, path, arn, description, defaultVersion string
	nextVersion                                                       int
	attachable                                                        bool
	created, updated                                                  int64
	attachments, boundaries                                           int
}

func (s *Store) UpdateManagedPolicy(ctx context.Context, arn string, fn func(*store.ManagedPolicy) error) (store.ManagedPolicy, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update managed policy %q", arn), entity[store.ManagedPolicy, policyFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.ManagedPolicy, error) {
			return scanPolicy(tx.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM managed_policies p WHERE p.arn = $1`+s.dialect.forUpdate, arn))
		},
		fixed: func(p store.ManagedPolicy) policyFixed {
			return policyFixed{p.AccountID, p.PolicyID, p.PolicyName, p.Path, p.ARN, p.Description, p.DefaultVersionID,
				p.NextVersion, p.IsAttachable, encodeTime(p.CreatedAt), encodeTime(p.UpdatedAt), p.AttachmentCount, p.BoundaryUsageCount}
		},
		write: func(ctx context.Context, tx *sql.Tx, p store.ManagedPolicy) error {
			tags, err := encodeTags(p.Tags)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE managed_policies SET tags = $2 WHERE arn = $1`, p.ARN, tags)
			return err
		},
	}, fn)
}

// Attachments.

// Attach also refuses, with ErrNotFound, a customer managed policy of another account than the
// owner's: in AWS such a policy is invisible to the owner. a.PolicyName and a.OwnerName are not
// stored; reads take them from the policy and the owner.
func (s *Store) Attach(ctx context.Context, a store.Attachment, maxPerOwner int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: attach %q to %s %q", a.PolicyARN, a.OwnerKind, a.OwnerID)
	refs, err := ownerRefs(a.OwnerKind, a.OwnerID)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	col, _ := ownerColumn(a.OwnerKind)
	// Existence, idempotency, count and insert share one write transaction, so concurrent attaches
	// to one owner never exceed maxPerOwner together.
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		account, err := ownerAccount(ctx, tx, a.OwnerKind, a.OwnerID)
		if err != nil {
			return err
		}
		var policyAccount string
		err = tx.QueryRowContext(ctx, `SELECT account_id FROM managed_policies WHERE arn = $1`, a.PolicyARN).Scan(&policyAccount)
		switch {
		case errors.Is(err, sql.ErrNoRows), err == nil && !store.PolicyUsableIn(policyAccount, account):
			return fmt.Errorf("the policy does not exist in account %q: %w", account, store.ErrNotFound)
		case err != nil:
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments
			WHERE policy_arn = $1 AND owner_kind = $2 AND owner_id = $3`,
			a.PolicyARN, string(a.OwnerKind), a.OwnerID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil // already attached
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments WHERE `+col+` = $1`, a.OwnerID).Scan(&n); err != nil {
			return err
		}
		if n >= maxPerOwner {
			return fmt.Errorf("%w: the owner already has %d attached policies (limit %d)", store.ErrLimitExceeded, n, maxPerOwner)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO attachments (policy_arn, owner_kind, owner_id, user_id, role_id, group_id)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			a.PolicyARN, string(a.OwnerKind), a.OwnerID, refs[0], refs[1], refs[2])
		return err
	})
	// A foreign-key failure here means the policy or the owner vanished.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) Detach(ctx context.Context, a store.Attachment) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: detach %q from %s %q", a.PolicyARN, a.OwnerKind, a.OwnerID),
		`DELETE FROM attachments WHERE policy_arn = $1 AND owner_kind = $2 AND owner_id = $3`,
		a.PolicyARN, string(a.OwnerKind), a.OwnerID)
}

// attachmentSelect reads attachments aliased a with the policy's name and the owner's name.
const attachmentSelect = `SELECT a.policy_arn, p.policy_name, a.owner_kind, a.owner_id,
		COALESCE(u.user_name, r.role_name, g.group_name, '')
	FROM attachments a
	JOIN managed_policies p ON p.arn = a.policy_arn
	LEFT JOIN users u ON u.user_id = a.user_id
	LEFT JOIN roles r ON r.role_id = a.role_id
	LEFT JOIN iam_groups g ON g.group_id = a.group_id`

func (s *Store) queryAttachments(ctx context.Context, op, query string, args ...any) ([]store.Attachment, error) {
	out, err := queryAll(ctx, s.reads(), scanAttachment, query, args...)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

func scanAttachment(r rowScanner) (store.Attachment, error) {
	var (
		a    store.Attachment
		kind string
	)
	if err := r.Scan(&a.PolicyARN, &a.PolicyName, &kind, &a.OwnerID, &a.OwnerName); err != nil {
		return store.Attachment{}, err
	}
	a.OwnerKind = store.PrincipalKind(kind)
	return a, nil
}

// ListAttachments orders by lower-cased policy name, then ARN (an AWS managed and a customer
// managed policy may share a name). An owner without attachments, existing or not, gets none.
func (s *Store) ListAttachments(ctx context.Context, kind store.PrincipalKind, ownerID string) ([]store.Attachment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list policies attached to %s %q", kind, ownerID)
	col, err := ownerColumn(kind)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s.queryAttachments(ctx, op, attachmentSelect+`
		WHERE a.`+col+` = $1
		ORDER BY p.policy_name_lower`+s.dialect.textOrder+`, a.policy_arn`+s.dialect.textOrder, ownerID)
}

// ListPolicyAttachments lists users, then roles, then groups, each by lower-cased name. The owners of every
// account are listed: an AWS managed policy is attached across accounts, so callers showing one
// account's entities filter by owner. A policy without attachments, existing or not, gets none.
func (s *Store) ListPolicyAttachments(ctx context.Context, arn string) ([]store.Attachment, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.queryAttachments(ctx, fmt.Sprintf("sqlstore: list attachments of managed policy %q", arn), attachmentSelect+`
		WHERE a.policy_arn = $1
		ORDER BY a.owner_kind`+s.dialect.textOrder+` DESC, COALESCE(u.user_name_lower, r.role_name_lower, g.group_name_lower, '')`+s.dialect.textOrder+`,
			a.owner_id`+s.dialect.textOrder, arn)
}

// requireBoundaryPolicy fails with store.ErrMissingReference unless arn is "" or names a stored
// managed policy of account or an AWS managed policy. It reads inside the writing transaction,
// where it and DeleteManagedPolicy's count of boundary uses cannot both miss each other: on SQLite
// the writes are serialized, on PostgreSQL one of two racing serializable transactions fails and
// is retried.
func requireBoundaryPolicy(ctx context.Context, tx *sql.Tx, account, arn string) error {
	if arn == "" {
		return nil
	}
	var owner string
	err := tx.QueryRowContext(ctx, `SELECT account_id FROM managed_policies WHERE arn = $1`, arn).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !store.PolicyUsableIn(owner, account)) {
		return &store.MissingReferenceError{Kind: "managed policy", Key: arn}
	}
	return err
}
