package model

import "testing"

// BenchmarkParseDefault measures the DESIGN budget: <= 200 ns and 0 allocations per
// default-format record on one core. The lines are IPv4, as nearly all records are;
// BenchmarkParseDefaultMixed adds an IPv6 one.
func BenchmarkParseDefault(b *testing.B) {
	benchParse(b, nil, [][]byte{
		[]byte("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"),
		[]byte("2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 49152 443 6 1432 1048576 1418530010 1418530070 REJECT OK"),
		[]byte("2 123456789010 eni-0aa0bb0cc0dd0ee0f 10.20.30.40 198.51.100.7 53 61234 17 1 89 1418530010 1418530070 ACCEPT OK"),
	})
}

func BenchmarkParseDefaultMixed(b *testing.B) {
	lines := [][]byte{
		[]byte("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"),
		[]byte("2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 49152 443 6 1432 1048576 1418530010 1418530070 REJECT OK"),
		[]byte("2 123456789010 eni-0aa0bb0cc0dd0ee0f 10.20.30.40 198.51.100.7 53 61234 17 1 89 1418530010 1418530070 ACCEPT OK"),
		[]byte("2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK"),
	}
	benchParse(b, nil, lines)
}

func BenchmarkParseV5(b *testing.B) {
	lines := [][]byte{
		[]byte("5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK"),
		[]byte("5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK"),
	}
	benchParse(b, MustParseFormat(v5Format), lines)
}

func benchParse(b *testing.B, f *Format, lines [][]byte) {
	p := NewParser("bench", f)
	var r Flow
	var size int
	for _, l := range lines {
		size += len(l) + 1
	}
	b.SetBytes(int64(size / len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p.Parse(lines[i%len(lines)], &r) != LineRecord {
			b.Fatal("not a record")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}
