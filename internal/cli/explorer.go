package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/names"
	"github.com/flowlens/flowlens/model/ring"
	"github.com/flowlens/flowlens/model/rules"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/cloudwatch"
	"github.com/flowlens/flowlens/source/liverules"
	s3src "github.com/flowlens/flowlens/source/s3"
	"github.com/flowlens/flowlens/ui"
)

// explorerOptions are the root command's: it opens the explorer.
type explorerOptions struct {
	streams
	read      readOptions
	cw        cloudWatchOptions
	s3        s3Options
	aws       awsOptions
	names     namesOptions
	rules     []string
	liveRules bool
	demo      bool
	capacity  int
	local     bool
	logFile   string
	sources   []string
	// athenaTable is the table the queries key's SQL reads.
	athenaTable string
	// again is the command line that opens the same source, without --filter: the
	// explorer's ticket ends with it (ui.Options.Command). againOpen: its window ends
	// when it runs (ui.Options.CommandOpen).
	again     string
	againOpen bool
}

// againCommand writes the command line as given, the flags that were set and the
// sources, without --filter (the ticket adds its own) and without the flags that only
// concern this run's terminal (the log file); each word quoted for a POSIX shell.
// --since and --until written relative to now (15m, 09:10) are written as the times
// they meant when the explorer started (now, read in zone): the ticket is read later,
// and "the last 15 minutes" would then be another window. For the same reason a
// windowed source (a log group, S3) given without --since gets the start of its
// default window written out. A windowed source without --until read up to the
// moment the explorer started (--follow=false: that moment is written as --until) or
// followed (by default, or told to): then open reports it, and the ticket writes its
// own time as --until, which this start-up cannot know. Either way the command it
// writes reads a closed window and does not follow: --follow and --poll are left out
// (--poll without following, and --follow with --until on S3, are refused).
func againCommand(cmd *cobra.Command, args []string, now time.Time, zone *time.Location) (line string, open bool) {
	words := []string{"flowlens"}
	fl := cmd.Flags()
	window := time.Duration(0)
	switch {
	case fl.Changed("log-group"):
		window = cloudwatch.DefaultSince
	case isS3(args):
		window = s3src.DefaultSince
	}
	closing := window > 0 && !fl.Changed("until") // the window's end is ours to write
	if follow, _ := fl.GetBool("follow"); closing {
		open = !fl.Changed("follow") || follow
	}
	if !fl.Changed("since") {
		if window > 0 {
			// Written first: the other flags keep their order, and a reader sees the
			// window that was not typed at once.
			words = append(words, "--since", now.Add(-window).UTC().Format(time.RFC3339))
		}
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "filter" || f.Name == "log-file" || closing && (f.Name == "follow" || f.Name == "poll") {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				words = append(words, "--"+f.Name, shellWord(v))
			}
			return
		}
		if f.Value.Type() == "bool" {
			words = append(words, "--"+f.Name)
			if f.Value.String() != "true" {
				words[len(words)-1] += "=" + f.Value.String()
			}
			return
		}
		v := f.Value.String()
		if strings.HasSuffix(f.Name, "-url") {
			v = bareURL(v)
		}
		if f.Name == "since" || f.Name == "until" {
			if t, err := cloudwatch.ParseWhen(v, now, zone); err == nil {
				v = t.UTC().Format(time.RFC3339)
			}
		}
		words = append(words, "--"+f.Name, shellWord(v))
	})
	if closing && !open {
		words = append(words, "--until", now.UTC().Format(time.RFC3339))
	}
	for _, a := range args {
		// A source that begins with a dash is written as a path from here: the ticket
		// appends --filter after the sources, which a "--" before them would make a
		// source too. ("-" alone is stdin, no flag.)
		if len(a) > 1 && a[0] == '-' {
			a = "./" + a
		}
		words = append(words, shellWord(a))
	}
	return strings.Join(words, " "), open
}

