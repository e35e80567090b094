package ui

import (
	"fmt"
	"net/netip"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/output"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/ring"
	"github.com/flowlens/flowlens/model/rules"
)

// verdictPane shows, for the selected flow and its reverse, what happened to the
// conversation: both directions with their actions, the verdict highlighted, the
// explanation, the signals that decided the direction and, with rules, the deciding rule
// and the rules next to it. Its lines are built and wrapped to the pane in Update; drawing
// only styles the ones on screen.
type verdictPane struct {
	width, height int
	lines         []verdictLine
	screen        []verdictLine // lines wrapped and cut to the pane's width
	verdict       pairs.Verdict
	has           bool
	offset        int // in screen lines
	// pushed is what the source pushed down of the filter ("" when nothing): the
	// records were narrowed at the source, which the pane says.
	pushed string
	joint  pairs.Verdict // both ends' verdict, when the other end is in the data
	names  Names
	// rules says when the rules in use were read or fetched ("rules fetched
	// 09:14:02"); "" without rules. After a reload (R, at reloaded, reloadedAt in
	// Unix seconds), records older than it (whose newest record ended before) are
	// judged again with prev, the rules before, and a verdict those gave otherwise is
	// shown beside.
	rules      string
	reloaded   string
	reloadedAt uint32
	prev       *rules.Set
	zoomed     bool // over the whole screen (VerdictZoom)
}

type verdictLine struct {
	text  string
	style verdictStyle
	wrap  bool // a sentence to wrap to the pane's width
}

type verdictStyle uint8

const (
	vsText verdictStyle = iota
	vsMuted
	vsHeader
	vsVerdict
	vsReject
	vsAccept
	vsRule
	vsJoint // the joint verdict's headline, coloured by it
)

func (v *verdictPane) SetSize(w, h int) {
	v.width, v.height = w, h
	v.layout()
}

// scroll moves by delta screen lines, within the lines there are.
func (v *verdictPane) scroll(delta int) {
	v.offset += delta
	v.clamp()
}

func (v *verdictPane) clamp() {
	v.offset = max(0, min(v.offset, len(v.screen)-(v.height-2)))
}

// layout wraps the lines to the pane's width, keeping each line's indent on the lines it
// wraps onto: nothing is cut while there is room below (a rule, an address with its
// name). A line that is not a sentence (wrap false) keeps its spacing when it fits, and
// wraps with a deeper indent when it does not.
func (v *verdictPane) layout() {
	inner := v.width - 2
	v.screen = v.screen[:0]
	for _, l := range v.lines {
		if !l.wrap && ansi.StringWidth(l.text) <= inner-1 {
			v.screen = append(v.screen, verdictLine{text: l.text, style: l.style})
			continue
		}
		text := strings.TrimLeft(l.text, " ")
		indent := strings.Repeat(" ", len(l.text)-len(text))
		more := indent
		if !l.wrap {
			more += "  "
		}
		for i, t := range wrap(text, max(10, inner-1-len(indent)), max(10, inner-1-len(more))) {
			lead := indent
			if i > 0 {
				lead = more
			}
			v.screen = append(v.screen, verdictLine{text: truncate(lead+t, inner-1), style: l.style})
		}
	}
	v.clamp()
}

// SetPair judges the pair of the selected record (nil clears the pane).
func (v *verdictPane) SetPair(ix *pairs.Index, r *model.Flow, rs *rules.Set) {
	v.setPair(ix, r, rs)
	v.layout()
}

