package model

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// The official examples from AWS's "Flow log record examples" page.
const (
	v5Format  = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"
	tcpFormat = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
)

func parseOne(t *testing.T, format, line string) (Flow, LineKind, *Parser) {
	t.Helper()
	var f *Format
	if format != "" {
		var err error
		if f, err = ParseFormat(format); err != nil {
			t.Fatalf("ParseFormat(%q): %v", format, err)
		}
	}
	p := NewParser("test", f)
	var r Flow
	kind := p.Parse([]byte(line), &r)
	return r, kind, p
}

func TestParseOfficialExamples(t *testing.T) {
	r, kind, _ := parseOne(t, "", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
	if kind != LineRecord {
		t.Fatalf("kind = %v", kind)
	}
	if r.Version != 2 || r.Account.String() != "123456789010" || r.Interface.String() != "eni-1235b8ca123456789" ||
		r.Src() != netip.MustParseAddr("172.31.16.139") || r.Dst() != netip.MustParseAddr("172.31.16.21") ||
		r.SrcPort != 20641 || r.DstPort != 22 || r.Protocol != 6 || r.Packets != 20 || r.Bytes != 4249 ||
		r.Start != 1418530010 || r.End != 1418530070 || r.Action != Accept || r.Status != StatusOK {
		t.Errorf("parsed %+v", r)
	}
	if r.Ext() != nil {
		t.Errorf("a default-format record should not carry Ext")
	}

	r, kind, _ = parseOne(t, "", "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
	if kind != LineRecord || r.Status != StatusNoData || r.Has(FSrcAddr) || r.Has(FPackets) || r.Has(FAction) || !r.Has(FStart) {
		t.Errorf("NODATA parsed as %v %+v", kind, r)
	}
	if got := string(r.AppendRecord(nil)); got != "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA" {
		t.Errorf("NODATA written back as %q", got)
	}

	r, _, _ = parseOne(t, "", "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK")
	if r.Src() != netip.MustParseAddr("2001:db8:1234:a100:8d6e:3477:df66:f105") || !r.Dst().Is6() {
		t.Errorf("IPv6 parsed as %v %v", r.Src(), r.Dst())
	}

	// The double space in AWS's own example must not shift the columns.
	r, kind, _ = parseOne(t, tcpFormat, "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43638  10.0.0.62 52.213.180.42 6 967 14 1566933133 1566933193 ACCEPT 19 OK")
	if kind != LineRecord || r.TCPFlags != 19 || r.Bytes != 967 || r.Packets != 14 || r.DstPort != 43638 {
		t.Errorf("tcp-flags example: %v %+v", kind, r)
	}
	if got := r.Sym(FVPCID).String(); got != "vpc-abcdefab012345678" {
		t.Errorf("vpc-id = %q", got)
	}
	if a, _ := r.Addr(FPktDstAddr); a != netip.MustParseAddr("52.213.180.42") {
		t.Errorf("pkt-dstaddr = %v", a)
	}

	r, kind, _ = parseOne(t, v5Format, "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK")
	if kind != LineRecord || r.Direction != Egress || r.Ext().Path != 8 || r.Sym(FPktDstAWSService).String() != "S3" || r.Has(FPktSrcAWSService) || r.Has(FSublocationID) {
		t.Errorf("v5 example: %v %+v", kind, r)
	}
	if r.Sym(FRegion).String() != "ap-southeast-2" || r.Sym(FType).String() != "IPv4" {
		t.Errorf("v5 region/type: %q %q", r.Sym(FRegion), r.Sym(FType))
	}
}

func TestParseMalformed(t *testing.T) {
	long := strings.Repeat("x ", 500)
	for _, c := range []struct {
		line   string
		reason Reason
		detail string
	}{
		{"2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1 1 ACCEPT", ReasonFieldCount, "13 fields, the format has 14"},
		{"2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1 1 ACCEPT OK extra", ReasonFieldCount, "15 fields"},
		{"I am not am AWS VPC Flow log", ReasonFieldCount, "8 fields"},
		{long, ReasonFieldCount, "more than 120 fields"},
		{"2 123 eni-1 1.2.3 5.6.7.8 1 2 6 1 1 1 1 ACCEPT OK", ReasonAddress, `srcaddr "1.2.3"`},
		{"2 123 eni-1 1.2.3.4 5.6.7.256 1 2 6 1 1 1 1 ACCEPT OK", ReasonAddress, "dstaddr"},
		{"2 123 eni-1 1.2.3.4 fe80::1%eth0 1 2 6 1 1 1 1 ACCEPT OK", ReasonAddress, "dstaddr"},
		{"2 123 eni-1 1.2.3.4 5.6.7.8 70000 2 6 1 1 1 1 ACCEPT OK", ReasonRange, "srcport"},
		{"2 123 eni-1 1.2.3.4 5.6.7.8 1 2 256 1 1 1 1 ACCEPT OK", ReasonRange, "protocol"},
		{"2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1x 1 1 1 ACCEPT OK", ReasonNumber, "packets"},
		{"2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 99999999999999999999999 1 1 ACCEPT OK", ReasonNumber, "bytes"},
		{"2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1 1 MAYBE OK", ReasonAction, "action"},
		{"2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1 1 ACCEPT FINE", ReasonLogStatus, "log-status"},
		{"2 123 eni-1\x1b[31m 1.2.3.4 5.6.7.8 1 2 6 1 1 1 1 ACCEPT OK", ReasonControl, ""},
		{"\x00\x01\x02\xff\xfe", ReasonControl, ""},
		{"version account-id version", ReasonHeader, "appears twice"},
		{"2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 99999999999 1 ACCEPT OK", ReasonRange, "start"},
	} {
		_, kind, p := parseOne(t, "", c.line)
		if kind != LineMalformed {
			t.Errorf("%q: kind %v, want malformed", c.line, kind)
			continue
		}
		st := p.Stats()
		if st.Malformed != 1 || st.ByReason[c.reason] != 1 || len(st.Samples) != 1 {
			t.Errorf("%q: stats %+v, want one %v", c.line, st, c.reason)
			continue
		}
		s := st.Samples[0]
		if s.Line != 1 || s.Reason != c.reason || !strings.Contains(s.Detail, c.detail) {
			t.Errorf("%q: sample %+v, want reason %v detail containing %q", c.line, s, c.reason, c.detail)
		}
		if strings.ContainsAny(s.Text, "\x00\x1b") || len(s.Text) > maxSampleText+len("…") {
			t.Errorf("%q: sample text not cleaned: %q", c.line, s.Text)
		}
	}
}

func TestParseMillisecondTimes(t *testing.T) {
	r, kind, _ := parseOne(t, "", "2 123456789010 eni-4b118871 - - - - - - - 1512564058000 1512564059000 - SKIPDATA")
	if kind != LineRecord || r.Start != 1512564058 || r.End != 1512564059 || r.Status != StatusSkipData {
		t.Errorf("got %v %d %d %v", kind, r.Start, r.End, r.Status)
	}
}

func TestHeaderSwitchesFormat(t *testing.T) {
	p := NewParser("s3.log", nil)
	var r Flow
	lines := []string{
		"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
		"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK",
		"",
		"srcaddr dstaddr action",
		"10.0.0.3 10.0.0.4 REJECT",
		"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK", // old format: now wrong
		"${interface-id} ${srcaddr} ${my-new-field}",
		"eni-9 10.0.0.5 hello",
	}
	var kinds []LineKind
	var recs []Flow
	for _, l := range lines {
		k := p.Parse([]byte(l), &r)
		kinds = append(kinds, k)
		if k == LineRecord {
			recs = append(recs, r)
		}
	}
	want := []LineKind{LineHeader, LineRecord, LineBlank, LineHeader, LineRecord, LineMalformed, LineHeader, LineRecord}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if recs[1].Action != Reject || recs[1].Src() != netip.MustParseAddr("10.0.0.3") || recs[1].Has(FInterfaceID) {
		t.Errorf("second format record: %+v", recs[1])
	}
	f := recs[2].FormatOf()
	custom, ok := f.Custom("my-new-field")
	if !ok || recs[2].Text(custom) != "hello" || f.Version != 3 && f.Version != 2 {
		t.Errorf("custom column: ok=%v value=%q", ok, recs[2].Text(custom))
	}
	st := p.Stats()
	if st.Lines != 8 || st.Records != 3 || st.Headers != 3 || st.Blank != 1 || st.Malformed != 1 || st.Samples[0].Line != 6 {
		t.Errorf("stats %+v", st)
	}
}

func TestFormatSpellings(t *testing.T) {
	a := MustParseFormat("${version} ${srcaddr} ${tcp-flags}")
	b := MustParseFormat("version srcaddr tcp-flags")
	c := MustParseFormat("version srcaddr tcp_flags")
	if a != b || a != c {
		t.Errorf("the three spellings registered as different formats: %d %d %d", a.ID, b.ID, c.ID)
	}
	if a.Version != 3 || a.Column(FTCPFlags) != 2 || a.Column(FDstAddr) != -1 {
		t.Errorf("format %+v", a)
	}
	if DefaultFormat.ID != 0 || DefaultFormat.Version != 2 || len(DefaultFormat.Fields) != 14 {
		t.Errorf("default format %+v", DefaultFormat)
	}
	for _, bad := range []string{"", "${version", "version version", "1abc", "${}"} {
		if _, err := ParseFormat(bad); err == nil {
			t.Errorf("ParseFormat(%q) accepted", bad)
		}
	}
}

// conformanceCase is an entry of testdata/conformance/peer-cases.json (see its README).
type conformanceCase struct {
	Source string         `json:"source"`
	Format *string        `json:"format"`
	Line   string         `json:"line"`
	Header bool           `json:"header"`
	Error  bool           `json:"error"`
	Expect map[string]any `json:"expect"`
	Kind   string         `json:"kind"`
}

func TestConformance(t *testing.T) {
	data, err := os.ReadFile("../testdata/conformance/peer-cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []conformanceCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, c := range cases {
		name := fmt.Sprintf("%d:%s", i, c.Source[strings.LastIndex(c.Source, "/")+1:])
		t.Run(name, func(t *testing.T) {
			var f *Format
			if c.Format != nil {
				f = MustParseFormat(*c.Format)
			}
			p := NewParser("conformance", f)
			var r Flow
			kind := p.Parse([]byte(c.Line), &r)
			switch {
			case c.Header:
				if kind != LineHeader {
					t.Fatalf("header line parsed as %v", kind)
				}
				if c.Format != nil && p.Format() != f {
					t.Errorf("header gave format %q, want %q", p.Format().Header(), *c.Format)
				}
			case c.Error:
				if kind != LineMalformed || p.Stats().Malformed != 1 {
					t.Fatalf("error line parsed as %v", kind)
				}
			case c.Expect != nil:
				if kind != LineRecord {
					t.Fatalf("record parsed as %v: %v", kind, p.Stats().Samples)
				}
				checkExpect(t, &r, c.Expect)
				checked++
			}
		})
	}
	if checked < 40 {
		t.Errorf("only %d records checked; the file has more", checked)
	}
}

func checkExpect(t *testing.T, r *Flow, expect map[string]any) {
	t.Helper()
	format := r.FormatOf()
	for name, want := range expect {
		fld, known := FieldByName(name)
		if !known {
			fld, known = format.Custom(name)
			if !known {
				t.Errorf("%s: not a column of the parsed format", name)
				continue
			}
		}
		if want == nil {
			if r.Has(fld) {
				t.Errorf("%s = %q, want absent", name, r.Value(fld))
			}
			continue
		}
		switch w := want.(type) {
		case float64:
			if fld.Numeric() {
				got, ok := r.Uint(fld)
				exp := uint64(w)
				if (fld == FStart || fld == FEnd) && exp > 1e11 {
					exp /= 1000 // flowlens normalises milliseconds, the peer kept them raw
				}
				if !ok || got != exp {
					t.Errorf("%s = %d (present %v), want %d", name, got, ok, exp)
				}
			} else if got := r.Value(fld); got != fmt.Sprint(int64(w)) {
				t.Errorf("%s = %q, want %v", name, got, w)
			}
		case string:
			if got := r.Value(fld); got != w {
				t.Errorf("%s = %q, want %q", name, got, w)
			}
		default:
			t.Errorf("%s: unexpected expect type %T", name, want)
		}
	}
}

func TestParseAllocations(t *testing.T) {
	p := NewParser("bench", nil)
	line := []byte("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n")
	v6 := []byte("2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK")
	var r Flow
	for _, l := range [][]byte{line, v6} {
		p.Parse(l, &r) // warm the symbol cache
		if n := testing.AllocsPerRun(1000, func() { p.Parse(l, &r) }); n != 0 {
			t.Errorf("Parse allocates %.1f times per record of %q", n, l[:20])
		}
	}
	custom := NewParser("bench", MustParseFormat(v5Format))
	v5 := []byte("5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK")
	custom.Parse(v5, &r)
	if n := testing.AllocsPerRun(1000, func() { custom.Parse(v5, &r) }); n > 0.01 {
		t.Errorf("v5 Parse allocates %.2f times per record; the Ext slab should amortise it", n)
	}
}

func TestParseIPv4MatchesNetip(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "255.255.255.255", "10.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "256.1.1.1", "1.2.3.4.", ".1.2.3", "1.2.3.-", "1.2.3.4a"} {
		a, ok := parseIPv4([]byte(s))
		want, err := netip.ParseAddr(s)
		if ok != (err == nil) || ok && a.addr() != want {
			t.Errorf("parseIPv4(%q) = %v %v; netip: %v %v", s, a.addr(), ok, want, err)
		}
	}
}

func TestParseUintLimits(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "18446744073709551615": true, "18446744073709551616": false, "99999999999999999999": false, "1x": false, "": false, "000000000000000000001": false} {
		v, ok := parseUint([]byte(s))
		if ok != want {
			t.Errorf("parseUint(%q) = %d, %v", s, v, ok)
		}
	}
	// a 20-digit byte count goes through the general path and keeps its value
	r, kind, _ := parseOne(t, "", "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 18446744073709551615 1 2 ACCEPT OK")
	if kind != LineRecord || r.Bytes != 18446744073709551615 {
		t.Errorf("%v %d", kind, r.Bytes)
	}
}

