package s3

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	gzip "github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/parquetlog"
)

// TableLayout is what an Athena table over a location of flow logs needs to know: how
// the keys below the location are laid out (a storage.location.template for partition
// projection), the values its account and Region levels take, where its dates start,
// and the records' columns, from a header line or a Parquet schema.
type TableLayout struct {
	// Location is the table's LOCATION, s3://bucket/prefix/.
	Location string
	// Template is the storage.location.template: Location followed by the layout's
	// folders, with ${aws_account}, ${aws_region} and ${PartitionDate} where those
	// levels lie below the location.
	Template string
	Hive     bool
	Hourly   bool
	Parquet  bool
	// Accounts and Regions are the values found at those levels (sorted), when the
	// levels lie below the location (they are then partitions); nil otherwise.
	Accounts, Regions []string
	// PartitionDate names the date partition ("day", or "hour" for hourly
	// partitions), "" when the location is below the dates. DateFormat is its Java
	// date pattern (yyyy/MM/dd, 'year='yyyy/'month='MM/'day='dd, ...), DateUnit DAYS or
	// HOURS, FirstDate the earliest date found.
	PartitionDate, DateFormat, DateUnit string
	FirstDate                           time.Time
	// Format is the records' columns, from the sample object.
	Format *model.Format
	Sample string // the object whose header line or schema gave Format
}

// segment kinds of a key, in AWS's layouts.
type segKind uint8

const (
	segOther segKind = iota // the bucket's own folders, or a file
	segAWSLogs
	segOrg
	segAccount
	segService
	segRegion
	segYear
	segMonth
	segDay
	segHour
)

// classify names what each folder of a key is in AWS's layouts (the last segment, the
// file, is segOther).
func classify(key string) []segKind {
	segs := strings.Split(key, "/")
	kinds := make([]segKind, len(segs))
	state := stOutside
	for i, seg := range segs[:len(segs)-1] {
		switch state {
		case stOutside:
			if seg == "AWSLogs" {
				kinds[i], state = segAWSLogs, stAccount
			}
		case stAccount:
			switch {
			case isOrgID(seg):
				kinds[i] = segOrg
			case isAccountID(seg) || strings.HasPrefix(seg, "aws-account-id="):
				kinds[i], state = segAccount, stService
			default:
				state = stOutside
			}
		case stService:
			kinds[i], state = segService, stRegion
		case stRegion:
			kinds[i], state = segRegion, stYear
		case stYear, stMonth, stDay, stHour:
			j := state - stYear
			if _, ok := dateSegment(seg, [4]string{"year=", "month=", "day=", "hour="}[j], [4]int{4, 2, 2, 2}[j]); !ok {
				state = stFiles
				continue
			}
			kinds[i] = [4]segKind{segYear, segMonth, segDay, segHour}[j]
			state++
		}
	}
	return kinds
}

// Discover looks at the flow logs under cfg.URL for an Athena table over them: it
// follows the first folder of each level down to one object, lists the accounts and
// Regions found at their levels, finds the earliest date, and reads the sample
// object's header line (the first few kilobytes) or Parquet schema (ranged reads);
// cfg.Format, when set, gives the columns of text objects instead (header-less ones).
// Only cfg.Client, URL, Format and Profile are used.
func Discover(ctx context.Context, cfg Config) (*TableLayout, error) {
	if cfg.Client == nil {
		return nil, errors.New("s3: no S3 client")
	}
	loc, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if loc.Prefix != "" && !strings.HasSuffix(loc.Prefix, "/") {
		loc.Prefix += "/"
	}
	s := &Source{cfg: cfg, loc: loc, cl: newClient(cfg.Client)}
	sample, err := s.firstObject(ctx, loc.Prefix)
	if err != nil {
		return nil, err
	}
	if sample == "" {
		return nil, &Error{Bucket: loc.Bucket, Msg: fmt.Sprintf("no flow log objects under %s", loc)}
	}
	l := &TableLayout{Location: loc.String(), Sample: sample, Parquet: strings.HasSuffix(sample, ".parquet")}
	if err := s.layoutOf(ctx, l, loc.Prefix, sample); err != nil {
		return nil, err
	}
	if l.Format = cfg.Format; l.Format != nil && !l.Parquet {
		return l, nil // --format: the objects' columns are given (Parquet names its own)
	}
	if l.Format, err = s.sampleFormat(ctx, sample, l.Parquet); err != nil {
		return nil, err
	}
	return l, nil
}

