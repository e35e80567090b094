package filter_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

func TestNeedles(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string // nil: no needle
	}{
		{"action=REJECT", []string{"reject"}},
		{"action=reject", []string{"reject"}},
		{"reject", []string{"reject"}},
		{"accept", []string{"accept"}},
		{"action!=REJECT", nil},
		{"not action=REJECT", nil},
		{"not reject", nil},
		{"dstport=22", []string{"22"}},
		{"dport=ssh", []string{"22"}},
		{"port=443", []string{"443"}},
		{"port!=443", nil},
		{"dstport=1024-65535", nil},
		{"dstport>1024", nil},
		{"bytes=10k", []string{"10000"}},
		{"proto=udp", []string{"17"}},
		{"udp", []string{"17"}},
		{"srcaddr=10.0.0.1", nil},
		{"addr=10.0.0.0/8", nil},
		{"flags=syn", nil},
		{"tcp-flags=2", nil},
		// Letters Unicode folds onto ASCII ones from outside it are left out.
		{"status=nodata", []string{"nodata"}},
		{"status=skipdata", []string{"pdata"}},
		{"status=ok", []string{"o"}},
		{"dir=in", []string{"ngre"}},
		{"egress", []string{"egre"}},
		{"eni=eni-0abc123", []string{"-0abc123"}},
		{"eni=eni-0abc*", []string{"-0abc"}},
		{"eni=*", nil},
		{"type=IPv6", []string{"pv6"}},
		// Words: a substring of the record as written.
		{"eni-0abc", []string{"-0abc"}},
		{`"ACCEPT OK"`, nil},
		{"172.31.9", nil},
		{"dead:beef", nil},
		{"s3", []string{"3"}},
		// and: the rarer side; or: either side's, or none.
		{"action=REJECT dstport=22", []string{"reject"}},
		{"dstport=22 action=REJECT", []string{"reject"}},
		{"dstport=22 and not action=REJECT", []string{"22"}},
		{"reject or nodata", []string{"reject", "nodata"}},
		{"reject or action=REJECT", []string{"reject"}},
		{"reject or dstport>5", nil},
		{"(reject or nodata) and dstport=22", []string{"reject", "nodata"}},
		{"not (reject or nodata)", nil},
		{"", nil},
	} {
		f, err := filter.Compile(tc.expr, filter.Options{})
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		got := f.Needles().Any
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: needles %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// TestNeedlesOfCustomColumns: a column only --format names has needles too.
func TestNeedlesOfCustomColumns(t *testing.T) {
	fm := model.MustParseFormat("${version} ${srcaddr} ${dstaddr} ${action} ${cluster-tag}")
	f, err := filter.Compile("cluster-tag=prod-web", filter.Options{Formats: []*model.Format{fm}})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Needles().Any; !slices.Equal(got, []string{"prod-web"}) {
		t.Errorf("needles %q", got)
	}
}

// TestNeedlesAreInEveryMatchingLine is the property the prefilter rests on: whatever the
// filter and however a line spells its values (any case, leading zeros, tabs, the
// Kelvin sign that folds onto k, IPv6, absent fields, custom and newer formats), a line
// the filter matches contains one of its needles, ignoring ASCII case.
func TestNeedlesAreInEveryMatchingLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	formats := []*model.Format{model.DefaultFormat,
		model.MustParseFormat("${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${tcp-flags} ${flow-direction} ${type} ${vpc-id}")}
	checked, matched := 0, 0
	for i := 0; i < 4000; i++ {
		expr := randomFilter(rng, 3)
		f, err := filter.Compile(expr, filter.Options{})
		if err != nil {
			continue // a random value a field does not take: nothing to check
		}
		needles := f.Needles()
		for range 40 {
			fm := formats[rng.IntN(len(formats))]
			line := randomLine(rng, fm)
			p := model.NewParser("prop", fm)
			var r model.Flow
			if p.Parse([]byte(line), &r) != model.LineRecord {
				continue
			}
			checked++
			if !f.Match(&r) {
				continue
			}
			matched++
			if needles.None() {
				continue
			}
			if !slices.ContainsFunc(needles.Any, func(n string) bool { return strings.Contains(strings.ToLower(asciiOnly(line)), n) }) {
				t.Fatalf("%q matches %q, which holds none of %q", expr, line, needles.Any)
			}
		}
	}
	if matched < 1000 || checked < 50000 {
		t.Fatalf("only %d lines matched of %d: the generators do not exercise the property", matched, checked)
	}
}

// asciiOnly keeps a line's bytes below 0x80, as an ASCII case-insensitive search sees
// them (lowering the rest would turn the Kelvin sign into k).
func asciiOnly(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 0x80 {
			b[i] = 0
		}
	}
	return string(b)
}

