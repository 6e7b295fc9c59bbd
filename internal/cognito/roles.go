package cognito

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Role mapping types and match types (model enums).
const (
	MappingToken = "Token"
	MappingRules = "Rules"

	AmbiguousAuthenticatedRole = "AuthenticatedRole"
	AmbiguousDeny              = "Deny"

	MatchEquals     = "Equals"
	MatchContains   = "Contains"
	MatchStartsWith = "StartsWith"
	MatchNotEqual   = "NotEqual"

	RoleAuthenticated   = "authenticated"
	RoleUnauthenticated = "unauthenticated"
)

// Claims of user-pool ID tokens that Token mappings read.
const (
	claimRoles         = "cognito:roles"
	claimPreferredRole = "cognito:preferred_role"
	tagsClaim          = "https://aws.amazon.com/tags"
)

var roleARNRe = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role/(?:[\x21-\x7E]*/)?[\w+=,.@-]{1,64}$`)

// MappingRule is one rule of a Rules mapping.
type MappingRule struct {
	Claim     string `json:"claim"`
	MatchType string `json:"match"`
	Value     string `json:"value"`
	RoleARN   string `json:"role"`
}

// RoleMapping maps one identity provider's users to roles.
type RoleMapping struct {
	Type                    string `json:"type"`
	AmbiguousRoleResolution string `json:"ambiguous,omitempty"`
	// Rules is nil when the mapping has no RulesConfiguration.
	Rules []MappingRule `json:"rules,omitempty"`
}

// PoolRoles is the enhanced-flow configuration of a pool.
type PoolRoles struct {
	PoolID       string
	Roles        map[string]string
	RoleMappings map[string]RoleMapping
}

func decodeMappings(doc string) (map[string]RoleMapping, error) {
	if doc == "" {
		return nil, nil
	}
	var m map[string]RoleMapping
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return nil, fmt.Errorf("decoding role mappings: %w", err)
	}
	return m, nil
}

// mappingKeys lists the RoleMappings keys a pool accepts: its providers as Logins names them,
// OIDC providers also by ARN, user pools as <ProviderName>:<ClientId>.
func mappingKeyAllowed(p store.IdentityPool, key string) bool {
	if _, ok := p.SupportedLoginProviders[key]; ok {
		return true
	}
	if p.DeveloperProviderName != "" && key == p.DeveloperProviderName {
		return true
	}
	for _, up := range p.CognitoIdentityProviders {
		if key == up.ProviderName+":"+up.ClientID {
			return true
		}
	}
	for _, arn := range p.OpenIDConnectProviderARNs {
		if m := oidcProviderARN.FindStringSubmatch(arn); m != nil && (key == arn || key == m[2]) {
			return true
		}
	}
	return slices.Contains(p.SAMLProviderARNs, key)
}

// tagProviderAllowed says whether a principal tag map may be set for a provider name.
func tagProviderAllowed(p store.IdentityPool, key string) bool {
	if mappingKeyAllowed(p, key) {
		return true
	}
	for _, up := range p.CognitoIdentityProviders {
		if key == up.ProviderName {
			return true
		}
	}
	return false
}

func validateMapping(key string, m RoleMapping) error {
	switch m.Type {
	case MappingToken, MappingRules:
	default:
		return invalidParameter("Invalid role mapping type '%s' for %s: want Token or Rules.", m.Type, key)
	}
	switch m.AmbiguousRoleResolution {
	case AmbiguousAuthenticatedRole, AmbiguousDeny:
	case "":
		return invalidParameter("AmbiguousRoleResolution is required for the %s role mapping of %s.", m.Type, key)
	default:
		return invalidParameter("Invalid AmbiguousRoleResolution '%s' for %s.", m.AmbiguousRoleResolution, key)
	}
	if m.Type == MappingRules && m.Rules == nil {
		return invalidParameter("RulesConfiguration is required for the Rules role mapping of %s.", key)
	}
	if len(m.Rules) > MaxRulesPerMapping {
		return invalidParameter("The role mapping of %s has %d rules; an identity provider can have at most %d.", key, len(m.Rules), MaxRulesPerMapping)
	}
	for _, r := range m.Rules {
		switch r.MatchType {
		case MatchEquals, MatchContains, MatchStartsWith, MatchNotEqual:
		default:
			return invalidParameter("Invalid MatchType '%s' in the role mapping of %s.", r.MatchType, key)
		}
		if !roleARNRe.MatchString(r.RoleARN) {
			return invalidParameter("Invalid RoleARN '%s' in the role mapping of %s.", r.RoleARN, key)
		}
	}
	return nil
}

// passRole checks that the caller may pass role to Cognito Identity.
func (s *Service) passRole(ctx context.Context, caller *principal.Principal, role string) error {
	m := roleARNRe.FindStringSubmatch(role)
	err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "iam:PassRole", Resource: role, ResourceAccount: m[1],
		Context: map[string][]string{"iam:PassedToService": {"cognito-identity.amazonaws.com"}}})
	if err == nil {
		return nil
	}
	if ae, ok := awserr.As(err); ok && ae.Code == "AccessDenied" {
		return &awserr.Error{Code: "NotAuthorizedException", Message: fmt.Sprintf("Access to Role '%s' is forbidden.", role), HTTPStatus: 400, Cause: ae}
	}
	return err
}

// SetIdentityPoolRoles replaces the pool's default roles and role mappings.
func (s *Service) SetIdentityPoolRoles(ctx context.Context, caller *principal.Principal, in PoolRoles) error {
	p, err := s.signedPool(ctx, caller, "SetIdentityPoolRoles", in.PoolID, nil)
	if err != nil {
		return err
	}
	var roles []string
	for k, v := range in.Roles {
		if k != RoleAuthenticated && k != RoleUnauthenticated {
			return invalidParameter("Invalid role type '%s': want authenticated or unauthenticated.", k)
		}
		if !roleARNRe.MatchString(v) {
			return invalidParameter("Invalid %s role ARN '%s'.", k, v)
		}
		roles = append(roles, v)
	}
	keys := make([]string, 0, len(in.RoleMappings))
	for k := range in.RoleMappings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := in.RoleMappings[k]
		if !mappingKeyAllowed(p, k) {
			return invalidParameter("Role mapping key '%s' is not an identity provider of identity pool '%s' (user pools are keyed <ProviderName>:<ClientId>).", k, p.ID)
		}
		if err := validateMapping(k, m); err != nil {
			return err
		}
		for _, r := range m.Rules {
			roles = append(roles, r.RoleARN)
		}
	}
	sort.Strings(roles)
	for _, r := range slices.Compact(roles) {
		if err := s.passRole(ctx, caller, r); err != nil {
			return err
		}
	}
	mappings := ""
	if len(in.RoleMappings) > 0 {
		b, err := json.Marshal(in.RoleMappings)
		if err != nil {
			return awserr.InternalError(err)
		}
		mappings = string(b)
	}
	now := s.now().UTC().Truncate(time.Second)
	_, err = s.updatePool(ctx, p.ID, true, func(p *store.IdentityPool) error {
		// The keys were checked against the pool as read before the passRole checks; a
		// concurrent UpdateIdentityPool may have removed a provider since. Writing the mapping
		// then would leave it keyed by a provider the pool no longer has.
		for _, k := range keys {
			if !mappingKeyAllowed(*p, k) {
				return concurrentModification("The identity providers of identity pool '%s' changed while its roles were being set: '%s' is no longer one of them. Nothing was changed.", p.ID, k)
			}
		}
		p.Roles = maps.Clone(in.Roles)
		if p.Roles == nil {
			p.Roles = map[string]string{}
		}
		p.RoleMappings = mappings
		p.UpdatedAt = now
		return nil
	})
	return err
}

// GetIdentityPoolRoles returns the pool's default roles and role mappings.
func (s *Service) GetIdentityPoolRoles(ctx context.Context, caller *principal.Principal, poolID string) (PoolRoles, error) {
	p, err := s.signedPool(ctx, caller, "GetIdentityPoolRoles", poolID, nil)
	if err != nil {
		return PoolRoles{}, err
	}
	m, err := decodeMappings(p.RoleMappings)
	if err != nil {
		return PoolRoles{}, awserr.InternalError(err)
	}
	roles := p.Roles
	if roles == nil {
		roles = map[string]string{}
	}
	return PoolRoles{PoolID: p.ID, Roles: roles, RoleMappings: m}, nil
}

// chooseRole resolves the role of an authenticated identity (Amazon Cognito Developer Guide,
// "Using role-based access control"; Amazon Cognito Identity API Reference, RoleMapping): the
// first login with a role mapping decides (AWS does not say in which order it consults the
// mappings of several logins); without one, the authenticated role.
func chooseRole(p store.IdentityPool, mappings map[string]RoleMapping, logins []login, customRole string) (string, error) {
	for _, l := range logins {
		for _, key := range l.MappingKeys {
			m, ok := mappings[key]
			if !ok {
				continue
			}
			role, decided, err := applyMapping(m, l.Claims, customRole)
			if err != nil {
				return "", err
			}
			if decided {
				return role, nil
			}
			if m.AmbiguousRoleResolution == AmbiguousDeny {
				return "", notAuthorized("The ambiguous role mapping rules for: %s denied this request.", key)
			}
			return defaultRole(p, RoleAuthenticated)
		}
	}
	return defaultRole(p, RoleAuthenticated)
}

func defaultRole(p store.IdentityPool, kind string) (string, error) {
	if r := p.Roles[kind]; r != "" {
		return r, nil
	}
	return "", invalidConfig(fmt.Errorf("identity pool %s has no %s role", p.ID, kind))
}

// applyMapping returns the role a mapping chooses; decided is false when the mapping is ambiguous.
func applyMapping(m RoleMapping, claims map[string][]string, customRole string) (role string, decided bool, err error) {
	switch m.Type {
	case MappingToken:
		var roles []string
		for _, v := range claims[claimRoles] {
			for _, r := range strings.Split(v, ",") {
				if r = strings.TrimSpace(r); r != "" {
					roles = append(roles, r)
				}
			}
		}
		preferred := ""
		if v := claims[claimPreferredRole]; len(v) > 0 {
			preferred = v[0]
		}
		switch {
		case customRole != "":
			if slices.Contains(roles, customRole) || customRole == preferred {
				return customRole, true, nil
			}
			return "", false, notAuthorized("The role '%s' in CustomRoleArn is not in the token's %s claim.", customRole, claimRoles)
		case preferred != "":
			return preferred, true, nil
		case len(roles) == 1:
			return roles[0], true, nil
		}
		return "", false, nil
	case MappingRules:
		var matched []string
		for _, r := range m.Rules {
			if ruleMatches(r, claims) {
				matched = append(matched, r.RoleARN)
			}
		}
		if len(matched) == 0 {
			return "", false, nil
		}
		if customRole != "" {
			if slices.Contains(matched, customRole) {
				return customRole, true, nil
			}
			return "", false, notAuthorized("The role '%s' in CustomRoleArn is not chosen by any matching role mapping rule.", customRole)
		}
		return matched[0], true, nil
	}
	return "", false, nil
}

// ruleMatches evaluates one rule. An absent claim matches nothing, not even NotEqual; array
// claims (cognito:groups) match by membership for Equals and Contains.
func ruleMatches(r MappingRule, claims map[string][]string) bool {
	vals, ok := claims[r.Claim]
	if !ok || len(vals) == 0 {
		return false
	}
	switch r.MatchType {
	case MatchEquals:
		return slices.Contains(vals, r.Value)
	case MatchNotEqual:
		return !slices.Contains(vals, r.Value)
	case MatchStartsWith:
		return slices.ContainsFunc(vals, func(v string) bool { return strings.HasPrefix(v, r.Value) })
	case MatchContains:
		if len(vals) > 1 {
			return slices.Contains(vals, r.Value)
		}
		return strings.Contains(vals[0], r.Value)
	}
	return false
}

// Principal tag attribute maps ("attributes for access control").

type tagMap struct {
	UseDefaults bool              `json:"defaults,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// Default tag keys and the claims they take: UseDefaults maps the user name and the client id
