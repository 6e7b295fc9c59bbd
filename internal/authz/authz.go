package authz

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/cache"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Request is one authorization question.
type Request struct {
	Caller          *principal.Principal
	Action          string
	Resource        string
	ResourceAccount string // "" when the resource is not bound to an account (e.g. "*")
	// Context adds operation-specific condition keys (sts:ExternalId, aws:RequestTag/…, …).
	Context map[string][]string
	// ResourcePolicy is the resource's own policy (a role's trust policy for AssumeRole*).
	ResourcePolicy *policy.Policy
	// ResourcePolicyKind says how ResourcePolicy combines with the caller's policies:
	// policy.Trust for a role trust policy, which must itself allow the caller whatever its
	// identity policies allow; policy.Resource for any other resource-based policy. Zero means
	// the kind the policy was parsed as.
	ResourcePolicyKind policy.Kind
	// RequireConditionKeys: only Allow statements of ResourcePolicy that pin each of these
	// condition keys to literal values count (see policy.Input).
	RequireConditionKeys []string
	// ResourceTags are the target's tags, exposed as aws:ResourceTag/<key>.
	ResourceTags []store.Tag
	// Principal overrides how the caller is matched against Principal elements (federated
	// callers match as "Federated" providers); nil derives it from Caller.
	Principal *policy.Principal
}

// Authorizer answers one authorization question.
type Authorizer interface {
	Authorize(ctx context.Context, req Request) error
}

// RequestInfo is what the server knows about the HTTP request that global condition keys need.
type RequestInfo struct {
	SourceIP  string
	UserAgent string
	Region    string
	Secure    bool
	Time      time.Time
}

type infoKey struct{}

// WithRequestInfo attaches request facts for the condition context.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, ri)
}

// Info returns the request facts attached by the server (zero when absent).
func Info(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(infoKey{}).(RequestInfo)
	return ri
}

// PolicySource is the part of the store the engine reads principals' policies from.
type PolicySource interface {
	GetUserByID(ctx context.Context, userID string) (store.User, error)
	GetRoleByID(ctx context.Context, roleID string) (store.Role, error)
	ListInlinePolicies(ctx context.Context, kind store.PrincipalKind, ownerID string) ([]store.InlinePolicy, error)
	ListAttachments(ctx context.Context, kind store.PrincipalKind, ownerID string) ([]store.Attachment, error)
	ListGroupsForUser(ctx context.Context, userID string) ([]store.Group, error)
	GetManagedPolicy(ctx context.Context, arn string) (store.ManagedPolicy, error)
	GetPolicyVersion(ctx context.Context, arn, versionID string) (store.PolicyVersion, error)
}

// Engine authorizes requests with the policy evaluator over the principal's stored policies.
type Engine struct {
	Source PolicySource
	Now    func() time.Time
	// CacheTTL bounds how long this node may use a principal's policies after another node
	// changed them (changes made through this node invalidate at once). Default 5 s; read when
	// the engine is first used.
	CacheTTL time.Duration
	// Messages, when set, seals an encoded authorization message into every denial.
	Messages *keys.MasterKey

	// initCaches sizes the caches and binds them to CacheTTL and Now on first use, since the
	// engine is built as a struct literal and tests set Now after building it.
	initCaches sync.Once
	// parsed holds parsed documents by content; documents are immutable once stored, so it
	// needs no TTL.
	parsed cache.Bounded[[32]byte, *policy.Policy]
	// loaded holds each principal's policies for CacheTTL.
	loaded cache.Bounded[string, PrincipalPolicies]
}

const (
	loadedCacheSize = 10000
	parsedCacheSize = 4096
	defaultCacheTTL = 5 * time.Second
)

func (e *Engine) caches() *Engine {
	e.initCaches.Do(func() {
		ttl := e.CacheTTL
		if ttl == 0 {
			ttl = defaultCacheTTL
		}
		e.parsed.Max = parsedCacheSize
		e.loaded.Max, e.loaded.TTL, e.loaded.Now = loadedCacheSize, ttl, e.now
	})
	return e
}

// InvalidateAll forgets every cached principal's policies (IAM wrote something).
func (e *Engine) InvalidateAll() {
	e.caches().loaded.Clear()
}

