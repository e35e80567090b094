package filter

import (
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

const v5 = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"

// records used across the tests, by name
var lines = map[string]struct{ format, line string }{
	"ssh":     {"", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"},
	"rdp":     {"", "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"},
	"nodata":  {"", "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"},
	"v6":      {"", "2 123456789010 eni-0bbbb 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK"},
	"ping":    {"", "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK"},
	"s3in":    {v5, "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK"},
	"s3out":   {v5, "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK"},
	"synonly": {v5, "5 198.51.100.9 10.0.0.71 51515 22 6 1616729292 1616729349 IPv4 1 44 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-0ccc ap-southeast-2 apse2-az3 - - REJECT 2 198.51.100.9 10.0.0.71 - - - ingress OK"},
	"synack":  {v5, "5 10.0.0.71 198.51.100.9 22 51516 6 1616729292 1616729349 IPv4 1 44 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-0ccc ap-southeast-2 apse2-az3 - - ACCEPT 18 10.0.0.71 198.51.100.9 - - 1 egress OK"},
}

func parsed(t testing.TB) map[string]*model.Flow {
	out := map[string]*model.Flow{}
	for name, l := range lines {
		var f *model.Format
		if l.format != "" {
			f = model.MustParseFormat(l.format)
		}
		p := model.NewParser(name, f)
		r := new(model.Flow)
		if p.Parse([]byte(l.line), r) != model.LineRecord {
			t.Fatalf("%s: %v", name, p.Stats().Samples)
		}
		out[name] = r
	}
	return out
}

func TestMatch(t *testing.T) {
	recs := parsed(t)
	for _, c := range []struct {
		expr string
		want string // the names that match, sorted, space-separated
	}{
		{"", "nodata ping rdp s3in s3out ssh synack synonly v6"},
		{"action=REJECT", "rdp synonly"},
		{"action=reject", "rdp synonly"},
		{"reject", "rdp synonly"},
		{"ACCEPT", "ping s3in s3out ssh synack v6"},
		{"action!=ACCEPT", "nodata rdp synonly"},
		{"dstport=22", "ssh synonly v6"},
		{"dport=ssh", "ssh synonly v6"},
		{"port=22", "ssh synack synonly v6"},
		{"port!=22", "nodata ping rdp s3in s3out"},
		{"dstport=1024-65535", "rdp s3in synack"},
		{"dstport>=3389", "rdp s3in synack"},
		{"dstport<22", "ping"},
		{"srcaddr=172.31.0.0/16", "rdp ssh"},
		{"src=10.0.0.71", "s3out synack"},
		{"addr=10.0.0.0/8", "s3in s3out synack synonly"},
		{"addr!=10.0.0.0/8", "nodata ping rdp ssh v6"},
		{"srcaddr=2001:db8::/32", "v6"},
		{"dst=2001:db8:1234:a102:3304:8879:34cf:4071", "v6"},
		{"proto=icmp", "ping"},
		{"icmp", "ping"},
		{"protocol=6 action=ACCEPT dstport=22", "ssh v6"},
		{"proto=tcp and not dport=22", "rdp s3in s3out synack"},
		{"dport=22 or dport=3389", "rdp ssh synonly v6"},
		{"reject or icmp", "ping rdp synonly"},
		{"(reject or icmp) and src=172.31.0.0/16", "rdp"},
		{"!reject ingress", "s3in"},
		{"egress", "s3out synack"},
		{"flow-direction=in", "s3in synonly"},
		{"tcp-flags=syn", "s3out synonly"},
		{"flags=syn-ack", "s3in synack"},
		{"tcp-flags=syn+fin", "s3out"},
		{"tcp-flags=fin", "s3in s3out"},
		{"tcp-flags=19", "s3in"},
		{"tcp-flags!=syn", "nodata ping rdp s3in ssh synack v6"},
		{"log-status=NODATA", "nodata"},
		{"nodata", "nodata"},
		{"bytes>10k", "s3in"},
		{"bytes>=4249", "rdp s3in ssh v6"},
		{"bytes=4249", "rdp ssh"},
		{"packets<5", "ping synack synonly"},
		{"eni=eni-0ccc", "synack synonly"},
		{"eni=ENI-0CCC", "synack synonly"},
		{"eni=eni-0b*", "v6"},
		{"interface-id!=eni-1235b8ca123456789", "synack synonly v6"},
		{"pkt-dst-aws-service=s3", "s3out"},
		{"traffic-path=8", "s3out"},
		{"path=1-2", "synack"},
		{"vpc-id=vpc-abcdefab012345678 reject", "synonly"},
		{"start>=2015-05-29", "ping s3in s3out synack synonly v6"},
		{"start=2014-12-14", "rdp ssh"},
		{"start<1431280876", "rdp ssh"},
		{"eni-0ccc", "synack synonly"},
		{"s3", "s3in s3out"},
		{"172.31.9", "rdp"},
		{"\"ACCEPT OK\"", "ping ssh v6"},
		{"4249", "rdp ssh"},
		{"df66", "v6"},
		{"apse2", "s3in s3out synack synonly"},
	} {
		f, err := Compile(c.expr, Options{})
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		var got []string
		for name, r := range recs {
			if f.Match(r) {
				got = append(got, name)
			}
		}
		sortStrings(got)
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q matched [%s], want [%s]", c.expr, strings.Join(got, " "), c.want)
		}
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestPrecedence(t *testing.T) {
	for expr, want := range map[string]string{
		"a b c":               "((a and b) and c)",
		"a or b c":            "(a or (b and c))",
		"a and b or c":        "((a and b) or c)",
		"not a b":             "(not a and b)",
		"!(a or b) c":         "(not (a or b) and c)",
		"a && b || c":         "((a and b) or c)",
		"dstport = 22":        "dstport=22",
		"x!=1 y<=2 z>3 w>=4":  "(((x!=1 and y<=2) and z>3) and w>=4)",
		"addr==::1":           "addr=::1",
		"\"two words\" three": "(\"two words\" and three)",
	} {
		n, err := Parse(expr)
		if err != nil {
			t.Errorf("%q: %v", expr, err)
			continue
		}
		if got := String(n); got != want {
			t.Errorf("%q parsed as %s, want %s", expr, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"dsport=22", "unknown field 'dsport' at 1, did you mean 'dstport'?"},
		{"action=REJECT actoin=ACCEPT", "unknown field 'actoin' at 15, did you mean 'action'?"},
		{"action=REJCT", "bad value 'REJCT' for action at 8, did you mean 'REJECT'?"},
		{"proto=tpc", "unknown protocol 'tpc' at 7, did you mean 'tcp'?"},
		{"dport=shh", "unknown port or service 'shh' for dstport at 7, did you mean 'ssh'?"},
		{"dstport=70000", "value '70000' out of range for dstport at 9, at most 65535"},
		{"dstport=2000-1000", "empty range '2000-1000' at 9, write it as 1000-2000"},
		{"srcaddr=10.0.0/8", "bad address '10.0.0/8' for srcaddr at 9"},
		{"srcaddr>10.0.0.1", "srcaddr compares only with = or !=, not > at 9"},
		{"tcp-flags=sin", "unknown TCP flag 'sin' for tcp-flags at 11, did you mean 'syn'?"},
		{"(reject", "unclosed '(' at 1, add a ')'"},
		{"reject)", "unmatched ')' at 7"},
		{"dport=", "missing value after 'dport=' at 6"},
		{"=22", "missing field name before '=' at 1"},
		{"reject and", "expression ends too early at 11"},
		{"or reject", "\"or\" needs an expression before it at 1"},
		{"\"open", "unclosed quote at 1, add a closing \""},
		{"()", "empty parentheses at 1"},
		{"bytes=lots", "bad value 'lots' for bytes at 7"},
		{"start>yesterday", "bad value 'yesterday' for start at 7"},
		{"dport>1-5", "a range compares only with = or !=, not > at 7"},
		{"zzzzzz=1", "unknown field 'zzzzzz' at 1, see docs/filter.md for the field names"},
		{"é dsport=1", "unknown field 'dsport' at 3, did you mean 'dstport'?"},
	} {
		_, err := Compile(c.expr, Options{})
		if err == nil {
			t.Errorf("%q compiled", c.expr)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %q, want %q", c.expr, err, c.want)
		}
		if _, ok := err.(*Error); !ok {
			t.Errorf("%q: error is a %T, not *Error", c.expr, err)
		}
	}
}

func TestCustomColumns(t *testing.T) {
	f := model.MustParseFormat("srcaddr dstaddr tgw-id")
	p := model.NewParser("x", f)
	var r model.Flow
	if p.Parse([]byte("10.0.0.1 10.0.0.2 tgw-0abc"), &r) != model.LineRecord {
		t.Fatal(p.Stats().Samples)
	}
	if _, err := Compile("tgw-id=tgw-0abc", Options{}); err == nil {
		t.Error("a custom column name compiled without its format")
	}
	flt, err := Compile("tgw-id=tgw-0*", Options{Formats: []*model.Format{f}})
	if err != nil || !flt.Match(&r) {
		t.Errorf("custom column: %v", err)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{{"eni-*", "eni-0abc", true}, {"*abc", "eni-0abc", true}, {"e?i-*", "eni-", true}, {"*x*", "eni", false}, {"a*b*c", "aXbYbZc", true}, {"a*b", "ab", true}, {"", "", true}, {"a", "", false}} {
		if GlobMatch(c.p, c.s) != c.ok {
			t.Errorf("GlobMatch(%q, %q) != %v", c.p, c.s, c.ok)
		}
	}
}
