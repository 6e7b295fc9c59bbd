package cognitoapi

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/cognito"
)

type (
	userPoolProvider struct {
		ProviderName         string
		ClientId             string
		ServerSideTokenCheck bool
	}
	// identityPool is the IdentityPool shape: CreateIdentityPool's and UpdateIdentityPool's
	// input, and the output of both and of DescribeIdentityPool.
	identityPool struct {
		IdentityPoolId                 string
		IdentityPoolName               string
		AllowUnauthenticatedIdentities bool
		AllowClassicFlow               *bool
		SupportedLoginProviders        map[string]string
		DeveloperProviderName          string
		OpenIdConnectProviderARNs      []string
		CognitoIdentityProviders       []userPoolProvider
		SamlProviderARNs               []string
		IdentityPoolTags               map[string]string
	}
	poolIDIn    struct{ IdentityPoolId string }
	listPoolsIn struct {
		MaxResults int
		NextToken  string
	}
	poolSummary struct {
		IdentityPoolId   string
		IdentityPoolName string
	}
	listPoolsOut struct {
		IdentityPools []poolSummary
		NextToken     string
	}
	tagIn struct {
		ResourceArn string
		Tags        map[string]string
	}
	untagIn struct {
		ResourceArn string
		TagKeys     []string
	}
	resourceIn struct{ ResourceArn string }
	tagsOut    struct{ Tags map[string]string }

	getIDIn struct {
		AccountId      string
		IdentityPoolId string
		Logins         map[string]string
	}
	identityIDOut struct{ IdentityId string }
	openIDTokenIn struct {
		IdentityId string
		Logins     map[string]string
	}
	openIDTokenOut struct {
		IdentityId string
		Token      string
	}
	developerTokenIn struct {
		IdentityPoolId string
		IdentityId     string
		Logins         map[string]string
		PrincipalTags  map[string]string
		TokenDuration  int64
	}
	credentialsIn struct {
		IdentityId    string
		Logins        map[string]string
		CustomRoleArn string
	}
	credentials struct {
		AccessKeyId  string
		SecretKey    string
		SessionToken string
		Expiration   time.Time
	}
	credentialsOut struct {
		IdentityId  string
		Credentials credentials
	}

	identityIn          struct{ IdentityId string }
	identityDescription struct {
		IdentityId       string
		Logins           []string
		CreationDate     time.Time
		LastModifiedDate time.Time
	}
	listIdentitiesIn struct {
		IdentityPoolId string
		MaxResults     int
		NextToken      string
		HideDisabled   bool
	}
	listIdentitiesOut struct {
		IdentityPoolId string
		Identities     []identityDescription
		NextToken      string
	}
	deleteIdentitiesIn  struct{ IdentityIdsToDelete []string }
	unprocessedIdentity struct {
		IdentityId string
		ErrorCode  string
	}
	deleteIdentitiesOut struct{ UnprocessedIdentityIds []unprocessedIdentity }
	unlinkIdentityIn    struct {
		IdentityId     string
		Logins         map[string]string
		LoginsToRemove []string
	}

	mappingRule struct {
		Claim     string
		MatchType string
		Value     string
		RoleARN   string
	}
	rulesConfiguration struct{ Rules []mappingRule }
	roleMapping        struct {
		Type                    string
		AmbiguousRoleResolution string
		RulesConfiguration      *rulesConfiguration
	}
	poolRoles struct {
		IdentityPoolId string
		Roles          map[string]string
		RoleMappings   map[string]roleMapping
	}
	tagMapIn struct {
		IdentityPoolId       string
		IdentityProviderName string
		UseDefaults          bool
		PrincipalTags        map[string]string
	}
	tagMapOut struct {
		IdentityPoolId       string
		IdentityProviderName string
		UseDefaults          bool
		PrincipalTags        map[string]string
	}
	getTagMapIn struct {
		IdentityPoolId       string
		IdentityProviderName string
	}

	lookupIn struct {
		IdentityPoolId          string
		IdentityId              string
		DeveloperUserIdentifier string
		MaxResults              int
		NextToken               string
	}
	lookupOut struct {
		IdentityId                  string
		DeveloperUserIdentifierList []string
		NextToken                   string
	}
	mergeIn struct {
		SourceUserIdentifier      string
		DestinationUserIdentifier string
		DeveloperProviderName     string
		IdentityPoolId            string
	}
	unlinkDeveloperIn struct {
		IdentityId              string
		IdentityPoolId          string
		DeveloperProviderName   string
		DeveloperUserIdentifier string
	}
)

