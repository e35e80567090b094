package ui

import (
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/decode"
	"github.com/flowlens/flowlens/model/pairs"
	"github.com/flowlens/flowlens/model/ring"
)

// The ticket: a Markdown summary of the selected record's verdict, for an incident
// ticket or a handover: the conversation (both ends, named), the verdict sentence (the
// joint verdict when the other end of the connection is in the data), the deciding
// rule, the fix, the records behind it with ISO-8601 times, and the command that opens
// the same records again. It is written to a file and copied with OSC 52.
//
// The verdict is taken when the user asks for the ticket; the records behind it are
// then found by reading the ring in bounded steps (a job, work.go: a conversation's
// records are anywhere among a million), and the file is written off the loop.

// ticketJob is a ticket under way: its text without the records, and the records
// found so far.
type ticketJob struct {
	to      exportTarget
	keys    [2]pairs.Key // the conversation on this interface, and on its peer's (if linked)
	nkeys   int
	head    ticketHead
	next    ring.Seq // the next record to read
	end     ring.Seq // the ring's Next when the ticket was asked for
	scanned int
	total   int
	found   int          // records of the conversation seen
	recs    []model.Flow // the newest of them, at most ticketRecords (see keep)
}

// ticketRecords is the most records a ticket lists: the newest; the count says how
// many there were.
const ticketRecords = 50

// ticketHead is what the ticket says before its records.
type ticketHead struct {
	title        string
	conversation []string // Markdown list items
	verdict      string   // the sentence
	ownVerdict   string   // this interface's own verdict and sentence, when the joint one differs
	rule         string
	ruleContext  []string
	fix          string
	again        string // the command to see it again
}

// ticketWrittenMsg says where a ticket was written.
type ticketWrittenMsg struct {
	path string
	err  error
}

// startTicket takes the verdict of the selected record's conversation and starts
// finding its records.
func (m *Model) startTicket(to exportTarget) {
	r, _ := m.selectedRecord()
	if r == nil {
		m.notify("no ticket: no record is selected", true, 5*time.Second)
		return
	}
	p, _ := m.pairs.Get(r)
	if p == nil {
		m.notify("no ticket: the selected record belongs to no conversation (no addresses or protocol)", true, 8*time.Second)
		return
	}
	j := m.ticketing
	if j != nil {
		m.notify("the ticket under way was replaced", false, 5*time.Second)
	}
	j = &ticketJob{to: to, next: m.ring.First(), end: m.ring.Next(), total: m.ring.Len()}
	j.keys[0], j.nkeys = p.Key, 1
	link := m.pairs.Link(p, m.rules, m.pairNamer())
	if link.Peer != nil {
		j.keys[1], j.nkeys = link.Peer.Key, 2
	}
	j.head = m.ticketHead(p, m.pairs.Judge(p, m.rules), link)
	m.ticketing = j
	m.ticketStep(time.Now().Add(stepTime))
}

// ticketStep reads a step's worth of the ring for the ticket's records; once all are
// read, the ticket is written off the loop and copied to the clipboard.
func (m *Model) ticketStep(deadline time.Time) {
	j := m.ticketing
	if j == nil {
		return
	}
	if first := m.ring.First(); j.next < first {
		j.scanned += int(first - j.next) // dropped meanwhile: no longer readable
		j.next = first
	}
	n := 0
	for ; n < m.budget.records && j.next < j.end; n, j.next = n+1, j.next+1 {
		if n%stepChunk == stepChunk-1 && time.Now().After(deadline) {
			break
		}
		r := m.ring.At(j.next)
		if r == nil {
			continue
		}
		k, _, ok := pairs.KeyOf(r)
		if !ok || (k != j.keys[0] && (j.nkeys < 2 || k != j.keys[1])) {
			continue
		}
		j.found++
		j.recs = append(j.recs, *r)
		if len(j.recs) >= 2*ticketRecords {
			j.recs = append(j.recs[:0], j.recs[len(j.recs)-ticketRecords:]...)
		}
	}
	j.scanned += n
	m.work.records += n
	if j.next < j.end {
		return
	}
	m.ticketing = nil
	if len(j.recs) > ticketRecords {
		j.recs = j.recs[len(j.recs)-ticketRecords:]
	}
	text := ticketMarkdown(&j.head, j.recs, j.found, m.opts.Names, m.now())
	to := j.to
	write := func() tea.Msg {
		path, err := writeTo(to.path, to.name, func(w io.Writer) error {
			_, err := io.WriteString(w, text)
			return err
		})
		return ticketWrittenMsg{path: path, err: err}
	}
	m.cmds = append(m.cmds, write, tea.SetClipboard(text))
}

