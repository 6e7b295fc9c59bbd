package iamapi

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

type (
	policyWire struct {
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
		Tags                          []Tag
	}
	policyOutput   struct{ Policy policyWire }
	createPolicyIn struct {
		PolicyName     string
		Path           string
		PolicyDocument string
		Description    string
		Tags           []Tag
	}
	policyArnIn    struct{ PolicyArn string }
	listPoliciesIn struct {
		Scope        string
		OnlyAttached bool
		PathPrefix   string
		Marker       string
		MaxItems     int64
	}
	listPoliciesOut struct {
		Policies    []policyWire
		IsTruncated bool
		Marker      string
	}
	policyVersionIn struct {
		PolicyArn string
		VersionId string
	}
	createVersionIn struct {
		PolicyArn      string
		PolicyDocument string
		SetAsDefault   bool
	}
	versionWire struct {
		Document         string
		VersionId        string
		IsDefaultVersion bool
		CreateDate       time.Time
	}
	versionOutput struct{ PolicyVersion versionWire }
	policyPageIn  struct {
		PolicyArn string
		Marker    string
		MaxItems  int64
	}
	listVersionsOut struct {
		Versions    []versionWire
		IsTruncated bool
		Marker      string
	}
	policyTagIn struct {
		PolicyArn string
		Tags      []Tag
	}
	policyUntagIn struct {
		PolicyArn string
		TagKeys   []string
	}
	entitiesIn struct {
		PolicyArn         string
		EntityFilter      string
		PathPrefix        string
		PolicyUsageFilter string
		Marker            string
		MaxItems          int64
	}
	policyUser struct {
		UserName string
		UserId   string
	}
	policyRole struct {
		RoleName string
		RoleId   string
	}
	policyGroup struct {
		GroupName string
		GroupId   string
	}
	entitiesOut struct {
		PolicyGroups []policyGroup
		PolicyUsers  []policyUser
		PolicyRoles  []policyRole
		IsTruncated  bool
		Marker       string
	}
)

func policyOut(p iam.ManagedPolicy, withTags bool) policyWire {
	out := policyWire{
		PolicyName: p.PolicyName, PolicyId: p.PolicyID, Arn: p.ARN, Path: p.Path, DefaultVersionId: p.DefaultVersionID,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryUsageCount,
		IsAttachable: p.IsAttachable, Description: p.Description, CreateDate: p.CreatedAt, UpdateDate: p.UpdatedAt,
	}
	if withTags {
		out.Tags = wireTags(p.Tags)
	}
	return out
}

func versionOut(v iam.PolicyVersion, isDefault, withDocument bool) versionWire {
	out := versionWire{VersionId: v.VersionID, IsDefaultVersion: isDefault, CreateDate: v.CreatedAt}
	if withDocument {
		out.Document = encodeDocument(v.Document)
	}
	return out
}

