package filter

import (
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
)

// fieldPred compiles `field op value` for one field, reading the value the way the
// field's kind calls for.
func (c *compiler) fieldPred(t *Term, f model.Field) (Pred[*model.Flow], error) {
	kind := f.Info().Kind
	name := strings.ToLower(t.Field)
	if f.Known() {
		name = f.Name()
	}
	switch kind {
	case model.KindAddr:
		return addrPred(t, f, name)
	case model.KindString:
		return stringPred(t, f, name)
	case model.KindAction:
		i, err := enumValue(t, name, []string{"ACCEPT", "REJECT"})
		if err != nil {
			return nil, err
		}
		want := []model.Action{model.Accept, model.Reject}[i]
		return eqPred(t.Op, func(r *model.Flow) bool { return r.Action == want }), nil
	case model.KindLogStatus:
		i, err := enumValue(t, name, []string{"OK", "NODATA", "SKIPDATA"})
		if err != nil {
			return nil, err
		}
		want := []model.LogStatus{model.StatusOK, model.StatusNoData, model.StatusSkipData}[i]
		return eqPred(t.Op, func(r *model.Flow) bool { return r.Status == want }), nil
	case model.KindDirection:
		v := t.Value
		switch strings.ToLower(v) {
		case "in":
			v = "ingress"
		case "out":
			v = "egress"
		}
		tt := *t
		tt.Value = v
		i, err := enumValue(&tt, name, []string{"ingress", "egress"})
		if err != nil {
			return nil, err
		}
		want := []model.Direction{model.Ingress, model.Egress}[i]
		return eqPred(t.Op, func(r *model.Flow) bool { return r.Direction == want }), nil
	case model.KindTCPFlags:
		if p, ok, err := flagNamesPred(t, name); ok || err != nil {
			return p, err
		}
	}
	iv, err := c.numericValue(t, f, kind, name)
	if err != nil {
		return nil, err
	}
	return numberPred(t.Op, f, iv), nil
}

// interval is an inclusive range of values a term's value stands for: 22 is [22,22],
// 1024-65535 a range, a date the seconds of that day.
type interval struct{ lo, hi uint64 }

func numberPred(op Op, f model.Field, iv interval) Pred[*model.Flow] {
	get := uintGetter(f)
	switch op {
	case OpEq:
		if iv.lo == iv.hi {
			x := iv.lo
			return func(r *model.Flow) bool { v, ok := get(r); return ok && v == x }
		}
		return func(r *model.Flow) bool { v, ok := get(r); return ok && v >= iv.lo && v <= iv.hi }
	case OpNe:
		return func(r *model.Flow) bool { v, ok := get(r); return !ok || v < iv.lo || v > iv.hi }
	case OpLt:
		return func(r *model.Flow) bool { v, ok := get(r); return ok && v < iv.lo }
	case OpLe:
		return func(r *model.Flow) bool { v, ok := get(r); return ok && v <= iv.hi }
	case OpGt:
		return func(r *model.Flow) bool { v, ok := get(r); return ok && v > iv.hi }
	default:
		return func(r *model.Flow) bool { v, ok := get(r); return ok && v >= iv.lo }
	}
}

// uintGetter returns a reader specialised to one field, so the hot loop of a refilter does
// not go through Flow.Uint's switch for the common fields.
func uintGetter(f model.Field) func(*model.Flow) (uint64, bool) {
	switch f {
	case model.FDstPort:
		return func(r *model.Flow) (uint64, bool) { return uint64(r.DstPort), r.Has(model.FDstPort) }
	case model.FSrcPort:
		return func(r *model.Flow) (uint64, bool) { return uint64(r.SrcPort), r.Has(model.FSrcPort) }
	case model.FProtocol:
		return func(r *model.Flow) (uint64, bool) { return uint64(r.Protocol), r.Has(model.FProtocol) }
	case model.FBytes:
		return func(r *model.Flow) (uint64, bool) { return r.Bytes, r.Has(model.FBytes) }
	case model.FPackets:
		return func(r *model.Flow) (uint64, bool) { return r.Packets, r.Has(model.FPackets) }
	}
	return func(r *model.Flow) (uint64, bool) { return r.Uint(f) }
}

