package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/flowlens/flowlens/model/stats"
)

// lowerBlocks are the blocks of one to seven eighths of a cell's height, from the bottom.
var lowerBlocks = []string{"▁", "▂", "▃", "▄", "▅", "▆", "▇"}

// rejectBlock draws the rejected records: a glyph of its own besides the reject colour,
// so the chart reads the same without colour (NO_COLOR) and in a screenshot.
const rejectBlock = "▓"

// chartColumn is one bucket's column: its rejected records in whole cells at the bottom
// (rounded: fewer than half a cell's worth do not show, so that the few benign rejects
// of every minute do not hide when a scan began), and the rest in eighths of a cell
// above them.
type chartColumn struct{ rejCells, accEighths int }

// chartColumns scales the buckets to bars cells of height against the tallest bucket.
func chartColumns(h stats.Histogram, m stats.Metric, bars int) ([]chartColumn, uint64) {
	var peak uint64
	for _, b := range h.Buckets {
		peak = max(peak, b.Accepted.Get(m)+b.Other.Get(m)+b.Rejected.Get(m))
	}
	cols := make([]chartColumn, len(h.Buckets))
	if peak == 0 {
		return cols, 0
	}
	scale := func(v uint64, units int) int { return int((v*uint64(units)*2 + peak) / (2 * peak)) } // rounded
	for i, b := range h.Buckets {
		acc, rej := b.Accepted.Get(m)+b.Other.Get(m), b.Rejected.Get(m)
		c := &cols[i]
		c.rejCells = min(scale(rej, bars), bars)
		c.accEighths = scale(acc, bars*8)
		if acc > 0 {
			c.accEighths = max(c.accEighths, 1) // a bucket with traffic is never blank
		}
		c.accEighths = min(c.accEighths, (bars-c.rejCells)*8)
	}
	return cols, peak
}

// drawChart draws the records held over time, a column of blocks per bucket across the
// width: the rejected at the bottom (▓, reject colour), the accepted and the records
// without an action above them (█ and its eighths), a time axis below. The bucket size is
// the histogram's, chosen from the time span held.
func (v *statsView) drawChart(s Styles, d statsDraw) string {
	c := v.lay.chart
	iw, bars := c.w-2, c.h-3
	h := v.frame.Histogram
	m := v.frame.Metric
	unit := "flows"
	switch m {
	case stats.Bytes:
		unit = "bytes"
	case stats.Packets:
		unit = "packets"
	default:
		m = stats.Flows // the rejects are in every column anyway
	}
	buckets := h.Buckets
	if len(buckets) > iw {
		buckets = buckets[len(buckets)-iw:] // cannot happen: the histogram fits the width
	}
	h.Buckets = buckets
	cols, peak := chartColumns(h, m, bars)
	bw := 1
	if len(cols) > 0 {
		bw = max(1, iw/len(cols))
	}
	barW := bw
	if bw >= 3 {
		barW = bw - 1 // a gap between wide columns
	}

	lines := make([]string, 0, bars+1)
	for r := 0; r < bars; r++ {
		level := bars - 1 - r
		var ln chartLine
		for _, col := range cols {
			glyph, kind := " ", 0
			switch e := col.accEighths - (level-col.rejCells)*8; {
			case level < col.rejCells:
				glyph, kind = rejectBlock, 2
			case e >= 8:
				glyph, kind = "█", 1
			case e > 0:
				glyph, kind = lowerBlocks[e-1], 1
			}
			ln.add(strings.Repeat(glyph, barW), kind)
			ln.add(strings.Repeat(" ", bw-barW), 0)
		}
		lines = append(lines, ln.render(s))
	}
	if len(cols) == 0 {
		lines[bars/2] = s.Muted.Render("  no records with a start time yet")
	}
	lines = append(lines, s.Muted.Render(timeAxis(buckets, h.Step, bw, iw, d.local)))

	t := v.frame.Totals
	title := fmt.Sprintf("Over time · %s flows, %s, %s rejected · %s per %s", thousands(t.Flows), humanBytes(t.Bytes),
		thousands(t.Rejects), unit, stepText(h.Step))
	right := fmt.Sprintf("█ accepted %s rejected · peak %s", rejectBlock, compact(peak))
	if m == stats.Bytes {
		right = fmt.Sprintf("█ accepted %s rejected · peak %s", rejectBlock, humanBytes(peak))
	}
	if v.tr != nil && v.tr.Pending() > 0 {
		done := max(0, v.total-v.tr.Pending())
		right = fmt.Sprintf("counting %d%% of %s held…", done*100/max(1, v.total), thousands(v.total))
	}
	return s.box(title, right, lines, c.w, c.h, false)
}

// chartLine gathers a line's cells in runs of one kind (0 blank, 1 accepted, 2 rejected)
// so that each run is styled once, not each cell.
type chartLine struct {
	runs  []string
	kinds []int
}

func (l *chartLine) add(text string, kind int) {
	if text == "" {
		return
	}
	if n := len(l.runs); n > 0 && l.kinds[n-1] == kind {
		l.runs[n-1] += text
		return
	}
	l.runs = append(l.runs, text)
	l.kinds = append(l.kinds, kind)
}

func (l *chartLine) render(s Styles) string {
	var b strings.Builder
	for i, r := range l.runs {
		var st lipgloss.Style
		switch l.kinds[i] {
		case 1:
			st = s.Accept
		case 2:
			st = s.Reject
		default:
			b.WriteString(r)
			continue
		}
		b.WriteString(st.Render(r))
	}
	return b.String()
}

// timeAxis labels the buckets' starts under their columns, as many as fit with two
// spaces between: the clock for buckets under a day, the date for longer ones.
func timeAxis(buckets []stats.Bucket, step time.Duration, bw, width int, local bool) string {
	layout := "15:04"
	if step >= 24*time.Hour {
		layout = "Jan 02"
	}
	line := []byte(strings.Repeat(" ", width))
	var out strings.Builder
	next := 0
	pos := 0
	for i, b := range buckets {
		col := i * bw
		if col < next {
			continue
		}
		t := b.Start.In(shownZone(local))
		label := t.Format(layout)
		if col+len(label) > width {
			break
		}
		copy(line[col:], label)
		next = col + len(label) + 2
		pos = col + len(label)
	}
	out.Write(line[:max(pos, 0)])
	return out.String()
}

// stepText writes a bucket size the way people say it: 1m, 15m, 2h, 1d.
func stepText(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}
