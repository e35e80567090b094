package athena

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/filter"
	"github.com/flowlens/flowlens/model/pushdown"
	"github.com/flowlens/flowlens/model/stats"
	"github.com/flowlens/flowlens/source"
)

// GroupResult is what Groups counted, in the rows model/stats would give for the same
// records and spec: the same values, metrics and order, Top and Min applied.
type GroupResult struct {
	Rows    []stats.Row
	Columns []stats.Column
	// Pushed says Athena grouped (the filter compiled to SQL exactly); otherwise the
	// records were fetched (with the looser WHERE) and grouped here, and Why says why.
	Pushed bool
	Why    string
	// Groups is the number of groups before Top and Min; Records the records counted.
	Groups  int
	Records uint64
	// Capped: grouped here, the spec's MaxGroups was reached (see stats.Result), and
	// Uncounted records of later groups were not counted.
	Capped    bool
	Uncounted uint64
	// SQL is the query sent; Execution its stats (the data scanned).
	SQL       string
	Execution *Execution
}

// Groups counts the groups of spec over the records that match the filter expression
// and whose start lies in [q.Since, q.Until). When the filter compiles to SQL exactly,
// Athena groups (pushdown.SQL with the spec as a Grouping) and only the groups travel;
// otherwise a looser WHERE fetches the records, flowlens's own filter (compiled with
// opts) keeps the matching ones, and model/stats groups them here, as for any source.
// The distinct count is exact either way (SQL's count(DISTINCT), not an estimate).
func (s *Source) Groups(ctx context.Context, q Query, opts filter.Options, spec stats.Spec) (*GroupResult, error) {
	node, err := filter.Parse(q.Filter)
	if err != nil {
		return nil, err
	}
	g := &pushdown.Grouping{Bin: spec.Bin}
	for _, c := range spec.By {
		g.By = append(g.By, c.Field)
	}
	if spec.Distinct != nil {
		g.Distinct, g.HasDistinct = spec.Distinct.Field, true
	}
	o := s.sqlOptions(&q)
	o.Grouping = g
	res, err := pushdown.SQL(node, o)
	if err != nil {
		return nil, err
	}
	if !res.Exact {
		return s.groupLocally(ctx, q, opts, spec, "the filter does not compile to SQL exactly: "+strings.Join(res.Notes, "; "))
	}
	out := &GroupResult{Columns: spec.By, Pushed: true, SQL: res.Text}
	if res.Never {
		return out, nil
	}
	x, err := Start(ctx, s.cfg, res.Text)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	out.Execution = x
	if err := x.Wait(ctx, q.Progress); err != nil {
		return out, err
	}
	var idx groupColumns
	err = x.Rows(ctx, func(cols []Column) error {
		var err error
		idx, err = indexGroupColumns(cols, s.table.Columns, spec)
		return err
	}, func(row []*string) error {
		r, err := idx.row(row, spec)
		if err != nil {
			return err
		}
		out.Rows = append(out.Rows, r)
		out.Records += r.Flows
		return nil
	})
	if err != nil {
		return out, err
	}
	out.Groups = len(out.Rows)
	out.Rows = orderRows(out.Rows, spec)
	return out, nil
}

// groupLocally fetches the records and groups them with model/stats.
func (s *Source) groupLocally(ctx context.Context, q Query, opts filter.Options, spec stats.Spec, why string) (*GroupResult, error) {
	if len(opts.Formats) == 0 {
		opts.Formats = []*model.Format{s.table.Columns}
	}
	if _, err := filter.Compile(q.Filter, opts); err != nil {
		return nil, err
	}
	grouper, err := stats.NewGrouper(spec)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex // the sink runs on one goroutine; the lock documents the handover
	newStage := func() source.Stage {
		flt, _ := filter.Compile(q.Filter, opts)
		return func(c *source.Chunk) {
			kept := c.Records[:0]
			for i := range c.Records {
				if flt.All() || flt.Match(&c.Records[i]) {
					kept = append(kept, c.Records[i])
				}
			}
			c.Records = kept
		}
	}
	x, err := s.Run(ctx, q, newStage, func(c *source.Chunk) bool {
		mu.Lock()
		defer mu.Unlock()
		for i := range c.Records {
			grouper.Add(&c.Records[i])
		}
		return true
	})
	out := &GroupResult{Columns: spec.By, Why: why, Execution: x}
	if x != nil {
		out.SQL = x.SQL
	}
	if err != nil {
		return out, err
	}
	r := grouper.Result()
	out.Rows, out.Groups, out.Records, out.Capped, out.Uncounted = r.Rows(), r.Groups, r.Records, r.Capped, r.Uncounted
	return out, nil
}

// groupColumns says where each part of a group row is in the result's columns.
type groupColumns struct {
	by                                            []int
	fields                                        []model.Field
	bin, flows, packets, bytes, rejects, distinct int
}

