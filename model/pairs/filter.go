package pairs

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/filter"
)

// The terms the pair filter adds to the record language.
const (
	fieldVerdict   = "verdict"
	fieldBlocked   = "blocked"
	fieldInitiator = "initiator"
	fieldResponder = "responder"
	fieldJoint     = "joint-verdict"
)

var pairFields = []string{fieldVerdict, fieldBlocked, fieldInitiator, fieldResponder, fieldJoint}

// verdictValues are what verdict= accepts: the verdicts, and "blocked" for any verdict
// that blocked the request or the response.
var verdictValues = []string{string(Accepted), string(SGOrNACL), string(NACL), string(SG), string(NoResponse),
	string(BPA), string(Unknown), "blocked"}

var blockedValues = []string{BlockedRequest, BlockedResponse, "none"}

// jointValues are what joint-verdict= accepts: verdict='s, and "none" for a pair whose
// other end is not in the data.
var jointValues = append(append([]string{}, verdictValues...), "none")

// subject is what a pair filter looks at.
type subject struct {
	p *Pair
	j *Judgement
}

// CompileFilter compiles a pair filter: the record filter language (docs/filter.md) plus
// terms about the judgement. A record term matches a pair when it matches the newest
// record of either direction, which record returns from a Dir's LastSeq (record may
// be nil, or return nil for a record no longer held: such terms then match nothing).
// `not` applies to the whole pair: `not action=REJECT` keeps pairs neither of whose
// newest records is a REJECT.
//
//	verdict=V            V: accepted, sg-or-nacl, nacl, sg, no-response, bpa, unknown,
//	                     or blocked (the request or the response was blocked)
//	blocked=B            B: request, response, or none
//	joint-verdict=V      the verdict of the connection's two ends together (Joint), as
//	                     Judgement.JointVerdict carries it: V as for verdict, or none
//	                     for a pair without a peer (or whose caller did not link it)
//	initiator=X          X: an address, a CIDR, either with :port ([v6]:port for IPv6),
//	responder=X          or :port alone; a port may be a range (1024-65535) or a
//	                     service name (:ssh)
//
// All compare with = and !=. initiator and responder match only pairs whose direction
// is decided. The judgement passed to the returned function must not be nil when the
// expression has judgement terms (those then match nothing). Mistakes are
// *filter.Error values with the column and, where one is close, the word meant.
func CompileFilter(expr string, record func(seq uint64) *model.Flow, opts filter.Options) (match func(*Pair, *Judgement) bool, err error) {
	defer func() {
		// The parser is fuzzed and bounded; this is the last line of defence of a
		// keystroke-driven compile against a bug in a term it calls.
		if r := recover(); r != nil {
			match, err = nil, &filter.Error{Pos: 1, Msg: fmt.Sprintf("cannot compile the filter: %v", r)}
		}
	}()
	n, err := filter.Parse(expr)
	if err != nil {
		return nil, err
	}
	leaf := func(n filter.Node) (filter.Pred[subject], error) { return pairLeaf(n, record, opts) }
	pred, err := filter.Build(n, leaf)
	if err != nil {
		return nil, err
	}
	return func(p *Pair, j *Judgement) bool { return pred(subject{p, j}) }, nil
}

func normField(name string) string { return strings.ToLower(strings.ReplaceAll(name, "_", "-")) }

