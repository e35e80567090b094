package names

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flowlens/flowlens/model"
)

// Ranges are AWS's published address ranges (https://ip-ranges.amazonaws.com/
// ip-ranges.json) as a compact table: disjoint spans of addresses, each with the one
// service that answers for it, searched by binary search. Version 2 flow logs lack
// pkt-src-aws-service and pkt-dst-aws-service; this names those addresses anyway.
//
// The file lists every AWS prefix under "AMAZON" and again under the narrower service
// that uses it (S3, EC2, CLOUDFRONT, ...), and prefixes nest. The answer for an address
// is the longest matching prefix of a narrower service; "AMAZON" only when no narrower
// service lists it. When services share one prefix, one that is not EC2 wins (EC2 is
// the pool others are carved from), then the first in alphabetical order.
type Ranges struct {
	// SyncToken and Created are the file's publication time, as it states them.
	SyncToken string
	Created   time.Time
	// Prefixes is how many prefixes were read; Skipped how many were malformed and left
	// out (counted, not fatal: one bad entry does not lose the rest).
	Prefixes, Skipped int

	v4, v6   []span
	services []string
}

// span is a run of addresses [lo, hi] answered by services[svc].
type span struct {
	lo, hi u128
	svc    uint16
}

// u128 is an address as a number: IPv4 in lo, IPv6 across both halves.
type u128 struct{ hi, lo uint64 }

func (a u128) cmp(b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func (a u128) next() u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

func (a u128) prev() u128 {
	if a.lo == 0 {
		return u128{a.hi - 1, ^uint64(0)}
	}
	return u128{a.hi, a.lo - 1}
}

func toU128(a netip.Addr) u128 {
	b := a.As16()
	var x u128
	for i := 0; i < 8; i++ {
		x.hi = x.hi<<8 | uint64(b[i])
		x.lo = x.lo<<8 | uint64(b[8+i])
	}
	if a.Is4() {
		return u128{0, x.lo & 0xffffffff}
	}
	return x
}

// bounds returns the first and last addresses of a prefix.
func bounds(p netip.Prefix) (lo, hi u128) {
	lo = toU128(p.Masked().Addr())
	host := p.Addr().BitLen() - p.Bits() // bits left free
	hi = lo
	switch {
	case host >= 128:
		hi = u128{^uint64(0), ^uint64(0)}
	case host >= 64:
		hi = u128{lo.hi | (1<<(host-64) - 1), ^uint64(0)}
	case host > 0:
		hi = u128{lo.hi, lo.lo | (1<<host - 1)}
	}
	return lo, hi
}

// maxRangesSize bounds what is read: the real file is a few megabytes.
const maxRangesSize = 64 << 20

// The wire shape of ip-ranges.json.
type wireRanges struct {
	SyncToken  *string `json:"syncToken"`
	CreateDate string  `json:"createDate"`
	Prefixes   []struct {
		IPPrefix string `json:"ip_prefix"`
		Service  string `json:"service"`
	} `json:"prefixes"`
	IPv6Prefixes []struct {
		IPv6Prefix string `json:"ipv6_prefix"`
		Service    string `json:"service"`
	} `json:"ipv6_prefixes"`
}

// ParseRanges reads ip-ranges.json. A document that is not that file (no syncToken, no
// prefixes) is an error; a malformed prefix or service inside it is skipped and counted.
func ParseRanges(r io.Reader) (*Ranges, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRangesSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRangesSize {
		return nil, fmt.Errorf("ip-ranges: larger than %d MiB: not AWS's ip-ranges.json", maxRangesSize>>20)
	}
	var w wireRanges
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("ip-ranges: not AWS's ip-ranges.json: %v", err)
	}
	if w.SyncToken == nil || len(w.Prefixes)+len(w.IPv6Prefixes) == 0 {
		return nil, errors.New("ip-ranges: not AWS's ip-ranges.json: no syncToken or no prefixes")
	}
	rg := &Ranges{SyncToken: model.CleanText(*w.SyncToken)}
	if t, err := time.Parse("2006-01-02-15-04-05", w.CreateDate); err == nil {
		rg.Created = t
	}
	// The best service of each prefix, first.
	best := map[netip.Prefix]string{}
	add := func(cidr, service string, v6 bool) {
		p, err := netip.ParsePrefix(strings.TrimSpace(cidr))
		service = cleanService(service)
		if err != nil || service == "" || p.Addr().Is6() != v6 || p.Addr().Zone() != "" || p.Addr().Is4In6() {
			rg.Skipped++
			return
		}
		rg.Prefixes++
		p = p.Masked()
		if old, ok := best[p]; !ok || better(service, old) {
			best[p] = service
		}
	}
	for _, p := range w.Prefixes {
		add(p.IPPrefix, p.Service, false)
	}
	for _, p := range w.IPv6Prefixes {
		add(p.IPv6Prefix, p.Service, true)
	}
	index := map[string]uint16{}
	var v4, v6 []item
	for p, svc := range best {
		i, ok := index[svc]
		if !ok {
			if len(rg.services) > 0xffff {
				rg.Skipped++
				continue
			}
			i = uint16(len(rg.services))
			index[svc] = i
			rg.services = append(rg.services, svc)
		}
		lo, hi := bounds(p)
		it := item{lo: lo, hi: hi, svc: i, specific: svc != amazon}
		if p.Addr().Is4() {
			v4 = append(v4, it)
		} else {
			v6 = append(v6, it)
		}
	}
	rg.v4, rg.v6 = paint(v4), paint(v6)
	return rg, nil
}

