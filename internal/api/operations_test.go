package api_test

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/api/cognitoapi"
	"github.com/latchkey/latchkey/internal/api/iamapi"
	"github.com/latchkey/latchkey/internal/api/quicksightapi"
	"github.com/latchkey/latchkey/internal/api/stsapi"
	"github.com/latchkey/latchkey/internal/awsmodel"
)

var update = flag.Bool("update", false, "rewrite docs/operations.md from the models and the operation tables")

const operationsDoc = "../../docs/operations.md"

// TestOperationsDocIsCurrent: docs/operations.md is what the embedded models and the operation
// tables say, so it cannot drift from what the server answers. Regenerate it with
// go test ./internal/api -run TestOperationsDocIsCurrent -update.
func TestOperationsDocIsCurrent(t *testing.T) {
	want := renderOperations()
	if *update {
		if err := os.WriteFile(operationsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	if string(got) != want {
		t.Errorf("docs/operations.md is out of date: go test ./internal/api -run TestOperationsDocIsCurrent -update")
	}
}

type servedService struct {
	model   string
	table   api.Table
	heading string
	note    string
}

func servedServices() []servedService {
	return []servedService{
		{"sts", stsapi.Table(nil), "AWS STS", ""},
		{"iam", iamapi.Table(nil), "IAM", ""},
		{"cognito-identity", cognitoapi.Table(nil), "Amazon Cognito Identity", ""},
		{"quicksight", quicksightapi.Table(nil), "Amazon QuickSight", "Latchkey embeds the part of QuickSight's model that identity " +
			"context and its users need; QuickSight's other operations are not in it, and a request for one is " +
			"answered as QuickSight answers a path it does not know (`UnknownOperationException`)."},
	}
}

func renderOperations() string {
	var b strings.Builder
	b.WriteString(`# Operations

Generated from the embedded service models and the operation tables by
` + "`go test ./internal/api -run TestOperationsDocIsCurrent -update`" + `; the test fails when this file drifts.

An operation the model has but Latchkey does not serve is answered, after the request is
authenticated and validated, with ` + "`NotImplemented`" + ` (HTTP 501; ` + "`NotImplementedException`" + ` for Cognito
Identity and QuickSight) and a message naming it, e.g. "IAM CreateLoginProfile is not implemented by
Latchkey". SDKs do not retry 501. An action no model has keeps AWS's answer (` + "`InvalidAction`" + `,
` + "`UnknownOperationException`" + `), since that means the client is wrong.

| service | served | not served |
| --- | --- | --- |
`)
	services := servedServices()
	for _, s := range services {
		m := awsmodel.MustLoad(s.model)
		served, absent := split(m, s.table)
		fmt.Fprintf(&b, "| %s | %d | %d |\n", s.heading, len(served), len(absent))
	}
	for _, s := range services {
		m := awsmodel.MustLoad(s.model)
		served, absent := split(m, s.table)
		fmt.Fprintf(&b, "\n## %s (%s)\n\n", s.heading, m.APIVersion)
		if s.note != "" {
			b.WriteString(s.note + "\n\n")
		}
		fmt.Fprintf(&b, "Served (%d):\n\n%s", len(served), codeList(served))
		if len(absent) > 0 {
			fmt.Fprintf(&b, "\nNot served (%d):\n\n%s", len(absent), codeList(absent))
		} else {
			b.WriteString("\nEvery operation of the model is served.\n")
		}
	}
	return b.String()
}

func split(m *awsmodel.Service, t api.Table) (served, absent []string) {
	for name := range m.Operations {
		if t[name] != nil {
			served = append(served, name)
		} else {
			absent = append(absent, name)
		}
	}
	sort.Strings(served)
	sort.Strings(absent)
	return served, absent
}

func codeList(names []string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString("- `" + n + "`\n")
	}
	return b.String()
}