// bareURL is a URL flag's value as the ticket may show it: scheme, host and path,
// without a user, a password, a query or a fragment (where tokens travel); anything
// that does not read as such a URL, or still holds an @, is left out. The ticket is
// handed to other people: credentials never go in it.
func bareURL(raw string) string {
	const hidden = "URL-LEFT-OUT"
	u, err := url.Parse(raw)
	// An @ that did not end up in the user part (a password with a # or a / in it)
	// leaves the parts unreliable: say nothing of them.
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" || strings.Contains(raw, "@") && u.User == nil {
		return hidden
	}
	bare := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if strings.Contains(bare, "@") {
		return hidden
	}
	return bare
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// newExplorerCommand is the root of the command tree, which opens the explorer.
func newExplorerCommand(s streams) *cobra.Command {
	opts := &explorerOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "flowlens [flags] [SOURCE...]",
		Short: "Explore AWS VPC Flow Logs in the terminal",
		Long: `flowlens is a terminal explorer for AWS VPC Flow Logs.

Point it at a CloudWatch Logs group (--log-group), at the S3 bucket a flow log
delivers to (s3://bucket/prefix: the objects of --since, default the last hour,
listed and read in place), at files downloaded from S3 (plain, .gz or .parquet, or
a directory of them), or pipe records into it. It shows a live
table of flows you can filter as you type, every field decoded, and for the
selected flow and its reverse a verdict: did a security group or a network ACL
drop it?

Start with the bundled demo, no AWS account needed:

  flowlens --demo`,
		Example: `  flowlens --demo
  flowlens --log-group /vpc/flows --eni eni-0abc1234def567890
  flowlens ~/Downloads/AWSLogs/
  flowlens --since 2h s3://my-flow-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/
  flowlens print --filter 'action=REJECT dstport=22' flows.log.gz
  flowlens pairs --rules sgs.json --rules nacls.json flows.log`,
		// SOURCE arguments are files, so the root takes any argument; a mistyped command
		// name is caught in RunE, when no such file exists.
		Args:                       cobra.ArbitraryArgs,
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkCommandTypo(cmd, args); err != nil {
				return err
			}
			opts.sources = args
			opts.again, opts.againOpen = againCommand(cmd, args, time.Now(), displayZone(opts.local))
			return runExplorer(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	opts.read.bind(cmd, false)
	opts.cw.bind(cmd)
	opts.s3.bind(cmd)
	opts.aws.bind(cmd)
	fl.Lookup("follow").Usage = "keep reading: a FILE as lines are appended, like tail -F (rotation and truncation included); with --log-group, new records via Live Tail; with an s3:// source, new objects as they are delivered (both the default in the explorer without --until)"
	fl.BoolVar(&opts.liveRules, "live-rules", false, "fetch the security groups, network ACLs and interfaces behind the flows in view through the EC2 API (read-only Describe calls), to name the rule behind a verdict")
	fl.BoolVar(&opts.demo, "demo", false, "explore a bundled incident, replayed live; no AWS account needed")
	fl.IntVar(&opts.capacity, "capacity", ring.DefaultCapacity, capacityHelp())
	fl.BoolVar(&opts.local, "local-time", false, "show times in the local time zone instead of UTC (t toggles), and read times written without an offset (--since, --until, the filter) in it")
	fl.StringArrayVar(&opts.rules, "rules", nil, "JSON `FILE` printed by aws ec2 describe-security-groups, describe-network-acls or describe-network-interfaces, to name the rule behind a verdict (repeatable; R in the explorer reads them again)")
	fl.StringVar(&opts.athenaTable, "athena-table", "vpc_flow_logs", "the Athena `TABLE` the SQL of the queries key (y) reads")
	fl.StringVar(&opts.logFile, "log-file", "", "write the explorer's log here (default: $XDG_STATE_HOME/flowlens/flowlens.log)")
	opts.names.bind(cmd)
	return cmd
}

// What --capacity costs in resident memory (RSS, not the Go heap: what the system
// sees) while records arrive, measured with scripts/memcheck.sh on generated records of
// a busy VPC (about 0.45 conversations a record), a million held: default-format
// records (2,391,762 read into the ring, as in the engine issue: 284 MB at the peak,
// 300 with the conversations view open) and v5 records, whose fields beyond the default
// live in a block of their own (a million: 499 and 582 MB; five million: 2,550 and
// 2,677 MB). Once records stop arriving the explorer returns what the collector no
// longer needs (returnIdleMemory): about 185 and 410-460 bytes a record then. The help
// says it from these constants, memcheck compares the help with new measurements, and
// the explorer's memory limit is derived from them. go test ./model/pairs/ -run '^$'
// -bench ExplorerBytesPerRecord gives the Go heap behind them (177 and 396 bytes a
// record); the rest is the collector's headroom (GOGC 25) and the program.
const (
	residentBaseMB            = 40  // the program, its buffers and the screen, records aside
	residentPerRecord         = 250 // bytes a default-format record held, while records arrive
	residentPerRecordPairs    = 265 // the same with the conversations view open
	residentPerRecordExt      = 500 // bytes a v5 record held
	residentPerRecordExtPairs = 540 // the same with the conversations view open
)

// residentBudget is what the help promises for capacity records of the costliest kind
// (v5) with the conversations view open, in bytes.
func residentBudget(capacity int) int64 {
	return residentBaseMB<<20 + int64(capacity)*residentPerRecordExtPairs
}

// explorerGCPercent is the collector's GOGC in the explorer. Its heap is nearly all
// long-lived (the ring and the conversations index), and the default of 100 lets the
// heap grow to twice what is live before a collection: 547 MB resident for a million
// default-format records whose live heap is 278 MB. With 25 the heap grows by a quarter
// (387 MB), at the price of collecting four times as often while records arrive:
// loading 2.4 million records took about a fifth more CPU time. Lower still (10: 338
// MB) the collector's marking of the whole heap, every 30 MB allocated, would take a
// core of its own while a live source streams.
const explorerGCPercent = 25

// limitMemory sets the collector's pacing for the explorer (see explorerGCPercent) and
// its soft limit to the budget the help states for the records that cost the most (v5),
// with a quarter more for the collector's slack, as scripts/soak.sh allows. Default-
// format records stay well under it. Near the limit it collects sooner (the CPU it may take for that is capped by the
// runtime); a live heap over the limit is not an error, only collected more often.
// GOGC and GOMEMLIMIT, when set, are the user's word and win.
func limitMemory(capacity int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(explorerGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(residentBudget(capacity) * 5 / 4)
	}
}

func capacityHelp() string {
	return fmt.Sprintf("records held in memory; the oldest are dropped beyond it (about %d bytes resident per record, %d with the conversations view open, plus about %d MB, while records arrive, less once they stop; v5 records: about %d and %d bytes)",
		residentPerRecord, residentPerRecordPairs, residentBaseMB, residentPerRecordExt, residentPerRecordExtPairs)
}

// runExplorer checks the command line, opens the source and runs the explorer until the
// person quits or a terminating signal arrives. Every mistake is reported before the
// screen opens.
func runExplorer(ctx context.Context, opts *explorerOptions) (err error) {
	format, err := opts.check()
	if err != nil {
		return err
	}
	ruleSet, err := loadRules(opts.rules)
	if err != nil {
		return err
	}
	if !isTerminal(opts.out) {
		return usagef("the explorer needs a terminal on stdout; to write records to a pipe or a file use `flowlens print`")
	}
	keys, notices := loadKeys(opts.errOut)
	limitMemory(opts.capacity)
	logger, logw, closeLog := openLog(opts.logFile)
	defer closeLog()
	// One rule for times without an offset: the zone shown (docs/filter.md).
	opts.cw.zone = displayZone(opts.local)

	screen := &screenGuard{out: opts.out}
	watch := watchSignals(ctx, signalHooks{
		first: func(s os.Signal) {
			logger.Warn("explorer stopping", "signal", s.String())
			if s == syscall.SIGQUIT {
				// Catching SIGQUIT suppresses Go's own dump: the log keeps it.
				dumpGoroutines(logw)
			}
		},
		again: func(s os.Signal) {
			logger.Warn("explorer stopped at once", "signal", s.String())
			screen.restore()
			closeLog()
			os.Exit(signalStatus(s))
		},
	})
	defer watch.stop()
	ctx = watch.ctx
	go returnIdleMemory(ctx, logger)
	defer func() {
		// A signal is no failure, whatever it interrupted (a listing, the screen).
		if s := stopped(ctx); s != nil {
			logger.Info("explorer stop", "signal", context.Cause(ctx).Error())
			err = s
		}
	}()

	// --live-rules: set up before any source opens, so a mistake leaves nothing running.
	lookup := names.New(nil, nil)
	fetchRules, err := opts.liveRulesFetcher(ctx, logger)
	if err != nil {
		return err
	}
	if opts.demo && !opts.cw.enabled() && ruleSet == nil {
		// The demo brings the rules of its simulated VPC (--log-group wins over --demo).
		if ruleSet, err = demoRules(); err != nil {
			return err
		}
	}
	lookup.AddRules(ruleSet)
	opts.names.loadRangesInBackground(ctx, lookup, logger)
	feed, picker, err := opts.openFeed(ctx, format)
	if err != nil {
		return err
	}
	uiOpts := ui.Options{
		Feed:       feed,
		Capacity:   opts.capacity,
		Keys:       keys,
		Notices:    notices,
		Filter:     opts.read.filter,
		Local:      opts.local,
		Log:        logger,
		Rules:      ruleSet,
		Picker:     picker,
		FetchRules: fetchRules,
		// R reads the --rules files again (the demo's rules never change).
		ReloadRules: opts.rulesReloader(),
		Queries:     opts.queries,
		Names:       lookup,
		Command:     opts.again,
		CommandOpen: opts.againOpen,
		// Once the terminal is back, the source is closed; a signal during that wait
		// (Ctrl+C in a cooked terminal is one) means now.
		Restored: func() { screen.down(); watch.makeUrgent() },
	}
	if format != nil {
		uiOpts.Formats = []*model.Format{format}
	}
	input := opts.in
	if !isTerminal(opts.in) {
		// Records come through stdin, so the keyboard must be read from the terminal.
		tty, err := os.Open("/dev/tty")
		if err != nil {
			if feed != nil {
				feed.Close()
			}
			return fmt.Errorf("records are read from stdin, and the keyboard could not be opened at /dev/tty: %v", err)
		}
		defer tty.Close()
		uiOpts.Input = tty
		input = tty
	}
	logger.Info("explorer start", "args", opts.sources, "demo", opts.demo, "follow", opts.cw.follow, "log-groups", opts.cw.logGroups)
	screen.up(input)
	err = ui.Run(ctx, uiOpts)
	screen.down()
	if ctx.Err() == nil {
		logger.Info("explorer stop", "err", err)
	}
	return err
}

// queries is the explorer's queries key: the view's filter in every form AWS runs, as
// --show-query writes it, for the log groups read.
func (o *explorerOptions) queries(expr string, formats []*model.Format, conversations bool) (string, error) {
	q, err := shownQueryOf(expr, formats, o.cw.logGroups, o.athenaTable, conversations)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = writeShownQuery(&b, q)
	return b.String(), err
}

// screenGuard puts the terminal back when the explorer must exit without waiting for
// Bubble Tea to do it: the saved mode of the keyboard's terminal (raw mode off) and
// the sequences that undo the screen's modes.
type screenGuard struct {
	out   io.Writer
	mu    sync.Mutex
	isUp  bool
	in    *os.File
	saved *term.State // nil when the input's mode could not be read
}

// up saves the keyboard terminal's mode, before the screen changes it.
func (g *screenGuard) up(in io.Reader) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.isUp = true
	if f, ok := in.(*os.File); ok {
		if st, err := term.GetState(f.Fd()); err == nil {
			g.in, g.saved = f, st
		}
	}
}