func pairLeaf(n filter.Node, record func(uint64) *model.Flow, opts filter.Options) (filter.Pred[subject], error) {
	if t, ok := n.(*filter.Term); ok {
		switch normField(t.Field) {
		case fieldVerdict:
			return verdictTerm(t)
		case fieldBlocked:
			return blockedTerm(t)
		case fieldJoint:
			return jointTerm(t)
		case fieldInitiator, fieldResponder:
			return endpointTerm(t)
		}
	}
	pred, err := filter.FlowLeaf(n, opts)
	if err != nil {
		var fe *filter.Error
		if t, ok := n.(*filter.Term); ok && errors.As(err, &fe) && strings.HasPrefix(fe.Msg, "unknown field") {
			if s := filter.Suggest(normField(t.Field), fieldCandidates()); s != "" {
				return nil, &filter.Error{Pos: fe.Pos, Msg: fe.Msg, Hint: fmt.Sprintf("did you mean '%s'?", s)}
			}
		}
		return nil, err
	}
	if record == nil {
		return func(subject) bool { return false }, nil
	}
	return func(s subject) bool {
		for i := range s.p.Dirs {
			d := &s.p.Dirs[i]
			if d.Records == 0 {
				continue
			}
			if r := record(d.LastSeq()); r != nil && pred(r) {
				return true
			}
		}
		return false
	}, nil
}

// fieldCandidates are the names a mistyped field is compared with, the pair terms
// first so that they win a tie.
func fieldCandidates() []string {
	names := append([]string{}, pairFields...)
	for _, f := range model.KnownFields() {
		names = append(names, f.Name())
	}
	aliases := make([]string, 0, len(filter.Aliases))
	for a := range filter.Aliases {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	return append(append(names, aliases...), "addr", "port")
}

func equalityOnly(t *filter.Term) error {
	if t.Op != filter.OpEq && t.Op != filter.OpNe {
		return &filter.Error{Pos: t.FieldPos, Msg: fmt.Sprintf("'%s' compares only with = or !=", t.Field)}
	}
	return nil
}

// enum resolves a value among choices, case-insensitive, or explains the mistake.
func enum(t *filter.Term, what string, choices []string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(t.Value))
	for _, c := range choices {
		if v == c {
			return c, nil
		}
	}
	e := &filter.Error{Pos: t.ValuePos, Msg: fmt.Sprintf("unknown %s '%s'", what, t.Value)}
	if s := filter.Suggest(v, choices); s != "" {
		e.Hint = fmt.Sprintf("did you mean '%s'?", s)
	} else {
		e.Hint = "want one of " + strings.Join(choices, ", ")
	}
	return "", e
}

func verdictTerm(t *filter.Term) (filter.Pred[subject], error) {
	if err := equalityOnly(t); err != nil {
		return nil, err
	}
	v, err := enum(t, "verdict", verdictValues)
	if err != nil {
		return nil, err
	}
	var p filter.Pred[subject]
	if v == "blocked" {
		p = func(s subject) bool { return s.j != nil && s.j.Blocked != "" }
	} else {
		want := Verdict(v)
		p = func(s subject) bool { return s.j != nil && s.j.Verdict == want }
	}
	return judgementTerm(t.Op, p), nil
}

func jointTerm(t *filter.Term) (filter.Pred[subject], error) {
	if err := equalityOnly(t); err != nil {
		return nil, err
	}
	v, err := enum(t, "joint verdict", jointValues)
	if err != nil {
		return nil, err
	}
	var p filter.Pred[subject]
	switch v {
	case "none":
		p = func(s subject) bool { return s.j != nil && s.j.JointVerdict == "" }
	case "blocked":
		p = func(s subject) bool {
			return s.j != nil && s.j.JointVerdict != "" && s.j.JointVerdict != Accepted && s.j.JointVerdict != NoResponse && s.j.JointVerdict != Unknown
		}
	default:
		want := Verdict(v)
		p = func(s subject) bool { return s.j != nil && s.j.JointVerdict == want }
	}
	return judgementTerm(t.Op, p), nil
}

// judgementTerm negates a judgement term so that a missing judgement matches neither
// way: it is not known.
func judgementTerm(op filter.Op, p filter.Pred[subject]) filter.Pred[subject] {
	if op == filter.OpNe {
		return func(s subject) bool { return s.j != nil && !p(s) }
	}
	return p
}

func blockedTerm(t *filter.Term) (filter.Pred[subject], error) {
	if err := equalityOnly(t); err != nil {
		return nil, err
	}
	v, err := enum(t, "blocked value", blockedValues)
	if err != nil {
		return nil, err
	}
	if v == "none" {
		v = ""
	}
	return judgementTerm(t.Op, func(s subject) bool { return s.j != nil && s.j.Blocked == v }), nil
}

