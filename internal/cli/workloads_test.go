package cli

import (
	"regexp"
	"strings"
	"testing"
)

// `workloads create-container` prints the two variables a container needs, `list` shows the binding
// without its token, `delete` removes it; a second binding of one name and a binding of a role ARN
// that is not one are refused.
func TestWorkloadsCommands(t *testing.T) {
	dir := t.TempDir()
	base := []string{"--data-dir", dir}
	initStore(t, dir)
	if _, err := runCLI(t, append(base, "accounts", "create", "--id", "111111111111")...); err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::111111111111:role/web"
	out, err := runCLI(t, append(base, "workloads", "create-container", "--name", "web", "--role-arn", role, "--duration", "900")...)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127\.0\.0\.1:8855/container-credentials/web\nAWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create-container printed %q", out)
	}
	token := m[1]
	out, err = runCLI(t, append(base, "workloads", "list")...)
	if err != nil || !strings.Contains(out, "web") || !strings.Contains(out, role) || !strings.Contains(out, "900") {
		t.Fatalf("list: %q %v", out, err)
	}
	if strings.Contains(out, token) {
		t.Fatal("list shows the authorization token")
	}
	if _, err := runCLI(t, append(base, "workloads", "create-container", "--name", "web", "--role-arn", role)...); err == nil {
		t.Fatal("a second binding named web was created")
	}
	if _, err := runCLI(t, append(base, "workloads", "create-container", "--name", "api", "--role-arn", "arn:aws:iam::111111111111:user/bob")...); err == nil {
		t.Fatal("a user ARN was accepted as the role")
	}
	if _, err := runCLI(t, append(base, "workloads", "delete", "--name", "web")...); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, append(base, "workloads", "list")...)
	if err != nil || strings.Contains(out, "web") {
		t.Fatalf("after delete: %q %v", out, err)
	}
	if _, err := runCLI(t, append(base, "workloads", "delete", "--name", "web")...); err == nil {
		t.Fatal("deleting a missing binding succeeded")
	}
}