func TestSWARDigits(t *testing.T) {
	for _, s := range []string{"00000000", "12345678", "99999999", "14185300", "1234567a", "1234 678", "/2345678", ":2345678"} {
		x := uint64(0)
		for i := 7; i >= 0; i-- {
			x = x<<8 | uint64(s[i])
		}
		want, err := strconv.ParseUint(s, 10, 64)
		if eightDigits(x) != (err == nil) {
			t.Errorf("eightDigits(%q) = %v", s, eightDigits(x))
		}
		if err == nil && swar8(x) != want {
			t.Errorf("swar8(%q) = %d", s, swar8(x))
		}
	}
}

// Columns whose values rarely repeat are kept as text: reading millions of distinct
// ECS task IDs or custom values must not grow the shared symbol table.
func TestHighCardinalityColumnsAreNotInterned(t *testing.T) {
	f := MustParseFormat("srcaddr dstaddr ecs-task-id ecs-cluster-name my-request-id")
	p := NewParser("ecs", f)
	before := SymCount()
	var r Flow
	for i := 0; i < 5000; i++ {
		line := fmt.Sprintf("10.0.0.1 10.0.0.2 task-%d cluster-a req-%d", i, i)
		if p.Parse([]byte(line), &r) != LineRecord {
			t.Fatal(p.Stats().Samples)
		}
	}
	if grown := SymCount() - before; grown > 2 {
		t.Fatalf("the symbol table grew by %d for 5000 distinct values", grown)
	}
	custom, _ := f.Custom("my-request-id")
	if r.Text(FECSTaskID) != "task-4999" || r.Text(custom) != "req-4999" || r.Sym(FECSClusterName).String() != "cluster-a" {
		t.Fatalf("values %q %q %q", r.Text(FECSTaskID), r.Text(custom), r.Sym(FECSClusterName))
	}
	if !r.Has(FECSTaskID) || string(r.AppendRecord(nil)) != "10.0.0.1 10.0.0.2 task-4999 cluster-a req-4999" {
		t.Fatalf("written back as %q", r.AppendRecord(nil))
	}
}

