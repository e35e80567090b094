package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// v2Row is the default format in Parquet, integers in the widths AWS writes.
type v2Row struct {
	Version     int32   `parquet:"version"`
	AccountID   string  `parquet:"account_id"`
	InterfaceID string  `parquet:"interface_id"`
	Srcaddr     *string `parquet:"srcaddr,optional"`
	Dstaddr     *string `parquet:"dstaddr,optional"`
	Srcport     *int32  `parquet:"srcport,optional"`
	Dstport     *int32  `parquet:"dstport,optional"`
	Protocol    *int32  `parquet:"protocol,optional"`
	Packets     *int64  `parquet:"packets,optional"`
	Bytes       *int64  `parquet:"bytes,optional"`
	Start       int64   `parquet:"start"`
	End         int64   `parquet:"end"`
	Action      *string `parquet:"action,optional"`
	LogStatus   string  `parquet:"log_status"`
}

func ptr[T any](v T) *T { return &v }

func TestLocalParquetFileReadsLikeItsText(t *testing.T) {
	rows := []v2Row{
		{2, "123456789010", "eni-1235b8ca123456789", ptr("172.31.16.139"), ptr("172.31.16.21"), ptr[int32](20641), ptr[int32](22), ptr[int32](6), ptr[int64](20), ptr[int64](4249), 1418530010, 1418530070, ptr("ACCEPT"), "OK"},
		{2, "123456789010", "eni-1235b8ca123456789", nil, nil, nil, nil, nil, nil, nil, 1431280876, 1431280934, nil, "NODATA"},
	}
	text := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" +
		"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := parquet.Write(f, rows); err != nil {
		t.Fatal(err)
	}
	f.Close()
	textPath := filepath.Join(dir, "x.log")
	if err := os.WriteFile(textPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	inputs, err := Expand([]string{path, textPath})
	if err != nil {
		t.Fatal(err)
	}
	res := readAll(t, inputs[:1], Options{})
	want := readAll(t, inputs[1:], Options{})
	if len(res.errs) > 0 || res.stats.Malformed != 0 || res.stats.Headers != 1 {
		t.Fatalf("errors %v, stats %+v", res.errs, res.stats)
	}
	if strings.Join(res.records, "\n") != strings.Join(want.records, "\n") || len(res.records) != 2 {
		t.Fatalf("parquet:\n%s\ntext:\n%s", strings.Join(res.records, "\n"), strings.Join(want.records, "\n"))
	}
	if !res.last.InputDone || res.last.Read != inputs[0].Size {
		t.Fatalf("progress %+v, size %d", res.last, inputs[0].Size)
	}

	// From a pipe there is no random access: the message says what to do.
	data, _ := os.ReadFile(path)
	res = readAll(t, []Input{{Name: StdinName}}, Options{Stdin: strings.NewReader(string(data))})
	if len(res.errs) != 1 || !strings.Contains(res.errs[0], "save it to a file first") {
		t.Fatalf("parquet on stdin: %v", res.errs)
	}
}
