package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const input = `2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK
version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status
5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK
5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK
`

func records(t *testing.T) []model.Flow {
	p := model.NewParser("golden", nil)
	var out []model.Flow
	for _, l := range strings.Split(strings.TrimSpace(input), "\n") {
		var r model.Flow
		switch p.Parse([]byte(l), &r) {
		case model.LineRecord:
			out = append(out, r)
		case model.LineMalformed:
			t.Fatal(p.Stats().Samples)
		}
	}
	return out
}

func render(t *testing.T, kind string) []byte {
	var buf bytes.Buffer
	w, err := New(kind, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records(t) {
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it, then review it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestTextGolden(t *testing.T)  { golden(t, "records.txt", render(t, "text")) }
func TestJSONLGolden(t *testing.T) { golden(t, "records.jsonl", render(t, "jsonl")) }
func TestCSVGolden(t *testing.T)   { golden(t, "records.csv", render(t, "csv")) }

// The JSON contract of DESIGN.md: keys are the format's field names, numbers are
// numbers, `-` is null.
func TestJSONLContract(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(string(render(t, "jsonl"))), "\n")
	recs := records(t)
	if len(lines) != len(recs) {
		t.Fatalf("%d lines for %d records", len(lines), len(recs))
	}
	for i, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i, err, line)
		}
		f := recs[i].FormatOf()
		if len(obj) != len(f.Names)+1 {
			t.Errorf("line %d has %d keys, want the %d columns and decoded", i, len(obj), len(f.Names))
		}
		for j, name := range f.Names {
			v, ok := obj[name]
			if !ok {
				t.Errorf("line %d lacks %s", i, name)
				continue
			}
			fld := f.Fields[j]
			switch {
			case !recs[i].Has(fld):
				if v != nil {
					t.Errorf("line %d: %s = %v, want null", i, name, v)
				}
			case fld.Numeric():
				if _, ok := v.(float64); !ok {
					t.Errorf("line %d: %s = %#v, want a number", i, name, v)
				}
			default:
				if v != recs[i].Value(fld) {
					t.Errorf("line %d: %s = %#v, want %q", i, name, v, recs[i].Value(fld))
				}
			}
		}
	}
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	dec := first["decoded"].(map[string]any)
	if dec["protocol"] != "tcp" || dec["dstport"] != "ssh" || dec["start"] != "2014-12-14T04:06:50Z" {
		t.Errorf("decoded = %v", dec)
	}
}

func TestCSVShape(t *testing.T) {
	var buf bytes.Buffer
	w, _ := New("csv", &buf)
	for _, r := range records(t) {
		w.Write(&r)
	}
	w.Flush()
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 || strings.Join(rows[0], " ") != model.DefaultFormat.Header() {
		t.Fatalf("rows %d header %v", len(rows), rows[0])
	}
	if rows[3][3] != "" || rows[3][13] != "NODATA" {
		t.Errorf("NODATA row %v", rows[3])
	}
	// the v5 rows keep the columns they share with the header, in the header's order
	if rows[6][3] != "52.95.128.179" || rows[6][0] != "5" || rows[6][1] != "123456789012" || rows[6][12] != "ACCEPT" {
		t.Errorf("v5 row %v", rows[6])
	}
	if ws := Warnings(w); len(ws) != 1 || !strings.Contains(ws[0], "tcp-flags") {
		t.Errorf("warnings %v", ws)
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"eni-0abc":                   "eni-0abc",
		"a\x1b[31mred\x1b[0m":        "ared",
		"\x1b]0;pwned\x07title":      "title",
		"\x1b]8;;http://x\x1b\\link": "link",
		"bell\x07 back\bspace":       "bell backspace",
		"tab\there":                  "tab here",
		"c1\u009b2Jcsi":              "c1csi",
		"ünïcode ok":                 "ünïcode ok",
		"\x1bcreset":                 "reset",
		"cut at end \x1b[":           "cut at end ",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 4249: "4.1 KiB", 15044: "15 KiB", 5 << 30: "5.0 GiB"} {
		if got := string(HumanBytes(nil, n)); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