// endpointMatch is a compiled initiator= or responder= value.
type endpointMatch struct {
	prefix         netip.Prefix // invalid: any address
	portLo, portHi uint16
	anyPort        bool
}

func (m endpointMatch) matches(ap netip.AddrPort) bool {
	if m.prefix.IsValid() && !m.prefix.Contains(ap.Addr()) {
		return false
	}
	return m.anyPort || (ap.Port() >= m.portLo && ap.Port() <= m.portHi)
}

func endpointTerm(t *filter.Term) (filter.Pred[subject], error) {
	if err := equalityOnly(t); err != nil {
		return nil, err
	}
	m, err := parseEndpoint(t.Value)
	if err != nil {
		return nil, &filter.Error{Pos: t.ValuePos, Msg: fmt.Sprintf("bad value '%s' for %s: %v", t.Value, normField(t.Field), err),
			Hint: "want an address or CIDR, optionally with :port ([2001:db8::1]:443 for IPv6), or :port alone"}
	}
	initiator := normField(t.Field) == fieldInitiator
	p := func(s subject) bool {
		if s.j == nil || s.j.Initiator == SideUnknown {
			return false
		}
		ap := s.j.ResponderAP
		if initiator {
			ap = s.j.InitiatorAP
		}
		return m.matches(ap)
	}
	if t.Op == filter.OpNe {
		return func(s subject) bool { return s.j != nil && s.j.Initiator != SideUnknown && !p(s) }, nil
	}
	return p, nil
}

// parseEndpoint reads ADDR, CIDR, ADDR:PORT, CIDR:PORT, [V6]:PORT, [V6/N]:PORT, :PORT,
// *:PORT. IPv6 with a port needs the brackets: "2001:db8::1:443" is an address.
func parseEndpoint(v string) (endpointMatch, error) {
	m := endpointMatch{anyPort: true}
	v = strings.TrimSpace(v)
	addr, port, hasPort := v, "", false
	switch {
	case strings.HasPrefix(v, "*:"):
		addr, port, hasPort = "", v[2:], true
	case strings.HasPrefix(v, ":"):
		addr, port, hasPort = "", v[1:], true
	case strings.HasPrefix(v, "["):
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return m, errors.New("unclosed '['")
		}
		addr = v[1:end]
		rest := v[end+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return m, fmt.Errorf("unexpected %q after ']'", rest)
			}
			port, hasPort = rest[1:], true
		}
	case strings.Count(v, ":") == 1:
		addr, port, hasPort = strings.Cut(v, ":")
	}
	if addr == "" && !hasPort {
		return m, errors.New("empty")
	}
	if addr != "" {
		if strings.Contains(addr, "/") {
			p, err := netip.ParsePrefix(addr)
			if err != nil {
				return m, errors.New("not a CIDR")
			}
			m.prefix = p.Masked()
		} else {
			a, err := netip.ParseAddr(addr)
			if err != nil || a.Zone() != "" {
				return m, errors.New("not an address")
			}
			a = a.Unmap()
			m.prefix = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if hasPort {
		lo, hi, err := parsePorts(port)
		if err != nil {
			return m, err
		}
		m.anyPort, m.portLo, m.portHi = false, lo, hi
	}
	return m, nil
}

func parsePorts(s string) (lo, hi uint16, err error) {
	if s == "" {
		return 0, 0, errors.New("missing port")
	}
	if p, ok := decode.PortByService(s); ok {
		return p, p, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	lo64, err1 := strconv.ParseUint(a, 10, 16)
	hi64 := lo64
	var err2 error
	if isRange {
		hi64, err2 = strconv.ParseUint(b, 10, 16)
	}
	if err1 != nil || err2 != nil || hi64 < lo64 {
		return 0, 0, fmt.Errorf("bad port %q", s)
	}
	return uint16(lo64), uint16(hi64), nil
}
