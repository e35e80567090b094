package model

import (
	"errors"
	"strings"
	"testing"
)

// v5AllFields is a record with every field of versions 2-5 in AWS's table order, the
// layout a header-less v5 file copied out of a console has.
const v5AllFields = "5 123456789012 eni-1235b8ca123456789 10.0.0.71 52.95.128.179 34210 80 6 7 471 1616729292 1616729349 ACCEPT OK " +
	"vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b 3 IPv4 10.0.0.71 52.95.128.179 " +
	"ap-southeast-2 apse2-az3 - - - S3 egress 8"

const tgwLine = "6 TransitGateway 123456789012 tgw-0123456789abcdef0 tgw-attach-0123456789abcdef0 123456789012 210987654321 " +
	"vpc-0123456789abcdef0 vpc-0fedcba9876543210 subnet-0123456789abcdef0 subnet-0fedcba9876543210 eni-0123456789abcdef0 eni-0fedcba9876543210 " +
	"use1-az1 use1-az2 tgw-attach-0fedcba9876543210 10.0.1.50 10.1.2.3 54321 443 6 150 12500 1699315200 1699315260 OK IPv4 0 0 0 0 2 us-east-1 egress - -"

func TestInferFormatRecognisesAWSLayouts(t *testing.T) {
	for _, tc := range []struct {
		line    string
		version int
		fields  int
	}{
		{"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", 2, 14},
		{"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA", 2, 14},
		{"2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK", 2, 14},
		{v5AllFields, 5, 29},
		{tgwLine, 6, 36},
	} {
		l, err := InferFormat([]byte(tc.line))
		if err != nil {
			t.Fatalf("%.40s...: %v", tc.line, err)
		}
		if l.Version != tc.version || len(l.Format.Fields) != tc.fields {
			t.Fatalf("%.40s...: inferred %s (%d fields)", tc.line, l.Name, len(l.Format.Fields))
		}
		p := NewParser("", l.Format)
		var r Flow
		if p.Parse([]byte(tc.line), &r) != LineRecord {
			t.Fatalf("%.40s...: does not parse in the inferred format: %v", tc.line, p.Stats().Samples)
		}
		if tc.version == 5 {
			if d := r.Direction; d != Egress || r.Text(FPktDstAWSService) != "S3" || r.Text(FVPCID) != "vpc-abcdefab012345678" || r.TCPFlags != 3 {
				t.Fatalf("v5 record read wrongly: %s", r.AppendRecord(nil))
			}
		}
		if tc.version == 6 {
			if c, ok := l.Format.Custom("tgw-id"); !ok || r.Text(c) != "tgw-0123456789abcdef0" || r.Bytes != 12500 {
				t.Fatalf("transit gateway record read wrongly: %s", r.AppendRecord(nil))
			}
		}
	}
}

func TestInferFormatLayoutsHaveDistinctCounts(t *testing.T) {
	seen := map[int]string{}
	for _, l := range Layouts {
		n := len(l.Format.Fields)
		if other, dup := seen[n]; dup {
			t.Fatalf("%s and %s both have %d fields: a count would not decide", l.Name, other, n)
		}
		seen[n] = l.Name
	}
	for _, n := range []int{14, 21, 25, 29, 36} {
		if _, ok := seen[n]; !ok {
			t.Errorf("no layout of %d fields", n)
		}
	}
}

func TestInferFormatRefusesWhatOnlyCountsMatch(t *testing.T) {
	for _, tc := range []struct {
		name, line, want string
	}{
		// AWS's own v3 example: 21 fields, but in a custom order.
		{"custom order", "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK", "interface-id"},
		{"wrong version", "3 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", "version field is 3, not 2"},
		{"not an interface", "2 123456789010 i-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", `"i-1235b8ca123456789" does not start with eni-`},
		{"not a time", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418 1418530070 ACCEPT OK", "not a Unix time"},
		{"bad account", "2 12345 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", "not 12 digits"},
		{"bad address", "2 123456789010 eni-1235b8ca123456789 172.31.16.300 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", "srcaddr"},
		{"17 fields", "a b c d e f g h i j k l m n o p q", "17 fields, which matches none"},
	} {
		_, err := InferFormat([]byte(tc.line))
		var ie *InferError
		if !errors.As(err, &ie) {
			t.Fatalf("%s: inferred a format (%v)", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--format '${version} ${account-id}") {
			t.Errorf("%s: %v", tc.name, err)
		}
		if ie.Fields != len(strings.Fields(tc.line)) {
			t.Errorf("%s: Fields = %d", tc.name, ie.Fields)
		}
		f, perr := ParseFormat(ie.Example)
		if perr != nil || len(f.Fields) != ie.Fields {
			t.Errorf("%s: the example %q is not a format of %d fields (%v)", tc.name, ie.Example, ie.Fields, perr)
		}
	}
}

func TestExampleFormatGoesBeyondKnownFields(t *testing.T) {
	f, err := ParseFormat(ExampleFormat(60))
	if err != nil || len(f.Fields) != 60 || f.Names[59] != "custom-60" || f.Names[13] != "log-status" {
		t.Fatalf("%v %v", f, err)
	}
}
