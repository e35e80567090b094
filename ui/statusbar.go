package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/source"
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
	src       source.Status
	held      int
	capacity  int
	rate      float64
	dropped   uint64 // by the ring (oldest out) and by the source (screen lagging)
	malformed int64
	following bool
	paused    bool
	local     bool
	message   string
	msgError  bool
}

func renderStatus(s Styles, st statusInfo, width int, helpLabel string) string {
	sep := s.Faint.Render(" │ ")
	var parts []string

	state := string(st.src.State)
	if state == "" {
		state = "starting"
	}
	stateStyle := s.Accept
	switch st.src.State {
	case source.StateError:
		stateStyle = s.Reject
	case source.StatePaused, source.StateConnecting:
		stateStyle = s.Warn
	case source.StateDone:
		stateStyle = s.Muted
	}
	if st.paused && st.src.State != source.StatePaused {
		state, stateStyle = "paused", s.Warn
	}
	parts = append(parts, stateStyle.Render("● "+state))
	if p := st.src.Progress; st.src.State == source.StateReading && p.Total > 0 {
		parts = append(parts, progressBar(s, p.Read, p.Total, 12))
	}
	parts = append(parts, s.Text.Render(output.Sanitize(st.src.Source)))
	if st.src.Mode != "" && string(st.src.State) != st.src.Mode {
		parts = append(parts, s.Muted.Render(st.src.Mode))
	}
	if st.src.Mode != "" {
		if st.src.SessionAge > 0 {
			parts = append(parts, s.Muted.Render("session "+st.src.SessionAge.Truncate(time.Second).String()))
		}
		if st.src.Lag > 0 {
			parts = append(parts, s.Muted.Render("lag "+st.src.Lag.Truncate(time.Second).String()))
		}
		if st.src.Sampled {
			parts = append(parts, s.Warn.Render("sampled"))
		}
		if st.src.Retries > 0 {
			parts = append(parts, s.Warn.Render(fmt.Sprintf("%d retries", st.src.Retries)))
		}
	}
	parts = append(parts, s.Text.Render(fmt.Sprintf("%s in ring", thousands(st.held))))
	parts = append(parts, s.Muted.Render(fmt.Sprintf("%.0f/s", st.rate)))
	if st.dropped > 0 {
		parts = append(parts, s.Warn.Render(fmt.Sprintf("dropped %s", thousands(st.dropped))))
	}
	if st.malformed > 0 {
		parts = append(parts, s.Warn.Render(fmt.Sprintf("malformed %s (m)", thousands(st.malformed))))
	}
	if !st.following {
		parts = append(parts, s.Warn.Render("not following: G to follow"))
	}
	if st.local {
		parts = append(parts, s.Muted.Render("local time"))
	} else {
		parts = append(parts, s.Muted.Render("UTC"))
	}
	if st.src.Note != "" {
		parts = append(parts, s.Muted.Render(output.Sanitize(st.src.Note)))
	}
	if st.src.LastError != "" {
		parts = append(parts, s.Reject.Render(output.Sanitize(st.src.LastError)))
	}
	left := strings.Join(parts, sep)
	if st.message != "" {
		style := s.Accept
		if st.msgError {
			style = s.Reject
		}
		left = style.Render(output.Sanitize(st.message)) + sep + left
	}
	right := s.BarKey.Render(helpLabel) + s.Muted.Render(" help")
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if lw+rw+1 > width {
		left = ansi.Truncate(left, max(0, width-rw-1), "…")
		lw = ansi.StringWidth(left)
	}
	return fit(left+spaces(width-lw-rw)+right, width)
}

func progressBar(s Styles, read, total int64, w int) string {
	frac := float64(read) / float64(total)
	frac = min(max(frac, 0), 1)
	full := int(frac * float64(w))
	return s.Accept.Render(strings.Repeat("█", full)) + s.Faint.Render(strings.Repeat("░", w-full)) + s.Muted.Render(fmt.Sprintf(" %3.0f%%", frac*100))
}
