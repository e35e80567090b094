package ui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/flowlens/flowlens/keymap"
	"github.com/flowlens/flowlens/model/rules"
)

// Rules change during an incident: a security group fixed, a rule added. The reload key
// reads the --rules files again and fetches --live-rules again, off the update loop. The
// verdict pane says when the rules in use came in, and a record older than them (its
// newest record ended before) whose verdict the previous rules gave otherwise shows
// both: the new rules judge what the records would meet now, not what they met.

// rulesReloadedMsg carries the rules read and fetched again.
type rulesReloadedMsg struct {
	files *rules.Set // nil: no files to read
	live  *rules.Set // nil: not fetched
	count int        // interfaces the live rules were fetched for
	taken rulesTaken // what the explorer takes in, built in the command
	err   error
}

// setRules makes rs the rules in use. A reload (R) keeps the ones before, for the
// records older than these: the same rules, perhaps changed since. The fetches as new
// interfaces appear only add the rules of interfaces that had none, so what the rules
// before said of an older record is no verdict to set beside.
func (m *Model) setRules(rs *rules.Set, how string, reload bool) {
	if reload && m.rules != nil && m.rules != rs {
		m.prevRules, m.reloadedAt = m.rules, m.now()
	}
	m.rules, m.rulesAt, m.rulesHow = rs, m.now(), how
}

// verdictRules tells the verdict pane about the rules in use.
func (m *Model) verdictRules() {
	v := &m.verdict
	v.rules, v.reloaded, v.reloadedAt, v.prev = "", "", 0, m.prevRules
	if m.rules == nil || m.rulesAt.IsZero() {
		return
	}
	v.rules = "rules " + m.rulesHow + " " + m.clockOf(m.rulesAt)
	if m.prevRules != nil && m.reloadedAt.Unix() > 0 {
		v.reloaded, v.reloadedAt = m.clockOf(m.reloadedAt), uint32(m.reloadedAt.Unix())
	}
}

// clockOf is t's time of day in the zone shown.
func (m *Model) clockOf(t time.Time) string {
	return t.In(shownZone(m.local)).Format("15:04:05")
}

// reloadRules starts a reload: the files read again and the live rules fetched again
// for every interface seen, in a command.
func (m *Model) reloadRules() tea.Cmd {
	reload, fetch := m.opts.ReloadRules, m.opts.FetchRules
	switch {
	case reload == nil && fetch == nil:
		m.notify("no rules to reload: start with --rules FILE or --live-rules", true, 8*time.Second)
		return nil
	case m.reloading:
		m.notify("the rules are being reloaded", false, 5*time.Second)
		return nil
	}
	m.reloading = true
	m.rulesGen++
	ids := make([]string, 0, len(m.interfaces))
	for ifc := range m.interfaces {
		ids = append(ids, ifc.String())
	}
	m.notify("reloading the rules… ("+m.keys.Short(keymap.ReloadRules)+")", false, time.Minute)
	files, take := m.fileRules, m.takeRules()
	return func() tea.Msg {
		var msg rulesReloadedMsg
		if reload != nil {
			if msg.files, msg.err = reload(); msg.err != nil {
				return msg
			}
			files = msg.files
		}
		if fetch != nil && len(ids) > 0 {
			if msg.live, msg.err = fetch(ids); msg.err != nil {
				return msg
			}
			msg.count = len(ids)
		}
		msg.taken = take(files, msg.live, nil)
		return msg
	}
}

func (m *Model) handleRulesReloaded(msg rulesReloadedMsg) {
	m.reloading = false
	if msg.err != nil {
		m.log.Warn("reload rules", "err", msg.err)
		m.notify("reloading the rules failed, the previous ones stay: "+msg.err.Error(), true, 15*time.Second)
		return
	}
	// Only now, the whole reload having succeeded, do its rules and names count: a
	// reload that failed leaves them as they were.
	if msg.files != nil {
		m.fileRules = msg.files
	}
	how := "read"
	if msg.live != nil {
		m.fetchedFor, how = msg.count, "fetched"
	}
	m.useRules(msg.taken, how, true)
	merged := msg.taken.set
	m.notify(fmt.Sprintf("rules reloaded: %s, %s", plural(uint64(len(merged.SecurityGroups())), "security group"), plural(uint64(len(merged.NetworkACLs())), "network ACL")), false, 8*time.Second)
}

// zoomed reports whether the verdict pane is over the screen: zoomed, and not in the
// stats view, which has no verdict pane.
func (m *Model) zoomed() bool { return m.verdictZoom && m.mode != modeStats }

// zoomVerdict puts the verdict pane over the whole screen, or back in its place.
func (m *Model) zoomVerdict(on bool) {
	m.verdictZoom = on
	m.verdict.zoomed = on
	if m.width > 0 && !m.lay.tooSmall {
		m.resize(m.width, m.height)
	}
}
