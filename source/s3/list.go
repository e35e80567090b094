package s3

import (
	"context"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// objectRef is an object chosen for reading.
type objectRef struct {
	key  string
	size int64
	etag string
	end  time.Time // the time in its name, the end of its batch; zero when it has none
	// named: the location named this very object, so the window does not prune it.
	named bool
}

func (o objectRef) parquet() bool { return strings.HasSuffix(o.key, ".parquet") }

// plan is what walking the folders found: the day and hour folders to list, grouped by
// the day of their delivery times, and files found above them.
type plan struct {
	leaves  map[int64][]string // by the Unix time of the day's start
	loose   map[int64][]objectRef
	undated []objectRef
}

func (s *Source) listPage(ctx context.Context, in *awss3.ListObjectsV2Input) (*awss3.ListObjectsV2Output, error) {
	in.Bucket = aws.String(s.loc.Bucket)
	var out *awss3.ListObjectsV2Output
	err := s.cl.do(ctx, func(c *awss3.Client) error {
		var err error
		out, err = c.ListObjectsV2(ctx, in)
		return err
	})
	s.requests.Add(1)
	if err != nil {
		return nil, explainList(err, Location{Bucket: s.loc.Bucket, Prefix: aws.ToString(in.Prefix)}, s.cl.Region(), s.cfg.Profile)
	}
	return out, nil
}

// listWindow lists the objects whose names fall in w and hands them to send a day of
// delivery times at a time, each day's objects in name-time order (then by key), so that
// records come out in time order as far as the layout allows while the next day is
// still being listed.
func (s *Source) listWindow(ctx context.Context, w window, send func([]objectRef) error) error {
	p := &plan{leaves: map[int64][]string{}, loose: map[int64][]objectRef{}}
	if err := s.discover(ctx, w, s.loc.Prefix, p); err != nil {
		return err
	}
	var days []int64
	for d := range p.leaves {
		days = append(days, d)
	}
	for d := range p.loose {
		if _, ok := p.leaves[d]; !ok {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	for _, d := range days {
		objs := p.loose[d]
		for _, leaf := range p.leaves[d] {
			found, err := s.scanLeaf(ctx, w, leaf)
			if err != nil {
				return err
			}
			objs = append(objs, found...)
		}
		sortObjects(objs)
		if err := send(objs); err != nil {
			return err
		}
	}
	sortObjects(p.undated)
	return send(p.undated)
}

// dayOf is the start of t's UTC day, in Unix seconds.
func dayOf(t time.Time) int64 { return t.Unix() - t.Unix()%86400 }

func sortObjects(objs []objectRef) {
	slices.SortFunc(objs, func(a, b objectRef) int {
		if c := a.end.Compare(b.end); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
}

// rulesOut reports whether nothing under a folder is wanted: another service's logs,
// an account or Region not asked for, or dates outside the window.
func (s *Source) rulesOut(f folder, w window) bool {
	if f.service != "" && f.service != "vpcflowlogs" {
		return true
	}
	if f.account != "" && len(s.accounts) > 0 && !s.accounts[f.account] {
		return true
	}
	if f.region != "" && len(s.regions) > 0 && !s.regions[f.region] {
		return true
	}
	if start, end, ok := f.span(); ok && !w.overlaps(start, end) {
		return true
	}
	return false
}

// discover walks the folders under prefix with Delimiter "/", so that a folder outside
// the window (a year, a month, a day), of another account, Region or service is skipped
// whole from its name, down to the day (or hour) folders, which it leaves to scanLeaf.
// Files it meets on the way (a bucket of copied files, the named object) are judged by
// their names.
func (s *Source) discover(ctx context.Context, w window, prefix string, p *plan) error {
	f := parseFolder(prefix)
	if s.rulesOut(f, w) {
		return nil
	}
	if f.depth >= 3 && strings.HasSuffix(prefix, "/") {
		start, _, _ := f.span()
		day := dayOf(start)
		p.leaves[day] = append(p.leaves[day], prefix)
		return nil
	}
	var token *string
	for {
		out, err := s.listPage(ctx, &awss3.ListObjectsV2Input{Prefix: aws.String(prefix), Delimiter: aws.String("/"), ContinuationToken: token})
		if err != nil {
			return err
		}
		for _, cp := range out.CommonPrefixes {
			if err := s.discover(ctx, w, aws.ToString(cp.Prefix), p); err != nil {
				return err
			}
		}
		for _, o := range out.Contents {
			if ref, ok := s.consider(o, w); ok {
				if ref.end.IsZero() || ref.named {
					p.undated = append(p.undated, ref)
				} else {
					day := dayOf(ref.end)
					p.loose[day] = append(p.loose[day], ref)
				}
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return nil
		}
		token = out.NextContinuationToken
	}
}

// consider judges a listed object by its name: the time, the account and the Region in
// it. An object without a time in its name is read (there is nothing to judge it by),
// except folder markers and empty objects.
func (s *Source) consider(o types.Object, w window) (objectRef, bool) {
	key := aws.ToString(o.Key)
	ref := objectRef{key: key, size: aws.ToInt64(o.Size), etag: aws.ToString(o.ETag), named: key == s.loc.Prefix}
	if strings.HasSuffix(key, "/") || ref.size == 0 {
		return ref, false
	}
	fn, ok := parseFileName(path.Base(key))
	if !ok {
		return ref, true
	}
	ref.end = fn.end
	if ref.named {
		return ref, true
	}
	if fn.account != "" && len(s.accounts) > 0 && !s.accounts[fn.account] || fn.region != "" && len(s.regions) > 0 && !s.regions[fn.region] {
		return ref, false
	}
	return ref, w.keepsName(fn.end)
}

// scanLeaf lists a day or hour folder. A day folder holds either files or, with hourly
// partitions, hour folders: one request of one key tells which, and hour folders
// outside the window are skipped from their names.
func (s *Source) scanLeaf(ctx context.Context, w window, prefix string) ([]objectRef, error) {
	if parseFolder(prefix).depth == 3 {
		probe, err := s.listPage(ctx, &awss3.ListObjectsV2Input{Prefix: aws.String(prefix), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
		if err != nil {
			return nil, err
		}
		if len(probe.CommonPrefixes) > 0 {
			return s.scanHours(ctx, w, prefix)
		}
		if len(probe.Contents) == 0 {
			return nil, nil
		}
	}
	return s.scanFiles(ctx, w, prefix)
}

// scanHours lists the hour folders of a day (at most 24, one request) and scans those
// in the window.
func (s *Source) scanHours(ctx context.Context, w window, prefix string) ([]objectRef, error) {
	var objs []objectRef
	var token *string
	for {
		out, err := s.listPage(ctx, &awss3.ListObjectsV2Input{Prefix: aws.String(prefix), Delimiter: aws.String("/"), ContinuationToken: token})
		if err != nil {
			return nil, err
		}
		for _, cp := range out.CommonPrefixes {
			hour := aws.ToString(cp.Prefix)
			if s.rulesOut(parseFolder(hour), w) {
				continue
			}
			found, err := s.scanFiles(ctx, w, hour)
			if err != nil {
				return nil, err
			}
			objs = append(objs, found...)
		}
		for _, o := range out.Contents {
			if ref, ok := s.consider(o, w); ok {
				objs = append(objs, ref)
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return objs, nil
		}
		token = out.NextContinuationToken
	}
}

// scanFiles lists the files of a folder that fall in the window without listing the
// rest. Every flow log's files in a folder share a name stem ({account}_vpcflowlogs_
// {region}_{flow-log-id}_) followed by the time, so one request of one key finds a
// stem, a listing of the stem starting after the window's first minute finds its files
// in time order and stops at the window's end, and the next request starts after the
// stem to find the next flow log's.
func (s *Source) scanFiles(ctx context.Context, w window, prefix string) ([]objectRef, error) {
	var objs []objectRef
	after := ""
	for {
		probe, err := s.listPage(ctx, &awss3.ListObjectsV2Input{Prefix: aws.String(prefix), Delimiter: aws.String("/"),
			MaxKeys: aws.Int32(1), StartAfter: nonEmpty(after)})
		if err != nil {
			return nil, err
		}
		switch {
		case len(probe.CommonPrefixes) > 0:
			sub := aws.ToString(probe.CommonPrefixes[0].Prefix)
			if !s.rulesOut(parseFolder(sub), w) {
				found, err := s.scanFiles(ctx, w, sub)
				if err != nil {
					return nil, err
				}
				objs = append(objs, found...)
			}
			// Past every key under sub: '0' is the byte after '/'.
			after = strings.TrimSuffix(sub, "/") + "0"
		case len(probe.Contents) > 0:
			key := aws.ToString(probe.Contents[0].Key)
			fn, ok := parseFileName(key[len(prefix):])
			if !ok {
				if ref, keep := s.consider(probe.Contents[0], w); keep {
					objs = append(objs, ref)
				}
				after = key
				continue
			}
			found, err := s.listStem(ctx, w, prefix+fn.stem)
			if err != nil {
				return nil, err
			}
			objs = append(objs, found...)
			// Past every key of the stem: '`' is the byte after the stem's final '_'.
			after = prefix + strings.TrimSuffix(fn.stem, "_") + "`"
		default:
			return objs, nil
		}
	}
}

// listStem lists one flow log's files of a folder from the window's first minute, and
// stops at the first name past the window's end.
func (s *Source) listStem(ctx context.Context, w window, stem string) ([]objectRef, error) {
	var objs []objectRef
	in := &awss3.ListObjectsV2Input{Prefix: aws.String(stem), StartAfter: aws.String(stem + w.namesFrom().UTC().Format("20060102T1504"))}
	hi := w.namesUntil()
	for {
		out, err := s.listPage(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, o := range out.Contents {
			ref, keep := s.consider(o, w)
			if !ref.end.IsZero() && !hi.IsZero() && !ref.end.Before(hi) {
				return objs, nil
			}
			if keep {
				objs = append(objs, ref)
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return objs, nil
		}
		in.ContinuationToken, in.StartAfter = out.NextContinuationToken, nil
	}
}
