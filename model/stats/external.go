package stats

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Groups counted elsewhere. Logs Insights and Athena can count a grouping where the
// records are, and send only the groups. Their rows join a Grouper through AddRow, so
// that they come out in the same shape and order, with the same top, minimum and cap,
// through the same writers as groups counted here, and so that groups counted there
// and records counted here (the last minutes of a log group, which Insights may not
// have indexed) add up in one result.

// ParseValue types a group field's value as a record writes it (as Insights and
// Athena return it) the way the parser reads it, so that it lands in the group a local
// count would put it in: `-` and "" are null, and anything else is read by the record
// parser itself, in a format of that one column (addresses, numbers, a time in
// milliseconds taken as seconds, action, log-status and flow-direction in any case and
// written as the records write them); identifiers and custom columns are text. A value
// the parser would refuse is an error: its record would not have been counted.
func ParseValue(f model.Field, text string) (Value, error) {
	if text == "" || text == "-" {
		return Value{}, nil
	}
	if !f.Known() || f.Info().Kind == model.KindString {
		// Taken as they are (a header-like word such as "start" must not be read as a
		// header line by the parser).
		return Value{Kind: KindText, Text: text}, nil
	}
	fm, err := oneColumn(f)
	if err != nil {
		return Value{}, err
	}
	p := model.NewParser(f.Name(), fm)
	var r model.Flow
	if kind := p.Parse([]byte(text), &r); kind != model.LineRecord {
		why := "not one value of the field"
		if s := p.Stats().Samples; len(s) > 0 {
			why = s[0].Detail
		}
		return Value{}, fmt.Errorf("%s %q: %s", f.Name(), text, why)
	}
	l := newLayout(0, []model.Field{f})
	key := make([]byte, l.width)
	var t texts
	l.pack(key, &r, &t)
	t.commit()
	return l.value(key, &l.slots[0], &t), nil
}

// oneColumn is the format of the one column f, for ParseValue.
func oneColumn(f model.Field) (*model.Format, error) {
	if fm, ok := oneColumnFormats.Load(f); ok {
		return fm.(*model.Format), nil
	}
	fm, err := model.ParseFormat(f.Name())
	if err != nil {
		return nil, err
	}
	oneColumnFormats.Store(f, fm)
	return fm, nil
}

var oneColumnFormats sync.Map // model.Field -> *model.Format

// errValueKind is a row value of the wrong kind for its column.
var errValueKind = errors.New("the value's kind does not fit the column")

// AddRow counts a group counted elsewhere: Values holds one value per Spec.By (typed as
// ParseValue types them), Bin the start of its time bin (zero: null) when the spec has
// a bin, and the metrics its records add. It joins the group of the same key, as if
// its records had been added one by one: with MaxGroups reached, a row of a new group
// is not counted (its flows go to Result.Uncounted).
//
// Distinct counts cannot be merged without the values: a group whose count is the sum
// of two counts (two rows, or a row and records added here) may count a value twice,
// and is marked DistinctEstimated, as is a row marked so (Logs Insights' count_distinct
// is an estimate).
func (g *Grouper) AddRow(r Row) error {
	if len(r.Values) != len(g.spec.By) {
		return fmt.Errorf("a row of %d values for %d group-by fields", len(r.Values), len(g.spec.By))
	}
	key := g.scratch
	clear(key)
	k := 0
	for i := range g.layout.slots {
		s := &g.layout.slots[i]
		b := key[s.off : s.off+s.width]
		if s.kind == slotBin {
			if r.Bin.IsZero() {
				continue
			}
			secs := r.Bin.Unix()
			if secs < 0 || secs > math.MaxUint32 {
				return fmt.Errorf("time bin %s is outside the records' clock", r.Bin.UTC().Format(time.RFC3339))
			}
			putUint(b, uint64(secs)/uint64(g.layout.bin))
			key[s.bit>>3] |= 1 << (s.bit & 7)
			continue
		}
		v := r.Values[k]
		k++
		if v.IsNull() {
			continue
		}
		if err := g.packRowValue(b, s, v); err != nil {
			g.texts.pending = g.texts.pending[:0]
			return fmt.Errorf("%s %q: %w", g.spec.By[k-1].Name, v.String(), err)
		}
		key[s.bit>>3] |= 1 << (s.bit & 7)
	}
	i, h := g.groups.find(key)
	merged := i >= 0
	if i < 0 {
		if i = g.addGroup(key, h, r.Flows); i < 0 {
			return nil
		}
	}
	g.records += r.Flows
	m := &g.metrics[i]
	m.Flows += r.Flows
	m.Packets += r.Packets
	m.Bytes += r.Bytes
	m.Rejects += r.Rejects
	if g.distinct != nil {
		if merged && m.Distinct > 0 && r.Distinct > 0 {
			g.estimated[i] = true
		}
		m.Distinct += r.Distinct
		g.external[i] = g.external[i] || r.Distinct > 0
		g.estimated[i] = g.estimated[i] || r.DistinctEstimated
		g.partial[i] = g.partial[i] || r.DistinctPartial
		g.dcapped = g.dcapped || r.DistinctPartial
	}
	return nil
}

// packRowValue writes a row's value into its slot, as pack writes a record's.
func (g *Grouper) packRowValue(b []byte, s *slot, v Value) error {
	switch s.kind {
	case slotAddr:
		if v.Kind != KindAddr {
			return errValueKind
		}
		a16 := v.Addr.As16()
		copy(b, a16[:])
	case slotUint:
		if v.Kind != KindNumber || len(b) < 8 && v.Num > 1<<(8*len(b))-1 {
			return errValueKind
		}
		putUint(b, v.Num)
	case slotSym:
		if v.Kind != KindText {
			return errValueKind
		}
		putUint(b, uint64(model.Intern(v.Text)))
	case slotText:
		if v.Kind != KindText {
			return errValueKind
		}
		putUint(b, uint64(g.texts.id(v.Text)))
	default: // the enumerations: their byte is the one whose text the value is
		if v.Kind != KindText {
			return errValueKind
		}
		for e := byte(1); e <= 3; e++ {
			if name := enumText(s.kind, e); name != "-" && strings.EqualFold(name, v.Text) {
				b[0] = e
				return nil
			}
		}
		return errValueKind
	}
	return nil
}
