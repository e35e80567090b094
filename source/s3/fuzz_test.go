package s3

import (
	"strings"
	"testing"
)

// FuzzParseKey feeds arbitrary keys to the layout and file-name parsers and the URL
// parser: they must never panic, a folder's span must be a real stretch of time, and a
// file name's stem must be a prefix of the name that ends where the time starts.
func FuzzParseKey(f *testing.F) {
	f.Add("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/03/01/12/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20250301T1220Z_fe123456.log.gz")
	f.Add("AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2025/month=02/day=29/hour=23/")
	f.Add("p/AWSLogs/o-abcdef1234/123456789012/vpcflowlogs/eu-west-1/2024/")
	f.Add("s3://bucket/AWSLogs/")
	f.Fuzz(func(t *testing.T, key string) {
		fo := parseFolder(key)
		if start, end, ok := fo.span(); ok && !end.After(start) {
			t.Fatalf("%q: span [%s, %s)", key, start, end)
		}
		if fo.depth < 0 || fo.depth > 4 {
			t.Fatalf("%q: depth %d", key, fo.depth)
		}
		name := key[strings.LastIndex(key, "/")+1:]
		if fn, ok := parseFileName(name); ok {
			rest, found := strings.CutPrefix(name, fn.stem)
			if !found || !strings.HasPrefix(rest, fn.end.Format(stampLayout)) {
				t.Fatalf("%q: stem %q, time %s", name, fn.stem, fn.end)
			}
		}
		if loc, err := ParseURL(key); err == nil && (loc.Bucket == "" || !strings.Contains(key, loc.Bucket)) {
			t.Fatalf("%q: %+v", key, loc)
		}
	})
}

// FuzzClassify must never panic, give a kind for every segment, and give the layout's
// levels in AWS's order.
func FuzzClassify(f *testing.F) {
	for _, k := range []string{
		"AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/03/01/123456789012_vpcflowlogs_us-east-1_fl-1_20250301T1205Z_ab.log.gz",
		"pq/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2025/month=03/day=01/hour=12/f.log.parquet",
		"AWSLogs/o-abcdef1234/123456789012/vpcflowlogs/eu-west-1/2025/13/01/x", "AWSLogs/AWSLogs/", "", "/",
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		kinds := classify(key)
		if len(kinds) != len(strings.Split(key, "/")) {
			t.Fatalf("%d kinds for %q", len(kinds), key)
		}
		last := segOther
		for _, k := range kinds {
			if k == segOther || k == segAWSLogs || k == segOrg {
				continue
			}
			if k <= last {
				t.Fatalf("%q: levels out of order: %v", key, kinds)
			}
			last = k
		}
	})
}
