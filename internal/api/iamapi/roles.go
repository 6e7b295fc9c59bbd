package iamapi

import (
	"context"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

// encodeDocument percent-encodes a policy document as IAM returns it: every byte outside the
// RFC 3986 unreserved set, so both botocore's unquote and Go's url.QueryUnescape restore it exactly.
func encodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

type (
	roleLastUsed struct {
		LastUsedDate *time.Time
		Region       string
	}
	roleWire struct {
		Path                     string
		RoleName                 string
		RoleId                   string
		Arn                      string
		CreateDate               time.Time
		AssumeRolePolicyDocument string
		Description              string
		MaxSessionDuration       *int
		PermissionsBoundary      *Boundary
		Tags                     []Tag
		RoleLastUsed             *roleLastUsed
	}
	roleOutput   struct{ Role roleWire }
	createRoleIn struct {
		Path                     string
		RoleName                 string
		AssumeRolePolicyDocument string
		Description              string
		MaxSessionDuration       int
		PermissionsBoundary      string
		Tags                     []Tag
	}
	roleNameIn   struct{ RoleName string }
	updateRoleIn struct {
		RoleName           string
		Description        *string
		MaxSessionDuration int
	}
	updateRoleDescriptionIn struct {
		RoleName    string
		Description string
	}
	updateTrustIn struct {
		RoleName       string
		PolicyDocument string
	}
	listRolesOut struct {
		Roles       []roleWire
		IsTruncated bool
		Marker      string
	}
	roleTagIn struct {
		RoleName string
		Tags     []Tag
	}
	roleUntagIn struct {
		RoleName string
		TagKeys  []string
	}
	rolePageIn struct {
		RoleName string
		Marker   string
		MaxItems int64
	}
)

func roleOut(r iam.Role, full bool) roleWire {
	msd := r.MaxSessionDuration
	out := roleWire{
		Path: r.Path, RoleName: r.RoleName, RoleId: r.RoleID, Arn: r.ARN, CreateDate: r.CreatedAt,
		AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument), Description: r.Description,
		MaxSessionDuration: &msd,
	}
	if r.PermissionsBoundary != "" {
		out.PermissionsBoundary = &Boundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: r.PermissionsBoundary}
	}
	if full {
		out.Tags = wireTags(r.Tags)
		out.RoleLastUsed = &roleLastUsed{LastUsedDate: r.LastUsedAt, Region: r.LastUsedRegion}
	}
	return out
}

