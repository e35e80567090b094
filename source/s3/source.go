// Package s3 reads VPC flow logs where most organisations keep them: the objects a flow
// log delivers to an S3 bucket. It understands AWS's key layouts and prunes by time
// before it downloads anything, downloads several objects at once, streams each through
// gzip (or reads Parquet with ranged requests) into the same parser as files, without
// writing to disk, and hands the records on in the objects' name-time order.
//
// Time: records whose start lies in [Since, Until) are delivered. Folder and file-name
// times are delivery times, later than the records in them, so the listing reads names
// from Since up to Until plus a delivery margin (DefaultDeliveryMargin), and the records
// are filtered exactly. Following polls for new objects and reads each one once.
//
// The Source runs headless with Run, which calls a function with each chunk of records
// and the overall progress; the explorer's feed wraps the same call.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/clock"
)

// Defaults of Config.
const (
	// DefaultSince is the window without --since: an hour, not CloudWatch's 15 minutes,
	// because the last ten minutes or so are not delivered to S3 yet.
	DefaultSince = time.Hour
	// DefaultDeliveryMargin widens the listing past Until: a record's window closes up
	// to 10 minutes after its start (the largest aggregation interval), and AWS delivers
	// to S3 "in about 10 minutes", on a best-effort basis.
	DefaultDeliveryMargin = 20 * time.Minute
	// DefaultPollEvery is how often a followed bucket is listed for new objects; flow
	// logs deliver every 5 (or 10) minutes, and a listing is a few cheap requests.
	DefaultPollEvery = time.Minute
	// DefaultMaxFailures is how many objects in a row may fail before reading stops:
	// one unreadable object is reported and skipped, a run of them means the rest will
	// fail the same way.
	DefaultMaxFailures = 5
)

// Config says what to read and how.
type Config struct {
	// Client is the S3 client (build it with awsclient.NewS3); a bucket in another
	// Region than the client's is followed there.
	Client *awss3.Client
	// URL is s3://bucket/prefix: a bucket, a folder of it (AWSLogs/..., any depth of
	// AWS's layouts, or a folder of copied files), or one object.
	URL string
	// Accounts and Regions narrow AWS's layouts to these accounts and flow-log Regions
	// (folder names; not the API Region of the client).
	Accounts []string
	Regions  []string
	// ENIs keeps only the records of these network interfaces (--eni). The key layout
	// does not name interfaces, so every object of the window is still read; a record
	// without an interface-id column is kept, as there is nothing to judge it by.
	ENIs []string
	// Since and Until select records whose start lies in [Since, Until). Zero Since is
	// DefaultSince before now; zero Until is now, or open when following. One object
	// named by URL is read whatever its name's time, and its records are filtered.
	Since, Until time.Time
	// Follow keeps polling for new objects after the window is read.
	Follow bool
	// Format is --format: the records' format where objects have no header line.
	Format *model.Format
	// Workers parse in parallel (0: one per CPU); Concurrency objects download at once
	// (0: source.DefaultAhead).
	Workers     int
	Concurrency int
	// DeliveryMargin widens the listing past Until (0: DefaultDeliveryMargin); following,
	// it is how far back each poll looks for objects delivered late.
	DeliveryMargin time.Duration
	PollEvery      time.Duration // 0: DefaultPollEvery
	MaxFailures    int           // 0: DefaultMaxFailures
	// Profile only shapes messages ("profile prod needs s3:GetObject ...").
	Profile string
	// Clock is the time the source works by; tests inject one they advance.
	Clock Clock
}

// Clock is the time the source works by (source/clock).
type Clock = clock.Clock

// Progress is how far a source has come.
type Progress struct {
	Bucket string
	Region string // where the bucket's requests go
	// Listing: more objects may still be listed (or, following, are being polled for).
	Listing   bool
	Following bool
	// Objects chosen so far (after pruning) and their size, and how many of them are
	// read; Failed of them could not be (each was reported in its chunk).
	Objects, ObjectsDone, Failed int
	Bytes, BytesDone             int64
	Current                      string // the object being handed on
	// Requests counts ListObjectsV2 requests, to show what the pruning saved.
	Requests int64
	// OutOfWindow counts records read but dropped because their start lies outside
	// [Since, Until): objects hold records up to the delivery margin around it.
	OutOfWindow int64
	// OtherInterfaces counts records dropped because Config.ENIs does not name their
	// interface.
	OtherInterfaces int64
	Polls           int
	LastPoll        time.Time
	LastError       string // the last listing failure while following (it is retried)
}

