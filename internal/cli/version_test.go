package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// setBuildStamp stands in for the release build's -ldflags "-X .../internal/cli.version=..." and puts
// the package variables back when the test ends.
func setBuildStamp(t *testing.T, v, c, d string) {
	t.Helper()
	oldV, oldC, oldD := version, commit, date
	version, commit, date = v, c, d
	t.Cleanup(func() { version, commit, date = oldV, oldC, oldD })
}

// platform is how every version line ends, so a bug report says what it ran on.
func platform() string {
	return fmt.Sprintf("%s %s/%s)", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// buildSetting reads what the toolchain stamped into this test binary; `go test` stamps
// no VCS settings, but the expectations below do not depend on that.
func buildSetting(key string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

func TestVersionStringReleaseBuild(t *testing.T) {
	// Exactly what GoReleaser injects: a version without the v, the full commit, and the
	// commit date (not the build time, so that rebuilding a tag gives the same binary).
	setBuildStamp(t, "1.4.0", "0123456789abcdef0123456789abcdef01234567", "2026-03-01T12:00:00Z")
	want := "flowlens 1.4.0 (commit 0123456789abcdef0123456789abcdef01234567, built 2026-03-01T12:00:00Z, " + platform()
	if got := versionString(); got != want {
		t.Errorf("versionString() = %q\nwant              %q", got, want)
	}
}

func TestVersionStringSnapshotBuild(t *testing.T) {
	setBuildStamp(t, "0.0.0-SNAPSHOT-b30c1ee", "b30c1ee4c0ffee", "2026-03-01T12:00:00Z")
	got := versionString()
	if !strings.HasPrefix(got, "flowlens 0.0.0-SNAPSHOT-b30c1ee (commit b30c1ee4c0ffee, built 2026-03-01T12:00:00Z, ") {
		t.Errorf("versionString() = %q: the injected values must win over the build info", got)
	}
}

func TestVersionStringFallback(t *testing.T) {
	// No ldflags: a `go build` or `go install` binary describes itself from the build info.
	setBuildStamp(t, "", "", "")
	got := versionString()

	wantVersion := "dev"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		wantVersion = info.Main.Version // what `go install ...@v1.2.3` records
	}
	wantCommit := buildSetting("vcs.revision")
	if wantCommit == "" {
		wantCommit = "unknown"
	} else if len(wantCommit) > 12 {
		wantCommit = wantCommit[:12]
	}
	wantDate := buildSetting("vcs.time")
	if wantDate == "" {
		wantDate = "unknown"
	}

	if !strings.HasPrefix(got, "flowlens "+wantVersion+" (commit "+wantCommit) {
		t.Errorf("versionString() = %q, want version %q and commit %q", got, wantVersion, wantCommit)
	}
	if !strings.Contains(got, ", built "+wantDate+", ") {
		t.Errorf("versionString() = %q, want the build date %q", got, wantDate)
	}
	if !strings.HasSuffix(got, platform()) {
		t.Errorf("versionString() = %q, want it to end with %q", got, platform())
	}
	if strings.Contains(got, "(devel)") {
		t.Errorf("versionString() = %q shows Go's (devel) placeholder instead of a label", got)
	}
}

func TestVersionStringPartialStamp(t *testing.T) {
	// Only the version injected (a hand-made build): the missing parts fall back to labels
	// or the build info, never to empty strings.
	setBuildStamp(t, "1.4.0", "", "")
	got := versionString()
	if !strings.HasPrefix(got, "flowlens 1.4.0 (commit ") {
		t.Fatalf("versionString() = %q", got)
	}
	if strings.Contains(got, "commit ,") || strings.Contains(got, "built ,") {
		t.Errorf("versionString() = %q has an empty field", got)
	}
}

func TestVersionStringShortensUnstampedCommit(t *testing.T) {
	// Without an injected version the commit is shortened, as `git log --oneline` shows it,
	// so that a go install line stays short; a release keeps the full hash.
	setBuildStamp(t, "", "0123456789abcdef0123", "")
	if got := versionString(); !strings.Contains(got, "(commit 0123456789ab,") {
		t.Errorf("versionString() = %q, want the commit cut to 12 characters", got)
	}
}

func TestVersionFlagPrintsVersionString(t *testing.T) {
	setBuildStamp(t, "1.4.0", "0123456789abcdef", "2026-03-01T12:00:00Z")
	for _, flag := range []string{"--version", "-v"} {
		code, out, errOut := runForOutput(t, flag)
		if code != ExitOK {
			t.Fatalf("flowlens %s: exit %d, stderr:\n%s", flag, code, errOut)
		}
		if want := versionString() + "\n"; out != want {
			t.Errorf("flowlens %s printed %q, want %q", flag, out, want)
		}
	}
}

// The release build sets the version through -X flags naming this package's variables.
// A -X for a variable that does not exist is silently ignored, so a moved package would
// ship binaries that all say "dev": check the names in .goreleaser.yaml.
func TestReleaseLdflagsNameTheseVariables(t *testing.T) {
	config, err := os.ReadFile(filepath.Join("..", "..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pkg := reflect.TypeFor[ExitError]().PkgPath()
	set := map[string]bool{}
	for _, m := range regexp.MustCompile(`-X ([^=\s]+)=`).FindAllStringSubmatch(string(config), -1) {
		set[m[1]] = true
	}
	for _, v := range []string{"version", "commit", "date"} {
		if !set[pkg+"."+v] {
			t.Errorf(".goreleaser.yaml does not set %s.%s with -X (it sets %v)", pkg, v, set)
		}
	}
	if len(set) != 3 {
		t.Errorf(".goreleaser.yaml sets %d variables with -X, want the 3 of %s: %v", len(set), pkg, set)
	}
}
