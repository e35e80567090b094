package rules_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model/rules"
)

// Names and descriptions in a rules file are anyone's to write; what the loader keeps
// is clean, so the verdict pane and the pairs output can show it as it is.
func TestLoadCleansNamesAndDescriptions(t *testing.T) {
	doc := `{"SecurityGroups":[{"GroupId":"sg-1","GroupName":"web\u001b]52;c;aGk=\u0007","VpcId":"vpc-1",
"Description":"allow \u009b2J\u001b[31mall",
"IpPermissions":[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0","Description":"from \u009b2Janywhere"}]}],
"IpPermissionsEgress":[]}]}`
	// JSON cannot carry invalid UTF-8 as such; Go's decoder turns it into U+FFFD.
	doc = strings.Replace(doc, "anywhere", "any\xffwhere", 1)
	set, err := rules.Load(strings.NewReader(doc), "x.json")
	if err != nil {
		t.Fatal(err)
	}
	g, ok := set.SecurityGroup("sg-1")
	if !ok {
		t.Fatal("no sg-1")
	}
	for _, s := range []string{g.Name, g.Description, g.Inbound[0].Description} {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
			t.Errorf("%q is not clean", s)
		}
	}
	if g.Name != "web" || g.Description != "allow all" || g.Inbound[0].Description != "from any\uFFFDwhere" {
		t.Errorf("name %q, description %q, rule %q", g.Name, g.Description, g.Inbound[0].Description)
	}
}
