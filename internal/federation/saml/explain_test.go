package saml

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/explain/explaintest"
)

// TestRefusalsAreExplained: each refusal names the failed check with the values compared, and
// its JSON holds neither the response nor any signature or attribute value.
func TestRefusalsAreExplained(t *testing.T) {
	base := defaultSpec()
	cases := []struct {
		name    string
		spec    func(*respSpec)
		now     time.Time
		kind    ErrorKind
		outcome explain.Outcome
		check   string
		values  []string
		summary string
	}{
		{name: "wrong Issuer", spec: func(s *respSpec) { s.Issuer = "https://evil.example.com" }, kind: InvalidResponse, outcome: explain.InvalidAssertion,
			check: "Issuer", values: []string{"https://evil.example.com", testEntityID}, summary: "entityID"},
		{name: "wrong Audience", spec: func(s *respSpec) { s.Audiences = []string{"urn:someone:else"} }, kind: InvalidResponse, outcome: explain.InvalidAssertion,
			check: "Audience", values: []string{"urn:someone:else", testAudience, testRecipient}, summary: `"urn:someone:else"`},
		{name: "wrong Recipient", spec: func(s *respSpec) { s.Recipient = "https://elsewhere.example.com/acs" }, kind: InvalidResponse, outcome: explain.InvalidAssertion,
			check: "Recipient", values: []string{"https://elsewhere.example.com/acs", testRecipient, testOwnURL}, summary: "ACS URL"},
		{name: "wrong Destination", spec: func(s *respSpec) { s.Destination = "https://elsewhere.example.com/acs" }, kind: InvalidResponse, outcome: explain.InvalidAssertion,
			check: "Destination", values: []string{"https://elsewhere.example.com/acs", testRecipient}, summary: "Destination"},
		{name: "expired", spec: func(s *respSpec) {}, now: base.NotOnOrAfter.Add(time.Hour), kind: Expired, outcome: explain.ExpiredToken,
			check: "NotOnOrAfter", values: []string{"2026-03-02T12:05:00Z", "2026-03-02T13:02:00Z"}, summary: "is past"},
		{name: "redeemed too late", spec: func(s *respSpec) {
			s.IssueInstant = testNow.Add(-time.Hour)
			s.NotBefore = s.IssueInstant
		}, kind: Expired, outcome: explain.ExpiredToken, check: "IssueInstant + 5 minutes", values: []string{"2026-03-02T11:05:00Z"}, summary: "IssueInstant + 5 minutes"},
		{name: "not yet valid", spec: func(s *respSpec) { s.NotBefore = testNow.Add(10 * time.Minute) }, kind: InvalidResponse, outcome: explain.InvalidAssertion,
			check: "NotBefore", values: []string{"2026-03-02T12:10:00Z", "2026-03-02T12:03:00Z"}, summary: "clock skew of 3m0s"},
		{name: "signed by another key", spec: func(s *respSpec) { s.Signer = attackerKey }, kind: InvalidResponse, outcome: explain.InvalidAssertion,
			check: "signature", values: []string{"CN=idp.example.com"}, summary: "current metadata"},
		{name: "missing Subject NameID", spec: func(s *respSpec) { s.NameIDXML = "" }, kind: AccessDenied, outcome: explain.InvalidAssertion,
			check: "structure", summary: "no NameID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := defaultSpec()
			c.spec(&spec)
			raw := spec.build(t)
			opts := testOptions()
			if !c.now.IsZero() {
				opts = at(c.now)
			}
			_, err := Verify(b64(raw), testMetadata(), opts)
			if err == nil {
				t.Fatal("accepted")
			}
			wantErr(t, err, c.kind, "")
			x := explaintest.FailedCheck(t, err, c.outcome, c.check, c.values, secretsOf(raw))
			if !strings.Contains(x.Summary, c.summary) {
				t.Fatalf("summary %q does not say %q", x.Summary, c.summary)
			}
		})
	}
}

// secretsOf lists what must never enter an explanation: the response, its base64 form, its
// signature values and certificates, and attribute values.
func secretsOf(raw []byte) []string {
	secrets := []string{string(raw), base64.StdEncoding.EncodeToString(raw), roleValue, "alice"}
	for _, el := range []string{"SignatureValue", "X509Certificate"} {
		s := string(raw)
		for i := strings.Index(s, el+">"); i >= 0; i = strings.Index(s, el+">") {
			s = s[i+len(el)+1:]
			if end := strings.Index(s, "<"); end > 0 {
				secrets = append(secrets, s[:min(end, 40)])
			}
		}
	}
	return secrets
}