const amazon = "AMAZON"

// cleanService keeps a service name printable and short: it comes from a download.
func cleanService(s string) string {
	s = strings.TrimSpace(model.CleanText(s))
	if utf8.RuneCountInString(s) > 64 {
		return ""
	}
	return s
}

// better reports whether service a should answer for a prefix that b also lists.
func better(a, b string) bool {
	rank := func(s string) int {
		switch s {
		case amazon:
			return 2
		case "EC2":
			return 1
		}
		return 0
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra < rb
	}
	return a < b
}

type item struct {
	lo, hi   u128
	svc      uint16
	specific bool
}

// paint flattens nested prefixes into disjoint spans. Prefixes are laminar (two are
// nested or apart), so a sweep with a stack of the open ones finds, for each run of
// addresses, the innermost prefix of a narrower service, or the innermost one at all.
func paint(items []item) []span {
	slices.SortFunc(items, func(a, b item) int {
		if c := a.lo.cmp(b.lo); c != 0 {
			return c
		}
		return b.hi.cmp(a.hi) // the outer prefix first
	})
	var out []span
	emit := func(lo, hi u128, svc uint16) {
		if lo.cmp(hi) > 0 {
			return
		}
		if n := len(out); n > 0 && out[n-1].svc == svc && out[n-1].hi.next() == lo && out[n-1].hi != (u128{^uint64(0), ^uint64(0)}) {
			out[n-1].hi = hi
			return
		}
		out = append(out, span{lo, hi, svc})
	}
	type open struct {
		hi       u128
		svc      uint16
		specific bool
	}
	var stack []open
	var cur u128   // the first address not yet emitted
	ended := false // cur passed the last address
	pop := func() {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !ended {
			emit(cur, top.hi, top.svc)
		}
		if top.hi == (u128{^uint64(0), ^uint64(0)}) {
			ended = true
		} else if top.hi.cmp(cur) >= 0 {
			cur = top.hi.next()
		}
	}
	for _, it := range items {
		for len(stack) > 0 && stack[len(stack)-1].hi.cmp(it.lo) < 0 {
			pop()
		}
		if len(stack) > 0 && cur.cmp(it.lo) < 0 {
			emit(cur, it.lo.prev(), stack[len(stack)-1].svc)
		}
		cur, ended = it.lo, false
		o := open{hi: it.hi, svc: it.svc, specific: it.specific}
		if n := len(stack); n > 0 && stack[n-1].specific && !it.specific {
			o.svc, o.specific = stack[n-1].svc, true // a narrower service outside wins over AMAZON inside
		}
		stack = append(stack, o)
	}
	for len(stack) > 0 {
		pop()
	}
	return out
}

// Service answers for an address: the service of the span holding it, "" when none.
// A nil *Ranges answers "".
func (r *Ranges) Service(a netip.Addr) string {
	if r == nil || !a.IsValid() {
		return ""
	}
	a = a.Unmap()
	spans := r.v6
	if a.Is4() {
		spans = r.v4
	}
	x := toU128(a)
	i, _ := slices.BinarySearchFunc(spans, x, func(s span, x u128) int {
		if s.hi.cmp(x) < 0 {
			return -1
		}
		if s.lo.cmp(x) > 0 {
			return 1
		}
		return 0
	})
	if i < len(spans) && spans[i].lo.cmp(x) <= 0 && spans[i].hi.cmp(x) >= 0 {
		return r.services[spans[i].svc]
	}
	return ""
}

// Len is the number of prefixes read; 0 for a nil *Ranges.
func (r *Ranges) Len() int {
	if r == nil {
		return 0
	}
	return r.Prefixes
}

// Spans is the size of the flattened table, for the tests and the benchmarks.
func (r *Ranges) Spans() int {
	if r == nil {
		return 0
	}
	return len(r.v4) + len(r.v6)
}
