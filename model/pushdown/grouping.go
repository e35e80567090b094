package pushdown

import (
	"fmt"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Grouping is what `stats` counts: one group per distinct combination of the By fields
// (and time bin), with flows (records), packets and bytes (sums; a missing value counts
// 0), rejects (records with action REJECT) and, with HasDistinct, the number of distinct
// values of Distinct.
type Grouping struct {
	By []model.Field
	// Bin cuts time into windows of this length, aligned on the Unix epoch, by the
	// record's start (which is the CloudWatch event's timestamp, what Insights' bin()
	// uses). Zero means no time bins.
	Bin         time.Duration
	Distinct    model.Field
	HasDistinct bool
}

// The names of the metric columns of a grouped query's results (Insights and SQL).
const (
	ColFlows   = "flows"
	ColPackets = "sum_packets"
	ColBytes   = "sum_bytes"
	ColRejects = "rejects"
)

// DistinctColumn names the distinct-count column of a grouping.
func DistinctColumn(f *model.Format, fld model.Field) string {
	return "distinct_" + identifier(f.NameOf(fld))
}

// ColumnName is the name a field's column has in the Insights query (the parse names)
// and the SQL (AWS's Athena columns): the AWS name with _ for -.
func ColumnName(f *model.Format, fld model.Field) string {
	return identifier(f.NameOf(fld))
}

// checkGrouping refuses what no target can count.
func checkGrouping(g *Grouping, f *model.Format) error {
	if g == nil {
		return nil
	}
	for _, fld := range g.By {
		if f.Column(fld) < 0 {
			return fmt.Errorf("cannot group by %s: the format has no such column", f.NameOf(fld))
		}
	}
	if g.HasDistinct && f.Column(g.Distinct) < 0 {
		return fmt.Errorf("cannot count distinct %s: the format has no such column", f.NameOf(g.Distinct))
	}
	if g.Bin < 0 || g.Bin > 0 && (g.Bin < time.Second || g.Bin%time.Second != 0) {
		return fmt.Errorf("bin %s: want a whole number of seconds", g.Bin)
	}
	return nil
}

// insightsPeriod writes a bin as Insights' bin() takes it: 5m, 1h, 1d.
func insightsPeriod(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// BinColumn is the name of the time-bin column: Insights names it after the
// expression, bin(5m); the SQL uses the same name, quoted.
func BinColumn(d time.Duration) string { return "bin(" + insightsPeriod(d) + ")" }
