package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/store"
)

// federationTests covers the FederationStore part of the contract: OIDC and SAML providers and
// outbound web identity federation.
var federationTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"OIDCProviderRoundTrip", testOIDCProviderRoundTrip},
	{"OIDCProviderCreateErrors", testOIDCProviderCreateErrors},
	{"OIDCProviderLimit", testOIDCProviderLimit},
	{"OIDCProviderLimitConcurrent", testOIDCProviderLimitConcurrent},
	{"ListOIDCProviders", testListOIDCProviders},
	{"UpdateOIDCProvider", testUpdateOIDCProvider},
	{"DeleteOIDCProvider", testDeleteOIDCProvider},
	{"SAMLProviderRoundTrip", testSAMLProviderRoundTrip},
	{"SAMLProviderCreateErrors", testSAMLProviderCreateErrors},
	{"SAMLProviderLimit", testSAMLProviderLimit},
	{"SAMLProviderLimitConcurrent", testSAMLProviderLimitConcurrent},
	{"ListSAMLProviders", testListSAMLProviders},
	{"UpdateSAMLProvider", testUpdateSAMLProvider},
	{"DeleteSAMLProvider", testDeleteSAMLProvider},
	{"SAMLProviderLargeMetadata", testSAMLProviderLargeMetadata},
	{"OutboundFederation", testOutboundFederation},
	{"OutboundFederationConcurrent", testOutboundFederationConcurrent},
}

const thumbprintA, thumbprintB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280", "0123456789abcdef0123456789ABCDEF01234567"

func oidcARN(accountID, host string) string {
	return "arn:aws:iam::" + accountID + ":oidc-provider/" + host
}

func oidcProvider(accountID, host string) store.OIDCProvider {
	return store.OIDCProvider{
		AccountID: accountID, ARN: oidcARN(accountID, host), URL: "https://" + host,
		ClientIDs: []string{"sts.amazonaws.com"}, Thumbprints: []string{thumbprintA}, CreatedAt: at(4),
	}
}

func createOIDCProvider(t *testing.T, s store.Store, p store.OIDCProvider) {
	t.Helper()
	noErr(t, "CreateOIDCProvider "+p.ARN, s.CreateOIDCProvider(t.Context(), p, 100))
}

// checkOIDCProvider compares lists exactly: slices.Equal does not tell nil from empty, so an empty
// list must read back as nil (the store does not keep that distinction, as for tags).
func checkOIDCProvider(t *testing.T, got, want store.OIDCProvider) {
	t.Helper()
	if got.AccountID != want.AccountID || got.ARN != want.ARN || got.URL != want.URL {
		t.Errorf("OIDC provider = %+v, want %+v", got, want)
	}
	checkStrings(t, "OIDC provider "+want.ARN+" ClientIDs", got.ClientIDs, want.ClientIDs)
	checkStrings(t, "OIDC provider "+want.ARN+" Thumbprints", got.Thumbprints, want.Thumbprints)
	if !slices.Equal(got.Tags, want.Tags) {
		t.Errorf("OIDC provider %s tags = %v, want %v (in insertion order)", want.ARN, got.Tags, want.Tags)
	}
	checkTime(t, "OIDC provider "+want.ARN+" CreatedAt", got.CreatedAt, want.CreatedAt)
}

// checkStrings wants the list in the order stored and an empty list as nil.
func checkStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q (in insertion order)", what, got, want)
	}
	if len(want) == 0 && got != nil {
		t.Errorf("%s = %#v, want nil for an empty list", what, got)
	}
}

func getOIDCProvider(t *testing.T, s store.Store, arn string) store.OIDCProvider {
	t.Helper()
	p, err := s.GetOIDCProvider(t.Context(), arn)
	noErr(t, "GetOIDCProvider "+arn, err)
	return p
}

func oidcARNs(t *testing.T, s store.Store, accountID string) []string {
	t.Helper()
	ps, err := s.ListOIDCProviders(t.Context(), accountID)
	noErr(t, "ListOIDCProviders "+accountID, err)
	arns := make([]string, len(ps))
	for i, p := range ps {
		arns[i] = p.ARN
	}
	return arns
}

