package cloudwatch

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source/awsclient"
)

// picker parses CloudWatch events, one record each, in the format of the flow log that
// wrote them. Several flow logs with different formats may deliver to one group, and an
// event does not say which one wrote it; the field count tells most formats apart. Where
// two formats have the same count, the strictest one whose every field parses wins:
// formats are tried with the fewest free-text columns first, since free text (a vpc-id)
// accepts what a typed column (an action) would reject.
type picker struct {
	formats []*model.Format
	// parsers count what they read, one per format; probes try a record in a format
	// without counting it.
	parsers []*model.Parser
	probes  []*model.Parser
	// byGroup lists the formats of each group (indices into formats); the last entry is
	// all of them, for events whose group is not known.
	byGroup [][]int
	// source names the records in malformed-line samples.
	source string
}

// learnFormats finds the format of each group: --format if given, else DescribeFlowLogs.
// The note says where the formats came from, for the status bar; routine is set when
// there is nothing a person needs to know about it.
func learnFormats(ctx context.Context, cfg *Config, groups []logGroup, source string) (p *picker, note string, routine bool) {
	p = &picker{byGroup: make([][]int, len(groups)+1), source: source}
	all := len(groups)
	if cfg.Format != nil {
		i := p.add(cfg.Format)
		for g := range p.byGroup {
			p.byGroup[g] = []int{i}
		}
		return p, "format from --format", true
	}
	useDefault := func(note string) (*picker, string, bool) {
		i := p.add(model.DefaultFormat)
		for g := range p.byGroup {
			p.byGroup[g] = []int{i}
		}
		return p, note, false
	}
	if cfg.EC2 == nil {
		return useDefault("default format (EC2 not asked)")
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.name
	}
	fls, err := ListFlowLogs(ctx, cfg.EC2, names...)
	switch {
	case isAccessDenied(err):
		return useDefault("EC2 access denied (ec2:DescribeFlowLogs): reading the default format; pass --format if the flow log uses another")
	case err != nil:
		return useDefault("format not learned (" + awsclient.Explain(err, cfg.Profile) + "): reading the default format")
	}

	var notes []string
	for g, grp := range groups {
		for _, fl := range fls {
			if fl.LogGroup != grp.name {
				continue
			}
			f, err := model.ParseFormat(fl.Format)
			if err != nil {
				notes = append(notes, fmt.Sprintf("flow log %s has a format flowlens cannot read (%v)", fl.ID, err))
				continue
			}
			i := p.add(f)
			if !slices.Contains(p.byGroup[g], i) {
				p.byGroup[g] = append(p.byGroup[g], i)
			}
		}
		switch n := len(p.byGroup[g]); {
		case n == 0:
			notes = append(notes, fmt.Sprintf("no flow log delivers to %s (DescribeFlowLogs): reading the default format", grp.name))
			p.byGroup[g] = []int{p.add(model.DefaultFormat)}
		case n > 1:
			notes = append(notes, fmt.Sprintf("%d flow log formats deliver to %s: each record is read in the one its field count fits", n, grp.name))
		}
	}
	for i := range p.formats {
		p.byGroup[all] = append(p.byGroup[all], i)
	}
	for _, list := range p.byGroup {
		slices.SortStableFunc(list, func(a, b int) int { return looseness(p.formats[a]) - looseness(p.formats[b]) })
	}
	if len(notes) == 0 {
		return p, "format from DescribeFlowLogs", true
	}
	return p, strings.Join(notes, "; "), false
}

// looseness counts the free-text columns of a format, which accept any token.
func looseness(f *model.Format) int {
	n := 0
	for _, fld := range f.Fields {
		if fld.Info().Kind == model.KindString {
			n++
		}
	}
	return n
}

// add registers a format once and returns its index.
func (p *picker) add(f *model.Format) int {
	for i, have := range p.formats {
		if have.ID == f.ID {
			return i
		}
	}
	p.formats = append(p.formats, f)
	p.parsers = append(p.parsers, model.NewParser(p.source, f))
	p.probes = append(p.probes, model.NewParser(p.source, f))
	return len(p.formats) - 1
}

// parse reads one event of group g (len(groups) when unknown) into out and reports
// whether it is a record; anything else is counted by the parser that read it.
func (p *picker) parse(msg []byte, g int, out *model.Flow) bool {
	cands := p.byGroup[g]
	if len(cands) == 1 {
		return p.read(cands[0], msg, out)
	}
	n := countFields(msg)
	first := -1
	for _, c := range cands {
		if len(p.formats[c].Fields) != n {
			continue
		}
		if first < 0 {
			first = c
		}
		if p.probes[c].Parse(msg, out) == model.LineRecord {
			return p.read(c, msg, out)
		}
	}
	if first < 0 {
		// No format has this many fields: the first format reports it, once.
		first = cands[0]
	}
	return p.read(first, msg, out)
}

// read parses with the counting parser of format i. CloudWatch events carry no header
// lines, so a line that looks like one must not switch the format.
func (p *picker) read(i int, msg []byte, out *model.Flow) bool {
	kind := p.parsers[i].Parse(msg, out)
	if kind == model.LineHeader {
		p.parsers[i].SetFormat(p.formats[i])
	}
	return kind == model.LineRecord
}

// takeStats moves the counts of every parser into st.
func (p *picker) takeStats(st *model.Stats) {
	for i, ps := range p.parsers {
		st.Add(ps.Stats())
		ps.Reset(p.source, p.formats[i], ps.Line())
	}
	for i, ps := range p.probes {
		ps.Reset(p.source, p.formats[i], 0)
	}
}

// countFields counts the runs of non-space bytes, as the parser splits them.
func countFields(b []byte) int {
	n, in := 0, false
	for _, c := range b {
		space := c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
		if !space && !in {
			n++
		}
		in = !space
	}
	return n
}