// Chunk is what Run hands its function: a chunk of one object's records (the embedded
// source.Chunk, whose Progress is the object's) and the overall progress.
type Chunk struct {
	*source.Chunk
	Overall Progress
}

// Source reads flow log objects from S3. New does the start-up work (checking the
// bucket, its Region and the permission to list it), so that its errors come before a
// screen opens; then Run reads once.
type Source struct {
	cfg      Config
	loc      Location
	cl       *client
	clock    Clock
	w        window
	accounts map[string]bool
	regions  map[string]bool
	enis     map[string]bool
	// single: the location is one object that cannot be listed (no s3:ListBucket); it
	// is read directly.
	single   *objectRef
	warnings []string

	requests    atomic.Int64
	outOfWindow atomic.Int64
	otherENI    atomic.Int64
	used        atomic.Bool

	mu   sync.Mutex
	prog Progress
	// queued are the objects handed to the reader, by their index in arrival order,
	// until they are read.
	queued  map[int]objectRef
	next    int
	doneLen int64 // bytes of the objects read
	seen    map[string]time.Time
}

// New checks the configuration and the bucket.
func New(ctx context.Context, cfg Config) (*Source, error) {
	if cfg.Client == nil {
		return nil, errors.New("s3: no S3 client")
	}
	loc, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, loc: loc, cl: newClient(cfg.Client), clock: cfg.Clock, queued: map[int]objectRef{}, seen: map[string]time.Time{}}
	if s.clock == nil {
		s.clock = clock.Wall{}
	}
	if s.cfg.DeliveryMargin <= 0 {
		s.cfg.DeliveryMargin = DefaultDeliveryMargin
	}
	if s.cfg.PollEvery <= 0 {
		s.cfg.PollEvery = DefaultPollEvery
	}
	if s.cfg.MaxFailures <= 0 {
		s.cfg.MaxFailures = DefaultMaxFailures
	}
	now := s.clock.Now()
	s.w = window{since: cfg.Since, until: cfg.Until, margin: s.cfg.DeliveryMargin}
	if s.w.since.IsZero() {
		s.w.since = now.Add(-DefaultSince)
	}
	switch {
	case cfg.Follow && !cfg.Until.IsZero():
		return nil, errors.New("--until ends the reading, --follow goes on: use one of them")
	case !cfg.Follow && s.w.until.IsZero():
		s.w.until = now
	}
	if !s.w.until.IsZero() && !s.w.until.After(s.w.since) {
		return nil, fmt.Errorf("--until %s is not after --since %s", s.w.until.UTC().Format(time.RFC3339), s.w.since.UTC().Format(time.RFC3339))
	}
	s.accounts = setOf(cfg.Accounts)
	s.regions = setOf(cfg.Regions)
	s.enis = setOf(cfg.ENIs)
	for a := range s.accounts {
		if !isAccountID(a) {
			return nil, fmt.Errorf("account %q: want a 12-digit AWS account ID", a)
		}
	}
	s.prog = Progress{Bucket: loc.Bucket, Listing: true, Following: cfg.Follow}

	// One small listing checks that the bucket exists, finds its Region and tells
	// whether listing is allowed, before anything else happens.
	probe, err := s.listPage(ctx, &awss3.ListObjectsV2Input{Prefix: aws.String(loc.Prefix), MaxKeys: aws.Int32(1)})
	var denied *Error
	switch {
	case errors.As(err, &denied) && denied.Permission == "s3:ListBucket" && looksLikeObject(loc.Prefix):
		if err := s.headSingle(ctx); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case len(probe.Contents) == 0 && !cfg.Follow:
		s.warnings = append(s.warnings, fmt.Sprintf("no objects under %s", loc))
	}
	if r := s.cl.followed; r != "" {
		s.warnings = append(s.warnings, fmt.Sprintf("bucket %s is in %s: reading it there (--region %s saves the redirect)", loc.Bucket, r, r))
	}
	s.prog.Region = s.cl.Region()
	return s, nil
}