// samlMetadata returns a metadata document of n characters (at least 64) with multi-byte
// characters in it, so a backend that counts or truncates bytes fails.
func samlMetadata(n int, seed string) string {
	head := `<?xml version="1.0"?><EntityDescriptor entityID="` + seed + `">`
	const tail = `</EntityDescriptor>`
	const filler = "<!-- ünïcødé ✓ 𝄞 -->"
	var b strings.Builder
	b.WriteString(head)
	body := n - utf8.RuneCountInString(head) - utf8.RuneCountInString(tail)
	fillerRunes := utf8.RuneCountInString(filler)
	b.WriteString(strings.Repeat(filler, body/fillerRunes))
	b.WriteString(strings.Repeat(" ", body%fillerRunes))
	b.WriteString(tail)
	return b.String()
}

func samlARN(accountID, name string) string {
	return "arn:aws:iam::" + accountID + ":saml-provider/" + name
}

// samlUUID derives a distinct SAMLProviderUUID-shaped id ([A-Z0-9]{32}) from seed.
func samlUUID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return strings.ToUpper(hex.EncodeToString(sum[:16]))
}

func samlProvider(accountID, name string) store.SAMLProvider {
	return store.SAMLProvider{
		AccountID: accountID, ARN: samlARN(accountID, name), Name: name,
		UUID:             samlUUID(samlARN(accountID, name)),
		MetadataDocument: samlMetadata(1200, name), CreatedAt: at(5),
	}
}

func createSAMLProvider(t *testing.T, s store.Store, p store.SAMLProvider) {
	t.Helper()
	noErr(t, "CreateSAMLProvider "+p.ARN, s.CreateSAMLProvider(t.Context(), p, 100))
}

// checkSAMLProvider never prints a metadata document: it may be 10 MB.
func checkSAMLProvider(t *testing.T, got, want store.SAMLProvider) {
	t.Helper()
	if got.AccountID != want.AccountID || got.ARN != want.ARN || got.Name != want.Name || got.UUID != want.UUID ||
		got.AssertionEncryptionMode != want.AssertionEncryptionMode {
		t.Errorf("SAML provider = {AccountID:%s ARN:%s Name:%s UUID:%s AssertionEncryptionMode:%q}, want {%s %s %s %s %q}",
			got.AccountID, got.ARN, got.Name, got.UUID, got.AssertionEncryptionMode,
			want.AccountID, want.ARN, want.Name, want.UUID, want.AssertionEncryptionMode)
	}
	if got.MetadataDocument != want.MetadataDocument {
		t.Errorf("SAML provider %s metadata document differs: %d characters (%d bytes), want %d characters (%d bytes)",
			want.ARN, utf8.RuneCountInString(got.MetadataDocument), len(got.MetadataDocument),
			utf8.RuneCountInString(want.MetadataDocument), len(want.MetadataDocument))
	}
	if !slices.Equal(got.Tags, want.Tags) {
		t.Errorf("SAML provider %s tags = %v, want %v (in insertion order)", want.ARN, got.Tags, want.Tags)
	}
	checkTime(t, "SAML provider "+want.ARN+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkOptionalTime(t, "SAML provider "+want.ARN+" ValidUntil", got.ValidUntil, want.ValidUntil)
}

func getSAMLProvider(t *testing.T, s store.Store, arn string) store.SAMLProvider {
	t.Helper()
	p, err := s.GetSAMLProvider(t.Context(), arn)
	noErr(t, "GetSAMLProvider "+arn, err)
	return p
}

func samlARNs(t *testing.T, s store.Store, accountID string) []string {
	t.Helper()
	ps, err := s.ListSAMLProviders(t.Context(), accountID)
	noErr(t, "ListSAMLProviders "+accountID, err)
	arns := make([]string, len(ps))
	for i, p := range ps {
		arns[i] = p.ARN
	}
	return arns
}

// OIDC providers.

func testOIDCProviderRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	full := store.OIDCProvider{
		AccountID: acct1,
		ARN:       oidcARN(acct1, "token.actions.githubusercontent.com/path/x"),
		URL:       "https://token.actions.githubusercontent.com/path/x",
		// Deliberately not sorted, with characters JSON escapes: the list comes back as given.
		ClientIDs:   []string{"zeta-client", "sts.amazonaws.com", `quote"back\slash<&>`, "ünïcødé ✓", "alpha"},
		Thumbprints: []string{thumbprintB, thumbprintA},
		Tags:        []store.Tag{{Key: "zeta", Value: "1"}, {Key: "Alpha", Value: "ünïcødé"}, {Key: "empty", Value: ""}},
		CreatedAt:   at(6),
	}
	createOIDCProvider(t, s, full)
	checkOIDCProvider(t, getOIDCProvider(t, s, full.ARN), full)

	// nil and empty lists both come back as nil.
	bare := store.OIDCProvider{AccountID: acct1, ARN: oidcARN(acct1, "bare.example.com"), URL: "https://bare.example.com", CreatedAt: at(7)}
	createOIDCProvider(t, s, bare)
	checkOIDCProvider(t, getOIDCProvider(t, s, bare.ARN), bare)
	empty := store.OIDCProvider{
		AccountID: acct1, ARN: oidcARN(acct1, "empty.example.com"), URL: "https://empty.example.com",
		ClientIDs: []string{}, Thumbprints: []string{}, Tags: []store.Tag{}, CreatedAt: at(8),
	}
	createOIDCProvider(t, s, empty)
	got := getOIDCProvider(t, s, empty.ARN)
	empty.ClientIDs, empty.Thumbprints, empty.Tags = nil, nil, nil
	checkOIDCProvider(t, got, empty)

	list, err := s.ListOIDCProviders(ctx, acct1)
	noErr(t, "ListOIDCProviders", err)
	if len(list) != 3 {
		t.Fatalf("ListOIDCProviders returned %d providers, want 3", len(list))
	}
	checkOIDCProvider(t, list[0], bare)
	checkOIDCProvider(t, list[1], empty)
	checkOIDCProvider(t, list[2], full)

	_, err = s.GetOIDCProvider(ctx, oidcARN(acct1, "nobody.example.com"))
	wantErr(t, "GetOIDCProvider of a missing ARN", err, store.ErrNotFound)
	_, err = s.GetOIDCProvider(ctx, strings.ToUpper(full.ARN))
	wantErr(t, "GetOIDCProvider with the ARN in other case", err, store.ErrNotFound)
}

func testOIDCProviderCreateErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	orig := oidcProvider(acct1, "dup.example.com")
	createOIDCProvider(t, s, orig)

	dup := orig
	dup.ClientIDs = []string{"other"}
	dup.CreatedAt = at(9)
	wantErr(t, "CreateOIDCProvider with an existing ARN", s.CreateOIDCProvider(ctx, dup, 100), store.ErrAlreadyExists)
	// At the limit a duplicate is still reported as a duplicate, so a retried create is recognisable.
	wantErr(t, "CreateOIDCProvider with an existing ARN at the limit", s.CreateOIDCProvider(ctx, dup, 1), store.ErrAlreadyExists)
	checkOIDCProvider(t, getOIDCProvider(t, s, orig.ARN), orig)

	ghost := oidcProvider("999999999999", "ghost.example.com")
	wantErr(t, "CreateOIDCProvider in a missing account", s.CreateOIDCProvider(ctx, ghost, 100), store.ErrNotFound)
	wantErr(t, "CreateOIDCProvider in a missing account with no room", s.CreateOIDCProvider(ctx, ghost, 0), store.ErrNotFound)
	_, err := s.GetOIDCProvider(ctx, ghost.ARN)
	wantErr(t, "GetOIDCProvider after the refused create", err, store.ErrNotFound)
	if got := oidcARNs(t, s, acct1); !slices.Equal(got, []string{orig.ARN}) {
		t.Fatalf("ListOIDCProviders after the refused creates = %v", got)
	}
}

func testOIDCProviderLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	for i := range 2 {
		noErr(t, fmt.Sprintf("provider %d", i), s.CreateOIDCProvider(ctx, oidcProvider(acct1, fmt.Sprintf("idp%d.example.com", i)), 2))
	}
	over := oidcProvider(acct1, "idp2.example.com")
	wantErr(t, "provider over the limit", s.CreateOIDCProvider(ctx, over, 2), store.ErrLimitExceeded)
	_, err := s.GetOIDCProvider(ctx, over.ARN)
	wantErr(t, "GetOIDCProvider of the refused provider", err, store.ErrNotFound)

	// SAML providers and other accounts have their own counts.
	noErr(t, "SAML provider", s.CreateSAMLProvider(ctx, samlProvider(acct1, "saml"), 2))
	noErr(t, "other account's provider", s.CreateOIDCProvider(ctx, oidcProvider(acct2, "idp0.example.com"), 2))

	noErr(t, "DeleteOIDCProvider", s.DeleteOIDCProvider(ctx, oidcARN(acct1, "idp0.example.com")))
	noErr(t, "provider after a delete", s.CreateOIDCProvider(ctx, over, 2))
	if got := oidcARNs(t, s, acct1); len(got) != 2 {
		t.Fatalf("account has providers %v, want 2", got)
	}
}

func testOIDCProviderLimitConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	errs := Concurrently(8, func(i int) error {
		return s.CreateOIDCProvider(ctx, oidcProvider(acct1, fmt.Sprintf("race%d.example.com", i)), 3)
	})
	if ok := countOutcomes(t, "CreateOIDCProvider", errs, store.ErrLimitExceeded); ok != 3 {
		t.Fatalf("%d of 8 concurrent CreateOIDCProvider calls succeeded, want exactly 3", ok)
	}
	if got := oidcARNs(t, s, acct1); len(got) != 3 {
		t.Fatalf("the account has providers %v, want 3", got)
	}

	// Concurrent creates of one ARN: exactly one wins.
	createAccount(t, s, acct2)
	errs = Concurrently(8, func(i int) error {
		p := oidcProvider(acct2, "same.example.com")
		p.ClientIDs = []string{fmt.Sprintf("client-%d", i)}
		return s.CreateOIDCProvider(ctx, p, 100)
	})
	if ok := countOutcomes(t, "CreateOIDCProvider of one ARN", errs, store.ErrAlreadyExists); ok != 1 {
		t.Fatalf("%d of 8 concurrent CreateOIDCProvider calls of one ARN succeeded, want exactly 1", ok)
	}
	if got := oidcARNs(t, s, acct2); len(got) != 1 {
		t.Fatalf("the account has providers %v, want 1", got)
	}
}

func testListOIDCProviders(t *testing.T, s store.Store) {
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	if got := oidcARNs(t, s, acct1); len(got) != 0 {
		t.Fatalf("ListOIDCProviders of an account without providers = %v", got)
	}
	// Inserted out of order; the list is in code-point order of the ARN ("Z" sorts before "a").
	hosts := []string{"b.example.com", "Z.example.com", "a.example.com/tenant2", "a.example.com", "a.example.com/Tenant1", "_.example.com"}
	var want []string
	for _, h := range hosts {
		createOIDCProvider(t, s, oidcProvider(acct1, h))
		want = append(want, oidcARN(acct1, h))
	}
	createOIDCProvider(t, s, oidcProvider(acct2, "a.example.com"))
	slices.Sort(want)
	if got := oidcARNs(t, s, acct1); !slices.Equal(got, want) {
		t.Fatalf("ListOIDCProviders = %v, want %v", got, want)
	}
	if got := oidcARNs(t, s, acct2); !slices.Equal(got, []string{oidcARN(acct2, "a.example.com")}) {
		t.Fatalf("ListOIDCProviders of the other account = %v", got)
	}
	if got := oidcARNs(t, s, "999999999999"); len(got) != 0 {
		t.Fatalf("ListOIDCProviders of a missing account = %v", got)
	}
}

func testUpdateOIDCProvider(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	orig := oidcProvider(acct1, "upd.example.com")
	orig.Tags = []store.Tag{{Key: "team", Value: "a"}}
	createOIDCProvider(t, s, orig)
	other := oidcProvider(acct1, "other.example.com")
	createOIDCProvider(t, s, other)

	updated := orig
	updated.ClientIDs = []string{"z-client", "a-client", "m-client"}
	updated.Thumbprints = []string{thumbprintB, thumbprintA}
	updated.Tags = []store.Tag{{Key: "z", Value: "last"}, {Key: "a", Value: "first"}}
	returned, err := s.UpdateOIDCProvider(ctx, orig.ARN, func(p *store.OIDCProvider) error {
		checkOIDCProvider(t, *p, orig)
		p.ClientIDs, p.Thumbprints, p.Tags = updated.ClientIDs, updated.Thumbprints, updated.Tags
		return nil
	})
	noErr(t, "UpdateOIDCProvider", err)
	checkOIDCProvider(t, returned, updated)
	checkOIDCProvider(t, getOIDCProvider(t, s, orig.ARN), updated)
	checkOIDCProvider(t, getOIDCProvider(t, s, other.ARN), other)

	cleared := updated
	cleared.ClientIDs, cleared.Thumbprints, cleared.Tags = nil, []string{}, nil
	noErr(t, "UpdateOIDCProvider clearing the lists", setOIDCProvider(ctx, s, cleared))
	cleared.Thumbprints = nil
	checkOIDCProvider(t, getOIDCProvider(t, s, orig.ARN), cleared)

	wantErr(t, "UpdateOIDCProvider of a missing ARN",
		setOIDCProvider(ctx, s, oidcProvider(acct1, "nobody.example.com")), store.ErrNotFound)
	_, err = s.GetOIDCProvider(ctx, oidcARN(acct1, "nobody.example.com"))
	wantErr(t, "GetOIDCProvider after updating a missing ARN", err, store.ErrNotFound)
}

