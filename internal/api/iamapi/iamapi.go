package iamapi

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

// Tag is the wire tag shape.
type Tag struct {
	Key   string
	Value string
}

func iamTags(in []Tag) []iam.Tag {
	if in == nil {
		return nil
	}
	out := make([]iam.Tag, len(in))
	for i, t := range in {
		out[i] = iam.Tag(t)
	}
	return out
}

func wireTags(in []iam.Tag) []Tag {
	if len(in) == 0 {
		return nil
	}
	out := make([]Tag, len(in))
	for i, t := range in {
		out[i] = Tag(t)
	}
	return out
}

// tagsPage answers every List…Tags operation: a page of tags, never a missing list.
func tagsPage(p iam.Page[iam.Tag], err error) (*listTagsOut, error) {
	if err != nil {
		return nil, err
	}
	out := &listTagsOut{Tags: wireTags(p.Items), IsTruncated: p.IsTruncated, Marker: p.Marker}
	if out.Tags == nil {
		out.Tags = []Tag{}
	}
	return out, nil
}

// User is the wire User shape.
type User struct {
	Path                string
	UserName            string
	UserId              string
	Arn                 string
	CreateDate          time.Time
	PasswordLastUsed    *time.Time
	PermissionsBoundary *Boundary
	Tags                []Tag
}

// Boundary is AttachedPermissionsBoundary.
type Boundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

func userOut(u iam.User, withTags bool) User {
	out := User{Path: u.Path, UserName: u.UserName, UserId: u.UserID, Arn: u.ARN, CreateDate: u.CreatedAt, PasswordLastUsed: u.PasswordLastUsed}
	if u.PermissionsBoundary != "" {
		out.PermissionsBoundary = &Boundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: u.PermissionsBoundary}
	}
	if withTags {
		out.Tags = wireTags(u.Tags)
	}
	return out
}

type (
	createUserIn struct {
		UserName            string
		Path                string
		PermissionsBoundary string
		Tags                []Tag
	}
	userOutput struct{ User User }
	userNameIn struct{ UserName string }
	listPageIn struct {
		UserName string
		Marker   string
		MaxItems int64
	}
	listUsersIn struct {
		PathPrefix string
		Marker     string
		MaxItems   int64
	}
	listUsersOut struct {
		Users       []User
		IsTruncated bool
		Marker      string
	}
	updateUserIn struct {
		UserName    string
		NewPath     string
		NewUserName string
	}
	tagUserIn struct {
		UserName string
		Tags     []Tag
	}
	untagUserIn struct {
		UserName string
		TagKeys  []string
	}
	listTagsOut struct {
		Tags        []Tag
		IsTruncated bool
		Marker      string
	}
	accessKeyOut struct {
		AccessKey struct {
			UserName        string
			AccessKeyId     string
			Status          string
			SecretAccessKey string
			CreateDate      time.Time
		}
	}
	accessKeyMeta struct {
		UserName    string
		AccessKeyId string
		Status      string
		CreateDate  time.Time
	}
	listAccessKeysOut struct {
		AccessKeyMetadata []accessKeyMeta
		IsTruncated       bool
		Marker            string
	}
	updateAccessKeyIn struct {
		UserName    string
		AccessKeyId string
		Status      string
	}
	accessKeyIDIn struct {
		UserName    string
		AccessKeyId string
	}
	lastUsedOut struct {
		UserName          string
		AccessKeyLastUsed struct {
			LastUsedDate *time.Time
			ServiceName  string
			Region       string
		}
	}
)

// Table builds the IAM operation table.
func Table(svc *iam.Service) api.Table {
	t := userTable(svc)
	roleTable(svc, t)
	inlineTable(svc, t, iam.KindRole)
	inlineTable(svc, t, iam.KindUser)
	inlineTable(svc, t, iam.KindGroup)
	groupTable(svc, t)
	policyTable(svc, t)
	mfaTable(svc, t)
	simulateTable(svc, t)
	providerTable(svc, t)
	instanceProfileTable(svc, t)
	accountTable(svc, t)
	authDetailsTable(svc, t)
	return t
}