func policyTable(svc *iam.Service, t api.Table) {
	t["CreatePolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *createPolicyIn) (*policyOutput, error) {
		p, err := svc.CreatePolicy(ctx, c.Caller, iam.ManagedPolicyInput{PolicyName: in.PolicyName, Path: in.Path, Document: in.PolicyDocument, Description: in.Description, Tags: iamTags(in.Tags)})
		if err != nil {
			return nil, err
		}
		return &policyOutput{Policy: policyOut(p, true)}, nil
	})
	t["GetPolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *policyArnIn) (*policyOutput, error) {
		p, err := svc.GetPolicy(ctx, c.Caller, in.PolicyArn)
		if err != nil {
			return nil, err
		}
		return &policyOutput{Policy: policyOut(p, true)}, nil
	})
	t["ListPolicies"] = api.Op(func(ctx context.Context, c *api.Call, in *listPoliciesIn) (*listPoliciesOut, error) {
		p, err := svc.ListPolicies(ctx, c.Caller, iam.ListPoliciesInput{Scope: in.Scope, OnlyAttached: in.OnlyAttached, PathPrefix: in.PathPrefix, Marker: in.Marker, MaxItems: int(in.MaxItems)})
		if err != nil {
			return nil, err
		}
		out := &listPoliciesOut{Policies: []policyWire{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
		for _, mp := range p.Items {
			out.Policies = append(out.Policies, policyOut(mp, false))
		}
		return out, nil
	})
	t["DeletePolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *policyArnIn) (*api.Empty, error) {
		return nil, svc.DeletePolicy(ctx, c.Caller, in.PolicyArn)
	})
	t["CreatePolicyVersion"] = api.Op(func(ctx context.Context, c *api.Call, in *createVersionIn) (*versionOutput, error) {
		v, err := svc.CreatePolicyVersion(ctx, c.Caller, in.PolicyArn, in.PolicyDocument, in.SetAsDefault)
		if err != nil {
			return nil, err
		}
		return &versionOutput{PolicyVersion: versionOut(v, in.SetAsDefault, false)}, nil
	})
	t["GetPolicyVersion"] = api.Op(func(ctx context.Context, c *api.Call, in *policyVersionIn) (*versionOutput, error) {
		v, isDefault, err := svc.GetPolicyVersion(ctx, c.Caller, in.PolicyArn, in.VersionId)
		if err != nil {
			return nil, err
		}
		return &versionOutput{PolicyVersion: versionOut(v, isDefault, true)}, nil
	})
	t["ListPolicyVersions"] = api.Op(func(ctx context.Context, c *api.Call, in *policyPageIn) (*listVersionsOut, error) {
		p, def, err := svc.ListPolicyVersions(ctx, c.Caller, in.PolicyArn, in.Marker, int(in.MaxItems))
		if err != nil {
			return nil, err
		}
		out := &listVersionsOut{Versions: []versionWire{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
		for _, v := range p.Items {
			out.Versions = append(out.Versions, versionOut(v, v.VersionID == def, false))
		}
		return out, nil
	})
	t["DeletePolicyVersion"] = api.Op(func(ctx context.Context, c *api.Call, in *policyVersionIn) (*api.Empty, error) {
		return nil, svc.DeletePolicyVersion(ctx, c.Caller, in.PolicyArn, in.VersionId)
	})
	t["SetDefaultPolicyVersion"] = api.Op(func(ctx context.Context, c *api.Call, in *policyVersionIn) (*api.Empty, error) {
		return nil, svc.SetDefaultPolicyVersion(ctx, c.Caller, in.PolicyArn, in.VersionId)
	})
	t["TagPolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *policyTagIn) (*api.Empty, error) {
		return nil, svc.TagPolicy(ctx, c.Caller, in.PolicyArn, iamTags(in.Tags))
	})
	t["UntagPolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *policyUntagIn) (*api.Empty, error) {
		return nil, svc.UntagPolicy(ctx, c.Caller, in.PolicyArn, in.TagKeys)
	})
	t["ListPolicyTags"] = api.Op(func(ctx context.Context, c *api.Call, in *policyPageIn) (*listTagsOut, error) {
		return tagsPage(svc.ListPolicyTags(ctx, c.Caller, in.PolicyArn, in.Marker, int(in.MaxItems)))
	})
	t["ListEntitiesForPolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *entitiesIn) (*entitiesOut, error) {
		p, err := svc.ListEntitiesForPolicy(ctx, c.Caller, iam.EntitiesForPolicyInput{PolicyARN: in.PolicyArn, EntityFilter: in.EntityFilter,
			PathPrefix: in.PathPrefix, PolicyUsageFilter: in.PolicyUsageFilter, Marker: in.Marker, MaxItems: int(in.MaxItems)})
		if err != nil {
			return nil, err
		}
		out := &entitiesOut{PolicyGroups: []policyGroup{}, PolicyUsers: []policyUser{}, PolicyRoles: []policyRole{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
		for _, a := range p.Items {
			switch a.OwnerKind {
			case iam.KindRole:
				out.PolicyRoles = append(out.PolicyRoles, policyRole{RoleName: a.OwnerName, RoleId: a.OwnerID})
			case iam.KindGroup:
				out.PolicyGroups = append(out.PolicyGroups, policyGroup{GroupName: a.OwnerName, GroupId: a.OwnerID})
			default:
				out.PolicyUsers = append(out.PolicyUsers, policyUser{UserName: a.OwnerName, UserId: a.OwnerID})
			}
		}
		return out, nil
	})
}

type (
	createMFAIn struct {
		Path                 string
		VirtualMFADeviceName string
		Tags                 []Tag
	}
	virtualMFAWire struct {
		SerialNumber     string
		Base32StringSeed []byte
		QRCodePNG        []byte
		User             *User
		EnableDate       *time.Time
		Tags             []Tag
	}
	virtualMFAOut struct{ VirtualMFADevice virtualMFAWire }
	mfaCodesIn    struct {
		UserName            string
		SerialNumber        string
		AuthenticationCode1 string
		AuthenticationCode2 string
	}
	mfaSerialIn struct {
		UserName     string
		SerialNumber string
	}
	mfaListIn struct {
		UserName         string
		AssignmentStatus string
		Marker           string
		MaxItems         int64
	}
	mfaDeviceWire struct {
		UserName     string
		SerialNumber string
		EnableDate   *time.Time
	}
	mfaListOut struct {
		MFADevices  []mfaDeviceWire
		IsTruncated bool
		Marker      string
	}
	virtualListOut struct {
		VirtualMFADevices []virtualMFAWire
		IsTruncated       bool
		Marker            string
	}
	getMFAOut struct {
		UserName     string
		SerialNumber string
		EnableDate   *time.Time
	}
	mfaTagIn struct {
		SerialNumber string
		Tags         []Tag
	}
	mfaUntagIn struct {
		SerialNumber string
		TagKeys      []string
	}
	mfaPageIn struct {
		SerialNumber string
		Marker       string
		MaxItems     int64
	}
)

func mfaTable(svc *iam.Service, t api.Table) {
	t["CreateVirtualMFADevice"] = api.Op(func(ctx context.Context, c *api.Call, in *createMFAIn) (*virtualMFAOut, error) {
		d, err := svc.CreateVirtualMFADevice(ctx, c.Caller, in.VirtualMFADeviceName, in.Path, iamTags(in.Tags))
		if err != nil {
			return nil, err
		}
		return &virtualMFAOut{VirtualMFADevice: virtualMFAWire{SerialNumber: d.SerialNumber, Base32StringSeed: []byte(d.Base32Seed), QRCodePNG: d.QRCodePNG, Tags: wireTags(d.Tags)}}, nil
	})
	t["EnableMFADevice"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaCodesIn) (*api.Empty, error) {
		return nil, svc.EnableMFADevice(ctx, c.Caller, in.UserName, in.SerialNumber, in.AuthenticationCode1, in.AuthenticationCode2)
	})
	t["ResyncMFADevice"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaCodesIn) (*api.Empty, error) {
		return nil, svc.ResyncMFADevice(ctx, c.Caller, in.UserName, in.SerialNumber, in.AuthenticationCode1, in.AuthenticationCode2)
	})
	t["DeactivateMFADevice"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaSerialIn) (*api.Empty, error) {
		return nil, svc.DeactivateMFADevice(ctx, c.Caller, in.UserName, in.SerialNumber)
	})
	t["DeleteVirtualMFADevice"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaSerialIn) (*api.Empty, error) {
		return nil, svc.DeleteVirtualMFADevice(ctx, c.Caller, in.SerialNumber)
	})
	t["ListMFADevices"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaListIn) (*mfaListOut, error) {
		p, name, err := svc.ListMFADevices(ctx, c.Caller, in.UserName, in.Marker, int(in.MaxItems))
		if err != nil {
			return nil, err
		}
		out := &mfaListOut{MFADevices: []mfaDeviceWire{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
		for _, d := range p.Items {
			out.MFADevices = append(out.MFADevices, mfaDeviceWire{UserName: name, SerialNumber: d.SerialNumber, EnableDate: d.EnabledAt})
		}
		return out, nil
	})
	t["ListVirtualMFADevices"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaListIn) (*virtualListOut, error) {
		p, err := svc.ListVirtualMFADevices(ctx, c.Caller, in.AssignmentStatus, in.Marker, int(in.MaxItems))
		if err != nil {
			return nil, err
		}
		out := &virtualListOut{VirtualMFADevices: []virtualMFAWire{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
		for _, d := range p.Items {
			w := virtualMFAWire{SerialNumber: d.SerialNumber, EnableDate: d.EnabledAt, Tags: wireTags(d.Tags)}
			if d.User != nil {
				uw := userOut(*d.User, false)
				w.User = &uw
			}
			out.VirtualMFADevices = append(out.VirtualMFADevices, w)
		}
		return out, nil
	})
	t["GetMFADevice"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaSerialIn) (*getMFAOut, error) {
		d, err := svc.GetMFADevice(ctx, c.Caller, in.SerialNumber)
		if err != nil {
			return nil, err
		}
		out := &getMFAOut{SerialNumber: d.SerialNumber, EnableDate: d.EnabledAt}
		if d.User != nil {
			out.UserName = d.User.UserName
		}
		return out, nil
	})
	t["TagMFADevice"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaTagIn) (*api.Empty, error) {
		return nil, svc.TagMFADevice(ctx, c.Caller, in.SerialNumber, iamTags(in.Tags))
	})
	t["UntagMFADevice"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaUntagIn) (*api.Empty, error) {
		return nil, svc.UntagMFADevice(ctx, c.Caller, in.SerialNumber, in.TagKeys)
	})
	t["ListMFADeviceTags"] = api.Op(func(ctx context.Context, c *api.Call, in *mfaPageIn) (*listTagsOut, error) {
		return tagsPage(svc.ListMFADeviceTags(ctx, c.Caller, in.SerialNumber, in.Marker, int(in.MaxItems)))
	})
}
