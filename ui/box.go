package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// box draws a bordered pane of outer size w x h with a title in the top border. The
// content lines are cut or padded to the inner width by display cells (x/ansi), never
// by bytes, and missing lines are blank. Drawing the border by hand keeps titles in it
// and costs a few string joins per frame. The focused pane's border is heavy (┏━┓), not
// only coloured, and its title starts with focusMark, so that the focus shows without
// colour (NO_COLOR, a monochrome capture, a colour-blind reader) and even in a capture
// of plain characters where box-drawing glyphs all look alike.
func (s Styles) box(title, right string, lines []string, w, h int, focused bool) string {
	if w < 4 || h < 2 {
		return ""
	}
	border, titleStyle := s.Border, s.Title
	g := lightBorder
	if focused {
		border, titleStyle, g = s.BorderFoc, s.TitleFocus, heavyBorder
		if title != "" {
			title = focusMark + title
		}
	}
	inner := w - 2
	var b strings.Builder
	b.Grow(w * h * 2)

	// top: ┌ Title ───── right ┐
	b.WriteString(border.Render(g.topLeft))
	used := 0
	if title != "" {
		t := ansi.Truncate(" "+title+" ", inner, "…")
		b.WriteString(titleStyle.Render(t))
		used = ansi.StringWidth(t)
	}
	rightW := 0
	if right != "" && used+ansi.StringWidth(right)+3 <= inner {
		rightW = ansi.StringWidth(right) + 2
	}
	b.WriteString(border.Render(strings.Repeat(g.horizontal, max(0, inner-used-rightW))))
	if rightW > 0 {
		b.WriteString(" " + s.Muted.Render(right) + " ")
	}
	b.WriteString(border.Render(g.topRight))
	b.WriteByte('\n')

	side := border.Render(g.vertical)
	for i := 0; i < h-2; i++ {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		b.WriteString(side)
		b.WriteString(fit(line, inner))
		b.WriteString(side)
		b.WriteByte('\n')
	}
	b.WriteString(border.Render(g.bottomLeft + strings.Repeat(g.horizontal, inner) + g.bottomRight))
	return b.String()
}

// focusMark starts the focused pane's title.
const focusMark = "» "

// borderGlyphs are the characters of a box's border.
type borderGlyphs struct {
	topLeft, topRight, bottomLeft, bottomRight, horizontal, vertical string
}

var (
	lightBorder = borderGlyphs{"┌", "┐", "└", "┘", "─", "│"}
	heavyBorder = borderGlyphs{"┏", "┓", "┗", "┛", "━", "┃"}
)

// fit cuts or pads a (possibly styled) line to exactly w cells.
func fit(line string, w int) string {
	n := ansi.StringWidth(line)
	switch {
	case n > w:
		return ansi.Truncate(line, w, "…")
	case n < w:
		return line + strings.Repeat(" ", w-n)
	}
	return line
}

// padRight pads plain text to w cells, cutting it if longer.
func padRight(s string, w int) string {
	n := ansi.StringWidth(s)
	if n >= w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}

// padLeft right-aligns plain text in w cells.
func padLeft(s string, w int) string {
	n := ansi.StringWidth(s)
	if n >= w {
		return ansi.Truncate(s, w, "…")
	}
	return strings.Repeat(" ", w-n) + s
}

// joinColumns puts two blocks of lines side by side.
func joinColumns(left, right string) string {
	l := strings.Split(left, "\n")
	r := strings.Split(right, "\n")
	n := max(len(l), len(r))
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(l) {
			b.WriteString(l[i])
		}
		if i < len(r) {
			b.WriteString(r[i])
		}
	}
	return b.String()
}