func roleTable(svc *iam.Service, t api.Table) {
	t["CreateRole"] = api.Op(func(ctx context.Context, c *api.Call, in *createRoleIn) (*roleOutput, error) {
		r, err := svc.CreateRole(ctx, c.Caller, iam.CreateRoleInput{
			RoleName: in.RoleName, Path: in.Path, AssumeRolePolicyDocument: in.AssumeRolePolicyDocument,
			Description: in.Description, MaxSessionDuration: in.MaxSessionDuration,
			PermissionsBoundary: in.PermissionsBoundary, Tags: iamTags(in.Tags),
		})
		if err != nil {
			return nil, err
		}
		out := roleOut(r, false)
		out.Tags = wireTags(r.Tags)
		return &roleOutput{Role: out}, nil
	})
	t["GetRole"] = api.Op(func(ctx context.Context, c *api.Call, in *roleNameIn) (*roleOutput, error) {
		r, err := svc.GetRole(ctx, c.Caller, in.RoleName)
		if err != nil {
			return nil, err
		}
		return &roleOutput{Role: roleOut(r, true)}, nil
	})
	t["ListRoles"] = api.Op(func(ctx context.Context, c *api.Call, in *listUsersIn) (*listRolesOut, error) {
		p, err := svc.ListRoles(ctx, c.Caller, in.PathPrefix, in.Marker, int(in.MaxItems))
		if err != nil {
			return nil, err
		}
		out := &listRolesOut{Roles: []roleWire{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
		for _, r := range p.Items {
			out.Roles = append(out.Roles, roleOut(r, false))
		}
		return out, nil
	})
	t["UpdateRole"] = api.Op(func(ctx context.Context, c *api.Call, in *updateRoleIn) (*api.Empty, error) {
		err := svc.UpdateRole(ctx, c.Caller, in.RoleName, in.Description, in.MaxSessionDuration)
		return &api.Empty{}, err
	})
	t["UpdateRoleDescription"] = api.Op(func(ctx context.Context, c *api.Call, in *updateRoleDescriptionIn) (*roleOutput, error) {
		r, err := svc.UpdateRoleDescription(ctx, c.Caller, in.RoleName, in.Description)
		if err != nil {
			return nil, err
		}
		return &roleOutput{Role: roleOut(r, false)}, nil
	})
	t["UpdateAssumeRolePolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *updateTrustIn) (*api.Empty, error) {
		return nil, svc.UpdateAssumeRolePolicy(ctx, c.Caller, in.RoleName, in.PolicyDocument)
	})
	t["DeleteRole"] = api.Op(func(ctx context.Context, c *api.Call, in *roleNameIn) (*api.Empty, error) {
		return nil, svc.DeleteRole(ctx, c.Caller, in.RoleName)
	})
	t["TagRole"] = api.Op(func(ctx context.Context, c *api.Call, in *roleTagIn) (*api.Empty, error) {
		return nil, svc.TagRole(ctx, c.Caller, in.RoleName, iamTags(in.Tags))
	})
	t["UntagRole"] = api.Op(func(ctx context.Context, c *api.Call, in *roleUntagIn) (*api.Empty, error) {
		return nil, svc.UntagRole(ctx, c.Caller, in.RoleName, in.TagKeys)
	})
	t["ListRoleTags"] = api.Op(func(ctx context.Context, c *api.Call, in *rolePageIn) (*listTagsOut, error) {
		return tagsPage(svc.ListRoleTags(ctx, c.Caller, in.RoleName, in.Marker, int(in.MaxItems)))
	})
}

// inlineTable registers Put/Get/Delete/List{Role,User,Group}Policy (and Policies), the attachment
// operations and (for users and roles) the permissions-boundary operations of one owner kind.
func inlineTable(svc *iam.Service, t api.Table, kind iam.PrincipalKind) {
	noun := map[iam.PrincipalKind]string{iam.KindUser: "User", iam.KindRole: "Role", iam.KindGroup: "Group"}[kind]
	type putIn struct {
		RoleName, UserName, GroupName, PolicyName, PolicyDocument string
	}
	type nameIn struct {
		RoleName, UserName, GroupName, PolicyName string
	}
	type getOut struct {
		RoleName, UserName, GroupName, PolicyName, PolicyDocument string
	}
	type listIn struct {
		RoleName, UserName, GroupName, Marker string
		MaxItems                              int64
	}
	type listOut struct {
		PolicyNames []string
		IsTruncated bool
		Marker      string
	}
	owner := func(role, user, group string) string { return *ownerField(kind, &role, &user, &group) }
	t["Put"+noun+"Policy"] = api.Op(func(ctx context.Context, c *api.Call, in *putIn) (*api.Empty, error) {
		return nil, svc.PutInlinePolicy(ctx, c.Caller, kind, owner(in.RoleName, in.UserName, in.GroupName), in.PolicyName, in.PolicyDocument)
	})
	t["Get"+noun+"Policy"] = api.Op(func(ctx context.Context, c *api.Call, in *nameIn) (*getOut, error) {
		p, name, err := svc.GetInlinePolicy(ctx, c.Caller, kind, owner(in.RoleName, in.UserName, in.GroupName), in.PolicyName)
		if err != nil {
			return nil, err
		}
		out := &getOut{PolicyName: p.PolicyName, PolicyDocument: encodeDocument(p.Document)}
		*ownerField(kind, &out.RoleName, &out.UserName, &out.GroupName) = name
		return out, nil
	})
	t["Delete"+noun+"Policy"] = api.Op(func(ctx context.Context, c *api.Call, in *nameIn) (*api.Empty, error) {
		return nil, svc.DeleteInlinePolicy(ctx, c.Caller, kind, owner(in.RoleName, in.UserName, in.GroupName), in.PolicyName)
	})
	t["List"+noun+"Policies"] = api.Op(func(ctx context.Context, c *api.Call, in *listIn) (*listOut, error) {
		p, err := svc.ListInlinePolicies(ctx, c.Caller, kind, owner(in.RoleName, in.UserName, in.GroupName), in.Marker, int(in.MaxItems))
		if err != nil {
			return nil, err
		}
		out := &listOut{PolicyNames: p.Items, IsTruncated: p.IsTruncated, Marker: p.Marker}
		if out.PolicyNames == nil {
			out.PolicyNames = []string{}
		}
		return out, nil
	})

	type attachIn struct {
		RoleName, UserName, GroupName, PolicyArn string
	}
	type attachedPolicy struct {
		PolicyName string
		PolicyArn  string
	}
	type listAttachedIn struct {
		RoleName, UserName, GroupName, PathPrefix, Marker string
		MaxItems                                          int64
	}
	type listAttachedOut struct {
		AttachedPolicies []attachedPolicy
		IsTruncated      bool
		Marker           string
	}
	t["Attach"+noun+"Policy"] = api.Op(func(ctx context.Context, c *api.Call, in *attachIn) (*api.Empty, error) {
		return nil, svc.AttachPolicy(ctx, c.Caller, kind, owner(in.RoleName, in.UserName, in.GroupName), in.PolicyArn)
	})
	t["Detach"+noun+"Policy"] = api.Op(func(ctx context.Context, c *api.Call, in *attachIn) (*api.Empty, error) {
		return nil, svc.DetachPolicy(ctx, c.Caller, kind, owner(in.RoleName, in.UserName, in.GroupName), in.PolicyArn)
	})
	t["ListAttached"+noun+"Policies"] = api.Op(func(ctx context.Context, c *api.Call, in *listAttachedIn) (*listAttachedOut, error) {
		p, err := svc.ListAttached(ctx, c.Caller, kind, owner(in.RoleName, in.UserName, in.GroupName), in.PathPrefix, in.Marker, int(in.MaxItems))
		if err != nil {
			return nil, err
		}
		out := &listAttachedOut{AttachedPolicies: []attachedPolicy{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
		for _, a := range p.Items {
			out.AttachedPolicies = append(out.AttachedPolicies, attachedPolicy{PolicyName: a.PolicyName, PolicyArn: a.PolicyARN})
		}
		return out, nil
	})

	if kind == iam.KindGroup {
		return // groups have no permissions boundary
	}
	type boundaryIn struct {
		RoleName, UserName, PermissionsBoundary string
	}
	t["Put"+noun+"PermissionsBoundary"] = api.Op(func(ctx context.Context, c *api.Call, in *boundaryIn) (*api.Empty, error) {
		return nil, svc.PutPermissionsBoundary(ctx, c.Caller, kind, owner(in.RoleName, in.UserName, ""), in.PermissionsBoundary)
	})
	t["Delete"+noun+"PermissionsBoundary"] = api.Op(func(ctx context.Context, c *api.Call, in *boundaryIn) (*api.Empty, error) {
		return nil, svc.DeletePermissionsBoundary(ctx, c.Caller, kind, owner(in.RoleName, in.UserName, ""))
	})
}

// ownerField picks the output member that names an owner of kind.
func ownerField(kind iam.PrincipalKind, role, user, group *string) *string {
	switch kind {
	case iam.KindRole:
		return role
	case iam.KindGroup:
		return group
	}
	return user
}
