package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestManPages(t *testing.T) {
	// The page date must not depend on the day the test runs (nor may a release's).
	// Mid-month, so the month is the same in every time zone.
	t.Setenv("SOURCE_DATE_EPOCH", "1768435200") // 2026-01-15
	// The directory does not exist yet: man creates it.
	dir := filepath.Join(t.TempDir(), "man1")
	code, out, errOut := runForOutput(t, "man", dir)
	if code != ExitOK {
		t.Fatalf("flowlens man: exit %d, stderr:\n%s", code, errOut)
	}
	if out != "" {
		t.Errorf("flowlens man wrote to stdout, which scripts may be reading: %q", out)
	}

	root := readManPage(t, dir, "flowlens.1")
	for _, want := range []string{
		`.TH "FLOWLENS" "1" "Jan 2026" "flowlens" "flowlens manual"`,
		".SH NAME",
		"flowlens - Explore AWS VPC Flow Logs in the terminal",
		".SH SYNOPSIS",
		".SH DESCRIPTION",
		".SH OPTIONS",
		"--version",
		"--help",
		".SH SEE ALSO",
		"flowlens-print(1)",
		"flowlens-completion(1)",
	} {
		if !strings.Contains(root, want) {
			t.Errorf("flowlens.1 lacks %q", want)
		}
	}

	printPage := readManPage(t, dir, "flowlens-print.1")
	for _, want := range []string{`.TH "FLOWLENS-PRINT" "1"`, "--filter", "--format", "--output", "--quiet", "flowlens(1)"} {
		if !strings.Contains(printPage, want) {
			t.Errorf("flowlens-print.1 lacks %q", want)
		}
	}
	// A hidden flag is a tuning knob for tests and benchmarks, not something to document.
	if strings.Contains(printPage, "--workers") {
		t.Errorf("flowlens-print.1 documents the hidden --workers flag")
	}

	for _, page := range []string{"flowlens-completion-bash.1", "flowlens-completion-zsh.1", "flowlens-completion-fish.1"} {
		readManPage(t, dir, page)
	}
	if _, err := os.Stat(filepath.Join(dir, "flowlens-help.1")); err == nil {
		t.Errorf("a page was written for the help command, which man pages replace")
	}

	// groff is the formatter man uses on most systems; where it is installed it must
	// format every page without a warning.
	if _, err := exec.LookPath("groff"); err != nil {
		t.Log("groff is not installed: the pages are not formatted")
		return
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	for _, page := range pages {
		var stderr bytes.Buffer
		cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z", page)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("groff on %s: %v\n%s", filepath.Base(page), err, stderr.String())
		}
	}
}

// readManPage returns a generated page, failing the test when it is missing or is not roff.
func readManPage(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("flowlens man did not write %s: %v", name, err)
	}
	page := string(b)
	if !strings.Contains(page, "\n.TH ") && !strings.HasPrefix(page, ".TH ") {
		t.Fatalf("%s has no .TH title line, so it is not a man page:\n%s", name, page)
	}
	// Later go-md2man versions escape dashes in roff; compare the text a reader sees.
	return strings.ReplaceAll(page, `\-`, "-")
}

func TestManIntoAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "taken")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runForOutput(t, "man", file)
	if code != ExitRuntime {
		t.Fatalf("flowlens man onto a file: exit %d, want %d; stderr:\n%s", code, ExitRuntime, errOut)
	}
	if !strings.Contains(errOut, "man page directory") {
		t.Errorf("the error does not say what failed: %q", errOut)
	}
}

func TestHelpListsManAndCompletionUnderOtherCommands(t *testing.T) {
	code, out, errOut := runForOutput(t, "--help")
	if code != ExitOK {
		t.Fatalf("flowlens --help: exit %d, stderr:\n%s", code, errOut)
	}
	_, other, ok := strings.Cut(out, "Other commands:\n")
	if !ok {
		t.Fatalf("--help has no \"Other commands:\" group:\n%s", out)
	}
	other, _, _ = strings.Cut(other, "\n\n")
	for _, name := range []string{"completion", "man"} {
		if !strings.Contains(other, "  "+name+" ") {
			t.Errorf("%q is not listed under \"Other commands:\":\n%s", name, other)
		}
	}
}
