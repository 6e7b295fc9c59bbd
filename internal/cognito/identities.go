package cognito

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// linkAttempts bounds the retries when concurrent calls race to link the same login: each retry
// re-reads the links the database settled on.
const linkAttempts = 8

// linkRequest says how link treats the identity it is given.
type linkRequest struct {
	pool   store.IdentityPool
	target *store.Identity // nil: find or create the identity the logins belong to
	logins []login
	// proofRequired: a target that has logins must have at least one of the logins of the
	// request already linked (unsigned calls). Only the signed developer API, whose caller owns
	// the pool, links without one. A Cognito token is never such a proof: a guest token of the
	// identity may predate its first login, and none of them is a login of the identity.
	proofRequired bool
	// developer is the developer login whose identity must be target (DeveloperUserAlreadyRegistered).
	developer *login
}

// onePerProvider lists the providers an identity may have a single subject of: every provider
// but the developer provider, which may link several developer users.
func onePerProvider(logins []login) []string {
	var out []string
	for _, l := range logins {
		if l.Kind != kindDeveloper && !slices.Contains(out, l.Provider) {
			out = append(out, l.Provider)
		}
	}
	return out
}

func conflictErr(provider string) error {
	return resourceConflict("The login for %s is already linked to another identity.", provider)
}

// errStale is what the precondition of a link or merge answers when the logins it was decided on
// changed before the store's transaction locked the identity: the decision is taken again on a
// fresh read, which gives the answer the request would have had if it had come after the change.
var errStale = errors.New("cognito: the logins changed since they were read")

// link makes every login belong to one identity and returns its id. Each attempt reads who owns
// the logins and decides, from what it read, to create an identity, link to one, merge a guest
// into one, or refuse. The store then checks the premises of that decision (see linkedAsRead and
// guestMerge) inside its transaction, with the identity's row locked, so that a concurrent request
// that changed them in between (a first login of the same guest, the unlink of the proof login, a
// link of one of the logins) makes the attempt start over instead of acting on a stale read: a
// race ends as one of the two requests coming first would. The uniqueness of (pool, provider,
// subject) settles concurrent first logins: a losing CreateIdentity answers ErrAlreadyExists.
func (s *Service) link(ctx context.Context, r linkRequest) (string, error) {
	for attempt := 0; attempt < linkAttempts; attempt++ {
		id, retry, err := s.linkOnce(ctx, r)
		if !retry {
			return id, err
		}
	}
	return "", resourceConflict("The logins are being linked concurrently; please retry.")
}

// isLogin matches the link of the login (provider, subject).
func isLogin(provider, subject string) func(store.IdentityLogin) bool {
	return func(l store.IdentityLogin) bool { return l.Provider == provider && l.Subject == subject }
}

// hasLogin tells whether logins include the login (provider, subject).
func hasLogin(logins []store.IdentityLogin, provider, subject string) bool {
	return slices.ContainsFunc(logins, isLogin(provider, subject))
}

// linkedAsRead is the precondition of linking to an identity decided on the logins as read: the
// logins of the request that were linked to it (its proof, when one is required) still are, and
// an identity read as a guest (no logins) whose first login needed no proof still has none, since
// another first login that came in between makes it an authenticated identity whose logins the
// request does not have.
func linkedAsRead(owned []login, wasGuest bool) store.LinkCheck {
	return func(cur store.IdentityWithLogins) error {
		if wasGuest && len(cur.Logins) > 0 {
			return errStale
		}
		for _, l := range owned {
			if !hasLogin(cur.Logins, l.Provider, l.Subject) {
				return errStale
			}
		}
		return nil
	}
}

// guestMerge is the precondition of merging a guest identity into the identity one of the
// request's logins belongs to: the guest is still a guest (only an unauthenticated identity is
// merged through the unsigned operations; two authenticated identities never are), and the
// winner still has the logins that made it the winner.
func guestMerge(guestID string, owned []login) func(store.IdentityWithLogins, []store.IdentityWithLogins) error {
	winnerAsRead := linkedAsRead(owned, false)
	return func(winner store.IdentityWithLogins, losers []store.IdentityWithLogins) error {
		for _, g := range losers {
			if g.Disabled {
				// Merged or made inaccessible meanwhile: what a request coming after that gets.
				return forbidden(guestID)
			}
			if len(g.Logins) > 0 {
				return errStale
			}
		}
		return winnerAsRead(winner)
	}
}

