package cloudwatch

import (
	"strings"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/source/insights"
)

// Modes as the status bar shows them.
const (
	ModeLiveTail = "live tail"
	ModePolling  = "polling"
	ModeHistory  = "history"
)

// The labels of the status fields the source reports (feed.Status.Fields).
const (
	FieldMode    = "mode"    // one of the modes
	FieldSession = "session" // the age of the Live Tail session, whole seconds
	// FieldPushed is what of the filter is pushed down to CloudWatch, as typed
	// ("proto=tcp addr=10.0.3.0/24"), "(looser)" when the pattern keeps more.
	FieldPushed = feed.FieldPushed
	// FieldScanned is the bytes Logs Insights scanned (and billed) so far.
	FieldScanned = feed.FieldScanned
)

// health tracks what the status bar shows about the source. It belongs to the source's
// goroutine.
type health struct {
	st     feed.Status
	mode   string            // ModeLiveTail, ModePolling or ModeHistory; "" before reading
	notes  map[string]string // by topic: "format", "mode", "dedup"
	order  []string
	rate   rateMeter
	newest int64 // timestamp (ms) of the newest record delivered
	// sessionStart is when the current Live Tail session started; zero without one.
	sessionStart time.Time
	// pushed is the "pushed" field; scanned, when set, reads the bytes Insights
	// scanned so far.
	pushed  string
	scanned func() float64
}

func newHealth(name string) *health {
	return &health{st: feed.Status{Source: name, State: feed.StateConnecting}, notes: map[string]string{}}
}

// note sets the remark on a topic ("" clears it).
func (h *health) note(topic, text string) {
	if _, ok := h.notes[topic]; !ok {
		h.order = append(h.order, topic)
	}
	h.notes[topic] = text
}

// saw counts delivered events and their newest timestamp.
func (h *health) saw(n int, newest int64) {
	h.rate.total += int64(n)
	h.newest = max(h.newest, newest)
}

// failed records an error the source goes on after (already explained).
func (h *health) failed(msg string, now time.Time) {
	h.st.LastError = msg
	h.st.LastErrorAt = now
}

// snapshot computes the time-dependent fields for now.
func (h *health) snapshot(now time.Time) feed.Status {
	st := h.st
	var notes []string
	for _, topic := range h.order {
		if n := h.notes[topic]; n != "" {
			notes = append(notes, n)
		}
	}
	st.Note = strings.Join(notes, "; ")
	st.Rate = h.rate.perSecond(now)
	if h.newest > 0 {
		st.Lag = max(now.Sub(time.UnixMilli(h.newest)), 0)
	}
	// What only CloudWatch knows, as labelled fields: how it reads, and how old the
	// billed Live Tail session is.
	st.Fields = nil
	st.SetField(FieldMode, h.mode)
	if !h.sessionStart.IsZero() {
		st.SetField(FieldSession, now.Sub(h.sessionStart).Truncate(time.Second).String())
	}
	st.SetField(FieldPushed, h.pushed)
	if h.scanned != nil {
		st.SetField(FieldScanned, insights.HumanBytes(h.scanned()))
	}
	return st
}

// rateMeter measures events per second over the last rateWindow.
type rateMeter struct {
	total   int64
	samples []rateSample
}

type rateSample struct {
	at    time.Time
	total int64
}

const rateWindow = 10 * time.Second

func (r *rateMeter) perSecond(now time.Time) float64 {
	r.samples = append(r.samples, rateSample{now, r.total})
	cut := 0
	for cut < len(r.samples)-1 && now.Sub(r.samples[cut+1].at) >= rateWindow {
		cut++
	}
	r.samples = r.samples[cut:]
	first := r.samples[0]
	elapsed := now.Sub(first.at).Seconds()
	if elapsed <= 0 {
		return 0
	}
	return float64(r.total-first.total) / elapsed
}
