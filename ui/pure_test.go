package ui

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/feed"
	"github.com/flowlens/flowlens/model"
)

// View is a pure function of the model: drawing twice changes nothing anywhere the model
// reaches (offsets, caches, the pair index, the text inputs), whatever is on screen.
func TestViewChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(m *Model)
	}{
		{"table", func(m *Model) { press(m, "g", "j", "j") }},
		{"table scrolled by a page", func(m *Model) { press(m, "g", "pgdown", "pgdown") }},
		{"help scrolled past its end", func(m *Model) { press(m, "?", "pgdown", "pgdown", "pgdown", "pgdown", "j", "j") }},
		{"malformed lines scrolled past their end", func(m *Model) { press(m, "m", "pgdown", "pgdown", "pgdown", "j") }},
		{"detail scrolled", func(m *Model) { press(m, "enter", "pgdown", "j", "j", "j") }},
		{"verdict scrolled past its end", func(m *Model) { press(m, "tab", "tab", "G", "j", "j") }},
		{"conversations", func(m *Model) { press(m, "p", "j", "j") }},
		{"conversations after a batch", func(m *Model) { press(m, "p", "G"); deliver(m, feed.Batch{Records: pingRecords(t)}) }},
		{"filter being typed", func(m *Model) { press(m, "/"); typeText(m, "reject dsport") }},
		{"stats", func(m *Model) { press(m, "s", "tab", "j") }},
		{"stats, a panel expanded and scrolled", func(m *Model) { press(m, "s", "z", "G", "c") }},
		{"stats after a batch, not yet recounted", func(m *Model) {
			press(m, "s")
			deliver(m, feed.Batch{Records: testRecords(50)})
		}},
		{"stats with a filter typed", func(m *Model) { press(m, "s", "/"); typeText(m, "reject") }},
		{"stats, narrow, on the second page", func(m *Model) {
			m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
			press(m, "s", "tab", "tab", "tab", "tab", "tab", "j")
		}},
		{"too small", func(m *Model) { m.Update(tea.WindowSizeMsg{Width: 40, Height: 8}) }},
		{"narrow, the panes taking turns", func(m *Model) { m.Update(tea.WindowSizeMsg{Width: 80, Height: 24}); press(m, "tab", "tab", "j") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := pureTestModel(t)
			tc.setup(m)
			before := dumpState(m)
			m.View()
			m.View()
			after := dumpState(m)
			if diff := diffState(before, after); diff != "" {
				t.Fatalf("drawing changed the model:\n%s", diff)
			}
		})
	}
}

// The picker, with more streams than fit, the selection moved past the screen.
func TestPickerViewChangesNothing(t *testing.T) {
	dark := true
	spec := &Picker{Group: "/vpc/flows"}
	for i := 0; i < 100; i++ {
		spec.Items = append(spec.Items, PickItem{Name: fmt.Sprintf("eni-%017d-all", i), ENI: fmt.Sprintf("eni-%017d", i), LastEvent: testNow.Add(-time.Duration(i) * time.Minute)})
	}
	m := New(Options{Picker: spec, Dark: &dark, Now: func() time.Time { return testNow }})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	press(m, "down", "down", "pgdown", "pgdown", "space")
	typeText(m, "0")
	before := dumpState(m)
	m.View()
	if diff := diffState(before, dumpState(m)); diff != "" {
		t.Fatalf("drawing changed the model:\n%s", diff)
	}
}

// The dump sees what drawing used to change: an offset moved, a cache filled.
func TestTheStateDumpSeesAChange(t *testing.T) {
	m := pureTestModel(t)
	press(m, "?")
	before := dumpState(m)
	m.overlayOffset++
	if diffState(before, dumpState(m)) == "" {
		t.Fatal("the dump missed the overlay offset")
	}
	before = dumpState(m)
	delete(m.table.cache, m.table.view.At(m.table.top))
	if diffState(before, dumpState(m)) == "" {
		t.Fatal("the dump missed a row cache entry")
	}
	press(m, "esc", "s")
	before = dumpState(m)
	m.sv.tr.Live().Add(m.ring.At(m.ring.First()))
	if diffState(before, dumpState(m)) == "" {
		t.Fatal("the dump missed a change of the stats view's counts")
	}
}

