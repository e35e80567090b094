package ui

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

// The golden frames: the whole screen at a wide and a narrow size, in dark and light.
// Each case has a .golden file with the escape sequences (colours included) and a
// .txt.golden file without them, which is the one to read when reviewing a change.
// Update with: go test ./ui/ -run TestGolden -update
func TestGolden(t *testing.T) {
	v5 := model.MustParseFormat("version srcaddr dstaddr srcport dstport protocol start end packets bytes interface-id action tcp-flags flow-direction traffic-path log-status")
	for _, size := range []struct{ w, h int }{{160, 48}, {100, 30}} {
		for _, dark := range []bool{true, false} {
			theme := map[bool]string{true: "dark", false: "light"}[dark]
			t.Run(fmt.Sprintf("%dx%d-%s", size.w, size.h, theme), func(t *testing.T) {
				m, _ := newTestModel(t, dark, size.w, size.h)
				recs := testRecords(120)
				p := model.NewParser("v5", v5)
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
				frame := m.render()
				golden.RequireEqual(t, frame)
				t.Run("text", func(t *testing.T) { golden.RequireEqual(t, ansi.Strip(frame)) })
			})
		}
	}
}
