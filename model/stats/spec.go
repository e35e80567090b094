package stats

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
)

// Metric is what a group is ranked by.
type Metric uint8

const (
	// MetricDefault is the zero Metric: flows, or time order when the spec has a bin.
	MetricDefault Metric = iota
	Flows                // records
	Packets              // the sum of packets
	Bytes                // the sum of bytes
	Rejects              // records whose action is REJECT
	Distinct             // distinct values of Spec.Distinct (headless only)
)

var metricNames = [...]string{"", "flows", "packets", "bytes", "rejects", "distinct"}

func (m Metric) String() string {
	if int(m) < len(metricNames) {
		return metricNames[m]
	}
	return fmt.Sprintf("Metric(%d)", m)
}

// ParseMetric reads a metric name as --sort takes it: flows, packets, bytes, rejects or
// distinct, any case. "records" is accepted for flows.
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "flows", "records":
		return Flows, nil
	case "packets":
		return Packets, nil
	case "bytes":
		return Bytes, nil
	case "rejects":
		return Rejects, nil
	case "distinct":
		return Distinct, nil
	}
	return 0, fmt.Errorf("unknown metric %q: use flows, packets, bytes, rejects or distinct", s)
}

// binUnits are the time units of Insights' bin() that have a fixed length, by every
// spelling it accepts (plurals with s). Months, quarters and years vary in length and
// are refused; milliseconds are below the records' resolution.
var binUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "second": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hour": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour,
}

// ParseBin reads a --bin value: a whole number and a unit as Insights' bin() takes them
// (5m, 1h, 1d, 2w, 30sec, 1hr, 3days), or a Go duration (1h30m). The bin must be a
// whole number of seconds and at most about 136 years.
func ParseBin(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	unit := strings.ToLower(s[i:])
	d, ok := binUnits[unit]
	if base, plural := strings.CutSuffix(unit, "s"); !ok && plural && len(base) > 1 {
		d, ok = binUnits[base] // Insights' plurals: mins, hrs, days; not ms
	}
	var bin time.Duration
	switch {
	case i > 0 && ok:
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n > int64(maxBin/d) {
			return 0, fmt.Errorf("time bin %q: %v", s, errBinTooLong)
		}
		bin = time.Duration(n) * d
	default:
		var err error
		if bin, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("time bin %q: write a number and a unit: 30s, 5m, 1h, 1d, 1w", s)
		}
	}
	if err := checkBin(bin); err != nil {
		return 0, fmt.Errorf("time bin %q: %v", s, err)
	}
	return bin, nil
}

// maxBin is the longest bin: its seconds must fit the 32 bits of a record's start.
const maxBin = time.Duration(math.MaxUint32) * time.Second

var errBinTooLong = errors.New("the time bin is longer than the records' clock (136 years)")

func checkBin(bin time.Duration) error {
	switch {
	case bin <= 0:
		return errors.New("the time bin must be positive")
	case bin%time.Second != 0:
		return fmt.Errorf("the time bin must be a whole number of seconds, not %s (records' times are in seconds)", bin)
	case bin > maxBin:
		return errBinTooLong
	}
	return nil
}

// Column is a record field as a column of the output: the field and the name it is
// written under (its AWS name, or a custom column's name from its format).
type Column struct {
	Field model.Field
	Name  string
}

// ParseColumns reads a comma-separated list of group-by fields as --by takes it: any
// field name or alias of the filter language. The metrics (packets, bytes) and the
// either-side names (addr, port) are errors that say what to write instead; so is a field
// named twice. An empty list gives no columns: one group over everything.
func ParseColumns(list string, opts filter.Options) ([]Column, error) {
	var cols []Column
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		c, err := resolve(name, opts)
		if err != nil {
			return nil, err
		}
		if c.Field == model.FPackets || c.Field == model.FBytes {
			return nil, fmt.Errorf("cannot group by %q: it is a metric, summed in every group (sort by it with --sort %s)", name, c.Name)
		}
		for _, o := range cols {
			if o.Field == c.Field {
				return nil, fmt.Errorf("%q is named twice in the group-by fields", c.Name)
			}
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// ParseColumn reads the one field --distinct takes. Any field may be counted, the
// metrics included; the either-side names are errors.
func ParseColumn(name string, opts filter.Options) (Column, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Column{}, errors.New("no field named")
	}
	return resolve(name, opts)
}

func resolve(name string, opts filter.Options) (Column, error) {
	f, either, err := filter.ResolveField(name, opts)
	if either {
		side := "srcaddr or dstaddr"
		if strings.Contains(strings.ToLower(name), "port") {
			side = "srcport or dstport"
		}
		return Column{}, fmt.Errorf("%q means either side of a record, not one field: use %s", name, side)
	}
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			if fe.Hint != "" {
				return Column{}, fmt.Errorf("%s, %s", fe.Msg, fe.Hint)
			}
			return Column{}, errors.New(fe.Msg)
		}
		return Column{}, err
	}
	return Column{Field: f, Name: columnName(f, name, opts)}, nil
}