// down records that Bubble Tea has restored the terminal: nothing is left to undo.
func (g *screenGuard) down() {
	g.mu.Lock()
	g.isUp = false
	g.mu.Unlock()
}

// restore undoes what the screen changed, if it is still up.
func (g *screenGuard) restore() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.isUp {
		return
	}
	if g.saved != nil {
		_ = term.Restore(g.in.Fd(), g.saved)
	}
	_, _ = io.WriteString(g.out, ui.TerminalReset)
}

// check validates the flags that need no terminal and no network, and returns --format.
func (o *explorerOptions) check() (*model.Format, error) {
	format, err := o.read.parsedFormat()
	if err != nil {
		return nil, err
	}
	if _, err := compileFilter(o.read.filter, format); err != nil {
		return nil, err
	}
	switch {
	case o.capacity < 1:
		return nil, usagef("--capacity must be at least 1")
	case o.liveRules && o.demo:
		return nil, usagef("--live-rules asks AWS; the demo brings its own rules")
	}
	return format, nil
}

// loadKeys is the default keymap with the user's overrides; what was wrong with them is
// printed now and shown again as notices on the screen.
func loadKeys(stderr io.Writer) (*keymap.Map, []string) {
	keys := keymap.Default()
	var notices []string
	overrides, err := keymap.LoadConfig(keymap.ConfigPath())
	if err != nil {
		notices = append(notices, err.Error())
	}
	notices = append(notices, keys.Override(overrides)...)
	for _, n := range notices {
		fmt.Fprintf(stderr, "flowlens: %s\n", n)
	}
	return keys, notices
}