func testDeleteOIDCProvider(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	gone := oidcProvider(acct1, "gone.example.com")
	stays := oidcProvider(acct1, "stays.example.com")
	createOIDCProvider(t, s, gone)
	createOIDCProvider(t, s, stays)

	noErr(t, "DeleteOIDCProvider", s.DeleteOIDCProvider(ctx, gone.ARN))
	_, err := s.GetOIDCProvider(ctx, gone.ARN)
	wantErr(t, "GetOIDCProvider after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteOIDCProvider again", s.DeleteOIDCProvider(ctx, gone.ARN), store.ErrNotFound)
	wantErr(t, "DeleteOIDCProvider of a SAML provider's ARN", s.DeleteOIDCProvider(ctx, samlARN(acct1, "x")), store.ErrNotFound)
	if got := oidcARNs(t, s, acct1); !slices.Equal(got, []string{stays.ARN}) {
		t.Fatalf("ListOIDCProviders after delete = %v", got)
	}

	again := gone
	again.ClientIDs = []string{"new-client"}
	again.CreatedAt = at(20)
	noErr(t, "CreateOIDCProvider of a deleted ARN", s.CreateOIDCProvider(ctx, again, 100))
	checkOIDCProvider(t, getOIDCProvider(t, s, gone.ARN), again)
}

// SAML providers.

func testSAMLProviderRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	validUntil := at(1000)
	full := samlProvider(acct1, "Okta.Prod_1-x")
	full.MetadataDocument = "<?xml version=\"1.0\"?>\r\n<EntityDescriptor>\n\t<!-- kept byte for byte: ünïcødé ✓ --> \n</EntityDescriptor>\n" +
		strings.Repeat("x", 1000)
	full.ValidUntil = &validUntil
	full.AssertionEncryptionMode = "Required"
	full.Tags = []store.Tag{{Key: "zeta", Value: "1"}, {Key: "Alpha", Value: "ünïcødé"}, {Key: "empty", Value: ""}}
	createSAMLProvider(t, s, full)
	checkSAMLProvider(t, getSAMLProvider(t, s, full.ARN), full)

	plain := samlProvider(acct1, "plain")
	createSAMLProvider(t, s, plain)
	checkSAMLProvider(t, getSAMLProvider(t, s, plain.ARN), plain)

	allowed := samlProvider(acct1, "allowed")
	allowed.AssertionEncryptionMode = "Allowed"
	allowed.Tags = []store.Tag{}
	createSAMLProvider(t, s, allowed)
	allowed.Tags = nil
	checkSAMLProvider(t, getSAMLProvider(t, s, allowed.ARN), allowed)

	list, err := s.ListSAMLProviders(ctx, acct1)
	noErr(t, "ListSAMLProviders", err)
	if len(list) != 3 {
		t.Fatalf("ListSAMLProviders returned %d providers, want 3", len(list))
	}
	checkSAMLProvider(t, list[0], full)
	checkSAMLProvider(t, list[1], allowed)
	checkSAMLProvider(t, list[2], plain)

	_, err = s.GetSAMLProvider(ctx, samlARN(acct1, "nobody"))
	wantErr(t, "GetSAMLProvider of a missing ARN", err, store.ErrNotFound)
	_, err = s.GetSAMLProvider(ctx, oidcARN(acct1, "plain"))
	wantErr(t, "GetSAMLProvider of an OIDC-shaped ARN", err, store.ErrNotFound)
}

func testSAMLProviderCreateErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	orig := samlProvider(acct1, "dup")
	createSAMLProvider(t, s, orig)

	dup := samlProvider(acct1, "dup")
	dup.UUID = "UDIFFERENTUUID0000000000"
	dup.MetadataDocument = samlMetadata(1500, "other")
	wantErr(t, "CreateSAMLProvider with an existing ARN", s.CreateSAMLProvider(ctx, dup, 100), store.ErrAlreadyExists)
	wantErr(t, "CreateSAMLProvider with an existing ARN at the limit", s.CreateSAMLProvider(ctx, dup, 1), store.ErrAlreadyExists)

	// The UUID is unique across accounts.
	sameUUID := samlProvider(acct2, "fresh")
	sameUUID.UUID = orig.UUID
	wantErr(t, "CreateSAMLProvider with an existing UUID", s.CreateSAMLProvider(ctx, sameUUID, 100), store.ErrAlreadyExists)
	_, err := s.GetSAMLProvider(ctx, sameUUID.ARN)
	wantErr(t, "GetSAMLProvider after the refused create", err, store.ErrNotFound)
	checkSAMLProvider(t, getSAMLProvider(t, s, orig.ARN), orig)

	ghost := samlProvider("999999999999", "ghost")
	wantErr(t, "CreateSAMLProvider in a missing account", s.CreateSAMLProvider(ctx, ghost, 100), store.ErrNotFound)
	wantErr(t, "CreateSAMLProvider in a missing account with no room", s.CreateSAMLProvider(ctx, ghost, 0), store.ErrNotFound)
	_, err = s.GetSAMLProvider(ctx, ghost.ARN)
	wantErr(t, "GetSAMLProvider after the refused create", err, store.ErrNotFound)

	// An OIDC provider and a SAML provider never collide.
	createOIDCProvider(t, s, oidcProvider(acct1, "dup"))
	if got := samlARNs(t, s, acct1); !slices.Equal(got, []string{orig.ARN}) {
		t.Fatalf("ListSAMLProviders after the refused creates = %v", got)
	}
	if got := samlARNs(t, s, acct2); len(got) != 0 {
		t.Fatalf("ListSAMLProviders of the other account = %v", got)
	}
}

func testSAMLProviderLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	for i := range 2 {
		noErr(t, fmt.Sprintf("provider %d", i), s.CreateSAMLProvider(ctx, samlProvider(acct1, fmt.Sprintf("idp%d", i)), 2))
	}
	over := samlProvider(acct1, "idp2")
	wantErr(t, "provider over the limit", s.CreateSAMLProvider(ctx, over, 2), store.ErrLimitExceeded)
	_, err := s.GetSAMLProvider(ctx, over.ARN)
	wantErr(t, "GetSAMLProvider of the refused provider", err, store.ErrNotFound)

	noErr(t, "OIDC provider", s.CreateOIDCProvider(ctx, oidcProvider(acct1, "idp.example.com"), 2))
	noErr(t, "other account's provider", s.CreateSAMLProvider(ctx, samlProvider(acct2, "idp0"), 2))

	noErr(t, "DeleteSAMLProvider", s.DeleteSAMLProvider(ctx, samlARN(acct1, "idp0")))
	noErr(t, "provider after a delete", s.CreateSAMLProvider(ctx, over, 2))
	if got := samlARNs(t, s, acct1); len(got) != 2 {
		t.Fatalf("account has providers %v, want 2", got)
	}
}

func testSAMLProviderLimitConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	errs := Concurrently(8, func(i int) error {
		return s.CreateSAMLProvider(ctx, samlProvider(acct1, fmt.Sprintf("race%d", i)), 3)
	})
	if ok := countOutcomes(t, "CreateSAMLProvider", errs, store.ErrLimitExceeded); ok != 3 {
		t.Fatalf("%d of 8 concurrent CreateSAMLProvider calls succeeded, want exactly 3", ok)
	}
	if got := samlARNs(t, s, acct1); len(got) != 3 {
		t.Fatalf("the account has providers %v, want 3", got)
	}
}

func testListSAMLProviders(t *testing.T, s store.Store) {
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	if got := samlARNs(t, s, acct1); len(got) != 0 {
		t.Fatalf("ListSAMLProviders of an account without providers = %v", got)
	}
	names := []string{"b", "Z", "a-2", "a", "A_1", "a.b", "_x"}
	var want []string
	for _, n := range names {
		createSAMLProvider(t, s, samlProvider(acct1, n))
		want = append(want, samlARN(acct1, n))
	}
	createSAMLProvider(t, s, samlProvider(acct2, "a"))
	slices.Sort(want)
	if got := samlARNs(t, s, acct1); !slices.Equal(got, want) {
		t.Fatalf("ListSAMLProviders = %v, want %v", got, want)
	}
	if got := samlARNs(t, s, acct2); !slices.Equal(got, []string{samlARN(acct2, "a")}) {
		t.Fatalf("ListSAMLProviders of the other account = %v", got)
	}
	if got := samlARNs(t, s, "999999999999"); len(got) != 0 {
		t.Fatalf("ListSAMLProviders of a missing account = %v", got)
	}
}

