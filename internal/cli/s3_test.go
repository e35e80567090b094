package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/internal/fakeaws"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// bucketRecord is one record delivered to the fake bucket, and where.
type bucketRecord struct {
	port  int // the record's source port, unique: what identifies it in the output
	start time.Time
	key   string
	line  string
}

// flowBucket fills a fake bucket the way a flow log delivers, and keeps the truth.
type flowBucket struct {
	srv     *fakeaws.Server
	bucket  string
	records []bucketRecord
	ends    map[string]time.Time // key -> the time in its name
	port    int
}

func newFlowBucket(srv *fakeaws.Server, bucket string) *flowBucket {
	srv.CreateBucket(bucket, "")
	return &flowBucket{srv: srv, bucket: bucket, ends: map[string]time.Time{}, port: 1024}
}

// deliverEvery puts a file every 5 minutes of [from, to) at loc, each with n records
// starting 15 to 1 minutes before the file's time, as text (with its header line) and,
// when parquetLoc is given, the same records as Parquet there too.
func (b *flowBucket) deliverEvery(loc fakeaws.FlowLogLocation, parquetLoc *fakeaws.FlowLogLocation, from, to time.Time, n int, eni func(i int) string) {
	for end := from; end.Before(to); end = end.Add(5 * time.Minute) {
		key := loc.Key(end, 0)
		var text strings.Builder
		text.WriteString(model.DefaultFormat.Header() + "\n")
		var lines []string
		for i := 0; i < n; i++ {
			start := end.Add(-15*time.Minute + time.Duration(i)*14*time.Minute/time.Duration(n))
			b.port++
			line := fmt.Sprintf("2 123456789012 %s 10.0.0.5 10.0.1.9 %d 443 6 10 840 %d %d ACCEPT OK", eni(i), b.port, start.Unix(), start.Unix()+60)
			text.WriteString(line + "\n")
			lines = append(lines, line)
			b.records = append(b.records, bucketRecord{port: b.port, start: start, key: key, line: line})
		}
		b.srv.PutObject(b.bucket, key, gzipText(text.String()))
		b.ends[key] = end
		if parquetLoc != nil {
			pkey := parquetLoc.Key(end, 0)
			b.srv.PutObject(b.bucket, pkey, parquetOf(lines))
			b.ends[pkey] = end
		}
	}
}

// ports returns the source ports of the records whose start lies in [since, until).
func (b *flowBucket) ports(since, until time.Time, keep func(bucketRecord) bool) []int {
	var out []int
	for _, r := range b.records {
		if r.start.Unix() >= since.Unix() && r.start.Unix() < until.Unix() && (keep == nil || keep(r)) {
			out = append(out, r.port)
		}
	}
	slices.Sort(out)
	return out
}