// The addresses are stored as IPv4 inline and IPv6 out of line (Flow.more), which copies
// of a record share: setting an address on a copy must not change the original, and
// each family must read back as it was written, in every combination.
func TestFlowAddressFamilies(t *testing.T) {
	v4a, v4b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("198.51.100.7")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	for _, c := range [][2]netip.Addr{{v4a, v4b}, {v6a, v6b}, {v4a, v6b}, {v6a, v4b}} {
		var r Flow
		r.SetSrc(c[0])
		r.SetDst(c[1])
		if r.Src() != c[0] || r.Dst() != c[1] {
			t.Errorf("set %v %v, read %v %v", c[0], c[1], r.Src(), r.Dst())
		}
		cp := r
		cp.SetSrc(v6b)
		cp.SetDst(v4a)
		if r.Src() != c[0] || r.Dst() != c[1] {
			t.Errorf("setting a copy's addresses changed the original: %v %v, want %v %v", r.Src(), r.Dst(), c[0], c[1])
		}
		if cp.Src() != v6b || cp.Dst() != v4a {
			t.Errorf("copy reads %v %v, want %v %v", cp.Src(), cp.Dst(), v6b, v4a)
		}
	}
	p := NewParser("t", nil)
	var r Flow
	line := []byte("2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 172.31.16.21 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK")
	if p.Parse(line, &r) != LineRecord {
		t.Fatal("not a record")
	}
	keep := r
	if p.Parse([]byte("2 123456789010 eni-1235b8ca123456789 2001:db8::9 2001:db8::8 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK"), &r) != LineRecord {
		t.Fatal("not a record")
	}
	if got := keep.Src().String() + " " + keep.Dst().String(); got != "2001:db8:1234:a100:8d6e:3477:df66:f105 172.31.16.21" {
		t.Errorf("a record kept across a parse reads %s", got)
	}
	if got := r.Src().String() + " " + r.Dst().String(); got != "2001:db8::9 2001:db8::8" {
		t.Errorf("the next record reads %s", got)
	}
	if a, ok := keep.Addr(FDstAddr); !ok || !a.Is4() {
		t.Errorf("an IPv4 dstaddr beside an IPv6 srcaddr reads %v %v", a, ok)
	}
}

