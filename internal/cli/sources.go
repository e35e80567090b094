package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/athena"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/cloudwatch"
	s3src "github.com/flowlens/flowlens/source/s3"
)

// The SOURCE arguments of the commands that read records: files, directories and stdin,
// or one S3 location (s3://bucket/prefix, or the bucket ARN a flow log's LogDestination
// shows). This file opens them for every command the same way, so that print, pairs,
// stats and the explorer read what the same arguments name.

// s3Options narrow s3:// sources through AWS's key layout. Every command that reads
// SOURCE arguments binds them.
type s3Options struct {
	accounts []string
	regions  []string
}

func (o *s3Options) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&o.accounts, "s3-account", nil, "with an s3:// source, only the flow logs of the `ACCOUNT` ID in the key layout (repeatable, or comma-separated)")
	fl.StringSliceVar(&o.regions, "s3-region", nil, "with an s3:// source, only the flow logs of the `REGION` in the key layout (repeatable; --region is the API's Region)")
}

// sourceRequest is what openSources needs, taken from whichever flags the command has.
type sourceRequest struct {
	args    []string
	format  *model.Format // --format; nil for the default or a header line
	workers int
	stdin   io.Reader
	errOut  io.Writer // notes, the progress bar (a terminal only) and the S3 summary
	quiet   bool      // no progress bar, notes or summary
	// since and until are --since and --until as given ("" when not given: an hour
	// back for S3); enis is --eni. They narrow an S3 source; files take none of them.
	since, until string
	// zone is where since and until read a time without an offset (nil: UTC).
	zone   *time.Location
	enis   []string
	follow bool // keep polling an S3 location for new objects
	s3     s3Options
	aws    *awsOptions
	// athena, when enabled (--athena), reads the records from an Athena table instead
	// of the arguments (there must be none); filter is --filter, pushed down as SQL.
	athena *athenaOptions
	filter string
	// needles, for files, are the text every line a wanted record is on holds
	// (filter.Filter.Needles): lines without it are skipped unparsed and counted so.
	needles filter.Needles
}

// isS3 reports whether the arguments name an S3 location.
func isS3(args []string) bool { return slices.ContainsFunc(args, s3src.IsURL) }

