package quicksightapi

import (
	"context"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/quicksight"
)

type (
	tag struct {
		Key   string
		Value string
	}
	namespaceInfo struct {
		Name           string
		Arn            string
		CapacityRegion string
		CreationStatus string
		IdentityStore  string
	}
	createNamespaceIn struct {
		AwsAccountId  string
		Namespace     string
		IdentityStore string
		Tags          []tag
	}
	createNamespaceOut struct {
		Arn            string
		Name           string
		CapacityRegion string
		CreationStatus string
		IdentityStore  string
		RequestId      string
		Status         int
	}
	namespaceIn struct {
		AwsAccountId string
		Namespace    string
	}
	describeNamespaceOut struct {
		Namespace namespaceInfo
		RequestId string
		Status    int
	}
	listIn struct {
		AwsAccountId string
		Namespace    string
		NextToken    string
		MaxResults   int
	}
	listNamespacesOut struct {
		Namespaces []namespaceInfo
		NextToken  string
		RequestId  string
		Status     int
	}
	statusOut struct {
		RequestId string
		Status    int
	}

	user struct {
		Arn                                 string
		UserName                            string
		Email                               string
		Role                                string
		IdentityType                        string
		Active                              bool
		PrincipalId                         string
		CustomPermissionsName               string
		ExternalLoginFederationProviderType string
		ExternalLoginFederationProviderUrl  string
		ExternalLoginId                     string
	}
	registerUserIn struct {
		AwsAccountId                        string
		Namespace                           string
		IdentityType                        string
		Email                               string
		UserRole                            string
		IamArn                              string
		SessionName                         string
		UserName                            string
		CustomPermissionsName               string
		ExternalLoginFederationProviderType string
		CustomFederationProviderUrl         string
		ExternalLoginId                     string
		Tags                                []tag
	}
	registerUserOut struct {
		User      user
		RequestId string
		Status    int
	}
	userIn struct {
		AwsAccountId string
		Namespace    string
		UserName     string
	}
	userOut struct {
		User      user
		RequestId string
		Status    int
	}
	updateUserIn struct {
		AwsAccountId                        string
		Namespace                           string
		UserName                            string
		Email                               string
		Role                                string
		CustomPermissionsName               string
		UnapplyCustomPermissions            bool
		ExternalLoginFederationProviderType string
		CustomFederationProviderUrl         string
		ExternalLoginId                     string
	}
	principalIn struct {
		AwsAccountId string
		Namespace    string
		PrincipalId  string
	}
	listUsersOut struct {
		UserList  []user
		NextToken string
		RequestId string
		Status    int
	}
	userIdentifier struct {
		UserName string
		Email    string
		UserArn  string
	}
	identityContextIn struct {
		AwsAccountId     string
		UserIdentifier   userIdentifier
		Namespace        string
		SessionExpiresAt *time.Time
		ContextRegion    string
	}
	identityContextOut struct {
		Context   string
		RequestId string
		Status    int
	}
)

func tagsIn(in []tag) []quicksight.Tag {
	out := make([]quicksight.Tag, len(in))
	for i, t := range in {
		out[i] = quicksight.Tag(t)
	}
	return out
}

func nsView(n quicksight.Namespace) namespaceInfo {
	return namespaceInfo{Name: n.Name, Arn: n.ARN, CapacityRegion: n.CapacityRegion, CreationStatus: n.CreationStatus, IdentityStore: n.IdentityStore}
}

func userView(u quicksight.User) user {
	return user{Arn: u.ARN, UserName: u.UserName, Email: u.Email, Role: u.Role, IdentityType: u.IdentityType, Active: u.Active,
		PrincipalId: u.PrincipalID, CustomPermissionsName: u.CustomPermissionsName, ExternalLoginFederationProviderType: u.ExternalLoginProvider,
		ExternalLoginFederationProviderUrl: u.ExternalLoginURL, ExternalLoginId: u.ExternalLoginID}
}

