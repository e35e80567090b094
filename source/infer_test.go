package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/model"
)

const headerlessV5 = "5 123456789012 eni-1235b8ca123456789 10.0.0.71 52.95.128.179 34210 80 6 7 471 1616729292 1616729349 ACCEPT OK " +
	"vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b 3 IPv4 10.0.0.71 52.95.128.179 ap-southeast-2 apse2-az3 - - - S3 egress 8\n"

func readNotes(t *testing.T, data string, opts Options) (recs []model.Flow, st model.Stats, notes []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flows.log")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	ReadFiles(context.Background(), []Input{{Name: path, Path: path}}, opts, nil, func(c *Chunk) bool {
		for _, r := range c.Records {
			if e := r.Ext(); e != nil {
				ext := *e
				r.SetExt(&ext)
			}
			recs = append(recs, r)
		}
		st.Add(&c.Stats)
		if c.Note != "" {
			notes = append(notes, c.Note)
		}
		return true
	})
	return recs, st, notes
}

func TestHeaderlessV5FileParsesWithoutFlags(t *testing.T) {
	// Blank lines first, and the last line without its newline: the inference must still
	// see the first record and apply to every line of the file.
	data := "\n\n" + strings.Repeat(headerlessV5, 3) + strings.TrimSuffix(headerlessV5, "\n")
	recs, st, notes := readNotes(t, data, Options{})
	if len(recs) != 4 || st.Malformed != 0 {
		t.Fatalf("%d records, %d malformed: %v", len(recs), st.Malformed, st.Samples)
	}
	if r := recs[3]; r.Text(model.FPktDstAWSService) != "S3" || r.Direction != model.Egress || r.FormatOf().Version != 5 {
		t.Fatalf("record read in the wrong format: %s", r.AppendRecord(nil))
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "no header line") || !strings.Contains(notes[0], "all fields of version 5") {
		t.Fatalf("notes %q", notes)
	}
}

func TestHeaderlessLineThatFitsNothingSuggestsFormat(t *testing.T) {
	recs, st, notes := readNotes(t, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", Options{})
	if len(recs) != 0 || st.Malformed != 1 {
		t.Fatalf("%d records, %d malformed", len(recs), st.Malformed)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "flows.log:1: the line has 17 fields") || !strings.Contains(notes[0], "--format '${version}") {
		t.Fatalf("notes %q", notes)
	}
}

func TestNoInferenceWithHeaderOrFormat(t *testing.T) {
	// A header line decides the format: the v5 line under a default header is malformed.
	_, st, notes := readNotes(t, model.DefaultFormat.Header()+"\n"+headerlessV5, Options{})
	if st.Malformed != 1 || len(notes) != 0 {
		t.Fatalf("with a header: %d malformed, notes %q", st.Malformed, notes)
	}
	// So does --format.
	_, st, notes = readNotes(t, headerlessV5, Options{Format: model.DefaultFormat})
	if st.Malformed != 1 || len(notes) != 0 {
		t.Fatalf("with --format: %d malformed, notes %q", st.Malformed, notes)
	}
	// A default-format file needs no inference and says nothing.
	recs, _, notes := readNotes(t, "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n", Options{})
	if len(recs) != 1 || len(notes) != 0 {
		t.Fatalf("default format: %d records, notes %q", len(recs), notes)
	}
}

// The explorer sees what was inferred: the format in its status field and the note;
// when nothing fits, the note arrives as the error the person must act on.
func TestOpenFilesShowsTheInferredFormat(t *testing.T) {
	dir := t.TempDir()
	v5 := filepath.Join(dir, "v5.log")
	odd := filepath.Join(dir, "odd.log")
	if err := os.WriteFile(v5, []byte(strings.Repeat(headerlessV5, 2)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(odd, []byte("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := collect(OpenFiles(context.Background(), []Input{{Name: v5, Path: v5}}, Options{}))
	<-c.done
	if f, _ := c.last.Field(FieldFormat); f != "all fields of version 5 (inferred)" || !strings.Contains(c.last.Note, "no header line") || len(c.errs) != 0 {
		t.Fatalf("status %+v, errors %v", c.last, c.errs)
	}
	c = collect(OpenFiles(context.Background(), []Input{{Name: odd, Path: odd}}, Options{}))
	<-c.done
	if _, ok := c.last.Field(FieldFormat); ok || len(c.errs) != 1 || !strings.Contains(c.errs[0], "--format '${version}") {
		t.Fatalf("status %+v, errors %v", c.last, c.errs)
	}
}
