package api_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAPIPackagesDoNotImportTheStore: the operation tables see the services' domain types, never
// the store's rows, so that a change of the schema cannot change a wire shape unnoticed.
// Dependencies through the services are fine; a direct import is not.
func TestAPIPackagesDoNotImportTheStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/latchkey/latchkey/internal/api/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := map[string]bool{
		"github.com/latchkey/latchkey/internal/store":          true,
		"github.com/latchkey/latchkey/internal/store/sqlstore": true,
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		for _, imp := range fields[1:] {
			if forbidden[imp] {
				t.Errorf("%s imports %s", fields[0], imp)
			}
		}
	}
}
