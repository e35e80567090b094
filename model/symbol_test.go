package model

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// Past its bound the table stops growing, and nothing handed out before changes meaning.
func TestSymbolTableBound(t *testing.T) {
	tbl := newSymbolTable(5) // "" and four strings
	var held []Sym
	for _, s := range []string{"eni-a", "eni-b", "eni-c", "eni-d"} {
		held = append(held, tbl.intern(s))
	}
	for i, s := range held {
		if s != Sym(i+1) {
			t.Fatalf("Syms %v, want 1-4", held)
		}
	}
	if got := tbl.intern("eni-e"); got != Overflow {
		t.Fatalf("a fifth string past the bound got %d, want Overflow", got)
	}
	for i := range 10_000 {
		if got := tbl.intern(fmt.Sprintf("eni-%05d", i)); got != Overflow {
			t.Fatalf("string %d past the bound got %d", i, got)
		}
	}
	if n, ids := tbl.count(), len(tbl.ids); n != 5 || ids != 4 {
		t.Errorf("the table holds %d names and %d ids, want 5 and 4: it grew past its bound", n, ids)
	}
	if got := tbl.overflows.Load(); got != 10_001 {
		t.Errorf("%d overflows counted, want 10001", got)
	}
	for i, s := range []string{"eni-a", "eni-b", "eni-c", "eni-d"} {
		if got := tbl.name(held[i]); got != s {
			t.Errorf("Sym %d reads %q after the overflow, want %q", held[i], got, s)
		}
		if got := tbl.intern(s); got != held[i] {
			t.Errorf("%q interned again got %d, want its Sym %d", s, got, held[i])
		}
	}
	if _, ok := tbl.lookup("eni-e"); ok {
		t.Errorf("a value that overflowed is found by lookup")
	}
	if got := tbl.name(Overflow); got != OverflowText {
		t.Errorf("Overflow reads %q", got)
	}
	if got := tbl.name(0); got != "" {
		t.Errorf("Sym 0 reads %q", got)
	}
}

// Overflow lies just past every Sym a table can hand out, so a per-Sym cache (the
// filter's) never needs more than MaxSyms+1 entries, and no table can exceed MaxSyms.
func TestOverflowIsPastEverySym(t *testing.T) {
	if int(Overflow) != MaxSyms {
		t.Errorf("Overflow = %d, want MaxSyms (%d)", Overflow, MaxSyms)
	}
	if tbl := newSymbolTable(2 * MaxSyms); tbl.limit != MaxSyms {
		t.Errorf("a table asked for %d names holds up to %d, want MaxSyms", 2*MaxSyms, tbl.limit)
	}
	if symbols.limit != MaxSyms {
		t.Errorf("the process's table holds up to %d, want MaxSyms", symbols.limit)
	}
}

// Parsers on many goroutines intern at once: each string gets one Sym, whoever asks
// first, and the bound holds.
func TestSymbolTableConcurrentBound(t *testing.T) {
	const limit = 100
	tbl := newSymbolTable(limit)
	var wg sync.WaitGroup
	got := make([]map[string]Sym, 4)
	for g := range got {
		got[g] = map[string]Sym{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				s := fmt.Sprintf("eni-%03d", (i*7+g)%300)
				got[g][s] = tbl.intern(s)
			}
		}()
	}
	wg.Wait()
	if n := tbl.count(); n != limit {
		t.Errorf("the table holds %d names, want %d", n, limit)
	}
	for s, sym := range got[0] {
		for g := 1; g < len(got); g++ {
			if other, ok := got[g][s]; ok && other != sym {
				t.Errorf("%q is Sym %d on one goroutine and %d on another", s, sym, other)
			}
		}
		if sym != Overflow && tbl.name(sym) != s {
			t.Errorf("Sym %d reads %q, want %q", sym, tbl.name(sym), s)
		}
	}
}

// A parser reading a stream of new interface IDs past the bound keeps parsing: records
// interned before keep their IDs, the new ones read as OverflowText, and they are counted.
func TestParserPastTheSymbolBound(t *testing.T) {
	saved := symbols
	symbols = newSymbolTable(4) // "", the account and two interfaces
	t.Cleanup(func() { symbols = saved })

	p := NewParser("many-enis", nil)
	var recs []Flow
	for i := range 50 {
		line := fmt.Sprintf("2 123456789012 eni-%017d 10.0.0.1 10.0.0.2 443 50000 6 1 40 1700000000 1700000060 ACCEPT OK", i)
		var r Flow
		if p.Parse([]byte(line), &r) != LineRecord {
			t.Fatalf("line %d: %v", i, p.Stats().Samples)
		}
		recs = append(recs, r)
	}
	for i, want := range []string{"eni-00000000000000000", "eni-00000000000000001"} {
		if got := recs[i].Text(FInterfaceID); got != want {
			t.Errorf("record %d: interface %q, want %q", i, got, want)
		}
	}
	if recs[0].Account.String() != "123456789012" || recs[49].Account.String() != "123456789012" {
		t.Errorf("the account, interned first, reads %q and %q", recs[0].Account, recs[49].Account)
	}
	for i := 2; i < len(recs); i++ {
		if recs[i].Interface != Overflow || recs[i].Text(FInterfaceID) != OverflowText || !recs[i].Has(FInterfaceID) {
			t.Fatalf("record %d: interface %d %q, want Overflow", i, recs[i].Interface, recs[i].Text(FInterfaceID))
		}
	}
	if got := SymOverflows(); got != 48 {
		t.Errorf("%d overflows counted, want 48", got)
	}
	if n := SymCount(); n != 4 {
		t.Errorf("the table holds %d names, want 4", n)
	}
}

// BenchmarkSymbolBytes measures what one interned interface ID costs the table, to size
// MaxSyms: go test ./model/ -run '^$' -bench SymbolBytes
func BenchmarkSymbolBytes(b *testing.B) {
	const n = 1 << 18
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("eni-%017x", i)
	}
	var bytesPerSym float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		tbl := newSymbolTable(MaxSyms)
		for _, s := range names {
			tbl.intern(string([]byte(s))) // a fresh copy, as a parser's is
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		bytesPerSym = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(tbl)
	}
	b.ReportMetric(bytesPerSym, "bytes/sym")
	b.ReportMetric(bytesPerSym*MaxSyms/(1<<20), "MiB-at-bound")
}
