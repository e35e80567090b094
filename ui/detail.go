package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/ring"
)

// detailPane shows every field of the selected record, decoded. Its lines are built,
// wrapped and styled when the selection, the size or the theme changes (in Update),
// never while drawing: drawing takes the ones from the offset on.
type detailPane struct {
	width, height int
	styles        Styles
	seq           ring.Seq
	has           bool
	lines         []detailLine
	screen        []string // the lines wrapped to the pane and styled
	offset        int      // in screen lines, which long values wrap onto
	names         Names    // names the interface and the addresses; nil names nothing
}

// detailLine is a label, the raw value and what it means.
type detailLine struct {
	label, value, meaning string
	kind                  lineKind
}

type lineKind uint8

const (
	lineNormal lineKind = iota
	lineReject
	lineAccept
	lineNote
	lineSection
)

func (d *detailPane) SetSize(w, h int) { d.width, d.height = w, h; d.layout() }

func (d *detailPane) setStyles(s Styles) { d.styles = s; d.layout() }

// SetRecord decodes r (nil clears the pane); now is the clock for ages.
func (d *detailPane) SetRecord(r *model.Flow, seq ring.Seq, local bool, now time.Time) {
	if r == nil {
		d.has, d.lines = false, nil
		d.layout()
		return
	}
	if d.has && d.seq != seq {
		d.offset = 0
	}
	d.has, d.seq = true, seq
	d.lines = describe(r, local, now, d.names)
	d.layout()
}

// layout wraps and styles the lines for the pane's width, so that drawing only slices
// them and scrolling reaches the last field.
func (d *detailPane) layout() {
	d.screen = d.renderAll(d.styles)
	d.clampScroll()
}

func (d *detailPane) scroll(delta int) {
	d.offset += delta
	d.clampScroll()
}

func (d *detailPane) clampScroll() {
	d.offset = max(0, min(d.offset, len(d.screen)-(d.height-2)))
}

// Render draws the pane.
func (d *detailPane) Render(s Styles, focused bool) string {
	lines := d.screen[min(d.offset, len(d.screen)):]
	if !d.has {
		lines = []string{"", s.Muted.Render("  no record selected")}
	}
	right := ""
	if d.has && len(d.screen) > d.height-2 {
		right = fmt.Sprintf("%d/%d", d.offset+1, len(d.screen))
	}
	return s.box("Detail", right, lines, d.width, d.height, focused)
}

// renderAll renders every line, wrapped to the pane's width. Only the selected record's
// fields, a few dozen lines.
func (d *detailPane) renderAll(s Styles) []string {
	inner := d.width - 2
	labelW := 0
	for _, l := range d.lines {
		labelW = max(labelW, len(l.label))
	}
	labelW = min(labelW+3, 23)
	var lines []string
	for _, l := range d.lines {
		lines = append(lines, renderDetailLine(s, l, labelW, inner)...)
	}
	return lines
}

func renderDetailLine(s Styles, l detailLine, labelW, inner int) []string {
	if l.kind == lineSection {
		return []string{s.Header.Render(padRight(l.label, inner))}
	}
	label := s.Label.Render(padRight(" "+l.label, labelW))
	valStyle := s.Value
	switch l.kind {
	case lineReject:
		valStyle = s.Reject
	case lineAccept:
		valStyle = s.Accept
	case lineNote:
		valStyle = s.Muted
	}
	rest := max(1, inner-labelW)
	value := truncate(l.value, rest)
	first := label + valStyle.Render(value)
	if l.meaning == "" {
		return []string{first}
	}
	// The meaning follows the value and wraps under it, indented to the value column.
	used := len([]rune(value)) + 2
	firstW := rest - used
	if firstW < 12 {
		firstW = 0 // too little room: start the meaning on its own line
	}
	indent := strings.Repeat(" ", labelW)
	wrapped := wrap(l.meaning, firstW, rest)
	out := []string{first}
	for i, w := range wrapped {
		switch {
		case i == 0 && firstW > 0:
			out[0] += "  " + s.Muted.Render(w)
		default:
			out = append(out, indent+s.Muted.Render(w))
		}
	}
	return out
}

// wrap breaks text into lines of at most width runes; the first line may be narrower
// (firstW, 0 for none), as when it follows a value.
func wrap(text string, firstW, width int) []string {
	var out []string
	var cur []string
	curLen := 0
	limit := firstW
	if limit == 0 {
		limit = width
	}
	for _, w := range strings.Fields(text) {
		n := len([]rune(w))
		if curLen > 0 && curLen+1+n > limit {
			out = append(out, strings.Join(cur, " "))
			cur, curLen, limit = nil, 0, width
		}
		if curLen > 0 {
			curLen++
		}
		cur = append(cur, truncate(w, width))
		curLen += min(n, width)
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}

func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	return string(r[:w-1]) + "…"
}