func (c *compiler) numericValue(t *Term, f model.Field, kind model.Kind, name string) (interval, error) {
	v := t.Value
	bad := func(want string) (interval, error) {
		return interval{}, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("bad value '%s' for %s", v, name), Hint: "want " + want}
	}
	limit := uint64(math.MaxUint64)
	switch kind {
	case model.KindPort:
		limit = math.MaxUint16
	case model.KindProtocol, model.KindTCPFlags:
		limit = math.MaxUint8
	case model.KindTime:
		limit = math.MaxUint32
	}
	if f == model.FVersion || f == model.FTrafficPath || f == model.FEncryptionStatus {
		limit = math.MaxUint8
	}

	// names first: ports and protocols
	switch kind {
	case model.KindPort:
		if p, ok := decode.PortByService(v); ok {
			return interval{uint64(p), uint64(p)}, nil
		}
	case model.KindProtocol:
		if p, ok := decode.ProtocolByName(v); ok {
			return interval{uint64(p), uint64(p)}, nil
		}
	case model.KindTime:
		if iv, ok := c.timeValue(v); ok {
			return iv, nil
		}
	}

	lo, hi, isRange := v, v, false
	if i := strings.IndexByte(v, '-'); i > 0 && i < len(v)-1 {
		lo, hi, isRange = v[:i], v[i+1:], true
	}
	if kind == model.KindTime && isRange {
		// A range of times: 09:10-09:20 is from the first second of one to the last of
		// the other. Dates hold dashes themselves (2025-03-14T09:10-2025-03-14T09:20,
		// and offsets such as -05:00): the range's dash is the one that leaves a time
		// on each side.
		for i := range len(v) - 1 {
			if i == 0 || v[i] != '-' {
				continue
			}
			x, ok := c.timeValue(v[:i])
			if !ok {
				continue
			}
			y, ok := c.timeValue(v[i+1:])
			if !ok {
				continue
			}
			if x.lo > y.hi {
				return interval{}, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("empty range '%s'", v), Hint: fmt.Sprintf("write it as %s-%s", v[i+1:], v[:i])}
			}
			if t.Op != OpEq && t.Op != OpNe {
				return interval{}, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("a range compares only with = or !=, not %s", t.Op)}
			}
			return interval{x.lo, y.hi}, nil
		}
	}
	a, okA := ParseAmount(lo, kind == model.KindNumber)
	b, okB := ParseAmount(hi, kind == model.KindNumber)
	if !okA || !okB {
		switch kind {
		case model.KindPort:
			e := &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("unknown port or service '%s' for %s", v, name)}
			if s := suggest(strings.ToLower(v), serviceNames()); s != "" {
				e.Hint = fmt.Sprintf("did you mean '%s'?", s)
			} else {
				e.Hint = "want a number, a range such as 1024-65535, or a service name such as ssh"
			}
			return interval{}, e
		case model.KindProtocol:
			e := &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("unknown protocol '%s'", v)}
			if s := suggest(strings.ToLower(v), protocolNames()); s != "" {
				e.Hint = fmt.Sprintf("did you mean '%s'?", s)
			} else {
				e.Hint = "want a number or a name such as tcp, udp, icmp"
			}
			return interval{}, e
		case model.KindTime:
			if d, ok := parseAgo(v); ok && d < 0 {
				return interval{}, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("bad value '%s' for %s", v, name), Hint: "a duration counts back from now, so it cannot be negative: write 15m for 15 minutes ago"}
			}
			return bad("a duration before now (15m, 2h, 1d), a time of day (09:10), a date (2024-05-01), a date and time (2024-05-01T10:30, 2024-05-01T10:30:00Z) or Unix seconds")
		case model.KindTCPFlags:
			return bad("a number or flag names such as syn, syn-ack, fin, rst (joined with +)")
		}
		if kind == model.KindNumber && (f == model.FBytes || f == model.FPackets) {
			return bad("a number such as 1500, 10k, 1.5MB or 1MiB, or a range such as 0-100")
		}
		return bad("a number or a range such as 1-5")
	}
	if kind == model.KindTime {
		// Milliseconds, as records may carry them: divided before the range is
		// checked, which they are always out of.
		if a > 1e11 {
			a /= 1000
		}
		if b > 1e11 {
			b /= 1000
		}
	}
	if a > limit || b > limit {
		return interval{}, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("value '%s' out of range for %s", v, name), Hint: fmt.Sprintf("at most %d", limit)}
	}
	if a > b {
		return interval{}, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("empty range '%s'", v), Hint: fmt.Sprintf("write it as %s-%s", hi, lo)}
	}
	if isRange && t.Op != OpEq && t.Op != OpNe {
		return interval{}, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("a range compares only with = or !=, not %s", t.Op)}
	}
	return interval{a, b}, nil
}