// rulesReloader reads the --rules files again for the explorer's reload key; nil
// without --rules.
func (o *explorerOptions) rulesReloader() func() (*rules.Set, error) {
	if len(o.rules) == 0 {
		return nil
	}
	paths := o.rules
	return func() (*rules.Set, error) {
		// The screen gives the names the files carry to the lookup once the whole
		// reload (files, then the live fetch) succeeded.
		return loadRules(paths)
	}
}

// liveRulesFetcher is how the explorer asks EC2 for the rules of the interfaces in view
// with --live-rules; nil without it. The screen gives the names an answer carries to
// the lookup when it takes the answer in (ui.Options.Names).
func (o *explorerOptions) liveRulesFetcher(ctx context.Context, log *slog.Logger) (func([]string) (*rules.Set, error), error) {
	if !o.liveRules {
		return nil, nil
	}
	awsCfg, err := o.aws.load(ctx)
	if err != nil {
		return nil, err
	}
	client := awsclient.NewEC2(awsCfg)
	return func(enis []string) (*rules.Set, error) {
		fctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		set, err := liverules.Fetch(fctx, client, enis)
		warning, err := namesWarning(err, o.aws.profile)
		if err != nil {
			return nil, errors.New(awsclient.Explain(err, o.aws.profile))
		}
		if warning != "" {
			log.Warn("live rules", "problem", warning)
		}
		return set, nil
	}, nil
}

