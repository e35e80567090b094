package source

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

func clean(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 })
}

// A file's name can carry escape sequences; what the sources say about it (the status,
// the malformed samples, the errors) is clean, and the file is still read.
func TestFileNamesReachTheScreenClean(t *testing.T) {
	dir := t.TempDir()
	hostile := "flows\x1b]0;pwned\x07\u009b2J\xff.log"
	path := write(t, dir, hostile, []byte(recordLine(1)+"garbage\n"))
	missing := filepath.Join(dir, "gone\x1b[31m.log")
	inputs := expand([]string{path, missing})
	if len(inputs) != 2 || inputs[0].Path != path {
		t.Fatalf("inputs %+v", inputs)
	}
	f := OpenFiles(context.Background(), inputs, Options{})
	var records int
	var stats model.Stats
	var statuses []feed.Status
	var errs []string
	for b := range f.Batches() {
		records += len(b.Records)
		stats.Add(&b.Stats)
		statuses = append(statuses, b.Status)
		if b.Err != nil {
			errs = append(errs, b.Err.Error())
		}
	}
	if records != 1 || stats.Malformed != 1 {
		t.Fatalf("%d records, %d malformed", records, stats.Malformed)
	}
	for _, st := range statuses {
		if !clean(st.Source) || !clean(st.Note) || !clean(st.LastError) {
			t.Errorf("status %+v is not clean", st)
		}
	}
	if s := stats.Samples[0]; !clean(s.String()) || !strings.Contains(s.Source, "flows") {
		t.Errorf("sample %q", s.String())
	}
	if len(errs) != 1 || !clean(errs[0]) || !strings.Contains(errs[0], "no such file or directory") {
		t.Errorf("errors %q", errs)
	}
}

// A status a source sets is cleaned on its way out, fields included, without touching
// the copies already handed out.
func TestStatusIsCleanedOnItsWayOut(t *testing.T) {
	out, w := NewWriter(context.Background(), false)
	st := feed.Status{Source: "s3://b/\x1b[2Jk", Note: "\u009d0;x\u009cnote", LastError: "bad\xff"}
	st.SetField("pushed", "a\x07b")
	handed := st
	w.SetStatus(st)
	go w.Close()
	var last feed.Batch
	for b := range out.Batches() {
		if b.Status.Source != "" {
			last = b
		}
	}
	got := last.Status
	if got.Source != "s3://b/k" || got.Note != "note" || got.LastError != "bad\uFFFD" || got.Fields[0].Value != "ab" {
		t.Errorf("status %+v", got)
	}
	if handed.Fields[0].Value != "a\x07b" {
		t.Error("cleaning changed the caller's copy")
	}
}