func testUpdateSAMLProvider(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	orig := samlProvider(acct1, "upd")
	orig.Tags = []store.Tag{{Key: "team", Value: "a"}}
	createSAMLProvider(t, s, orig)
	other := samlProvider(acct1, "other")
	createSAMLProvider(t, s, other)

	validUntil := at(2000)
	updated := orig
	updated.MetadataDocument = samlMetadata(5000, "rotated")
	updated.ValidUntil = &validUntil
	updated.AssertionEncryptionMode = "Allowed"
	updated.Tags = []store.Tag{{Key: "z", Value: "last"}, {Key: "a", Value: "first"}}
	returned, err := s.UpdateSAMLProvider(ctx, orig.ARN, func(p *store.SAMLProvider) error {
		checkSAMLProvider(t, *p, orig)
		p.MetadataDocument, p.ValidUntil, p.AssertionEncryptionMode, p.Tags = updated.MetadataDocument, updated.ValidUntil, updated.AssertionEncryptionMode, updated.Tags
		return nil
	})
	noErr(t, "UpdateSAMLProvider", err)
	checkSAMLProvider(t, returned, updated)
	checkSAMLProvider(t, getSAMLProvider(t, s, orig.ARN), updated)
	checkSAMLProvider(t, getSAMLProvider(t, s, other.ARN), other)

	again := updated
	again.ValidUntil = nil
	again.AssertionEncryptionMode = "Required"
	again.Tags = nil
	noErr(t, "UpdateSAMLProvider clearing ValidUntil and tags", setSAMLProvider(ctx, s, again))
	checkSAMLProvider(t, getSAMLProvider(t, s, orig.ARN), again)

	back := again
	back.AssertionEncryptionMode = ""
	noErr(t, "UpdateSAMLProvider clearing the encryption mode", setSAMLProvider(ctx, s, back))
	checkSAMLProvider(t, getSAMLProvider(t, s, orig.ARN), back)

	wantErr(t, "UpdateSAMLProvider of a missing ARN", setSAMLProvider(ctx, s, samlProvider(acct1, "nobody")), store.ErrNotFound)
	_, err = s.GetSAMLProvider(ctx, samlARN(acct1, "nobody"))
	wantErr(t, "GetSAMLProvider after updating a missing ARN", err, store.ErrNotFound)
}

func testDeleteSAMLProvider(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	gone := samlProvider(acct1, "gone")
	stays := samlProvider(acct1, "stays")
	createSAMLProvider(t, s, gone)
	createSAMLProvider(t, s, stays)

	noErr(t, "DeleteSAMLProvider", s.DeleteSAMLProvider(ctx, gone.ARN))
	_, err := s.GetSAMLProvider(ctx, gone.ARN)
	wantErr(t, "GetSAMLProvider after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteSAMLProvider again", s.DeleteSAMLProvider(ctx, gone.ARN), store.ErrNotFound)
	if got := samlARNs(t, s, acct1); !slices.Equal(got, []string{stays.ARN}) {
		t.Fatalf("ListSAMLProviders after delete = %v", got)
	}

	// The name and the UUID are free again.
	again := gone
	again.CreatedAt = at(30)
	noErr(t, "CreateSAMLProvider of a deleted ARN and UUID", s.CreateSAMLProvider(ctx, again, 100))
	checkSAMLProvider(t, getSAMLProvider(t, s, gone.ARN), again)
}

// testSAMLProviderLargeMetadata stores a document of the largest size IAM accepts (10,000,000
// characters, more bytes since some are multi-byte).
func testSAMLProviderLargeMetadata(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	const maxChars = 10_000_000
	big := samlProvider(acct1, "big")
	big.MetadataDocument = samlMetadata(maxChars, "big")
	if n := utf8.RuneCountInString(big.MetadataDocument); n != maxChars {
		t.Fatalf("test document has %d characters, want %d", n, maxChars)
	}
	createSAMLProvider(t, s, big)
	checkSAMLProvider(t, getSAMLProvider(t, s, big.ARN), big)

	list, err := s.ListSAMLProviders(ctx, acct1)
	noErr(t, "ListSAMLProviders", err)
	if len(list) != 1 {
		t.Fatalf("ListSAMLProviders returned %d providers, want 1", len(list))
	}
	checkSAMLProvider(t, list[0], big)

	small := big
	small.MetadataDocument = samlMetadata(1000, "small")
	noErr(t, "UpdateSAMLProvider to a small document", setSAMLProvider(ctx, s, small))
	checkSAMLProvider(t, getSAMLProvider(t, s, big.ARN), small)
}

// Outbound web identity federation.

