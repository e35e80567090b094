package cloudwatch

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/model"
)

// readHistory runs a history-only source and returns what it delivered.
func readHistory(t *testing.T, r *rig) ([]model.Flow, model.Stats, *Source) {
	t.Helper()
	r.cfg.Follow = false
	s := r.newSource()
	var recs []model.Flow
	var stats model.Stats
	err := s.Run(testContext(t), func(c *Chunk) error {
		recs = append(recs, c.Records...)
		stats.Add(&c.Stats)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, stats, s
}

// Several flow logs with different formats can deliver to one group; each record is read
// in the format its field count (and, between formats of the same count, its values) fits.
func TestTwoFormatsInOneGroup(t *testing.T) {
	r := newRig(t, true)
	const v3 = "${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${tcp-flags} ${log-status}"
	const sameCount = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${vpc-id} ${log-status}"
	r.srv.AddFlowLogs(
		fakeaws.FlowLog{LogGroupName: group, ResourceID: "subnet-0123456789abcdef0", LogFormat: v3},
		fakeaws.FlowLog{LogGroupName: group, ResourceID: "eni-0ffffffffffffffff", LogFormat: sameCount},
	)
	ts := t0.Add(-time.Minute)
	r.srv.AddEvents(group, eni+"-all",
		fakeaws.Event{Timestamp: ts, Message: record(1, ts)},
		fakeaws.Event{Timestamp: ts, Message: fmt.Sprintf("3 vpc-0a subnet-0b i-0c %s 10.0.0.1 10.0.0.2 2 443 6 10 840 %d %d ACCEPT 2 OK", eni, ts.Unix(), ts.Unix()+60)},
		fakeaws.Event{Timestamp: ts, Message: fmt.Sprintf("3 123456789012 %s 10.0.0.1 10.0.0.2 3 443 6 10 840 %d %d vpc-0a OK", eni, ts.Unix(), ts.Unix()+60)},
		fakeaws.Event{Timestamp: ts, Message: "not a record"},
	)
	recs, stats, s := readHistory(t, r)
	if len(recs) != 3 || stats.Malformed != 1 {
		t.Fatalf("%d records, %d malformed; want 3 and 1", len(recs), stats.Malformed)
	}
	wantSpecs := map[uint16]string{1: model.DefaultFormatSpec, 2: v3, 3: sameCount}
	for _, rec := range recs {
		if got := rec.FormatOf().Spec(); got != wantSpecs[rec.SrcPort] {
			t.Errorf("record %d read as %s\nwant %s", rec.SrcPort, got, wantSpecs[rec.SrcPort])
		}
	}
	if note := s.Status().Note; !strings.Contains(note, "3 flow log formats deliver to /vpc/flows") {
		t.Errorf("note = %q, want the formats explained", note)
	}
	if len(s.Formats()) != 3 {
		t.Errorf("Formats() = %d formats", len(s.Formats()))
	}
}

// Without EC2 access the default format is read, and the status says so.
func TestEC2DeniedFallsBackToTheDefaultFormat(t *testing.T) {
	r := newRig(t, true)
	r.srv.FailNext("DescribeFlowLogs", 1, "UnauthorizedOperation")
	r.add(t0.Add(-time.Minute), 1, 2)
	recs, stats, s := readHistory(t, r)
	if len(recs) != 2 || stats.Malformed != 0 {
		t.Fatalf("%d records, %d malformed", len(recs), stats.Malformed)
	}
	if note := s.Status().Note; !strings.Contains(note, "EC2 access denied (ec2:DescribeFlowLogs)") || !strings.Contains(note, "default format") {
		t.Errorf("note = %q", note)
	}
}

func TestFormatFlagWinsOverDescribeFlowLogs(t *testing.T) {
	r := newRig(t, true)
	r.cfg.Format = model.MustParseFormat("${srcport} ${dstport} ${action}")
	r.srv.AddEvents(group, eni+"-all", fakeaws.Event{Timestamp: t0.Add(-time.Minute), Message: "7 443 REJECT"})
	recs, _, s := readHistory(t, r)
	if len(recs) != 1 || recs[0].SrcPort != 7 || recs[0].Action != model.Reject {
		t.Fatalf("records = %+v", recs)
	}
	if n := len(r.srv.CallsTo("DescribeFlowLogs")); n != 0 {
		t.Errorf("%d DescribeFlowLogs calls with --format", n)
	}
	if note := s.Status().Note; note != "format from --format" {
		t.Errorf("note = %q", note)
	}
}

func TestGroupWithoutFlowLogReadsTheDefaultFormat(t *testing.T) {
	r := newRig(t, true)
	r.srv.AddLogGroup("/other")
	r.cfg.LogGroups = []string{"/other"}
	r.cfg.ENIs = nil
	r.srv.AddEvents("/other", "eni-1-all", events(t0.Add(-time.Minute), 1)...)
	recs, _, s := readHistory(t, r)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	if note := s.Status().Note; !strings.Contains(note, "no flow log delivers to /other") {
		t.Errorf("note = %q", note)
	}
}

func TestCountFields(t *testing.T) {
	for in, want := range map[string]int{"": 0, "a": 1, " a  b\t c ": 3, "2 1 eni-1 - - OK\n": 6} {
		if got := countFields([]byte(in)); got != want {
			t.Errorf("countFields(%q) = %d, want %d", in, got, want)
		}
	}
}
