package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/internal/fakeaws"
)

// A conversation between the web server and the database, and one to S3's public address.
const namedLog = `2 123456789012 eni-0a1b2c3d4e5f60001 10.0.0.10 10.0.1.30 50000 5432 6 5 400 1714550000 1714550060 ACCEPT OK
2 123456789012 eni-0a1b2c3d4e5f60001 10.0.1.30 10.0.0.10 5432 50000 6 5 400 1714550000 1714550060 ACCEPT OK
2 123456789012 eni-0a1b2c3d4e5f60001 10.0.0.10 52.216.8.1 50001 443 6 5 400 1714550000 1714550060 ACCEPT OK
2 123456789012 eni-0a1b2c3d4e5f60001 52.216.8.1 10.0.0.10 443 50001 6 5 400 1714550000 1714550060 ACCEPT OK
`

func rulesFile(name string) string {
	return filepath.Join("..", "..", "model", "rules", "testdata", name)
}

// --rules with describe-network-interfaces and describe-instances names the hosts and
// the interface in every output.
func TestPairsNamesFromRules(t *testing.T) {
	code, out, errOut := pairsCmd(t, namedLog, "-o", "jsonl", "--rules", rulesFile("describe-network-interfaces.json"), "--rules", rulesFile("describe-instances.json"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	objs := jsonLines(t, out)
	if len(objs) != 2 {
		t.Fatalf("%d pairs:\n%s", len(objs), out)
	}
	for _, o := range objs {
		if o["interface-name"] != "web-1" || o["initiator-name"] != "web-1" {
			t.Errorf("interface and initiator not named: %v", o)
		}
		switch o["responder"] {
		case "10.0.1.30:5432":
			if o["responder-name"] != "db-1" {
				t.Errorf("the database is not named: %v", o)
			}
		case "52.216.8.1:443":
			if o["responder-name"] != nil {
				t.Errorf("S3 named without the ranges: %v", o)
			}
		}
	}
	_, text, _ := pairsCmd(t, namedLog, "--rules", rulesFile("describe-network-interfaces.json"), "--rules", rulesFile("describe-instances.json"))
	if !strings.Contains(text, "10.0.1.30:5432 (db-1)") || !strings.Contains(text, "eni-0a1b2c3d4e5f60001 (web-1)") {
		t.Errorf("text without names:\n%s", text)
	}
	_, csvOut, _ := pairsCmd(t, namedLog, "-o", "csv", "--rules", rulesFile("describe-instances.json"))
	if first := strings.SplitN(csvOut, "\n", 2)[0]; !strings.Contains(first, ",explanation,interface-name,initiator-name,responder-name,peer-interface-id,") {
		t.Errorf("CSV header %q", first)
	}
}

// --aws-ranges downloads ip-ranges.json (here from a local server with the fixture),
// keeps a copy in the cache, and names S3's address; the next run uses the copy alone.
func TestPairsAWSRanges(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	fixture, err := os.ReadFile(filepath.Join("..", "..", "model", "names", "testdata", "ip-ranges.json"))
	if err != nil {
		t.Fatal(err)
	}
	downloads := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		downloads++
		_, _ = w.Write(fixture)
	}))
	defer srv.Close()
	code, out, errOut := pairsCmd(t, namedLog, "-o", "jsonl", "--aws-ranges", "--aws-ranges-url", srv.URL+"/ip-ranges.json")
	if code != ExitOK || errOut != "" && strings.Contains(errOut, "warning") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"responder":"52.216.8.1:443"`) || !strings.Contains(out, `"responder-name":"S3"`) {
		t.Errorf("S3 not named:\n%s", out)
	}
	// The copy is used without the flag, and without the network.
	srv.Close()
	_, out, errOut = pairsCmd(t, namedLog, "-o", "jsonl")
	if !strings.Contains(out, `"responder-name":"S3"`) || downloads != 1 || strings.Contains(errOut, "warning") {
		t.Errorf("the cached copy was not used (%d downloads):\n%s\n%s", downloads, out, errOut)
	}
	// A failed download is a warning, never a failure.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	code, out, errOut = pairsCmd(t, namedLog, "-o", "jsonl", "--aws-ranges", "--aws-ranges-url", srv.URL+"/ip-ranges.json")
	if code != ExitOK || !strings.Contains(errOut, "flowlens: warning: --aws-ranges: downloading the AWS address ranges") || strings.Contains(out, `"S3"`) {
		t.Errorf("a failed download: exit %d\n%s\n%s", code, out, errOut)
	}
}

// --live-rules describes the instances behind the interfaces and names the hosts; a role
// without ec2:DescribeInstances gets the verdicts and a warning.
func TestPairsLiveRulesNames(t *testing.T) {
	srv := fakeAWS(t)
	srv.AddNetworkInterfaces(
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-0a1b2c3d4e5f60001", SubnetID: "subnet-1", VpcID: "vpc-1", PrivateIP: "10.0.0.10", InstanceID: "i-web"},
		fakeaws.NetworkInterface{NetworkInterfaceID: "eni-0db", SubnetID: "subnet-2", VpcID: "vpc-1", PrivateIP: "10.0.1.30", InstanceID: "i-db"},
	)
	srv.AddInstances(fakeaws.Instance{InstanceID: "i-web", Tags: map[string]string{"Name": "web-1"}},
		fakeaws.Instance{InstanceID: "i-db", Tags: map[string]string{"Name": "db-1"}})
	var out, errOut strings.Builder
	if code := run([]string{"pairs", "--live-rules", "-o", "jsonl"}, strings.NewReader(namedLog), &out, &errOut); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	// The interface in the records and its instance are described; the database's
	// interface is not in view, so it is not asked for (nor named).
	if !strings.Contains(out.String(), `"interface-name":"web-1","initiator-name":"web-1"`) || strings.Contains(out.String(), `"db-1"`) {
		t.Errorf("hosts not named as described:\n%s", out.String())
	}
	srv.FailNext("DescribeInstances", 5, "UnauthorizedOperation")
	out.Reset()
	errOut.Reset()
	if code := run([]string{"pairs", "--live-rules", "-o", "jsonl"}, strings.NewReader(namedLog), &out, &errOut); code != ExitOK {
		t.Fatalf("without DescribeInstances: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "flowlens: warning: --live-rules: hosts are not named by their instances") || !strings.Contains(errOut.String(), "ec2:DescribeInstances") {
		t.Errorf("warning: %s", errOut.String())
	}
	if strings.Contains(out.String(), `"web-1"`) {
		t.Errorf("named without the instances:\n%s", out.String())
	}
}

func TestPrintFilterWarningsAndPointers(t *testing.T) {
	var out, errOut strings.Builder
	in := "srcaddr dstaddr action\n10.0.0.1 10.0.0.2 REJECT\n"
	// A word one letter from a keyword: a warning, the search as written, exit 0.
	if code := run([]string{"print", "--count", "--filter", "dport=22 or rejct"}, strings.NewReader(in), &out, &errOut); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want := "flowlens: warning: --filter: 'rejct' is searched for as text at 13, did you mean 'reject'?"
	if !strings.Contains(errOut.String(), want) || !strings.Contains(errOut.String(), "\n  dport=22 or rejct\n              ^\n") || strings.TrimSpace(out.String()) != "0" {
		t.Errorf("stdout %q, stderr:\n%s", out.String(), errOut.String())
	}
	// Quoted, it is a text search without a warning.
	out.Reset()
	errOut.Reset()
	run([]string{"print", "--count", "-q", "--filter", `"rejct"`}, strings.NewReader(in), &out, &errOut)
	if errOut.Len() != 0 {
		t.Errorf("a quoted word warned: %s", errOut.String())
	}
	// verdict= belongs to pairs.
	errOut.Reset()
	if code := run([]string{"print", "--filter", "verdict=sg"}, strings.NewReader(in), &out, &errOut); code != ExitUsage ||
		!strings.Contains(errOut.String(), "unknown field 'verdict' at 1, verdict is about conversations, not records: use it with flowlens pairs") {
		t.Errorf("verdict= in print: exit %d, %s", code, errOut.String())
	}
	// pairs warns too.
	code, _, pErr := pairsCmd(t, pingLog, "--filter", "acept")
	if code != ExitOK || !strings.Contains(pErr, "did you mean 'accept'?") {
		t.Errorf("pairs: exit %d, %s", code, pErr)
	}
}

// The new value forms work from the command line: sizes with units, durations before
// now (records stamped now), times of day.
func TestPrintNewFilterForms(t *testing.T) {
	now := time.Now().Unix()
	old := now - 3600
	in := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2000000 " + itoa(now) + " " + itoa(now+60) + " ACCEPT OK\n" +
		"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 500 " + itoa(old) + " " + itoa(old+60) + " ACCEPT OK\n"
	for _, c := range []struct{ filter, want string }{
		{"bytes>1MB", "1"},
		{"bytes>1.5MiB", "1"},
		{"bytes<1kb", "1"},
		{"start>=15m", "1"},
		{"start<15m", "1"},
		{"start>=1d", "2"},
	} {
		var out, errOut strings.Builder
		if code := run([]string{"print", "--count", "-q", "--filter", c.filter}, strings.NewReader(in), &out, &errOut); code != ExitOK || strings.TrimSpace(out.String()) != c.want {
			t.Errorf("%s: exit %d, count %q, want %s; %s", c.filter, code, out.String(), c.want, errOut.String())
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// --since and --until read a time without an offset in the zone shown: UTC for print,
// and the local zone for the explorer with --local-time. The process's TZ is fixed here.
func TestSinceReadsTheZoneShown(t *testing.T) {
	saved := time.Local
	defer func() { time.Local = saved }()
	time.Local = time.FixedZone("MINUS7", -7*3600)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	o := cloudWatchOptions{logGroups: []string{"/vpc/flows"}, since: "2025-03-01 09:10", until: "10:00", changed: func(string) bool { return false }}
	cfg, err := o.config(false, now)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Since.Equal(time.Date(2025, 3, 1, 9, 10, 0, 0, time.UTC)) || !cfg.Until.Equal(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("print (UTC): since %v, until %v", cfg.Since, cfg.Until)
	}
	o.zone = displayZone(true) // the explorer with --local-time
	cfg, err = o.config(false, now)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Since.Equal(time.Date(2025, 3, 1, 16, 10, 0, 0, time.UTC)) || !cfg.Until.Equal(time.Date(2025, 3, 1, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("--local-time at -07:00: since %v, until %v", cfg.Since.UTC(), cfg.Until.UTC())
	}
	if displayZone(false) != time.UTC {
		t.Error("the zone shown without --local-time is not UTC")
	}
}
