package cli

import "testing"

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
