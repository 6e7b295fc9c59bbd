package session_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

const (
	assume   = `"sts:AssumeRole"`
	acctAP   = `{"AWS":"111122223333"}`
	webID    = `"sts:AssumeRoleWithWebIdentity"`
	fedOIDC  = `{"Federated":"` + oidcARN + `"}`
	fedCog   = `{"Federated":"cognito-identity.amazonaws.com"}`
	denied   = "AccessDenied"
	badParam = "InvalidParameterValue"
)

func bobTrust(bobARN, actions string) string { return trustDoc(`{"AWS":"`+bobARN+`"}`, actions, "") }

// roleCase is one request against a role of account A, and what must come of it.
type roleCase struct {
	name  string
	trust func(f *fixture) string
	tags  []store.Tag // the role's own tags
	req   func(f *fixture, r *session.Request)
	code  string // "" = granted
	check func(t *testing.T, f *fixture, rs session.RoleSession, p *principal.Principal)
}

func runRoleCases(t *testing.T, cases []roleCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			role := f.role(t, "target", c.trust(f), c.tags...)
			r := session.Request{Action: "sts:AssumeRole", Caller: f.bob, Role: role, SessionName: "s1"}
			c.req(f, &r)
			rs, err := f.svc.AssumeRole(t.Context(), r)
			if c.code != "" {
				ae, ok := awserr.As(err)
				if !ok || ae.Code != c.code {
					t.Fatalf("want %s, got %v", c.code, err)
				}
				if rs.Credentials.AccessKeyID != "" {
					t.Fatal("credentials issued on a refusal")
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.check != nil {
				c.check(t, f, rs, f.opened(t, rs.Credentials))
			}
		})
	}
}

func lasts(seconds int) func(t *testing.T, f *fixture, rs session.RoleSession, p *principal.Principal) {
	return func(t *testing.T, _ *fixture, _ session.RoleSession, p *principal.Principal) {
		if got := p.Expires.Sub(testNow); got != time.Duration(seconds)*time.Second {
			t.Fatalf("session lasts %v, want %ds", got, seconds)
		}
	}
}

func accountTrust(*fixture) string { return trustDoc(acctAP, assume, "") }

func federated(provider string, home string, keys ...string) func(f *fixture, r *session.Request) {
	return func(_ *fixture, r *session.Request) {
		r.Action, r.Caller = "sts:AssumeRoleWithWebIdentity", nil
		r.Federated = &session.Identity{ProviderARN: provider, Kind: principal.WebIdentity, HomeAccount: home, CrossAccountKeys: keys}
	}
}

func TestDurationCaps(t *testing.T) {
	saml := func(duration, max int) func(f *fixture, r *session.Request) {
		return func(f *fixture, r *session.Request) {
			federated(oidcARN, "")(f, r)
			r.Action, r.Federated.Kind = "sts:AssumeRoleWithSAML", principal.SAMLUser
			r.DurationSeconds, r.MaxDuration = duration, max
		}
	}
	fedTrust := func(actions string) func(*fixture) string {
		return func(*fixture) string { return trustDoc(fedOIDC, actions, "") }
	}
	runRoleCases(t, []roleCase{
		{"default is an hour", accountTrust, nil, func(*fixture, *session.Request) {}, "", lasts(3600)},
		{"up to the role's maximum", accountTrust, nil, func(_ *fixture, r *session.Request) { r.DurationSeconds = 7200 }, "", lasts(7200)},
		{"beyond the role's maximum", accountTrust, nil, func(_ *fixture, r *session.Request) { r.DurationSeconds = 7201 }, "ValidationError", nil},
		{"chained, an hour", accountTrust, nil, func(_ *fixture, r *session.Request) { r.Caller, r.DurationSeconds = chained(""), 3600 }, "", lasts(3600)},
		{"chained beyond an hour, within the role's maximum", accountTrust, nil, func(_ *fixture, r *session.Request) { r.Caller, r.DurationSeconds = chained(""), 3601 }, "ValidationError", nil},
		{"SAML cap shortens the default", fedTrust(`"sts:AssumeRoleWithSAML"`), nil, saml(0, 1800), "", lasts(1800)},
		{"SAML cap shortens a request", fedTrust(`"sts:AssumeRoleWithSAML"`), nil, saml(3600, 1800), "", lasts(1800)},
		{"SAML cap above the default", fedTrust(`"sts:AssumeRoleWithSAML"`), nil, saml(0, 5000), "", lasts(3600)},
		{"SAML cap does not lift the role's maximum", fedTrust(`"sts:AssumeRoleWithSAML"`), nil, saml(7201, 43200), "ValidationError", nil},
	})
}