func (v *verdictPane) setPair(ix *pairs.Index, r *model.Flow, rs *rules.Set) {
	v.lines, v.has, v.joint = nil, false, ""
	if r == nil {
		return
	}
	if !r.IsData() {
		v.has = true
		v.lines = []verdictLine{{text: "A " + r.Status.String() + " record carries no flow to judge.", style: vsMuted, wrap: true}}
		return
	}
	p, side := ix.Get(r)
	if p == nil {
		v.has = true
		v.lines = []verdictLine{{text: "This record has no addresses or protocol, so it cannot be paired.", style: vsMuted, wrap: true}}
		return
	}
	// With the rules before the current ones, for records older than these: judged
	// first, so that the current rules' judgement is what stays in the index's cache.
	var before pairs.Judgement
	stale := v.prev != nil && rs != nil && v.prev != rs && lastSeen(p) != 0 && lastSeen(p) < v.reloadedAt
	if stale {
		before = ix.Classify(p, v.prev)
	}
	j := ix.Judge(p, rs)
	v.has, v.verdict = true, j.Verdict
	add := func(text string, style verdictStyle, wrap bool) {
		v.lines = append(v.lines, verdictLine{text, style, wrap})
	}

	add(verdictHeadline(j), vsVerdict, true)
	if name := ifaceName(v.names, p.Key.Interface.String()); name != "" {
		add("on "+withName(p.Key.Interface.String(), name), vsMuted, true)
	}
	v.addJoint(ix, p, rs, add)
	// Both directions, the request first when it is known; ▸ marks the selected record's.
	first, second := side, side.Other()
	if j.Initiator != pairs.SideUnknown {
		first, second = j.Initiator, j.Initiator.Other()
	}
	for i, s := range []pairs.Side{first, second} {
		label := [2]string{"one way", "other way"}[i]
		if j.Initiator != pairs.SideUnknown {
			label = [2]string{"request", "reply"}[i]
		}
		mark := "  "
		if s == side {
			mark = "▸ "
		}
		d := p.Dir(s)
		add("", vsText, false)
		switch {
		case d == nil || d.Records == 0:
			note := "nothing recorded"
			if i == 1 && j.Initiator != pairs.SideUnknown {
				note = "no reply recorded (yet)"
				if req := p.Dir(first); req != nil && req.Records > 0 && req.Action() == "REJECT" {
					note = "none: the request was rejected"
				}
			}
			add(mark+padRight(label, 9)+" "+note, vsMuted, false)
		default:
			style := vsAccept
			switch d.Action() {
			case "REJECT":
				style = vsReject
			case "MIXED":
				style = vsRule
			}
			add(fmt.Sprintf("%s%-9s %s ×%s, %s, %s", mark, label, d.Action(), thousands(int(d.Records)), plural(d.Packets, "packet"), humanBytes(d.Bytes)), style, false)
		}
		add("    "+v.endpoint(p.Key.Protocol, p.Key.Sender(s))+" → "+v.endpoint(p.Key.Protocol, p.Key.Receiver(s)), vsText, true)
	}
	if j.Explanation != "" {
		add("", vsText, false)
		add(nameGroups(v.names, j.Explanation), vsText, true)
	}
	if j.Rule != "" || len(j.RuleContext) > 0 {
		add("", vsText, false)
		if v.rules != "" {
			add("Rules ("+strings.TrimPrefix(v.rules, "rules ")+")", vsHeader, false)
		} else {
			add("Rules", vsHeader, false)
		}
		if j.Rule != "" {
			add("deciding: "+nameGroups(v.names, j.Rule), vsRule, true)
		}
		for _, l := range j.RuleContext {
			add("  "+nameGroups(v.names, l), vsMuted, false)
		}
	} else if rs == nil && (j.Verdict == pairs.SGOrNACL || j.Verdict == pairs.NACL) {
		add("", vsText, false)
		add("Load the rules (--rules) to name the one that dropped it.", vsMuted, true)
	}
	if stale && (before.Verdict != j.Verdict || before.Rule != j.Rule) {
		add("", vsText, false)
		was := string(before.Verdict)
		if before.Rule != "" {
			was += " (" + nameGroups(v.names, before.Rule) + ")"
		}
		add("Judged with the rules reloaded at "+v.reloaded+", after these records: with the rules before, the verdict was "+was+".", vsRule, true)
	}
	if v.rules != "" && j.Rule == "" && len(j.RuleContext) == 0 {
		add("", vsText, false)
		add(strings.ToUpper(v.rules[:1])+v.rules[1:]+".", vsMuted, true)
	}
	if v.pushed != "" {
		add("", vsText, false)
		add("Narrowed at the source ("+v.pushed+"): only terms that keep both directions of a conversation were pushed, so the verdict is the one every record would give.", vsMuted, true)
	}
	if len(j.Signals) > 0 {
		add("", vsText, false)
		add("Who started it", vsHeader, false)
		for _, s := range j.Signals {
			mark := "·"
			if s.Decisive {
				mark = "▸"
			}
			add(mark+" "+s.Name+": "+s.Says, vsMuted, true)
		}
	}
}