// keysNamedIn returns the keys under prefix whose name time lies in [from, to), sorted.
func (b *flowBucket) keysNamedIn(prefix string, from, to time.Time) []string {
	var out []string
	for k, e := range b.ends {
		if strings.HasPrefix(k, prefix) && !e.Before(from) && e.Before(to) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func gzipText(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// parquetRow is the default format as AWS writes it in Parquet (INT32 where its Athena
// DDL says bigint).
type parquetRow struct {
	Version     int32  `parquet:"version"`
	AccountID   string `parquet:"account_id"`
	InterfaceID string `parquet:"interface_id"`
	Srcaddr     string `parquet:"srcaddr"`
	Dstaddr     string `parquet:"dstaddr"`
	Srcport     int32  `parquet:"srcport"`
	Dstport     int32  `parquet:"dstport"`
	Protocol    int32  `parquet:"protocol"`
	Packets     int64  `parquet:"packets"`
	Bytes       int64  `parquet:"bytes"`
	Start       int64  `parquet:"start"`
	End         int64  `parquet:"end"`
	Action      string `parquet:"action"`
	LogStatus   string `parquet:"log_status"`
}

func parquetOf(lines []string) []byte {
	n := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
	rows := make([]parquetRow, len(lines))
	for i, l := range lines {
		f := strings.Fields(l)
		rows[i] = parquetRow{int32(n(f[0])), f[1], f[2], f[3], f[4], int32(n(f[5])), int32(n(f[6])), int32(n(f[7])),
			n(f[8]), n(f[9]), n(f[10]), n(f[11]), f[12], f[13]}
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[parquetRow](&buf)
	if _, err := w.Write(rows); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// outputPorts reads the source ports of print -o jsonl output, sorted.
func outputPorts(t *testing.T, stdout string) []int {
	t.Helper()
	var out []int
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		out = append(out, int(obj["srcport"].(float64)))
	}
	slices.Sort(out)
	return out
}

// summaryWindow reads the window the command worked by from its S3 summary line, so
// that the test judges by the same "now" as the command did.
var summaryWindow = regexp.MustCompile(`records with start in \[(\S+), (\S+)\)`)

func windowOf(t *testing.T, stderr string) (since, until time.Time) {
	t.Helper()
	m := summaryWindow.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no window in the summary:\n%s", stderr)
	}
	since, err1 := time.Parse(time.RFC3339, m[1])
	until, err2 := time.Parse(time.RFC3339, m[2])
	if err1 != nil || err2 != nil {
		t.Fatalf("window %q: %v %v", m[0], err1, err2)
	}
	return since, until
}

// getObjectKeys returns the keys the fake was asked for with GetObject, once each.
func getObjectKeys(srv *fakeaws.Server) []string {
	var out []string
	for _, c := range srv.CallsTo("GetObject") {
		out = append(out, c.String("Key"))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

const deliveryMargin = 20 * time.Minute // s3.DefaultDeliveryMargin, as the docs promise it

func eniAll(int) string { return testENI }

// The "done when": `flowlens print s3://bucket/AWSLogs/... --since 2h` opens
// only the objects of those two hours plus the delivery margin and prints exactly the
// records whose start lies in the window; the same prefix in Parquet gives the same
// records.
func TestPrintS3SinceTwoHoursOpensOnlyThoseObjects(t *testing.T) {
	srv := fakeAWS(t)
	b := newFlowBucket(srv, "flow-logs")
	now := time.Now().UTC()
	text := fakeaws.FlowLogLocation{FlowLogID: "fl-0123456789abcdef0"}
	pq := fakeaws.FlowLogLocation{Prefix: "parquet/", FlowLogID: "fl-0123456789abcdef0", Parquet: true}
	b.deliverEvery(text, &pq, now.Add(-30*time.Hour).Truncate(5*time.Minute), now.Add(time.Hour), 3, eniAll)
	srv.PutObject("flow-logs", "AWSLogs/123456789012/CloudTrail/us-east-1/"+now.Format("2006/01/02")+"/trail.json.gz", gzipText("{}"))

	srv.ResetCalls()
	code, stdout, stderr := runForOutput(t, "print", "-o", "jsonl", "--since", "2h", "s3://flow-logs/AWSLogs/")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	since, until := windowOf(t, stderr)
	if d := until.Sub(since); d != 2*time.Hour {
		t.Fatalf("window of %s, want 2h", d)
	}
	wantKeys := b.keysNamedIn("AWSLogs/", since.Truncate(time.Minute), until.Add(deliveryMargin))
	if got := getObjectKeys(srv); !slices.Equal(got, wantKeys) {
		t.Fatalf("opened %d objects, want %d:\n got %v\nwant %v", len(got), len(wantKeys), got, wantKeys)
	}
	if len(wantKeys) < 2*12+4-1 {
		t.Fatalf("fixture: only %d objects in the window", len(wantKeys))
	}
	want := b.ports(since, until, nil)
	if got := outputPorts(t, stdout); !slices.Equal(got, want) {
		t.Fatalf("printed %d records, want %d", len(got), len(want))
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d objects", len(wantKeys))) || !strings.Contains(stderr, fmt.Sprintf("%d records with start", len(want))) {
		t.Errorf("summary does not give the objects and records:\n%s", stderr)
	}
	for _, c := range srv.CallsTo("ListObjectsV2") {
		if strings.Contains(c.String("Prefix"), "CloudTrail") {
			t.Errorf("listed %s", c.String("Prefix"))
		}
	}

	// The same records delivered as Parquet, read with ranged GETs.
	srv.ResetCalls()
	code, pqOut, stderr := runForOutput(t, "print", "-o", "jsonl", "--since", since.Format(time.RFC3339), "--until", until.Format(time.RFC3339), "s3://flow-logs/parquet/")
	if code != 0 {
		t.Fatalf("parquet: exit %d:\n%s", code, stderr)
	}
	if got := outputPorts(t, pqOut); !slices.Equal(got, want) {
		t.Fatalf("parquet printed %d records, want %d", len(got), len(want))
	}
	if pqOut != stdout {
		t.Errorf("parquet and text records print differently")
	}
	for _, c := range srv.CallsTo("GetObject") {
		if c.String("Range") == "" {
			t.Errorf("a Parquet object read without a range: %s", c.String("Key"))
			break
		}
	}
}

// --s3-account and --s3-region narrow through the key layout (nothing of the others is
// listed), --eni narrows the records, and pairs reads an S3 location as print does.
func TestS3FlagsNarrowAccountRegionAndInterface(t *testing.T) {
	srv := fakeAWS(t)
	b := newFlowBucket(srv, "org-logs")
	now := time.Now().UTC()
	from, to := now.Add(-3*time.Hour).Truncate(5*time.Minute), now
	eni := func(i int) string {
		if i%2 == 0 {
			return testENI
		}
		return "eni-0fedcba9876543210"
	}
	b.deliverEvery(fakeaws.FlowLogLocation{}, nil, from, to, 4, eni)
	b.deliverEvery(fakeaws.FlowLogLocation{Account: "210987654321"}, nil, from, to, 4, eni)
	b.deliverEvery(fakeaws.FlowLogLocation{Region: "eu-west-1"}, nil, from, to, 4, eni)

	srv.ResetCalls()
	code, stdout, stderr := runForOutput(t, "print", "-o", "jsonl", "--since", "2h", "--s3-account", "123456789012",
		"--s3-region", fakeaws.Region, "--eni", testENI, "s3://org-logs/")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	since, until := windowOf(t, stderr)
	want := b.ports(since, until, func(r bucketRecord) bool {
		return strings.Contains(r.key, "AWSLogs/123456789012/vpcflowlogs/"+fakeaws.Region+"/") && strings.Contains(r.line, testENI)
	})
	if got := outputPorts(t, stdout); !slices.Equal(got, want) || len(want) == 0 {
		t.Fatalf("printed %v, want %v", got, want)
	}
	for _, c := range srv.Calls() {
		p := c.String("Prefix") + c.String("Key")
		if strings.Contains(p, "210987654321") || strings.Contains(p, "eu-west-1") {
			t.Errorf("%s %s: outside the asked account and Region", c.Op, p)
		}
	}
	if !strings.Contains(stderr, "records of other interfaces left out") {
		t.Errorf("summary does not say --eni left records out:\n%s", stderr)
	}

	code, stdout, stderr = runForOutput(t, "pairs", "-o", "jsonl", "--since", "2h", "--s3-account", "123456789012",
		"--s3-region", fakeaws.Region, "--eni", testENI, "s3://org-logs/")
	if code != 0 || strings.Count(stdout, "\n") != len(want) {
		// every record has its own source port: one pair each
		t.Fatalf("pairs: exit %d, %d pairs for %d records:\n%s", code, strings.Count(stdout, "\n"), len(want), stderr)
	}
}

// Mistakes in the shape of an S3 command line are usage errors, found before AWS is
// asked anything.
func TestS3UsageMistakes(t *testing.T) {
	srv := fakeAWS(t)
	srv.CreateBucket("flow-logs", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"print", "s3://flow-logs/", "flows.log"}, "read alone"},
		{[]string{"print", "s3://flow-logs/a/", "s3://flow-logs/b/"}, "one s3:// location"},
		{[]string{"print", "--s3-account", "123", "s3://flow-logs/"}, "12-digit"},
		{[]string{"print", "--s3-region", "eu-west-1", "flows.log"}, "--s3-region narrows an s3:// source"},
		{[]string{"print", "--since", "2h", "flows.log"}, "--since needs --log-group or an s3:// source"},
		{[]string{"print", "--poll", "s3://flow-logs/"}, "--poll needs --log-group"},
		{[]string{"print", "--since", "yesterday-ish", "s3://flow-logs/"}, "bad --since"},
		{[]string{"print", "--follow", "--until", "1h", "s3://flow-logs/"}, "--until ends the reading"},
		{[]string{"pairs", "--eni", testENI, "flows.log"}, "--eni needs --log-group or an s3:// source"},
		{[]string{"print", "s3://Flow_Logs/"}, "bucket name"},
	} {
		code, _, stderr := runForOutput(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", tc.args, code, tc.want, stderr)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d requests for command lines that are wrong", n)
	}
	// A bucket that does not exist is a runtime failure with a message naming it.
	code, _, stderr := runForOutput(t, "print", "s3://no-such-bucket/")
	if code != ExitRuntime || !strings.Contains(stderr, "bucket no-such-bucket does not exist") {
		t.Errorf("missing bucket: exit %d:\n%s", code, stderr)
	}
}

// The explorer's feed over an S3 location: the records of the window, the progress in
// objects with the objects and bytes read as fields, the format inferred for header-less
// objects, and done at the end (with --until it does not follow).
func TestExplorerS3Feed(t *testing.T) {
	srv := fakeAWS(t)
	b := newFlowBucket(srv, "flow-logs")
	now := time.Now().UTC()
	b.deliverEvery(fakeaws.FlowLogLocation{}, nil, now.Add(-5*time.Hour).Truncate(5*time.Minute), now, 2, eniAll)
	// A header-less v5 object copied in by hand, with a time in its name.
	loose := "AWSLogs/123456789012/vpcflowlogs/us-east-1/" + now.Add(-time.Hour).Format("2006/01/02") + "/copied_" + now.Add(-time.Hour).Format("20060102T1504Z") + "_x.log"
	start := now.Add(-70 * time.Minute).Unix()
	v5 := fmt.Sprintf("5 123456789012 %s 10.0.0.71 52.95.128.179 34210 80 6 7 471 %d %d ACCEPT OK vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b 3 IPv4 10.0.0.71 52.95.128.179 us-east-1 use1-az3 - - - S3 egress 8\n", testENI, start, start+60)
	srv.PutObject("flow-logs", loose, []byte(v5))

	since, until := now.Add(-3*time.Hour).Truncate(time.Second), now.Add(-time.Hour).Truncate(time.Second)
	opts := &explorerOptions{sources: []string{"s3://flow-logs/AWSLogs/"}}
	cmd := &cobra.Command{Use: "flowlens"}
	opts.cw.bind(cmd)
	opts.s3.bind(cmd)
	if err := cmd.Flags().Parse([]string{"--since", since.Format(time.RFC3339), "--until", until.Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fd, _, err := opts.openFeed(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	var got []int
	var last feed.Status
	var errs []error
	for batch := range fd.Batches() {
		for i := range batch.Records {
			v, _ := batch.Records[i].Uint(model.FSrcPort)
			got = append(got, int(v))
		}
		if batch.Err != nil {
			errs = append(errs, batch.Err)
		}
		last = batch.Status
	}
	slices.Sort(got)
	want := append(b.ports(since, until, nil), 34210)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(errs) > 0 {
		t.Fatalf("feed gave %d records, want %d (errors %v)", len(got), len(want), errs)
	}
	if last.State != feed.StateDone || last.Source != "s3://flow-logs/AWSLogs/" || last.Progress.Unit != feed.Objects ||
		last.Progress.Done != last.Progress.Total || last.Progress.Total == 0 {
		t.Fatalf("last status %+v", last)
	}
	objects, _ := last.Field("objects")
	bytesField, _ := last.Field("bytes")
	format, _ := last.Field(source.FieldFormat)
	if objects != fmt.Sprintf("%d of %d", last.Progress.Done, last.Progress.Total) || !strings.Contains(bytesField, " of ") ||
		format != "all fields of version 5 (inferred)" || !strings.Contains(last.Note, "has no header line") {
		t.Fatalf("fields %+v, note %q", last.Fields, last.Note)
	}
}

// Header-less files parse without flags, and print says on stderr how each was read;
// when no layout fits, stderr suggests --format with as many fields as the line.
func TestPrintSaysWhichFormatWasInferred(t *testing.T) {
	dir := t.TempDir()
	v5 := dir + "/console.log"
	odd := dir + "/odd.log"
	line := "5 123456789012 eni-1235b8ca123456789 10.0.0.71 52.95.128.179 34210 80 6 7 471 1616729292 1616729349 ACCEPT OK " +
		"vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b 3 IPv4 10.0.0.71 52.95.128.179 ap-southeast-2 apse2-az3 - - - S3 egress 8\n"
	if err := os.WriteFile(v5, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(odd, []byte("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runForOutput(t, "print", "-o", "jsonl", v5)
	if code != 0 || !strings.Contains(stdout, `"pkt-dst-aws-service":"S3"`) ||
		!strings.Contains(stderr, "flowlens: note: "+v5+" has no header line; its 29 fields are read as all fields of version 5") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runForOutput(t, "print", odd)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "the line has 17 fields") ||
		!strings.Contains(stderr, "--format '${version} ${account-id}") || !strings.Contains(stderr, "${instance-id}'") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// --quiet leaves the note out, as it does the summary.
	if _, _, stderr = runForOutput(t, "print", "-q", v5); stderr != "" {
		t.Fatalf("--quiet printed %q", stderr)
	}
}
