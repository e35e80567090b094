package ui

import (
	"time"

	"github.com/flowlens/flowlens/feed"
)

// Feed is what the explorer consumes: batches of records with the source's status, and
// the few things the screen may ask of any source. It is declared here, by its consumer;
// the sources (package source) satisfy it without either package importing the other.
type Feed interface {
	// Batches delivers batches until one with Done; then it is closed.
	Batches() <-chan feed.Batch
	// Pause stops reading (a live source closes what it is billed for) until Resume.
	Pause()
	Resume()
	// Close stops the source and releases what it holds.
	Close()
}

// What a source may also be able to do. The explorer asks with a type assertion and
// offers only what the source answers to. Each call returns at once: the source does the
// work on its own goroutine and reports through its batches (records, Status.Fields,
// Err), never by blocking the screen.
type (
	// Narrower can push a filter down to where the records come from (a CloudWatch
	// filter pattern, an Insights or Athena query), so that less is read and paid for.
	// The explorer's own filter stays the final word: a source may push down less than
	// expr, never more, and says what it pushed in a status field. An error says why
	// nothing was pushed ("" expressions mean read everything again).
	Narrower interface {
		Narrow(expr string) error
	}
	// HistoryLoader can read further back than it has: the records of the window before
	// the given time (the oldest record held), delivered in later batches.
	HistoryLoader interface {
		LoadBefore(t time.Time) error
	}
)