// ParseAmount reads a whole number; with sizes, a number with a unit: k, M, G, T (powers
// of 1000, also written KB, MB, GB, TB) or Ki, Mi, Gi, Ti (powers of 1024, also KiB,
// MiB, GiB, TiB), in any case, since flow logs count bytes and packets and nothing else
// a unit could mean (no bits, no thousandths). With a unit the number may have a decimal
// fraction as long as the amount is whole: 1.5MB is 1500000, 1.5KiB 1536.
func ParseAmount(s string, sizes bool) (uint64, bool) {
	if !sizes {
		n, err := strconv.ParseUint(s, 10, 64)
		return n, err == nil
	}
	i := len(s)
	for i > 0 && (s[i-1] >= 'a' && s[i-1] <= 'z' || s[i-1] >= 'A' && s[i-1] <= 'Z') {
		i--
	}
	number, unit := s[:i], strings.ToLower(s[i:])
	mult, ok := sizeUnits[unit]
	if !ok || number == "" {
		return 0, false
	}
	whole, frac, hasFrac := strings.Cut(number, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || hasFrac && (unit == "" || frac == "" || len(frac) > 18 || strings.Trim(frac, "0123456789") != "") {
		return 0, false
	}
	// Exact arithmetic: the amount must be a whole number that fits 64 bits.
	n, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok {
		return 0, false
	}
	n.Mul(n, new(big.Int).SetUint64(mult))
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	q, r := new(big.Int).QuoRem(n, scale, new(big.Int))
	if r.Sign() != 0 || !q.IsUint64() {
		return 0, false
	}
	return q.Uint64(), true
}

// sizeUnits are the units ParseAmount takes, in lower case.
var sizeUnits = map[string]uint64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
}

// timeValue reads a time as the interval of seconds it names (see ParseTime), at the
// compiler's now and in its zone.
func (c *compiler) timeValue(s string) (interval, bool) {
	t, span, ok := ParseTime(s, c.now, c.opts.Location)
	if !ok || t.Unix() < 0 || t.Unix() > math.MaxUint32 {
		return interval{}, false
	}
	lo := uint64(t.Unix())
	return interval{lo, lo + uint64(span/time.Second) - 1}, true
}

// flagNamesPred reads `tcp-flags=syn+fin`: every named flag set. SYN means a SYN without
// the ACK bit, because a person asking for SYNs wants connection attempts, and flow logs
// record the SYN-ACK as 18 (SYN plus the ACK bit).
func flagNamesPred(t *Term, name string) (Pred[*model.Flow], bool, error) {
	v := t.Value
	if v == "" || v[0] >= '0' && v[0] <= '9' {
		return nil, false, nil
	}
	var need, exclude uint8
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == '+' || r == ',' || r == '|' }) {
		bit, ok := decode.TCPFlagByName(part)
		if !ok {
			e := &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("unknown TCP flag '%s' for %s", part, name)}
			if s := suggest(strings.ToLower(part), []string{"syn", "syn-ack", "fin", "rst"}); s != "" {
				e.Hint = fmt.Sprintf("did you mean '%s'?", s)
			} else {
				e.Hint = "want syn, syn-ack, fin or rst"
			}
			return nil, true, e
		}
		need |= bit
		if bit == decode.FlagSYN {
			exclude |= decode.FlagSYNACK &^ decode.FlagSYN
		}
	}
	if need&(decode.FlagSYNACK&^decode.FlagSYN) != 0 {
		exclude = 0 // syn+syn-ack: the SYN-ACK satisfies both
	}
	if t.Op != OpEq && t.Op != OpNe {
		return nil, true, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("flag names compare only with = or !=, not %s", t.Op)}
	}
	has := func(r *model.Flow) bool {
		return r.Has(model.FTCPFlags) && r.TCPFlags&need == need && r.TCPFlags&exclude == 0
	}
	if t.Op == OpNe {
		return func(r *model.Flow) bool { return !has(r) }, true, nil
	}
	return has, true, nil
}

