package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// TestFederationConstraints checks what the schema of 00003 refuses by itself, beside the store's
// own checks.
func TestFederationConstraints(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	const acct = "123456789012"
	if err := s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	saml := store.SAMLProvider{
		AccountID: acct, ARN: "arn:aws:iam::" + acct + ":saml-provider/idp", Name: "idp",
		UUID: "UUID0000000000000000000001", MetadataDocument: "<EntityDescriptor/>", CreatedAt: time.Now(),
	}
	if err := s.CreateSAMLProvider(ctx, saml, 10); err != nil {
		t.Fatal(err)
	}

	// One name per account, however the ARN is spelled.
	other := saml
	other.ARN = "arn:aws-us-gov:iam::" + acct + ":saml-provider/idp"
	other.UUID = "UUID0000000000000000000002"
	if err := s.CreateSAMLProvider(ctx, other, 10); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("CreateSAMLProvider of an existing name under another ARN = %v, want ErrAlreadyExists", err)
	}

	// The encryption mode is one of the contract's three values.
	bogus := saml
	bogus.ARN, bogus.Name, bogus.UUID = saml.ARN+"2", "idp2", "UUID0000000000000000000003"
	bogus.AssertionEncryptionMode = "required"
	if err := s.CreateSAMLProvider(ctx, bogus, 10); err == nil {
		t.Error("CreateSAMLProvider with encryption mode \"required\" succeeded")
	}
	if _, err := s.UpdateSAMLProvider(ctx, saml.ARN, func(p *store.SAMLProvider) error {
		p.AssertionEncryptionMode = "Sometimes"
		return nil
	}); err == nil {
		t.Error("UpdateSAMLProvider with encryption mode \"Sometimes\" succeeded")
	}

	// Rows of a missing account are refused by the foreign keys, not only by the store's check.
	for _, tc := range []struct{ what, query string }{
		{"an OIDC provider", `INSERT INTO oidc_providers (arn, account_id, url, created_at)
			VALUES ('arn:aws:iam::999999999999:oidc-provider/x', '999999999999', 'https://x', 0)`},
		{"a SAML provider", `INSERT INTO saml_providers (arn, account_id, name, uuid, metadata_document, created_at)
			VALUES ('arn:aws:iam::999999999999:saml-provider/x', '999999999999', 'x', 'UUIDX', '<x/>', 0)`},
		{"outbound federation", `INSERT INTO outbound_federation (account_id, issuer_identifier, enabled, updated_at)
			VALUES ('999999999999', 'https://x', TRUE, 0)`},
	} {
		_, err := s.db.ExecContext(ctx, tc.query)
		if s.dialect.classify(err) != kindForeignKey {
			t.Errorf("inserting %s for a missing account directly: got %v, want a foreign-key violation", tc.what, err)
		}
	}
}

// TestFederationErrorsKeepContext checks that the sentinel errors carry the operation and the reason.
func TestFederationErrorsKeepContext(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	const acct = "123456789012"
	if err := s.CreateAccount(ctx, store.Account{ID: acct}); err != nil {
		t.Fatal(err)
	}
	p := store.OIDCProvider{AccountID: acct, ARN: "arn:aws:iam::" + acct + ":oidc-provider/a.example.com", URL: "https://a.example.com"}
	if err := s.CreateOIDCProvider(ctx, p, 1); err != nil {
		t.Fatal(err)
	}
	p2 := p
	p2.ARN += "/2"
	err := s.CreateOIDCProvider(ctx, p2, 1)
	if !errors.Is(err, store.ErrLimitExceeded) || !strings.Contains(err.Error(), p2.ARN) || !strings.Contains(err.Error(), "(limit 1)") {
		t.Errorf("CreateOIDCProvider over the limit = %v", err)
	}
	p2.AccountID = "999999999999"
	err = s.CreateOIDCProvider(ctx, p2, 1)
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `account "999999999999" does not exist`) {
		t.Errorf("CreateOIDCProvider in a missing account = %v", err)
	}
}

// TestUpgradeFrom00002 applies 00003 to a database that already holds data written under 00002,
// and checks that 00003 migrates down and up again.
func TestUpgradeFrom00002(t *testing.T) {
	ctx := t.Context()
	const acct = "123456789012"
	path := sqliteAt(t, 2, `INSERT INTO accounts (id, created_at) VALUES ('`+acct+`', 1)`)

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a 00002 database: %v", err)
	}
	defer s.Close()
	oidc := store.OIDCProvider{AccountID: acct, ARN: "arn:aws:iam::" + acct + ":oidc-provider/idp.example.com", URL: "https://idp.example.com"}
	if err := s.CreateOIDCProvider(ctx, oidc, 100); err != nil {
		t.Fatalf("CreateOIDCProvider in an account created under 00002: %v", err)
	}
	saml := store.SAMLProvider{AccountID: acct, ARN: "arn:aws:iam::" + acct + ":saml-provider/idp", Name: "idp", UUID: "UUID1", MetadataDocument: "<x/>"}
	if err := s.CreateSAMLProvider(ctx, saml, 100); err != nil {
		t.Fatalf("CreateSAMLProvider in an account created under 00002: %v", err)
	}
	if _, err := s.UpdateOutboundFederation(ctx, acct, func(f *store.OutboundFederation, _ bool) error {
		f.IssuerIdentifier, f.Enabled = "https://x", true
		return nil
	}); err != nil {
		t.Fatalf("UpdateOutboundFederation in an account created under 00002: %v", err)
	}

	migrateDownTo(t, s, 2)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate 00003 up again: %v", err)
	}
	if _, err := s.GetOIDCProvider(ctx, oidc.ARN); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetOIDCProvider after down and up = %v, want ErrNotFound", err)
	}
	if _, err := s.GetOutboundFederation(ctx, acct); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetOutboundFederation after down and up = %v, want ErrNotFound", err)
	}
	if err := s.CreateSAMLProvider(ctx, saml, 100); err != nil {
		t.Fatalf("CreateSAMLProvider after down and up: %v", err)
	}
}