// (Amazon Cognito Identity API Reference, SetPrincipalTagAttributeMap), taken from sub and aud
// (Amazon Cognito Developer Guide, "Default provider mappings"). The tag key names username and
// client are unverified.
var defaultTagMap = map[string]string{"username": "sub", "client": "aud"}

func decodeTagMaps(doc string) (map[string]tagMap, error) {
	if doc == "" {
		return map[string]tagMap{}, nil
	}
	var m map[string]tagMap
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return nil, fmt.Errorf("decoding principal tag maps: %w", err)
	}
	if m == nil {
		m = map[string]tagMap{}
	}
	return m, nil
}

// PrincipalTagMap is the Set/GetPrincipalTagAttributeMap configuration of one provider.
type PrincipalTagMap struct {
	PoolID      string
	Provider    string
	UseDefaults bool
	Tags        map[string]string // tag key -> claim name
}

func tagMapView(poolID, provider string, tm tagMap) PrincipalTagMap {
	out := PrincipalTagMap{PoolID: poolID, Provider: provider, UseDefaults: tm.UseDefaults, Tags: tm.Tags}
	if tm.UseDefaults {
		out.Tags = defaultTagMap
	}
	return out
}

// SetPrincipalTagAttributeMap configures how a provider's claims become session tags.
func (s *Service) SetPrincipalTagAttributeMap(ctx context.Context, caller *principal.Principal, in PrincipalTagMap) (PrincipalTagMap, error) {
	p, err := s.signedPool(ctx, caller, "SetPrincipalTagAttributeMap", in.PoolID, nil)
	if err != nil {
		return PrincipalTagMap{}, err
	}
	notConfigured := func(p store.IdentityPool) error {
		if tagProviderAllowed(p, in.Provider) {
			return nil
		}
		return invalidParameter("Identity provider '%s' is not configured for identity pool '%s'.", in.Provider, p.ID)
	}
	if err := notConfigured(p); err != nil {
		return PrincipalTagMap{}, err
	}
	tm := tagMap{UseDefaults: in.UseDefaults}
	if !in.UseDefaults && len(in.Tags) > 0 {
		tm.Tags = in.Tags
	}
	now := s.now().UTC().Truncate(time.Second)
	// Only this provider's entry changes, in the document as it is in the store transaction, so
	// concurrent calls for different providers keep each other's entries.
	_, err = s.updatePool(ctx, p.ID, false, func(p *store.IdentityPool) error {
		if err := notConfigured(*p); err != nil {
			return err
		}
		tms, err := decodeTagMaps(p.PrincipalTagMaps)
		if err != nil {
			return awserr.InternalError(err)
		}
		if !tm.UseDefaults && len(tm.Tags) == 0 {
			delete(tms, in.Provider)
		} else {
			tms[in.Provider] = tm
		}
		p.PrincipalTagMaps = ""
		if len(tms) > 0 {
			b, err := json.Marshal(tms)
			if err != nil {
				return awserr.InternalError(err)
			}
			p.PrincipalTagMaps = string(b)
		}
		p.UpdatedAt = now
		return nil
	})
	if err != nil {
		return PrincipalTagMap{}, err
	}
	return tagMapView(p.ID, in.Provider, tm), nil
}

