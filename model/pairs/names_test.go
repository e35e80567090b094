package pairs_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model/names"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/rules"
)

// mapNamer is a Namer from maps, standing in for model/names.Lookup.
type mapNamer struct {
	addrs, services map[string]string
	ifaces          map[string]string
}

func (m mapNamer) Addr(a netip.Addr) string    { return m.addrs[a.String()] }
func (m mapNamer) Service(a netip.Addr) string { return m.services[a.String()] }
func (m mapNamer) Interface(id string) string  { return m.ifaces[id] }

var fixtureNames = mapNamer{
	addrs:    map[string]string{"172.31.16.139": "bastion", "172.31.16.21": "app-1"},
	services: map[string]string{"203.0.113.12": "EC2", "172.31.16.139": "never used: a host name wins"},
	ifaces:   map[string]string{"eni-1235b8ca123456789": "app-1 eni\x1b[31m"},
}

func writeNamed(t *testing.T, kind string, rows []pairs.Row, n pairs.Namer) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pairs.NewNamedWriter(kind, &buf, n)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.Write(rows[i].Pair, &rows[i].Judgement); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestNamedJSONL(t *testing.T) {
	rows := judgedRows(t)
	out := writeNamed(t, "jsonl", rows, fixtureNames)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d lines for %d rows", len(lines), len(rows))
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		for _, k := range pairs.NameColumns {
			if _, ok := o[k]; !ok {
				t.Errorf("no %s in %s", k, l)
			}
		}
		if o["interface-id"] == "eni-1235b8ca123456789" && o["interface-name"] != "app-1 eni" {
			t.Errorf("interface-name %v, want the Name cleaned", o["interface-name"])
		}
		ini, _ := o["initiator"].(string)
		switch {
		case strings.HasPrefix(ini, "172.31.16.139:"):
			seen["host"] = o["initiator-name"] == "bastion" && o["responder-name"] == "app-1"
		case strings.HasPrefix(ini, "203.0.113.12:"):
			seen["service"] = o["initiator-name"] == "EC2"
		case strings.HasPrefix(ini, "10.0.0.5:"):
			seen["unknown"] = o["initiator-name"] == nil && o["interface-name"] == nil
		}
	}
	if !seen["host"] || !seen["service"] || !seen["unknown"] {
		t.Errorf("names by host, by service, and null when unknown: %v\n%s", seen, out)
	}
	// Without a namer the keys are there, all null: the shape does not depend on it.
	for _, l := range strings.Split(strings.TrimSpace(writeNamed(t, "jsonl", rows, nil)), "\n") {
		if !strings.HasSuffix(l, `,"interface-name":null,"initiator-name":null,"responder-name":null,"peer":null,"joint-verdict":null,"joint-explanation":null}`) {
			t.Errorf("without names: %s", l)
		}
	}
	// The unnamed writer is unchanged.
	if strings.Contains(write(t, "jsonl", rows), "interface-name") {
		t.Error("NewWriter writes names")
	}
}

func TestNamedCSVAndText(t *testing.T) {
	rows := judgedRows(t)
	recs, err := csv.NewReader(strings.NewReader(writeNamed(t, "csv", rows, fixtureNames))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := append(append(slices.Clone(pairs.CSVHeader), pairs.NameColumns...), pairs.LinkColumns...)
	if !slices.Equal(recs[0], header) || len(recs) != len(rows)+1 {
		t.Fatalf("header %v, %d records", recs[0], len(recs))
	}
	named := false
	for _, r := range recs[1:] {
		if len(r) != len(header) {
			t.Fatalf("a row of %d columns", len(r))
		}
		if strings.HasPrefix(r[2], "172.31.16.139:") {
			at := len(pairs.CSVHeader) // the names come right after the others, the link columns last
			named = r[at+1] == "bastion" && r[at+2] == "app-1" && r[at] == "app-1 eni" && strings.Join(r[at+3:], "") == ""
		}
	}
	if !named {
		t.Errorf("the names are not after the others, or a pair without a peer has link cells: %v", recs)
	}
	if out := writeNamed(t, "csv", nil, nil); strings.TrimSpace(out) != strings.Join(header, ",") {
		t.Errorf("empty named CSV: %q", out)
	}
	text := writeNamed(t, "text", rows, fixtureNames)
	if !strings.Contains(text, "172.31.16.139:20641 (bastion)") || !strings.Contains(text, "172.31.16.21:22 (app-1)") ||
		!strings.Contains(text, "eni-1235b8ca123456789 (app-1 eni)") || strings.Contains(text, "\x1b") {
		t.Errorf("text without names beside the cells:\n%s", text)
	}
	if writeNamed(t, "text", rows, nil) != write(t, "text", rows) {
		t.Error("the text table changed without names to show")
	}
}

// BenchmarkNamedJSON: what the names add to writing one pair as JSON (compare with the
// ns/pair of the unnamed writer, reported alongside).
func BenchmarkNamedJSON(b *testing.B) {
	rows := judgedRows(&testing.T{})
	set, err := rules.Load(strings.NewReader(`{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-1235b8ca123456789","PrivateIpAddress":"172.31.16.139",
"TagSet":[{"Key":"Name","Value":"bastion"}]}]}`), "bench")
	if err != nil {
		b.Fatal(err)
	}
	lookup := names.New(set, nil)
	for _, named := range []bool{false, true} {
		name := "unnamed"
		if named {
			name = "named"
		}
		b.Run(name, func(b *testing.B) {
			var w pairs.Writer
			if named {
				w, _ = pairs.NewNamedWriter("jsonl", io.Discard, lookup)
			} else {
				w, _ = pairs.NewWriter("jsonl", io.Discard)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r := &rows[i%len(rows)]
				_ = w.Write(r.Pair, &r.Judgement)
			}
			_ = w.Flush()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/pair")
		})
	}
}
