package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/feed"
)

// rateMeter turns record counts into records per second over the last few seconds.
type rateMeter struct {
	samples [8]struct {
		at time.Time
		n  uint64
	}
	next  int
	total uint64
}

func (r *rateMeter) add(n int) { r.total += uint64(n) }

// tick records the total at now; rate is then over the oldest sample kept.
func (r *rateMeter) tick(now time.Time) {
	r.samples[r.next%len(r.samples)].at = now
	r.samples[r.next%len(r.samples)].n = r.total
	r.next++
}

func (r *rateMeter) rate() float64 {
	if r.next < 2 {
		return 0
	}
	newest := r.samples[(r.next-1)%len(r.samples)]
	oldest := r.samples[max(0, r.next-len(r.samples))%len(r.samples)]
	d := newest.at.Sub(oldest.at).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(newest.n-oldest.n) / d
}

// statusInfo is what the status bar shows, gathered by the root model.
type statusInfo struct {
	src       feed.Status
	held      int
	capacity  int
	rate      float64 // records per second arriving, as the screen measures them
	dropped   uint64  // by the ring (oldest out) and by the source (screen lagging)
	malformed int64
	following bool
	paused    bool
	local     bool
	message   string
	msgError  bool
	work      string // long work under way and how far it is (work.go)
	// the first keys of the actions the bar mentions, as rebound, and the short help
	followKey, malformedKey string
	help                    string
}

// statusPart is one piece of the status bar. When the bar is too narrow, the parts of
// the lowest rank are kept, whole, as many as fit; only the first, alone too wide, is
// ever cut, at a word.
type statusPart struct {
	text    string // plain, clean text
	style   lipgloss.Style
	rank    int
	elastic bool // a message: cut in the middle to the room left rather than dropped
}

// The ranks: what the user needs to read the screen stays longest. A message (an
// export's path, an error) comes after the state, the source and trouble: it is kept
// whole when it fits and cut in the middle to the room left when not, but it never
// pushes those off; it expires (Model.notify), and the fields of lower rank come back.
const (
	rankState = iota
	rankSource
	rankTrouble // errors and lost records
	rankMessage
	rankWarning // sampling, retries, a screen that does not follow
	rankRing
	rankLag
	rankFields // the source's own fields, in their order
	rankRate   = rankFields + 2
	rankZone   = rankRate + 1
	rankNote   = rankZone + 1
)

// minMessage is the fewest cells a message is cut to; with less room left it goes.
const minMessage = 24