func indexGroupColumns(cols []Column, f *model.Format, spec stats.Spec) (groupColumns, error) {
	find := func(name string) int {
		return slices.IndexFunc(cols, func(c Column) bool { return strings.EqualFold(c.Name, name) })
	}
	g := groupColumns{bin: -1, distinct: -1}
	for _, c := range spec.By {
		i := find(pushdown.ColumnName(f, c.Field))
		if i < 0 {
			return g, fmt.Errorf("athena: the result has no column %s", pushdown.ColumnName(f, c.Field))
		}
		g.by = append(g.by, i)
		g.fields = append(g.fields, c.Field)
	}
	if spec.Bin > 0 {
		g.bin = find(pushdown.BinColumn(spec.Bin))
	}
	g.flows, g.packets, g.bytes, g.rejects = find(pushdown.ColFlows), find(pushdown.ColPackets), find(pushdown.ColBytes), find(pushdown.ColRejects)
	if spec.Distinct != nil {
		g.distinct = find(pushdown.DistinctColumn(f, spec.Distinct.Field))
	}
	if g.flows < 0 {
		return g, fmt.Errorf("athena: the result has no %s column", pushdown.ColFlows)
	}
	return g, nil
}

// row reads one group row.
func (g groupColumns) row(vals []*string, spec stats.Spec) (stats.Row, error) {
	get := func(i int) (string, bool) {
		if i < 0 || i >= len(vals) || vals[i] == nil {
			return "", false
		}
		return *vals[i], true
	}
	num := func(i int) (uint64, error) {
		v, ok := get(i)
		if !ok || v == "" {
			return 0, nil
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("athena: %q is not a count", v)
		}
		return n, nil
	}
	var r stats.Row
	for k, i := range g.by {
		v, ok := get(i)
		r.Values = append(r.Values, groupValue(g.fields[k], v, ok))
	}
	if v, ok := get(g.bin); ok && g.bin >= 0 {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return r, fmt.Errorf("athena: time bin %q is not Unix seconds", v)
		}
		r.Bin = time.Unix(secs, 0).UTC()
	}
	var err error
	for _, m := range []struct {
		col int
		dst *uint64
	}{{g.flows, &r.Flows}, {g.packets, &r.Packets}, {g.bytes, &r.Bytes}, {g.rejects, &r.Rejects}, {g.distinct, &r.Distinct}} {
		if *m.dst, err = num(m.col); err != nil {
			return r, err
		}
	}
	return r, nil
}

// groupValue types a group field's value as model/stats does: addresses, numbers, text;
// NULL and a text table's `-` are null.
func groupValue(f model.Field, v string, ok bool) stats.Value {
	if !ok || v == "-" || v == "" {
		return stats.Value{}
	}
	switch f.Info().Kind {
	case model.KindAddr:
		if a, err := netip.ParseAddr(v); err == nil {
			return stats.Value{Kind: stats.KindAddr, Addr: a.Unmap()}
		}
		return stats.Value{}
	case model.KindAction, model.KindLogStatus, model.KindDirection, model.KindString:
		return stats.Value{Kind: stats.KindText, Text: v}
	}
	if !f.Known() {
		return stats.Value{Kind: stats.KindText, Text: v}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return stats.Value{}
	}
	return stats.Value{Kind: stats.KindNumber, Num: n}
}

// orderRows orders, cuts and keeps rows as stats.Grouper.Result does: Min on the sort
// metric, the metric descending (or time order with a bin and no sort), ties by the bin
// then the group values ascending with null last, and Top.
func orderRows(rows []stats.Row, spec stats.Spec) []stats.Row {
	timeOrder := spec.Bin > 0 && spec.Sort == stats.MetricDefault
	metric := spec.Sort
	if metric == stats.MetricDefault {
		metric = stats.Flows
	}
	kept := rows[:0]
	for _, r := range rows {
		if r.Get(metric) >= spec.Min {
			kept = append(kept, r)
		}
	}
	slices.SortStableFunc(kept, func(a, b stats.Row) int {
		if !timeOrder {
			if c := cmp.Compare(b.Get(metric), a.Get(metric)); c != 0 {
				return c
			}
		}
		if spec.Bin > 0 {
			switch {
			case a.Bin.IsZero() != b.Bin.IsZero():
				if a.Bin.IsZero() {
					return 1
				}
				return -1
			default:
				if c := a.Bin.Compare(b.Bin); c != 0 {
					return c
				}
			}
		}
		for i := range a.Values {
			if c := a.Values[i].Compare(b.Values[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	top := spec.Top
	if top < 0 {
		top = stats.DefaultTop
		if timeOrder {
			top = 0
		}
	}
	if top > 0 && top < len(kept) {
		kept = kept[:top]
	}
	return kept
}
