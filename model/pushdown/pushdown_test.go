package pushdown

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/pushdowntest"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

func mustParse(t *testing.T, expr string) filter.Node {
	t.Helper()
	n, err := filter.Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// slot returns the pattern's condition for one column name.
func slot(pattern, name string) string {
	body := strings.TrimSuffix(strings.TrimPrefix(pattern, "["), "]")
	for _, part := range strings.Split(body, ", ") {
		if part == name || strings.HasPrefix(part, name+"=") || strings.HasPrefix(part, name+"!") || strings.HasPrefix(part, name+"<") || strings.HasPrefix(part, name+">") {
			return part
		}
	}
	return "?"
}

func TestPatternTranslations(t *testing.T) {
	for _, c := range []struct {
		expr, column, want string
		exact              bool
	}{
		{"action=REJECT", "action", "action=REJECT", true},
		{"reject", "action", "action=REJECT", true},
		{"action!=accept", "action", "action!=ACCEPT", true},
		{"dport=ssh", "dstport", "dstport=22", true},
		{"dport!=22", "dstport", `dstport<22 || dstport>22 || dstport="-"`, true},
		{"dport=1024-65535", "dstport", "dstport>=1024 && dstport<=65535", true},
		{"dport<1024", "dstport", "dstport<=1023", true},
		{"not dport>=1024", "dstport", `dstport<=1023 || dstport="-"`, true},
		{"dport=22 or dport=3389", "dstport", "dstport=22 || dstport=3389", true},
		{"dport=20-23 or dport=80-90", "dstport", "dstport>=20 && dstport<=90", false},
		{"bytes>1Mi", "bytes", "bytes>=1048577", true},
		{"tcp", "protocol", "protocol=6", true},
		{"src=10.0.0.0/16", "srcaddr", "srcaddr=10.0.*", true},
		{"src=10.0.3.7", "srcaddr", "srcaddr=10.0.3.7", true},
		{"src!=10.0.0.0/8", "srcaddr", "srcaddr!=10.*", true},
		{"src=172.16.0.0/12", "srcaddr", `srcaddr=%^172\.1[6-9]\.[0-9]+\.[0-9]+$|^172\.2[0-9]\.[0-9]+\.[0-9]+$|^172\.3[01]\.[0-9]+\.[0-9]+$%`, true},
		{"src=2001:db8::/32", "srcaddr", "srcaddr=*:*", false},
		{"eni=eni-0abc*", "interface_id", `interface_id=%^[eE][nN][iI]-0[aA][bB][cC].*$%`, true},
		{"account=1234*", "account_id", "account_id=1234*", true},
		{"account=123456789012", "account_id", `account_id="123456789012"`, true},
		{"addr=10.0.0.0/8", "srcaddr", "srcaddr", false},
		{`"ACCEPT OK"`, "action", "action", false},
	} {
		res, err := Pattern(mustParse(t, c.expr), model.DefaultFormat)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := slot(res.Text, c.column); got != c.want && !(res.Text == "" && c.want == c.column) {
			t.Errorf("%s: %s slot = %q, want %q (pattern %s)", c.expr, c.column, got, c.want, res.Text)
		}
		if res.Exact != c.exact {
			t.Errorf("%s: exact = %v, want %v (%v)", c.expr, res.Exact, c.exact, res.Notes)
		}
	}
}

func TestPatternNamesEveryColumnInOrder(t *testing.T) {
	f := pushdowntest.Formats()[3]
	res, err := Pattern(mustParse(t, "dport=443"), f)
	if err != nil {
		t.Fatal(err)
	}
	want := "[interface_id, srcaddr, dstaddr, dstport=443, protocol, action, my_tag, start, tcp_flags, flow_direction, log_status]"
	if res.Text != want || !res.Exact {
		t.Errorf("pattern = %s (exact %v), want %s", res.Text, res.Exact, want)
	}
}

func TestPatternForSeveralFormatsIsNone(t *testing.T) {
	res, err := PatternForFormats(mustParse(t, "reject"), pushdowntest.Formats()[:2])
	if err != nil || res.Text != "" || res.Exact {
		t.Errorf("several formats: %q exact %v err %v, want no pattern, looser", res.Text, res.Exact, err)
	}
	res, _ = PatternForFormats(nil, pushdowntest.Formats()[:2])
	if res.Text != "" || !res.Exact {
		t.Error("an empty filter needs no pattern and is exact whatever the formats")
	}
}

func TestPatternStaysUnderAWSsLength(t *testing.T) {
	var terms []string
	for i := 0; i < 60; i++ {
		terms = append(terms, "dport!="+strconv.Itoa(1000+2*i))
	}
	res, err := Pattern(mustParse(t, strings.Join(terms, " ")+" reject"), model.DefaultFormat)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Text) > MaxPatternLen || res.Exact || !strings.Contains(res.Text, "action=REJECT") {
		t.Errorf("pattern of %d characters, exact %v: %s", len(res.Text), res.Exact, res.Text)
	}
}