// linkOnce is one attempt of link: retry says the links read changed before the write.
func (s *Service) linkOnce(ctx context.Context, r linkRequest) (id string, retry bool, err error) {
	owners, distinct, err := s.loginOwners(ctx, r)
	if err != nil {
		return "", false, err
	}
	var winner string
	var guest, merge bool
	if r.target == nil {
		if len(distinct) == 0 {
			return s.createIdentity(ctx, r)
		}
		for i, o := range owners {
			if o != "" && o != distinct[0] {
				return "", false, conflictErr(r.logins[i].Provider)
			}
		}
		winner = distinct[0]
	} else if winner, guest, merge, err = s.targetWinner(ctx, r, owners, distinct); err != nil {
		return "", false, err
	}
	now := s.now().UTC().Truncate(time.Second)
	var unlinked []store.IdentityLogin
	var owned []login
	for i, l := range r.logins {
		switch owners[i] {
		case "":
			lk := l.storeLogin(r.pool.ID, winner)
			lk.CreatedAt = now
			unlinked = append(unlinked, lk)
		case winner:
			owned = append(owned, l)
		}
	}
	if merge {
		return s.mergeGuest(ctx, r, winner, owned, unlinked, now)
	}
	if len(unlinked) == 0 {
		return winner, false, nil
	}
	err = s.Store.LinkLogins(ctx, winner, unlinked, onePerProvider(r.logins), linkedAsRead(owned, guest))
	if err != nil {
		retry, err := linkErr(err, r, winner)
		return "", retry, err
	}
	return winner, false, nil
}

// loginOwners reads the identity each of the request's logins is linked to ("" when none), and
// the distinct owners in the order of the logins.
func (s *Service) loginOwners(ctx context.Context, r linkRequest) (owners, distinct []string, err error) {
	owners = make([]string, len(r.logins))
	for i, l := range r.logins {
		lk, err := s.reads().FindLogin(ctx, r.pool.ID, l.Provider, l.Subject)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, nil, awserr.InternalError(err)
		default:
			owners[i] = lk.IdentityID
			if !slices.Contains(distinct, lk.IdentityID) {
				distinct = append(distinct, lk.IdentityID)
			}
		}
	}
	return owners, distinct, nil
}

// createIdentity creates an identity with the request's logins, none of which is linked yet.
func (s *Service) createIdentity(ctx context.Context, r linkRequest) (id string, retry bool, err error) {
	now := s.now().UTC().Truncate(time.Second)
	newID := s.newID(ids.RegionOf(r.pool.ID))
	links := make([]store.IdentityLogin, len(r.logins))
	for i, l := range r.logins {
		links[i] = l.storeLogin(r.pool.ID, newID)
		links[i].CreatedAt = now
	}
	err = s.Store.CreateIdentity(ctx, store.Identity{ID: newID, PoolID: r.pool.ID, CreatedAt: now, UpdatedAt: now}, links)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return "", true, nil // another call linked one of the logins first
	case errors.Is(err, store.ErrNotFound):
		return "", false, poolNotFound(r.pool.ID) // deleted meanwhile
	case err != nil:
		return "", false, awserr.InternalError(err)
	}
	return newID, false, nil
}

// targetWinner decides where the logins of a request naming an identity (r.target) go: to the
// target, or, for a guest target whose login already belongs to one identity, to that identity,
// into which the guest is merged. guest says the target was read without logins where a proof
// would have been required.
func (s *Service) targetWinner(ctx context.Context, r linkRequest, owners, distinct []string) (winner string, guest, merge bool, err error) {
	target := r.target.ID
	if r.developer != nil {
		for i, l := range r.logins {
			if l.Provider == r.developer.Provider && l.Subject == r.developer.Subject && owners[i] != "" && owners[i] != target {
				return "", false, false, developerAlreadyRegistered(l.Subject)
			}
		}
	}
	var targetLogins []store.IdentityLogin
	if r.proofRequired || len(distinct) > 0 {
		if targetLogins, err = s.reads().ListLogins(ctx, target); err != nil {
			return "", false, false, awserr.InternalError(err)
		}
	}
	if r.proofRequired && len(targetLogins) > 0 && !slices.Contains(owners, target) {
		return "", false, false, notAuthorized(msgLoginsDontMatch)
	}
	guest = r.proofRequired && len(targetLogins) == 0
	var others []string
	for _, d := range distinct {
		if d != target {
			others = append(others, d)
		}
	}
	if len(others) == 0 {
		return target, guest, false, nil
	}
	// A guest identity whose login already belongs to one identity is merged into it (the
	// returned IdentityId then differs); logins of two authenticated identities never merge.
	if len(targetLogins) > 0 || len(others) > 1 || r.developer != nil {
		for i, o := range owners {
			if o != "" && o != target {
				return "", false, false, conflictErr(r.logins[i].Provider)
			}
		}
	}
	return others[0], guest, true, nil
}

