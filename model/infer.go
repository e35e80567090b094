package model

import (
	"bytes"
	"fmt"
	"strings"
)

// Layout is one of the record layouts AWS documents, by which a line without a header
// can be recognised: the default format, every field up to a version in AWS's table
// order, and the transit gateway format. Their field counts differ, so a line's count
// picks at most one, and the values' shapes confirm it.
type Layout struct {
	Name    string // "all fields of version 5", as a person would say it
	Version int    // what the version column holds
	Format  *Format
	// exactVersion: the version column must equal Version. The layouts beyond version 8
	// are less certain (FLOWLOGS.md), so for them any later version is accepted.
	exactVersion bool
}

// TransitGatewayFormatSpec is the default format of transit gateway flow logs (version
// 6), in AWS's order. Its tgw-* and packets-lost-* columns are not VPC fields and are
// kept as text columns.
const TransitGatewayFormatSpec = "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id " +
	"tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id " +
	"tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type " +
	"packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region " +
	"flow-direction pkt-src-aws-service pkt-dst-aws-service"

// Layouts lists the layouts InferFormat recognises, fewest fields first.
var Layouts = func() []Layout {
	var out []Layout
	for _, v := range []int{2, 3, 4, 5, 7, 8, 9, 10, 11} {
		var names []string
		for _, f := range KnownFields() {
			if fieldInfo[f].Version <= v {
				names = append(names, fieldInfo[f].Name)
			}
		}
		l := Layout{Name: fmt.Sprintf("all fields of version %d", v), Version: v, Format: MustParseFormat(strings.Join(names, " ")), exactVersion: v <= 8}
		if v == 2 {
			// The same format; naming it keeps DefaultFormat registered first, with ID 0.
			l.Name, l.Format = "the default format (version 2)", DefaultFormat
		}
		out = append(out, l)
	}
	tgw := Layout{Name: "the transit gateway format (version 6)", Version: 6, Format: MustParseFormat(TransitGatewayFormatSpec), exactVersion: true}
	out = append(out, tgw)
	for i := len(out) - 1; i > 0 && len(out[i].Format.Fields) < len(out[i-1].Format.Fields); i-- {
		out[i], out[i-1] = out[i-1], out[i]
	}
	return out
}()

// InferError says why no layout fits a line, and what to pass instead.
type InferError struct {
	Fields int    // white-space separated tokens on the line
	Reason string // why no layout fits
	// Example is a --format value with as many fields as the line, taken from AWS's
	// table in order: a start for the person to edit, not a guess at the real format.
	Example string
}

func (e *InferError) Error() string {
	return fmt.Sprintf("%s; pass --format with the flow log's fields in order (`aws ec2 describe-flow-logs` shows its LogFormat), for example --format '%s'",
		e.Reason, e.Example)
}

// InferFormat recognises the layout of a line that came without a header line: its
// field count must equal one of Layouts', and its values must have the shapes of that
// layout's fields (a version number first, interface IDs that start with eni-, transit
// gateway IDs with tgw-, addresses, Unix times, ACCEPT or REJECT, ...). The error, an
// *InferError, suggests a --format of the right length.
func InferFormat(line []byte) (Layout, error) {
	n := len(bytes.Fields(line))
	for _, l := range Layouts {
		if len(l.Format.Fields) != n {
			continue
		}
		if reason := l.mismatch(line); reason != "" {
			return Layout{}, &InferError{Fields: n, Reason: fmt.Sprintf("the line has %d fields like %s, but %s", n, l.Name, reason), Example: ExampleFormat(n)}
		}
		return l, nil
	}
	return Layout{}, &InferError{Fields: n, Reason: fmt.Sprintf("the line has %d fields, which matches none of AWS's layouts (%s)", n, layoutCounts()), Example: ExampleFormat(n)}
}

func layoutCounts() string {
	parts := make([]string, len(Layouts))
	for i, l := range Layouts {
		parts[i] = fmt.Sprint(len(l.Format.Fields))
	}
	return strings.Join(parts, ", ") + " fields"
}

// mismatch returns why the line is not a record of the layout, or "".
func (l Layout) mismatch(line []byte) string {
	p := NewParser("", l.Format)
	var r Flow
	if p.Parse(line, &r) != LineRecord {
		if s := p.Stats().Samples; len(s) > 0 {
			return s[0].Detail
		}
		return "it is not a record"
	}
	v, ok := r.Uint(FVersion)
	switch {
	case !ok:
		return "its version field is `-`"
	case l.exactVersion && v != uint64(l.Version):
		return fmt.Sprintf("its version field is %d, not %d", v, l.Version)
	case v < uint64(l.Version):
		return fmt.Sprintf("its version field is %d, below %d", v, l.Version)
	}
	if t, ok := r.Uint(FStart); ok && t < minPlausibleTime {
		return fmt.Sprintf("its start %d is not a Unix time", t)
	}
	f := l.Format
	for i, fld := range f.Fields {
		want, ok := idShapes[f.Names[i]]
		if !ok {
			continue
		}
		if v := r.Text(fld); v != "" && !hasAnyPrefix(v, want) {
			return fmt.Sprintf("its %s %q does not start with %s", f.Names[i], v, strings.Join(want, " or "))
		}
	}
	if a := r.Text(FAccountID); a != "" && a != "unknown" && !isAccountID(a) {
		return fmt.Sprintf("its account-id %q is not 12 digits", a)
	}
	return ""
}

// minPlausibleTime is 2001-09-09: flow logs started in 2015, so a smaller start is not
// a Unix time in seconds (nor in milliseconds, which the parser scales down).
const minPlausibleTime = 1_000_000_000

// idShapes are the prefixes the identifier columns' values start with.
var idShapes = map[string][]string{
	"interface-id":      {"eni-"},
	"vpc-id":            {"vpc-"},
	"subnet-id":         {"subnet-"},
	"instance-id":       {"i-"},
	"type":              {"IPv4", "IPv6", "EFA"},
	"resource-type":     {"TransitGateway"},
	"tgw-id":            {"tgw-"},
	"tgw-attachment-id": {"tgw-attach-"},
	"tgw-src-vpc-id":    {"vpc-"},
	"tgw-dst-vpc-id":    {"vpc-"},
	"tgw-src-subnet-id": {"subnet-"},
	"tgw-dst-subnet-id": {"subnet-"},
	"tgw-src-eni":       {"eni-"},
	"tgw-dst-eni":       {"eni-"},
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ExampleFormat returns a format of n fields for a message to suggest: AWS's fields in
// table order (the default format first), then custom-N names beyond them.
func ExampleFormat(n int) string {
	n = min(max(n, 1), MaxColumns)
	names := make([]string, 0, n)
	for _, f := range KnownFields() {
		if len(names) == n {
			break
		}
		names = append(names, "${"+fieldInfo[f].Name+"}")
	}
	for i := len(names); i < n; i++ {
		names = append(names, fmt.Sprintf("${custom-%d}", i+1))
	}
	return strings.Join(names, " ")
}
