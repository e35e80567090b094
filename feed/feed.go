// Package feed is the contract between the sources of records and the screen: the batch a
// source delivers, and the status it reports in terms that do not depend on the kind of
// source. Sources (package source) fill it, the explorer (package ui) reads it, and
// neither imports the other. What only one kind of source knows (a Live Tail session's
// age, the bytes an Athena query scanned, the filter pushed down to CloudWatch) travels
// as labelled fields that the screen shows without knowing what they mean.
package feed

import (
	"slices"
	"time"

	"github.com/flowlens/flowlens/model"
)

// Batch is what a source hands the screen: the records read since the last batch, what
// parsing counted, and the source's health. The screen receives one message per batch,
// never one per record.
type Batch struct {
	Records []model.Flow
	Stats   model.Stats // counts of this batch only (lines, malformed with samples)
	Dropped uint64      // records thrown away since the last batch because the screen lagged
	Status  Status
	Err     error // something the user should see; the source goes on unless Status says otherwise
	Done    bool  // the source has finished; no batch follows
}

// State is a source's condition, as the status bar shows it.
type State string

const (
	StateConnecting State = "connecting"
	StateReading    State = "reading"
	StateFollowing  State = "following"
	StateLiveTail   State = "live tail"
	StatePolling    State = "polling"
	StatePaused     State = "paused"
	StateReplaying  State = "replaying"
	StateDone       State = "done"
	StateError      State = "error"
)

// Status is a snapshot of a source's health. Every text in it is clean (no control
// characters, valid UTF-8): the source guarantees it, so the screen draws it as it is.
//
// A Status is a value: copies travel in batches across goroutines, so its Fields are
// never changed in place (SetField builds a new slice).
type Status struct {
	Source string // what is read: "flows.log.gz", "stdin", "/vpc/flows (eni-0abc)"
	State  State
	Note   string // a short remark: "format from DescribeFlowLogs", "simulated: no AWS account used"

	Progress Progress
	// Rate is records (or events) per second as the source measures them; 0 when the
	// source does not measure, and the screen measures arrivals itself.
	Rate        float64
	Lag         time.Duration // now minus the newest record's time; 0 when unknown
	Sampled     bool          // the source delivers a sample, not every record
	Retries     int           // failures the source retried after
	LastError   string        // the last of those, explained
	LastErrorAt time.Time

	// Fields are what only this kind of source knows, most important first: the screen
	// shows as many as fit, in this order, and drops the rest whole.
	Fields []Field
}

// Labels of the fields more than one part of flowlens knows: the explorer's verdict pane
// says when records were narrowed at the source.
const (
	// FieldPushed is the part of the filter a source pushed down to where the records
	// come from, as typed: "proto=tcp addr=10.0.3.0/24".
	FieldPushed = "pushed"
	// FieldScanned is the bytes a query engine scanned (and billed): "1.2 GiB".
	FieldScanned = "scanned"
)

// Field is one labelled fact a source reports, shown as "label value" (or the value
// alone when the label is empty): {"mode", "polling"}, {"session", "12m"},
// {"pushed", "dstport=22"}, {"scanned", "1.2 GiB"}, {"format", "v5 (header)"}.
type Field struct {
	Label, Value string
}

// Field returns the value of the field with the label.
func (s *Status) Field(label string) (string, bool) {
	for _, f := range s.Fields {
		if f.Label == label {
			return f.Value, true
		}
	}
	return "", false
}

// SetField sets the field with the label to value, in place of an earlier value or at
// the end; an empty value removes the field. It never changes the slice that copies of
// the Status handed out earlier still hold.
func (s *Status) SetField(label, value string) {
	i := slices.IndexFunc(s.Fields, func(f Field) bool { return f.Label == label })
	switch {
	case i < 0 && value == "":
		return
	case i >= 0 && s.Fields[i].Value == value:
		return
	case i < 0:
		s.Fields = append(slices.Clip(s.Fields), Field{label, value})
	case value == "":
		s.Fields = slices.Delete(slices.Clone(s.Fields), i, i+1)
	default:
		s.Fields = slices.Clone(s.Fields)
		s.Fields[i].Value = value
	}
}

// Unit is what a Progress counts.
type Unit uint8

const (
	Bytes   Unit = iota // of a file, or scanned by a query
	Objects             // S3 objects, files of a directory
	Records
)

func (u Unit) String() string {
	switch u {
	case Objects:
		return "objects"
	case Records:
		return "records"
	}
	return "bytes"
}

// Progress is how far a source with an end has come: Done of Total, in Unit.
type Progress struct {
	Done, Total int64 // Total is 0 when unknown (stdin, a followed file's future)
	Unit        Unit
}

// Fraction is Done of Total between 0 and 1, and false when the total is unknown.
func (p Progress) Fraction() (float64, bool) {
	if p.Total <= 0 {
		return 0, false
	}
	return min(max(float64(p.Done)/float64(p.Total), 0), 1), true
}