func poolInput(in *identityPool) cognito.PoolInput {
	out := cognito.PoolInput{
		ID: in.IdentityPoolId, Name: in.IdentityPoolName, AllowUnauthenticated: in.AllowUnauthenticatedIdentities,
		AllowClassicFlow: in.AllowClassicFlow, SupportedLoginProviders: in.SupportedLoginProviders,
		DeveloperProviderName: in.DeveloperProviderName, OpenIDConnectProviderARNs: in.OpenIdConnectProviderARNs,
		SAMLProviderARNs: in.SamlProviderARNs, Tags: in.IdentityPoolTags,
	}
	for _, p := range in.CognitoIdentityProviders {
		out.CognitoIdentityProviders = append(out.CognitoIdentityProviders, cognito.UserPoolProvider{ProviderName: p.ProviderName, ClientID: p.ClientId, ServerSideTokenCheck: p.ServerSideTokenCheck})
	}
	return out
}

func poolOut(p cognito.IdentityPool) *identityPool {
	out := &identityPool{
		IdentityPoolId: p.ID, IdentityPoolName: p.Name, AllowUnauthenticatedIdentities: p.AllowUnauthenticated,
		AllowClassicFlow: p.AllowClassicFlow, SupportedLoginProviders: p.SupportedLoginProviders,
		DeveloperProviderName: p.DeveloperProviderName, OpenIdConnectProviderARNs: p.OpenIDConnectProviderARNs,
		SamlProviderARNs: p.SAMLProviderARNs, IdentityPoolTags: p.Tags,
	}
	if out.SupportedLoginProviders == nil {
		out.SupportedLoginProviders = map[string]string{}
	}
	if out.IdentityPoolTags == nil {
		out.IdentityPoolTags = map[string]string{}
	}
	for _, up := range p.CognitoIdentityProviders {
		out.CognitoIdentityProviders = append(out.CognitoIdentityProviders, userPoolProvider{ProviderName: up.ProviderName, ClientId: up.ClientID, ServerSideTokenCheck: up.ServerSideTokenCheck})
	}
	return out
}

func describeOut(d cognito.IdentityDescription) identityDescription {
	return identityDescription{IdentityId: d.ID, Logins: d.Logins, CreationDate: d.CreatedAt, LastModifiedDate: d.UpdatedAt}
}

func toMappings(in map[string]roleMapping) map[string]cognito.RoleMapping {
	if in == nil {
		return nil
	}
	out := make(map[string]cognito.RoleMapping, len(in))
	for k, m := range in {
		rm := cognito.RoleMapping{Type: m.Type, AmbiguousRoleResolution: m.AmbiguousRoleResolution}
		if m.RulesConfiguration != nil {
			rm.Rules = []cognito.MappingRule{}
			for _, r := range m.RulesConfiguration.Rules {
				rm.Rules = append(rm.Rules, cognito.MappingRule(r))
			}
		}
		out[k] = rm
	}
	return out
}

func fromMappings(in map[string]cognito.RoleMapping) map[string]roleMapping {
	if in == nil {
		return nil
	}
	out := make(map[string]roleMapping, len(in))
	for k, m := range in {
		rm := roleMapping{Type: m.Type, AmbiguousRoleResolution: m.AmbiguousRoleResolution}
		if m.Rules != nil {
			rm.RulesConfiguration = &rulesConfiguration{Rules: []mappingRule{}}
			for _, r := range m.Rules {
				rm.RulesConfiguration.Rules = append(rm.RulesConfiguration.Rules, mappingRule(r))
			}
		}
		out[k] = rm
	}
	return out
}

func tagMapView(m cognito.PrincipalTagMap) *tagMapOut {
	return &tagMapOut{IdentityPoolId: m.PoolID, IdentityProviderName: m.Provider, UseDefaults: m.UseDefaults, PrincipalTags: m.Tags}
}

// Table builds the Cognito Identity operation table.
func Table(svc *cognito.Service) api.Table {
	t := poolTable(svc)
	identityTable(svc, t)
	rolesTable(svc, t)
	developerTable(svc, t)
	return t
}