// The trust policy must allow every action the call uses; bob's own *:* never stands in for it.
func TestTrustGatePerAction(t *testing.T) {
	tags := []session.Tag{{Key: "project", Value: "unicorn"}}
	withBob := func(actions string) func(*fixture) string {
		return func(f *fixture) string { return bobTrust(f.bob.ARN, actions) }
	}
	runRoleCases(t, []roleCase{
		{"star caller not named", func(*fixture) string { return trustDoc(`{"AWS":"arn:aws:iam::111122223333:user/alice"}`, assume, "") }, nil, func(*fixture, *session.Request) {}, denied, nil},
		{"star caller of another account, trust names account A", accountTrust, nil, func(f *fixture, r *session.Request) {
			r.Caller = &principal.Principal{Kind: principal.User, AccountID: acctB, UserID: "AIDAMALLORY", UserName: "mallory", ARN: principal.UserARN(acctB, "/", "mallory")}
		}, denied, nil},
		{"named caller", withBob(assume), nil, func(*fixture, *session.Request) {}, "", nil},
		{"tags without sts:TagSession", withBob(assume), nil, func(_ *fixture, r *session.Request) { r.Tags = tags }, denied, nil},
		{"tags with sts:TagSession", withBob(`["sts:AssumeRole","sts:TagSession"]`), nil, func(_ *fixture, r *session.Request) { r.Tags = tags }, "", nil},
		{"source identity without sts:SetSourceIdentity", withBob(assume), nil, func(_ *fixture, r *session.Request) { r.SourceIdentity = "bob" }, denied, nil},
		{"source identity with sts:SetSourceIdentity", withBob(`["sts:AssumeRole","sts:SetSourceIdentity"]`), nil, func(_ *fixture, r *session.Request) { r.SourceIdentity = "bob" }, "", nil},
		{"context without sts:SetContext", withBob(assume), nil, func(_ *fixture, r *session.Request) { r.SetContext = true }, denied, nil},
		{"context with sts:SetContext", withBob(`["sts:AssumeRole","sts:SetContext"]`), nil, func(_ *fixture, r *session.Request) { r.SetContext = true }, "", nil},
		{"MFA required, none", func(*fixture) string {
			return trustDoc(acctAP, assume, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`)
		}, nil, func(*fixture, *session.Request) {}, denied, nil},
		{"MFA required, supplied", func(*fixture) string {
			return trustDoc(acctAP, assume, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`)
		}, nil,
			func(_ *fixture, r *session.Request) {
				r.MFA = session.MFA{Serial: "arn:aws:iam::111122223333:mfa/bob", Code: "123456"}
			}, "",
			func(t *testing.T, _ *fixture, _ session.RoleSession, p *principal.Principal) {
				if !p.MFAAuthenticated || !p.MFAAuthTime.Equal(testNow) {
					t.Fatalf("MFA not carried: %+v", p)
				}
			}},
		{"MFA with a wrong code", accountTrust, nil, func(_ *fixture, r *session.Request) {
			r.MFA = session.MFA{Serial: "arn:aws:iam::111122223333:mfa/bob", Code: "000000"}
		}, denied, nil},
		{"MFA serial without code", accountTrust, nil, func(_ *fixture, r *session.Request) { r.MFA = session.MFA{Serial: "arn:aws:iam::111122223333:mfa/bob"} }, "ValidationError", nil},
		{"unreadable trust policy", func(*fixture) string { return `{"Version":"2012-10-17","Statement":` }, nil, func(*fixture, *session.Request) {}, denied, nil},
		{"web identity, provider named", func(*fixture) string { return trustDoc(fedOIDC, webID, "") }, nil, federated(oidcARN, ""), "", nil},
		{"web identity, principal star", func(*fixture) string { return trustDoc(`"*"`, webID, "") }, nil, federated(oidcARN, ""), denied, nil},
		{"web identity, account principal", func(*fixture) string { return trustDoc(acctAP, webID, "") }, nil, federated(oidcARN, ""), denied, nil},
	})
}

// The refusal of a federated caller names only the operation.
func TestFederatedRefusalMessage(t *testing.T) {
	f := newFixture(t)
	role := f.role(t, "target", trustDoc(fedOIDC, assume, ""))
	r := session.Request{Action: "sts:AssumeRoleWithWebIdentity", Federated: &session.Identity{ProviderARN: oidcARN, Kind: principal.WebIdentity}, Role: role, SessionName: "s1"}
	_, err := f.svc.AssumeRole(t.Context(), r)
	ae, ok := awserr.As(err)
	if !ok || ae.Code != denied || ae.HTTPStatus != http.StatusForbidden || ae.Message != "Not authorized to perform sts:AssumeRoleWithWebIdentity" {
		t.Fatalf("%v", err)
	}
}

