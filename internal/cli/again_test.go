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

// URL flags keep users, passwords, query strings and fragments out of the ticket, and
// a value that does not read as a URL is left out whole.
func TestAgainCommandKeepsCredentialsOut(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://alice:s3cret@proxy.example:8443/aws", "--endpoint-url https://proxy.example:8443/aws"},
		{"https://alice:1234#s3cret@proxy.example/aws", "--endpoint-url URL-LEFT-OUT"},
		{"alice:s3cret@proxy.example:443", "--endpoint-url URL-LEFT-OUT"},
		{"https://proxy.example/aws?X-Amz-Security-Token=s3cret", "--endpoint-url https://proxy.example/aws"},
	} {
		cmd := newExplorerCommand(streams{})
		if err := cmd.ParseFlags([]string{"--endpoint-url", c.in, "--region", "eu-west-1"}); err != nil {
			t.Fatal(err)
		}
		got := againCommand(cmd, nil)
		if strings.Contains(got, "s3cret") || strings.Contains(got, "alice") || !strings.Contains(got, c.want) {
			t.Errorf("%s: the command is %s, want %s in it", c.in, got, c.want)
		}
	}
}