func addrPred(t *Term, f model.Field, name string) (Pred[*model.Flow], error) {
	if t.Op != OpEq && t.Op != OpNe {
		return nil, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("%s compares only with = or !=, not %s", name, t.Op)}
	}
	var p netip.Prefix
	var err error
	if strings.Contains(t.Value, "/") {
		p, err = netip.ParsePrefix(t.Value)
		p = p.Masked()
	} else {
		var a netip.Addr
		a, err = netip.ParseAddr(t.Value)
		if err == nil {
			p = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil || p.Addr().Zone() != "" {
		return nil, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("bad address '%s' for %s", t.Value, name), Hint: "want an IP address or a CIDR such as 10.0.0.0/8 or 2001:db8::/32"}
	}
	in := func(r *model.Flow) bool {
		a, ok := r.Addr(f)
		return ok && p.Contains(a)
	}
	if t.Op == OpNe {
		return func(r *model.Flow) bool { return !in(r) }, nil
	}
	return in, nil
}

// enumValue finds the value of an enumerated field among values, any case, and returns
// its index; an unknown value is an error with the likeliest intended one.
func enumValue(t *Term, name string, values []string) (int, error) {
	if t.Op != OpEq && t.Op != OpNe {
		return 0, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("%s compares only with = or !=, not %s", name, t.Op)}
	}
	for i, v := range values {
		if strings.EqualFold(v, t.Value) {
			return i, nil
		}
	}
	e := &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("bad value '%s' for %s", t.Value, name), Hint: "want " + strings.Join(values, " or ")}
	lower := make([]string, len(values))
	for i, v := range values {
		lower[i] = strings.ToLower(v)
	}
	if s := suggest(strings.ToLower(t.Value), lower); s != "" {
		e.Hint = fmt.Sprintf("did you mean '%s'?", values[indexOf(lower, s)])
	}
	return 0, e
}

// eqPred turns an equality test into the predicate of op (= or !=).
func eqPred(op Op, eq Pred[*model.Flow]) Pred[*model.Flow] {
	if op == OpNe {
		return func(r *model.Flow) bool { return !eq(r) }
	}
	return eq
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// stringPred matches identifiers and text case-insensitively, with * and ? wildcards.
// Records repeat a few values, so the answer is cached per symbol.
func stringPred(t *Term, f model.Field, name string) (Pred[*model.Flow], error) {
	if t.Op != OpEq && t.Op != OpNe {
		return nil, &Error{Pos: t.ValuePos, Msg: fmt.Sprintf("%s compares only with = or !=, not %s", name, t.Op)}
	}
	pattern := strings.ToLower(t.Value)
	wild := strings.ContainsAny(pattern, "*?")
	cache := &symCache{test: func(s string) bool {
		s = strings.ToLower(s)
		if wild {
			return GlobMatch(pattern, s)
		}
		return s == pattern
	}}
	eq := func(r *model.Flow) bool {
		s := r.Sym(f)
		return s != 0 && cache.match(s)
	}
	if !model.Interned(f) {
		// Values kept as text rarely repeat: test each one.
		eq = func(r *model.Flow) bool {
			v := r.Text(f)
			return v != "" && cache.test(v)
		}
	}
	if t.Op == OpNe {
		return func(r *model.Flow) bool { return !eq(r) }, nil
	}
	return eq, nil
}

// symCache remembers a string test per symbol: 0 unknown, 1 true, 2 false.
type symCache struct {
	test  func(string) bool
	known []uint8
}

func (c *symCache) match(s model.Sym) bool {
	if int(s) >= len(c.known) {
		n := max(model.SymCount(), int(s)+1)
		c.known = append(c.known, make([]uint8, n-len(c.known))...)
	}
	switch c.known[s] {
	case 1:
		return true
	case 2:
		return false
	}
	ok := c.test(s.String())
	c.known[s] = 2
	if ok {
		c.known[s] = 1
	}
	return ok
}

// globMatch matches * (any run) and ? (one byte) without recursion blow-up.
func GlobMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func serviceNames() []string {
	var out []string
	for _, s := range decode.Services() {
		out = append(out, s.Name)
	}
	return out
}

func protocolNames() []string {
	out := []string{"tcp", "udp", "icmp", "icmpv6"}
	for n := 0; n < 256; n++ {
		if kw, _, ok := decode.Protocol(uint8(n)); ok && kw != "" {
			out = append(out, kw)
		}
	}
	return append(out, "icmpv6")
}
