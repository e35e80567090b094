package s3

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Location is what an s3:// argument names: a bucket and a key prefix.
type Location struct {
	Bucket string
	Prefix string
}

func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Prefix }

// IsURL reports whether a command-line argument names S3 rather than a file: s3://...,
// or the bucket ARN a flow log's LogDestination shows (arn:aws:s3:::bucket/prefix).
func IsURL(arg string) bool {
	return strings.HasPrefix(arg, "s3://") || strings.HasPrefix(arg, "arn:aws:s3:::") ||
		strings.HasPrefix(arg, "arn:aws-cn:s3:::") || strings.HasPrefix(arg, "arn:aws-us-gov:s3:::")
}

// ParseURL reads s3://bucket/prefix (or a bucket ARN with a prefix).
func ParseURL(arg string) (Location, error) {
	rest, ok := strings.CutPrefix(arg, "s3://")
	if !ok {
		if i := strings.Index(arg, ":s3:::"); i >= 0 && strings.HasPrefix(arg, "arn:") {
			rest, ok = arg[i+len(":s3:::"):], true
		}
	}
	if !ok {
		return Location{}, fmt.Errorf("%q is not an S3 location: want s3://bucket/prefix", arg)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if err := checkBucketName(bucket); err != nil {
		return Location{}, fmt.Errorf("%q: %v", arg, err)
	}
	return Location{Bucket: bucket, Prefix: prefix}, nil
}

// checkBucketName applies S3's naming rules loosely: enough to catch a typo such as
// s3:/bucket or an upper-case name, not to second-guess S3.
func checkBucketName(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", b)
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return fmt.Errorf("bucket name %q may only hold lower-case letters, digits, '.' and '-'", b)
		}
	}
	return nil
}

// folder is what a key prefix says about the files under it, read from AWS's layouts:
//
//	[prefix/]AWSLogs/[org-id/]{account}/vpcflowlogs/{region}/YYYY/MM/DD/[HH/]
//	[prefix/]AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year=YYYY/month=MM/day=DD/[hour=HH/]
//
// Only whole segments count: in "AWSLogs/1234" the last segment may be the start of
// longer names, and says nothing yet.
type folder struct {
	account string
	service string // the service folder; flow logs are under vpcflowlogs
	region  string
	hive    bool
	// date holds year, month, day and hour; depth says how many of them the path gives
	// (0 none, 3 a day folder, 4 an hour folder).
	date  [4]int
	depth int
}

// layout states: which segment of AWS's layout comes next.
const (
	stOutside = iota // before AWSLogs/, in the bucket's own folders
	stAccount        // after AWSLogs/ (or an organisation ID): the account
	stService
	stRegion
	stYear
	stMonth
	stDay
	stHour
	stFiles // nothing of the layout follows
)

func parseFolder(prefix string) folder {
	var f folder
	segs := strings.Split(prefix, "/")
	segs = segs[:len(segs)-1] // the last one is not whole
	state := stOutside
	for _, seg := range segs {
		switch state {
		case stOutside:
			if seg == "AWSLogs" {
				state = stAccount
			}
		case stAccount:
			switch {
			case isOrgID(seg):
				// an organisation level before the account: stay
			case isAccountID(seg):
				f.account, state = seg, stService
			case strings.HasPrefix(seg, "aws-account-id="):
				f.account, f.hive, state = seg[len("aws-account-id="):], true, stService
			default:
				// Not AWS's layout after all: a folder that happens to be named AWSLogs.
				f, state = folder{}, stOutside
			}
		case stService:
			f.service = strings.TrimPrefix(seg, "aws-service=")
			state = stRegion
		case stRegion:
			f.region = strings.TrimPrefix(seg, "aws-region=")
			state = stYear
		case stYear, stMonth, stDay, stHour:
			i := state - stYear
			v, ok := dateSegment(seg, [4]string{"year=", "month=", "day=", "hour="}[i], [4]int{4, 2, 2, 2}[i])
			lo, hi := [4]int{1970, 1, 1, 0}[i], [4]int{9999, 12, 31, 23}[i]
			if !ok || v < lo || v > hi {
				return f // an unexpected folder: what is known so far still holds
			}
			f.date[i], f.depth = v, i+1
			state++
		}
	}
	return f
}

func dateSegment(seg, hivePrefix string, digits int) (int, bool) {
	seg = strings.TrimPrefix(seg, hivePrefix)
	if len(seg) != digits {
		return 0, false
	}
	v, err := strconv.Atoi(seg)
	return v, err == nil
}

func isAccountID(s string) bool { return len(s) == 12 && allDigits(s) }

// isOrgID recognises an AWS Organizations ID (o- and 10 to 32 lower-case letters or
// digits), the level some organisations' central buckets put before the account.
func isOrgID(s string) bool {
	if !strings.HasPrefix(s, "o-") || len(s) < 12 || len(s) > 34 {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// span is the stretch of delivery times a folder with a date holds: a year, a month, a
// day or an hour, in UTC; ok is false for a folder without one.
func (f folder) span() (start, end time.Time, ok bool) {
	if f.depth == 0 {
		return time.Time{}, time.Time{}, false
	}
	d := [4]int{f.date[0], 1, 1, 0}
	copy(d[:f.depth], f.date[:f.depth])
	start = time.Date(d[0], time.Month(d[1]), d[2], d[3], 0, 0, 0, time.UTC)
	switch f.depth {
	case 1:
		end = start.AddDate(1, 0, 0)
	case 2:
		end = start.AddDate(0, 1, 0)
	case 3:
		end = start.AddDate(0, 0, 1)
	default:
		end = start.Add(time.Hour)
	}
	return start, end, true
}

// fileName is what a flow log file's name says:
// {account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz.
type fileName struct {
	// stem is the name up to the time, the part every file of one flow log in a folder
	// shares: listing stem+time from a minute on finds that flow log's files in order.
	stem    string
	account string
	region  string
	end     time.Time // the end of the file's batch, a delivery time
}

// stampLayout is the time in a file name, to the minute.
const stampLayout = "20060102T1504Z"

func parseFileName(name string) (fileName, bool) {
	if strings.Contains(name, "/") {
		return fileName{}, false
	}
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		p := parts[i]
		if len(p) != len(stampLayout) || p[8] != 'T' || p[13] != 'Z' {
			continue
		}
		t, err := time.Parse(stampLayout, p)
		if err != nil {
			continue
		}
		fn := fileName{stem: strings.Join(parts[:i], "_") + "_", end: t.UTC()}
		if i >= 3 && parts[1] == "vpcflowlogs" {
			fn.account, fn.region = parts[0], parts[2]
		}
		return fn, true
	}
	return fileName{}, false
}
