package integration

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestPolicySimulation(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	doc := `{"Version":"2012-10-17","Statement":[
  {"Sid":"read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*",
   "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
  {"Sid":"nodelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	out, err := root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{doc},
		ActionNames:     []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
		ResourceArns:    []string{"arn:aws:s3:::bucket/key"},
		ContextEntries:  []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyValues: []string{"10.1.2.3"}, ContextKeyType: iamtypes.ContextKeyTypeEnumIp}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]iamtypes.PolicyEvaluationDecisionType{
		"s3:GetObject":    iamtypes.PolicyEvaluationDecisionTypeAllowed,
		"s3:PutObject":    iamtypes.PolicyEvaluationDecisionTypeImplicitDeny,
		"s3:DeleteObject": iamtypes.PolicyEvaluationDecisionTypeExplicitDeny,
	}
	if len(out.EvaluationResults) != 3 {
		t.Fatalf("results %+v", out.EvaluationResults)
	}
	for _, r := range out.EvaluationResults {
		if r.EvalDecision != want[aws.ToString(r.EvalActionName)] {
			t.Errorf("%s: %s", aws.ToString(r.EvalActionName), r.EvalDecision)
		}
		if r.EvalDecision == iamtypes.PolicyEvaluationDecisionTypeAllowed {
			if len(r.MatchedStatements) != 1 || aws.ToString(r.MatchedStatements[0].SourcePolicyId) != "PolicyInputList.1" || r.MatchedStatements[0].StartPosition == nil || r.MatchedStatements[0].StartPosition.Line != 2 {
				t.Errorf("matched %+v", r.MatchedStatements)
			}
		}
	}
	// Without the IP the condition cannot be decided: the key is reported missing.
	out, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::bucket/key"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := out.EvaluationResults[0]; r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny || len(r.MissingContextValues) != 1 || r.MissingContextValues[0] != "aws:SourceIp" {
		t.Fatalf("missing key: %+v", r)
	}
	keys, err := root.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{doc}})
	if err != nil || len(keys.ContextKeyNames) != 1 || keys.ContextKeyNames[0] != "aws:SourceIp" {
		t.Fatalf("context keys %+v %v", keys, err)
	}
	_, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":[}`}, ActionNames: []string{"s3:GetObject"}})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)

	// A role's own policies.
	mustRole(t, root, "worker", trustUsers("arn:aws:iam::"+accountID+":root"))
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("worker"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	p, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + accountID + ":role/worker"), ActionNames: []string{"sqs:SendMessage", "sns:Publish"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || p.EvaluationResults[1].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny ||
		aws.ToString(p.EvaluationResults[0].MatchedStatements[0].SourcePolicyId) != "role_worker_inline" || string(p.EvaluationResults[0].MatchedStatements[0].SourcePolicyType) != "IAM Policy" {
		t.Fatalf("principal simulation %+v", p.EvaluationResults)
	}
}

func TestListPolicies(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	if _, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), Path: aws.String("/team/"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	local, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if err != nil || len(local.Policies) != 1 || aws.ToString(local.Policies[0].PolicyName) != "mine" {
		t.Fatalf("local %+v %v", local, err)
	}
	awsOnly, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws})
	if err != nil || len(awsOnly.Policies) < 4 {
		t.Fatalf("aws %+v %v", awsOnly, err)
	}
	var names []string
	var marker *string
	for {
		p, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{MaxItems: aws.Int32(3), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, pol := range p.Policies {
			names = append(names, aws.ToString(pol.PolicyName))
		}
		if !p.IsTruncated {
			break
		}
		marker = p.Marker
	}
	if len(names) != len(awsOnly.Policies)+1 {
		t.Fatalf("paged %v", names)
	}
	attached, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{OnlyAttached: true})
	if err != nil || len(attached.Policies) != 0 {
		t.Fatalf("attached %+v %v", attached, err)
	}
	team, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{PathPrefix: aws.String("/team/")})
	if err != nil || len(team.Policies) != 1 {
		t.Fatalf("path prefix %+v %v", team, err)
	}
}
