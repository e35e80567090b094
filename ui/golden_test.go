package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

// The golden frames: the whole screen at a wide and a narrow size. Each size has the
// styled frame (the escape sequences, colours included) for a dark and a light
// background, and for NO_COLOR what the terminal receives (colours dropped by the
// renderer, attributes kept: the marks that must carry the meaning then), so that a
// change of colour or attribute fails; and one text frame, the one to read when
// reviewing a change, which every theme must strip to.
// Update with: go test ./ui/ -run TestGolden -update
func TestGolden(t *testing.T) {
	themes := []struct {
		name          string
		dark, noColor bool
	}{{"dark", true, false}, {"light", false, false}, {"no-color", true, true}}
	for _, size := range []struct{ w, h int }{{160, 48}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			frames := map[string]string{}
			for _, th := range themes {
				frames[th.name] = goldenFrame(t, size.w, size.h, th.dark, th.noColor)
				t.Run(th.name, func(t *testing.T) { golden.RequireEqual(t, frames[th.name]) })
			}
			t.Run("text", func(t *testing.T) { golden.RequireEqual(t, ansi.Strip(frames["dark"])) })
			for _, th := range themes[1:] {
				if ansi.Strip(frames[th.name]) != ansi.Strip(frames["dark"]) {
					t.Errorf("%s shows other text than dark", th.name)
				}
			}
			if frames["dark"] == frames["light"] || frames["dark"] == frames["no-color"] || frames["light"] == frames["no-color"] {
				t.Error("two themes draw the same frame: the colours are not in it")
			}
		})
	}
}

func goldenFrame(t *testing.T, w, h int, dark, noColor bool) string {
	t.Helper()
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, NoColor: noColor, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	recs := testRecords(120)
	p := model.NewParser("v5", model.MustParseFormat("version srcaddr dstaddr srcport dstport protocol start end packets bytes interface-id action tcp-flags flow-direction traffic-path log-status"))
	var r model.Flow
	for _, line := range []string{
		"5 198.51.100.9 10.0.1.5 51515 22 6 1714564700 1714564760 1 44 eni-0ccc REJECT 2 ingress - OK",
		"5 10.0.1.5 52.95.128.179 34210 443 6 1714564700 1714564760 7 471 eni-0ccc ACCEPT 3 egress 8 OK",
	} {
		if p.Parse([]byte(line), &r) != model.LineRecord {
			t.Fatal(p.Stats().Samples)
		}
		recs = append(recs, r)
	}
	deliver(m, feed.Batch{Records: recs, Status: feed.Status{Source: "flows.log", State: feed.StateDone}})
	press(m, "k") // select the v5 REJECT, so the detail shows flags and direction
	frame := m.View().Content
	if noColor {
		// NO_COLOR: Bubble Tea's renderer downsamples to this profile.
		var b strings.Builder
		w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.Ascii}
		if _, err := w.WriteString(frame); err != nil {
			t.Fatal(err)
		}
		frame = b.String()
	}
	return frame
}

// The stats view's golden frames, at the same two sizes and in the same themes: the
// chart, the panels with names, a scanner and a brute force at the top of theirs, the
// focus on the second panel.
// Update with: go test ./ui/ -run TestGoldenStats -update
func TestGoldenStats(t *testing.T) {
	themes := []struct {
		name          string
		dark, noColor bool
	}{{"dark", true, false}, {"light", false, false}, {"no-color", true, true}}
	for _, size := range []struct{ w, h int }{{160, 48}, {100, 30}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			frames := map[string]string{}
			for _, th := range themes {
				frames[th.name] = goldenStatsFrame(t, size.w, size.h, th.dark, th.noColor)
				t.Run(th.name, func(t *testing.T) { golden.RequireEqual(t, frames[th.name]) })
			}
			t.Run("text", func(t *testing.T) { golden.RequireEqual(t, ansi.Strip(frames["dark"])) })
			for _, th := range themes[1:] {
				if ansi.Strip(frames[th.name]) != ansi.Strip(frames["dark"]) {
					t.Errorf("%s shows other text than dark", th.name)
				}
			}
			if frames["dark"] == frames["light"] || frames["dark"] == frames["no-color"] || frames["light"] == frames["no-color"] {
				t.Error("two themes draw the same frame: the colours are not in it")
			}
		})
	}
}

// incidentRecords are testRecords(n) (clients to 10.0.1.5 on 443, every third rejected
// on 22) with, in the last half hour, a scanner sweeping 25 ports of two hosts, all
// rejected, and an SSH brute force on a third host, accepted.
func incidentRecords(n int) []model.Flow {
	recs := testRecords(n)
	p := model.NewParser("incident", nil)
	start := testNow.Add(-30 * time.Minute).Unix()
	add := func(line string) {
		var r model.Flow
		if p.Parse([]byte(line), &r) != model.LineRecord {
			panic(p.Stats().Samples)
		}
		recs = append(recs, r)
	}
	for i := 0; i < 50; i++ {
		at := start + int64(i*12)
		add(fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f6a7b0 198.51.100.77 10.0.1.%d 51000 %d 6 1 60 %d %d REJECT OK", 5+i%2, 20+i/2, at, at+60))
	}
	for i := 0; i < 120; i++ {
		at := start + 600 + int64(i*8)
		add(fmt.Sprintf("2 123456789012 eni-0c0ffee0c0ffee001 203.0.113.66 10.0.1.9 %d 22 6 14 1540 %d %d ACCEPT OK", 40000+i, at, at+60))
	}
	return recs
}

func goldenStatsFrame(t *testing.T, w, h int, dark, noColor bool) string {
	t.Helper()
	names := fakeNames{"10.0.1.5": "web-1", "10.0.1.9": "jump-legacy", "eni-0c0ffee0c0ffee001": "jump-legacy"}
	m := New(Options{Feed: newFakeFeed(), Dark: &dark, NoColor: noColor, Names: names, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	deliver(m, feed.Batch{Records: incidentRecords(1200), Status: feed.Status{Source: "flows.log", State: feed.StateDone}})
	press(m, "s")
	settleStats(t, m)
	press(m, "tab", "j") // the destinations, second row
	frame := m.View().Content
	if noColor {
		var b strings.Builder
		w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.Ascii}
		if _, err := w.WriteString(frame); err != nil {
			t.Fatal(err)
		}
		frame = b.String()
	}
	return frame
}