// firstObject returns the first object (in key order) of a flow log under prefix,
// skipping other services' logs; "" when there is none.
func (s *Source) firstObject(ctx context.Context, prefix string) (string, error) {
	var token *string
	for {
		out, err := s.listPage(ctx, &awss3.ListObjectsV2Input{Prefix: aws.String(prefix), Delimiter: aws.String("/"), ContinuationToken: token})
		if err != nil {
			return "", err
		}
		for _, o := range out.Contents {
			if k := aws.ToString(o.Key); aws.ToInt64(o.Size) > 0 && !strings.HasSuffix(k, "/") {
				return k, nil
			}
		}
		for _, cp := range out.CommonPrefixes {
			p := aws.ToString(cp.Prefix)
			if f := parseFolder(p); f.service != "" && f.service != "vpcflowlogs" {
				continue
			}
			k, err := s.firstObject(ctx, p)
			if err != nil || k != "" {
				return k, err
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return "", nil
		}
		token = out.NextContinuationToken
	}
}

// layoutOf builds the template from the sample's folders below the location, and
// lists the values of its account and Region levels and the earliest date.
func (s *Source) layoutOf(ctx context.Context, l *TableLayout, prefix, sample string) error {
	segs := strings.Split(sample, "/")
	kinds := classify(sample)
	first := len(strings.Split(prefix, "/")) - 1 // the first segment below the location
	var tmpl []string
	var dateSegs []string
	for i := first; i < len(segs)-1; i++ {
		seg := segs[i]
		hive := strings.Contains(seg, "=")
		parent := strings.Join(segs[:i], "/") + "/"
		switch kinds[i] {
		case segAccount:
			l.Hive = l.Hive || hive
			vals, err := s.levelValues(ctx, parent, "aws-account-id=")
			if err != nil {
				return err
			}
			l.Accounts = vals
			tmpl = append(tmpl, hivePrefix(hive, "aws-account-id=")+"${aws_account}")
		case segRegion:
			l.Hive = l.Hive || hive
			var all []string
			// Every account's Regions: an organisation's bucket has accounts in
			// different Regions.
			accountParents := []string{parent}
			if slices.Contains(kinds[first:i], segAccount) && len(l.Accounts) > 0 {
				accountParents = nil
				j := slices.Index(kinds, segAccount)
				for _, a := range l.Accounts {
					p := append(slices.Clone(segs[:j]), hivePrefix(hive, "aws-account-id=")+a)
					p = append(p, segs[j+1:i]...)
					accountParents = append(accountParents, strings.Join(p, "/")+"/")
				}
			}
			for _, p := range accountParents {
				vals, err := s.levelValues(ctx, p, "aws-region=")
				if err != nil {
					return err
				}
				all = append(all, vals...)
			}
			slices.Sort(all)
			l.Regions = slices.Compact(all)
			tmpl = append(tmpl, hivePrefix(hive, "aws-region=")+"${aws_region}")
		case segYear, segMonth, segDay, segHour:
			l.Hive = l.Hive || hive
			dateSegs = append(dateSegs, seg)
			if len(dateSegs) == 1 {
				tmpl = append(tmpl, "${date}")
			}
		default:
			tmpl = append(tmpl, seg)
		}
	}
	if n := len(dateSegs); n > 0 {
		l.Hourly = slices.Contains(kinds, segHour)
		if n < 3 || n == 3 && l.Hourly {
			// The location is inside the date folders: a partial date is no partition.
			tmpl = tmpl[:len(tmpl)-1]
			tmpl = append(tmpl, dateSegs...)
		} else {
			l.PartitionDate, l.DateUnit = "day", "DAYS"
			parts := []string{"'year='yyyy", "'month='MM", "'day='dd", "'hour='HH"}
			if !l.Hive {
				parts = []string{"yyyy", "MM", "dd", "HH"}
			}
			if l.Hourly {
				l.PartitionDate, l.DateUnit = "hour", "HOURS"
			} else {
				parts = parts[:3]
			}
			l.DateFormat = strings.Join(parts, "/")
			for i, t := range tmpl {
				if t == "${date}" {
					tmpl[i] = "${" + l.PartitionDate + "}"
				}
			}
			yearAt := slices.Index(kinds, segYear)
			first, err := s.earliestDate(ctx, strings.Join(segs[:yearAt], "/")+"/", l.Hourly)
			if err != nil {
				return err
			}
			l.FirstDate = first
		}
	}
	l.Template = strings.TrimSuffix(l.Location, "/") + "/" + strings.Join(tmpl, "/")
	l.Template = strings.TrimSuffix(l.Template, "/")
	return nil
}

func hivePrefix(hive bool, p string) string {
	if hive {
		return p
	}
	return ""
}

// levelValues lists the folder names under parent (without a Hive key= prefix).
func (s *Source) levelValues(ctx context.Context, parent, hiveKey string) ([]string, error) {
	var vals []string
	var token *string
	for {
		out, err := s.listPage(ctx, &awss3.ListObjectsV2Input{Prefix: aws.String(parent), Delimiter: aws.String("/"), ContinuationToken: token})
		if err != nil {
			return nil, err
		}
		for _, cp := range out.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), parent), "/")
			vals = append(vals, strings.TrimPrefix(name, hiveKey))
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			break
		}
		token = out.NextContinuationToken
	}
	slices.Sort(vals)
	return vals, nil
}

