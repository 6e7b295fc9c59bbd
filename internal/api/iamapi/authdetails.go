package iamapi

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

// GetAccountAuthorizationDetails and GetAccountSummary. Policy documents are URL-encoded, as
// every IAM answer that carries a policy document encodes them (encodeDocument).

type (
	authDetailsIn struct {
		Filter   []string
		Marker   string
		MaxItems int64
	}
	policyDetailWire struct {
		PolicyName     string
		PolicyDocument string
	}
	attachedPolicyWire struct {
		PolicyName string
		PolicyArn  string
	}
	userDetailWire struct {
		Path                    string
		UserName                string
		UserId                  string
		Arn                     string
		CreateDate              time.Time
		UserPolicyList          []policyDetailWire
		GroupList               []string
		AttachedManagedPolicies []attachedPolicyWire
		PermissionsBoundary     *Boundary
		Tags                    []Tag
	}
	groupDetailWire struct {
		Path                    string
		GroupName               string
		GroupId                 string
		Arn                     string
		CreateDate              time.Time
		GroupPolicyList         []policyDetailWire
		AttachedManagedPolicies []attachedPolicyWire
	}
	roleDetailWire struct {
		Path                     string
		RoleName                 string
		RoleId                   string
		Arn                      string
		CreateDate               time.Time
		AssumeRolePolicyDocument string
		InstanceProfileList      []instanceProfileWire
		RolePolicyList           []policyDetailWire
		AttachedManagedPolicies  []attachedPolicyWire
		PermissionsBoundary      *Boundary
		Tags                     []Tag
		RoleLastUsed             *roleLastUsed
	}
	managedPolicyDetailWire struct {
		PolicyName                    string
		PolicyId                      string
		Arn                           string
		Path                          string
		DefaultVersionId              string
		AttachmentCount               int
		PermissionsBoundaryUsageCount int
		IsAttachable                  bool
		Description                   string
		CreateDate                    time.Time
		UpdateDate                    time.Time
		PolicyVersionList             []versionWire
	}
	authDetailsOut struct {
		UserDetailList  []userDetailWire
		GroupDetailList []groupDetailWire
		RoleDetailList  []roleDetailWire
		Policies        []managedPolicyDetailWire
		IsTruncated     bool
		Marker          string
	}
	accountSummaryOut struct{ SummaryMap map[string]int }
)

func inlineWire(in []iam.InlinePolicy) []policyDetailWire {
	out := make([]policyDetailWire, 0, len(in))
	for _, p := range in {
		out = append(out, policyDetailWire{PolicyName: p.PolicyName, PolicyDocument: encodeDocument(p.Document)})
	}
	return out
}

func attachedWire(in []iam.Attachment) []attachedPolicyWire {
	out := make([]attachedPolicyWire, 0, len(in))
	for _, a := range in {
		out = append(out, attachedPolicyWire{PolicyName: a.PolicyName, PolicyArn: a.PolicyARN})
	}
	return out
}

func userDetailOut(d iam.UserDetail) userDetailWire {
	u := userOut(d.User, true)
	return userDetailWire{
		Path: u.Path, UserName: u.UserName, UserId: u.UserId, Arn: u.Arn, CreateDate: u.CreateDate,
		UserPolicyList: inlineWire(d.InlinePolicies), GroupList: append([]string{}, d.Groups...),
		AttachedManagedPolicies: attachedWire(d.Attached), PermissionsBoundary: u.PermissionsBoundary, Tags: u.Tags,
	}
}

func roleDetailOut(d iam.RoleDetail) roleDetailWire {
	r := roleOut(d.Role, true)
	out := roleDetailWire{
		Path: r.Path, RoleName: r.RoleName, RoleId: r.RoleId, Arn: r.Arn, CreateDate: r.CreateDate,
		AssumeRolePolicyDocument: r.AssumeRolePolicyDocument, InstanceProfileList: []instanceProfileWire{},
		RolePolicyList: inlineWire(d.InlinePolicies), AttachedManagedPolicies: attachedWire(d.Attached),
		PermissionsBoundary: r.PermissionsBoundary, Tags: r.Tags, RoleLastUsed: r.RoleLastUsed,
	}
	for _, p := range d.InstanceProfiles {
		out.InstanceProfileList = append(out.InstanceProfileList, instanceProfileOut(p, true))
	}
	return out
}

func policyDetailOut(d iam.PolicyDetail) managedPolicyDetailWire {
	p := policyOut(d.ManagedPolicy, false)
	out := managedPolicyDetailWire{
		PolicyName: p.PolicyName, PolicyId: p.PolicyId, Arn: p.Arn, Path: p.Path, DefaultVersionId: p.DefaultVersionId,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount,
		IsAttachable: p.IsAttachable, Description: p.Description, CreateDate: p.CreateDate, UpdateDate: p.UpdateDate,
		PolicyVersionList: []versionWire{},
	}
	for _, v := range d.Versions {
		out.PolicyVersionList = append(out.PolicyVersionList, versionOut(v, v.VersionID == d.DefaultVersionID, true))
	}
	return out
}

func authDetailsTable(svc *iam.Service, t api.Table) {
	t["GetAccountAuthorizationDetails"] = api.Op(func(ctx context.Context, c *api.Call, in *authDetailsIn) (*authDetailsOut, error) {
		d, err := svc.GetAccountAuthorizationDetails(ctx, c.Caller, in.Filter, in.Marker, int(in.MaxItems))
		if err != nil {
			return nil, err
		}
		out := &authDetailsOut{
			UserDetailList: []userDetailWire{}, GroupDetailList: []groupDetailWire{}, RoleDetailList: []roleDetailWire{},
			Policies: []managedPolicyDetailWire{}, IsTruncated: d.IsTruncated, Marker: d.Marker,
		}
		for _, u := range d.Users {
			out.UserDetailList = append(out.UserDetailList, userDetailOut(u))
		}
		for _, g := range d.Groups {
			w := groupOut(g.Group)
			out.GroupDetailList = append(out.GroupDetailList, groupDetailWire{
				Path: w.Path, GroupName: w.GroupName, GroupId: w.GroupId, Arn: w.Arn, CreateDate: w.CreateDate,
				GroupPolicyList: inlineWire(g.InlinePolicies), AttachedManagedPolicies: attachedWire(g.Attached),
			})
		}
		for _, r := range d.Roles {
			out.RoleDetailList = append(out.RoleDetailList, roleDetailOut(r))
		}
		for _, p := range d.Policies {
			out.Policies = append(out.Policies, policyDetailOut(p))
		}
		return out, nil
	})
	t["GetAccountSummary"] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*accountSummaryOut, error) {
		m, err := svc.GetAccountSummary(ctx, c.Caller)
		if err != nil {
			return nil, err
		}
		return &accountSummaryOut{SummaryMap: m}, nil
	})
}