// Table builds the QuickSight operation table; operations of the model missing from it answer
// NotImplementedException.
func Table(svc *quicksight.Service) api.Table {
	t := api.Table{
		"CreateNamespace": api.Op(func(ctx context.Context, c *api.Call, in *createNamespaceIn) (*createNamespaceOut, error) {
			n, err := svc.CreateNamespace(ctx, c.Caller, in.AwsAccountId, in.Namespace, in.IdentityStore, tagsIn(in.Tags))
			if err != nil {
				return nil, err
			}
			return &createNamespaceOut{Arn: n.ARN, Name: n.Name, CapacityRegion: n.CapacityRegion, CreationStatus: n.CreationStatus,
				IdentityStore: n.IdentityStore, RequestId: c.RequestID, Status: http.StatusCreated}, nil
		}),
		"DescribeNamespace": api.Op(func(ctx context.Context, c *api.Call, in *namespaceIn) (*describeNamespaceOut, error) {
			n, err := svc.DescribeNamespace(ctx, c.Caller, in.AwsAccountId, in.Namespace)
			if err != nil {
				return nil, err
			}
			return &describeNamespaceOut{Namespace: nsView(n), RequestId: c.RequestID, Status: http.StatusOK}, nil
		}),
		"ListNamespaces": api.Op(func(ctx context.Context, c *api.Call, in *listIn) (*listNamespacesOut, error) {
			page, err := svc.ListNamespaces(ctx, c.Caller, in.AwsAccountId, in.MaxResults, in.NextToken)
			if err != nil {
				return nil, err
			}
			out := &listNamespacesOut{Namespaces: []namespaceInfo{}, NextToken: page.NextToken, RequestId: c.RequestID, Status: http.StatusOK}
			for _, n := range page.Namespaces {
				out.Namespaces = append(out.Namespaces, nsView(n))
			}
			return out, nil
		}),
		"DeleteNamespace": api.Op(func(ctx context.Context, c *api.Call, in *namespaceIn) (*statusOut, error) {
			if err := svc.DeleteNamespace(ctx, c.Caller, in.AwsAccountId, in.Namespace); err != nil {
				return nil, err
			}
			return &statusOut{RequestId: c.RequestID, Status: http.StatusOK}, nil
		}),
		"GetIdentityContext": api.Op(func(ctx context.Context, c *api.Call, in *identityContextIn) (*identityContextOut, error) {
			tok, err := svc.GetIdentityContext(ctx, c.Caller, quicksight.IdentityContextInput{
				Account: in.AwsAccountId, UserName: in.UserIdentifier.UserName, Email: in.UserIdentifier.Email, UserARN: in.UserIdentifier.UserArn,
				Namespace: in.Namespace, SessionExpiresAt: in.SessionExpiresAt, ContextRegion: in.ContextRegion,
			})
			if err != nil {
				return nil, err
			}
			return &identityContextOut{Context: tok, RequestId: c.RequestID, Status: http.StatusOK}, nil
		}),
	}
	userTable(svc, t)
	return t
}

func userTable(svc *quicksight.Service, t api.Table) {
	t["RegisterUser"] = api.Op(func(ctx context.Context, c *api.Call, in *registerUserIn) (*registerUserOut, error) {
		u, err := svc.RegisterUser(ctx, c.Caller, quicksight.RegisterInput{
			Account: in.AwsAccountId, Namespace: in.Namespace, IdentityType: in.IdentityType, Email: in.Email, Role: in.UserRole,
			IAMARN: in.IamArn, SessionName: in.SessionName, UserName: in.UserName, CustomPermissionsName: in.CustomPermissionsName,
			ExternalLoginProvider: in.ExternalLoginFederationProviderType, CustomFederationProviderURL: in.CustomFederationProviderUrl,
			ExternalLoginID: in.ExternalLoginId, Tags: tagsIn(in.Tags),
		})
		if err != nil {
			return nil, err
		}
		return &registerUserOut{User: userView(u), RequestId: c.RequestID, Status: http.StatusCreated}, nil
	})
	t["DescribeUser"] = api.Op(func(ctx context.Context, c *api.Call, in *userIn) (*userOut, error) {
		u, err := svc.DescribeUser(ctx, c.Caller, in.AwsAccountId, in.Namespace, in.UserName)
		if err != nil {
			return nil, err
		}
		return &userOut{User: userView(u), RequestId: c.RequestID, Status: http.StatusOK}, nil
	})
	t["UpdateUser"] = api.Op(func(ctx context.Context, c *api.Call, in *updateUserIn) (*userOut, error) {
		u, err := svc.UpdateUser(ctx, c.Caller, quicksight.UpdateInput{
			Account: in.AwsAccountId, Namespace: in.Namespace, UserName: in.UserName, Email: in.Email, Role: in.Role,
			CustomPermissionsName: in.CustomPermissionsName, UnapplyCustomPermissions: in.UnapplyCustomPermissions,
			ExternalLoginProvider: in.ExternalLoginFederationProviderType, CustomFederationProviderURL: in.CustomFederationProviderUrl,
			ExternalLoginID: in.ExternalLoginId,
		})
		if err != nil {
			return nil, err
		}
		return &userOut{User: userView(u), RequestId: c.RequestID, Status: http.StatusOK}, nil
	})
	t["DeleteUser"] = api.Op(func(ctx context.Context, c *api.Call, in *userIn) (*statusOut, error) {
		if err := svc.DeleteUser(ctx, c.Caller, in.AwsAccountId, in.Namespace, in.UserName); err != nil {
			return nil, err
		}
		return &statusOut{RequestId: c.RequestID, Status: http.StatusOK}, nil
	})
	t["DeleteUserByPrincipalId"] = api.Op(func(ctx context.Context, c *api.Call, in *principalIn) (*statusOut, error) {
		if err := svc.DeleteUserByPrincipalID(ctx, c.Caller, in.AwsAccountId, in.Namespace, in.PrincipalId); err != nil {
			return nil, err
		}
		return &statusOut{RequestId: c.RequestID, Status: http.StatusOK}, nil
	})
	t["ListUsers"] = api.Op(func(ctx context.Context, c *api.Call, in *listIn) (*listUsersOut, error) {
		page, err := svc.ListUsers(ctx, c.Caller, in.AwsAccountId, in.Namespace, in.MaxResults, in.NextToken)
		if err != nil {
			return nil, err
		}
		out := &listUsersOut{UserList: []user{}, NextToken: page.NextToken, RequestId: c.RequestID, Status: http.StatusOK}
		for _, u := range page.Users {
			out.UserList = append(out.UserList, userView(u))
		}
		return out, nil
	})
}
