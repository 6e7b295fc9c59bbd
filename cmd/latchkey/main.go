package main

import (
	"fmt"
	"os"

	"github.com/latchkey/latchkey/internal/cli"
)

func main() {
	if err := cli.NewRoot(os.Stdout, os.Stderr).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "latchkey:", err)
		os.Exit(1)
	}
}
