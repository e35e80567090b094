package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/names"
)

// The explorer's reload key reads the --rules files again, as they are now: a group
// changed on disk is the group reloaded (its names join the lookup in the screen, once
// the whole reload succeeded), and a file gone bad is an error that leaves the caller's
// rules alone.
func TestRulesReloaderReadsTheFilesAgain(t *testing.T) {
	if (&explorerOptions{}).rulesReloader() != nil {
		t.Fatal("a reloader without --rules")
	}
	dir := t.TempDir()
	sgs := filepath.Join(dir, "sgs.json")
	orig, err := os.ReadFile(rulesFile("describe-security-groups.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sgs, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	enis := rulesFile("describe-network-interfaces.json")
	reload := (&explorerOptions{rules: []string{sgs, enis}}).rulesReloader()
	first, err := reload()
	if err != nil {
		t.Fatal(err)
	}
	if len(first.SecurityGroups()) == 0 || len(first.Interfaces()) == 0 {
		t.Fatalf("first read: %d groups, %d interfaces", len(first.SecurityGroups()), len(first.Interfaces()))
	}
	g := first.SecurityGroups()[0]
	if g.Name == "" {
		t.Fatalf("group %s has no name in the fixture", g.ID)
	}
	changed := strings.Replace(string(orig), `"GroupName": "`+g.Name+`"`, `"GroupName": "renamed"`, 1)
	changed = strings.ReplaceAll(changed, `"Value": "`+g.Name+`"`, `"Value": "renamed"`) // its Name tag too
	if changed == string(orig) {
		t.Fatalf("the fixture has no group named %q", g.Name)
	}
	if err := os.WriteFile(sgs, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	second, err := reload()
	if err != nil {
		t.Fatal(err)
	}
	if second == first || names.New(second, nil).Group(g.ID) != "renamed" {
		t.Fatalf("the change on disk was not read: group %s named %q", g.ID, names.New(second, nil).Group(g.ID))
	}
	if err := os.WriteFile(sgs, []byte(`{"SecurityGroups": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	if set, err := reload(); err == nil || set != nil || !strings.Contains(err.Error(), "bad --rules") {
		t.Fatalf("a broken file: %v, %v", set, err)
	}
}
