package s3_test

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/gzip"

	"github.com/flowlens/flowlens/internal/fakeaws"
	s3src "github.com/flowlens/flowlens/source/s3"
)

// v2Row is the default format as AWS writes it in Parquet: INT32 where its Athena DDL
// says bigint (protocol, ports, version), INT64 for counts and times.
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

// toParquet turns default-format lines into a Parquet file.
func toParquet(t testing.TB, lines []string, opts ...parquet.WriterOption) []byte {
	t.Helper()
	i32 := func(s string) *int32 {
		v, _ := strconv.ParseInt(s, 10, 32)
		x := int32(v)
		return &x
	}
	i64 := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
	p64 := func(s string) *int64 { v := i64(s); return &v }
	rows := make([]v2Row, len(lines))
	for i, l := range lines {
		f := strings.Fields(l)
		rows[i] = v2Row{Version: *i32(f[0]), AccountID: f[1], InterfaceID: f[2], Srcaddr: &f[3], Dstaddr: &f[4], Srcport: i32(f[5]),
			Dstport: i32(f[6]), Protocol: i32(f[7]), Packets: p64(f[8]), Bytes: p64(f[9]), Start: i64(f[10]), End: i64(f[11]), Action: &f[12], LogStatus: f[13]}
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[v2Row](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The same prefix in Parquet gives the same records as in text.
func TestParquetObjectsGiveTheTextRecords(t *testing.T) {
	srv := fakeaws.Serve(t)
	fx := newFixture(t, srv, "flow-logs")
	text := fakeaws.FlowLogLocation{Prefix: "text/"}
	fx.deliverEvery(text, t0.Add(-3*time.Hour), t0.Add(time.Hour), 4)
	pq := fakeaws.FlowLogLocation{Prefix: "parquet/", Parquet: true}
	byKey := map[string][]string{}
	for _, r := range fx.records {
		byKey[r.key] = append(byKey[r.key], r.line)
	}
	for _, k := range slices.Clone(fx.keys) {
		srv.PutObject("flow-logs", pq.Key(fx.ends[k], 0), toParquet(t, byKey[k], parquet.Compression(&gzip.Codec{})))
	}
	since, until := t0.Add(-2*time.Hour), t0
	read := func(prefix string) result {
		src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/" + prefix, Since: since, Until: until})
		res := run(t, testContext(t), src)
		if res.err != nil || len(res.errs) > 0 {
			t.Fatalf("%s: %v %v", prefix, res.err, res.errs)
		}
		return res
	}
	asText := read("text/")
	srv.ResetCalls()
	asParquet := read("parquet/")
	if len(asText.records) == 0 || lines(asParquet.records) != lines(asText.records) {
		t.Fatalf("parquet gave %d records, text %d", len(asParquet.records), len(asText.records))
	}
	for _, c := range srv.CallsTo("GetObject") {
		if !strings.HasPrefix(c.String("Range"), "bytes=") {
			t.Fatalf("a Parquet object was read without a range: %+v", c.Params)
		}
	}
}

// A large Parquet object is read with a handful of ranged requests, none of which
// holds the whole object.
func TestParquetObjectIsReadInRanges(t *testing.T) {
	srv := fakeaws.Serve(t)
	var recs []string
	start := t0.Add(-30 * time.Minute).Unix()
	for i := 0; i < 120_000; i++ {
		recs = append(recs, fmt.Sprintf("2 123456789012 eni-%017x 10.%d.%d.%d 10.1.2.3 %d 443 6 %d %d %d %d ACCEPT OK",
			i%97, i%200, i%250, i%199, 1024+i%60000, i%50+1, 40*(i%50+1), start+int64(i%600), start+int64(i%600)+60))
	}
	data := toParquet(t, recs, parquet.MaxRowsPerRowGroup(40_000))
	key := fakeaws.FlowLogLocation{Parquet: true}.Key(t0.Add(-10*time.Minute), 0)
	srv.PutObject("flow-logs", key, data)
	src := newSource(t, srv, s3src.Config{URL: "s3://flow-logs/", Since: t0.Add(-time.Hour), Until: t0})
	srv.ResetCalls()
	res := run(t, testContext(t), src)
	if res.err != nil || len(res.records) != len(recs) || lines(res.records) != lines(recs) {
		t.Fatalf("%v: %d records of %d", res.err, len(res.records), len(recs))
	}
	gets := srv.CallsTo("GetObject")
	var largest int64
	for _, c := range gets {
		var a, b int64
		if _, err := fmt.Sscanf(c.String("Range"), "bytes=%d-%d", &a, &b); err != nil {
			t.Fatalf("range %q", c.String("Range"))
		}
		largest = max(largest, b-a+1)
	}
	t.Logf("%d-byte object read with %d ranged GETs, the largest %d bytes", len(data), len(gets), largest)
	if len(gets) < 3 || len(gets) > len(data)/(64<<10) || largest >= int64(len(data)) {
		t.Fatalf("%d GETs (largest %d bytes) for a %d-byte object", len(gets), largest, len(data))
	}
}
