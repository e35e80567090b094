package s3

import (
	"testing"
	"time"
)

func TestParseFolderReadsAWSLayouts(t *testing.T) {
	for _, tc := range []struct {
		prefix           string
		account, service string
		region           string
		depth            int
		date             [4]int
	}{
		{"AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/03/01/", "123456789012", "vpcflowlogs", "us-east-1", 3, [4]int{2025, 3, 1, 0}},
		{"logs/AWSLogs/o-abcdef1234/123456789012/vpcflowlogs/eu-west-1/2025/03/01/16/", "123456789012", "vpcflowlogs", "eu-west-1", 4, [4]int{2025, 3, 1, 16}},
		{"AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2025/month=03/day=01/hour=00/", "123456789012", "vpcflowlogs", "us-east-1", 4, [4]int{2025, 3, 1, 0}},
		{"AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/03/0", "123456789012", "vpcflowlogs", "us-east-1", 2, [4]int{2025, 3, 0, 0}},
		{"AWSLogs/123456789012/CloudTrail/", "123456789012", "CloudTrail", "", 0, [4]int{}},
		{"AWSLogs/1234", "", "", "", 0, [4]int{}},
		{"copied/AWSLogs/notanaccount/vpcflowlogs/us-east-1/2025/", "", "", "", 0, [4]int{}},
		{"AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/13/", "123456789012", "vpcflowlogs", "us-east-1", 1, [4]int{2025, 0, 0, 0}},
	} {
		f := parseFolder(tc.prefix)
		if f.account != tc.account || f.service != tc.service || f.region != tc.region || f.depth != tc.depth || f.date != tc.date {
			t.Errorf("%s: %+v", tc.prefix, f)
		}
	}
	f := parseFolder("AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2025/")
	if !f.hive {
		t.Error("hive layout not noticed")
	}
}

func TestFolderSpans(t *testing.T) {
	for _, tc := range []struct {
		prefix     string
		start, end string
	}{
		{"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"},
		{"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/12/", "2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z"},
		{"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/02/29/", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"},
		{"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/02/29/23/", "2024-02-29T23:00:00Z", "2024-03-01T00:00:00Z"},
	} {
		start, end, ok := parseFolder(tc.prefix).span()
		if !ok || start.Format(time.RFC3339) != tc.start || end.Format(time.RFC3339) != tc.end {
			t.Errorf("%s: [%s, %s) %v", tc.prefix, start.Format(time.RFC3339), end.Format(time.RFC3339), ok)
		}
	}
	if _, _, ok := parseFolder("AWSLogs/123456789012/vpcflowlogs/us-east-1/").span(); ok {
		t.Error("a folder without a date has a span")
	}
}

func TestParseFileName(t *testing.T) {
	fn, ok := parseFileName("123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz")
	if !ok || fn.stem != "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_" || fn.account != "123456789012" || fn.region != "us-east-1" ||
		!fn.end.Equal(time.Date(2018, 6, 20, 16, 20, 0, 0, time.UTC)) {
		t.Fatalf("%+v %v", fn, ok)
	}
	if fn, ok := parseFileName("111122223333_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_20250301T0005Z_0a1b2c3d.log.parquet"); !ok || fn.end.Minute() != 5 {
		t.Fatalf("parquet name: %+v %v", fn, ok)
	}
	for _, bad := range []string{"flows.log.gz", "x_20250301T0005_y.log.gz", "a_20251301T0005Z_b.gz", "dir/a_20250301T0005Z_b"} {
		if _, ok := parseFileName(bad); ok {
			t.Errorf("%s: parsed as a flow log file name", bad)
		}
	}
}

func TestWindowWidensOnlyTheUpperBound(t *testing.T) {
	since := time.Date(2025, 3, 1, 10, 0, 30, 0, time.UTC)
	w := window{since: since, until: since.Add(2 * time.Hour), margin: 20 * time.Minute}
	for _, tc := range []struct {
		name string
		keep bool
	}{
		{"2025-03-01T09:59:00Z", false}, // ends before since: only older records
		{"2025-03-01T10:00:00Z", true},  // the name has minutes; the batch may end after since
		{"2025-03-01T12:00:00Z", true},
		{"2025-03-01T12:19:00Z", true}, // delivered late, may hold records before until
		{"2025-03-01T12:20:30Z", false},
	} {
		at, _ := time.Parse(time.RFC3339, tc.name)
		if w.keepsName(at) != tc.keep {
			t.Errorf("name time %s: keep = %v", tc.name, !tc.keep)
		}
	}
	if !w.overlaps(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC)) {
		t.Error("the hour after until is needed for the margin")
	}
	if w.overlaps(time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("the day before since is not needed")
	}
}

func TestParseURL(t *testing.T) {
	for arg, want := range map[string]Location{
		"s3://my-logs/AWSLogs/":                  {"my-logs", "AWSLogs/"},
		"s3://my-logs":                           {"my-logs", ""},
		"arn:aws:s3:::my-logs/team/":             {"my-logs", "team/"},
		"s3://my.logs/x/y.log.gz":                {"my.logs", "x/y.log.gz"},
		"arn:aws-us-gov:s3:::gov-logs/AWSLogs/1": {"gov-logs", "AWSLogs/1"},
	} {
		if !IsURL(arg) {
			t.Errorf("%s: not taken for S3", arg)
		}
		got, err := ParseURL(arg)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v", arg, got, err)
		}
	}
	for _, bad := range []string{"s3://", "s3://AB/x", "s3:/bucket", "/tmp/x"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