var (
	fieldValues = map[string][]string{
		"action":         {"ACCEPT", "REJECT", "accept", "reject"},
		"log-status":     {"OK", "NODATA", "SKIPDATA", "ok", "nodata"},
		"dstport":        {"22", "443", "53", "ssh", "1024-65535"},
		"srcport":        {"22", "443", "8080", "0"},
		"port":           {"22", "443"},
		"protocol":       {"6", "17", "tcp", "udp", "icmp"},
		"interface-id":   {"eni-0abc", "eni-0abc*", "ENI-0ABC", "*0ABC", "eni-0kk1"},
		"vpc-id":         {"vpc-1", "vpc-*"},
		"type":           {"IPv4", "ipv6"},
		"flow-direction": {"ingress", "egress", "in", "out"},
		"bytes":          {"100", "1k", "0"},
		"packets":        {"1", "10"},
		"start":          {"1418530010", "1418530010000"},
		"version":        {"2", "5"},
		"srcaddr":        {"10.0.0.1", "2001:db8::1"},
		"tcp-flags":      {"2", "syn", "18"},
	}
	words = []string{"reject", "accept", "nodata", "ingress", "tcp", "udp", "eni-0abc", "0abc", "OK", "-", "jec", "EPT", "vpc", "\"ACCEPT OK\"", "ip", "db8", "10.0.0", "22", "0:0"}
	ops   = []string{"=", "=", "=", "!=", ">", "<"}
)

func randomFilter(rng *rand.Rand, depth int) string {
	switch k := rng.IntN(10); {
	case depth > 0 && k < 2:
		return "(" + randomFilter(rng, depth-1) + " or " + randomFilter(rng, depth-1) + ")"
	case depth > 0 && k < 4:
		return randomFilter(rng, depth-1) + " and " + randomFilter(rng, depth-1)
	case depth > 0 && k < 5:
		return "not " + randomFilter(rng, depth-1)
	case k < 7:
		return words[rng.IntN(len(words))]
	}
	fields := make([]string, 0, len(fieldValues))
	for f := range fieldValues {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	f := fields[rng.IntN(len(fields))]
	vals := fieldValues[f]
	return f + ops[rng.IntN(len(ops))] + vals[rng.IntN(len(vals))]
}

// randomLine writes a record of format fm with values drawn to collide with the
// filters' values, in the many spellings the parser accepts.
func randomLine(rng *rand.Rand, fm *model.Format) string {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	num := func(xs ...string) string {
		v := pick(xs...)
		if rng.IntN(5) == 0 {
			v = "00" + v
		}
		return v
	}
	var cols []string
	for _, name := range fm.Names {
		var v string
		switch name {
		case "version":
			v = num("2", "5")
		case "interface-id":
			v = pick("eni-0abc", "ENI-0ABC", "eni-0\u212Akk1", "eni-0kk1", "eni-1234")
		case "srcaddr", "dstaddr":
			v = pick("10.0.0.1", "192.168.1.22", "2001:db8::1", "2001:0db8:0:0::1", "::ffff:a00:1", "::FFFF:10.0.0.1")
		case "srcport", "dstport":
			v = num("22", "443", "53", "8080", "0", "65535")
		case "protocol":
			v = num("6", "17", "1")
		case "packets", "bytes":
			v = num("1", "10", "100", "1000", "10000")
		case "start", "end":
			v = pick("1418530010", "1418530010000", "1418530070", "01418530010")
		case "action":
			v = pick("ACCEPT", "REJECT", "accept", "reject", "Reject", "rEJECT")
		case "log-status":
			v = pick("OK", "ok", "O\u212A", "NODATA", "nodata", "SKIPDATA", "\u017FKIPDATA")
		case "tcp-flags":
			v = num("2", "18", "3", "19")
		case "flow-direction":
			v = pick("ingress", "INGRESS", "egre\u017F\u017F", "egress", "ingre\u017Fs")
		case "type":
			v = pick("IPv4", "IPv6", "\u0130Pv4")
		case "vpc-id":
			v = pick("vpc-1", "VPC-1", "vpc-2")
		}
		if rng.IntN(12) == 0 && name != "version" {
			v = "-"
		}
		cols = append(cols, v)
	}
	sep := " "
	if rng.IntN(4) == 0 {
		sep = pick("\t", "  ", " \t")
	}
	return strings.Join(cols, sep)
}

func ExampleFilter_Needles() {
	f := filter.MustCompile("action=REJECT and dstport=22")
	fmt.Println(f.Needles().Any)
	// Output: [reject]
}
