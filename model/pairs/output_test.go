package pairs_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/pairs"
)

// judgedRows judges every pair of the filter fixture, in no order.
func judgedRows(t *testing.T) []pairs.Row {
	ix, _ := filterFixture(t)
	var rows []pairs.Row
	for _, p := range ix.All() {
		rows = append(rows, pairs.Row{Pair: p, Judgement: ix.Judge(p, nil)})
	}
	return rows
}

func write(t *testing.T, kind string, rows []pairs.Row) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pairs.NewWriter(kind, &buf)
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

// TestJSONLSchema holds the output to DESIGN.md's schema: exactly these keys, these
// types, null where nothing applies.
func TestJSONLSchema(t *testing.T) {
	rows := judgedRows(t)
	pairs.SortRows(rows)
	lines := strings.Split(strings.TrimSpace(write(t, "jsonl", rows)), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d lines for %d pairs", len(lines), len(rows))
	}
	keys := []string{"interface-id", "protocol", "initiator", "responder", "request", "response", "verdict", "blocked", "rule", "explanation"}
	dirKeys := []string{"action", "records", "packets", "bytes", "first", "last"}
	verdicts := map[string]bool{}
	for _, v := range pairs.Verdicts {
		verdicts[string(v)] = true
	}
	for i, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i, err, line)
		}
		var got []string
		for k := range obj {
			got = append(got, k)
		}
		slices.Sort(got)
		want := slices.Clone(keys)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("line %d keys %v, want %v", i, got, want)
		}
		if _, ok := obj["protocol"].(float64); !ok {
			t.Errorf("line %d: protocol %v is not a number", i, obj["protocol"])
		}
		for _, k := range []string{"initiator", "responder", "interface-id", "explanation"} {
			if s, ok := obj[k].(string); !ok || s == "" {
				t.Errorf("line %d: %s %v is not a string", i, k, obj[k])
			}
		}
		if !verdicts[obj["verdict"].(string)] {
			t.Errorf("line %d: verdict %v", i, obj["verdict"])
		}
		if b := obj["blocked"]; b != nil && b != "request" && b != "response" {
			t.Errorf("line %d: blocked %v", i, b)
		}
		for _, dk := range []string{"request", "response"} {
			d, isNull := obj[dk], obj[dk] == nil
			if isNull {
				continue
			}
			m, ok := d.(map[string]any)
			if !ok {
				t.Fatalf("line %d: %s is %T", i, dk, d)
			}
			for _, k := range dirKeys {
				if _, ok := m[k]; !ok {
					t.Errorf("line %d: %s lacks %s", i, dk, k)
				}
			}
			if a := m["action"]; a != "ACCEPT" && a != "REJECT" && a != "MIXED" {
				t.Errorf("line %d: %s action %v", i, dk, a)
			}
		}
	}
	// The ping is first (nacl is the most severe) and its ICMP ends carry port 0.
	var first map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &first)
	if first["verdict"] != "nacl" || first["initiator"] != "203.0.113.12:0" || first["responder"] != "172.31.16.139:0" ||
		first["blocked"] != "response" || first["rule"] != nil {
		t.Errorf("first line: %s", lines[0])
	}
	// The rejected RDP request has no response.
	for _, line := range lines {
		if strings.Contains(line, `"verdict":"sg-or-nacl"`) && !strings.Contains(line, `"response":null`) {
			t.Errorf("a rejected request with a response: %s", line)
		}
	}
}

func TestTextSortedBySeverity(t *testing.T) {
	out := write(t, "text", judgedRows(t))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "VERDICT") {
		t.Fatalf("no header: %q", lines[0])
	}
	var order []string
	for _, l := range lines[1:] {
		order = append(order, strings.Fields(l)[0])
	}
	want := []string{"nacl", "sg-or-nacl", "no-response", "accepted"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	// Columns are aligned: the interface column starts at the same place on every row.
	col := strings.Index(lines[0], "INTERFACE")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "eni-") {
			t.Errorf("misaligned row: %q", l)
		}
	}
}

func TestCSV(t *testing.T) {
	out := write(t, "csv", judgedRows(t))
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], pairs.CSVHeader) || len(recs) != 5 {
		t.Fatalf("header %v, %d rows", recs[0], len(recs))
	}
	for _, r := range recs[1:] {
		if len(r) != len(pairs.CSVHeader) {
			t.Errorf("row has %d columns: %v", len(r), r)
		}
	}
	if out := write(t, "csv", nil); strings.TrimSpace(out) != strings.Join(pairs.CSVHeader, ",") {
		t.Errorf("no pairs: want the header alone, got %q", out)
	}
	if _, err := pairs.NewWriter("yaml", &bytes.Buffer{}); err == nil {
		t.Errorf("an unknown kind should be refused")
	}
}

// TestUntrustedText: an interface id from the records may hold anything; the JSON stays
// valid and the text output carries no escape sequences.
func TestUntrustedText(t *testing.T) {
	var r model.Flow
	r.SetSym(model.FInterfaceID, model.Intern("eni-\x1b[31mred\x00\xff"))
	r.SetSrc(netip.MustParseAddr("10.0.0.1"))
	r.SetDst(netip.MustParseAddr("10.0.0.2"))
	r.SetUint(model.FProtocol, 6)
	r.SetUint(model.FSrcPort, 40000)
	r.SetUint(model.FDstPort, 22)
	r.SetAction(model.Reject)
	r.SetStatus(model.StatusOK)
	ix := pairs.NewIndex()
	ix.Add(0, &r)
	p := ix.All()[0]
	j := ix.Judge(p, nil)
	if line := pairs.AppendJSON(nil, p, &j); !json.Valid(line) {
		t.Errorf("invalid JSON: %q", line)
	}
	if out := write(t, "text", []pairs.Row{{Pair: p, Judgement: j}}); strings.ContainsAny(out, "\x1b\x00") {
		t.Errorf("escape sequences reach the text output: %q", out)
	}
}