// earliestDate follows the first year, month, day (and hour) folders under a Region.
func (s *Source) earliestDate(ctx context.Context, prefix string, hourly bool) (time.Time, error) {
	levels := 3
	if hourly {
		levels = 4
	}
	for i := 0; i < levels; i++ {
		out, err := s.listPage(ctx, &awss3.ListObjectsV2Input{Prefix: aws.String(prefix), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
		if err != nil {
			return time.Time{}, err
		}
		if len(out.CommonPrefixes) == 0 {
			break
		}
		prefix = aws.ToString(out.CommonPrefixes[0].Prefix)
	}
	start, _, ok := parseFolder(prefix).span()
	if !ok {
		return time.Time{}, fmt.Errorf("s3://%s/%s: no date folders", s.loc.Bucket, prefix)
	}
	return start, nil
}

// sampleFormat reads the columns of one object: the header line of a text object
// (the first 64 KiB, through gzip), or a Parquet object's schema.
func (s *Source) sampleFormat(ctx context.Context, key string, parquet bool) (*model.Format, error) {
	name := "s3://" + s.loc.Bucket + "/" + key
	var head *awss3.HeadObjectOutput
	err := s.cl.do(ctx, func(c *awss3.Client) error {
		var err error
		head, err = c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(key)})
		return err
	})
	if err != nil {
		return nil, explainGet(ctx, s.cl, err, s.loc, key, s.cfg.Profile)
	}
	obj := objectRef{key: key, size: aws.ToInt64(head.ContentLength), etag: aws.ToString(head.ETag)}
	if parquet {
		rd, err := parquetlog.NewReader(s.openRange(ctx, obj), obj.size)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		defer rd.Close()
		return rd.Format(), nil
	}
	var out *awss3.GetObjectOutput
	err = s.cl.do(ctx, func(c *awss3.Client) error {
		var err error
		out, err = c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(key), Range: aws.String("bytes=0-65535")})
		return err
	})
	if err != nil {
		return nil, explainGet(ctx, s.cl, err, s.loc, key, s.cfg.Profile)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var r io.Reader = bytes.NewReader(data)
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		r = zr
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		return nil, fmt.Errorf("%s: no first line: %v", name, err)
	}
	f, ok, err := model.ParseHeaderLine([]byte(strings.TrimSpace(line)))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: bad header line: %v", name, err)
	case !ok:
		return nil, fmt.Errorf("%s has no header line, so its columns are not known: pass --format with the flow log's format", name)
	}
	return f, nil
}