func TestSessionTags(t *testing.T) {
	tagTrust := func(*fixture) string { return trustDoc(acctAP, `["sts:AssumeRole","sts:TagSession"]`, "") }
	runRoleCases(t, []roleCase{
		{"transitive key not passed as a tag", tagTrust, nil, func(_ *fixture, r *session.Request) {
			r.Tags, r.TransitiveTagKeys = []session.Tag{{Key: "a", Value: "1"}}, []string{"b"}
		}, badParam, nil},
		{"duplicate keys differing in case", tagTrust, nil, func(_ *fixture, r *session.Request) {
			r.Tags = []session.Tag{{Key: "a", Value: "1"}, {Key: "A", Value: "2"}}
		}, badParam, nil},
		{"reserved prefix", tagTrust, nil, func(_ *fixture, r *session.Request) { r.Tags = []session.Tag{{Key: "aws:x", Value: "1"}} }, badParam, nil},
		{"chained caller overrides its transitive tag", tagTrust, nil, func(_ *fixture, r *session.Request) {
			r.Caller, r.Tags = chained(""), []session.Tag{{Key: "TEAM", Value: "blue"}}
		}, badParam, nil},
		{"token tags break the rules", func(*fixture) string {
			return trustDoc(fedOIDC, `["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`, "")
		}, nil,
			func(f *fixture, r *session.Request) {
				federated(oidcARN, "")(f, r)
				r.Tags = []session.Tag{{Key: "team#1", Value: "v"}}
			}, "InvalidIdentityToken", nil},
		{"chained caller carries its transitive tag over the role's", tagTrust, []store.Tag{{Key: "team", Value: "blue"}, {Key: "env", Value: "prod"}},
			func(_ *fixture, r *session.Request) {
				r.Caller = chained("")
				r.Tags, r.TransitiveTagKeys = []session.Tag{{Key: "env", Value: "dev"}}, []string{"env"}
			}, "", func(t *testing.T, _ *fixture, _ session.RoleSession, p *principal.Principal) {
				team, _ := p.Tag("team")
				env, _ := p.Tag("env")
				if team != "red" || env != "dev" || !slices.Equal(p.TransitiveTagKeys, []string{"team", "env"}) || !p.Chained {
					t.Fatalf("tags %v transitive %v chained %v", p.Tags, p.TransitiveTagKeys, p.Chained)
				}
			}},
		// aws:ResourceTag is the role's own tags: the caller's transitive team=red does not stand
		// in for a role tagged blue.
		{"chained transitive tags are not resource tags", func(*fixture) string {
			return trustDoc(acctAP, assume, `{"StringEquals":{"aws:ResourceTag/team":"red"}}`)
		}, []store.Tag{{Key: "team", Value: "blue"}}, func(_ *fixture, r *session.Request) { r.Caller = chained("") }, denied, nil},
	})
}

