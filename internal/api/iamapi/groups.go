package iamapi

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

type (
	groupWire struct {
		Path       string
		GroupName  string
		GroupId    string
		Arn        string
		CreateDate time.Time
	}
	groupOutput   struct{ Group groupWire }
	createGroupIn struct {
		GroupName string
		Path      string
	}
	groupNameIn struct{ GroupName string }
	getGroupIn  struct {
		GroupName string
		Marker    string
		MaxItems  int64
	}
	getGroupOut struct {
		Group       groupWire
		Users       []User
		IsTruncated bool
		Marker      string
	}
	updateGroupIn struct {
		GroupName    string
		NewPath      string
		NewGroupName string
	}
	listGroupsIn struct {
		PathPrefix string
		Marker     string
		MaxItems   int64
	}
	listGroupsOut struct {
		Groups      []groupWire
		IsTruncated bool
		Marker      string
	}
	groupUserIn struct {
		GroupName string
		UserName  string
	}
	userPageIn struct {
		UserName string
		Marker   string
		MaxItems int64
	}
)

func groupOut(g iam.Group) groupWire {
	return groupWire{Path: g.Path, GroupName: g.GroupName, GroupId: g.GroupID, Arn: g.ARN, CreateDate: g.CreatedAt}
}

func groupsPage(p iam.Page[iam.Group], err error) (*listGroupsOut, error) {
	if err != nil {
		return nil, err
	}
	out := &listGroupsOut{Groups: []groupWire{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
	for _, g := range p.Items {
		out.Groups = append(out.Groups, groupOut(g))
	}
	return out, nil
}

// groupTable registers the group operations; the group policy operations come from inlineTable.
func groupTable(svc *iam.Service, t api.Table) {
	t["CreateGroup"] = api.Op(func(ctx context.Context, c *api.Call, in *createGroupIn) (*groupOutput, error) {
		g, err := svc.CreateGroup(ctx, c.Caller, in.GroupName, in.Path)
		if err != nil {
			return nil, err
		}
		return &groupOutput{Group: groupOut(g)}, nil
	})
	t["GetGroup"] = api.Op(func(ctx context.Context, c *api.Call, in *getGroupIn) (*getGroupOut, error) {
		g, users, err := svc.GetGroup(ctx, c.Caller, in.GroupName, in.Marker, int(in.MaxItems))
		if err != nil {
			return nil, err
		}
		out := &getGroupOut{Group: groupOut(g), Users: []User{}, IsTruncated: users.IsTruncated, Marker: users.Marker}
		for _, u := range users.Items {
			out.Users = append(out.Users, userOut(u, false))
		}
		return out, nil
	})
	t["UpdateGroup"] = api.Op(func(ctx context.Context, c *api.Call, in *updateGroupIn) (*api.Empty, error) {
		return nil, svc.UpdateGroup(ctx, c.Caller, iam.UpdateGroupInput{GroupName: in.GroupName, NewGroupName: in.NewGroupName, NewPath: in.NewPath})
	})
	t["DeleteGroup"] = api.Op(func(ctx context.Context, c *api.Call, in *groupNameIn) (*api.Empty, error) {
		return nil, svc.DeleteGroup(ctx, c.Caller, in.GroupName)
	})
	t["ListGroups"] = api.Op(func(ctx context.Context, c *api.Call, in *listGroupsIn) (*listGroupsOut, error) {
		return groupsPage(svc.ListGroups(ctx, c.Caller, in.PathPrefix, in.Marker, int(in.MaxItems)))
	})
	t["ListGroupsForUser"] = api.Op(func(ctx context.Context, c *api.Call, in *userPageIn) (*listGroupsOut, error) {
		return groupsPage(svc.ListGroupsForUser(ctx, c.Caller, in.UserName, in.Marker, int(in.MaxItems)))
	})
	t["AddUserToGroup"] = api.Op(func(ctx context.Context, c *api.Call, in *groupUserIn) (*api.Empty, error) {
		return nil, svc.AddUserToGroup(ctx, c.Caller, in.GroupName, in.UserName)
	})
	t["RemoveUserFromGroup"] = api.Op(func(ctx context.Context, c *api.Call, in *groupUserIn) (*api.Empty, error) {
		return nil, svc.RemoveUserFromGroup(ctx, c.Caller, in.GroupName, in.UserName)
	})
}
