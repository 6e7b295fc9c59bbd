package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version overrides the module version from the build info when set at build time with
// -ldflags "-X github.com/latchkey/latchkey/internal/cli.Version=…".
var Version = ""

// buildInfo is what `latchkey version` reports, read from the binary's embedded build info.
type buildInfo struct {
	Module    string // the module version: a tag such as v0.3.0, a pseudo-version, or (devel)
	Revision  string // the VCS revision, "" when built outside a checkout (-buildvcs=false)
	Time      string
	Modified  bool
	GoVersion string
}

func readBuildInfo(read func() (*debug.BuildInfo, bool)) buildInfo {
	b := buildInfo{Module: "(unknown)"}
	info, ok := read()
	if !ok {
		return b
	}
	b.Module, b.GoVersion = info.Main.Version, info.GoVersion
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if Version != "" {
		b.Module = Version
	}
	return b
}

func (b buildInfo) String() string {
	s := "latchkey " + b.Module
	if b.Revision != "" {
		s += " revision " + b.Revision
		if b.Modified {
			s += " (modified)"
		}
		if b.Time != "" {
			s += " " + b.Time
		}
	}
	if b.GoVersion != "" {
		s += " " + b.GoVersion
	}
	return s
}

// version is the one-line version for logs.
func version() string { return readBuildInfo(debug.ReadBuildInfo).String() }

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the module version and VCS revision this binary was built from",
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), version())
		},
	}
}
