package cognito

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Public login providers a pool may list in SupportedLoginProviders (model doc).
const (
	providerGoogle   = "accounts.google.com"
	providerApple    = "appleid.apple.com"
	providerFacebook = "graph.facebook.com"
	providerAmazon   = "www.amazon.com"
	providerTwitter  = "api.twitter.com"
	providerDigits   = "www.digits.com"
)

var socialProviders = map[string]bool{
	providerGoogle: true, providerApple: true, providerFacebook: true,
	providerAmazon: true, providerTwitter: true, providerDigits: true,
}

var (
	oidcProviderARN = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):oidc-provider/(.+)$`)
	samlProviderARN = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):saml-provider/([\w._-]{1,128})$`)
	poolARNRe       = regexp.MustCompile(`^arn:aws:cognito-identity:([a-z0-9-]+):([0-9]{12}):identitypool/([\w-]+:[0-9a-f-]+)$`)
	userPoolName    = regexp.MustCompile(`^cognito-idp\.[a-z0-9-]+\.amazonaws\.com/[\w-]+$`)
)

// IdentityPool is a pool's configuration as the API exchanges it: what CreateIdentityPool and
// UpdateIdentityPool are given and what they and DescribeIdentityPool answer. The roles, role
// mappings and principal tag maps have operations of their own.
type IdentityPool struct {
	ID                        string // empty for CreateIdentityPool
	Name                      string
	AllowUnauthenticated      bool
	AllowClassicFlow          *bool // nil: never set, which behaves as enabled
	SupportedLoginProviders   map[string]string
	DeveloperProviderName     string
	OpenIDConnectProviderARNs []string
	CognitoIdentityProviders  []UserPoolProvider
	SAMLProviderARNs          []string
	// Tags is nil when a request has no IdentityPoolTags.
	Tags map[string]string
}

// UserPoolProvider is a Cognito user pool app client whose ID tokens a pool accepts.
type UserPoolProvider struct {
	ProviderName         string // cognito-idp.<region>.amazonaws.com/<user pool id>
	ClientID             string
	ServerSideTokenCheck bool
}

// PoolInput is the configuration of CreateIdentityPool and UpdateIdentityPool.
type PoolInput = IdentityPool

// poolOf is the API's view of a stored pool.
func poolOf(p store.IdentityPool) IdentityPool {
	out := IdentityPool{
		ID: p.ID, Name: p.Name, AllowUnauthenticated: p.AllowUnauthenticated, AllowClassicFlow: p.AllowClassicFlow,
		SupportedLoginProviders: p.SupportedLoginProviders, DeveloperProviderName: p.DeveloperProviderName,
		OpenIDConnectProviderARNs: p.OpenIDConnectProviderARNs, SAMLProviderARNs: p.SAMLProviderARNs, Tags: p.Tags,
	}
	for _, up := range p.CognitoIdentityProviders {
		out.CognitoIdentityProviders = append(out.CognitoIdentityProviders, UserPoolProvider(up))
	}
	return out
}

// storedUserPools is the store's form of a pool's user pool providers.
func storedUserPools(in []UserPoolProvider) []store.CognitoUserPoolProvider {
	var out []store.CognitoUserPoolProvider
	for _, up := range in {
		out = append(out, store.CognitoUserPoolProvider(up))
	}
	return out
}

// requestTagContext is the aws:RequestTag/… and aws:TagKeys context of a tagging request.
func requestTagContext(tags map[string]string, keys []string) map[string][]string {
	if len(tags) == 0 && len(keys) == 0 {
		return nil
	}
	ctx := map[string][]string{}
	for k, v := range tags {
		ctx["aws:RequestTag/"+k] = []string{v}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ctx["aws:TagKeys"] = keys
	return ctx
}

func validateTags(tags map[string]string) error {
	if len(tags) > MaxTagsPerPool {
		return invalidParameter("An identity pool can have at most %d tags.", MaxTagsPerPool)
	}
	for k := range tags {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidParameter("Tag keys can't start with 'aws:'. This prefix is reserved for AWS use.")
		}
	}
	return nil
}

