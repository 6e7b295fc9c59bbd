package iamapi

import (
	"context"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

type (
	contextEntryWire struct {
		ContextKeyName   string
		ContextKeyValues []string
		ContextKeyType   string
	}
	simulateIn struct {
		PolicySourceArn                    string
		PolicyInputList                    []string
		PermissionsBoundaryPolicyInputList []string
		ActionNames                        []string
		ResourceArns                       []string
		ResourcePolicy                     string
		ResourceOwner                      string
		CallerArn                          string
		ContextEntries                     []contextEntryWire
		Marker                             string
		MaxItems                           int64
	}
	position struct {
		Line   int
		Column int
	}
	statementWire struct {
		SourcePolicyId   string
		SourcePolicyType string
		StartPosition    position
		EndPosition      position
	}
	boundaryDetail struct {
		AllowedByPermissionsBoundary bool
	}
	evalResultWire struct {
		EvalActionName                    string
		EvalResourceName                  string
		EvalDecision                      string
		MatchedStatements                 []statementWire
		MissingContextValues              []string
		PermissionsBoundaryDecisionDetail *boundaryDetail
	}
	simulateOut struct {
		EvaluationResults []evalResultWire
		IsTruncated       bool
		Marker            string
	}
	contextKeysIn struct {
		PolicySourceArn string
		PolicyInputList []string
	}
	contextKeysOut struct{ ContextKeyNames []string }
)

func simulationInput(in *simulateIn) iam.SimulationInput {
	out := iam.SimulationInput{
		PolicySourceARN: in.PolicySourceArn, Policies: in.PolicyInputList, BoundaryPolicies: in.PermissionsBoundaryPolicyInputList,
		Actions: in.ActionNames, Resources: in.ResourceArns, ResourcePolicy: in.ResourcePolicy, ResourceOwner: in.ResourceOwner,
		CallerARN: in.CallerArn, Marker: in.Marker, MaxItems: int(in.MaxItems),
	}
	for _, e := range in.ContextEntries {
		out.Context = append(out.Context, iam.ContextEntry{Key: e.ContextKeyName, Values: e.ContextKeyValues, Type: e.ContextKeyType})
	}
	return out
}

func simulationOutput(p iam.Page[iam.EvaluationResult]) *simulateOut {
	out := &simulateOut{EvaluationResults: []evalResultWire{}, IsTruncated: p.IsTruncated, Marker: p.Marker}
	for _, r := range p.Items {
		w := evalResultWire{EvalActionName: r.Action, EvalResourceName: r.Resource, EvalDecision: r.Decision, MatchedStatements: []statementWire{}, MissingContextValues: r.Missing}
		if w.MissingContextValues == nil {
			w.MissingContextValues = []string{}
		}
		for _, m := range r.Matched {
			w.MatchedStatements = append(w.MatchedStatements, statementWire{
				SourcePolicyId: m.SourcePolicyID, SourcePolicyType: m.SourcePolicyType,
				StartPosition: position{Line: m.Start.Line, Column: m.Start.Column},
				EndPosition:   position{Line: m.End.Line, Column: m.End.Column},
			})
		}
		if r.BoundaryAllowed != nil {
			w.PermissionsBoundaryDecisionDetail = &boundaryDetail{AllowedByPermissionsBoundary: *r.BoundaryAllowed}
		}
		out.EvaluationResults = append(out.EvaluationResults, w)
	}
	return out
}

func simulateTable(svc *iam.Service, t api.Table) {
	t["SimulateCustomPolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *simulateIn) (*simulateOut, error) {
		p, err := svc.SimulateCustomPolicy(ctx, c.Caller, simulationInput(in))
		if err != nil {
			return nil, err
		}
		return simulationOutput(p), nil
	})
	t["SimulatePrincipalPolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *simulateIn) (*simulateOut, error) {
		p, err := svc.SimulatePrincipalPolicy(ctx, c.Caller, simulationInput(in))
		if err != nil {
			return nil, err
		}
		return simulationOutput(p), nil
	})
	t["GetContextKeysForCustomPolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *contextKeysIn) (*contextKeysOut, error) {
		keys, err := svc.GetContextKeysForCustomPolicy(ctx, c.Caller, in.PolicyInputList)
		if err != nil {
			return nil, err
		}
		return &contextKeysOut{ContextKeyNames: keys}, nil
	})
	t["GetContextKeysForPrincipalPolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *contextKeysIn) (*contextKeysOut, error) {
		keys, err := svc.GetContextKeysForPrincipalPolicy(ctx, c.Caller, in.PolicySourceArn, in.PolicyInputList)
		if err != nil {
			return nil, err
		}
		return &contextKeysOut{ContextKeyNames: keys}, nil
	})
}