func TestPackedSizeAndSessionPolicies(t *testing.T) {
	foreign := "arn:aws:iam::" + acctB + ":policy/theirs"
	own := "arn:aws:iam::" + acctA + ":policy/ours"
	managed := func(f *fixture, account, arn string) {
		p := store.ManagedPolicy{AccountID: account, PolicyID: "ANPA" + account, PolicyName: arn[strings.LastIndex(arn, "/")+1:], Path: "/", ARN: arn,
			DefaultVersionID: "v1", NextVersion: 2, IsAttachable: true, CreatedAt: testNow}
		if err := f.st.CreateManagedPolicy(t.Context(), p, store.PolicyVersion{PolicyARN: arn, VersionID: "v1", Document: starDoc, CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	tagTrust := func(*fixture) string { return trustDoc(acctAP, `["sts:AssumeRole","sts:TagSession"]`, "") }
	packed := func(want int) func(t *testing.T, f *fixture, rs session.RoleSession, p *principal.Principal) {
		return func(t *testing.T, _ *fixture, rs session.RoleSession, _ *principal.Principal) {
			if rs.PackedPolicySize == nil || *rs.PackedPolicySize != want {
				t.Fatalf("packed size %v, want %d", rs.PackedPolicySize, want)
			}
		}
	}
	runRoleCases(t, []roleCase{
		{"no policies nor tags: no packed size", accountTrust, nil, func(*fixture, *session.Request) {}, "",
			func(t *testing.T, _ *fixture, rs session.RoleSession, _ *principal.Principal) {
				if rs.PackedPolicySize != nil {
					t.Fatalf("packed size %d", *rs.PackedPolicySize)
				}
			}},
		{"tags are packed", tagTrust, nil, func(_ *fixture, r *session.Request) {
			r.Tags = []session.Tag{{Key: "k", Value: strings.Repeat("v", 40)}}
		}, "", packed(2)},
		{"tags beyond the packed limit", tagTrust, nil, func(_ *fixture, r *session.Request) {
			for i := range 20 {
				r.Tags = append(r.Tags, session.Tag{Key: strings.Repeat(string(rune('a'+i)), 128), Value: strings.Repeat("v", 256)})
			}
		}, "PackedPolicyTooLarge", nil},
		{"policy of the role's account", accountTrust, nil, func(f *fixture, r *session.Request) {
			managed(f, acctA, own)
			r.Policies.PolicyARNs = []string{own}
		}, "", func(t *testing.T, _ *fixture, rs session.RoleSession, p *principal.Principal) {
			if rs.PackedPolicySize == nil || !p.HasSessionPolicies || !slices.Equal(p.SessionPolicyARNs, []string{own}) {
				t.Fatalf("session policies %+v", p)
			}
		}},
		{"policy of another account", accountTrust, nil, func(f *fixture, r *session.Request) {
			managed(f, acctB, foreign)
			r.Policies.PolicyARNs = []string{foreign}
		}, "MalformedPolicyDocument", nil},
		{"missing policy", accountTrust, nil, func(_ *fixture, r *session.Request) { r.Policies.PolicyARNs = []string{own} }, "MalformedPolicyDocument", nil},
		{"inline policy that does not parse", accountTrust, nil, func(_ *fixture, r *session.Request) { r.Policies.Policy = `{"Statement":` }, "MalformedPolicyDocument", nil},
		// AssumeRole's model leaves Policy unbounded: STS refuses the plaintext as a packing failure.
		{"inline policy beyond 2048 characters", accountTrust, nil, func(_ *fixture, r *session.Request) {
			r.Policies.Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 2048) + `"}]}`
		}, "PackedPolicyTooLarge", nil},
	})
}

func TestSourceIdentity(t *testing.T) {
	siTrust := func(*fixture) string { return trustDoc(acctAP, `["sts:AssumeRole","sts:SetSourceIdentity"]`, "") }
	carries := func(want string) func(t *testing.T, f *fixture, rs session.RoleSession, p *principal.Principal) {
		return func(t *testing.T, _ *fixture, rs session.RoleSession, p *principal.Principal) {
			if rs.SourceIdentity != want || p.SourceIdentity != want {
				t.Fatalf("source identity %q / %q, want %q", rs.SourceIdentity, p.SourceIdentity, want)
			}
		}
	}
	runRoleCases(t, []roleCase{
		{"set", siTrust, nil, func(_ *fixture, r *session.Request) { r.SourceIdentity = "bob" }, "", carries("bob")},
		{"reserved prefix", siTrust, nil, func(_ *fixture, r *session.Request) { r.SourceIdentity = "aws:bob" }, "ValidationError", nil},
		{"inherited by a chained session", accountTrust, nil, func(_ *fixture, r *session.Request) { r.Caller = chained("alice") }, "", carries("alice")},
		{"a chained session cannot change it", siTrust, nil, func(_ *fixture, r *session.Request) { r.Caller, r.SourceIdentity = chained("alice"), "mallory" }, "ValidationError", nil},
	})
}

func TestRolePrincipal(t *testing.T) {
	runRoleCases(t, []roleCase{
		{"assumed role", accountTrust, []store.Tag{{Key: "dept", Value: "eng"}}, func(*fixture, *session.Request) {}, "",
			func(t *testing.T, f *fixture, rs session.RoleSession, p *principal.Principal) {
				want := principal.AssumedRoleARN(acctA, "target", "s1")
				dept, _ := p.Tag("dept")
				if p.Kind != principal.AssumedRole || p.AccountID != acctA || p.ARN != want || rs.ARN != want || p.UserID != "AROAtarget:s1" ||
					rs.AssumedRoleID != p.UserID || p.RoleID != "AROAtarget" || p.RoleARN != principal.RoleARNOf(acctA, "/", "target") ||
					p.Source != "AssumeRole" || p.SessionName != "s1" || !p.IssuedAt.Equal(testNow) || dept != "eng" || p.Chained || p.FederatedProvider != "" {
					t.Fatalf("principal %+v", p)
				}
				if !strings.HasPrefix(rs.Credentials.AccessKeyID, "ASIA") || !rs.Credentials.Expiration.Equal(p.Expires) {
					t.Fatalf("credentials %+v", rs.Credentials)
				}
			}},
		{"federated", func(*fixture) string { return trustDoc(fedOIDC, webID, "") }, nil, federated(oidcARN, ""), "",
			func(t *testing.T, _ *fixture, _ session.RoleSession, p *principal.Principal) {
				if p.Source != "AssumeRoleWithWebIdentity" || p.FederatedProvider != oidcARN || p.Kind != principal.AssumedRole {
					t.Fatalf("principal %+v", p)
				}
			}},
		{"identity context", func(*fixture) string { return trustDoc(acctAP, `["sts:AssumeRole","sts:SetContext"]`, "") }, nil,
			func(_ *fixture, r *session.Request) {
				r.SetContext = true
				r.IdentityContext = func(ctxt context.Context) (*principal.IdentityContext, error) {
					return &principal.IdentityContext{AccountID: acctA, UserARN: "arn:aws:quicksight:us-east-1:111122223333:user/default/alice"}, nil
				}
			}, "", func(t *testing.T, _ *fixture, _ session.RoleSession, p *principal.Principal) {
				if p.IdentityContext == nil || p.IdentityContext.AccountID != acctA {
					t.Fatalf("identity context %+v", p.IdentityContext)
				}
			}},
	})
}

// The identities of a Cognito pool in another account (or of a pool whose account is unknown)
// open a role only through trust statements that pin aud and amr; a pool of the role's own
// account needs no pin (Amazon Cognito Developer Guide, "Security best practices for Amazon
// Cognito identity pools"). Both Cognito flows ask for their sessions this way.
func TestCrossAccountIdentities(t *testing.T) {
	keys := []string{cognito + ":aud", cognito + ":amr"}
	pinned := func(aud string) string {
		return `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + aud + `"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}`
	}
	pool := func(id, home string) func(f *fixture, r *session.Request) {
		return func(f *fixture, r *session.Request) {
			federated(cognito, home, keys...)(f, r)
			r.SessionName = "CognitoIdentityCredentials"
			r.Condition = map[string][]string{cognito + ":aud": {id}, cognito + ":sub": {"us-east-1:identity-1"}, cognito + ":amr": {"unauthenticated"}}
		}
	}
	trust := func(actions, cond string) func(*fixture) string {
		return func(*fixture) string { return trustDoc(fedCog, actions, cond) }
	}
	runRoleCases(t, []roleCase{
		{"other account's pool, loose trust", trust(webID, ""), nil, pool(poolB, acctB), denied, nil},
		{"other account's pool, amr only", trust(webID, `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}`), nil, pool(poolB, acctB), denied, nil},
		{"other account's pool, pinned", trust(`["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`, pinned(poolB)), nil, pool(poolB, acctB), "", nil},
		{"unknown account's pool, loose trust", trust(webID, ""), nil, pool(poolA, ""), denied, nil},
		{"own account's pool, loose trust", trust(webID, ""), nil, pool(poolA, acctA), "",
			func(t *testing.T, _ *fixture, _ session.RoleSession, p *principal.Principal) {
				if p.SessionName != "CognitoIdentityCredentials" || p.AccountID != acctA || p.FederatedProvider != cognito {
					t.Fatalf("session %+v", p)
				}
			}},
		{"own account's pool, trust without the action", trust(assume, ""), nil, pool(poolA, acctA), denied, nil},
		{"own account's pool, pinned to another pool", trust(webID, pinned(poolB)), nil, pool(poolA, acctA), denied, nil},
		// The enhanced flow's tags are not request tags: a trust condition on aws:TagKeys does
		// not see them, as before the session package.
		{"pool tags kept out of the condition keys", trust(`["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`, `{"Null":{"aws:TagKeys":"true"}}`), nil,
			func(f *fixture, r *session.Request) {
				pool(poolA, acctA)(f, r)
				r.Tags, r.TagsUnconditioned = []session.Tag{{Key: "team", Value: "red"}}, true
			}, "", func(t *testing.T, _ *fixture, _ session.RoleSession, p *principal.Principal) {
				if v, _ := p.Tag("team"); v != "red" {
					t.Fatalf("tags %v", p.Tags)
				}
			}},
	})
}
