package integration

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestServiceLinkedRole(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	// A user allowed only to create Elastic Beanstalk's service-linked role.
	id, secret := createUserWithKey(t, ts, "creator")
	putUserPolicy(t, ts, "creator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*",
		"Condition":{"StringEquals":{"iam:AWSServiceName":"elasticbeanstalk.amazonaws.com"}}}]}`)
	creator := ts.iam(id, secret)
	_, err := creator.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
	wantAPIError(t, err, "AccessDenied", 403)
	out, err := creator.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticbeanstalk.amazonaws.com"), Description: aws.String("eb")})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Role
	if aws.ToString(r.RoleName) != "AWSServiceRoleForElasticBeanstalk" || aws.ToString(r.Path) != "/aws-service-role/elasticbeanstalk.amazonaws.com/" ||
		aws.ToString(r.Arn) != "arn:aws:iam::"+accountID+":role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk" {
		t.Fatalf("role %+v", r)
	}
	doc, _ := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument))
	if !strings.Contains(doc, `"Service":"elasticbeanstalk.amazonaws.com"`) {
		t.Fatalf("trust policy %s", doc)
	}
	_, err = root.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticbeanstalk.amazonaws.com")})
	wantAPIError(t, err, "InvalidInput", 400)
	_, err = root.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticbeanstalk.amazonaws.com"), CustomSuffix: aws.String("x")})
	wantAPIError(t, err, "InvalidInput", 400)
	_, err = root.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("unheard-of.amazonaws.com")})
	wantAPIError(t, err, "InvalidInput", 400)
	suffixed, err := root.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com"), CustomSuffix: aws.String("web")})
	if err != nil || aws.ToString(suffixed.Role.RoleName) != "AWSServiceRoleForAutoScaling_web" {
		t.Fatalf("suffixed role %+v %v", suffixed, err)
	}

	// Attack: the creator, now given iam:* and sts:*, cannot open the role's trust to itself,
	// give it permissions, delete it with DeleteRole, or assume it.
	putUserPolicy(t, ts, "creator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	name := aws.String("AWSServiceRoleForElasticBeanstalk")
	_, err = creator.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(trustUsers(userARN("creator")))})
	wantAPIError(t, err, "UnmodifiableEntity", 400)
	_, err = creator.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("x"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	wantAPIError(t, err, "UnmodifiableEntity", 400)
	_, err = creator.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantAPIError(t, err, "UnmodifiableEntity", 400)
	_, err = root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name})
	wantAPIError(t, err, "UnmodifiableEntity", 400)
	_, err = ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Arn, RoleSessionName: aws.String("steal")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fake"), Path: aws.String("/aws-service-role/elasticbeanstalk.amazonaws.com/"), AssumeRolePolicyDocument: aws.String(trustUsers(userARN("creator")))})
	wantAPIError(t, err, "InvalidInput", 400)
	// Its description is the one thing an account may edit.
	if _, err := creator.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: name, Description: aws.String("edited")}); err != nil {
		t.Fatal(err)
	}

	// Attack: an administrator of another account can neither delete it nor read its deletion.
	attacker := adminInOtherAccount(t, ts)
	_, err = attacker.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: name})
	wantAPIError(t, err, "NoSuchEntity", 404)

	del, err := creator.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: name})
	if err != nil {
		t.Fatal(err)
	}
	task := aws.ToString(del.DeletionTaskId)
	if !strings.HasPrefix(task, "task/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk/") {
		t.Fatalf("deletion task %q", task)
	}
	st, err := creator.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(task)})
	if err != nil || st.Status != "SUCCEEDED" {
		t.Fatalf("deletion status %+v %v", st, err)
	}
	_, err = attacker.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(task)})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = root.GetRole(ctx, &iam.GetRoleInput{RoleName: name})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = root.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling_web")})
	if err != nil {
		t.Fatal(err)
	}
}