func renderStatus(s Styles, st statusInfo, width int) string {
	var parts []statusPart
	add := func(text string, style lipgloss.Style, rank int) {
		parts = append(parts, statusPart{text: text, style: style, rank: rank})
	}
	state := string(st.src.State)
	if state == "" {
		state = "starting"
	}
	stateStyle := s.Accept
	switch st.src.State {
	case feed.StateError:
		stateStyle = s.Reject
	case feed.StatePaused, feed.StateConnecting:
		stateStyle = s.Warn
	case feed.StateDone:
		stateStyle = s.Muted
	}
	if st.paused && st.src.State != feed.StatePaused {
		state, stateStyle = "paused", s.Warn
	}
	add("● "+state, stateStyle, rankState)
	progress := -1
	if frac, ok := st.src.Progress.Fraction(); ok && st.src.State == feed.StateReading {
		progress = len(parts)
		add(fmt.Sprintf("%3.0f%%", frac*100), s.Muted, rankRing)
	}
	if st.src.Source != "" {
		add(st.src.Source, s.Text, rankSource)
	}
	for i, f := range st.src.Fields {
		text := strings.TrimSpace(f.Label + " " + f.Value)
		if f.Value == "" || f.Value == string(st.src.State) {
			continue // nothing to say, or the state said it
		}
		add(text, s.Muted, rankFields+min(i, 1))
	}
	if st.src.Lag > 0 {
		add("lag "+st.src.Lag.Truncate(time.Second).String(), s.Muted, rankLag)
	}
	if st.src.Sampled {
		add("sampled", s.Warn, rankWarning)
	}
	if st.src.Retries > 0 {
		add(counted(st.src.Retries, "retry", "retries"), s.Warn, rankWarning)
	}
	add(fmt.Sprintf("%s in ring", thousands(st.held)), s.Text, rankRing)
	rate := st.rate
	if st.src.Rate > 0 {
		rate = st.src.Rate // the source counts what it reads, before any dropping
	}
	if st.src.State != feed.StateDone {
		// A source that is done reads nothing: a rate would be what it was, stale.
		add(thousands(int64(rate+0.5))+"/s", s.Muted, rankRate)
	}
	if st.dropped > 0 {
		add(fmt.Sprintf("dropped %s", thousands(st.dropped)), s.Warn, rankTrouble)
	}
	if st.malformed > 0 {
		add(fmt.Sprintf("malformed %s (%s)", thousands(st.malformed), st.malformedKey), s.Warn, rankTrouble)
	}
	if !st.following {
		add("not following: "+st.followKey+" to follow", s.Warn, rankWarning)
	}
	if st.local {
		add("local time", s.Muted, rankZone)
	} else {
		add("UTC", s.Muted, rankZone)
	}
	if st.src.Note != "" {
		add(st.src.Note, s.Muted, rankNote)
	}
	if st.src.LastError != "" {
		add(st.src.LastError, s.Reject, rankTrouble)
	}
	// Long work and messages last: the fields before them do not move when one comes.
	if st.message != "" {
		style := s.Accept
		if st.msgError {
			style = s.Reject
		}
		add(st.message, style, rankMessage)
		parts[len(parts)-1].elastic = true
	}
	if st.work != "" {
		add(st.work, s.Warn, rankMessage)
		parts[len(parts)-1].elastic = true
	}

	right := st.help
	room := width - ansi.StringWidth(right) - 1
	const sepWidth = 3
	widths := make([]int, len(parts))
	for i, p := range parts {
		widths[i] = ansi.StringWidth(p.text)
		if i == progress {
			widths[i] += progressCells + 1
		}
	}
	total := 0
	// Keep whole parts, the most needed first, as long as they fit: a part too wide for
	// what is left goes, and a smaller, less needed one may still take its place.
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return parts[a].rank - parts[b].rank })
	kept := make([]bool, len(parts))
	total = 0
	for _, i := range order {
		need := widths[i]
		if total > 0 {
			need += sepWidth
		}
		switch {
		case total+need <= room || total == 0:
			kept[i] = true
			total += need
		case parts[i].elastic && room-total-(need-widths[i]) >= minMessage:
			w := room - total - (need - widths[i])
			parts[i].text = cutMiddle(parts[i].text, w)
			kept[i] = true
			total = room
		}
	}
	sep := s.Faint.Render(" │ ")
	var b strings.Builder
	for i, p := range parts {
		if !kept[i] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		text := p.text
		if total > room {
			text = cutAtWord(text, room)
		}
		if i == progress {
			b.WriteString(progressBar(s, st.src.Progress, progressCells) + " ")
		}
		b.WriteString(p.style.Render(text))
	}
	left := b.String()
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	return fit(left+spaces(width-lw-rw)+right, width)
}

// progressCells is the width of the progress bar, its percentage aside.
const progressCells = 12

func progressBar(s Styles, p feed.Progress, w int) string {
	frac, _ := p.Fraction()
	full := int(frac * float64(w))
	return s.Accept.Render(strings.Repeat("█", full)) + s.Faint.Render(strings.Repeat("░", w-full))
}

// cutMiddle shortens plain text to at most w cells by taking out its middle, marked
// with an ellipsis: a message's start says what happened and its end names the file.
func cutMiddle(text string, w int) string {
	if ansi.StringWidth(text) <= w {
		return text
	}
	if w <= 1 {
		return ansi.Truncate(text, max(w, 0), "")
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return ansi.Truncate(text, head, "") + "…" + ansi.TruncateLeft(text, ansi.StringWidth(text)-tail, "")
}

// cutAtWord shortens plain text to at most w cells, at the end of a word, marking the
// cut with an ellipsis; a first word longer than w is cut where it must be.
func cutAtWord(text string, w int) string {
	if ansi.StringWidth(text) <= w {
		return text
	}
	if w <= 1 {
		return ansi.Truncate(text, max(w, 0), "")
	}
	cut := ansi.Truncate(text, w-1, "")
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = strings.TrimRight(cut[:i], " ,;:")
	}
	return cut + "…"
}