// columnName is the AWS name of a known field; a custom column keeps the name its format
// gives it.
func columnName(f model.Field, typed string, opts filter.Options) string {
	if f.Known() {
		return f.Name()
	}
	norm := strings.ToLower(strings.ReplaceAll(typed, "_", "-"))
	for _, fm := range opts.Formats {
		if g, ok := fm.Custom(norm); ok && g == f {
			return fm.NameOf(f)
		}
	}
	return norm
}

// Defaults of a Spec.
const (
	DefaultTop       = 20
	DefaultMaxGroups = 1_000_000
	// DefaultMaxDistinct bounds the (group, value) pairs a distinct count keeps: about
	// 20 bytes a pair for a port, 34 for an address (40-70 MB at the cap).
	DefaultMaxDistinct = 2_000_000
	// TopDefault asks for the default number of rows: DefaultTop, or every group for a
	// time series (a Bin and no Sort).
	TopDefault = -1
)

// Spec is one headless aggregation.
type Spec struct {
	// By are the group-by fields, in output order; none: one group over everything.
	By []Column
	// Bin, when positive, also groups by time: the record's start floored to a multiple
	// of Bin counted from the Unix epoch, in UTC, as Logs Insights' bin() does. It must
	// be a whole number of seconds.
	Bin time.Duration
	// Distinct, when set, counts the distinct values of this field in each group.
	Distinct *Column
	// Sort ranks the groups, descending. MetricDefault: flows, or time order (bin
	// ascending) when Bin is set.
	Sort Metric
	// Top keeps at most this many rows; 0 keeps every group (as --top 0 does, so the
	// zero Spec keeps every group); TopDefault (-1), what a command passes when --top
	// was not given, is 20, or every group for a time series.
	Top int
	// Min keeps only groups whose sort metric is at least Min (flows in time order).
	Min uint64
	// MaxGroups stops adding new groups past this many (<= 0: DefaultMaxGroups); records
	// of groups not admitted are counted in Result.Uncounted.
	MaxGroups int
	// MaxDistinct stops adding (group, value) pairs to the distinct counts past this
	// many (<= 0: DefaultMaxDistinct); the groups that missed a value are marked.
	MaxDistinct int
}

// timeOrder reports whether rows come out in time order.
func (s *Spec) timeOrder() bool { return s.Bin > 0 && s.Sort == MetricDefault }

// sortMetric is the metric ranked by (and compared with Min).
func (s *Spec) sortMetric() Metric {
	if s.Sort == MetricDefault {
		return Flows
	}
	return s.Sort
}

func (s *Spec) top() int {
	if s.Top >= 0 {
		return s.Top
	}
	if s.timeOrder() {
		return 0
	}
	return DefaultTop
}

func (s *Spec) validate() error {
	if s.Bin != 0 {
		if err := checkBin(s.Bin); err != nil {
			return err
		}
	}
	if s.Sort > Distinct {
		return fmt.Errorf("unknown sort metric %d", s.Sort)
	}
	if s.Sort == Distinct && s.Distinct == nil {
		return errors.New("sorting by distinct needs a field to count the distinct values of")
	}
	if s.Top < TopDefault {
		return fmt.Errorf("top must be 0 (every group) or more, not %d", s.Top)
	}
	for _, c := range s.By {
		if c.Field == model.FPackets || c.Field == model.FBytes {
			return fmt.Errorf("cannot group by %s: it is a metric", c.Name)
		}
	}
	return nil
}

// Ranking is how Result orders and cuts the groups, for a caller that asks another
// engine for the same rows (the queries --show-query prints): the metric ranked by
// (and compared with Min), whether rows come in time order instead, and the number of
// rows kept (0: all).
func (s *Spec) Ranking() (metric Metric, timeOrder bool, top int) {
	return s.sortMetric(), s.timeOrder(), s.top()
}
