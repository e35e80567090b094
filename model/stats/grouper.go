package stats

import (
	"slices"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Metrics are a group's counts.
type Metrics struct {
	Flows    uint64 // records, NODATA and SKIPDATA markers included
	Packets  uint64 // sum of packets (an absent value adds nothing)
	Bytes    uint64 // sum of bytes
	Rejects  uint64 // records whose action is REJECT
	Distinct uint64 // distinct present values of Spec.Distinct
}

// Get returns one metric (Flows for MetricDefault).
func (m *Metrics) Get(x Metric) uint64 {
	switch x {
	case Packets:
		return m.Packets
	case Bytes:
		return m.Bytes
	case Rejects:
		return m.Rejects
	case Distinct:
		return m.Distinct
	}
	return m.Flows
}

// Row is one group of a Result.
type Row struct {
	Values []Value // one per Result.Columns, in order
	// Bin is the start of the group's time bin, in UTC, when the spec has a bin; the
	// zero Time when the group's records have no start (null).
	Bin time.Time
	Metrics
	// DistinctPartial marks a group whose distinct count missed values because
	// Spec.MaxDistinct was reached: the count is then a lower bound.
	DistinctPartial bool
	// DistinctEstimated marks a group whose distinct count is not exact either way: an
	// estimate counted elsewhere (Logs Insights' count_distinct), or the sum of counts
	// of parts that may share values (see Grouper.AddRow).
	DistinctEstimated bool
}

// Result is the answer to a Spec: the rows the spec keeps, in order, decoded one at a
// time by Row (a million rows are not all built at once), and how the counting went.
// It reads the Grouper's counts: it is valid until the Grouper's next Add.
type Result struct {
	Columns  []Column
	Bin      time.Duration
	Distinct *Column
	Sort     Metric // the metric rows are ranked by; MetricDefault for time order
	Groups   int    // groups counted, before Min and Top
	Records  uint64 // records added
	// Uncounted is the number of records refused because they would have started a
	// group past Spec.MaxGroups; Capped says that happened.
	Uncounted uint64
	Capped    bool
	// DistinctCapped says some distinct value was not kept (see Row.DistinctPartial).
	DistinctCapped bool
	// DistinctEstimated says some row's distinct count is an estimate (see
	// Row.DistinctEstimated).
	DistinctEstimated bool

	g     *Grouper
	order []int32 // group numbers, in row order
}

// Len is the number of rows.
func (r *Result) Len() int { return len(r.order) }

// Row decodes the i-th row (0 <= i < Len).
func (r *Result) Row(i int) Row { return r.g.row(int(r.order[i])) }

// Rows decodes every row: for small results and tests.
func (r *Result) Rows() []Row {
	rows := make([]Row, len(r.order))
	for i := range rows {
		rows[i] = r.Row(i)
	}
	return rows
}

// Grouper computes one Spec over records passed to Add. It keeps per group a packed
// key and its metrics (and, with Spec.Distinct, one packed (group, value) pair per
// distinct value): never the records.
//
// With Spec.MaxGroups reached, a record whose group exists is still counted and a record
// that would start a new group is not (Result.Uncounted). Because a group is created by
// its first record, every group that exists has counted every one of its records: its
// metrics are exact. What the cap loses is whole groups, the ones first seen after it
// was reached, so a ranking may lack a group that would have placed; the rows shown are
// true, the list may be incomplete.
//
// A Grouper is not safe for concurrent use.
type Grouper struct {
	spec    Spec
	layout  *layout
	groups  *keyTable
	metrics []Metrics
	partial []bool // per group, with Distinct: a value was refused
	// estimated and external are per group, with Distinct: its count is not exact, and
	// a row counted elsewhere added distinct values to it (AddRow).
	estimated []bool
	external  []bool
	texts     texts
	scratch   []byte
	maxGroup  int

	distinct    *slot // the distinct field's packing, off 4 (after the group number)
	pairs       *keyTable
	pairScratch []byte
	maxPairs    int

	records, uncounted uint64
	capped, dcapped    bool
}

// NewGrouper checks spec and prepares its grouping.
func NewGrouper(spec Spec) (*Grouper, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	fields := make([]model.Field, len(spec.By))
	for i, c := range spec.By {
		fields[i] = c.Field
	}
	l := newLayout(uint32(spec.Bin/time.Second), fields)
	g := &Grouper{spec: spec, layout: l, groups: newKeyTable(l.width), scratch: make([]byte, l.width),
		maxGroup: spec.MaxGroups, maxPairs: spec.MaxDistinct}
	if g.maxGroup <= 0 {
		g.maxGroup = DefaultMaxGroups
	}
	if g.maxPairs <= 0 {
		g.maxPairs = DefaultMaxDistinct
	}
	if spec.Distinct != nil {
		s := slotFor(spec.Distinct.Field)
		s.off = 4
		g.distinct = &s
		g.pairs = newKeyTable(4 + s.width)
		g.pairScratch = make([]byte, 4+s.width)
	}
	return g, nil
}

// Add counts one record. For an existing group it allocates nothing.
func (g *Grouper) Add(r *model.Flow) {
	g.records++
	key := g.scratch
	g.layout.pack(key, r, &g.texts)
	i, h := g.groups.find(key)
	if i < 0 {
		if i = g.addGroup(key, h, 1); i < 0 {
			return
		}
	}
	m := &g.metrics[i]
	m.Flows++
	m.Packets += r.Packets
	m.Bytes += r.Bytes
	if r.Action == model.Reject {
		m.Rejects++
	}
	if g.distinct != nil && r.Has(g.distinct.field) {
		g.addDistinct(i, r)
	}
}

func (g *Grouper) addDistinct(group int, r *model.Flow) {
	p := g.pairScratch
	clear(p)
	putUint(p[:4], uint64(group))
	packValue(p[4:], g.distinct, r, &g.texts, 0)
	j, h := g.pairs.find(p)
	if j >= 0 {
		return
	}
	if g.pairs.Len() >= g.maxPairs {
		g.texts.pending = g.texts.pending[:0]
		g.partial[group] = true
		g.dcapped = true
		return
	}
	g.pairs.insert(p, h)
	g.texts.commit()
	if g.external[group] {
		// The value may be one of those a row counted elsewhere already holds.
		g.estimated[group] = true
	}
	g.metrics[group].Distinct++
}

// Groups is the number of groups so far.
func (g *Grouper) Groups() int { return g.groups.Len() }

// MemoryBytes is the memory the grouping holds: keys, tables and metrics.
func (g *Grouper) MemoryBytes() int {
	n := g.groups.bytes() + cap(g.metrics)*int(metricsSize) + cap(g.partial) + cap(g.estimated) + cap(g.external)
	if g.pairs != nil {
		n += g.pairs.bytes()
	}
	return n
}

const metricsSize = 5 * 8

// Result ranks the groups and returns the rows the spec keeps: O(groups) to select the
// top N with a heap, O(rows log rows) to order them.
//
// Order: with a sort metric (or none and no bin: flows), the metric descending; in time
// order (a bin and no sort), the bin ascending. Ties, and rows of one bin, are ordered
// by the bin and then the group fields in Spec.By order, each ascending with null last
// (addresses as netip orders them, numbers numerically, IDs, names and enumerations by
// their text), so the output is the same from run to run.
func (g *Grouper) Result() *Result {
	s := &g.spec
	res := &Result{Columns: s.By, Bin: s.Bin, Distinct: s.Distinct, Groups: g.groups.Len(),
		Records: g.records, Uncounted: g.uncounted, Capped: g.capped, DistinctCapped: g.dcapped, g: g}
	for _, e := range g.estimated {
		res.DistinctEstimated = res.DistinctEstimated || e
	}
	metric := s.sortMetric()
	if !s.timeOrder() {
		res.Sort = metric
	}
	cand := make([]int32, 0, g.groups.Len())
	for i := range g.metrics {
		if g.metrics[i].Get(metric) >= s.Min {
			cand = append(cand, int32(i))
		}
	}
	less := func(a, b int32) int {
		if !s.timeOrder() {
			ma, mb := g.metrics[a].Get(metric), g.metrics[b].Get(metric)
			if ma != mb {
				if ma > mb {
					return -1
				}
				return 1
			}
		}
		return g.layout.compare(g.groups.key(int(a)), g.groups.key(int(b)), &g.texts)
	}
	if top := s.top(); top > 0 && top < len(cand) {
		cand = topK(cand, top, less)
	} else {
		slices.SortFunc(cand, less)
	}
	res.order = cand
	return res
}

func (g *Grouper) row(i int) Row {
	key := g.groups.key(i)
	r := Row{Metrics: g.metrics[i], Values: make([]Value, 0, len(g.spec.By))}
	if g.distinct != nil {
		r.DistinctPartial, r.DistinctEstimated = g.partial[i], g.estimated[i]
	}
	for k := range g.layout.slots {
		s := &g.layout.slots[k]
		v := g.layout.value(key, s, &g.texts)
		if s.kind == slotBin {
			if !v.IsNull() {
				r.Bin = time.Unix(int64(v.Num), 0).UTC()
			}
			continue
		}
		r.Values = append(r.Values, v)
	}
	return r
}

// addGroup adds the group of the packed key (hash h) and returns its index; past
// --max-groups it adds nothing, counts the flows it leaves out, and returns -1.
func (g *Grouper) addGroup(key []byte, h uint64, flows uint64) int {
	if g.groups.Len() >= g.maxGroup {
		g.texts.pending = g.texts.pending[:0]
		g.uncounted += flows
		g.capped = true
		return -1
	}
	i := g.groups.insert(key, h)
	g.texts.commit()
	g.metrics = append(g.metrics, Metrics{})
	if g.distinct != nil {
		g.partial = append(g.partial, false)
		g.estimated = append(g.estimated, false)
		g.external = append(g.external, false)
	}
	return i
}