func TestPatternUsesAtMostTwoRegexes(t *testing.T) {
	res, err := Pattern(mustParse(t, "src=10.0.0.0/22 dst=10.0.4.0/22 eni=eni-0a*"), model.DefaultFormat)
	if err != nil {
		t.Fatal(err)
	}
	// Regexes go to the columns in order; the third prefix widens to its octet boundary.
	if n := strings.Count(res.Text, "=%"); n != 2 || res.Exact || !strings.Contains(res.Text, "dstaddr=10.0.*,") {
		t.Errorf("%d regexes, exact %v: %s", n, res.Exact, res.Text)
	}
}

func TestNeverOnAFieldTheFormatLacks(t *testing.T) {
	res, _ := Pattern(mustParse(t, "flags=syn"), model.DefaultFormat)
	if !res.Never {
		t.Error("flags=syn on the default format (no tcp-flags) should match nothing")
	}
	res, _ = Pattern(mustParse(t, "flags!=syn"), model.DefaultFormat)
	if res.Never || res.Text != "" || !res.Exact {
		t.Errorf("flags!=syn on the default format matches everything: %+v", res)
	}
}

// TestRegexIPv4MatchesExactlyThePrefix checks the CIDR regexes against every address
// of a few /16s, written as AWS writes them.
func TestRegexIPv4MatchesExactlyThePrefix(t *testing.T) {
	for _, s := range []string{"10.0.0.0/22", "172.16.0.0/12", "192.168.1.128/25", "10.0.3.7/32", "52.95.128.0/17", "8.0.0.0/5", "100.64.0.0/10", "0.0.0.0/1", "255.255.255.252/30"} {
		p := netip.MustParsePrefix(s)
		re := regexp.MustCompile(regexIPv4(p))
		rng := rand.New(rand.NewPCG(1, uint64(p.Bits())))
		for i := 0; i < 20000; i++ {
			b := p.Addr().As4()
			b[rng.IntN(4)] = byte(rng.IntN(256))
			if i%2 == 0 {
				b[2], b[3] = byte(rng.IntN(256)), byte(rng.IntN(256))
			}
			a := netip.AddrFrom4(b)
			if re.MatchString(a.String()) != p.Contains(a) {
				t.Fatalf("%s: regex %s says %v for %s", s, re, !p.Contains(a), a)
			}
		}
	}
}

func TestRangeRegexCoversExactlyTheRange(t *testing.T) {
	for lo := 0; lo < 256; lo += 7 {
		for hi := lo; hi < 256; hi += 13 {
			re := regexp.MustCompile("^(" + strings.Join(rangeRegex(lo, hi), "|") + ")$")
			for v := 0; v < 1000; v++ {
				if re.MatchString(strconv.Itoa(v)) != (v >= lo && v <= hi) {
					t.Fatalf("[%d,%d]: %s wrong for %d", lo, hi, re, v)
				}
			}
			if re.MatchString("01") && lo <= 1 {
				t.Fatalf("[%d,%d] matches a leading zero", lo, hi)
			}
		}
	}
}

