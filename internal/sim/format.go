package sim

import (
	"net/netip"

	"github.com/flowlens/flowlens/model"
)

// V5Format is the custom format the simulator writes besides the default one: the
// version 2 fields, then the interface's identity and the fields that tell direction,
// path and TCP state.
var V5Format = model.MustParseFormat("${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} " +
	"${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} " +
	"${vpc-id} ${subnet-id} ${instance-id} ${type} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} " +
	"${pkt-src-aws-service} ${pkt-dst-aws-service} ${flow-direction} ${traffic-path}")

// Formats are the formats the simulator is meant to write: the default (version 2) one
// and V5Format. Any other format works too; fields the simulator does not model are `-`.
func Formats() []*model.Format { return []*model.Format{model.DefaultFormat, V5Format} }

// writer writes recs as records of one format.
type writer struct {
	f       *model.Format
	has     [model.NumKnown]bool
	ext     bool // the format has fields that live in model.Ext
	pkt     bool // pkt-srcaddr or pkt-dstaddr
	version uint64
	account model.Sym
	region  model.Sym
	types   [2]model.Sym // IPv4, IPv6
	// template is the Ext every record starts from: empty, with the presence bits of
	// pkt-srcaddr and pkt-dstaddr when the format has them (see pktTemplate).
	template model.Ext
	slab     []model.Ext
	ifcs     []*Interface
}

// is4 reports whether a 16-byte address is IPv4-mapped.
func is4(a [16]byte) bool {
	return a[10] == 0xff && a[11] == 0xff && a[0]|a[1]|a[2]|a[3]|a[4]|a[5]|a[6]|a[7]|a[8]|a[9] == 0
}

func newWriter(f *model.Format, t *Topology) *writer {
	w := &writer{f: f, version: uint64(f.Version), account: model.Intern(t.Account), region: model.Intern(t.Region),
		types: [2]model.Sym{model.Intern("IPv4"), model.Intern("IPv6")}, ifcs: t.Interfaces}
	for _, fld := range f.Fields {
		if !fld.Known() {
			w.ext = true
			continue
		}
		w.has[fld] = true
		switch fld {
		case model.FVPCID, model.FSubnetID, model.FInstanceID, model.FType, model.FRegion,
			model.FPktSrcAWSService, model.FPktDstAWSService, model.FTrafficPath:
			w.ext = true // fields model.Flow keeps in Ext: allocate it from the slab
		case model.FPktSrcAddr, model.FPktDstAddr:
			w.ext, w.pkt = true, true
		}
	}
	if w.pkt {
		w.template = pktTemplate(f)
	}
	return w
}

// newExt hands out an Ext from a slab: one allocation per 256 records. Each record gets
// its own, so a record copied out of the callback stays intact.
func (w *writer) newExt() *model.Ext {
	if len(w.slab) == 0 {
		w.slab = make([]model.Ext, 256)
	}
	e := &w.slab[0]
	w.slab = w.slab[1:]
	*e = w.template
	if n := len(w.f.Fields) - countKnown(w.f); n > 0 {
		e.Texts = &model.ExtTexts{Custom: make([]string, n)}
	}
	return e
}

func countKnown(f *model.Format) int {
	n := 0
	for _, x := range f.Fields {
		if x.Known() {
			n++
		}
	}
	return n
}