// describe decodes every field of the record's format, in format order, then adds what
// can be derived from them. names, when it knows them, names the interface (its Name
// tag or description) and the addresses (the host, or the AWS service of a public
// address) beside their IDs.
func describe(r *model.Flow, local bool, now time.Time, names Names) []detailLine {
	f := r.FormatOf()
	var out []detailLine
	for i, fld := range f.Fields {
		name := f.Names[i]
		if !r.Has(fld) {
			out = append(out, detailLine{label: name, value: "-", meaning: absentMeaning(r, fld), kind: lineNote})
			continue
		}
		value := r.Value(fld)
		l := detailLine{label: name, value: value}
		switch fld {
		case model.FProtocol:
			if kw, full, ok := decode.Protocol(r.Protocol); ok {
				l.meaning = kw + ": " + full
			} else {
				l.meaning = "unassigned protocol number"
			}
		case model.FSrcPort, model.FDstPort:
			l.meaning = portMeaning(r, fld)
		case model.FTCPFlags:
			l.meaning = decode.TCPFlagsMeaning(r.TCPFlags)
		case model.FStart, model.FEnd:
			v, _ := r.Uint(fld)
			l.meaning = timeMeaning(uint32(v), local, now)
		case model.FAction:
			l.meaning = decode.ActionMeaning(value)
			l.kind = lineAccept
			if r.Action == model.Reject {
				l.kind = lineReject
			}
		case model.FLogStatus:
			l.meaning = decode.LogStatusMeaning(value)
		case model.FFlowDirection:
			l.meaning = decode.DirectionMeaning(value)
		case model.FTrafficPath:
			path, _ := r.TrafficPath()
			l.meaning = decode.TrafficPathMeaning(path)
		case model.FEncryptionStatus:
			enc, _ := r.EncryptionStatus()
			l.meaning, _ = decode.EncryptionStatus(enc)
		case model.FRejectReason:
			l.meaning = decode.RejectReason(value)
		case model.FPktSrcAWSService, model.FPktDstAWSService:
			l.meaning, _ = decode.AWSService(value)
		case model.FInterfaceID, model.FNextHopInterfaceID:
			l.meaning = ifaceName(names, value)
		case model.FSrcAddr, model.FDstAddr, model.FPktSrcAddr, model.FPktDstAddr:
			if a, ok := r.Addr(fld); ok {
				l.meaning = addrMeaning(names, a)
			}
		case model.FType:
			if m := decode.TrafficType(value); !strings.HasPrefix(m, value) {
				l.meaning = m
			}
		case model.FSublocationType:
			l.meaning = decode.SublocationType(value)
		case model.FInterfaceType, model.FNextHopInterfaceType:
			if m := decode.InterfaceType(value); m != value {
				l.meaning = m
			}
		case model.FBytes:
			l.meaning = string(output.HumanBytes(nil, r.Bytes))
			if r.Packets > 0 && r.Has(model.FPackets) {
				l.meaning += ", " + counted(r.Bytes/r.Packets, "byte", "bytes") + " per packet"
			}
		case model.FPackets:
			if r.Has(model.FStart) && r.Has(model.FEnd) && r.End > r.Start {
				l.meaning = fmt.Sprintf("over %s", time.Duration(r.End-r.Start)*time.Second)
			}
		case model.FVersion:
			if int(r.Version) != f.Version && f.Version > 0 {
				l.meaning = fmt.Sprintf("the format's fields are of version %d", f.Version)
			}
		}
		out = append(out, l)
	}
	if !f.Has(model.FTCPFlags) && r.IsData() && r.Protocol == 6 {
		out = append(out, detailLine{kind: lineNote, label: "tcp-flags", value: "not in this format", meaning: "add ${tcp-flags} to the flow log's format to see who opened each connection"})
	}
	if r.Has(model.FStart) && r.Has(model.FEnd) {
		out = append(out, detailLine{kind: lineNote, label: "duration", value: (time.Duration(r.End-min(r.Start, r.End)) * time.Second).String(), meaning: "from the first to the last packet of this record"})
	}
	return out
}

func absentMeaning(r *model.Flow, f model.Field) string {
	if !r.IsData() {
		return "no value in a " + r.Status.String() + " record"
	}
	switch f {
	case model.FTrafficPath:
		if r.Direction == model.Ingress {
			return "recorded for egress traffic only"
		}
	case model.FPktSrcAWSService, model.FPktDstAWSService:
		return "not an AWS service address"
	}
	return "not applicable or not computed"
}

func portMeaning(r *model.Flow, f model.Field) string {
	v, _ := r.Uint(f)
	port := uint16(v)
	if r.Protocol == 1 || r.Protocol == 58 {
		return "ICMP has no ports"
	}
	if s, ok := decode.Service(r.Protocol, port); ok {
		return s
	}
	switch {
	case port >= 49152:
		return "dynamic range: most likely a client's ephemeral port"
	case port >= 32768:
		return "in Linux's ephemeral range: likely a client's port"
	case port >= 1024:
		return "registered range: a service's or a client's port"
	}
	return "system port"
}

func timeMeaning(sec uint32, local bool, now time.Time) string {
	t := time.Unix(int64(sec), 0).In(shownZone(local))
	return t.Format("2006-01-02 15:04:05 MST") + ", " + age(now.Sub(t))
}

// age says how long ago, the way people say it.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m ago"
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d.Hours()), int(d.Minutes())%60)
	case d < 2*365*24*time.Hour:
		return strconv.Itoa(int(d.Hours()/24)) + " days ago"
	}
	return strconv.Itoa(int(d.Hours()/24/365)) + " years ago"
}