// linkErr maps LinkLogins' error on linking to winner: whether to read the links again, or the
// answer.
func linkErr(err error, r linkRequest, winner string) (retry bool, _ error) {
	isTarget := r.target != nil && winner == r.target.ID
	switch {
	case errors.Is(err, errStale):
		return true, nil
	case errors.Is(err, store.ErrIdentityDisabled) && isTarget:
		// Its last login was removed, or it lost a merge, since it was read: it stays
		// inaccessible, whoever asks.
		return false, forbidden(winner)
	case errors.Is(err, store.ErrIdentityDisabled):
		return true, nil // the owner of a login was disabled meanwhile: read the links again
	case errors.Is(err, store.ErrAlreadyExists):
		return true, nil // linked elsewhere meanwhile: read the links again
	case errors.Is(err, store.ErrConflict):
		return false, onePerProviderConflict()
	case errors.Is(err, store.ErrNotFound) && isTarget:
		return false, identityNotFound(winner)
	case errors.Is(err, store.ErrNotFound):
		return true, nil // the owner of a login was deleted meanwhile, which freed it
	}
	return false, awserr.InternalError(err)
}

func onePerProviderConflict() error {
	return resourceConflict("The identity already has a different login for one of these providers; an identity can have one login per provider.")
}

// mergeGuest merges the guest r.target into winner and links the request's new logins to winner,
// in one store transaction whose precondition is guestMerge.
func (s *Service) mergeGuest(ctx context.Context, r linkRequest, winner string, owned []login, unlinked []store.IdentityLogin, now time.Time) (string, bool, error) {
	err := s.Store.MergeIdentities(ctx, store.Merge{WinnerID: winner, LoserIDs: []string{r.target.ID}, At: now,
		Link: unlinked, OnePerProvider: onePerProvider(r.logins), Check: guestMerge(r.target.ID, owned)})
	if ae, ok := awserr.As(err); ok {
		return "", false, ae
	}
	switch {
	case errors.Is(err, errStale), errors.Is(err, store.ErrAlreadyExists):
		return "", true, nil
	case errors.Is(err, store.ErrIdentityDisabled):
		// The winner's logins moved or were unlinked meanwhile: read them again.
		return "", true, nil
	case errors.Is(err, store.ErrNotFound):
		// The guest or the winner was deleted meanwhile: a deleted winner freed its logins, a
		// deleted guest is not found.
		if _, gerr := s.Store.GetIdentity(ctx, r.target.ID); errors.Is(gerr, store.ErrNotFound) {
			return "", false, identityNotFound(r.target.ID)
		}
		return "", true, nil
	case errors.Is(err, store.ErrConflict):
		return "", false, onePerProviderConflict()
	case err != nil:
		return "", false, awserr.InternalError(err)
	}
	return winner, false, nil
}

func developerAlreadyRegistered(user string) error {
	return awsErr("DeveloperUserAlreadyRegisteredException", "Developer user identifier '%s' is already registered with a different identity ID.", user)
}