func dedupe(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// checkConfig validates a pool configuration: provider keys, user-pool providers and the IAM
// providers, which must exist in the caller's account.
func (s *Service) checkConfig(ctx context.Context, caller *principal.Principal, in *PoolInput) error {
	for k := range in.SupportedLoginProviders {
		if !socialProviders[k] {
			return invalidParameter("Invalid login provider '%s': SupportedLoginProviders accepts %s, %s, %s, %s, %s and %s; register other OpenID Connect issuers in IAM and list them in OpenIdConnectProviderARNs.",
				k, providerFacebook, providerGoogle, providerApple, providerAmazon, providerTwitter, providerDigits)
		}
	}
	if len(in.CognitoIdentityProviders) > MaxUserPoolProviders {
		return limitExceeded("An identity pool can have at most %d Cognito user pool providers.", MaxUserPoolProviders)
	}
	var ups []UserPoolProvider
	for _, p := range in.CognitoIdentityProviders {
		if p.ProviderName == "" || p.ClientID == "" {
			return invalidParameter("Each CognitoIdentityProvider needs a ProviderName and a ClientId.")
		}
		if !userPoolName.MatchString(p.ProviderName) {
			return invalidParameter("Invalid Cognito user pool provider name '%s': want cognito-idp.<region>.amazonaws.com/<user pool id>.", p.ProviderName)
		}
		dup := false
		for i, q := range ups {
			if q.ProviderName == p.ProviderName && q.ClientID == p.ClientID {
				ups[i].ServerSideTokenCheck = ups[i].ServerSideTokenCheck || p.ServerSideTokenCheck
				dup = true
			}
		}
		if !dup {
			ups = append(ups, p)
		}
	}
	in.CognitoIdentityProviders = ups
	in.OpenIDConnectProviderARNs = dedupe(in.OpenIDConnectProviderARNs)
	for _, arn := range in.OpenIDConnectProviderARNs {
		m := oidcProviderARN.FindStringSubmatch(arn)
		if m == nil {
			return invalidParameter("Invalid OpenIdConnectProviderARN '%s'.", arn)
		}
		p, err := s.Store.GetOIDCProvider(ctx, arn)
		if errors.Is(err, store.ErrNotFound) || (err == nil && p.AccountID != caller.AccountID) {
			return invalidParameter("OpenIdConnectProviderARN '%s' does not exist in IAM.", arn)
		}
		if err != nil {
			return awserr.InternalError(err)
		}
	}
	in.SAMLProviderARNs = dedupe(in.SAMLProviderARNs)
	for _, arn := range in.SAMLProviderARNs {
		if samlProviderARN.FindStringSubmatch(arn) == nil {
			return invalidParameter("Invalid SamlProviderARN '%s'.", arn)
		}
		p, err := s.Store.GetSAMLProvider(ctx, arn)
		if errors.Is(err, store.ErrNotFound) || (err == nil && p.AccountID != caller.AccountID) {
			return invalidParameter("SamlProviderARN '%s' does not exist in IAM.", arn)
		}
		if err != nil {
			return awserr.InternalError(err)
		}
	}
	if in.Tags != nil {
		if err := validateTags(in.Tags); err != nil {
			return err
		}
	}
	return nil
}

// CreateIdentityPool creates a pool with a new REGION:GUID id.
func (s *Service) CreateIdentityPool(ctx context.Context, caller *principal.Principal, in PoolInput) (IdentityPool, error) {
	if err := s.authorize(ctx, caller, "CreateIdentityPool", "*", nil, requestTagContext(in.Tags, nil)); err != nil {
		return IdentityPool{}, err
	}
	if err := s.checkConfig(ctx, caller, &in); err != nil {
		return IdentityPool{}, err
	}
	region := s.requestRegion(ctx)
	if len(region) > maxRegionLength || !ids.IsRegion(region) {
		return IdentityPool{}, invalidParameter("Cannot create an identity pool in region '%s': sign the request for a region such as us-east-1; the pool's id begins with that region.", region)
	}
	now := s.now().UTC().Truncate(time.Second)
	p := store.IdentityPool{
		AccountID: caller.AccountID, Name: in.Name, AllowUnauthenticated: in.AllowUnauthenticated, AllowClassicFlow: in.AllowClassicFlow,
		SupportedLoginProviders: in.SupportedLoginProviders, DeveloperProviderName: in.DeveloperProviderName,
		OpenIDConnectProviderARNs: in.OpenIDConnectProviderARNs, CognitoIdentityProviders: storedUserPools(in.CognitoIdentityProviders),
		SAMLProviderARNs: in.SAMLProviderARNs, Tags: in.Tags, CreatedAt: now, UpdatedAt: now,
	}
	for attempt := 0; ; attempt++ {
		p.ID = s.newID(region)
		err := s.Store.CreateIdentityPool(ctx, p, MaxPoolsPerAccount)
		switch {
		case err == nil:
			return poolOf(p), nil
		case errors.Is(err, store.ErrLimitExceeded):
			return IdentityPool{}, limitExceeded("Cannot exceed the quota of %d identity pools per account in region %s.", MaxPoolsPerAccount, region)
		case errors.Is(err, store.ErrAlreadyExists) && attempt < 3:
			continue
		default:
			return IdentityPool{}, awserr.InternalError(err)
		}
	}
}

// DescribeIdentityPool returns a pool's configuration.
func (s *Service) DescribeIdentityPool(ctx context.Context, caller *principal.Principal, poolID string) (IdentityPool, error) {
	p, err := s.signedPool(ctx, caller, "DescribeIdentityPool", poolID, nil)
	if err != nil {
		return IdentityPool{}, err
	}
	return poolOf(p), nil
}

// UpdateIdentityPool replaces a pool's configuration: a field left out takes its default. The
// developer provider name cannot change once set (left out, it is kept), and tags left out are
// kept (TagResource and UntagResource manage them).
func (s *Service) UpdateIdentityPool(ctx context.Context, caller *principal.Principal, in PoolInput) (IdentityPool, error) {
	p, err := s.signedPool(ctx, caller, "UpdateIdentityPool", in.ID, requestTagContext(in.Tags, nil))
	if err != nil {
		return IdentityPool{}, err
	}
	// Checked on the pool as read here first, so that this error comes before checkConfig's,
	// and again in the transaction, where a concurrent update may have set the name.
	if _, err := keptDeveloperName(p, in.DeveloperProviderName); err != nil {
		return IdentityPool{}, err
	}
	if err := s.checkConfig(ctx, caller, &in); err != nil {
		return IdentityPool{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	// Only the configuration is replaced: the roles, role mappings and principal tag maps that
	// SetIdentityPoolRoles and SetPrincipalTagAttributeMap keep are left as they are now.
	updated, err := s.updatePool(ctx, in.ID, true, func(p *store.IdentityPool) error {
		dev, err := keptDeveloperName(*p, in.DeveloperProviderName)
		if err != nil {
			return err
		}
		p.Name, p.AllowUnauthenticated, p.AllowClassicFlow = in.Name, in.AllowUnauthenticated, in.AllowClassicFlow
		p.SupportedLoginProviders, p.DeveloperProviderName = in.SupportedLoginProviders, dev
		p.OpenIDConnectProviderARNs, p.CognitoIdentityProviders, p.SAMLProviderARNs = in.OpenIDConnectProviderARNs, storedUserPools(in.CognitoIdentityProviders), in.SAMLProviderARNs
		if in.Tags != nil {
			p.Tags = in.Tags
		}
		p.UpdatedAt = now
		return nil
	})
	if err != nil {
		return IdentityPool{}, err
	}
	return poolOf(updated), nil
}

// keptDeveloperName is the DeveloperProviderName a pool has after an update requesting name: it
// cannot change once it is set, and left out it is kept.
func keptDeveloperName(p store.IdentityPool, name string) (string, error) {
	switch {
	case p.DeveloperProviderName == "":
		return name, nil
	case name != "" && name != p.DeveloperProviderName:
		return "", invalidParameter("The DeveloperProviderName of an identity pool cannot be changed once it is set (it is '%s').", p.DeveloperProviderName)
	}
	return p.DeveloperProviderName, nil
}

// concurrentModification is the answer of UpdateIdentityPool and SetIdentityPoolRoles, whose
// model has ConcurrentModificationException, when a concurrent update of the same pool won:
// nothing of this request was written.
func concurrentModification(format string, args ...any) *awserr.Error {
	return awserr.New("ConcurrentModificationException", http.StatusBadRequest, format, args...)
}

// updatePool runs change on the pool in one store transaction (see "Updaters" in package store),
// so concurrent changes of one pool never overwrite each other. change gets the pool as it is at
// that moment; its own AWS error is returned as it is. modeled says whether the operation's model
// has ConcurrentModificationException, the answer to a race lost on every retry; the others
// answer ServiceUnavailable then.
func (s *Service) updatePool(ctx context.Context, id string, modeled bool, change func(*store.IdentityPool) error) (store.IdentityPool, error) {
	p, err := s.Store.UpdateIdentityPool(ctx, id, change)
	if err == nil {
		return p, nil
	}
	if ae, ok := awserr.As(err); ok {
		return store.IdentityPool{}, ae
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.IdentityPool{}, poolNotFound(id)
	case modeled && errors.Is(err, store.ErrConcurrentModification):
		return store.IdentityPool{}, concurrentModification("Identity pool '%s' was changed by concurrent requests; none of this request's changes were made. Send the request again.", id)
	}
	return store.IdentityPool{}, awserr.InternalError(err)
}

// DeleteIdentityPool removes a pool with its identities.
func (s *Service) DeleteIdentityPool(ctx context.Context, caller *principal.Principal, poolID string) error {
	if _, err := s.signedPool(ctx, caller, "DeleteIdentityPool", poolID, nil); err != nil {
		return err
	}
	err := s.Store.DeleteIdentityPool(ctx, poolID)
	if errors.Is(err, store.ErrNotFound) {
		return poolNotFound(poolID)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	return nil
}

// PoolPage is one page of ListIdentityPools.
type PoolPage struct {
	Pools     []IdentityPool
	NextToken string
}

// ListIdentityPools pages the caller's account's pools of the call's region.
func (s *Service) ListIdentityPools(ctx context.Context, caller *principal.Principal, maxResults int, nextToken string) (PoolPage, error) {
	if err := s.authorize(ctx, caller, "ListIdentityPools", "*", nil, nil); err != nil {
		return PoolPage{}, err
	}
	after, err := decodeToken("pools", nextToken)
	if err != nil {
		return PoolPage{}, err
	}
	pools, next, err := s.Store.ListIdentityPools(ctx, caller.AccountID, s.requestRegion(ctx), after, listLimit(maxResults))
	if err != nil {
		return PoolPage{}, awserr.InternalError(err)
	}
	page := PoolPage{NextToken: encodeToken("pools", next)}
	for _, p := range pools {
		page.Pools = append(page.Pools, poolOf(p))
	}
	return page, nil
}

// poolFromARN authorizes op on the pool an ARN names and loads it.
func (s *Service) poolFromARN(ctx context.Context, caller *principal.Principal, op, arn string, extra map[string][]string) (store.IdentityPool, error) {
	m := poolARNRe.FindStringSubmatch(arn)
	if m == nil {
		return store.IdentityPool{}, invalidParameter("Invalid ResourceArn '%s': want arn:aws:cognito-identity:<region>:<account>:identitypool/<IdentityPoolId>.", arn)
	}
	if m[2] != caller.AccountID || m[1] != ids.RegionOf(m[3]) {
		if err := s.authorize(ctx, caller, op, arn, nil, extra); err != nil {
			return store.IdentityPool{}, err
		}
		return store.IdentityPool{}, poolNotFound(m[3])
	}
	return s.signedPool(ctx, caller, op, m[3], extra)
}

// TagResource adds or replaces tags of a pool. The tags are merged into the pool's tags as they
// are in the store transaction, and the 50-tag quota checked there, so concurrent requests keep
// every tag and cannot pass the quota together.
func (s *Service) TagResource(ctx context.Context, caller *principal.Principal, arn string, tags map[string]string) error {
	p, err := s.poolFromARN(ctx, caller, "TagResource", arn, requestTagContext(tags, nil))
	if err != nil {
		return err
	}
	_, err = s.updatePool(ctx, p.ID, false, func(p *store.IdentityPool) error {
		merged := maps.Clone(p.Tags)
		if merged == nil {
			merged = make(map[string]string, len(tags))
		}
		maps.Copy(merged, tags)
		if err := validateTags(merged); err != nil {
			return err
		}
		p.Tags = merged
		return nil
	})
	return err
}

// UntagResource removes tags of a pool; absent keys are ignored.
func (s *Service) UntagResource(ctx context.Context, caller *principal.Principal, arn string, keys []string) error {
	p, err := s.poolFromARN(ctx, caller, "UntagResource", arn, requestTagContext(nil, slices.Clone(keys)))
	if err != nil {
		return err
	}
	_, err = s.updatePool(ctx, p.ID, false, func(p *store.IdentityPool) error {
		maps.DeleteFunc(p.Tags, func(k, _ string) bool { return slices.Contains(keys, k) })
		return nil
	})
	return err
}

// ListTagsForResource returns a pool's tags.
func (s *Service) ListTagsForResource(ctx context.Context, caller *principal.Principal, arn string) (map[string]string, error) {
	p, err := s.poolFromARN(ctx, caller, "ListTagsForResource", arn, nil)
	if err != nil {
		return nil, err
	}
	if p.Tags == nil {
		return map[string]string{}, nil
	}
	return p.Tags, nil
}
