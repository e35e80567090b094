package parquetlog

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/gzip"

	"github.com/flowlens/flowlens/model"
)

// awsColumns is the text header of the records below: every field of versions 2-5 in
// AWS's order, as a Parquet flow log has them, plus a column flowlens does not know.
const awsColumns = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status " +
	"vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id " +
	"pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path some-new-field"

var awsRecords = []string{
	"5 123456789012 eni-1235b8ca123456789 10.0.0.71 52.95.128.179 34210 80 6 7 471 1616729292 1616729349 ACCEPT OK vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b 3 IPv4 10.0.0.71 52.95.128.179 ap-southeast-2 apse2-az3 - - - S3 egress 8 alpha",
	"5 123456789012 eni-1235b8ca123456789 52.95.128.179 10.0.0.71 80 34210 6 14 15044 1616729292 1616729349 ACCEPT OK vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b 19 IPv4 52.95.128.179 10.0.0.71 ap-southeast-2 apse2-az3 - - S3 - ingress - -",
	"5 123456789012 eni-1235b8ca123456789 - - - - - - - 1616729292 1616729349 - NODATA vpc-abcdefab012345678 subnet-aaaaaaaa012345678 - - - - - ap-southeast-2 apse2-az3 - - - - - - -",
	"5 123456789012 eni-1235b8ca123456789 2001:db8::1 2001:db8::2 443 50000 6 3 180 1616729300 1616729350 REJECT OK vpc-abcdefab012345678 subnet-aaaaaaaa012345678 - 2 IPv6 2001:db8::1 2001:db8::2 ap-southeast-2 apse2-az3 - - - - ingress - beta",
	"5 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.5 10.0.2.9 40000 5432 6 1000 5000000000 1616729310 1616729370 ACCEPT OK vpc-abcdefab012345678 subnet-bbbbbbbb012345678 i-0fedcba9876543210 3 IPv4 10.0.1.5 10.0.2.9 ap-southeast-2 apse2-az1 - - - - egress 1 gamma",
}

// row32 and row64 are a flow log row in AWS's Parquet schema with the integer widths
// AWS writes (INT32 where its Athena DDL says bigint) and with INT64 throughout.
type row32 struct {
	Version          *int32  `parquet:"version,optional"`
	AccountID        *string `parquet:"account_id,optional"`
	InterfaceID      *string `parquet:"interface_id,optional"`
	Srcaddr          *string `parquet:"srcaddr,optional"`
	Dstaddr          *string `parquet:"dstaddr,optional"`
	Srcport          *int32  `parquet:"srcport,optional"`
	Dstport          *int32  `parquet:"dstport,optional"`
	Protocol         *int32  `parquet:"protocol,optional"`
	Packets          *int32  `parquet:"packets,optional"`
	Bytes            *int32  `parquet:"bytes,optional"`
	Start            *int32  `parquet:"start,optional"`
	End              *int32  `parquet:"end,optional"`
	Action           *string `parquet:"action,optional"`
	LogStatus        *string `parquet:"log_status,optional"`
	VpcID            *string `parquet:"vpc_id,optional"`
	SubnetID         *string `parquet:"subnet_id,optional"`
	InstanceID       *string `parquet:"instance_id,optional"`
	TCPFlags         *int32  `parquet:"tcp_flags,optional"`
	Type             *string `parquet:"type,optional"`
	PktSrcaddr       *string `parquet:"pkt_srcaddr,optional"`
	PktDstaddr       *string `parquet:"pkt_dstaddr,optional"`
	Region           *string `parquet:"region,optional"`
	AzID             *string `parquet:"az_id,optional"`
	SublocationType  *string `parquet:"sublocation_type,optional"`
	SublocationID    *string `parquet:"sublocation_id,optional"`
	PktSrcAWSService *string `parquet:"pkt_src_aws_service,optional"`
	PktDstAWSService *string `parquet:"pkt_dst_aws_service,optional"`
	FlowDirection    *string `parquet:"flow_direction,optional"`
	TrafficPath      *int32  `parquet:"traffic_path,optional"`
	SomeNewField     *string `parquet:"some_new_field,optional"`
}

