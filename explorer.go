package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/ring"
	"github.com/flowlens/flowlens/model/rules"
	"github.com/flowlens/flowlens/source"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/cloudwatch"
	"github.com/flowlens/flowlens/source/liverules"
	"github.com/flowlens/flowlens/ui"
)

// explorerFlags are the root command's own flags.
type explorerFlags struct {
	read      readFlags
	cw        cloudWatchFlags
	aws       awsFlags
	rules     []string
	liveRules bool
	demo      bool
	capacity  int
	local     bool
	logFile   string
}

// addExplorer makes the root command open the explorer.
func addExplorer(root *cobra.Command, env *environment) {
	var flags explorerFlags
	fl := root.Flags()
	flags.read.register(root, false)
	flags.cw.register(root)
	flags.aws.register(root)
	root.Flags().Lookup("follow").Usage = "keep reading: a FILE as lines are appended, like tail -F (rotation and truncation included); with --log-group, new records via Live Tail (the default in the explorer)"
	fl.BoolVar(&flags.liveRules, "live-rules", false, "fetch the security groups, network ACLs and interfaces behind the flows in view through the EC2 API (read-only Describe calls), to name the rule behind a verdict")
	fl.BoolVar(&flags.demo, "demo", false, "explore a bundled incident, replayed live; no AWS account needed")
	fl.IntVar(&flags.capacity, "capacity", ring.DefaultCapacity, "records held in memory; the oldest are dropped beyond it (88 bytes each, and about 190 more for the conversations index)")
	fl.BoolVar(&flags.local, "local-time", false, "show times in the local time zone instead of UTC (t toggles)")
	fl.StringArrayVar(&flags.rules, "rules", nil, "JSON `FILE` printed by aws ec2 describe-security-groups, describe-network-acls or describe-network-interfaces, to name the rule behind a verdict (repeatable)")
	fl.StringVar(&flags.logFile, "log-file", "", "write the explorer's log here (default: $XDG_STATE_HOME/flowlens/flowlens.log)")
	// SOURCE arguments are files, so the root takes any argument; a mistyped command name
	// is caught below, when no such file exists.
	root.Args = cobra.ArbitraryArgs
	root.SuggestionsMinimumDistance = 2
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkCommandTypo(cmd, args); err != nil {
			return err
		}
		return runExplorer(cmd.Context(), cmd, env, &flags, args)
	}
}