// A record with an Ext keeps its IPv6 array there (Flow has one pointer out of line):
// the same guarantees hold for it, across a parse, for a copy given new addresses, and
// when an Ext is given to a record that already has IPv6 addresses.
func TestFlowAddressFamiliesWithExt(t *testing.T) {
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	v4a := netip.MustParseAddr("10.0.0.1")
	p := NewParser("t", MustParseFormat(v5Format))
	var r Flow
	if p.Parse([]byte("5 2001:db8::7 10.0.0.9 34210 80 6 1616729292 1616729349 IPv6 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 2001:db8::7 10.0.0.9 - S3 8 egress OK"), &r) != LineRecord {
		t.Fatal(p.Stats().Samples)
	}
	keep := r
	if p.Parse([]byte("5 10.0.0.8 2001:db8::8 34210 80 6 1616729292 1616729349 IPv6 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.8 2001:db8::8 - S3 8 egress OK"), &r) != LineRecord {
		t.Fatal(p.Stats().Samples)
	}
	if got := keep.Src().String() + " " + keep.Dst().String(); got != "2001:db8::7 10.0.0.9" || keep.Ext() == nil {
		t.Errorf("a v5 record kept across a parse reads %s", got)
	}
	if got := r.Src().String() + " " + r.Dst().String(); got != "10.0.0.8 2001:db8::8" {
		t.Errorf("the next v5 record reads %s", got)
	}
	cp := keep
	cp.SetSrc(v6b)
	cp.SetDst(v6a)
	if keep.Src().String() != "2001:db8::7" || keep.Dst() != netip.MustParseAddr("10.0.0.9") {
		t.Errorf("setting a copy's addresses changed the original: %v %v", keep.Src(), keep.Dst())
	}
	if cp.Src() != v6b || cp.Dst() != v6a || cp.Text(FVPCID) != "vpc-abcdefab012345678" {
		t.Errorf("copy reads %v %v %q", cp.Src(), cp.Dst(), cp.Text(FVPCID))
	}

	var h Flow
	h.SetSrc(v6a)
	h.SetDst(v4a)
	h.SetSym(FVPCID, Intern("vpc-1"))
	if h.Ext() == nil || h.Src() != v6a || h.Dst() != v4a || h.Text(FVPCID) != "vpc-1" {
		t.Errorf("an Ext given after the addresses: %v %v %q", h.Src(), h.Dst(), h.Text(FVPCID))
	}
	h.SetExt(nil)
	if h.Ext() != nil || h.Src() != v6a || h.Dst() != v4a || h.Has(FVPCID) {
		t.Errorf("the Ext taken away: %v %v %v", h.Src(), h.Dst(), h.Has(FVPCID))
	}
}

