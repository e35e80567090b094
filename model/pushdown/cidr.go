package pushdown

import (
	"net/netip"
	"strconv"
	"strings"
)

// ipv4Prefix describes an IPv4 prefix as text: the whole octets it fixes, and the range
// of the first octet it only partly fixes (when the length is off an octet boundary).
type ipv4Prefix struct {
	fixed   []string // decimal octets fixed entirely
	partial bool
	lo, hi  int // range of the next octet when partial
}

func splitIPv4(p netip.Prefix) ipv4Prefix {
	b := p.Addr().As4()
	bits := p.Bits()
	var out ipv4Prefix
	n := bits / 8
	for i := 0; i < n; i++ {
		out.fixed = append(out.fixed, strconv.Itoa(int(b[i])))
	}
	if rem := bits % 8; rem != 0 {
		out.partial = true
		size := 1 << (8 - rem)
		out.lo = int(b[n]) &^ (size - 1)
		out.hi = out.lo + size - 1
	}
	return out
}

// globIPv4 writes a prefix on an octet boundary as a value with a trailing wildcard
// (10.0.* for 10.0.0.0/16); ok is false off a boundary.
func globIPv4(p netip.Prefix) (string, bool) {
	sp := splitIPv4(p)
	if sp.partial {
		return "", false
	}
	switch len(sp.fixed) {
	case 4:
		return strings.Join(sp.fixed, "."), true
	case 0:
		return "*.*", true // any IPv4 address has a dot; IPv6 text has none
	}
	return strings.Join(sp.fixed, ".") + ".*", true
}

// coverIPv4 widens a prefix to the octet boundary below it.
func coverIPv4(p netip.Prefix) netip.Prefix {
	return netip.PrefixFrom(p.Addr(), p.Bits()/8*8).Masked()
}

// regexIPv4 writes the addresses of an IPv4 prefix as top-level alternatives of an
// anchored regular expression, without parentheses (CloudWatch's filter-pattern regex
// has none): 172.16.0.0/12 becomes
// ^172\.1[6-9]\.[0-9]+\.[0-9]+$|^172\.2[0-9]\.[0-9]+\.[0-9]+$|^172\.3[01]\.[0-9]+\.[0-9]+$
func regexIPv4(p netip.Prefix) string {
	sp := splitIPv4(p)
	head := ""
	for _, o := range sp.fixed {
		head += o + `\.`
	}
	rest := 4 - len(sp.fixed)
	tail := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = "[0-9]+"
		}
		return strings.Join(parts, `\.`)
	}
	if !sp.partial {
		if rest == 0 {
			return "^" + strings.TrimSuffix(head, `\.`) + "$"
		}
		return "^" + head + tail(rest) + "$"
	}
	var alts []string
	for _, octet := range rangeRegex(sp.lo, sp.hi) {
		s := "^" + head + octet
		if rest > 1 {
			s += `\.` + tail(rest-1)
		}
		alts = append(alts, s+"$")
	}
	return strings.Join(alts, "|")
}

// rangeRegex writes the decimal numbers lo..hi (no leading zeros) as alternatives
// made only of digits and character classes.
func rangeRegex(lo, hi int) []string {
	var out []string
	for width := 1; width <= 3; width++ {
		wlo, whi := 0, 9
		if width > 1 {
			wlo = pow10(width - 1)
			whi = pow10(width) - 1
		}
		a, b := max(lo, wlo), min(hi, whi)
		if a > b {
			continue
		}
		out = append(out, sameWidth(strconv.Itoa(a), strconv.Itoa(b))...)
	}
	return out
}

func pow10(n int) int {
	p := 1
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// sameWidth covers lo..hi, two numbers of the same number of digits.
func sameWidth(lo, hi string) []string {
	if lo == hi {
		return []string{lo}
	}
	if len(lo) == 1 {
		return []string{digitClass(lo[0], hi[0])}
	}
	if lo[0] == hi[0] {
		var out []string
		for _, s := range sameWidth(lo[1:], hi[1:]) {
			out = append(out, lo[:1]+s)
		}
		return out
	}
	n := len(lo) - 1
	zeros, nines := strings.Repeat("0", n), strings.Repeat("9", n)
	var out []string
	first, last := lo[0], hi[0]
	if lo[1:] != zeros {
		for _, s := range sameWidth(lo[1:], nines) {
			out = append(out, lo[:1]+s)
		}
		first++
	}
	lastFull := hi[1:] == nines
	if !lastFull {
		last--
	}
	if first <= last {
		out = append(out, digitClass(first, last)+strings.Repeat("[0-9]", n))
	}
	if !lastFull {
		for _, s := range sameWidth(zeros, hi[1:]) {
			out = append(out, hi[:1]+s)
		}
	}
	return out
}

func digitClass(a, b byte) string {
	switch {
	case a == b:
		return string(a)
	case b == a+1:
		return "[" + string(a) + string(b) + "]"
	}
	return "[" + string(a) + "-" + string(b) + "]"
}