func poolTable(svc *cognito.Service) api.Table {
	return api.Table{
		"CreateIdentityPool": api.Op(func(ctx context.Context, c *api.Call, in *identityPool) (*identityPool, error) {
			p, err := svc.CreateIdentityPool(ctx, c.Caller, poolInput(in))
			if err != nil {
				return nil, err
			}
			return poolOut(p), nil
		}),
		"DescribeIdentityPool": api.Op(func(ctx context.Context, c *api.Call, in *poolIDIn) (*identityPool, error) {
			p, err := svc.DescribeIdentityPool(ctx, c.Caller, in.IdentityPoolId)
			if err != nil {
				return nil, err
			}
			return poolOut(p), nil
		}),
		"UpdateIdentityPool": api.Op(func(ctx context.Context, c *api.Call, in *identityPool) (*identityPool, error) {
			p, err := svc.UpdateIdentityPool(ctx, c.Caller, poolInput(in))
			if err != nil {
				return nil, err
			}
			return poolOut(p), nil
		}),
		"DeleteIdentityPool": api.Op(func(ctx context.Context, c *api.Call, in *poolIDIn) (*api.Empty, error) {
			return nil, svc.DeleteIdentityPool(ctx, c.Caller, in.IdentityPoolId)
		}),
		"ListIdentityPools": api.Op(func(ctx context.Context, c *api.Call, in *listPoolsIn) (*listPoolsOut, error) {
			page, err := svc.ListIdentityPools(ctx, c.Caller, in.MaxResults, in.NextToken)
			if err != nil {
				return nil, err
			}
			out := &listPoolsOut{IdentityPools: []poolSummary{}, NextToken: page.NextToken}
			for _, p := range page.Pools {
				out.IdentityPools = append(out.IdentityPools, poolSummary{IdentityPoolId: p.ID, IdentityPoolName: p.Name})
			}
			return out, nil
		}),
		"TagResource": api.Op(func(ctx context.Context, c *api.Call, in *tagIn) (*api.Empty, error) {
			return &api.Empty{}, svc.TagResource(ctx, c.Caller, in.ResourceArn, in.Tags)
		}),
		"UntagResource": api.Op(func(ctx context.Context, c *api.Call, in *untagIn) (*api.Empty, error) {
			return &api.Empty{}, svc.UntagResource(ctx, c.Caller, in.ResourceArn, in.TagKeys)
		}),
		"ListTagsForResource": api.Op(func(ctx context.Context, c *api.Call, in *resourceIn) (*tagsOut, error) {
			tags, err := svc.ListTagsForResource(ctx, c.Caller, in.ResourceArn)
			if err != nil {
				return nil, err
			}
			return &tagsOut{Tags: tags}, nil
		}),
	}
}

func identityTable(svc *cognito.Service, t api.Table) {
	t["GetId"] = api.Op(func(ctx context.Context, c *api.Call, in *getIDIn) (*identityIDOut, error) {
		id, err := svc.GetId(ctx, in.IdentityPoolId, in.AccountId, in.Logins)
		if err != nil {
			return nil, err
		}
		return &identityIDOut{IdentityId: id}, nil
	})
	t["GetOpenIdToken"] = api.Op(func(ctx context.Context, c *api.Call, in *openIDTokenIn) (*openIDTokenOut, error) {
		tok, err := svc.GetOpenIdToken(ctx, in.IdentityId, in.Logins)
		if err != nil {
			return nil, err
		}
		return &openIDTokenOut{IdentityId: tok.IdentityID, Token: tok.Token}, nil
	})
	t["GetCredentialsForIdentity"] = api.Op(func(ctx context.Context, c *api.Call, in *credentialsIn) (*credentialsOut, error) {
		ic, err := svc.GetCredentialsForIdentity(ctx, cognito.CredentialsInput{IdentityID: in.IdentityId, Logins: in.Logins, CustomRoleARN: in.CustomRoleArn})
		if err != nil {
			return nil, err
		}
		cr := ic.Credentials
		c.RoleARN = ic.RoleARN
		return &credentialsOut{IdentityId: ic.IdentityID, Credentials: credentials{AccessKeyId: cr.AccessKeyID, SecretKey: cr.SecretAccessKey, SessionToken: cr.SessionToken, Expiration: cr.Expiration}}, nil
	})
	t["DescribeIdentity"] = api.Op(func(ctx context.Context, c *api.Call, in *identityIn) (*identityDescription, error) {
		d, err := svc.DescribeIdentity(ctx, c.Caller, in.IdentityId)
		if err != nil {
			return nil, err
		}
		out := describeOut(d)
		return &out, nil
	})
	t["ListIdentities"] = api.Op(func(ctx context.Context, c *api.Call, in *listIdentitiesIn) (*listIdentitiesOut, error) {
		page, err := svc.ListIdentities(ctx, c.Caller, in.IdentityPoolId, in.MaxResults, in.NextToken, in.HideDisabled)
		if err != nil {
			return nil, err
		}
		out := &listIdentitiesOut{IdentityPoolId: page.PoolID, Identities: []identityDescription{}, NextToken: page.NextToken}
		for _, d := range page.Identities {
			out.Identities = append(out.Identities, describeOut(d))
		}
		return out, nil
	})
	t["DeleteIdentities"] = api.Op(func(ctx context.Context, c *api.Call, in *deleteIdentitiesIn) (*deleteIdentitiesOut, error) {
		un, err := svc.DeleteIdentities(ctx, c.Caller, in.IdentityIdsToDelete)
		if err != nil {
			return nil, err
		}
		out := &deleteIdentitiesOut{UnprocessedIdentityIds: []unprocessedIdentity{}}
		for _, u := range un {
			out.UnprocessedIdentityIds = append(out.UnprocessedIdentityIds, unprocessedIdentity{IdentityId: u.ID, ErrorCode: u.ErrorCode})
		}
		return out, nil
	})
	t["UnlinkIdentity"] = api.Op(func(ctx context.Context, c *api.Call, in *unlinkIdentityIn) (*api.Empty, error) {
		return nil, svc.UnlinkIdentity(ctx, in.IdentityId, in.Logins, in.LoginsToRemove)
	})
}