// Ext keeps what is stored as text out of line: a v5 record has none, so its Ext is
// the small one; the ECS fields and unknown columns still read back.
func TestExtTexts(t *testing.T) {
	// A record of a format beyond the default is its Flow and its Ext: 240 bytes, 72 and
	// 168 before the IPv6 array's pointer moved from Flow to Ext.
	if s := unsafe.Sizeof(Ext{}); s > 176 || s+flowSize() > 240 {
		t.Errorf("Ext is %d bytes, %d with its Flow", s, s+flowSize())
	}
	var r Flow
	v5 := NewParser("t", MustParseFormat(v5Format))
	if v5.Parse([]byte("5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK"), &r) != LineRecord {
		t.Fatal("not a record")
	}
	if r.Ext() == nil || r.Ext().Texts != nil || r.Text(FVPCID) != "vpc-abcdefab012345678" {
		t.Errorf("v5: Ext %v, vpc-id %q", r.Ext(), r.Text(FVPCID))
	}
	f := MustParseFormat("version srcaddr dstaddr ecs-task-id my-column action")
	p := NewParser("t", f)
	if p.Parse([]byte("7 10.0.0.1 10.0.0.2 0123456789abcdef x-1 ACCEPT"), &r) != LineRecord {
		t.Fatal("not a record")
	}
	keep := r
	if p.Parse([]byte("7 10.0.0.1 10.0.0.2 fedcba9876543210 x-2 ACCEPT"), &r) != LineRecord {
		t.Fatal("not a record")
	}
	mine, _ := f.Custom("my-column")
	if keep.Text(FECSTaskID) != "0123456789abcdef" || keep.Text(mine) != "x-1" || r.Text(FECSTaskID) != "fedcba9876543210" || r.Text(mine) != "x-2" {
		t.Errorf("read %q %q, then %q %q", keep.Text(FECSTaskID), keep.Text(mine), r.Text(FECSTaskID), r.Text(mine))
	}
	var s Flow
	s.SetSym(FECSContainerID, Intern("c-1"))
	if !s.Has(FECSContainerID) || s.Text(FECSContainerID) != "c-1" || s.Has(FECSTaskID) {
		t.Errorf("SetSym of a text field: %q", s.Text(FECSContainerID))
	}
}

