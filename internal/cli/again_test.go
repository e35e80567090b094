package cli

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The ticket's "see it again" command is the command line as given, without --filter
// and the log file, each word quoted where a shell needs it.
func TestAgainCommandDropsTheFilter(t *testing.T) {
	cmd := newExplorerCommand(streams{})
	args := []string{"--rules", "sg.json", "--rules", "my eni.json", "--filter", "dport=22", "--log-file", "x.log", "--local-time", "flows.log"}
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	got, _ := againCommand(cmd, cmd.Flags().Args(), time.Now(), time.UTC)
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
		got, _ := againCommand(cmd, nil, time.Now(), time.UTC)
		if strings.Contains(got, "s3cret") || strings.Contains(got, "alice") || !strings.Contains(got, c.want) {
			t.Errorf("%s: the command is %s, want %s in it", c.in, got, c.want)
		}
	}
}

// A window written relative to now is written as the times it meant, so that whoever
// reads the ticket later opens the same records; an absolute time is kept as it is
// (in UTC), and a source that begins with a dash is written as a path, so that the
// --filter the ticket appends is still read as a flag.
func TestAgainCommandFixesTheWindow(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	cmd := newExplorerCommand(streams{})
	if err := cmd.ParseFlags([]string{"--log-group", "/vpc/flows", "--since", "15m", "--until", "2026-03-01T12:20:00+01:00", "--", "-odd.log"}); err != nil {
		t.Fatal(err)
	}
	got, _ := againCommand(cmd, cmd.Flags().Args(), now, time.UTC)
	want := "flowlens --log-group /vpc/flows --since 2026-03-01T12:15:00Z --until 2026-03-01T11:20:00Z ./-odd.log"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// As the ticket uses it: --filter appended, read back as the flag it is.
	again := newExplorerCommand(streams{})
	if err := again.ParseFlags(append(strings.Fields(got)[1:], "--filter", "proto=tcp")); err != nil {
		t.Fatal(err)
	}
	if f, _ := again.Flags().GetString("filter"); f != "proto=tcp" || !slices.Equal(again.Flags().Args(), []string{"./-odd.log"}) {
		t.Errorf("read back: filter %q, sources %q", f, again.Flags().Args())
	}
}

// A windowed source given without --since read its default window back from when the
// explorer started: the ticket writes that start, not nothing, which would mean the
// default window before whenever the ticket is read. Without --until the window is
// open when the explorer followed (by default, or told to): the ticket writes its own
// time as the end, and the command follows no more (--poll without following is
// refused); with --follow=false it ended at start-up, written here. Files have no
// window.
func TestAgainCommandWritesTheDefaultWindow(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		args []string
		want string
		open bool
	}{
		{[]string{"--log-group", "/vpc/flows"}, "flowlens --since 2026-03-01T12:15:00Z --log-group /vpc/flows", true},
		{[]string{"--log-group", "/vpc/flows", "--until", "12:20"}, "flowlens --since 2026-03-01T12:15:00Z --log-group /vpc/flows --until 2026-03-01T12:20:00Z", false},
		{[]string{"--log-group", "/vpc/flows", "--follow"}, "flowlens --since 2026-03-01T12:15:00Z --log-group /vpc/flows", true},
		{[]string{"--log-group", "/vpc/flows", "--poll", "-f"}, "flowlens --since 2026-03-01T12:15:00Z --log-group /vpc/flows", true},
		{[]string{"--log-group", "/vpc/flows", "--follow=false"}, "flowlens --since 2026-03-01T12:15:00Z --log-group /vpc/flows --until 2026-03-01T12:30:00Z", false},
		{[]string{"--log-group", "/vpc/flows", "--until", "12:20", "--poll"}, "flowlens --since 2026-03-01T12:15:00Z --log-group /vpc/flows --poll --until 2026-03-01T12:20:00Z", false},
		{[]string{"s3://b/AWSLogs/"}, "flowlens --since 2026-03-01T11:30:00Z s3://b/AWSLogs/", true},
		{[]string{"--since", "1h", "s3://b/AWSLogs/"}, "flowlens --since 2026-03-01T11:30:00Z s3://b/AWSLogs/", true},
		{[]string{"flows.log"}, "flowlens flows.log", false},
		{[]string{"--follow", "flows.log"}, "flowlens --follow flows.log", false},
	} {
		cmd := newExplorerCommand(streams{})
		if err := cmd.ParseFlags(c.args); err != nil {
			t.Fatal(err)
		}
		if got, open := againCommand(cmd, cmd.Flags().Args(), now, time.UTC); got != c.want || open != c.open {
			t.Errorf("%v:\ngot  %s (open %v)\nwant %s (open %v)", c.args, got, open, c.want, c.open)
		}
	}
}
