package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// palette holds the semantic colour tokens. Panes ask for "reject" or "muted", never for
// a colour, so the light and dark themes are one decision each, made here.
type palette struct {
	text, muted, faint       color.Color
	border, borderFocus      color.Color
	accent                   color.Color
	accept, reject, warn     color.Color
	unknown                  color.Color
	selBg, selFg             color.Color
	barBg                    color.Color
	invalid, valid           color.Color
	verdictNACL, verdictSGOr color.Color
}

func newPalette(dark bool) palette {
	ld := lipgloss.LightDark(dark)
	c := lipgloss.Color
	return palette{
		text:        ld(c("235"), c("252")),
		muted:       ld(c("243"), c("245")),
		faint:       ld(c("250"), c("238")),
		border:      ld(c("250"), c("240")),
		borderFocus: ld(c("25"), c("75")),
		accent:      ld(c("25"), c("75")),
		accept:      ld(c("28"), c("78")),
		reject:      ld(c("160"), c("203")),
		warn:        ld(c("130"), c("214")),
		unknown:     ld(c("244"), c("246")),
		selBg:       ld(c("153"), c("24")),
		selFg:       ld(c("16"), c("231")),
		barBg:       ld(c("254"), c("236")),
		invalid:     ld(c("160"), c("203")),
		valid:       ld(c("28"), c("78")),
		verdictNACL: ld(c("160"), c("203")),
		verdictSGOr: ld(c("130"), c("214")),
	}
}

// selMark marks the selected row in its own column, so that the selection shows in a
// monochrome capture, where reverse video is lost.
const selMark = "▶"

// Styles is every style the explorer draws with, built once per theme.
type Styles struct {
	dark    bool
	noColor bool
	p       palette

	Text, Muted, Faint lipgloss.Style
	Title, TitleFocus  lipgloss.Style
	Border, BorderFoc  lipgloss.Style
	Header             lipgloss.Style
	Selected           lipgloss.Style
	SelectedReject     lipgloss.Style // REJECT in the selected row: still red, still bold
	Reject, Accept     lipgloss.Style
	Warn, Unknown      lipgloss.Style
	Key, KeyHelp       lipgloss.Style
	Bar, BarKey        lipgloss.Style
	Valid, Invalid     lipgloss.Style
	Scroll, ScrollBar  lipgloss.Style
	Label, Value       lipgloss.Style
	VerdictNACL        lipgloss.Style
	VerdictSGOr        lipgloss.Style
	VerdictOK          lipgloss.Style
	VerdictUnknown     lipgloss.Style
}

// NewStyles builds the styles for a dark or light background. With noColor (NO_COLOR set)
// the explorer still marks what matters, by attributes instead of colours: reverse video
// for the selection, bold for REJECT (in the selected row too). Some marks are glyphs,
// which survive even a capture without attributes: selMark before the selected row, a
// heavy border around the focused pane (box).
func NewStyles(dark, noColor bool) Styles {
	p := newPalette(dark)
	s := lipgloss.NewStyle
	st := Styles{dark: dark, noColor: noColor, p: p}
	st.Text = s().Foreground(p.text)
	st.Muted = s().Foreground(p.muted)
	st.Faint = s().Foreground(p.faint)
	st.Title = s().Foreground(p.muted).Bold(true)
	st.TitleFocus = s().Foreground(p.borderFocus).Bold(true)
	st.Border = s().Foreground(p.border)
	st.BorderFoc = s().Foreground(p.borderFocus)
	st.Header = s().Foreground(p.muted).Bold(true)
	st.Selected = s().Background(p.selBg).Foreground(p.selFg)
	st.Reject = s().Foreground(p.reject).Bold(true)
	st.SelectedReject = st.Selected.Foreground(p.reject).Bold(true)
	st.Accept = s().Foreground(p.accept)
	st.Warn = s().Foreground(p.warn).Bold(true)
	st.Unknown = s().Foreground(p.unknown)
	st.Key = s().Foreground(p.accent).Bold(true)
	st.KeyHelp = s().Foreground(p.muted)
	st.Bar = s().Foreground(p.text)
	st.BarKey = s().Foreground(p.accent).Bold(true)
	st.Valid = s().Foreground(p.valid)
	st.Invalid = s().Foreground(p.invalid).Bold(true)
	st.Scroll = s().Foreground(p.faint)
	st.ScrollBar = s().Foreground(p.muted)
	st.Label = s().Foreground(p.muted)
	st.Value = s().Foreground(p.text)
	st.VerdictNACL = s().Foreground(p.verdictNACL).Bold(true)
	st.VerdictSGOr = s().Foreground(p.verdictSGOr).Bold(true)
	st.VerdictOK = s().Foreground(p.accept).Bold(true)
	st.VerdictUnknown = s().Foreground(p.unknown).Bold(true)
	if noColor {
		st.Selected = s().Reverse(true)
		st.SelectedReject = s().Reverse(true).Bold(true)
		st.Reject = s().Bold(true)
		st.TitleFocus = s().Bold(true).Underline(true)
		st.Invalid = s().Bold(true)
		st.VerdictNACL = s().Bold(true).Reverse(true)
		st.VerdictSGOr = s().Bold(true).Underline(true)
		st.VerdictOK = s().Bold(true)
	}
	return st
}