// Parse parses a stored document once; documents are immutable once stored, so the cache is keyed
// by content and never goes stale.
func (e *Engine) Parse(id, doc string, kind policy.Kind) (*policy.Policy, error) {
	key := sha256.Sum256([]byte(strconv.Itoa(int(kind)) + "\x00" + id + "\x00" + doc))
	return e.cachedPolicy(key, func() (*policy.Policy, error) { return policy.Parse(id, doc, kind) })
}

// cachedPolicy returns the parsed policy cached under key, building and caching it on a miss.
func (e *Engine) cachedPolicy(key [32]byte, build func() (*policy.Policy, error)) (*policy.Policy, error) {
	return e.caches().parsed.Get(key, build)
}

// TrustPolicy returns a role's trust policy bound to the principals it was saved with: users,
// roles and role sessions it names match only the entities that had those names then, by unique
// id (IAM User Guide, "AWS JSON policy elements: Principal"). A role whose bindings were never
// written trusts none of the users, roles and sessions it names. The bound view is cached by
// document and bindings, which change together.
func (e *Engine) TrustPolicy(r store.Role) (*policy.Policy, error) {
	bindings := make([]policy.Binding, len(r.PrincipalBindings))
	for i, b := range r.PrincipalBindings {
		bindings[i] = policy.Binding{Principal: b.Principal, ID: b.ID}
	}
	return e.ParseBound(principal.RoleARNOf(r.AccountID, r.Path, r.RoleName), r.AssumeRolePolicyDocument, policy.Trust, bindings)
}

// ParseBound parses a stored document and binds its principals (see policy.Policy.Bind), through
// the same content-keyed cache as Parse.
func (e *Engine) ParseBound(id, doc string, kind policy.Kind, bindings []policy.Binding) (*policy.Policy, error) {
	// The keys of Parse start with a digit, these with "b"; every variable part is preceded by
	// its length, so that no two inputs hash the same bytes.
	h := sha256.New()
	field := func(s string) { h.Write([]byte(strconv.Itoa(len(s)) + ":" + s)) }
	h.Write([]byte("b" + strconv.Itoa(int(kind)) + ":"))
	field(id)
	field(doc)
	for _, b := range bindings {
		field(b.Principal)
		field(b.ID)
	}
	var key [32]byte
	h.Sum(key[:0])
	return e.cachedPolicy(key, func() (*policy.Policy, error) {
		p, err := e.Parse(id, doc, kind)
		if err != nil {
			return nil, err
		}
		return p.Bind(bindings), nil
	})
}

// PrincipalPolicies are the policies that bound what a principal may do.
type PrincipalPolicies struct {
	IsRoot        bool
	Identity      []*policy.Policy
	Boundary      *policy.Policy
	Session       []*policy.Policy
	HasSession    bool
	FederatedUser bool
	// Tags are the IAM user's tags, which are its principal tags (sessions carry theirs in the token).
	Tags []store.Tag
}

// Load collects the caller's identity, boundary and session policies, through a short cache.
func (e *Engine) Load(ctx context.Context, p *principal.Principal) (PrincipalPolicies, error) {
	return e.caches().loaded.Get(cacheKey(p), func() (PrincipalPolicies, error) { return e.load(ctx, p) })
}

// cacheKey identifies everything Load reads: the principal's stored entity and its session policies.
func cacheKey(p *principal.Principal) string {
	return strings.Join([]string{strconv.Itoa(int(p.Kind)), p.AccountID, p.UserID, p.RoleID, p.BaseUserID, p.Source,
		strconv.FormatBool(p.HasSessionPolicies), p.SessionPolicy, strings.Join(p.SessionPolicyARNs, ","), p.TaskPolicyARN}, "\x00")
}

