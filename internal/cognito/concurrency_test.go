package cognito

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// TestConcurrentPoolChanges: a writer that commits between the service's read of a pool and its
// store transaction (interleave) never loses its change and never lets the request through a
// rule that the pool as it now is breaks. The caller is the account root, whom no policy stops.
func TestConcurrentPoolChanges(t *testing.T) {
	tagRequest := func(n int) map[string]string {
		tags := map[string]string{}
		for i := range n {
			tags[fmt.Sprintf("k%02d", i)] = "v"
		}
		return tags
	}
	mapping := map[string]RoleMapping{userPoolKey + ":upclient": {Type: MappingToken, AmbiguousRoleResolution: AmbiguousDeny}}
	for _, tc := range []struct {
		name string
		// pool changes the fixture's pool before it is created.
		pool func(in *PoolInput)
		// interleave is the concurrent writer's change, applied to the stored pool.
		interleave func(p *store.IdentityPool)
		call       func(f *fixture, p store.IdentityPool) error
		wantCode   string // "" for success
		check      func(t *testing.T, got store.IdentityPool)
	}{
		{
			name:       "TagResource keeps a concurrent tag",
			interleave: func(p *store.IdentityPool) { p.Tags = map[string]string{"theirs": "1"} },
			call: func(f *fixture, p store.IdentityPool) error {
				return f.svc.TagResource(ctx, f.root, PoolARN(testAccount, p.ID), map[string]string{"mine": "2"})
			},
			check: func(t *testing.T, got store.IdentityPool) {
				if !maps.Equal(got.Tags, map[string]string{"theirs": "1", "mine": "2"}) {
					t.Fatalf("tags = %v, want both writers'", got.Tags)
				}
			},
		},
		{
			name:       "TagResource checks the quota against the tags as they are",
			interleave: func(p *store.IdentityPool) { p.Tags = tagRequest(MaxTagsPerPool) },
			call: func(f *fixture, p store.IdentityPool) error {
				return f.svc.TagResource(ctx, f.root, PoolARN(testAccount, p.ID), map[string]string{"one-too-many": "x"})
			},
			wantCode: "InvalidParameterException",
			check: func(t *testing.T, got store.IdentityPool) {
				if len(got.Tags) != MaxTagsPerPool {
					t.Fatalf("the pool has %d tags, want the quota of %d", len(got.Tags), MaxTagsPerPool)
				}
			},
		},
		{
			name:       "UntagResource keeps a concurrent tag",
			interleave: func(p *store.IdentityPool) { p.Tags = map[string]string{"env": "dev", "theirs": "1"} },
			call: func(f *fixture, p store.IdentityPool) error {
				return f.svc.UntagResource(ctx, f.root, PoolARN(testAccount, p.ID), []string{"env"})
			},
			check: func(t *testing.T, got store.IdentityPool) {
				if !maps.Equal(got.Tags, map[string]string{"theirs": "1"}) {
					t.Fatalf("tags = %v, want the concurrent tag only", got.Tags)
				}
			},
		},
		{
			name:       "UpdateIdentityPool keeps roles set concurrently",
			interleave: func(p *store.IdentityPool) { p.Roles = map[string]string{RoleAuthenticated: adminRole} },
			call: func(f *fixture, p store.IdentityPool) error {
				_, err := f.svc.UpdateIdentityPool(ctx, f.root, PoolInput{ID: p.ID, Name: "renamed", OpenIDConnectProviderARNs: []string{oidcARN}})
				return err
			},
			check: func(t *testing.T, got store.IdentityPool) {
				if got.Name != "renamed" || got.Roles[RoleAuthenticated] != adminRole {
					t.Fatalf("pool = %+v, want the new name and the concurrent roles", got)
				}
			},
		},
		{
			name:       "UpdateIdentityPool cannot change a developer provider name set concurrently",
			pool:       func(in *PoolInput) { in.DeveloperProviderName = "" },
			interleave: func(p *store.IdentityPool) { p.DeveloperProviderName = "theirs.dev" },
			call: func(f *fixture, p store.IdentityPool) error {
				_, err := f.svc.UpdateIdentityPool(ctx, f.root, PoolInput{ID: p.ID, Name: "x", DeveloperProviderName: "mine.dev"})
				return err
			},
			wantCode: "InvalidParameterException",
			check: func(t *testing.T, got store.IdentityPool) {
				if got.DeveloperProviderName != "theirs.dev" || got.Name == "x" {
					t.Fatalf("pool = %+v, want it untouched by the refused update", got)
				}
			},
		},
		{
			name:       "SetIdentityPoolRoles keeps a concurrent configuration change",
			interleave: func(p *store.IdentityPool) { p.Name = "theirs" },
			call: func(f *fixture, p store.IdentityPool) error {
				return f.svc.SetIdentityPoolRoles(ctx, f.root, PoolRoles{PoolID: p.ID, Roles: map[string]string{RoleAuthenticated: adminRole}, RoleMappings: mapping})
			},
			check: func(t *testing.T, got store.IdentityPool) {
				if got.Name != "theirs" || got.Roles[RoleAuthenticated] != adminRole || !strings.Contains(got.RoleMappings, userPoolKey) {
					t.Fatalf("pool = %+v, want the concurrent name and the new roles", got)
				}
			},
		},
		{
			name:       "SetIdentityPoolRoles refuses a mapping for a provider removed concurrently",
			interleave: func(p *store.IdentityPool) { p.CognitoIdentityProviders = nil },
			call: func(f *fixture, p store.IdentityPool) error {
				return f.svc.SetIdentityPoolRoles(ctx, f.root, PoolRoles{PoolID: p.ID, Roles: map[string]string{RoleAuthenticated: adminRole}, RoleMappings: mapping})
			},
			wantCode: "ConcurrentModificationException",
			check: func(t *testing.T, got store.IdentityPool) {
				if got.Roles[RoleAuthenticated] != authRole || got.RoleMappings != "" {
					t.Fatalf("pool = %+v, want no roles from the refused request", got)
				}
			},
		},
		{
			name: "SetPrincipalTagAttributeMap keeps another provider's map",
			interleave: func(p *store.IdentityPool) {
				p.PrincipalTagMaps = `{"` + oidcARN + `":{"defaults":true}}`
			},
			call: func(f *fixture, p store.IdentityPool) error {
				_, err := f.svc.SetPrincipalTagAttributeMap(ctx, f.root, PrincipalTagMap{PoolID: p.ID, Provider: devProvider, Tags: map[string]string{"dept": "department"}})
				return err
			},
			check: func(t *testing.T, got store.IdentityPool) {
				maps, err := decodeTagMaps(got.PrincipalTagMaps)
				if err != nil || !maps[oidcARN].UseDefaults || maps[devProvider].Tags["dept"] != "department" {
					t.Fatalf("principal tag maps = %s (%v), want both providers'", got.PrincipalTagMaps, err)
				}
			},
		},
		{
			name:       "SetPrincipalTagAttributeMap refuses a provider removed concurrently",
			interleave: func(p *store.IdentityPool) { p.DeveloperProviderName = "" },
			call: func(f *fixture, p store.IdentityPool) error {
				_, err := f.svc.SetPrincipalTagAttributeMap(ctx, f.root, PrincipalTagMap{PoolID: p.ID, Provider: devProvider, UseDefaults: true})
				return err
			},
			wantCode: "InvalidParameterException",
			check: func(t *testing.T, got store.IdentityPool) {
				if got.PrincipalTagMaps != "" {
					t.Fatalf("principal tag maps = %s, want none", got.PrincipalTagMaps)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			p := f.pool(t, func(in *PoolInput) {
				in.Tags = map[string]string{"env": "dev"}
				if tc.pool != nil {
					tc.pool(in)
				}
			})
			f.st.beforePoolUpdate = func(st *testStore) { st.changePool(p.ID, tc.interleave) }
			err := tc.call(f, p)
			if tc.wantCode == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode)
			}
			if f.st.beforePoolUpdate != nil {
				t.Fatal("the request never reached the store's updater")
			}
			got, err := f.st.GetIdentityPool(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

// TestPoolRacesLostOnEveryRetry: when the store gives up on a race, the operations whose model has
// ConcurrentModificationException answer it, the others a store outage (ServiceUnavailable on the
// wire); none succeeds.
func TestPoolRacesLostOnEveryRetry(t *testing.T) {
	lost := fmt.Errorf("fake: %w: %w", store.ErrConcurrentModification, store.ErrUnavailable)
	for _, tc := range []struct {
		name string
		call func(f *fixture, p store.IdentityPool) error
		want string
	}{
		{"UpdateIdentityPool", func(f *fixture, p store.IdentityPool) error {
			_, err := f.svc.UpdateIdentityPool(ctx, f.root, PoolInput{ID: p.ID, Name: "x"})
			return err
		}, "ConcurrentModificationException"},
		{"SetIdentityPoolRoles", func(f *fixture, p store.IdentityPool) error {
			return f.svc.SetIdentityPoolRoles(ctx, f.root, PoolRoles{PoolID: p.ID, Roles: map[string]string{RoleAuthenticated: authRole}})
		}, "ConcurrentModificationException"},
		{"TagResource", func(f *fixture, p store.IdentityPool) error {
			return f.svc.TagResource(ctx, f.root, PoolARN(testAccount, p.ID), map[string]string{"a": "b"})
		}, outage},
		{"SetPrincipalTagAttributeMap", func(f *fixture, p store.IdentityPool) error {
			_, err := f.svc.SetPrincipalTagAttributeMap(ctx, f.root, PrincipalTagMap{PoolID: p.ID, Provider: devProvider, UseDefaults: true})
			return err
		}, outage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			p := f.pool(t, nil)
			f.st.lostRaces = lost
			if err := tc.call(f, p); tc.want == outage {
				wantOutage(t, err)
			} else {
				wantCode(t, err, tc.want)
			}
		})
	}
}

// TestConcurrentTagResource: many concurrent TagResource calls with distinct keys all succeed
// and every tag is kept.
func TestConcurrentTagResource(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- f.svc.TagResource(ctx, f.root, PoolARN(testAccount, p.ID), map[string]string{fmt.Sprintf("k%02d", i): "v"})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	tags, err := f.svc.ListTagsForResource(ctx, f.root, PoolARN(testAccount, p.ID))
	if err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(tags)); len(keys) != n {
		t.Fatalf("after %d concurrent TagResource calls the pool has tags %v", n, keys)
	}
}