func pureTestModel(t *testing.T) *Model {
	t.Helper()
	dark := true
	m := New(Options{Feed: newFakeFeed(), Capacity: 500, Dark: &dark, Now: func() time.Time { return testNow }, ExportDir: t.TempDir()})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	p := model.NewParser("bad.log", nil)
	var r model.Flow
	for i := 0; i < 30; i++ {
		p.Parse([]byte(fmt.Sprintf("garbage line %d", i)), &r)
	}
	deliver(m, feed.Batch{Records: append(testRecords(300), pingRecords(t)...), Stats: *p.Stats(),
		Status: feed.Status{Source: "flows.log", State: feed.StateReading, Progress: feed.Progress{Done: 1, Total: 2}}})
	return m
}

// dumpState walks everything reachable from the model and writes each value it reaches
// under its path: a deep snapshot to compare before and after drawing. Functions and
// channels are compared by identity; a pointer reached twice is walked once.
func dumpState(m *Model) map[string]string {
	out := map[string]string{}
	seen := map[uintptr]string{}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				out[path] = "nil"
				return
			}
			if first, ok := seen[v.Pointer()]; ok && v.Elem().Kind() == reflect.Struct {
				out[path] = "same as " + first
				return
			}
			seen[v.Pointer()] = path
			walk(v.Elem(), path)
		case reflect.Interface:
			if v.IsNil() {
				out[path] = "nil"
				return
			}
			walk(v.Elem(), path+"("+v.Elem().Type().String()+")")
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice {
				if v.IsNil() {
					out[path] = "nil"
					return
				}
				out[path+".len"] = fmt.Sprint(v.Len())
			}
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Map:
			if v.IsNil() {
				out[path] = "nil"
				return
			}
			out[path+".len"] = fmt.Sprint(v.Len())
			it := v.MapRange()
			for it.Next() {
				walk(it.Value(), fmt.Sprintf("%s[%s]", path, mapKey(it.Key())))
			}
		case reflect.Func, reflect.Chan, reflect.UnsafePointer:
			out[path] = fmt.Sprint(v.Pointer())
		case reflect.String:
			out[path] = v.String()
		case reflect.Bool:
			out[path] = fmt.Sprint(v.Bool())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			out[path] = fmt.Sprint(v.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			out[path] = fmt.Sprint(v.Uint())
		case reflect.Float32, reflect.Float64:
			out[path] = fmt.Sprint(v.Float())
		case reflect.Complex64, reflect.Complex128:
			out[path] = fmt.Sprint(v.Complex())
		}
	}
	walk(reflect.ValueOf(m), "m")
	return out
}

// mapKey names a map key in a path, from its fields when it is a struct.
func mapKey(k reflect.Value) string {
	var b strings.Builder
	var write func(v reflect.Value)
	write = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct, reflect.Array:
			b.WriteByte('{')
			n := v.Len
			get := v.Index
			if v.Kind() == reflect.Struct {
				n, get = v.NumField, v.Field
			}
			for i := 0; i < n(); i++ {
				write(get(i))
				b.WriteByte(' ')
			}
			b.WriteByte('}')
		case reflect.String:
			b.WriteString(v.String())
		case reflect.Pointer:
			fmt.Fprint(&b, v.Pointer())
		case reflect.Bool:
			fmt.Fprint(&b, v.Bool())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			fmt.Fprint(&b, v.Int())
		default:
			fmt.Fprint(&b, v.Uint())
		}
	}
	write(k)
	return b.String()
}

func diffState(before, after map[string]string) string {
	var diffs []string
	for k, v := range before {
		if w, ok := after[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("  %s: %q, then gone", k, v))
		} else if w != v {
			diffs = append(diffs, fmt.Sprintf("  %s: %q, then %q", k, v, w))
		}
	}
	for k, w := range after {
		if _, ok := before[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("  %s: new, %q", k, w))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 20 {
		diffs = append(diffs[:20], fmt.Sprintf("  and %d more", len(diffs)-20))
	}
	return strings.Join(diffs, "\n")
}

// On a small terminal the help wraps a long description under itself instead of cutting
// it: every line fits in the box, and the end of each description is there.
func TestHelpWrapsOnASmallTerminal(t *testing.T) {
	m, _ := newTestModel(t, true, 80, 24)
	press(m, "?")
	lines := m.overlayLines()
	var all strings.Builder
	for _, l := range lines {
		plain := ansi.Strip(l)
		if w := ansi.StringWidth(plain); w > 80-2 {
			t.Fatalf("a help line of %d columns in a box of 78: %q", w, plain)
		}
		all.WriteString(strings.TrimSpace(plain) + " ")
	}
	for _, want := range []string{"clear the filter", "the order holds still while records arrive"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("the help lost %q", want)
		}
	}
}
