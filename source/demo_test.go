package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"testing"
	"time"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model/rules"
)

// The embedded demo must be what the simulator makes today: if the simulator changes,
// `go generate ./source/` refreshes the copy, and this test says so until it is done.
func TestDemoDataMatchesTheSimulator(t *testing.T) {
	s := sim.Incident(1)
	s.KeepTruth = false
	var want bytes.Buffer
	if err := s.WriteText(&want, sim.V5Format, 0, true); err != nil {
		t.Fatal(err)
	}
	gz, err := demoData.ReadFile("demodata/incident.log.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("source/demodata/incident.log.gz is stale: run go generate ./source/")
	}
	sgs, _, _ := s.RulesJSON()
	if !bytes.Equal(DemoRules()["describe-security-groups.json"], sgs) {
		t.Fatal("source/demodata/rules is stale: run go generate ./source/")
	}
}

func TestDemoReplaysEverythingShiftedToNow(t *testing.T) {
	all, err := DemoRecords()
	if err != nil || len(all) < 5000 {
		t.Fatalf("%d records, %v", len(all), err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f, err := OpenDemo(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first := <-f.Batches()
	if len(first.Records) < len(all)/3 || first.Status.State != feed.StateReplaying {
		t.Fatalf("the history came as %d records, state %q", len(first.Records), first.Status.State)
	}
	newest := uint32(0)
	for _, r := range first.Records {
		newest = max(newest, r.Start)
	}
	if newest > uint32(now.Unix()) || newest < uint32(now.Add(-time.Hour).Unix()) {
		t.Fatalf("history is not in the hour before now: newest %d, now %d", newest, now.Unix())
	}
	set := rules.NewSet()
	for name, data := range DemoRules() {
		s, err := rules.Load(bytes.NewReader(data), name)
		if err != nil {
			t.Fatal(err)
		}
		set.Merge(s)
	}
	if len(set.SecurityGroups()) == 0 || len(set.Interfaces()) == 0 {
		t.Fatal("the demo rules did not load")
	}
}