// GetId returns the identity of the logins (creating it, or linking new logins to it), or a new
// guest identity when there are no logins and the pool allows guests.
func (s *Service) GetId(ctx context.Context, poolID, accountID string, logins map[string]string) (string, error) {
	p, err := s.publicPool(ctx, poolID)
	if err != nil {
		return "", err
	}
	if accountID != "" && accountID != p.AccountID {
		return "", poolNotFound(poolID)
	}
	if len(logins) == 0 {
		if !p.AllowUnauthenticated {
			return "", notAuthorized(msgUnauthDisabled)
		}
		now := s.now().UTC().Truncate(time.Second)
		for attempt := 0; ; attempt++ {
			id := store.Identity{ID: s.newID(ids.RegionOf(p.ID)), PoolID: p.ID, CreatedAt: now, UpdatedAt: now}
			err := s.Store.CreateIdentity(ctx, id, nil)
			if errors.Is(err, store.ErrAlreadyExists) && attempt < 3 {
				continue
			}
			if errors.Is(err, store.ErrNotFound) {
				return "", poolNotFound(p.ID)
			}
			if err != nil {
				return "", awserr.InternalError(err)
			}
			return id.ID, nil
		}
	}
	verified, _, err := s.verifyLogins(ctx, p, logins, false)
	if err != nil {
		return "", err
	}
	return s.link(ctx, linkRequest{pool: p, logins: verified, proofRequired: true})
}

// IdentityDescription is DescribeIdentity's answer.
type IdentityDescription struct {
	ID        string
	Logins    []string // provider names
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (s *Service) describe(ctx context.Context, id store.Identity) (IdentityDescription, error) {
	links, err := s.Store.ListLogins(ctx, id.ID)
	if err != nil {
		return IdentityDescription{}, awserr.InternalError(err)
	}
	d := IdentityDescription{ID: id.ID, Logins: []string{}, CreatedAt: id.CreatedAt, UpdatedAt: id.UpdatedAt}
	for _, l := range links {
		if !slices.Contains(d.Logins, l.Provider) {
			d.Logins = append(d.Logins, l.Provider)
		}
	}
	sort.Strings(d.Logins)
	return d, nil
}

// DescribeIdentity returns an identity's linked providers and dates.
func (s *Service) DescribeIdentity(ctx context.Context, caller *principal.Principal, identityID string) (IdentityDescription, error) {
	id, _, err := s.signedIdentity(ctx, caller, "DescribeIdentity", identityID)
	if err != nil {
		return IdentityDescription{}, err
	}
	return s.describe(ctx, id)
}

// IdentityPage is one page of ListIdentities.
type IdentityPage struct {
	PoolID     string
	Identities []IdentityDescription
	NextToken  string
}

// ListIdentities pages a pool's identities; hideDisabled leaves out the losers of merges.
func (s *Service) ListIdentities(ctx context.Context, caller *principal.Principal, poolID string, maxResults int, nextToken string, hideDisabled bool) (IdentityPage, error) {
	p, err := s.signedPool(ctx, caller, "ListIdentities", poolID, nil)
	if err != nil {
		return IdentityPage{}, err
	}
	after, err := decodeToken("identities", nextToken)
	if err != nil {
		return IdentityPage{}, err
	}
	ids, next, err := s.Store.ListIdentities(ctx, p.ID, hideDisabled, after, listLimit(maxResults))
	if err != nil {
		return IdentityPage{}, awserr.InternalError(err)
	}
	page := IdentityPage{PoolID: p.ID, Identities: make([]IdentityDescription, 0, len(ids)), NextToken: encodeToken("identities", next)}
	for _, id := range ids {
		d, err := s.describe(ctx, id)
		if err != nil {
			return IdentityPage{}, err
		}
		page.Identities = append(page.Identities, d)
	}
	return page, nil
}

// UnprocessedIdentity is an identity DeleteIdentities could not delete.
type UnprocessedIdentity struct {
	ID        string
	ErrorCode string // AccessDenied or InternalServerError
}

// poolUnknown is DeleteIdentities' verdict on a pool the caller cannot see: its identities are
// skipped as unknown ones are.
const poolUnknown = "unknown"

// DeleteIdentities deletes identities; unknown ones are skipped, refused ones reported. An
// identity of a pool the caller cannot see (another account's, or another region's) is unknown
// to it, and skipped like one, so the answer does not tell that it exists. A pool that could not
// be read or authorized for a server-side reason (the store unavailable) is InternalServerError
// for its identities, not AccessDenied: they may be deleted on a later try.
func (s *Service) DeleteIdentities(ctx context.Context, caller *principal.Principal, identityIDs []string) ([]UnprocessedIdentity, error) {
	// pool id -> "" (allowed), poolUnknown, or the ErrorCode of its identities.
	verdicts := map[string]string{}
	var out []UnprocessedIdentity
	for _, iid := range identityIDs {
		id, err := s.Store.GetIdentity(ctx, iid)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			out = append(out, UnprocessedIdentity{ID: iid, ErrorCode: "InternalServerError"})
			continue
		}
		verdict, seen := verdicts[id.PoolID]
		if !seen {
			_, perr := s.signedPool(ctx, caller, "DeleteIdentities", id.PoolID, nil)
			ae, isAWS := awserr.As(perr)
			switch {
			case perr == nil:
			case isAWS && ae.Code == "ResourceNotFoundException":
				verdict = poolUnknown
			case isAWS && ae.HTTPStatus >= 500:
				verdict = "InternalServerError"
			default:
				verdict = "AccessDenied"
			}
			verdicts[id.PoolID] = verdict
		}
		if verdict == poolUnknown {
			continue
		}
		if verdict != "" {
			out = append(out, UnprocessedIdentity{ID: iid, ErrorCode: verdict})
			continue
		}
		if err := s.Store.DeleteIdentity(ctx, iid); err != nil && !errors.Is(err, store.ErrNotFound) {
			out = append(out, UnprocessedIdentity{ID: iid, ErrorCode: "InternalServerError"})
		}
	}
	return out, nil
}

