package iamapi

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

type (
	createOIDCIn struct {
		Url            string
		ClientIDList   []string
		ThumbprintList []string
		Tags           []Tag
	}
	createOIDCOut struct {
		OpenIDConnectProviderArn string
		Tags                     []Tag
	}
	oidcArnIn    struct{ OpenIDConnectProviderArn string }
	oidcClientIn struct {
		OpenIDConnectProviderArn string
		ClientID                 string
	}
	oidcThumbIn struct {
		OpenIDConnectProviderArn string
		ThumbprintList           []string
	}
	getOIDCOut struct {
		Url            string
		ClientIDList   []string
		ThumbprintList []string
		CreateDate     time.Time
		Tags           []Tag
	}
	arnEntry    struct{ Arn string }
	listOIDCOut struct{ OpenIDConnectProviderList []arnEntry }
	oidcTagIn   struct {
		OpenIDConnectProviderArn string
		Tags                     []Tag
	}
	oidcUntagIn struct {
		OpenIDConnectProviderArn string
		TagKeys                  []string
	}
	oidcTagsIn struct {
		OpenIDConnectProviderArn string
		Marker                   string
		MaxItems                 int64
	}

	createSAMLIn struct {
		SAMLMetadataDocument    string
		Name                    string
		Tags                    []Tag
		AssertionEncryptionMode string
		AddPrivateKey           string
	}
	createSAMLOut struct {
		SAMLProviderArn string
		Tags            []Tag
	}
	samlArnIn    struct{ SAMLProviderArn string }
	updateSAMLIn struct {
		SAMLMetadataDocument    string
		SAMLProviderArn         string
		AssertionEncryptionMode string
		AddPrivateKey           string
		RemovePrivateKey        string
	}
	getSAMLOut struct {
		SAMLProviderUUID        string
		SAMLMetadataDocument    string
		CreateDate              time.Time
		ValidUntil              *time.Time
		Tags                    []Tag
		AssertionEncryptionMode string
		PrivateKeyList          []struct{}
	}
	samlEntry struct {
		Arn        string
		ValidUntil *time.Time
		CreateDate time.Time
	}
	listSAMLOut struct{ SAMLProviderList []samlEntry }
	samlTagIn   struct {
		SAMLProviderArn string
		Tags            []Tag
	}
	samlUntagIn struct {
		SAMLProviderArn string
		TagKeys         []string
	}
	samlTagsIn struct {
		SAMLProviderArn string
		Marker          string
		MaxItems        int64
	}
	outboundOut struct {
		IssuerIdentifier  string
		JwtVendingEnabled *bool
	}
)

