package stsapi

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/sts"
)

type (
	callerIdentityOut struct {
		UserId  string
		Account string
		Arn     string
	}
	accessKeyInfoIn  struct{ AccessKeyId string }
	accessKeyInfoOut struct{ Account string }

	policyDescriptor struct {
		Arn string `aws:"arn"`
	}
	tag struct {
		Key   string
		Value string
	}
	providedContext struct {
		ProviderArn      string
		ContextAssertion string
	}
	credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      time.Time
	}
	assumeRoleIn struct {
		RoleArn           string
		RoleSessionName   string
		PolicyArns        []policyDescriptor
		Policy            string
		DurationSeconds   int
		Tags              []tag
		TransitiveTagKeys []string
		ExternalId        string
		SerialNumber      string
		TokenCode         string
		SourceIdentity    string
		ProvidedContexts  []providedContext
	}
	assumedRoleUser struct {
		AssumedRoleId string
		Arn           string
	}
	assumeRoleOut struct {
		Credentials      credentials
		AssumedRoleUser  assumedRoleUser
		PackedPolicySize *int
		SourceIdentity   string
	}
	sessionTokenIn struct {
		DurationSeconds int
		SerialNumber    string
		TokenCode       string
	}
	sessionTokenOut struct{ Credentials credentials }
	federationIn    struct {
		Name            string
		Policy          string
		PolicyArns      []policyDescriptor
		DurationSeconds int
		Tags            []tag
	}
	federatedUser struct {
		FederatedUserId string
		Arn             string
	}
	assumeRootIn struct {
		TargetPrincipal string
		TaskPolicyArn   policyDescriptor
		DurationSeconds *int
	}
	assumeRootOut struct {
		Credentials    credentials
		SourceIdentity string
	}
	webTokenIn struct {
		Audience         []string
		DurationSeconds  int
		SigningAlgorithm string
		Tags             []tag
	}
	webTokenOut struct {
		WebIdentityToken string
		Expiration       time.Time
	}
	webIdentityIn struct {
		RoleArn          string
		RoleSessionName  string
		WebIdentityToken string
		ProviderId       string
		PolicyArns       []policyDescriptor
		Policy           string
		DurationSeconds  int
	}
	webIdentityOut struct {
		Credentials                 credentials
		SubjectFromWebIdentityToken string
		AssumedRoleUser             assumedRoleUser
		PackedPolicySize            *int
		Provider                    string
		Audience                    string
		SourceIdentity              string
	}
	samlIn struct {
		RoleArn         string
		PrincipalArn    string
		SAMLAssertion   string
		PolicyArns      []policyDescriptor
		Policy          string
		DurationSeconds int
	}
	samlOut struct {
		Credentials      credentials
		AssumedRoleUser  assumedRoleUser
		PackedPolicySize *int
		Subject          string
		SubjectType      string
		Issuer           string
		Audience         string
		NameQualifier    string
		SourceIdentity   string
	}
	decodeIn      struct{ EncodedMessage string }
	decodeOut     struct{ DecodedMessage string }
	federationOut struct {
		Credentials      credentials
		FederatedUser    federatedUser
		PackedPolicySize *int
	}
)

func wireCreds(c sts.Credentials) credentials {
	return credentials{AccessKeyId: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration}
}

func sessionPolicies(policy string, arns []policyDescriptor) sts.SessionPolicies {
	sp := sts.SessionPolicies{Policy: policy}
	for _, a := range arns {
		sp.PolicyARNs = append(sp.PolicyARNs, a.Arn)
	}
	return sp
}

