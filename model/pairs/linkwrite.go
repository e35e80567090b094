package pairs

import (
	"strconv"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
)

// LinkedWriter is a Writer that also writes a pair's other end and the joint verdict
// (DESIGN.md: `peer` and `joint-verdict`). NewNamedWriter's writers are LinkedWriters;
// their Write writes a pair without a peer.
type LinkedWriter interface {
	Writer
	WriteLinked(p *Pair, j *Judgement, l *Link) error
}

// LinkColumns are the CSV columns NewNamedWriter appends after NameColumns: the other
// end's interface, its name, its own verdict and whether the link is inferred, then the
// joint verdict and its sentence. Empty when the pair has no peer.
var LinkColumns = []string{"peer-interface-id", "peer-name", "peer-verdict", "peer-inferred", "joint-verdict", "joint-explanation"}

// linkRow is what the writers show of a link, from a Link (Index) or a Batch.
type linkRow struct {
	linked      bool
	peer        model.Sym
	peerVerdict Verdict
	inferred    bool
	joint       Verdict
	explanation string
}

func linkRowFrom(l *Link) linkRow {
	if l == nil || l.Peer == nil {
		return linkRow{}
	}
	return linkRow{linked: true, peer: l.Peer.Key.Interface, peerVerdict: l.PeerVerdict, inferred: l.Joint.Inferred,
		joint: l.Joint.Verdict, explanation: l.Joint.Explanation}
}

// namer returns the Namer inside, nil when there is none.
func (nm *namer) namer() Namer {
	if nm == nil {
		return nil
	}
	return nm.n
}

// ifaceName names an interface, sanitized; "" when unknown.
func (nm *namer) ifaceName(ifc model.Sym) string {
	if nm == nil || nm.n == nil {
		return ""
	}
	return output.Sanitize(nm.n.Interface(ifc.String()))
}

// appendLinkJSON writes the link keys into a JSON object (b ends with its closing
// brace): ,"peer":{"interface-id":…,"name":…,"verdict":…,"inferred":…},"joint-verdict":…,
// "joint-explanation":…, the three null without a peer, the last null when it would
// say nothing new (see showJoint). own is the pair's own verdict.
func (nm *namer) appendLinkJSON(b []byte, own Verdict, l *linkRow) []byte {
	if len(b) > 0 && b[len(b)-1] == '}' {
		b = b[:len(b)-1]
	}
	if !l.linked {
		return append(b, `,"peer":null,"joint-verdict":null,"joint-explanation":null}`...)
	}
	b = append(b, nm.peerJSON(l.peer)...)
	b = appendVerdict(b, l.peerVerdict)
	b = append(b, `,"inferred":`...)
	b = strconv.AppendBool(b, l.inferred)
	b = append(b, `},"joint-verdict":`...)
	b = appendVerdict(b, l.joint)
	b = append(b, `,"joint-explanation":`...)
	if !showJoint(own, l.joint) {
		return append(b, "null}"...)
	}
	b = appendJSONString(b, l.explanation)
	return append(b, '}')
}

// peerJSON is the start of the peer object of an interface, `,"peer":{"interface-id":…,
// "name":…,"verdict":`, made once per interface: most rows of a file name a few.
func (nm *namer) peerJSON(ifc model.Sym) []byte {
	if b, ok := nm.peers[ifc]; ok {
		return b
	}
	b := append([]byte(nil), `,"peer":{"interface-id":`...)
	b = appendNullable(b, ifc.String())
	b = append(b, `,"name":`...)
	b = appendNullable(b, nm.ifaceName(ifc))
	b = append(b, `,"verdict":`...)
	if nm.peers == nil {
		nm.peers = map[model.Sym][]byte{}
	}
	nm.peers[ifc] = b
	return b
}

// appendVerdict writes a verdict as a JSON string: the verdicts need no escaping.
func appendVerdict(b []byte, v Verdict) []byte {
	if Severity(v) == len(Verdicts) {
		return appendJSONString(b, string(v)) // not one of ours
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}

// appendLinkCells appends the LinkColumns of a row (not yet sanitized); own is the
// pair's own verdict.
func (nm *namer) appendLinkCells(row []string, own Verdict, l *linkRow) []string {
	if !l.linked {
		return append(row, "", "", "", "", "", "")
	}
	expl := l.explanation
	if !showJoint(own, l.joint) {
		expl = ""
	}
	return append(row, l.peer.String(), nm.ifaceName(l.peer), string(l.peerVerdict), strconv.FormatBool(l.inferred),
		string(l.joint), expl)
}

// showJoint reports whether the joint sentence is written beside a pair's own: not when
// both the pair and the joint verdict are accepted, where it would only say so again
// (most linked pairs: writing it for them made the output a third larger).
func showJoint(own, joint Verdict) bool { return own != Accepted || joint != Accepted }

// jointNote is what the text table adds to a linked pair's explanation when the two
// ends together say more than this one: " Both ends: sg: …".
func jointNote(j *Judgement, l *linkRow) string {
	if !l.linked || l.joint == j.Verdict {
		return ""
	}
	how := "Both ends: "
	if l.inferred {
		how = "Both ends (matched by inference): "
	}
	return " " + how + string(l.joint) + ": " + l.explanation
}