func userTable(svc *iam.Service) api.Table {
	return api.Table{
		"CreateUser": api.Op(func(ctx context.Context, c *api.Call, in *createUserIn) (*userOutput, error) {
			u, err := svc.CreateUser(ctx, c.Caller, iam.CreateUserInput{UserName: in.UserName, Path: in.Path, PermissionsBoundary: in.PermissionsBoundary, Tags: iamTags(in.Tags)})
			if err != nil {
				return nil, err
			}
			return &userOutput{User: userOut(u, true)}, nil
		}),
		"GetUser": api.Op(func(ctx context.Context, c *api.Call, in *userNameIn) (*userOutput, error) {
			u, err := svc.GetUser(ctx, c.Caller, in.UserName)
			if err != nil {
				return nil, err
			}
			return &userOutput{User: userOut(u, true)}, nil
		}),
		"ListUsers": api.Op(func(ctx context.Context, c *api.Call, in *listUsersIn) (*listUsersOut, error) {
			p, err := svc.ListUsers(ctx, c.Caller, in.PathPrefix, in.Marker, int(in.MaxItems))
			if err != nil {
				return nil, err
			}
			out := &listUsersOut{Users: []User{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
			for _, u := range p.Items {
				// ListUsers omits tags, as AWS does.
				out.Users = append(out.Users, userOut(u, false))
			}
			return out, nil
		}),
		"UpdateUser": api.Op(func(ctx context.Context, c *api.Call, in *updateUserIn) (*api.Empty, error) {
			return nil, svc.UpdateUser(ctx, c.Caller, iam.UpdateUserInput{UserName: in.UserName, NewPath: in.NewPath, NewUserName: in.NewUserName})
		}),
		"DeleteUser": api.Op(func(ctx context.Context, c *api.Call, in *userNameIn) (*api.Empty, error) {
			return nil, svc.DeleteUser(ctx, c.Caller, in.UserName)
		}),
		"TagUser": api.Op(func(ctx context.Context, c *api.Call, in *tagUserIn) (*api.Empty, error) {
			return nil, svc.TagUser(ctx, c.Caller, in.UserName, iamTags(in.Tags))
		}),
		"UntagUser": api.Op(func(ctx context.Context, c *api.Call, in *untagUserIn) (*api.Empty, error) {
			return nil, svc.UntagUser(ctx, c.Caller, in.UserName, in.TagKeys)
		}),
		"ListUserTags": api.Op(func(ctx context.Context, c *api.Call, in *listPageIn) (*listTagsOut, error) {
			return tagsPage(svc.ListUserTags(ctx, c.Caller, in.UserName, in.Marker, int(in.MaxItems)))
		}),
		"CreateAccessKey": api.Op(func(ctx context.Context, c *api.Call, in *userNameIn) (*accessKeyOut, error) {
			k, err := svc.CreateAccessKey(ctx, c.Caller, in.UserName)
			if err != nil {
				return nil, err
			}
			out := &accessKeyOut{}
			out.AccessKey.UserName, out.AccessKey.AccessKeyId, out.AccessKey.Status = k.UserName, k.AccessKeyID, k.Status
			out.AccessKey.SecretAccessKey, out.AccessKey.CreateDate = k.Secret, k.CreatedAt
			return out, nil
		}),
		"ListAccessKeys": api.Op(func(ctx context.Context, c *api.Call, in *listPageIn) (*listAccessKeysOut, error) {
			p, err := svc.ListAccessKeys(ctx, c.Caller, in.UserName, in.Marker, int(in.MaxItems))
			if err != nil {
				return nil, err
			}
			out := &listAccessKeysOut{AccessKeyMetadata: []accessKeyMeta{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
			for _, k := range p.Items {
				out.AccessKeyMetadata = append(out.AccessKeyMetadata, accessKeyMeta{UserName: k.UserName, AccessKeyId: k.AccessKeyID, Status: k.Status, CreateDate: k.CreatedAt})
			}
			return out, nil
		}),
		"UpdateAccessKey": api.Op(func(ctx context.Context, c *api.Call, in *updateAccessKeyIn) (*api.Empty, error) {
			return nil, svc.UpdateAccessKey(ctx, c.Caller, in.UserName, in.AccessKeyId, in.Status)
		}),
		"DeleteAccessKey": api.Op(func(ctx context.Context, c *api.Call, in *accessKeyIDIn) (*api.Empty, error) {
			return nil, svc.DeleteAccessKey(ctx, c.Caller, in.UserName, in.AccessKeyId)
		}),
		"GetAccessKeyLastUsed": api.Op(func(ctx context.Context, c *api.Call, in *accessKeyIDIn) (*lastUsedOut, error) {
			lu, err := svc.GetAccessKeyLastUsed(ctx, c.Caller, in.AccessKeyId)
			if err != nil {
				return nil, err
			}
			out := &lastUsedOut{UserName: lu.UserName}
			out.AccessKeyLastUsed.LastUsedDate = lu.At
			out.AccessKeyLastUsed.ServiceName, out.AccessKeyLastUsed.Region = "N/A", "N/A"
			if lu.At != nil {
				out.AccessKeyLastUsed.ServiceName, out.AccessKeyLastUsed.Region = lu.Service, lu.Region
			}
			return out, nil
		}),
	}
}