func sessionTags(in []tag) []sts.SessionTag {
	out := make([]sts.SessionTag, len(in))
	for i, t := range in {
		out[i] = principal.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// Table builds the STS operation table.
func Table(svc *sts.Service) api.Table {
	return api.Table{
		"GetCallerIdentity": api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*callerIdentityOut, error) {
			id := svc.GetCallerIdentity(ctx, c.Caller)
			return &callerIdentityOut{UserId: id.UserID, Account: id.Account, Arn: id.ARN}, nil
		}),
		"GetAccessKeyInfo": api.Op(func(ctx context.Context, c *api.Call, in *accessKeyInfoIn) (*accessKeyInfoOut, error) {
			acct, err := svc.GetAccessKeyInfo(ctx, c.Caller, in.AccessKeyId)
			if err != nil {
				return nil, err
			}
			return &accessKeyInfoOut{Account: acct}, nil
		}),
		"AssumeRole": api.Op(func(ctx context.Context, c *api.Call, in *assumeRoleIn) (*assumeRoleOut, error) {
			var contexts []sts.ProvidedContext
			for _, pc := range in.ProvidedContexts {
				contexts = append(contexts, sts.ProvidedContext{ProviderARN: pc.ProviderArn, ContextAssertion: pc.ContextAssertion})
			}
			rs, err := svc.AssumeRole(ctx, c.Caller, sts.AssumeRoleInput{
				RoleARN: in.RoleArn, RoleSessionName: in.RoleSessionName, DurationSeconds: in.DurationSeconds,
				ExternalID: in.ExternalId, SerialNumber: in.SerialNumber, TokenCode: in.TokenCode,
				SourceIdentity: in.SourceIdentity, Session: sessionPolicies(in.Policy, in.PolicyArns),
				Tags: sessionTags(in.Tags), TransitiveTagKeys: in.TransitiveTagKeys,
				Contexts: contexts, HasContexts: len(contexts) > 0,
			})
			if err != nil {
				return nil, err
			}
			return &assumeRoleOut{
				Credentials:      wireCreds(rs.Credentials),
				AssumedRoleUser:  assumedRoleUser{AssumedRoleId: rs.AssumedRoleID, Arn: rs.ARN},
				PackedPolicySize: rs.PackedPolicySize,
				SourceIdentity:   rs.SourceIdentity,
			}, nil
		}),
		"GetSessionToken": api.Op(func(ctx context.Context, c *api.Call, in *sessionTokenIn) (*sessionTokenOut, error) {
			creds, err := svc.GetSessionToken(ctx, c.Caller, sts.GetSessionTokenInput{DurationSeconds: in.DurationSeconds, SerialNumber: in.SerialNumber, TokenCode: in.TokenCode})
			if err != nil {
				return nil, err
			}
			return &sessionTokenOut{Credentials: wireCreds(creds)}, nil
		}),
		"AssumeRoot": api.Op(func(ctx context.Context, c *api.Call, in *assumeRootIn) (*assumeRootOut, error) {
			creds, si, err := svc.AssumeRoot(ctx, c.Caller, in.TargetPrincipal, in.TaskPolicyArn.Arn, in.DurationSeconds)
			if err != nil {
				return nil, err
			}
			return &assumeRootOut{Credentials: wireCreds(creds), SourceIdentity: si}, nil
		}),
		"DecodeAuthorizationMessage": api.Op(func(ctx context.Context, c *api.Call, in *decodeIn) (*decodeOut, error) {
			msg, err := svc.DecodeAuthorizationMessage(ctx, c.Caller, in.EncodedMessage)
			if err != nil {
				return nil, err
			}
			return &decodeOut{DecodedMessage: msg}, nil
		}),
		"GetWebIdentityToken": api.Op(func(ctx context.Context, c *api.Call, in *webTokenIn) (*webTokenOut, error) {
			tok, exp, err := svc.GetWebIdentityToken(ctx, c.Caller, sts.WebIdentityTokenInput{Audience: in.Audience, DurationSeconds: in.DurationSeconds, SigningAlgorithm: in.SigningAlgorithm, Tags: sessionTags(in.Tags)})
			if err != nil {
				return nil, err
			}
			return &webTokenOut{WebIdentityToken: tok, Expiration: exp}, nil
		}),
		"AssumeRoleWithWebIdentity": api.Op(func(ctx context.Context, c *api.Call, in *webIdentityIn) (*webIdentityOut, error) {
			ws, err := svc.AssumeRoleWithWebIdentity(ctx, sts.WebIdentityInput{
				RoleARN: in.RoleArn, RoleSessionName: in.RoleSessionName, Token: in.WebIdentityToken, ProviderID: in.ProviderId,
				DurationSeconds: in.DurationSeconds, Session: sessionPolicies(in.Policy, in.PolicyArns),
			})
			if err != nil {
				return nil, err
			}
			return &webIdentityOut{
				Credentials: wireCreds(ws.Credentials), SubjectFromWebIdentityToken: ws.Subject,
				AssumedRoleUser:  assumedRoleUser{AssumedRoleId: ws.AssumedRoleID, Arn: ws.ARN},
				PackedPolicySize: ws.PackedPolicySize, Provider: ws.Provider, Audience: ws.Audience, SourceIdentity: ws.SourceIdentity,
			}, nil
		}),
		"AssumeRoleWithSAML": api.Op(func(ctx context.Context, c *api.Call, in *samlIn) (*samlOut, error) {
			ss, err := svc.AssumeRoleWithSAML(ctx, sts.SAMLInput{
				RoleARN: in.RoleArn, PrincipalARN: in.PrincipalArn, Assertion: in.SAMLAssertion,
				DurationSeconds: in.DurationSeconds, Session: sessionPolicies(in.Policy, in.PolicyArns),
			})
			if err != nil {
				return nil, err
			}
			return &samlOut{
				Credentials: wireCreds(ss.Credentials), AssumedRoleUser: assumedRoleUser{AssumedRoleId: ss.AssumedRoleID, Arn: ss.ARN},
				PackedPolicySize: ss.PackedPolicySize, Subject: ss.Subject, SubjectType: ss.SubjectType, Issuer: ss.Issuer,
				Audience: ss.Audience, NameQualifier: ss.NameQualifier, SourceIdentity: ss.SourceIdentity,
			}, nil
		}),
		"GetFederationToken": api.Op(func(ctx context.Context, c *api.Call, in *federationIn) (*federationOut, error) {
			fs, err := svc.GetFederationToken(ctx, c.Caller, sts.GetFederationTokenInput{
				Name: in.Name, DurationSeconds: in.DurationSeconds,
				Session: sessionPolicies(in.Policy, in.PolicyArns), Tags: sessionTags(in.Tags),
			})
			if err != nil {
				return nil, err
			}
			return &federationOut{
				Credentials:      wireCreds(fs.Credentials),
				FederatedUser:    federatedUser{FederatedUserId: fs.FederatedUserID, Arn: fs.ARN},
				PackedPolicySize: fs.PackedPolicySize,
			}, nil
		}),
	}
}
