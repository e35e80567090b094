package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/names"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/source/awsclient"
	"github.com/flowlens/flowlens/source/ipranges"
	"github.com/flowlens/flowlens/source/liverules"
)

// namesOptions are the options of the commands that show names beside addresses and
// IDs (the explorer, pairs). The rules name hosts, interfaces and groups; AWS's
// address ranges name the services behind public addresses.
type namesOptions struct {
	awsRanges bool
	rangesURL string
}

func (o *namesOptions) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&o.awsRanges, "aws-ranges", false, "name public addresses of AWS services (S3, EC2, CLOUDFRONT, ...) from AWS's published ip-ranges.json, downloaded when the copy under $XDG_CACHE_HOME/flowlens is missing or older than a week (a copy there is used without this flag)")
	fl.StringVar(&o.rangesURL, "aws-ranges-url", ipranges.URL, "where --aws-ranges downloads from")
	_ = fl.MarkHidden("aws-ranges-url")
}

// rangesDownloadTimeout bounds a download of the ranges: they are a nicety, never worth
// a long wait.
const rangesDownloadTimeout = 30 * time.Second

// ranges returns AWS's address ranges to name services by: the cached copy, downloaded
// first with --aws-ranges when needed. Nothing here is fatal: what went wrong is
// returned as a warning to show, and the ranges are nil when there is nothing to use.
func (o *namesOptions) ranges(ctx context.Context) (*names.Ranges, string) {
	path, err := ipranges.CachePath()
	if err != nil {
		if o.awsRanges {
			return nil, "--aws-ranges: " + err.Error()
		}
		return nil, ""
	}
	ctx, cancel := context.WithTimeout(ctx, rangesDownloadTimeout)
	defer cancel()
	r, err := ipranges.Load(ctx, ipranges.Options{Path: path, URL: o.rangesURL, Fetch: o.awsRanges})
	switch {
	case err == nil:
		return r, ""
	case o.awsRanges:
		return r, "--aws-ranges: " + err.Error()
	}
	return r, fmt.Sprintf("the cached AWS address ranges could not be read (%v); --aws-ranges downloads them again", err)
}

// loadRangesInBackground gives the explorer's lookup the ranges without holding up the
// screen: a download can take seconds. Problems go to the log.
func (o *namesOptions) loadRangesInBackground(ctx context.Context, lookup *names.Lookup, log *slog.Logger) {
	go func() {
		r, warning := o.ranges(ctx)
		if r != nil {
			lookup.SetRanges(r)
			log.Info("aws ranges", "prefixes", r.Len(), "sync-token", r.SyncToken)
		}
		if warning != "" {
			log.Warn("aws ranges", "problem", warning)
		}
	}()
}

// namesWarning turns a --live-rules answer that came without the instances' names into
// a warning that says what to do (the rules themselves are whole); other errors stay
// errors.
func namesWarning(err error, profile string) (warning string, rest error) {
	var ne *liverules.NamesError
	if errors.As(err, &ne) {
		return "--live-rules: hosts are not named by their instances: " + awsclient.Explain(ne.Err, profile), nil
	}
	return "", err
}

// warnFilter prints on stderr what in --filter compiled but probably does not say what
// was meant ("rejct" is searched for as text). It is a warning, not an error: the
// expression does what the language says, and quoting the word keeps the text search
// without the warning (docs/filter.md).
func warnFilter(w io.Writer, expr string) {
	n, err := filter.Parse(expr)
	if err != nil {
		return
	}
	for _, fw := range filter.Lint(n) {
		shown, caret := caretWindow(expr, fw.Pos)
		fmt.Fprintf(w, "flowlens: warning: --filter: %s\n  %s\n  %s^\n", output.Sanitize(fw.Error()), output.Sanitize(shown), strings.Repeat(" ", caret))
	}
}

// pinFilter resolves the relative times of --filter (15m, 09:10) once, now, so that
// every compile of it (one per parse worker) names the same instants.
func (o *readOptions) pinFilter(opts filter.Options) {
	if pinned, err := filter.Pin(o.filter, opts); err == nil {
		o.filter = pinned
	}
}
