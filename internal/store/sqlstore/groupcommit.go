package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/latchkey/latchkey/internal/store"
)

// maxGroup bounds how many identity creations share one transaction.
const maxGroup = 64

// identityGroup is SQLite's group commit of CreateIdentity. SQLite has one writer, so concurrent
// creations queue for it anyway; instead of a transaction and an fsync each, the creations that
// are waiting when the writer becomes free are written in one transaction and committed together
// (see insertIdentities for how one failing insert is kept from failing the others). Every caller is answered after the commit that holds its
// identity (or after its own insert failed and was rolled back to its savepoint), so an
// acknowledged identity is as durable as before, and a creation refused by the database (a
// login already linked, a deleted pool) fails alone.
//
// There is no background goroutine: the first caller to find no transaction running leads; when
// its transaction has committed, it hands the lead to the first caller still waiting.
type identityGroup struct {
	mu      sync.Mutex
	queue   []*identityInsert
	leading bool
}

type identityInsert struct {
	id     store.Identity
	logins []store.IdentityLogin
	err    error
	done   chan struct{} // closed when err is final
	lead   chan struct{} // closed when this caller is to lead the next transaction
}

// createIdentityGrouped writes in (whose logins identityLogins has checked) through the group
// commit and answers its outcome.
func (s *Store) createIdentityGrouped(ctx context.Context, in *identityInsert) error {
	in.done, in.lead = make(chan struct{}), make(chan struct{})
	g := &s.identityGroup
	g.mu.Lock()
	g.queue = append(g.queue, in)
	if g.leading {
		g.mu.Unlock()
		select {
		case <-in.done:
			return in.err
		case <-in.lead:
		}
		g.mu.Lock()
	}
	g.leading = true
	n := min(len(g.queue), maxGroup)
	batch := g.queue[:n:n]
	g.queue = append([]*identityInsert(nil), g.queue[n:]...)
	g.mu.Unlock()

	func() {
		// Deferred, so that a panic cannot leave the callers queued behind this one waiting.
		defer g.handOff()
		// The transaction is everyone's: it must not end because the leader's caller went away.
		s.insertIdentities(context.WithoutCancel(ctx), batch)
	}()
	<-in.done
	return in.err
}

// handOff passes the lead to the first caller waiting, or ends it.
func (g *identityGroup) handOff() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) > 0 {
		close(g.queue[0].lead)
	} else {
		g.leading = false
	}
}

// insertIdentities writes batch and answers every insert. The batch is first written whole, in
// one transaction of plain inserts; only if one of them fails is that transaction rolled back and
// the batch written again in a second one, each identity in a savepoint of its own, so that the
// failing ones fail alone and the others commit. Creations rarely fail, so the common batch costs
// two statements per identity and one commit. A batch of one needs no second transaction: its
// failure is its own.
func (s *Store) insertIdentities(ctx context.Context, batch []*identityInsert) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	own := make([]error, len(batch))
	err := errGroupUnfinished
	// Deferred, so that every caller of the batch is answered even if the transaction panics.
	defer func() {
		for i, in := range batch {
			// An insert that failed on its own was rolled back whatever became of the transaction.
			if in.err = own[i]; in.err == nil {
				in.err = err
			}
			close(in.done)
		}
	}()
	var insertFailed bool
	err = s.inTx(ctx, func(sqlTx *sql.Tx) error {
		tx := s.writeStmts.bind(sqlTx)
		insertFailed = false
		for _, in := range batch {
			if err := insertIdentity(ctx, tx, in.id, in.logins); err != nil {
				insertFailed = true
				return err
			}
		}
		return nil
	})
	if err == nil || !insertFailed || len(batch) == 1 {
		return
	}
	err = s.inTx(ctx, func(sqlTx *sql.Tx) error {
		tx := s.writeStmts.bind(sqlTx)
		clear(own)
		for i, in := range batch {
			var err error
			if own[i], err = inSavepoint(ctx, tx, func() error {
				return insertIdentity(ctx, tx, in.id, in.logins)
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// inSavepoint runs fn inside a savepoint of tx, rolled back if fn fails: it returns fn's error as
// fnErr, and as err the failure of the savepoint statements themselves, which ends the transaction.
func inSavepoint(ctx context.Context, tx execer, fn func() error) (fnErr, err error) {
	if _, err := tx.ExecContext(ctx, savepointSQL); err != nil {
		return nil, err
	}
	if fnErr = fn(); fnErr != nil {
		if _, err := tx.ExecContext(ctx, rollbackToSavepointSQL); err != nil {
			return fnErr, err
		}
	}
	if _, err := tx.ExecContext(ctx, releaseSavepointSQL); err != nil {
		return fnErr, err
	}
	return fnErr, nil
}

var errGroupUnfinished = errors.New("sqlstore: the shared transaction of identity creations did not finish")

// The statements of the group commit, prepared once on the writer (see stmts.go).
const (
	savepointSQL           = `SAVEPOINT create_identity`
	rollbackToSavepointSQL = `ROLLBACK TO create_identity`
	releaseSavepointSQL    = `RELEASE create_identity`
	insertIdentitySQL      = `INSERT INTO identities (` + identityColumns + `) VALUES ($1, $2, $3, $4, $5)`
)

var groupCommitQueries = []string{savepointSQL, rollbackToSavepointSQL, releaseSavepointSQL, insertIdentitySQL, insertLoginSQL}

// insertIdentity inserts an identity and its logins inside tx.
func insertIdentity(ctx context.Context, tx execer, id store.Identity, logins []store.IdentityLogin) error {
	if _, err := tx.ExecContext(ctx, insertIdentitySQL,
		id.ID, id.PoolID, id.Disabled, encodeTime(id.CreatedAt), encodeTime(id.UpdatedAt)); err != nil {
		return err
	}
	return insertLogins(ctx, tx, logins)
}