func (m *Model) handleTicketWritten(msg ticketWrittenMsg) {
	if msg.err != nil {
		m.log.Error("ticket", "path", msg.path, "err", msg.err)
		m.notify("writing the ticket failed: "+msg.err.Error(), true, 10*time.Second)
		return
	}
	abs, err := filepath.Abs(msg.path)
	if err != nil {
		abs = msg.path
	}
	m.log.Info("ticket", "path", abs)
	m.notify("ticket written to "+abs+" and copied (OSC 52)", false, messageLife)
}

// ticketHead writes what the ticket says of the conversation p (judged j, linked to
// its other end by link).
func (m *Model) ticketHead(p *pairs.Pair, j pairs.Judgement, link pairs.Link) ticketHead {
	var h ticketHead
	names := m.opts.Names
	proto := decode.ProtocolLabel(p.Key.Protocol)
	ini, resp := j.InitiatorAP, j.ResponderAP
	iniWord, respWord := "Initiator", "Responder"
	if j.Initiator == pairs.SideUnknown {
		iniWord, respWord = "One end", "Other end"
	}
	h.title = fmt.Sprintf("%s %s → %s: %s", proto, ticketEnd(p.Key.Protocol, ini, names), ticketEnd(p.Key.Protocol, resp, names), verdictHeadline(j))
	item := func(format string, a ...any) { h.conversation = append(h.conversation, fmt.Sprintf(format, a...)) }
	item("%s: `%s`%s", iniWord, endpointLabel(p.Key.Protocol, ini), named(addrName(names, ini.Addr())))
	item("%s: `%s`%s", respWord, endpointLabel(p.Key.Protocol, resp), named(addrName(names, resp.Addr())))
	item("Protocol: %s (%d)", proto, p.Key.Protocol)
	ifc := p.Key.Interface.String()
	item("Interface: `%s`%s, its own verdict `%s`", ifc, named(ifaceName(names, ifc)), j.Verdict)
	verdict, sentence := j.Verdict, j.Explanation
	rule := j.Rule
	if link.Peer != nil {
		peer := link.Peer.Key.Interface.String()
		how := "linked by the interfaces' addresses in the rules"
		if link.Joint.Inferred {
			how = "linked by the tuple and the times alone (inferred)"
		}
		item("Other end: `%s`%s, its own verdict `%s` (%s)", peer, named(ifaceName(names, peer)), link.PeerVerdict, how)
		verdict, sentence = link.Joint.Verdict, link.Joint.Explanation
		if link.Joint.Rule != "" {
			rule = link.Joint.Rule
		}
		if link.Joint.Verdict != j.Verdict || link.Joint.Explanation != j.Explanation {
			h.ownVerdict = fmt.Sprintf("`%s` on `%s` alone: %s", j.Verdict, ifc, mdEscape(j.Explanation))
		}
	} else {
		item("Other end: not in these records (only this interface logged the conversation)")
	}
	if d := j.Request; d != nil && d.Records > 0 {
		item("Request: %s, %s, %s, %s to %s", counted(int(d.Records), "record", "records"), counted(d.Packets, "packet", "packets"), humanBytes(d.Bytes), isoTime(d.First, true), isoTime(d.Last, true))
	}
	if d := j.Response; d != nil && d.Records > 0 {
		item("Reply: %s, %s, %s, %s to %s", counted(int(d.Records), "record", "records"), counted(d.Packets, "packet", "packets"), humanBytes(d.Bytes), isoTime(d.First, true), isoTime(d.Last, true))
	}
	// The explanations quote names from tags, which anyone with the right to tag sets:
	// escaped for Markdown as named() escapes the ones the ticket writes itself.
	what, fix := splitFix(sentence)
	what, fix = mdEscape(what), mdEscape(fix)
	h.verdict = fmt.Sprintf("**%s**: %s", verdict, what)
	h.rule, h.ruleContext = rule, j.RuleContext
	switch {
	case fix != "":
		h.fix = fix
	case verdict == pairs.Accepted:
		h.fix = "Nothing to fix: the connection passed."
	case rule == "" && m.rules == nil:
		h.fix = "The deciding rule cannot be named without the rules: run again with --rules (describe-security-groups, describe-network-acls, describe-network-interfaces JSON) or --live-rules."
	default:
		h.fix = "No rule change follows from the records alone; see the verdict."
	}
	h.again = m.seeAgain(p.Key)
	return h
}

// splitFix cuts a verdict sentence before its advice: the explanations end with "; if
// it should pass, ..." or "; add ..." when the rules name what to change.
func splitFix(sentence string) (what, fix string) {
	for _, sep := range []string{"; if it should pass, ", "; add "} {
		if i := strings.Index(sentence, sep); i >= 0 {
			fix := strings.TrimPrefix(sep, "; ") + sentence[i+len(sep):]
			return sentence[:i] + ".", strings.ToUpper(fix[:1]) + fix[1:]
		}
	}
	return sentence, ""
}