func runExplorer(ctx context.Context, cmd *cobra.Command, env *environment, flags *explorerFlags, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	format, err := flags.read.parsedFormat()
	if err != nil {
		return err
	}
	if _, err := compileFilter(flags.read.filter, format); err != nil {
		return err
	}
	if flags.capacity < 1 {
		return usagef("--capacity must be at least 1")
	}
	if !isTerminal(env.stdout) {
		return usagef("the explorer needs a terminal on stdout; to write records to a pipe or a file use `flowlens print`")
	}
	stdinIsTerminal := isTerminal(env.stdin)

	keys := keymap.Default()
	var notices []string
	overrides, err := keymap.LoadConfig(keymap.ConfigPath())
	if err != nil {
		notices = append(notices, err.Error())
	}
	notices = append(notices, keys.Override(overrides)...)
	for _, n := range notices {
		fmt.Fprintf(env.stderr, "flowlens: %s\n", n)
	}

	logger, closeLog := openLog(flags.logFile)
	defer closeLog()

	ruleSet, err := loadRules(flags.rules)
	if err != nil {
		return err
	}

	// --live-rules: set up before any source opens, so a mistake leaves nothing running.
	var fetchRules func([]string) (*rules.Set, error)
	if flags.liveRules {
		if flags.demo {
			return usagef("--live-rules asks AWS; the demo brings its own rules")
		}
		awsCfg, err := flags.aws.load(ctx)
		if err != nil {
			return err
		}
		client := awsclient.NewEC2(awsCfg)
		fetchRules = func(enis []string) (*rules.Set, error) {
			fctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			set, err := liverules.Fetch(fctx, client, enis)
			if err != nil {
				return nil, errors.New(awsclient.Explain(err, flags.aws.profile))
			}
			return set, nil
		}
	}

	opts := source.Options{Format: format, Workers: flags.read.workers, Stdin: env.stdin}
	var feed source.Feed
	var picker *ui.Picker
	switch {
	case flags.cw.enabled():
		if len(args) > 0 {
			return usagef("--log-group reads CloudWatch Logs: it takes no file arguments")
		}
		feed, picker, err = openCloudWatch(ctx, cmd, flags, format)
		if err != nil {
			return err
		}
	case flags.demo:
		feed, err = source.OpenDemo(ctx, time.Now())
		if err != nil {
			return fmt.Errorf("the bundled demo could not be read: %w", err)
		}
		if ruleSet == nil {
			ruleSet, err = demoRules()
			if err != nil {
				return err
			}
		}
	case len(args) == 0 && stdinIsTerminal:
		return usagef("nothing to read: give a file or directory, pipe records in, use --log-group, or try --demo")
	case stdinIsTerminal && slices.Contains(args, "-"):
		// The keys and the records would both be read from the terminal.
		return usagef("- reads records from stdin, which is this terminal: pipe records in (zcat f.gz | flowlens) or name the files")
	case flags.cw.follow:
		if len(args) != 1 || args[0] == "-" {
			return usagef("--follow takes exactly one file")
		}
		if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
			return usagef("--follow follows one file, and %s is a directory", args[0])
		}
		feed = source.FollowFile(ctx, args[0], opts)
	default:
		inputs, err := source.Expand(args)
		if err != nil {
			return err
		}
		feed = source.OpenFiles(ctx, inputs, opts)
	}

	var formats []*model.Format
	if format != nil {
		formats = append(formats, format)
	}
	uiOpts := ui.Options{
		Feed:       feed,
		Capacity:   flags.capacity,
		Keys:       keys,
		Notices:    notices,
		Filter:     flags.read.filter,
		Formats:    formats,
		Local:      flags.local,
		Log:        logger,
		Rules:      ruleSet,
		Picker:     picker,
		FetchRules: fetchRules,
	}

	if !stdinIsTerminal {
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
	}
	logger.Info("explorer start", "args", args, "demo", flags.demo, "follow", flags.cw.follow, "log-groups", flags.cw.logGroups)
	err = ui.Run(uiOpts)
	logger.Info("explorer stop", "err", err)
	return err
}

// openLog opens the log file; the explorer never logs to the screen. A log that cannot be
// opened is not worth refusing to start over, so logging is then dropped.
func openLog(path string) (*slog.Logger, func()) {
	if path == "" {
		dir := os.Getenv("XDG_STATE_HOME")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
			}
			dir = filepath.Join(home, ".local", "state")
		}
		path = filepath.Join(dir, "flowlens", "flowlens.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }
}

// openCloudWatch starts the CloudWatch source for --log-group. With one group and no
// --eni or --stream-prefix it does not start yet: it lists the group's streams for the
// explorer's picker, and starts on the user's choice.
func openCloudWatch(ctx context.Context, cmd *cobra.Command, flags *explorerFlags, format *model.Format) (source.Feed, *ui.Picker, error) {
	cw := flags.cw
	if len(cw.logGroups) == 1 && len(cw.enis) == 0 && cw.streamPrefix == "" {
		cfg, err := cw.config(cmd, true, time.Now())
		if err != nil {
			return nil, nil, err
		}
		awsCfg, err := flags.aws.load(ctx)
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
		picker := &ui.Picker{Group: cw.logGroups[0], Items: items, Start: func(names []string) (ui.Feed, error) {
			chosen := cw
			chosen.enis = enisOf(streams, names)
			src, err := newCloudWatchSource(ctx, cmd, &flags.aws, &chosen, format, true)
			if err != nil {
				return nil, err
			}
			return src.Start(ctx), nil
		}}
		return nil, picker, nil
	}
	src, err := newCloudWatchSource(ctx, cmd, &flags.aws, &cw, format, true)
	if err != nil {
		return nil, nil, err
	}
	return src.Start(ctx), nil, nil
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

// loadRules reads --rules files; nil when none were given.
func loadRules(paths []string) (*rules.Set, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	set, err := rules.LoadFiles(paths...)
	if err != nil {
		return nil, usagef("bad --rules: %v", err)
	}
	return set, nil
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

// isTerminal reports whether a standard stream is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}