// UnlinkIdentity removes public-provider logins from an identity; the caller proves ownership
// with valid tokens of logins linked to it. Removing the last login disables the identity in the
// same store transaction, which makes it inaccessible for good ("Removing the last linked login
// will make this identity inaccessible", Cognito API reference, UnlinkIdentity): without that, it
// would look like a guest identity, and anyone who knows its id could link a login of their own
// and take it over.
func (s *Service) UnlinkIdentity(ctx context.Context, identityID string, logins map[string]string, remove []string) error {
	id, p, err := s.publicIdentity(ctx, identityID)
	if err != nil {
		return err
	}
	verified, _, err := s.verifyLogins(ctx, p, logins, false)
	if err != nil {
		return err
	}
	if len(verified) == 0 {
		return notAuthorized(msgLoginsDontMatch)
	}
	for _, provider := range remove {
		if p.DeveloperProviderName != "" && provider == p.DeveloperProviderName {
			return invalidParameter("Developer user identifiers are unlinked with UnlinkDeveloperIdentity.")
		}
	}
	now := s.now().UTC().Truncate(time.Second)
	// The proof and the removal are checked against the logins as they are in the transaction,
	// so a concurrent unlink of the proof login cannot be raced.
	_, err = s.Store.UpdateIdentity(ctx, id.ID, func(cur *store.IdentityWithLogins) error {
		if cur.Disabled {
			return forbidden(cur.ID)
		}
		for _, l := range verified {
			if !hasLogin(cur.Logins, l.Provider, l.Subject) {
				return notAuthorized(msgLoginsDontMatch)
			}
		}
		for _, provider := range remove {
			if !slices.ContainsFunc(cur.Logins, func(c store.IdentityLogin) bool { return c.Provider == provider }) {
				return resourceConflict("No login of %s is linked to identity '%s'.", provider, cur.ID)
			}
		}
		cur.Logins = slices.DeleteFunc(cur.Logins, func(c store.IdentityLogin) bool { return slices.Contains(remove, c.Provider) })
		disableWhenLoginless(cur, now)
		return nil
	})
	return s.identityUpdateErr(err, id.ID)
}

// disableWhenLoginless stamps an identity whose logins an updater changed, and disables it when
// none is left: an identity that had logins never becomes a guest again.
func disableWhenLoginless(cur *store.IdentityWithLogins, now time.Time) {
	cur.UpdatedAt = now
	if len(cur.Logins) == 0 {
		cur.Disabled = true
	}
}

// identityUpdateErr maps the error of UpdateIdentity: the updater's own AWS errors as they are.
func (s *Service) identityUpdateErr(err error, identityID string) error {
	if err == nil {
		return nil
	}
	if ae, ok := awserr.As(err); ok {
		return ae
	}
	if errors.Is(err, store.ErrNotFound) {
		return identityNotFound(identityID)
	}
	return awserr.InternalError(err)
}
