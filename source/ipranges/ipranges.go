// Package ipranges fetches and caches AWS's published address ranges
// (ip-ranges.json), which model/names turns into the services behind public addresses.
// The file is public and optional: it is downloaded only when asked for (--aws-ranges),
// kept under the user's cache directory, and a missing or failed download never stops
// flowlens, it only leaves public addresses unnamed.
package ipranges

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/flowlens/flowlens/model/names"
)

// URL is where AWS publishes the ranges.
const URL = "https://ip-ranges.amazonaws.com/ip-ranges.json"

// MaxAge is how old a cached copy may be before --aws-ranges downloads it again. AWS
// changes the file several times a week, mostly by adding prefixes; a week-old copy
// names nearly every address.
const MaxAge = 7 * 24 * time.Hour

// maxDownload bounds a download (the file is a few megabytes).
const maxDownload = 64 << 20

// CachePath is where the copy is kept: $XDG_CACHE_HOME/flowlens/ip-ranges.json, or the
// platform's user cache directory (~/.cache, ~/Library/Caches).
func CachePath() (string, error) {
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		var err error
		if dir, err = os.UserCacheDir(); err != nil {
			return "", fmt.Errorf("no cache directory for the AWS address ranges: %w", err)
		}
	}
	return filepath.Join(dir, "flowlens", "ip-ranges.json"), nil
}

// Cached reads the copy at path. It returns nil and no error when there is none; a
// copy that cannot be parsed is an error (the caller may download it again).
func Cached(path string) (r *names.Ranges, modified time.Time, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	r, err = names.ParseRanges(f)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, st.ModTime(), nil
}

// Download fetches the ranges from url and, once they parse, writes them to path
// (through a temporary file and a rename, so a reader never sees half a file).
func Download(ctx context.Context, client *http.Client, url, path string) (*names.Ranges, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "flowlens")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("downloading the AWS address ranges: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("downloading the AWS address ranges from %s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("downloading the AWS address ranges: %w", err)
	}
	if len(data) > maxDownload {
		return nil, fmt.Errorf("downloading the AWS address ranges from %s: larger than %d MiB", url, maxDownload>>20)
	}
	r, err := names.ParseRanges(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if err := writeAtomically(path, data); err != nil {
		return r, fmt.Errorf("keeping the AWS address ranges: %w", err)
	}
	return r, nil
}

func writeAtomically(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ip-ranges-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Options say where the ranges come from.
type Options struct {
	Path   string       // the cached copy (CachePath)
	URL    string       // URL when empty
	Fetch  bool         // download when the copy is missing, unreadable or older than MaxAge
	Client *http.Client // http.DefaultClient when nil
	Now    func() time.Time
}

// Load returns the ranges to use: the cached copy, downloaded first when asked and
// needed. A failed download falls back to the copy there is, and the error says so; the
// ranges are nil only when there is nothing to use.
func Load(ctx context.Context, o Options) (*names.Ranges, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	url := o.URL
	if url == "" {
		url = URL
	}
	cached, modified, cacheErr := Cached(o.Path)
	if !o.Fetch || cached != nil && now().Sub(modified) < MaxAge {
		return cached, cacheErr
	}
	fresh, err := Download(ctx, o.Client, url, o.Path)
	if fresh != nil {
		return fresh, err // err: only the copy could not be kept
	}
	if cached != nil {
		return cached, fmt.Errorf("%w; using the copy of %s", err, modified.UTC().Format("2006-01-02"))
	}
	return nil, err
}
