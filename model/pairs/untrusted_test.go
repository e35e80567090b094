package pairs_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// Every output format of `flowlens pairs` (and the explorer's export of conversations)
// writes no control byte but the line ends, whatever the records' interface IDs and the
// rules' names held; the text table stays aligned.
func TestPairsOutputsWriteNoControlBytes(t *testing.T) {
	lines := []string{
		"2 123456789010 eni-0aaa\u009b2J\u009d52;c;aGk=\u009c 203.0.113.7 10.0.1.10 40000 22 6 1 44 1418530010 1418530070 REJECT OK",
		"2 123456789010 eni-\x9b31m\x9d\xff 10.0.1.10 203.0.113.7 443 40001 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-\x9b31m\x9d\xff 203.0.113.7 10.0.1.10 40001 443 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-0ccc\x1b]52;c;aGk=\x07 203.0.113.7 10.0.1.10 40002 80 6 1 44 1418530010 1418530070 REJECT OK",
	}
	p := model.NewParser("hostile", nil)
	ix := pairs.NewIndex()
	for i, l := range lines {
		var r model.Flow
		if p.Parse([]byte(l), &r) == model.LineRecord {
			ix.Add(uint64(i), &r)
		}
	}
	if p.Stats().Malformed != 1 || len(ix.All()) != 2 {
		t.Fatalf("%d malformed, %d pairs", p.Stats().Malformed, len(ix.All()))
	}
	// Rules whose names would drive a terminal, cleaned by the loader.
	doc := `{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-0aaa\u009b2J\u009d52;c;aGk=\u009c","SubnetId":"subnet-1","VpcId":"vpc-1","PrivateIpAddress":"10.0.1.10","Groups":[{"GroupId":"sg-1","GroupName":"web\u001b]0;x\u0007"}]}],
"SecurityGroups":[{"GroupId":"sg-1","GroupName":"web\u001b]0;x\u0007","VpcId":"vpc-1","Description":"d\u009b2J","IpPermissions":[],"IpPermissionsEgress":[]}]}`
	rs, err := rules.Load(strings.NewReader(doc), "hostile.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"text", "jsonl", "csv"} {
		var buf bytes.Buffer
		w, err := pairs.NewWriter(kind, &buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range ix.All() {
			j := ix.Judge(pr, rs)
			if err := w.Write(pr, &j); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !utf8.ValidString(out) {
			t.Errorf("%s: invalid UTF-8", kind)
		}
		for i, r := range out {
			if r != '\n' && (r < 0x20 || r >= 0x7f && r < 0xa0) {
				t.Errorf("%s: control character %U at %q", kind, r, out[max(0, i-20):min(len(out), i+20)])
				break
			}
		}
		if kind == "text" {
			rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			col := func(l string) int { return utf8.RuneCountInString(l[:strings.Index(l, "tcp")]) }
			for _, l := range rows[1:] {
				if got, want := col(l), utf8.RuneCountInString(rows[0][:strings.Index(rows[0], "PROTO")]); got != want {
					t.Errorf("the protocol column starts at %d, not %d:\n%s", got, want, out)
				}
			}
		}
	}
}