// GetPrincipalTagAttributeMap returns a provider's principal tag configuration.
func (s *Service) GetPrincipalTagAttributeMap(ctx context.Context, caller *principal.Principal, poolID, provider string) (PrincipalTagMap, error) {
	p, err := s.signedPool(ctx, caller, "GetPrincipalTagAttributeMap", poolID, nil)
	if err != nil {
		return PrincipalTagMap{}, err
	}
	if !tagProviderAllowed(p, provider) {
		return PrincipalTagMap{}, resourceNotFound("Identity provider '%s' is not configured for identity pool '%s'.", provider, p.ID)
	}
	maps, err := decodeTagMaps(p.PrincipalTagMaps)
	if err != nil {
		return PrincipalTagMap{}, awserr.InternalError(err)
	}
	return tagMapView(p.ID, provider, maps[provider]), nil
}

// principalTags resolves the session tags of the logins from the pool's attribute maps: the
// first login to set a tag key wins.
func principalTags(maps map[string]tagMap, logins []login) map[string]string {
	out := map[string]string{}
	for _, l := range logins {
		for _, key := range l.TagKeys {
			tm, ok := maps[key]
			if !ok {
				continue
			}
			mapping := tm.Tags
			if tm.UseDefaults {
				mapping = defaultTagMap
			}
			for tagKey, claim := range mapping {
				if _, set := out[tagKey]; set {
					continue
				}
				if v, ok := tagValue(l, claim, tm.UseDefaults); ok {
					out[tagKey] = v
				}
			}
			break
		}
	}
	return out
}

func tagValue(l login, claim string, defaults bool) (string, bool) {
	if defaults {
		switch claim {
		case "sub":
			return l.Subject, l.Subject != ""
		case "aud":
			return l.ClientID, l.ClientID != ""
		}
	}
	vals := l.Claims[claim]
	if len(vals) == 0 || vals[0] == "" || len(vals[0]) > 256 {
		return "", false
	}
	if len(vals) > 1 {
		return strings.Join(vals, ","), len(strings.Join(vals, ",")) <= 256
	}
	return vals[0], true
}
