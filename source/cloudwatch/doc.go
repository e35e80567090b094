// Package cloudwatch owns reading VPC flow logs from CloudWatch Logs: finding the log
// groups and their record formats, reading the history with FilterLogEvents, then
// following new records with a Live Tail session (or, where Live Tail is not allowed,
// by polling), and delivering every record exactly once across the history, the live
// stream, reconnects, pauses and polls.
//
// The same machinery serves the explorer (Source.Start returns a source.Feed) and the
// headless commands (Source.Run calls a function with each chunk of records).
//
// How exactly-once holds, in short (dedup.go has the details): the Live Tail session is
// opened before the history is read, so nothing ingested in between is missed; history
// events are de-duplicated by event ID, and live events, which carry none, by a hash of
// stream, timestamp and message; the memory is bounded by forgetting events older than
// the oldest timestamp any later re-read can return.
package cloudwatch