// verdictHeadline is the first line: the verdict in words.
func verdictHeadline(j pairs.Judgement) string {
	switch j.Verdict {
	case pairs.Accepted:
		return "ACCEPTED: the request and its reply passed"
	case pairs.SGOrNACL:
		return "BLOCKED by a security group or a network ACL: the request"
	case pairs.SG:
		return "BLOCKED by a security group: the request"
	case pairs.NACL:
		if j.Blocked == pairs.BlockedRequest {
			return "BLOCKED by a network ACL: the request"
		}
		return "BLOCKED by a network ACL: the reply"
	case pairs.NoResponse:
		return "NO RESPONSE: the request passed, no reply recorded"
	case pairs.BPA:
		return "BLOCKED by VPC Block Public Access"
	}
	return "UNKNOWN: the records cannot tell which side started it"
}

// Render draws the pane: the screen lines from the offset on, styled.
func (v *verdictPane) Render(s Styles, focused bool) string {
	var lines []string
	if !v.has {
		lines = []string{"", s.Muted.Render("  no record selected")}
	}
	for _, l := range v.screen[min(v.offset, len(v.screen)):] {
		if len(lines) >= v.height-2 {
			break
		}
		lines = append(lines, " "+v.style(s, l.style).Render(l.text))
	}
	title := "Verdict"
	if v.has && v.verdict != "" {
		title += ": " + string(v.verdict)
	}
	if v.has && v.joint != "" {
		title += " · both ends: " + string(v.joint)
	}
	if v.zoomed {
		title += " (zoomed)"
	}
	right := ""
	if len(v.screen) > v.height-2 {
		right = fmt.Sprintf("%d/%d", v.offset+1, len(v.screen))
	}
	return s.box(title, right, lines, v.width, v.height, focused)
}

func (v *verdictPane) style(s Styles, st verdictStyle) lipgloss.Style {
	switch st {
	case vsMuted:
		return s.Muted
	case vsHeader:
		return s.Header
	case vsReject:
		return s.Reject
	case vsAccept:
		return s.Accept
	case vsRule:
		return s.Warn
	case vsVerdict:
		return verdictStyleOf(s, v.verdict)
	case vsJoint:
		return verdictStyleOf(s, v.joint)
	}
	return s.Text
}

// verdictStyleOf colours a verdict: red when a NACL (or BPA) dropped it, amber when a
// security group or NACL did, green when accepted, grey when unknown.
func verdictStyleOf(s Styles, v pairs.Verdict) lipgloss.Style {
	switch v {
	case pairs.NACL, pairs.BPA:
		return s.VerdictNACL
	case pairs.SGOrNACL, pairs.SG:
		return s.VerdictSGOr
	case pairs.Accepted:
		return s.VerdictOK
	case pairs.NoResponse:
		return s.Warn
	}
	return s.VerdictUnknown
}

func endpointLabel(proto uint8, ap netip.AddrPort) string {
	if proto == 1 || proto == 58 {
		return ap.Addr().String()
	}
	label := ap.String()
	if svc, ok := decode.Service(proto, ap.Port()); ok {
		label += " (" + svc + ")"
	}
	return label
}

func humanBytes(n uint64) string { return string(output.HumanBytes(nil, n)) }

// reverseTarget finds the newest record of the other direction of r's conversation.
func reverseTarget(ix *pairs.Index, r *model.Flow, rs *rules.Set) (seq ring.Seq, found bool, note string) {
	p, side := ix.Get(r)
	if p == nil {
		return 0, false, "this record cannot be paired: it has no addresses or protocol"
	}
	other := p.Dir(side.Other())
	j := ix.Judge(p, rs)
	isRequest := j.Initiator == side
	if other == nil || other.Records == 0 {
		switch {
		case isRequest && j.Verdict == pairs.SGOrNACL || isRequest && j.Verdict == pairs.SG:
			return 0, false, "no reply: the request was rejected, so none could come"
		case isRequest:
			return 0, false, "no reply recorded yet (records arrive minutes late; the target may also be silent)"
		case j.Initiator == pairs.SideUnknown:
			return 0, false, "nothing recorded the other way"
		}
		return 0, false, "no request recorded for this reply (it may have scrolled out of the ring)"
	}
	switch {
	case !isRequest:
		note = "the request"
	case other.Action() == "REJECT":
		note = "the reply, rejected"
	case other.Action() == "MIXED":
		note = "the reply, partly rejected"
	default:
		note = "the reply"
	}
	note += fmt.Sprintf(" (%s, %s)", plural(uint64(other.Records), "record"), strings.ToLower(other.Action()))
	return ring.Seq(other.LastSeq()), true, note
}

func plural(n uint64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return thousands(n) + " " + word + "s"
}