// The fast path converts digits eight bytes at a time and addresses sixteen at a time;
// it must agree with the general path on every digit count, leading zero, value out of
// range and number length it meets, and take the lines it is made for.
func TestFastPathAgreesOnNumbers(t *testing.T) {
	addrs := []string{"1.2.3.4", "10.0.0.1", "172.31.16.139", "255.255.255.255", "0.0.0.0", "100.20.3.199",
		"256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4a", "1234.1.1.1", "9.99.199.249"}
	nums := []string{"0", "7", "22", "443", "5432", "65535", "65536", "123456", "0022", "1418530010", "14185300101",
		"1234567", "12345678", "123456789", "999999999999999", "1234567890123456", "12345678901234567890", "18446744073709551615", "1e5", "-",
		"4294967295", "4294967296", "9999999999", "0000000000", "99999999999", "100000000000", "1418530010000"}
	fast, slow := NewParser("fast", nil), NewParser("slow", nil)
	slow.noFast = true
	var a, b Flow
	check := func(line string) {
		ka, kb := fast.Parse([]byte(line), &a), slow.Parse([]byte(line), &b)
		if ka != kb || ka == LineRecord && !sameFlow(&a, &b) {
			t.Errorf("%q: fast path %v %s, general %v %s", line, ka, a.AppendRecord(nil), kb, b.AppendRecord(nil))
		}
	}
	for _, src := range addrs {
		for _, dst := range addrs {
			check("2 123456789010 eni-1235b8ca123456789 " + src + " " + dst + " 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
		}
	}
	for _, n := range nums {
		check("2 123456789010 eni-1235b8ca123456789 10.0.0.1 10.0.0.2 " + n + " 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
		check("2 123456789010 eni-1235b8ca123456789 10.0.0.1 10.0.0.2 20641 " + n + " " + n + " 20 4249 1418530010 1418530070 ACCEPT OK")
		check("2 123456789010 eni-1235b8ca123456789 10.0.0.1 10.0.0.2 20641 22 6 " + n + " " + n + " 1418530010 1418530070 ACCEPT OK")
		check("2 123456789010 eni-1235b8ca123456789 10.0.0.1 10.0.0.2 20641 22 6 20 4249 " + n + " " + n + " ACCEPT OK")
		check(n + " 123456789010 eni-1235b8ca123456789 10.0.0.1 10.0.0.2 20641 22 6 20 4249 1418530010 1418530070 REJECT OK")
	}
	// The tail the fast path reads from the line's end (fastTail), and near misses.
	for _, tail := range []string{"1418530010 1418530070 ACCEPT OK", "1418530010 1418530070 REJECT OK",
		"1418530010 1418530070 accept OK", "1418530010 1418530070 ACCEPT ok", "1418530010 1418530070 ACCEPT  OK",
		"1418530010 1418530070 ACCEPT OK ", "1418530010 1418530070 ACCEPT\tOK", "1418530010 1418530070 ACCEPT OKK",
		"1418530010 1418530070 DENIED OK", "1418530010 1418530070 - NODATA", "1418530010 1418530070 ACCEPT SKIPDATA",
		"141853001 1418530070 ACCEPT OK", "1418530010 141853007 ACCEPT OK", "1418530010 1418530070 ACCEPTX OK",
		"14185300x0 1418530070 ACCEPT OK", "1418530010 141853007x ACCEPT OK", "1418530010  1418530070 ACCEPT OK",
		"1418530010 1418530070 ACCEPT OK\r\n", "1418530010 1418530070 ACCEPT OK\n", "x1418530010 1418530070 ACCEPT OK",
		"1418530010x1418530070 ACCEPT OK", "1418530010 1418530070xACCEPT OK", "1418530010 1418530070 ACCEPTxOK"} {
		check("2 123456789010 eni-1235b8ca123456789 10.0.0.1 10.0.0.2 20641 22 6 20 4249 " + tail)
		check("2 123456789010 eni-1235b8ca123456789 10.0.0.1 10.0.0.2 20641 22 6 20 4249 1" + tail)
		check("2 123456789010 eni-1235b8ca123456789 10.0.0.1 10.0.0.2 20641 22 6 20 4249" + tail)
		check("2 123456789010 eni-1235b8ca123456789 10.0.0.1 10.0.0.2 20641 22 6 20 4249 - " + tail)
	}
	// Short lines: the numbers and addresses near the end, where fewer than sixteen
	// bytes remain.
	check("2 1 e 1.2.3.4 5.6.7.8 1 2 6 1 1 1 1 ACCEPT OK")
	check("2 1 e 1.2.3.4 5.6.7.8 1 2 6 123456789 987654321 1 1 ACCEPT OK")
	var r Flow
	if !fast.parseDefault([]byte("2 123456789010 eni-1235b8ca123456789 172.31.16.139 9.99.199.249 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"), &r) ||
		r.Src().String() != "172.31.16.139" || r.Dst().String() != "9.99.199.249" || r.SrcPort != 20641 || r.End != 1418530070 {
		t.Errorf("the fast path did not take a plain record: %s", r.AppendRecord(nil))
	}
}

// The fast path looks IDs up by their bytes as three words (fastID): every length
// around the words' edges and past them, IDs that differ only in their last byte, and
// more IDs than its table has entries, in an order that makes them collide, must read
// back as written and as the general path reads them.
func TestFastPathAgreesOnIDs(t *testing.T) {
	var ids []string
	for n := 1; n <= 30; n++ {
		for _, last := range "09az" {
			ids = append(ids, strings.Repeat("e", n-1)+string(last))
		}
	}
	for i := range 300 {
		ids = append(ids, fmt.Sprintf("eni-%017x", i*7919))
	}
	fast, slow := NewParser("fast", nil), NewParser("slow", nil)
	slow.noFast = true
	var a, b Flow
	for round := range 3 {
		for i := range ids {
			acct := ids[(i*31+round)%len(ids)]
			ifc := ids[(i*17+round*5)%len(ids)]
			line := "2 " + acct + " " + ifc + " 10.0.0.1 10.0.0.2 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
			ka, kb := fast.Parse([]byte(line), &a), slow.Parse([]byte(line), &b)
			if ka != LineRecord || kb != LineRecord || !sameFlow(&a, &b) || a.Account.String() != acct || a.Interface.String() != ifc {
				t.Fatalf("%q: fast path %v %q %q, general %v %q %q", line, ka, a.Account, a.Interface, kb, b.Account, b.Interface)
			}
		}
	}
	// What the fast path refuses, the general one reads or refuses on its own terms.
	for _, line := range []string{
		"2 - eni-1 10.0.0.1 10.0.0.2 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 - 10.0.0.1 10.0.0.2 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010\teni-1 10.0.0.1 10.0.0.2 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010  eni-1 10.0.0.1 10.0.0.2 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 1234567890123456789012345 eni-1 10.0.0.1 10.0.0.2 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	} {
		ka, kb := fast.Parse([]byte(line), &a), slow.Parse([]byte(line), &b)
		if ka != kb || ka == LineRecord && !sameFlow(&a, &b) {
			t.Errorf("%q: fast path %v %s, general %v %s", line, ka, a.AppendRecord(nil), kb, b.AppendRecord(nil))
		}
	}
}

// An Ext handed to SetExt is copied: the record keeps its IPv6 addresses in its Ext,
// so one Ext given to two records (or given to an IPv4 record after an IPv6 one) must
// not move either record's addresses.
func TestSetExtTakesACopy(t *testing.T) {
	a, b := netip.MustParseAddr("2001:db8::a"), netip.MustParseAddr("2001:db8::b")
	shared := &Ext{}
	var r1, r2, r3 Flow
	r1.SetSrc(a)
	r1.SetDst(a)
	r1.SetExt(shared)
	r2.SetSrc(b)
	r2.SetDst(b)
	r2.SetExt(shared)
	r3.SetSrc(netip.MustParseAddr("10.0.0.1"))
	r3.SetExt(shared)
	if r1.Src() != a || r1.Dst() != a || r2.Src() != b || r2.Dst() != b {
		t.Fatalf("addresses moved: %v %v, %v %v", r1.Src(), r1.Dst(), r2.Src(), r2.Dst())
	}
	if r1.Ext() == shared || r1.Ext() == r2.Ext() {
		t.Fatal("the records hold the caller's Ext, or one Ext between them")
	}
}
