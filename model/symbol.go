package model

import "sync"

// Sym is an interned string. Records repeat a handful of interface, account, VPC and
// subnet IDs millions of times; storing a 4-byte number instead of a string header keeps
// the ring small and makes equality a single comparison. Sym 0 is the absent value `-`.
type Sym uint32

// symbolTable is append-only: a Sym, once handed out, names the same string forever, so
// records and compiled filters can hold Syms without locking anything.
type symbolTable struct {
	mu    sync.RWMutex
	ids   map[string]Sym
	names []string
}

var symbols = &symbolTable{ids: map[string]Sym{}, names: []string{""}}

// Intern returns the Sym of s, adding it to the table if it is new. The empty string is
// Sym 0.
func Intern(s string) Sym {
	if s == "" {
		return 0
	}
	symbols.mu.RLock()
	id, ok := symbols.ids[s]
	symbols.mu.RUnlock()
	if ok {
		return id
	}
	symbols.mu.Lock()
	defer symbols.mu.Unlock()
	if id, ok := symbols.ids[s]; ok {
		return id
	}
	id = Sym(len(symbols.names))
	symbols.names = append(symbols.names, s)
	symbols.ids[s] = id
	return id
}

// LookupSym returns the Sym of s if s was ever interned, without adding it. A filter uses
// it: a value no record carries can match nothing.
func LookupSym(s string) (Sym, bool) {
	symbols.mu.RLock()
	id, ok := symbols.ids[s]
	symbols.mu.RUnlock()
	return id, ok
}

// String returns the interned text; "" for Sym 0.
func (s Sym) String() string {
	symbols.mu.RLock()
	defer symbols.mu.RUnlock()
	if int(s) >= len(symbols.names) {
		return ""
	}
	return symbols.names[s]
}

// SymCount is the number of Syms handed out so far (Sym values are below it), so a
// caller can size a per-Sym cache.
func SymCount() int {
	symbols.mu.RLock()
	defer symbols.mu.RUnlock()
	return len(symbols.names)
}

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
