package ipranges

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fixture is a realistic subset of the real file (the network is not reachable from the
// tests): model/names' testdata.
func fixture(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../model/names/testdata/ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// server serves body (or a status) and counts the requests, on 127.0.0.1.
func server(t *testing.T, status int, body []byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Method != http.MethodGet || r.URL.Path != "/ip-ranges.json" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestCachePathFollowsXDG(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg")
	if p, err := CachePath(); err != nil || p != "/tmp/xdg/flowlens/ip-ranges.json" {
		t.Errorf("CachePath = %q, %v", p, err)
	}
}

func TestNoCopyNoFetchIsNothing(t *testing.T) {
	r, err := Load(context.Background(), Options{Path: filepath.Join(t.TempDir(), "ip-ranges.json")})
	if r != nil || err != nil {
		t.Errorf("without a copy and without --aws-ranges: %v, %v", r, err)
	}
}

func TestDownloadKeepsACopyAndUsesIt(t *testing.T) {
	srv, calls := server(t, http.StatusOK, fixture(t))
	path := filepath.Join(t.TempDir(), "flowlens", "ip-ranges.json")
	r, err := Load(context.Background(), Options{Path: path, URL: srv.URL + "/ip-ranges.json", Fetch: true})
	if err != nil || r == nil || r.Service(netip.MustParseAddr("52.216.8.1")) != "S3" {
		t.Fatalf("download: %v, %v", r, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no copy kept: %v", err)
	}
	// Fresh enough: read from the copy, no second download.
	r, err = Load(context.Background(), Options{Path: path, URL: srv.URL + "/ip-ranges.json", Fetch: true})
	if err != nil || r == nil || calls.Load() != 1 {
		t.Fatalf("second load: %v, %v, %d downloads", r, err, calls.Load())
	}
	// Without --aws-ranges, a copy there is is used, without the network.
	r, err = Load(context.Background(), Options{Path: path, URL: "http://127.0.0.1:1/none"})
	if err != nil || r.Service(netip.MustParseAddr("13.33.1.1")) != "CLOUDFRONT" {
		t.Fatalf("cached: %v, %v", r, err)
	}
	// A week later it is downloaded again.
	later := func() time.Time { return time.Now().Add(MaxAge + time.Hour) }
	if _, err := Load(context.Background(), Options{Path: path, URL: srv.URL + "/ip-ranges.json", Fetch: true, Now: later}); err != nil || calls.Load() != 2 {
		t.Fatalf("stale copy: %v, %d downloads", err, calls.Load())
	}
}

// A failed download never loses what there is, and never leaves a broken copy.
func TestFailedDownloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ip-ranges.json")
	bad, _ := server(t, http.StatusOK, []byte(`<html>captive portal</html>`))
	r, err := Load(context.Background(), Options{Path: path, URL: bad.URL + "/ip-ranges.json", Fetch: true})
	if r != nil || err == nil || !strings.Contains(err.Error(), "not AWS's ip-ranges.json") {
		t.Fatalf("a page that is not the file: %v, %v", r, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a bad download was kept")
	}
	good, _ := server(t, http.StatusOK, fixture(t))
	if _, err := Download(context.Background(), nil, good.URL+"/ip-ranges.json", path); err != nil {
		t.Fatal(err)
	}
	down, _ := server(t, http.StatusServiceUnavailable, nil)
	later := func() time.Time { return time.Now().Add(MaxAge + time.Hour) }
	r, err = Load(context.Background(), Options{Path: path, URL: down.URL + "/ip-ranges.json", Fetch: true, Now: later})
	if r == nil || err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "using the copy of") {
		t.Fatalf("server down with an old copy: %v, %v", r, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Download(ctx, nil, good.URL+"/ip-ranges.json", filepath.Join(t.TempDir(), "x.json")); err == nil {
		t.Error("a cancelled download succeeded")
	}
}

func TestCorruptCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ip-ranges.json")
	if err := os.WriteFile(path, []byte("{truncated"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _, err := Cached(path)
	if r != nil || err == nil {
		t.Fatalf("a corrupt copy: %v, %v", r, err)
	}
	srv, _ := server(t, http.StatusOK, fixture(t))
	if r, err := Load(context.Background(), Options{Path: path, URL: srv.URL + "/ip-ranges.json", Fetch: true}); r == nil || err != nil {
		t.Fatalf("a corrupt copy is replaced by a download: %v, %v", r, err)
	}
}