func TestInsightsQueryShape(t *testing.T) {
	res, err := Insights(mustParse(t, "addr=10.0.3.0/24 tcp not dport=22"), model.DefaultFormat, InsightsOptions{
		Grouping: &Grouping{By: []model.Field{model.FSrcAddr}, Bin: 5 * time.Minute},
		Limit:    5000,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`parse @message /^(?<version>\S+)\s+(?<account_id>\S+)`,
		`isIpv4InSubnet(srcaddr, "10.0.3.0/24") or isIpv4InSubnet(dstaddr, "10.0.3.0/24")`,
		"protocol = 6",
		`(not (dstport = 22) or dstport = "-")`,
		"count(*) as flows, sum(packets) as sum_packets, sum(bytes) as sum_bytes, count(flowlens_reject) as rejects by srcaddr, bin(5m)",
		"| limit 5000",
	} {
		if !strings.Contains(res.Text, want) {
			t.Errorf("query lacks %q:\n%s", want, res.Text)
		}
	}
	if !res.Exact {
		t.Errorf("exact = false: %v", res.Notes)
	}
}

func TestInsightsForSeveralFormatsCannotGroup(t *testing.T) {
	fs := pushdowntest.Formats()[:2]
	if _, err := InsightsForFormats(nil, fs, InsightsOptions{Grouping: &Grouping{}}); err == nil {
		t.Error("grouping over several formats was accepted")
	}
	res, err := InsightsForFormats(mustParse(t, "reject"), fs, InsightsOptions{})
	if err != nil || res.Exact || strings.Contains(res.Text, "parse") {
		t.Errorf("several formats: %+v %v", res, err)
	}
}

func TestSQLShape(t *testing.T) {
	res, err := SQL(mustParse(t, "addr=10.0.3.0/24 flags=syn eni=ENI-0a* not dport=22"), SQLOptions{
		Table: "logs.flows", Since: 1700000000, Until: 1700003600,
		Grouping: &Grouping{By: []model.Field{model.FSrcAddr}, Bin: time.Hour, Distinct: model.FDstPort, HasDistinct: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`FROM "logs"."flows"`,
		"contains('10.0.3.0/24', TRY_CAST(srcaddr AS IPADDRESS)) OR contains('10.0.3.0/24', TRY_CAST(dstaddr AS IPADDRESS))",
		"bitwise_and(tcp_flags, 18) = 2",
		`lower(interface_id) LIKE 'eni-0a%' ESCAPE '\'`,
		"(dstport IS NULL OR NOT (dstport = 22))",
		"start >= 1700000000", "start < 1700003600",
		`start - start % 3600 AS "bin(1h)"`,
		"GROUP BY srcaddr, start - start % 3600",
	} {
		if !strings.Contains(res.Text, want) {
			t.Errorf("SQL lacks %q:\n%s", want, res.Text)
		}
	}
}

func TestBothDirectionsKeepsOnlyConversationTerms(t *testing.T) {
	for _, c := range []struct {
		expr  string
		terms string
		whole bool
	}{
		{"proto=tcp addr=10.0.3.0/24", "proto=tcp addr=10.0.3.0/24", true},
		{"reject dport=22 tcp", "tcp", false},
		{"eni=eni-0abc (port=22 or port=3389) flags=syn", "eni=eni-0abc (port=22 or port=3389)", false},
		{"src=10.0.0.1", "", false},
		{"not addr=10.0.0.1 or udp", "(not addr=10.0.0.1 or udp)", true},
		{"(addr=10.0.0.1 or dport=22)", "", false},
		{`"ACCEPT" tcp`, "tcp", false},
	} {
		p := BothDirections(mustParse(t, c.expr))
		if got := strings.Join(p.Terms, " "); got != c.terms || p.Whole != c.whole {
			t.Errorf("%s: pushed %q whole %v, want %q whole %v", c.expr, got, p.Whole, c.terms, c.whole)
		}
	}
}

// TestBothDirectionsIsTrueOfARecordAndItsReply checks on random records that what is
// pushed is looser than the filter and says the same of a record and of its reply (the
// record with source and destination swapped).
func TestBothDirectionsIsTrueOfARecordAndItsReply(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 30))
	f := model.DefaultFormat
	for i := 0; i < 400; i++ {
		expr := pushdowntest.Filter(rng, f, 3)
		flt, err := filter.Compile(expr, filter.Options{})
		if err != nil {
			continue
		}
		p := BothDirections(mustParse(t, expr))
		kept := filter.MustCompile(filter.String(p.Node))
		for j := 0; j < 40; j++ {
			line, r := pushdowntest.Record(rng, f)
			cols := strings.Fields(line)
			cols[3], cols[4], cols[5], cols[6] = cols[4], cols[3], cols[6], cols[5]
			var reply model.Flow
			if model.NewParser("reply", f).Parse([]byte(strings.Join(cols, " ")), &reply) != model.LineRecord {
				t.Fatal("reply does not parse")
			}
			if flt.Match(&r) && !kept.Match(&r) {
				t.Fatalf("%q: pushed %q drops %q, which the filter keeps", expr, p.Terms, line)
			}
			if kept.Match(&r) != kept.Match(&reply) {
				t.Fatalf("%q: pushed %q keeps only one direction of %q", expr, p.Terms, line)
			}
		}
	}
}