// openFeed starts the source the command line names: a log group (or the picker of its
// streams), the demo, a followed file, or files and stdin.
func (o *explorerOptions) openFeed(ctx context.Context, format *model.Format) (source.Feed, *ui.Picker, error) {
	stdinIsTerminal := isTerminal(o.in)
	args := o.sources
	opts := source.Options{Format: format, Workers: o.read.workers, Stdin: o.in}
	switch {
	case o.cw.enabled():
		if len(args) > 0 {
			return nil, nil, usagef("--log-group reads CloudWatch Logs: it takes no file arguments")
		}
		return o.openCloudWatch(ctx, format)
	case o.demo:
		feed, err := source.OpenDemo(ctx, time.Now())
		if err != nil {
			return nil, nil, fmt.Errorf("the bundled demo could not be read: %w", err)
		}
		return feed, nil, nil
	case isS3(args):
		return o.openS3(ctx, format)
	case len(args) == 0 && stdinIsTerminal:
		return nil, nil, usagef("nothing to read: give a file or directory, pipe records in, use --log-group, or try --demo")
	case stdinIsTerminal && slices.Contains(args, "-"):
		// The keys and the records would both be read from the terminal.
		return nil, nil, usagef("- reads records from stdin, which is this terminal: pipe records in (zcat f.gz | flowlens) or name the files")
	case o.cw.follow:
		if len(args) != 1 || args[0] == "-" {
			return nil, nil, usagef("--follow takes exactly one file")
		}
		if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
			return nil, nil, usagef("--follow follows one file, and %s is a directory", args[0])
		}
		return source.FollowFile(ctx, args[0], opts), nil, nil
	}
	inputs, err := source.Expand(args)
	if err != nil {
		return nil, nil, err
	}
	return source.OpenFiles(ctx, inputs, opts), nil, nil
}

// openS3 starts the S3 source for an s3:// argument. As with a log group, the explorer
// follows (polls for new objects) unless --until ends the window or --follow=false.
func (o *explorerOptions) openS3(ctx context.Context, format *model.Format) (source.Feed, *ui.Picker, error) {
	if err := checkSourceFlags(o.sources, &o.s3, o.cw.changed); err != nil {
		return nil, nil, err
	}
	if err := o.cw.checkWithS3(o.sources); err != nil {
		return nil, nil, err
	}
	req := sourceRequest{args: o.sources, format: format, workers: o.read.workers, enis: o.cw.enis, zone: o.cw.zone,
		until: o.cw.until, follow: o.cw.until == "", s3: o.s3, aws: &o.aws}
	if o.cw.changed("follow") {
		req.follow = o.cw.follow
	}
	if o.cw.changed("since") {
		req.since = o.cw.since
	}
	src, err := openS3(ctx, &req)
	if err != nil {
		return nil, nil, err
	}
	return src.Start(ctx), nil, nil
}