// headSingle prepares reading the one object the location names when it cannot be
// listed: its size (Parquet needs it) and the errors, before reading starts.
func (s *Source) headSingle(ctx context.Context) error {
	var head *awss3.HeadObjectOutput
	err := s.cl.do(ctx, func(c *awss3.Client) error {
		var err error
		head, err = c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(s.loc.Prefix)})
		return err
	})
	if err != nil {
		return explainUnlistedGet(ctx, s.cl, err, s.loc, s.loc.Prefix, s.cfg.Profile)
	}
	s.single = &objectRef{key: s.loc.Prefix, size: aws.ToInt64(head.ContentLength), etag: aws.ToString(head.ETag), named: true}
	s.warnings = append(s.warnings, fmt.Sprintf("cannot list %s (no s3:ListBucket): reading the one object it names", s.loc))
	return nil
}

// looksLikeObject reports whether a prefix names a file rather than a folder.
func looksLikeObject(prefix string) bool {
	if prefix == "" || strings.HasSuffix(prefix, "/") {
		return false
	}
	for _, ext := range []string{".gz", ".log", ".parquet", ".txt"} {
		if strings.HasSuffix(prefix, ext) {
			return true
		}
	}
	return false
}

func setOf(list []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" {
			m[v] = true
		}
	}
	return m
}

// Warnings are what New learned that a person should be told: the bucket's Region was
// followed, the prefix is empty, only one object can be read.
func (s *Source) Warnings() []string { return s.warnings }

// Location is the bucket and prefix read.
func (s *Source) Location() Location { return s.loc }

// Window is the time rule in force: records whose start lies in [since, until), until
// zero when following.
func (s *Source) Window() (since, until time.Time) { return s.w.since, s.w.until }

// Progress returns a snapshot of the progress; it is safe to call from any goroutine
// while Run runs (a status bar's ticker).
func (s *Source) Progress() Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshot()
}

func (s *Source) snapshot() Progress {
	p := s.prog
	p.Requests = s.requests.Load()
	p.OutOfWindow = s.outOfWindow.Load()
	p.OtherInterfaces = s.otherENI.Load()
	p.Region = s.cl.Region()
	return p
}