// write fills out with r as a record of w's format.
func (w *writer) write(r *rec, out *model.Flow) {
	*out = model.Flow{Format: w.f.ID}
	h := &w.has
	ifc := w.ifcs[r.ifc]
	if h[model.FVersion] {
		out.SetUint(model.FVersion, w.version)
	}
	if h[model.FAccountID] {
		out.SetSym(model.FAccountID, w.account)
	}
	if h[model.FInterfaceID] {
		out.SetSym(model.FInterfaceID, ifc.syms.id)
	}
	if h[model.FStart] {
		out.SetUint(model.FStart, uint64(r.start))
	}
	if h[model.FEnd] {
		out.SetUint(model.FEnd, uint64(r.end))
	}
	if h[model.FLogStatus] {
		out.SetStatus(r.status)
	}
	// The addresses go in before the Ext: setting an IPv6 address on a record that has
	// one copies the Ext (copies of a record share it), and SetExt takes them along.
	if r.status == model.StatusOK {
		w.writeAddrs(r, ifc, out)
	}
	if w.ext {
		out.SetExt(w.newExt())
		if h[model.FVPCID] {
			out.SetSym(model.FVPCID, ifc.syms.vpc)
		}
		if h[model.FSubnetID] {
			out.SetSym(model.FSubnetID, ifc.syms.subnet)
		}
		if h[model.FInstanceID] {
			out.SetSym(model.FInstanceID, ifc.syms.instance)
		}
		if h[model.FRegion] {
			out.SetSym(model.FRegion, w.region)
		}
	}
	if r.status != model.StatusOK {
		return // NODATA and SKIPDATA carry no traffic fields
	}
	if h[model.FSrcPort] {
		out.SetUint(model.FSrcPort, uint64(r.sport))
	}
	if h[model.FDstPort] {
		out.SetUint(model.FDstPort, uint64(r.dport))
	}
	if h[model.FProtocol] {
		out.SetUint(model.FProtocol, uint64(r.proto))
	}
	if h[model.FPackets] {
		out.SetUint(model.FPackets, r.packets)
	}
	if h[model.FBytes] {
		out.SetUint(model.FBytes, r.bytes)
	}
	if h[model.FAction] {
		out.SetAction(r.action)
	}
	if h[model.FTCPFlags] {
		out.SetUint(model.FTCPFlags, uint64(r.flags))
	}
	if h[model.FFlowDirection] {
		out.SetDirection(r.dir)
	}
	if h[model.FTrafficPath] && r.dir == model.Egress {
		out.SetUint(model.FTrafficPath, uint64(r.path))
	}
	if w.ext {
		if h[model.FType] {
			t := w.types[0]
			if !is4(r.src) {
				t = w.types[1]
			}
			out.SetSym(model.FType, t)
		}
		if h[model.FPktSrcAWSService] {
			out.SetSym(model.FPktSrcAWSService, r.srcSvc)
		}
		if h[model.FPktDstAWSService] {
			out.SetSym(model.FPktDstAWSService, r.dstSvc)
		}
		if w.pkt {
			out.Ext().PktSrc, out.Ext().PktDst = r.src, r.dst
		}
	}
}

// writeAddrs sets srcaddr and dstaddr: the interface's own side shows its primary
// private IPv4; pkt-* the packet.
func (w *writer) writeAddrs(r *rec, ifc *Interface, out *model.Flow) {
	src, dst := r.src, r.dst
	if is4(src) {
		if r.dir == model.Egress {
			src = ifc.ip16
		} else {
			dst = ifc.ip16
		}
	}
	if w.has[model.FSrcAddr] {
		out.SetSrc(netip.AddrFrom16(src).Unmap())
	}
	if w.has[model.FDstAddr] {
		out.SetDst(netip.AddrFrom16(dst).Unmap())
	}
}

// pktTemplate returns an Ext whose pkt-srcaddr and pkt-dstaddr are marked present as
// the format has them. model.Flow has no setter for these two fields and keeps their
// presence bits unexported, so the simulator has the parser fill an Ext from a line of
// the format that holds only those addresses; a copy carries the bits, and its exported
// PktSrc and PktDst can be overwritten. (A model.Flow.SetAddr would make this go away.)
func pktTemplate(f *model.Format) model.Ext {
	line := make([]byte, 0, 4*len(f.Fields))
	for i, fld := range f.Fields {
		if i > 0 {
			line = append(line, ' ')
		}
		if fld == model.FPktSrcAddr || fld == model.FPktDstAddr {
			line = append(line, "0.0.0.0"...)
		} else {
			line = append(line, '-')
		}
	}
	var r model.Flow
	if model.NewParser("sim", f).Parse(line, &r) != model.LineRecord || r.Ext() == nil {
		panic("sim: cannot build a record with pkt-srcaddr and pkt-dstaddr in format " + f.Spec())
	}
	e := *r.Ext()
	clear(e.Str[:])
	e.Texts = nil // each record gets its own (newExt)
	return e
}
