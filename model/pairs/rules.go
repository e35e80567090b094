package pairs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flowlens/flowlens/model/rules"
)

// outcome is how the loaded rules bear on the records' verdict.
type outcome uint8

const (
	rulesConfirm   outcome = iota // the rules drop what the records show dropped: the layer and rule are named
	rulesEliminate                // one layer surely allows it, the other's answer is unknown: that one dropped it
	rulesDisagree                 // the rules allow what was rejected, or drop what passed
	rulesUnknown                  // the rules cannot say (something is not loaded)
	rulesAgree                    // the rules let through what passed
	rulesSkipped                  // not evaluated: the direction is unknown
)

// ruling is what the rules said about a pair.
type ruling struct {
	outcome outcome
	leg     rules.Leg // the leg that matters: the request, or the reply when it was rejected
	// replyWouldDrop: for a request without a reply, the rules would drop a reply here.
	replyWouldDrop *rules.Leg
}

// narrow evaluates the rules on the conversation and narrows the records' verdict: a
// rejected request to the layer (sg or nacl) and the rule that dropped it, a rejected
// reply to its network-ACL rule. It never overrides what the records show: when the
// rules disagree it says so, and when they cannot tell it keeps the records' verdict.
func narrow(p *Pair, j *Judgement, rs *rules.Set, dir direction, full bool) *ruling {
	switch j.Verdict {
	case BPA, Unknown:
		return nil
	}
	if j.Initiator == SideUnknown {
		if j.Verdict == Accepted {
			return nil
		}
		return &ruling{outcome: rulesSkipped}
	}
	conv := rules.Conversation{
		Interface: p.Key.Interface.String(),
		Subnet:    p.subnet().String(),
		Protocol:  p.Key.Protocol,
		Initiator: j.InitiatorAP,
		Responder: j.ResponderAP,
	}
	switch {
	case dir.local == SideUnknown:
	case dir.local == j.Initiator:
		conv.Side = rules.InitiatorSide
	default:
		conv.Side = rules.ResponderSide
	}
	a := rs.Evaluate(conv)
	if j.RequestInbound == nil && a.Conversation.Side != rules.SideUnknown {
		j.RequestInbound = boolPtr(a.Conversation.Side == rules.ResponderSide)
	}

	r := &ruling{}
	switch j.Verdict {
	case SGOrNACL:
		r.leg = a.Request
		switch a.Request.Decision {
		case rules.Denied:
			r.outcome = rulesConfirm
			j.Verdict, j.Rule = Verdict(a.Request.Layer.String()), a.Request.Rule
		case rules.Allowed:
			r.outcome = rulesDisagree
			j.RulesDisagree = true
		default:
			r.outcome = rulesUnknown
			if l := a.Request.Layer; l == rules.LayerSG || l == rules.LayerNACL {
				r.outcome = rulesEliminate
				j.Verdict = Verdict(l.String())
			}
		}
	case NACL:
		r.leg = a.Reply
		switch a.Reply.Decision {
		case rules.Denied:
			r.outcome = rulesConfirm
			j.Verdict, j.Rule = Verdict(a.Reply.Layer.String()), a.Reply.Rule
		case rules.Allowed:
			r.outcome = rulesDisagree
			j.RulesDisagree = true
		default:
			r.outcome = rulesUnknown
		}
	case Accepted, NoResponse:
		r.leg, r.outcome = a.Request, rulesAgree
		switch {
		case a.Request.Decision == rules.Denied:
			r.outcome = rulesDisagree
			j.RulesDisagree = true
		case j.Verdict == Accepted && a.Reply.Decision == rules.Denied:
			r.leg, r.outcome = a.Reply, rulesDisagree
			j.RulesDisagree = true
		case j.Verdict == NoResponse && a.Reply.Decision == rules.Denied:
			reply := a.Reply
			r.replyWouldDrop = &reply
		}
	}
	if !full {
		return r
	}
	j.RuleContext = ruleContext(rs, p.Key.Interface.String(), r.leg)
	if r.replyWouldDrop != nil {
		j.RuleContext = append(j.RuleContext, ruleContext(rs, p.Key.Interface.String(), *r.replyWouldDrop)...)
	}
	return r
}

// maxContextRules bounds the rules listed for the groups checked: a pane has a few lines.
const maxContextRules = 12

// ruleContext lists, for display, the network ACL entries around the deciding one and
// the security-group rules that were checked, the deciding ones marked with ">".
func ruleContext(rs *rules.Set, eni string, leg rules.Leg) []string {
	var lines []string
	if n := leg.NACL; !leg.NACLSkipped && n.ACL != "" {
		entries, at := n.Neighbours(2)
		if len(entries) > 0 {
			lines = append(lines, fmt.Sprintf("%s %s rules (%s), in order:", n.ACL, aclWord(leg.Direction), n.Subnet))
			for i, e := range entries {
				mark := "  "
				if i == at {
					mark = "> "
				}
				lines = append(lines, mark+e.String())
			}
		}
	} else if leg.NACLSkipped {
		lines = append(lines, "network ACL: not applied (both ends are in the subnet)")
	}
	if leg.SGByTracking {
		lines = append(lines, "security groups: the reply passes by connection tracking")
		return lines
	}
	sg := leg.SG
	if len(sg.Groups) == 0 {
		if sg.Rule != "" {
			lines = append(lines, "security groups: "+sg.Rule)
		}
		return lines
	}
	lines = append(lines, fmt.Sprintf("security groups of %s, %s rules:", eni, leg.Direction))
	shown := 0
	for _, id := range sg.Groups {
		g, ok := rs.SecurityGroup(id)
		if !ok {
			lines = append(lines, "  "+id+": not loaded")
			continue
		}
		list := g.Inbound
		if leg.Direction == rules.Outbound {
			list = g.Outbound
		}
		if len(list) == 0 {
			lines = append(lines, fmt.Sprintf("  %s: no %s rules", groupName(g), leg.Direction))
			continue
		}
		for _, r := range list {
			if shown == maxContextRules {
				lines = append(lines, "  ...")
				return lines
			}
			mark := "  "
			if slices.Contains(sg.Allowing, r) {
				mark = "> "
			}
			lines = append(lines, mark+r.String())
			shown++
		}
	}
	return lines
}

func groupName(g *rules.SecurityGroup) string {
	if g.Name != "" {
		return g.ID + " (" + g.Name + ")"
	}
	return g.ID
}

func aclWord(d rules.Direction) string {
	if d == rules.Outbound {
		return "egress"
	}
	return "ingress"
}

// clause lowers the first letter of a sentence and drops its full stop, to embed it;
// the "Unknown: " that model/rules starts an undecided explanation with goes too, as the
// sentence around it says so already.
func clause(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	s = strings.ToLower(s[:1]) + s[1:]
	return strings.TrimPrefix(s, "unknown: ")
}
