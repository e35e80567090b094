package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the release build (.goreleaser.yaml): -ldflags "-X
// github.com/flowlens/flowlens/internal/cli.version=... -X ...cli.commit=... -X ...cli.date=...".
// The package path is part of the name: a -X for a variable that does not exist is
// silently ignored, so TestReleaseLdflagsNameTheseVariables checks the release config.
var (
	version = ""
	commit  = ""
	date    = ""
)

// versionString says which build this is. A release build has the three values injected;
// a `go install ...@v1.2.3` build finds its module version and VCS stamp in the build
// info instead, so both kinds can be told apart in a bug report.
func versionString() string {
	v, c, d := version, commit, date
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.time" && d == "":
				d = s.Value
			case s.Key == "vcs.modified" && s.Value == "true" && c != "" && version == "":
				c += "-dirty"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	if len(c) > 12 && version == "" {
		c = c[:12]
	}
	return fmt.Sprintf("flowlens %s (commit %s, built %s, %s %s/%s)", v, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