// seeAgain is the command that opens the conversation again: the way the explorer was
// started (Options.Command), with a filter for both directions of the conversation on
// every interface.
func (m *Model) seeAgain(k pairs.Key) string {
	a, b := k.A(), k.B()
	terms := []string{"proto=" + decode.ProtocolLabel(k.Protocol), "addr=" + a.Addr().String()}
	if b.Addr() != a.Addr() {
		terms = append(terms, "addr="+b.Addr().String())
	}
	if hasPorts(k.Protocol) {
		terms = append(terms, fmt.Sprintf("port=%d", a.Port()))
		if b.Port() != a.Port() {
			terms = append(terms, fmt.Sprintf("port=%d", b.Port()))
		}
	}
	cmd := m.opts.Command
	if cmd != "" && m.opts.CommandOpen {
		cmd += " --until " + m.now().UTC().Format(time.RFC3339)
	}
	if cmd == "" {
		cmd = "flowlens"
		if m.src.Source != "" {
			cmd += " " + shellQuote(m.src.Source)
		}
	}
	return cmd + " --filter " + shellQuote(strings.Join(terms, " "))
}

func hasPorts(proto uint8) bool { return proto == 6 || proto == 17 || proto == 132 }

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Names are tags anyone with the right to tag could set: escaped for Markdown.
func named(name string) string {
	if name == "" {
		return ""
	}
	return " (" + mdEscape(name) + ")"
}

// ticketEnd is an endpoint in the title: the name when known, else the address.
func ticketEnd(proto uint8, ap netip.AddrPort, names Names) string {
	label := endpointLabel(proto, ap)
	if name := addrName(names, ap.Addr()); name != "" {
		return label + " (" + name + ")"
	}
	return label
}

// ticketMarkdown writes the ticket: head, then the records (the newest ticketRecords of
// found), then the command.
func ticketMarkdown(h *ticketHead, recs []model.Flow, found int, names Names, now time.Time) string {
	var b strings.Builder
	md := mdEscape
	fmt.Fprintf(&b, "# %s\n\n", md(h.title))
	b.WriteString("## Conversation\n\n")
	for _, it := range h.conversation {
		b.WriteString("- " + it + "\n")
	}
	b.WriteString("\n## Verdict\n\n" + h.verdict + "\n")
	if h.ownVerdict != "" {
		b.WriteString("\n" + h.ownVerdict + "\n")
	}
	b.WriteString("\n## Deciding rule\n\n")
	if h.rule == "" {
		b.WriteString("None named (no rule rejected it, or the rules were not loaded).\n")
	} else {
		b.WriteString("`" + strings.ReplaceAll(h.rule, "`", "'") + "`\n")
		if len(h.ruleContext) > 0 {
			// The rules quote group descriptions, which may hold a fence of their own:
			// the block's fence is longer than any run of backticks inside it.
			text := strings.Join(h.ruleContext, "\n")
			fence := "```"
			for strings.Contains(text, fence) {
				fence += "`"
			}
			b.WriteString("\n" + fence + "\n" + text + "\n" + fence + "\n")
		}
	}
	b.WriteString("\n## Fix\n\n" + h.fix + "\n")
	fmt.Fprintf(&b, "\n## Records\n\n")
	switch {
	case found == 0:
		b.WriteString("None held any more: the ring dropped them.\n")
	case found > len(recs):
		fmt.Fprintf(&b, "The newest %s of %s, times in UTC (ISO 8601):\n\n", thousands(len(recs)), counted(found, "record", "records"))
	default:
		fmt.Fprintf(&b, "%s, times in UTC (ISO 8601):\n\n", counted(found, "record", "records"))
	}
	if len(recs) > 0 {
		b.WriteString("| start | end | interface | source | destination | protocol | action | packets | bytes |\n")
		b.WriteString("|---|---|---|---|---|---|---|--:|--:|\n")
		for i := range recs {
			r := &recs[i]
			ifc := sym(r, model.FInterfaceID)
			if name := ifaceName(names, ifc); name != "" {
				ifc += " (" + name + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				isoTime(r.Start, r.Has(model.FStart)), isoTime(r.End, r.Has(model.FEnd)), md(ifc),
				md(ticketAddr(r, model.FSrcAddr, model.FSrcPort, names)), md(ticketAddr(r, model.FDstAddr, model.FDstPort, names)),
				protoLabel(r), r.Action.String(), number(r, model.FPackets), number(r, model.FBytes))
		}
	}
	b.WriteString("\n## See it again\n\n```sh\n" + h.again + "\n```\n")
	fmt.Fprintf(&b, "\nWritten by flowlens at %s.\n", now.UTC().Format(time.RFC3339))
	return b.String()
}

func ticketAddr(r *model.Flow, a, p model.Field, names Names) string {
	s := endpoint(r, a, p)
	if ad, ok := r.Addr(a); ok {
		if name := addrName(names, ad); name != "" {
			s += " (" + name + ")"
		}
	}
	return s
}

// mdEscape keeps text from the records (names are tags anyone could set) from
// breaking the Markdown: table cells and emphasis.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "'", "\n", " ").Replace(s)
}