// Run reads: it lists the window, downloads the objects (Concurrency at once) and calls
// sink with every chunk, objects in name-time order, each whole before the next. Parsing
// and the stages made by newStage (nil for none) run on worker goroutines, after the
// records outside [Since, Until) have been dropped. Without Follow it returns when
// everything was read; with Follow it polls until ctx ends. It returns nil when done,
// when ctx ends it or when sink returns false, and an *Error when listing fails (before
// or, for good, while following) or when MaxFailures objects in a row cannot be read.
// Errors of single objects come in their chunks (Chunk.Err) and reading goes on.
func (s *Source) Run(ctx context.Context, newStage func() source.Stage, sink func(*Chunk) bool) error {
	if s.used.Swap(true) {
		return errors.New("s3: a Source runs once")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streams := make(chan source.Stream)
	listed := make(chan error, 1)
	go func() {
		defer close(streams)
		err := s.produce(ctx, streams)
		s.mu.Lock()
		s.prog.Listing = false
		s.mu.Unlock()
		listed <- err
	}()

	var failure error
	failures := 0
	opts := source.StreamOptions{Options: source.Options{Format: s.cfg.Format, Workers: s.cfg.Workers}, Ahead: s.cfg.Concurrency}
	source.ReadStreams(ctx, streams, opts, s.stage(newStage), func(c *source.Chunk) bool {
		s.mu.Lock()
		obj := s.queued[c.Progress.Index]
		s.prog.Current = obj.key
		s.prog.BytesDone = s.doneLen + min(c.Progress.Read, obj.size)
		if c.Progress.InputDone {
			delete(s.queued, c.Progress.Index)
			s.doneLen += obj.size
			s.prog.BytesDone = s.doneLen
			s.prog.ObjectsDone++
			var e *Error
			switch {
			case c.Err == nil:
				failures = 0
			case errors.As(c.Err, &e) && e.Gone:
			default:
				s.prog.Failed++
				failures++
			}
		}
		out := &Chunk{Chunk: c, Overall: s.snapshot()}
		s.mu.Unlock()
		if !sink(out) {
			cancel()
			return false
		}
		if failures >= s.cfg.MaxFailures {
			failure = fmt.Errorf("%d objects in a row could not be read, so reading stopped; the last: %w", failures, c.Err)
			cancel()
			return false
		}
		return true
	})
	cancel()
	err := <-listed
	switch {
	case failure != nil:
		return failure
	case errors.Is(err, context.Canceled):
		return nil
	}
	return err
}

// stage drops the records outside the window, and those of interfaces not asked for,
// before the caller's stage sees them.
func (s *Source) stage(newStage func() source.Stage) func() source.Stage {
	return func() source.Stage {
		var next source.Stage
		if newStage != nil {
			next = newStage()
		}
		return func(c *source.Chunk) {
			if n := s.w.trim(c); n > 0 {
				s.outOfWindow.Add(int64(n))
			}
			if n := keepInterfaces(c, s.enis); n > 0 {
				s.otherENI.Add(int64(n))
			}
			if next != nil {
				next(c)
			}
		}
	}
}

// produce lists and hands the objects on, then, following, polls.
func (s *Source) produce(ctx context.Context, streams chan<- source.Stream) error {
	send := func(objs []objectRef) error {
		fresh := objs[:0]
		s.mu.Lock()
		for _, o := range objs {
			if _, dup := s.seen[o.key]; dup {
				continue
			}
			s.seen[o.key] = o.end
			fresh = append(fresh, o)
			s.prog.Objects++
			s.prog.Bytes += o.size
		}
		s.mu.Unlock()
		for _, o := range fresh {
			s.mu.Lock()
			s.queued[s.next] = o
			s.next++
			s.mu.Unlock()
			select {
			case streams <- s.stream(o):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	if s.single != nil {
		return send([]objectRef{*s.single})
	}
	if err := s.listWindow(ctx, s.w, send); err != nil {
		return err
	}
	if !s.cfg.Follow {
		return nil
	}
	for {
		if err := s.clock.Sleep(ctx, s.cfg.PollEvery); err != nil {
			return nil
		}
		now := s.clock.Now()
		// Each poll lists the names from the look-back on: an object appears in the
		// bucket a while after the time in its name, and one read before is skipped.
		w := window{since: now.Add(-s.cfg.DeliveryMargin), margin: s.cfg.DeliveryMargin}
		if w.since.Before(s.w.since) {
			w.since = s.w.since
		}
		err := s.listWindow(ctx, w, send)
		s.mu.Lock()
		s.prog.Polls++
		s.prog.LastPoll = now
		s.prog.LastError = ""
		if err != nil && ctx.Err() == nil {
			s.prog.LastError = err.Error()
		}
		s.forget(w.namesFrom())
		s.mu.Unlock()
		var e *Error
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &e) && e.fatal:
			return err // retrying will not bring the bucket or the permission back
		}
	}
}

// forget drops the memory of objects named before from: no later poll lists them.
func (s *Source) forget(from time.Time) {
	for k, end := range s.seen {
		if !end.IsZero() && end.Before(from) {
			delete(s.seen, k)
		}
	}
}

// stream turns an object into an input of the reader: Parquet with ranged requests,
// everything else as one streamed GetObject.
func (s *Source) stream(o objectRef) source.Stream {
	st := source.Stream{Name: "s3://" + s.loc.Bucket + "/" + o.key, Size: o.size}
	unlisted := s.single != nil
	if o.parquet() {
		st.OpenAt = func(ctx context.Context) (io.ReaderAt, error) { return s.openRange(ctx, o), nil }
	} else {
		st.Open = func(ctx context.Context) (io.ReadCloser, error) { return s.openObject(ctx, o, unlisted) }
	}
	return st
}