// openCloudWatch starts the CloudWatch source for --log-group. With one group and no
// --eni or --stream-prefix it does not start yet: it lists the group's streams for the
// explorer's picker, and starts on the person's choice.
func (o *explorerOptions) openCloudWatch(ctx context.Context, format *model.Format) (source.Feed, *ui.Picker, error) {
	cw := o.cw
	push := pushOptions{filter: o.read.filter, conversations: true, held: o.capacity}
	if len(cw.logGroups) != 1 || len(cw.enis) > 0 || cw.streamPrefix != "" {
		src, err := cw.open(ctx, &o.aws, format, true, push)
		if err != nil {
			return nil, nil, err
		}
		return src.Start(ctx), nil, nil
	}
	cfg, err := cw.config(true, time.Now())
	if err != nil {
		return nil, nil, err
	}
	awsCfg, err := o.aws.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg.Logs = awsclient.NewLogs(awsCfg)
	cfg.EC2 = awsclient.NewEC2(awsCfg)
	streams, err := cloudwatch.ListStreams(ctx, cfg, cw.logGroups[0])
	if err != nil {
		return nil, nil, err
	}
	items := make([]ui.PickItem, len(streams))
	for i, s := range streams {
		items[i] = ui.PickItem{Name: s.Name, ENI: s.ENI, LastEvent: s.LastEvent}
	}
	start := func(names []string) (ui.Feed, error) {
		chosen := cw
		chosen.enis = enisOf(streams, names)
		src, err := chosen.open(ctx, &o.aws, format, true, push)
		if err != nil {
			return nil, err
		}
		return src.Start(ctx), nil
	}
	return nil, &ui.Picker{Group: cw.logGroups[0], Items: items, Start: start}, nil
}

// enisOf maps chosen stream names to their interfaces, the stream-name prefixes the
// source narrows to. If one has no interface in its name, or there are more than Live
// Tail takes, every stream is read instead (nil).
func enisOf(streams []cloudwatch.Stream, names []string) []string {
	byName := map[string]string{}
	for _, s := range streams {
		byName[s.Name] = s.ENI
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		eni := byName[n]
		if eni == "" {
			return nil
		}
		if !seen[eni] {
			seen[eni] = true
			out = append(out, eni)
		}
	}
	if len(out) > cloudwatch.MaxStreamPrefixes {
		return nil
	}
	return out
}

// openLog opens the log file; the explorer never logs to the screen. A log that cannot be
// opened is not worth refusing to start over, so logging is then dropped.
func openLog(path string) (*slog.Logger, io.Writer, func()) {
	discard := func() (*slog.Logger, io.Writer, func()) {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard, func() {}
	}
	if path == "" {
		dir := os.Getenv("XDG_STATE_HOME")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return discard()
			}
			dir = filepath.Join(home, ".local", "state")
		}
		path = filepath.Join(dir, "flowlens", "flowlens.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return discard()
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return discard()
	}
	var once sync.Once
	return slog.New(slog.NewTextHandler(f, nil)), f, func() { once.Do(func() { f.Close() }) }
}

// demoRules loads the simulated VPC's security groups and NACLs that come with the demo.
func demoRules() (*rules.Set, error) {
	set := rules.NewSet()
	for name, data := range source.DemoRules() {
		s, err := rules.Load(bytes.NewReader(data), name)
		if err != nil {
			return nil, fmt.Errorf("the demo's rules: %w", err)
		}
		set.Merge(s)
	}
	return set, nil
}

// checkCommandTypo turns `flowlens pirnt` into a usage error that suggests `print`,
// instead of "no such file". Only arguments that are not existing files are considered.
func checkCommandTypo(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if _, err := os.Stat(args[0]); err == nil || args[0] == "-" {
		return nil
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return usagef("unknown command %q: did you mean %q?", args[0], s[0])
	}
	return nil
}