func rolesTable(svc *cognito.Service, t api.Table) {
	t["SetIdentityPoolRoles"] = api.Op(func(ctx context.Context, c *api.Call, in *poolRoles) (*api.Empty, error) {
		return nil, svc.SetIdentityPoolRoles(ctx, c.Caller, cognito.PoolRoles{PoolID: in.IdentityPoolId, Roles: in.Roles, RoleMappings: toMappings(in.RoleMappings)})
	})
	t["GetIdentityPoolRoles"] = api.Op(func(ctx context.Context, c *api.Call, in *poolIDIn) (*poolRoles, error) {
		r, err := svc.GetIdentityPoolRoles(ctx, c.Caller, in.IdentityPoolId)
		if err != nil {
			return nil, err
		}
		return &poolRoles{IdentityPoolId: r.PoolID, Roles: r.Roles, RoleMappings: fromMappings(r.RoleMappings)}, nil
	})
	t["SetPrincipalTagAttributeMap"] = api.Op(func(ctx context.Context, c *api.Call, in *tagMapIn) (*tagMapOut, error) {
		m, err := svc.SetPrincipalTagAttributeMap(ctx, c.Caller, cognito.PrincipalTagMap{PoolID: in.IdentityPoolId, Provider: in.IdentityProviderName, UseDefaults: in.UseDefaults, Tags: in.PrincipalTags})
		if err != nil {
			return nil, err
		}
		return tagMapView(m), nil
	})
	t["GetPrincipalTagAttributeMap"] = api.Op(func(ctx context.Context, c *api.Call, in *getTagMapIn) (*tagMapOut, error) {
		m, err := svc.GetPrincipalTagAttributeMap(ctx, c.Caller, in.IdentityPoolId, in.IdentityProviderName)
		if err != nil {
			return nil, err
		}
		return tagMapView(m), nil
	})
}

func developerTable(svc *cognito.Service, t api.Table) {
	t["GetOpenIdTokenForDeveloperIdentity"] = api.Op(func(ctx context.Context, c *api.Call, in *developerTokenIn) (*openIDTokenOut, error) {
		tok, err := svc.GetOpenIdTokenForDeveloperIdentity(ctx, c.Caller, cognito.DeveloperTokenInput{
			PoolID: in.IdentityPoolId, IdentityID: in.IdentityId, Logins: in.Logins, PrincipalTags: in.PrincipalTags, TokenDuration: in.TokenDuration,
		})
		if err != nil {
			return nil, err
		}
		return &openIDTokenOut{IdentityId: tok.IdentityID, Token: tok.Token}, nil
	})
	t["LookupDeveloperIdentity"] = api.Op(func(ctx context.Context, c *api.Call, in *lookupIn) (*lookupOut, error) {
		r, err := svc.LookupDeveloperIdentity(ctx, c.Caller, cognito.LookupInput{PoolID: in.IdentityPoolId, IdentityID: in.IdentityId, User: in.DeveloperUserIdentifier, MaxResults: in.MaxResults, NextToken: in.NextToken})
		if err != nil {
			return nil, err
		}
		return &lookupOut{IdentityId: r.IdentityID, DeveloperUserIdentifierList: r.Users, NextToken: r.NextToken}, nil
	})
	t["MergeDeveloperIdentities"] = api.Op(func(ctx context.Context, c *api.Call, in *mergeIn) (*identityIDOut, error) {
		id, err := svc.MergeDeveloperIdentities(ctx, c.Caller, in.IdentityPoolId, in.DeveloperProviderName, in.SourceUserIdentifier, in.DestinationUserIdentifier)
		if err != nil {
			return nil, err
		}
		return &identityIDOut{IdentityId: id}, nil
	})
	t["UnlinkDeveloperIdentity"] = api.Op(func(ctx context.Context, c *api.Call, in *unlinkDeveloperIn) (*api.Empty, error) {
		return nil, svc.UnlinkDeveloperIdentity(ctx, c.Caller, in.IdentityPoolId, in.IdentityId, in.DeveloperProviderName, in.DeveloperUserIdentifier)
	})
}