func checkOutbound(t *testing.T, s store.Store, want store.OutboundFederation) {
	t.Helper()
	got, err := s.GetOutboundFederation(t.Context(), want.AccountID)
	noErr(t, "GetOutboundFederation "+want.AccountID, err)
	if got.AccountID != want.AccountID || got.IssuerIdentifier != want.IssuerIdentifier || got.Enabled != want.Enabled {
		t.Errorf("outbound federation = %+v, want %+v", got, want)
	}
	checkTime(t, "outbound federation UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testOutboundFederation(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	_, err := s.GetOutboundFederation(ctx, acct1)
	wantErr(t, "GetOutboundFederation of an account that never enabled it", err, store.ErrNotFound)
	_, err = s.GetOutboundFederation(ctx, "999999999999")
	wantErr(t, "GetOutboundFederation of a missing account", err, store.ErrNotFound)

	first := store.OutboundFederation{AccountID: acct1, IssuerIdentifier: "https://0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.tokens.example.com", Enabled: true, UpdatedAt: at(1)}
	got, err := s.UpdateOutboundFederation(ctx, acct1, func(f *store.OutboundFederation, found bool) error {
		if found || *f != (store.OutboundFederation{AccountID: acct1}) {
			t.Errorf("the updater of a new row got %+v, found %v; want only the account, not found", *f, found)
		}
		f.IssuerIdentifier, f.Enabled, f.UpdatedAt = first.IssuerIdentifier, first.Enabled, first.UpdatedAt
		return nil
	})
	noErr(t, "UpdateOutboundFederation create", err)
	if got.IssuerIdentifier != first.IssuerIdentifier || !got.Enabled {
		t.Errorf("UpdateOutboundFederation returned %+v, want %+v", got, first)
	}
	checkOutbound(t, s, first)
	_, err = s.GetOutboundFederation(ctx, acct2)
	wantErr(t, "GetOutboundFederation of the other account", err, store.ErrNotFound)

	disabled := first
	disabled.Enabled = false
	disabled.UpdatedAt = at(2)
	_, err = s.UpdateOutboundFederation(ctx, acct1, func(f *store.OutboundFederation, found bool) error {
		if !found || f.IssuerIdentifier != first.IssuerIdentifier || !f.Enabled {
			t.Errorf("the updater of the stored row got %+v, found %v; want %+v", *f, found, first)
		}
		f.Enabled, f.UpdatedAt = false, disabled.UpdatedAt
		return nil
	})
	noErr(t, "UpdateOutboundFederation disable", err)
	checkOutbound(t, s, disabled)

	replaced := store.OutboundFederation{AccountID: acct1, IssuerIdentifier: "https://other.tokens.example.com", Enabled: true, UpdatedAt: at(3)}
	noErr(t, "UpdateOutboundFederation replace", putOutbound(ctx, s, replaced))
	checkOutbound(t, s, replaced)

	second := store.OutboundFederation{AccountID: acct2, IssuerIdentifier: "https://second.tokens.example.com", UpdatedAt: at(4)}
	noErr(t, "UpdateOutboundFederation of the other account, disabled", putOutbound(ctx, s, second))
	checkOutbound(t, s, second)
	checkOutbound(t, s, replaced)

	ghost := store.OutboundFederation{AccountID: "999999999999", IssuerIdentifier: "https://ghost.example.com", Enabled: true, UpdatedAt: at(5)}
	wantErr(t, "UpdateOutboundFederation of a missing account", putOutbound(ctx, s, ghost), store.ErrNotFound)
	_, err = s.GetOutboundFederation(ctx, ghost.AccountID)
	wantErr(t, "GetOutboundFederation after the refused put", err, store.ErrNotFound)
}

func testOutboundFederationConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	// Concurrent first enables, as IAM's EnableOutboundWebIdentityFederation runs them: each
	// creates an issuer unless one exists and is enabled. Exactly one wins; the others see its
	// row, so no caller is told an issuer that is not the stored one.
	errEnabled := errors.New("already enabled")
	issuers := make([]string, concurrentUpdaters)
	errs := Concurrently(concurrentUpdaters, func(i int) error {
		f, err := s.UpdateOutboundFederation(ctx, acct1, func(f *store.OutboundFederation, found bool) error {
			if found && f.Enabled {
				return errEnabled
			}
			if !found {
				f.IssuerIdentifier = fmt.Sprintf("https://issuer-%d.example.com", i)
			}
			f.Enabled, f.UpdatedAt = true, at(i)
			return nil
		})
		issuers[i] = f.IssuerIdentifier
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("callers %d and %d both enabled it", winner, i)
		case err == nil:
			winner = i
		case err != errEnabled:
			t.Fatalf("caller %d: got %v, want nil or the updater's own refusal", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no caller enabled it")
	}
	checkOutbound(t, s, store.OutboundFederation{AccountID: acct1, IssuerIdentifier: issuers[winner], Enabled: true, UpdatedAt: at(winner)})
}
