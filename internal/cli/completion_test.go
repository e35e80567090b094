package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletionScripts(t *testing.T) {
	tests := []struct {
		shell string
		// markers a working script for that shell must carry, from cobra's generators.
		markers []string
		// checker parses the script without running it, when that shell is installed.
		checker []string
	}{
		{"bash", []string{"# bash completion V2 for flowlens", "__start_flowlens", "complete -o default -F __start_flowlens flowlens"}, []string{"bash", "-n"}},
		{"zsh", []string{"#compdef flowlens", "compdef _flowlens flowlens"}, []string{"zsh", "-n"}},
		{"fish", []string{"# fish completion for flowlens", "complete -c flowlens"}, []string{"fish", "--no-execute"}},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			code, out, errOut := runForOutput(t, "completion", tt.shell)
			if code != ExitOK {
				t.Fatalf("flowlens completion %s: exit %d, stderr:\n%s", tt.shell, code, errOut)
			}
			if strings.TrimSpace(out) == "" {
				t.Fatalf("flowlens completion %s printed nothing", tt.shell)
			}
			for _, m := range tt.markers {
				if !strings.Contains(out, m) {
					t.Errorf("flowlens completion %s: script lacks %q", tt.shell, m)
				}
			}
			if _, err := exec.LookPath(tt.checker[0]); err != nil {
				t.Logf("%s is not installed: the script's syntax is not checked", tt.checker[0])
				return
			}
			script := filepath.Join(t.TempDir(), "flowlens."+tt.shell)
			if err := os.WriteFile(script, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			check := exec.Command(tt.checker[0], append(tt.checker[1:], script)...)
			if msg, err := check.CombinedOutput(); err != nil {
				t.Errorf("%s rejects the completion script: %v\n%s", strings.Join(tt.checker, " "), err, msg)
			}
		})
	}
}
