package iamapi

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

type (
	instanceProfileWire struct {
		Path                string
		InstanceProfileName string
		InstanceProfileId   string
		Arn                 string
		CreateDate          time.Time
		Roles               []roleWire
		Tags                []Tag
	}
	instanceProfileOutput   struct{ InstanceProfile instanceProfileWire }
	createInstanceProfileIn struct {
		InstanceProfileName string
		Path                string
		Tags                []Tag
	}
	instanceProfileNameIn struct{ InstanceProfileName string }
	instanceProfileRoleIn struct {
		InstanceProfileName string
		RoleName            string
	}
	listInstanceProfilesIn struct {
		PathPrefix string
		Marker     string
		MaxItems   int64
	}
	listInstanceProfilesOut struct {
		InstanceProfiles []instanceProfileWire
		IsTruncated      bool
		Marker           string
	}
	instanceProfileTagIn struct {
		InstanceProfileName string
		Tags                []Tag
	}
	instanceProfileUntagIn struct {
		InstanceProfileName string
		TagKeys             []string
	}
	instanceProfilePageIn struct {
		InstanceProfileName string
		Marker              string
		MaxItems            int64
	}
)

// instanceProfileOut renders a profile; Roles is always present (empty for a profile without a
// role), as IAM's model requires it, and tags only where the operation returns them.
func instanceProfileOut(p iam.InstanceProfile, withTags bool) instanceProfileWire {
	out := instanceProfileWire{
		Path: p.Path, InstanceProfileName: p.InstanceProfileName, InstanceProfileId: p.InstanceProfileID,
		Arn: p.ARN, CreateDate: p.CreatedAt, Roles: []roleWire{},
	}
	for _, r := range p.Roles {
		out.Roles = append(out.Roles, roleOut(r, false))
	}
	if withTags {
		out.Tags = wireTags(p.Tags)
	}
	return out
}

func instanceProfilesPage(p iam.Page[iam.InstanceProfile], err error) (*listInstanceProfilesOut, error) {
	if err != nil {
		return nil, err
	}
	out := &listInstanceProfilesOut{InstanceProfiles: []instanceProfileWire{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
	for _, ip := range p.Items {
		out.InstanceProfiles = append(out.InstanceProfiles, instanceProfileOut(ip, false))
	}
	return out, nil
}

func instanceProfileTable(svc *iam.Service, t api.Table) {
	t["CreateInstanceProfile"] = api.Op(func(ctx context.Context, c *api.Call, in *createInstanceProfileIn) (*instanceProfileOutput, error) {
		p, err := svc.CreateInstanceProfile(ctx, c.Caller, iam.CreateInstanceProfileInput{
			InstanceProfileName: in.InstanceProfileName, Path: in.Path, Tags: iamTags(in.Tags),
		})
		if err != nil {
			return nil, err
		}
		return &instanceProfileOutput{InstanceProfile: instanceProfileOut(p, true)}, nil
	})
	t["GetInstanceProfile"] = api.Op(func(ctx context.Context, c *api.Call, in *instanceProfileNameIn) (*instanceProfileOutput, error) {
		p, err := svc.GetInstanceProfile(ctx, c.Caller, in.InstanceProfileName)
		if err != nil {
			return nil, err
		}
		return &instanceProfileOutput{InstanceProfile: instanceProfileOut(p, true)}, nil
	})
	t["ListInstanceProfiles"] = api.Op(func(ctx context.Context, c *api.Call, in *listInstanceProfilesIn) (*listInstanceProfilesOut, error) {
		return instanceProfilesPage(svc.ListInstanceProfiles(ctx, c.Caller, in.PathPrefix, in.Marker, int(in.MaxItems)))
	})
	t["ListInstanceProfilesForRole"] = api.Op(func(ctx context.Context, c *api.Call, in *rolePageIn) (*listInstanceProfilesOut, error) {
		return instanceProfilesPage(svc.ListInstanceProfilesForRole(ctx, c.Caller, in.RoleName, in.Marker, int(in.MaxItems)))
	})
	t["DeleteInstanceProfile"] = api.Op(func(ctx context.Context, c *api.Call, in *instanceProfileNameIn) (*api.Empty, error) {
		return nil, svc.DeleteInstanceProfile(ctx, c.Caller, in.InstanceProfileName)
	})
	t["AddRoleToInstanceProfile"] = api.Op(func(ctx context.Context, c *api.Call, in *instanceProfileRoleIn) (*api.Empty, error) {
		return nil, svc.AddRoleToInstanceProfile(ctx, c.Caller, in.InstanceProfileName, in.RoleName)
	})
	t["RemoveRoleFromInstanceProfile"] = api.Op(func(ctx context.Context, c *api.Call, in *instanceProfileRoleIn) (*api.Empty, error) {
		return nil, svc.RemoveRoleFromInstanceProfile(ctx, c.Caller, in.InstanceProfileName, in.RoleName)
	})
	t["TagInstanceProfile"] = api.Op(func(ctx context.Context, c *api.Call, in *instanceProfileTagIn) (*api.Empty, error) {
		return nil, svc.TagInstanceProfile(ctx, c.Caller, in.InstanceProfileName, iamTags(in.Tags))
	})
	t["UntagInstanceProfile"] = api.Op(func(ctx context.Context, c *api.Call, in *instanceProfileUntagIn) (*api.Empty, error) {
		return nil, svc.UntagInstanceProfile(ctx, c.Caller, in.InstanceProfileName, in.TagKeys)
	})
	t["ListInstanceProfileTags"] = api.Op(func(ctx context.Context, c *api.Call, in *instanceProfilePageIn) (*listTagsOut, error) {
		return tagsPage(svc.ListInstanceProfileTags(ctx, c.Caller, in.InstanceProfileName, in.Marker, int(in.MaxItems)))
	})
}