func providerTable(svc *iam.Service, t api.Table) {
	t["CreateOpenIDConnectProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *createOIDCIn) (*createOIDCOut, error) {
		p, err := svc.CreateOpenIDConnectProvider(ctx, c.Caller, iam.CreateOIDCProviderInput{URL: in.Url, ClientIDs: in.ClientIDList, Thumbprints: in.ThumbprintList, Tags: iamTags(in.Tags)})
		if err != nil {
			return nil, err
		}
		return &createOIDCOut{OpenIDConnectProviderArn: p.ARN, Tags: wireTags(p.Tags)}, nil
	})
	t["GetOpenIDConnectProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *oidcArnIn) (*getOIDCOut, error) {
		p, err := svc.GetOpenIDConnectProvider(ctx, c.Caller, in.OpenIDConnectProviderArn)
		if err != nil {
			return nil, err
		}
		out := &getOIDCOut{Url: trimScheme(p.URL), ClientIDList: p.ClientIDs, ThumbprintList: p.Thumbprints, CreateDate: p.CreatedAt, Tags: wireTags(p.Tags)}
		if out.ClientIDList == nil {
			out.ClientIDList = []string{}
		}
		if out.ThumbprintList == nil {
			out.ThumbprintList = []string{}
		}
		return out, nil
	})
	t["ListOpenIDConnectProviders"] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*listOIDCOut, error) {
		ps, err := svc.ListOpenIDConnectProviders(ctx, c.Caller)
		if err != nil {
			return nil, err
		}
		out := &listOIDCOut{OpenIDConnectProviderList: []arnEntry{}}
		for _, p := range ps {
			out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, arnEntry{Arn: p.ARN})
		}
		return out, nil
	})
	t["AddClientIDToOpenIDConnectProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *oidcClientIn) (*api.Empty, error) {
		return nil, svc.AddClientIDToOpenIDConnectProvider(ctx, c.Caller, in.OpenIDConnectProviderArn, in.ClientID)
	})
	t["RemoveClientIDFromOpenIDConnectProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *oidcClientIn) (*api.Empty, error) {
		return nil, svc.RemoveClientIDFromOpenIDConnectProvider(ctx, c.Caller, in.OpenIDConnectProviderArn, in.ClientID)
	})
	t["UpdateOpenIDConnectProviderThumbprint"] = api.Op(func(ctx context.Context, c *api.Call, in *oidcThumbIn) (*api.Empty, error) {
		return nil, svc.UpdateOpenIDConnectProviderThumbprint(ctx, c.Caller, in.OpenIDConnectProviderArn, in.ThumbprintList)
	})
	t["DeleteOpenIDConnectProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *oidcArnIn) (*api.Empty, error) {
		return nil, svc.DeleteOpenIDConnectProvider(ctx, c.Caller, in.OpenIDConnectProviderArn)
	})
	t["TagOpenIDConnectProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *oidcTagIn) (*api.Empty, error) {
		return nil, svc.TagOpenIDConnectProvider(ctx, c.Caller, in.OpenIDConnectProviderArn, iamTags(in.Tags))
	})
	t["UntagOpenIDConnectProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *oidcUntagIn) (*api.Empty, error) {
		return nil, svc.UntagOpenIDConnectProvider(ctx, c.Caller, in.OpenIDConnectProviderArn, in.TagKeys)
	})
	t["ListOpenIDConnectProviderTags"] = api.Op(func(ctx context.Context, c *api.Call, in *oidcTagsIn) (*listTagsOut, error) {
		return tagsPage(svc.ListOpenIDConnectProviderTags(ctx, c.Caller, in.OpenIDConnectProviderArn, in.Marker, int(in.MaxItems)))
	})

	t["CreateSAMLProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *createSAMLIn) (*createSAMLOut, error) {
		p, err := svc.CreateSAMLProvider(ctx, c.Caller, iam.CreateSAMLProviderInput{Name: in.Name, Metadata: in.SAMLMetadataDocument, EncryptionMode: in.AssertionEncryptionMode, AddPrivateKey: in.AddPrivateKey, Tags: iamTags(in.Tags)})
		if err != nil {
			return nil, err
		}
		return &createSAMLOut{SAMLProviderArn: p.ARN, Tags: wireTags(p.Tags)}, nil
	})
	t["GetSAMLProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *samlArnIn) (*getSAMLOut, error) {
		p, err := svc.GetSAMLProvider(ctx, c.Caller, in.SAMLProviderArn)
		if err != nil {
			return nil, err
		}
		return &getSAMLOut{SAMLProviderUUID: p.UUID, SAMLMetadataDocument: p.MetadataDocument, CreateDate: p.CreatedAt, ValidUntil: p.ValidUntil,
			Tags: wireTags(p.Tags), AssertionEncryptionMode: p.AssertionEncryptionMode, PrivateKeyList: []struct{}{}}, nil
	})
	t["ListSAMLProviders"] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*listSAMLOut, error) {
		ps, err := svc.ListSAMLProviders(ctx, c.Caller)
		if err != nil {
			return nil, err
		}
		out := &listSAMLOut{SAMLProviderList: []samlEntry{}}
		for _, p := range ps {
			out.SAMLProviderList = append(out.SAMLProviderList, samlEntry{Arn: p.ARN, ValidUntil: p.ValidUntil, CreateDate: p.CreatedAt})
		}
		return out, nil
	})
	t["UpdateSAMLProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *updateSAMLIn) (*samlArnIn, error) {
		if err := svc.UpdateSAMLProvider(ctx, c.Caller, in.SAMLProviderArn, in.SAMLMetadataDocument, in.AssertionEncryptionMode, in.AddPrivateKey, in.RemovePrivateKey); err != nil {
			return nil, err
		}
		return &samlArnIn{SAMLProviderArn: in.SAMLProviderArn}, nil
	})
	t["DeleteSAMLProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *samlArnIn) (*api.Empty, error) {
		return nil, svc.DeleteSAMLProvider(ctx, c.Caller, in.SAMLProviderArn)
	})
	t["TagSAMLProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *samlTagIn) (*api.Empty, error) {
		return nil, svc.TagSAMLProvider(ctx, c.Caller, in.SAMLProviderArn, iamTags(in.Tags))
	})
	t["UntagSAMLProvider"] = api.Op(func(ctx context.Context, c *api.Call, in *samlUntagIn) (*api.Empty, error) {
		return nil, svc.UntagSAMLProvider(ctx, c.Caller, in.SAMLProviderArn, in.TagKeys)
	})
	t["ListSAMLProviderTags"] = api.Op(func(ctx context.Context, c *api.Call, in *samlTagsIn) (*listTagsOut, error) {
		return tagsPage(svc.ListSAMLProviderTags(ctx, c.Caller, in.SAMLProviderArn, in.Marker, int(in.MaxItems)))
	})

	t["EnableOutboundWebIdentityFederation"] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*outboundOut, error) {
		id, err := svc.EnableOutboundWebIdentityFederation(ctx, c.Caller)
		if err != nil {
			return nil, err
		}
		return &outboundOut{IssuerIdentifier: id}, nil
	})
	t["GetOutboundWebIdentityFederationInfo"] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*outboundOut, error) {
		id, err := svc.GetOutboundWebIdentityFederationInfo(ctx, c.Caller)
		if err != nil {
			return nil, err
		}
		enabled := true
		return &outboundOut{IssuerIdentifier: id, JwtVendingEnabled: &enabled}, nil
	})
	t["DisableOutboundWebIdentityFederation"] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*api.Empty, error) {
		return nil, svc.DisableOutboundWebIdentityFederation(ctx, c.Caller)
	})
}

// trimScheme shows a provider URL as IAM does, without https:// (IAM API Reference,
// GetOpenIDConnectProvider, Url).
func trimScheme(u string) string {
	for _, p := range []string{"https://", "http://"} {
		if len(u) > len(p) && u[:len(p)] == p {
			return u[len(p):]
		}
	}
	return u
}
