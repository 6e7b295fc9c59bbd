package loadgen

import (
	"os"
	"testing"
)

// TestMain lets this test binary be re-executed as the Latchkey or floor child, as the tool is.
func TestMain(m *testing.M) {
	RunChildIfAsked()
	os.Exit(m.Run())
}