func (e *Engine) load(ctx context.Context, p *principal.Principal) (PrincipalPolicies, error) {
	var out PrincipalPolicies
	var kind store.PrincipalKind
	var ownerID, ownerName, boundary string
	switch p.Kind {
	case principal.Root:
		out.IsRoot = true
	case principal.User:
		u, err := e.Source.GetUserByID(ctx, p.UserID)
		if err != nil {
			return out, err
		}
		kind, ownerID, ownerName, boundary = store.KindUser, u.UserID, u.UserName, u.PermissionsBoundary
		out.Tags = u.Tags
	case principal.AssumedRole:
		if p.RoleID == "" { // AssumeRoot sessions act as root, scoped by their task policy
			out.IsRoot = true
			break
		}
		r, err := e.Source.GetRoleByID(ctx, p.RoleID)
		if err != nil {
			return out, err
		}
		kind, ownerID, ownerName, boundary = store.KindRole, r.RoleID, r.RoleName, r.PermissionsBoundary
	case principal.FederatedUser:
		out.FederatedUser = true
		if p.BaseUserID == "" {
			out.IsRoot = true
			break
		}
		u, err := e.Source.GetUserByID(ctx, p.BaseUserID)
		if err != nil {
			return out, err
		}
		kind, ownerID, ownerName, boundary = store.KindUser, u.UserID, u.UserName, u.PermissionsBoundary
	}
	if p.Kind == principal.User && p.Source == "GetSessionToken" && p.BaseUserID == "" {
		out.IsRoot = true
	}
	if ownerID != "" {
		if err := e.loadOwned(ctx, kind, ownerID, ownerName, boundary, &out); err != nil {
			return out, err
		}
	}
	if kind == store.KindUser {
		if err := e.loadGroups(ctx, ownerID, &out); err != nil {
			return out, err
		}
	}
	if p.HasSessionPolicies || p.TaskPolicyARN != "" {
		if err := e.loadSession(ctx, p, &out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// loadOwned adds the identity policies (inline and attached) of a stored user or role, and its
// permissions boundary, to out. An inline policy is named "<owner kind> <owner name>/<policy name>"
// in explanations and authorization messages.
func (e *Engine) loadOwned(ctx context.Context, kind store.PrincipalKind, ownerID, ownerName, boundary string, out *PrincipalPolicies) error {
	if err := e.loadIdentity(ctx, kind, ownerID, ownerName, "", out); err != nil {
		return err
	}
	if boundary != "" {
		pol, err := e.managed(ctx, boundary)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if pol == nil {
			// A boundary that cannot be read allows nothing (fail closed).
			pol, _ = e.Parse("boundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, policy.Identity)
		}
		out.Boundary = pol
	}
	return nil
}

// loadGroups adds the identity policies of every group the user belongs to, which are the user's
// own as far as evaluation goes (IAM User Guide, "IAM user groups"). A group's inline policy is named
// "group <group name>/<policy name>" and its attached policy "group <group name>/<policy ARN>", so
// explanations say where a decisive statement came from.
func (e *Engine) loadGroups(ctx context.Context, userID string, out *PrincipalPolicies) error {
	groups, err := e.Source.ListGroupsForUser(ctx, userID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := e.loadIdentity(ctx, store.KindGroup, g.GroupID, g.GroupName, "group "+g.GroupName+"/", out); err != nil {
			return err
		}
	}
	return nil
}

// loadIdentity adds the inline and attached policies of one owner to out.Identity. An attached
// policy is named by its ARN, after managedPrefix.
func (e *Engine) loadIdentity(ctx context.Context, kind store.PrincipalKind, ownerID, ownerName, managedPrefix string, out *PrincipalPolicies) error {
	inline, err := e.Source.ListInlinePolicies(ctx, kind, ownerID)
	if err != nil {
		return err
	}
	for _, ip := range inline {
		pol, err := e.Parse(string(kind)+" "+ownerName+"/"+ip.PolicyName, ip.Document, policy.Identity)
		if err != nil {
			continue // stored documents were validated on write; never let one grant if it no longer parses
		}
		out.Identity = append(out.Identity, pol)
	}
	atts, err := e.Source.ListAttachments(ctx, kind, ownerID)
	if err != nil {
		return err
	}
	for _, a := range atts {
		pol, err := e.managedNamed(ctx, a.PolicyARN, managedPrefix+a.PolicyARN)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return err
		}
		out.Identity = append(out.Identity, pol)
	}
	return nil
}

// loadSession adds the session policies a session token carries (inline, by ARN, and an
// AssumeRoot task policy) to out.
func (e *Engine) loadSession(ctx context.Context, p *principal.Principal, out *PrincipalPolicies) error {
	out.HasSession = true
	if p.SessionPolicy != "" {
		pol, err := e.Parse("session policy", p.SessionPolicy, policy.Identity)
		if err == nil {
			out.Session = append(out.Session, pol)
		}
	}
	arns := p.SessionPolicyARNs
	if p.TaskPolicyARN != "" {
		arns = append(append([]string{}, arns...), p.TaskPolicyARN)
	}
	for _, arn := range arns {
		pol, err := e.managed(ctx, arn)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if pol != nil {
			out.Session = append(out.Session, pol)
		}
	}
	return nil
}

func (e *Engine) managed(ctx context.Context, arn string) (*policy.Policy, error) {
	return e.managedNamed(ctx, arn, arn)
}

// managedNamed is the default version of a managed policy, named id.
func (e *Engine) managedNamed(ctx context.Context, arn, id string) (*policy.Policy, error) {
	mp, err := e.Source.GetManagedPolicy(ctx, arn)
	if err != nil {
		return nil, err
	}
	v, err := e.Source.GetPolicyVersion(ctx, arn, mp.DefaultVersionID)
	if err != nil {
		return nil, err
	}
	return e.Parse(id, v.Document, policy.Identity)
}

// PolicyPrincipal describes a caller for Principal matching. A user carries its unique id and a
// role session its role's id and its session name, by which stored trust policies match them
// (see TrustPolicy); a session keeps its role's id in its token, so a role deleted and re-created
// under the same name does not make old sessions match the new role's bindings either.
func PolicyPrincipal(p *principal.Principal) policy.Principal {
	pp := policy.Principal{Type: "AWS", Account: p.AccountID, ARNs: []string{p.ARN}}
	switch p.Kind {
	case principal.User:
		pp.ID = p.UserID
	case principal.AssumedRole:
		if p.RoleARN != "" {
			pp.ARNs = append(pp.ARNs, p.RoleARN)
		}
		if p.RoleID != "" {
			pp.ID, pp.SessionName = p.RoleID, p.SessionName
		}
	}
	return pp
}

func requestPrincipal(req Request) policy.Principal {
	if req.Principal != nil {
		return *req.Principal
	}
	return PolicyPrincipal(req.Caller)
}

// Context builds the global condition keys for a caller (IAM User Guide, "AWS global condition
// context keys").
func (e *Engine) Context(ctx context.Context, p *principal.Principal) *policy.Context {
	c := policy.NewContext()
	ri := Info(ctx)
	now := ri.Time
	if now.IsZero() {
		now = e.now()
	}
	c.Set("aws:CurrentTime", now.UTC().Format(time.RFC3339))
	c.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	if ri.SourceIP != "" {
		c.Set("aws:SourceIp", ri.SourceIP)
	}
	if ri.UserAgent != "" {
		c.Set("aws:UserAgent", ri.UserAgent)
	}
	if ri.Region != "" {
		c.Set("aws:RequestedRegion", ri.Region)
	}
	c.Set("aws:SecureTransport", strconv.FormatBool(ri.Secure))
	c.Set("aws:ViaAWSService", "false")
	c.Set("aws:PrincipalIsAWSService", "false")
	c.Set("aws:PrincipalAccount", p.AccountID)
	c.Set("aws:PrincipalType", p.Kind.String())
	c.Set("aws:userid", p.UserID)
	switch p.Kind {
	case principal.User:
		c.Set("aws:username", p.UserName)
		c.Set("aws:PrincipalArn", p.ARN)
	case principal.AssumedRole:
		if p.RoleARN != "" {
			c.Set("aws:PrincipalArn", p.RoleARN)
		} else {
			c.Set("aws:PrincipalArn", p.ARN)
		}
	default:
		c.Set("aws:PrincipalArn", p.ARN)
	}
	for _, t := range p.Tags {
		c.Set("aws:PrincipalTag/"+t.Key, t.Value)
	}
	if p.Temporary {
		c.Set("aws:MultiFactorAuthPresent", strconv.FormatBool(p.MFAAuthenticated))
		c.Set("aws:TokenIssueTime", p.IssuedAt.UTC().Format(time.RFC3339))
	}
	if p.MFAAuthenticated && !p.MFAAuthTime.IsZero() {
		c.Set("aws:MultiFactorAuthAge", strconv.FormatInt(int64(now.Sub(p.MFAAuthTime).Seconds()), 10))
	}
	if p.SourceIdentity != "" {
		c.Set("aws:SourceIdentity", p.SourceIdentity)
	}
	if p.FederatedProvider != "" {
		c.Set("aws:FederatedProvider", p.FederatedProvider)
	}
	return c
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Check evaluates req and returns the engine's output, and the refusal (AccessDenied with an
// encoded authorization message) when it is not allowed. The refusal's Cause carries the
// explanation (explain.Of), built only then; the message stays AWS's.
func (e *Engine) Check(ctx context.Context, req Request) (policy.Output, error) {
	out, in, err := e.decide(ctx, req)
	if err != nil {
		return out, e.failure(req, err)
	}
	if out.Decision != policy.Allow {
		x := in.Explain(out)
		d := e.Denial(req, in.Context, out, x)
		d.Cause = explain.Wrap(x, nil)
		return out, d
	}
	return out, nil
}

func (e *Engine) failure(req Request, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		// The caller's user or role is gone: its sessions keep no permissions.
		d := Denied(req.Caller, req.Action, req.Resource, "no identity-based policy allows the "+req.Action+" action")
		d.Cause = explain.Wrap(&explain.Explanation{Outcome: explain.ImplicitDeny, Action: req.Action, Resource: req.Resource,
			Summary: "the caller's IAM user or role no longer exists, so its credentials carry no permissions"}, nil)
		return d
	}
	if errors.Is(err, store.ErrUnavailable) {
		return awserr.UnavailableError(fmt.Errorf("authorizing %s: %w", req.Action, err))
	}
	return awserr.InternalError(fmt.Errorf("authorizing %s: %w", req.Action, err))
}

func (e *Engine) decide(ctx context.Context, req Request) (policy.Output, *policy.Input, error) {
	pp, err := e.Load(ctx, req.Caller)
	if err != nil {
		return policy.Output{}, nil, err
	}
	c := e.Context(ctx, req.Caller)
	for _, t := range pp.Tags {
		c.Set("aws:PrincipalTag/"+t.Key, t.Value)
	}
	for k, v := range req.Context {
		c.Set(k, v...)
	}
	for _, t := range req.ResourceTags {
		c.Set("aws:ResourceTag/"+t.Key, t.Value)
	}
	in := &policy.Input{
		Request: policy.Request{
			Principal: requestPrincipal(req),
			Action:    req.Action,
			Resource:  req.Resource,
			Context:   c,
		},
		IsRoot:               pp.IsRoot,
		PrincipalAccount:     req.Caller.AccountID,
		ResourceAccount:      req.ResourceAccount,
		Identity:             pp.Identity,
		Boundary:             pp.Boundary,
		HasSessionPolicies:   pp.HasSession,
		Session:              pp.Session,
		FederatedUser:        pp.FederatedUser,
		ResourcePolicy:       req.ResourcePolicy,
		ResourcePolicyKind:   req.ResourcePolicyKind,
		RequireConditionKeys: req.RequireConditionKeys,
	}
	return policy.Decide(in), in, nil
}

// Authorize allows or answers AWS's AccessDenied.
func (e *Engine) Authorize(ctx context.Context, req Request) error {
	_, err := e.Check(ctx, req)
	return err
}

// Denial phrases a refusal, with an encoded authorization message when the engine has a key;
// the message carries x, the refusal's explanation, as far as it fits.
func (e *Engine) Denial(req Request, c *policy.Context, out policy.Output, x *explain.Explanation) *awserr.Error {
	d := Denied(req.Caller, req.Action, req.Resource, out.Reason)
	if e.Messages != nil && c != nil {
		if enc := encodeMessage(e.Messages, req.Caller, req.Action, req.Resource, c, out, x); enc != "" {
			d.Message += ". Encoded authorization failure message: " + enc
		}
	}
	return d
}

// Denied builds AWS's AccessDenied message: "User: ARN is not authorized to perform: ACTION on
// resource: ARN because REASON".
func Denied(caller *principal.Principal, action, resource, reason string) *awserr.Error {
	msg := "User: " + caller.ARN + " is not authorized to perform: " + action + " on resource: " + resource
	if reason != "" {
		msg += " " + strings.TrimSpace(becauseOrWith(reason))
	}
	return awserr.DeniedError("%s", msg)
}

// becauseOrWith follows AWS's phrasing: "because no … allows …" and "with an explicit deny in …".
func becauseOrWith(reason string) string {
	if strings.HasPrefix(reason, "with ") || strings.HasPrefix(reason, "because ") {
		return reason
	}
	return "because " + reason
}
