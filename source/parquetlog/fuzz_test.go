package parquetlog

import (
	"bytes"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// FuzzReader feeds arbitrary bytes to the reader. It must never panic (the library's
// panics on damaged files become errors), and what it reads must be lines.
func FuzzReader(f *testing.F) {
	type row struct {
		Version int32  `parquet:"version"`
		Srcaddr string `parquet:"srcaddr"`
		Bytes   int64  `parquet:"bytes"`
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []row{{2, "10.0.0.1", 840}, {2, "10.0.0.2", 60}}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		defer r.Close()
		text, _ := io.ReadAll(io.LimitReader(r, 1<<20))
		if len(text) > 0 && text[len(text)-1] != '\n' && len(text) < 1<<20 {
			t.Fatalf("text does not end with a newline: %q", text)
		}
	})
}
