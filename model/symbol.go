package model

import (
	"sync"
	"sync/atomic"
)

// Sym is an interned string. Records repeat a handful of interface, account, VPC and
// subnet IDs millions of times; storing a 4-byte number instead of a string header keeps
// the ring small and makes equality a single comparison. Sym 0 is the absent value `-`.
type Sym uint32

// The symbol table is shared by the whole process and never forgets: a Sym, once handed
// out, names the same string forever. That is what lets everything hold Syms without
// locking or telling anyone: records in the ring, each compiled filter's per-Sym cache,
// the pairs index (keyed by the interface's Sym), and each parser's own caches. Syms are
// plain numbers, so nothing can learn that one is no longer held; retiring or reusing an
// entry (generations, a table per ring) would make some holder's Sym name another
// string, or nothing, and equality would silently break.
//
// So the table is bounded instead. What grows it is a stream of distinct IDs: interfaces
// that come and go (every Fargate task gets a new ENI), instances, tags. An account has
// tens of thousands; a stream with millions is malformed or hostile, or years of churn
// read at once, and must not take the machine's memory. The table holds at most MaxSyms
// strings: about 95 bytes each for an interface ID, so some 95 MB when full
// (go test ./model/ -run '^$' -bench SymbolBytes). Once it is full, a string it does not
// hold is not interned: Intern returns Overflow, a Sym that stands for "a value the table
// had no room for" and reads as OverflowText. Every Sym handed out before keeps its
// meaning and the values already interned are still found; only the new ones lose their
// text (and compare equal to each other). SymOverflows counts them, so the commands can
// say so. Keeping their text instead would need the parser to store it in the record
// beside the Sym.
//
// Fields whose values rarely repeat (ECS task and container IDs, unknown columns) are
// never interned: they are kept as text in the record (see textFields), so they cannot
// fill the table.
const (
	// MaxSyms bounds the table: Syms handed out are below it, except Overflow, which
	// is MaxSyms itself, so a per-Sym cache needs at most MaxSyms+1 entries.
	MaxSyms = 1 << 20
	// Overflow is the Sym of a value interned after the table was full.
	Overflow Sym = MaxSyms
	// OverflowText is what an Overflow Sym reads as.
	OverflowText = "(too many distinct values)"
)

type symbolTable struct {
	mu    sync.RWMutex
	ids   map[string]Sym
	names []string
	limit int // the most names the table holds, "" (Sym 0) included
	// overflows counts the Intern calls answered with Overflow.
	overflows atomic.Int64
}

func newSymbolTable(limit int) *symbolTable {
	return &symbolTable{ids: map[string]Sym{}, names: []string{""}, limit: min(limit, MaxSyms)}
}

var symbols = newSymbolTable(MaxSyms)

// Intern returns the Sym of s, adding s to the table if it is new and the table has
// room; Overflow if it has not. The empty string is Sym 0.
func Intern(s string) Sym { return symbols.intern(s) }

func (t *symbolTable) intern(s string) Sym {
	if s == "" {
		return 0
	}
	t.mu.RLock()
	id, ok := t.ids[s]
	t.mu.RUnlock()
	if ok {
		return id
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.ids[s]; ok {
		return id
	}
	if len(t.names) >= t.limit {
		t.overflows.Add(1)
		return Overflow
	}
	id = Sym(len(t.names))
	t.names = append(t.names, s)
	t.ids[s] = id
	return id
}

// LookupSym returns the Sym of s if s was interned, without adding it. A filter uses it:
// a value no record carries can match nothing. A value that overflowed the table was
// not interned, so it is not found.
func LookupSym(s string) (Sym, bool) { return symbols.lookup(s) }

func (t *symbolTable) lookup(s string) (Sym, bool) {
	t.mu.RLock()
	id, ok := t.ids[s]
	t.mu.RUnlock()
	return id, ok
}

// String returns the interned text; "" for Sym 0, OverflowText for Overflow.
func (s Sym) String() string { return symbols.name(s) }

func (t *symbolTable) name(s Sym) string {
	if s == Overflow {
		return OverflowText
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if int(s) >= len(t.names) {
		return ""
	}
	return t.names[s]
}

// SymCount is the number of Syms handed out so far, at most MaxSyms (Sym values are below
// it, except Overflow), so a caller can size a per-Sym cache.
func SymCount() int { return symbols.count() }

func (t *symbolTable) count() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.names)
}

// SymOverflows is how many times a value could not be interned because the table was
// full: how many field values read as OverflowText.
func SymOverflows() int64 { return symbols.overflows.Load() }

// symCache sits in front of the shared table in each parser: a parser sees the same few
// IDs on every line, and a map lookup keyed by a []byte conversion does not allocate.
type symCache struct {
	m map[string]symEntry
	// direct is a small direct-mapped cache in front of the map: a hash of a few bytes
	// and one comparison instead of hashing the whole ID, for the interface IDs that
	// alternate from line to line in S3 files.
	direct [256]symEntry
}

type symEntry struct {
	sym  Sym
	text string // the map key, handed out so callers can keep it without copying
}

// maxSymCache bounds a parser's cache so that a column of unique values (task IDs, say)
// cannot grow it without end; the shared table still answers.
const maxSymCache = 4096

func (c *symCache) intern(b []byte) (Sym, string) {
	slot := &c.direct[shortHash(b)]
	if slot.sym != 0 && slot.text == string(b) {
		return slot.sym, slot.text
	}
	if e, ok := c.m[string(b)]; ok {
		*slot = e
		return e.sym, e.text
	}
	s := string(b)
	id := Intern(s)
	if c.m == nil {
		c.m = make(map[string]symEntry, 64)
	}
	if len(c.m) >= maxSymCache {
		clear(c.m)
	}
	c.m[s] = symEntry{id, s}
	*slot = symEntry{id, s}
	return id, s
}

// shortHash picks a direct-cache slot from the length and the last bytes of an ID,
// which is where IDs differ (eni-0123456789abcdef0).
func shortHash(b []byte) uint8 {
	n := len(b)
	var x uint64
	if n >= 8 {
		x = uint64(b[n-1]) | uint64(b[n-2])<<8 | uint64(b[n-3])<<16 | uint64(b[n-4])<<24 |
			uint64(b[n-5])<<32 | uint64(b[n-6])<<40 | uint64(b[n-7])<<48 | uint64(b[n-8])<<56
	} else {
		for _, c := range b {
			x = x<<8 | uint64(c)
		}
	}
	x ^= uint64(n)
	return uint8((x * 0x9E3779B97F4A7C15) >> 56)
}
