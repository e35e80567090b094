package cli

import (
	"strings"
	"testing"
)

// The ticket's "see it again" command is the command line as given, without --filter
// and the log file, each word quoted where a shell needs it.
func TestAgainCommandDropsTheFilter(t *testing.T) {
	cmd := newExplorerCommand(streams{})
	args := []string{"--rules", "sg.json", "--rules", "my eni.json", "--filter", "dport=22", "--log-file", "x.log", "--local-time", "flows.log"}
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	got := againCommand(cmd, cmd.Flags().Args())
	want := "flowlens --local-time --rules sg.json --rules 'my eni.json' flows.log"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// An endpoint URL with a user and password keeps them out of the ticket.
func TestAgainCommandKeepsCredentialsOut(t *testing.T) {
	cmd := newExplorerCommand(streams{})
	if err := cmd.ParseFlags([]string{"--endpoint-url", "https://alice:s3cret@proxy.example:8443/aws", "--region", "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	got := againCommand(cmd, nil)
	if strings.Contains(got, "s3cret") || strings.Contains(got, "alice") || !strings.Contains(got, "--endpoint-url https://proxy.example:8443/aws") {
		t.Errorf("the command: %s", got)
	}
}