type row64 struct {
	Version          *int64  `parquet:"version,optional"`
	AccountID        *string `parquet:"account_id,optional"`
	InterfaceID      *string `parquet:"interface_id,optional"`
	Srcaddr          *string `parquet:"srcaddr,optional"`
	Dstaddr          *string `parquet:"dstaddr,optional"`
	Srcport          *int64  `parquet:"srcport,optional"`
	Dstport          *int64  `parquet:"dstport,optional"`
	Protocol         *int64  `parquet:"protocol,optional"`
	Packets          *int64  `parquet:"packets,optional"`
	Bytes            *int64  `parquet:"bytes,optional"`
	Start            *int64  `parquet:"start,optional"`
	End              *int64  `parquet:"end,optional"`
	Action           *string `parquet:"action,optional"`
	LogStatus        *string `parquet:"log_status,optional"`
	VpcID            *string `parquet:"vpc_id,optional"`
	SubnetID         *string `parquet:"subnet_id,optional"`
	InstanceID       *string `parquet:"instance_id,optional"`
	TCPFlags         *int64  `parquet:"tcp_flags,optional"`
	Type             *string `parquet:"type,optional"`
	PktSrcaddr       *string `parquet:"pkt_srcaddr,optional"`
	PktDstaddr       *string `parquet:"pkt_dstaddr,optional"`
	Region           *string `parquet:"region,optional"`
	AzID             *string `parquet:"az_id,optional"`
	SublocationType  *string `parquet:"sublocation_type,optional"`
	SublocationID    *string `parquet:"sublocation_id,optional"`
	PktSrcAWSService *string `parquet:"pkt_src_aws_service,optional"`
	PktDstAWSService *string `parquet:"pkt_dst_aws_service,optional"`
	FlowDirection    *string `parquet:"flow_direction,optional"`
	TrafficPath      *int64  `parquet:"traffic_path,optional"`
	SomeNewField     *string `parquet:"some_new_field,optional"`
}

func str(tok string) *string {
	if tok == "-" {
		return nil
	}
	return &tok
}

func num[T int32 | int64](t *testing.T, tok string) *T {
	if tok == "-" {
		return nil
	}
	v, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	x := T(v)
	return &x
}

func makeRow32(t *testing.T, line string) row32 {
	f := strings.Fields(line)
	return row32{num[int32](t, f[0]), str(f[1]), str(f[2]), str(f[3]), str(f[4]), num[int32](t, f[5]), num[int32](t, f[6]),
		num[int32](t, f[7]), num[int32](t, f[8]), num[int32](t, f[9]), num[int32](t, f[10]), num[int32](t, f[11]), str(f[12]), str(f[13]),
		str(f[14]), str(f[15]), str(f[16]), num[int32](t, f[17]), str(f[18]), str(f[19]), str(f[20]), str(f[21]), str(f[22]), str(f[23]),
		str(f[24]), str(f[25]), str(f[26]), str(f[27]), num[int32](t, f[28]), str(f[29])}
}

func makeRow64(t *testing.T, line string) row64 {
	f := strings.Fields(line)
	return row64{num[int64](t, f[0]), str(f[1]), str(f[2]), str(f[3]), str(f[4]), num[int64](t, f[5]), num[int64](t, f[6]),
		num[int64](t, f[7]), num[int64](t, f[8]), num[int64](t, f[9]), num[int64](t, f[10]), num[int64](t, f[11]), str(f[12]), str(f[13]),
		str(f[14]), str(f[15]), str(f[16]), num[int64](t, f[17]), str(f[18]), str(f[19]), str(f[20]), str(f[21]), str(f[22]), str(f[23]),
		str(f[24]), str(f[25]), str(f[26]), str(f[27]), num[int64](t, f[28]), str(f[29])}
}

// writeParquet writes rows as AWS does (Gzip pages), with small row groups so that
// reading crosses from one to the next.
func writeParquet[T any](t *testing.T, rows []T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, parquet.Compression(&gzip.Codec{}), parquet.MaxRowsPerRowGroup(2))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// parseText parses text (a header line, then records) as the file reader would.
func parseText(t *testing.T, text []byte) ([]model.Flow, *model.Stats) {
	t.Helper()
	p := model.NewParser("text", nil)
	var out []model.Flow
	for _, line := range bytes.Split(text, []byte("\n")) {
		var r model.Flow
		if p.Parse(line, &r) == model.LineRecord {
			out = append(out, r)
		}
	}
	return out, p.Stats()
}

