package pairs

import (
	"io"
	"net/netip"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
)

// Namer names what the output would otherwise show only as an ID or an address;
// model/names.Lookup is one. A nil Namer names nothing. A Namer that also has
// Group(id string) string (names.Lookup does) names the security groups in the joint
// verdict's sentence.
type Namer interface {
	Addr(a netip.Addr) string    // the host: "db-1"
	Interface(id string) string  // "bastion", "NAT gateway nat-0abc"
	Service(a netip.Addr) string // the AWS service of a public address: "S3"
}

// NewNamedWriter is NewWriter whose rows also carry names (DESIGN.md: "names where
// known"): in JSON Lines the keys interface-name, initiator-name and responder-name,
// null where unknown; in CSV the same three columns, after the others; in text, the
// name beside the interface and the two ends. n may be nil: the keys and columns are
// still there, so the shape of the output does not depend on what was known.
//
// Its rows also carry the pair's other end (WriteLinked, with Index.Link): the keys
// peer, joint-verdict and joint-explanation, null without a peer, and LinkColumns in
// CSV, after the names; in text, the joint verdict and its sentence after the
// explanation when they differ from the pair's own.
func NewNamedWriter(kind string, w io.Writer, n Namer) (LinkedWriter, error) {
	pw, err := NewWriter(kind, w)
	if err != nil {
		return nil, err
	}
	nm := &namer{n: n}
	switch pw := pw.(type) {
	case *jsonWriter:
		pw.names = nm
	case *csvWriter:
		pw.names = nm
	case *textWriter:
		pw.names = nm
	}
	return pw.(LinkedWriter), nil
}

// NameColumns are the CSV columns NewNamedWriter appends.
var NameColumns = []string{"interface-name", "initiator-name", "responder-name"}

// namer is a Namer that may hold nil, with what it has written of the interfaces that
// are other ends (see peerJSON). Each writer, and each worker of a Batch, has its own.
type namer struct {
	n     Namer
	peers map[model.Sym][]byte
}

// Names returns the names of a pair's interface, initiator and responder, "" where
// unknown. An address is named by its host, or else by its AWS service.
func (nm *namer) names(p *Pair, j *Judgement) [3]string {
	var out [3]string
	if nm == nil || nm.n == nil {
		return out
	}
	addr := func(a netip.Addr) string {
		if s := nm.n.Addr(a); s != "" {
			return s
		}
		return nm.n.Service(a)
	}
	out[0] = nm.n.Interface(p.Key.Interface.String())
	out[1] = addr(j.InitiatorAP.Addr())
	out[2] = addr(j.ResponderAP.Addr())
	for i := range out {
		out[i] = output.Sanitize(out[i])
	}
	return out
}

// AppendNames writes the name keys into a JSON object that AppendJSON wrote (b ends
// with its closing brace): ,"interface-name":…,"initiator-name":…,"responder-name":…
func AppendNames(b []byte, p *Pair, j *Judgement, n Namer) []byte {
	return (&namer{n: n}).appendJSON(b, p, j)
}

func (nm *namer) appendJSON(b []byte, p *Pair, j *Judgement) []byte {
	if len(b) > 0 && b[len(b)-1] == '}' {
		b = b[:len(b)-1]
	}
	names := nm.names(p, j)
	for i, key := range NameColumns {
		b = append(b, `,"`...)
		b = append(b, key...)
		b = append(b, `":`...)
		b = appendNullable(b, names[i])
	}
	return append(b, '}')
}

// nameCell puts a name beside a cell of the text table: "10.0.1.30:5432 (db-1)".
func nameCell(cell, name string) string {
	if name == "" {
		return cell
	}
	return cell + " (" + name + ")"
}