// checkSourceFlags refuses S3 flags without an S3 source, and the shapes of the command
// line that cannot be read (S3 and files together, two S3 locations).
func checkSourceFlags(args []string, s3 *s3Options, changed func(string) bool, s3Only ...string) error {
	if !isS3(args) {
		for _, name := range append([]string{"s3-account", "s3-region"}, s3Only...) {
			if changed(name) {
				return usagef("--%s narrows an s3:// source: give one (s3://bucket/prefix)", name)
			}
		}
		return nil
	}
	n := 0
	for _, a := range args {
		if s3src.IsURL(a) {
			n++
		} else {
			return usagef("an s3:// source is read alone: %s is not one", a)
		}
	}
	if n > 1 {
		return usagef("give one s3:// location at a time (its prefix can be a whole bucket, or AWSLogs/)")
	}
	for _, a := range s3.accounts {
		if !isAccountID(strings.TrimSpace(a)) {
			return valuef("bad --s3-account %q: want a 12-digit AWS account ID", a)
		}
	}
	return nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// s3Config builds the S3 source's configuration from the request, without a client.
func (r *sourceRequest) s3Config(now time.Time) (s3src.Config, error) {
	cfg := s3src.Config{URL: r.args[0], Accounts: r.s3.accounts, Regions: r.s3.regions, ENIs: r.enis,
		Follow: r.follow, Format: r.format, Workers: r.workers}
	var err error
	if r.since != "" {
		if cfg.Since, err = cloudwatch.ParseWhen(r.since, now, r.zone); err != nil {
			return cfg, valuef("bad --since: %v", err)
		}
	}
	if r.until != "" {
		if cfg.Until, err = cloudwatch.ParseWhen(r.until, now, r.zone); err != nil {
			return cfg, valuef("bad --until: %v", err)
		}
	}
	if r.follow && r.until != "" {
		return cfg, usagef("--until ends the reading, --follow goes on: use one of them")
	}
	if _, err := s3src.ParseURL(cfg.URL); err != nil {
		return cfg, usageError(err)
	}
	return cfg, nil
}

// openS3 checks the request, loads the AWS configuration and opens the S3 source: the
// bucket is found, its Region followed and the permission to list it checked, so that
// every start-up problem is reported before any output.
func openS3(ctx context.Context, r *sourceRequest) (*s3src.Source, error) {
	cfg, err := r.s3Config(time.Now())
	if err != nil {
		return nil, err
	}
	awsCfg, err := r.aws.load(ctx)
	if err != nil {
		return nil, err
	}
	cfg.Client, cfg.Profile = awsclient.NewS3(awsCfg), r.aws.profile
	return s3src.New(ctx, cfg)
}

// sources are the records a headless command reads: the files and stdin its SOURCE
// arguments name, or one S3 location. stats reads through them as print and pairs do.
type sources struct {
	req    sourceRequest
	inputs []source.Input
	s3     *s3src.Source
	bar    *progressLine

	athena      *athena.Source
	athenaQuery athena.Query
	execution   *athena.Execution // the query Read ran
}

// openSources opens the SOURCE arguments of a headless command. Files are expanded
// (a missing one is reported here); an S3 location is checked as openS3 does. Its
// warnings (a redirected Region, an empty prefix) are printed unless quiet.
func openSources(ctx context.Context, r sourceRequest) (*sources, error) {
	s := &sources{req: r, bar: newProgressLine(r.errOut, !r.quiet && isTerminal(r.errOut))}
	if r.athena != nil && r.athena.enabled {
		if len(r.args) > 0 {
			return nil, usagef("--athena queries a table: it takes no SOURCE arguments (%s)", r.args[0])
		}
		q, err := r.athenaQuery(time.Now())
		if err != nil {
			return nil, err
		}
		src, err := openAthena(ctx, r.athena, r.aws, r.format)
		if err != nil {
			return nil, err
		}
		s.athena, s.athenaQuery = src, q
		if !r.quiet {
			for _, w := range src.Warnings() {
				s.bar.println("flowlens: note: " + output.Sanitize(w))
			}
		}
		return s, nil
	}
	if !isS3(r.args) {
		inputs, err := source.Expand(r.args)
		if err != nil {
			return nil, err
		}
		s.inputs = inputs
		return s, nil
	}
	src, err := openS3(ctx, &s.req)
	if err != nil {
		return nil, err
	}
	s.s3 = src
	if !r.quiet {
		for _, w := range src.Warnings() {
			s.bar.println("flowlens: note: " + output.Sanitize(w))
		}
	}
	return s, nil
}

// Count is how many inputs were read (files, S3 objects, or one Athena query), for
// the summary.
func (s *sources) Count() int {
	switch {
	case s.s3 != nil:
		return s.s3.Progress().ObjectsDone
	case s.athena != nil:
		return 1
	}
	return len(s.inputs)
}

// S3 is the S3 source, nil for files and Athena.
func (s *sources) S3() *s3src.Source { return s.s3 }

// Athena is the Athena source (nil without --athena) and the query of the command line
// (its filter with --eni, its window): what stats --athena hands to Groups.
func (s *sources) Athena() (*athena.Source, athena.Query) { return s.athena, s.athenaQuery }

// Execution is the Athena query Read ran (its Stats give the data scanned); nil
// before, or without --athena.
func (s *sources) Execution() *athena.Execution { return s.execution }

// Formats are the record formats known before reading, for a filter that names custom
// columns: --format, or the Athena table's columns.
func (s *sources) Formats() []*model.Format {
	switch {
	case s.req.format != nil:
		return []*model.Format{s.req.format}
	case s.athena != nil:
		return []*model.Format{s.athena.Table().Columns}
	}
	return nil
}

// Read reads every record: parsing and the stages newStage makes (nil for none) run on
// worker goroutines, and sink gets the chunks in order (see source.ReadFiles); errors
// of single inputs come in the chunks. What a person should know about an input's
// format (a header-less file read as an inferred layout, or why none fits) is printed
// as it comes. An S3 source shows a progress bar on a terminal and ends with a line of
// objects, bytes and records. The error is what ended an S3 reading early (its listing
// failed, or objects in a row could not be read); nil otherwise.
func (s *sources) Read(ctx context.Context, newStage func() source.Stage, sink func(*source.Chunk) bool) error {
	take := func(c *source.Chunk) bool {
		if c.Note != "" && !s.req.quiet {
			s.bar.println("flowlens: note: " + output.Sanitize(c.Note))
		}
		return sink(c)
	}
	if s.athena != nil {
		return s.readAthena(ctx, newStage, take)
	}
	if s.s3 == nil {
		source.ReadFiles(ctx, s.inputs, source.Options{Format: s.req.format, Workers: s.req.workers, Stdin: s.req.stdin, Needles: s.req.needles}, newStage, take)
		return nil
	}
	// The records in the window are counted on the workers, before the command's stage
	// filters them.
	var records atomic.Int64
	counted := func() source.Stage {
		var next source.Stage
		if newStage != nil {
			next = newStage()
		}
		return func(c *source.Chunk) {
			records.Add(int64(len(c.Records)))
			if next != nil {
				next(c)
			}
		}
	}
	stopBar := s.bar.run(func() string { return s3ProgressText(s.s3.Location(), s.s3.Progress(), records.Load()) })
	err := s.s3.Run(ctx, counted, func(c *s3src.Chunk) bool { return take(c.Chunk) })
	stopBar()
	if !s.req.quiet {
		s.bar.println(s3Summary(s.s3, records.Load()))
	}
	return err
}

// s3ProgressText is the progress bar's line: objects and bytes read of those chosen so
// far, and the records in the window.
func s3ProgressText(loc s3src.Location, p s3src.Progress, records int64) string {
	const width = 20
	filled := 0
	if p.Bytes > 0 {
		filled = int(min(p.BytesDone*width/p.Bytes, width))
	}
	more := ""
	if p.Listing {
		more = "+"
	}
	return fmt.Sprintf("flowlens: %s [%s%s] %s/%s%s objects, %s of %s, %s records",
		output.Sanitize(loc.String()), strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		output.Thousands(int64(p.ObjectsDone)), output.Thousands(int64(p.Objects)), more,
		humanBytes(p.BytesDone), humanBytes(p.Bytes), output.Thousands(records))
}

// s3Summary is the last line of an S3 reading: what was read and what it held.
func s3Summary(src *s3src.Source, records int64) string {
	p := src.Progress()
	since, until := src.Window()
	line := fmt.Sprintf("flowlens: %s: %s objects (%s) read in %s requests to list, %s records with start in [%s, %s)",
		output.Sanitize(src.Location().String()), output.Thousands(int64(p.ObjectsDone)), humanBytes(p.BytesDone),
		output.Thousands(p.Requests), output.Thousands(records), since.UTC().Format(time.RFC3339), windowEnd(until))
	if p.OutOfWindow > 0 {
		line += fmt.Sprintf(" (%s more read outside it)", output.Thousands(p.OutOfWindow))
	}
	if p.Failed > 0 {
		line += fmt.Sprintf(", %s objects could not be read", output.Thousands(int64(p.Failed)))
	}
	if p.OtherInterfaces > 0 {
		line += fmt.Sprintf(", %s records of other interfaces left out", output.Thousands(p.OtherInterfaces))
	}
	return line
}

func windowEnd(until time.Time) string {
	if until.IsZero() {
		return "following"
	}
	return until.UTC().Format(time.RFC3339)
}

func humanBytes(n int64) string { return string(output.HumanBytes(nil, uint64(max(n, 0)))) }