func readParquet(t *testing.T, data []byte) (*Reader, []byte) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// ReadAll asks for small pieces first, so Read hands out lines in parts.
	text, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return r, text
}

func TestParquetGivesTheTextRecords(t *testing.T) {
	want, wantStats := parseText(t, []byte(awsColumns+"\n"+strings.Join(awsRecords, "\n")))
	if len(want) != len(awsRecords) || wantStats.Malformed != 0 {
		t.Fatalf("the text fixture itself: %d records, %v", len(want), wantStats.Samples)
	}
	var rows32 []row32
	var rows64 []row64
	for _, l := range awsRecords {
		// INT32 cannot hold five billion bytes; the INT32 file carries a smaller count.
		l = strings.Replace(l, "5000000000", "5000000", 1)
		rows32 = append(rows32, makeRow32(t, l))
	}
	for _, l := range awsRecords {
		rows64 = append(rows64, makeRow64(t, l))
	}
	for name, data := range map[string][]byte{"INT32": writeParquet(t, rows32), "INT64": writeParquet(t, rows64)} {
		r, text := readParquet(t, data)
		got, st := parseText(t, text)
		if st.Malformed != 0 || st.Headers != 1 || len(got) != len(want) || r.NumRows() != int64(len(want)) {
			t.Fatalf("%s: %d records of %d, %d headers, malformed %v", name, len(got), r.NumRows(), st.Headers, st.Samples)
		}
		if got[0].FormatOf() != want[0].FormatOf() || r.Format() != want[0].FormatOf() {
			t.Fatalf("%s: format %q, text format %q", name, got[0].FormatOf().Spec(), want[0].FormatOf().Spec())
		}
		for i := range want {
			w := string(want[i].AppendRecord(nil))
			if name == "INT32" {
				w = strings.Replace(w, "5000000000", "5000000", 1)
			}
			if g := string(got[i].AppendRecord(nil)); g != w {
				t.Errorf("%s record %d:\n got %s\nwant %s", name, i, g, w)
			}
			for _, f := range r.Format().Fields {
				if got[i].Has(f) != want[i].Has(f) {
					t.Errorf("%s record %d: %s present %v, text %v", name, i, r.Format().NameOf(f), got[i].Has(f), want[i].Has(f))
				}
			}
		}
		if c, ok := r.Format().Custom("some-new-field"); !ok || got[0].Text(c) != "alpha" {
			t.Errorf("%s: the unknown column was not kept as text", name)
		}
	}
}

func TestParquetColumnOrderComesFromTheFile(t *testing.T) {
	// Another order than AWS's default: columns are found by name, not position.
	type row struct {
		Srcaddr  string `parquet:"srcaddr"`
		Action   string `parquet:"action"`
		Start    int64  `parquet:"start"`
		Protocol int32  `parquet:"protocol"`
		Bytes    uint64 `parquet:"bytes"`
		Weird    string `parquet:"Odd.Name"`
	}
	data := writeParquet(t, []row{{"10.0.0.1", "REJECT", 1616729292, 17, 1<<63 + 5, "has space"}})
	r, text := readParquet(t, data)
	if r.Format().Spec() != "${srcaddr} ${action} ${start} ${protocol} ${bytes} ${odd-name}" {
		t.Fatalf("format %s", r.Format().Spec())
	}
	got, st := parseText(t, text)
	if len(got) != 1 || st.Malformed != 0 {
		t.Fatalf("%q: %v", text, st.Samples)
	}
	if g := string(got[0].AppendRecord(nil)); g != "10.0.0.1 REJECT 1616729292 17 9223372036854775813 has_space" {
		t.Fatalf("record %s", g)
	}
}

func TestParquetRefusesWhatIsNotAFlowLog(t *testing.T) {
	if _, err := NewReader(bytes.NewReader([]byte("PAR1 not really")), 15); err == nil || !strings.Contains(err.Error(), "not a readable Parquet file") {
		t.Errorf("garbage: %v", err)
	}
	type inner struct{ A int32 }
	type nested struct {
		Version int32 `parquet:"version"`
		In      inner `parquet:"in"`
	}
	data := writeParquet(t, []nested{{2, inner{1}}})
	if _, err := NewReader(bytes.NewReader(data), int64(len(data))); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("nested schema: %v", err)
	}
}
