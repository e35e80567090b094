package cloudwatch

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

// A stream's name is anyone's to choose, and the picker draws it: ListStreams hands it
// over clean, with the interface it names still found.
func TestListStreamsCleansNames(t *testing.T) {
	r := newRig(t, true)
	r.srv.AddLogStream(group, "eni-0abc-all\x1b]52;c;aGk=\x07\u009b2J\x9b")
	streams, err := ListStreams(context.Background(), r.cfg, group)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, s := range streams {
		if !utf8.ValidString(s.Name) || strings.ContainsFunc(s.Name, func(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }) {
			t.Errorf("stream name %q is not clean", s.Name)
		}
		if strings.HasPrefix(s.Name, "eni-0abc-all") {
			found = s.Name == "eni-0abc-all\uFFFD" && s.ENI == "eni-0abc"
		}
	}
	if !found {
		t.Errorf("streams %+v", streams)
	}
}

// The status the source reports names what it reads cleanly, whatever was asked for.
func TestStatusNamesTheGroupCleanly(t *testing.T) {
	cfg := Config{LogGroups: []string{"/vpc/\x1b[2Jflows"}, ENIs: []string{"eni-0abc"}}
	if got := cfg.describe(); got != "/vpc/flows (eni-0abc)" {
		t.Errorf("describe = %q", got)
	}
}
