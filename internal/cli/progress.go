package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// progressLine is a one-line progress bar on stderr, redrawn in place, for a terminal
// only: in a pipe or a log file it would be noise. Lines printed while it is up (notes,
// warnings) clear it first, so they are never mixed with it.
type progressLine struct {
	w     io.Writer
	on    bool // stderr is a terminal and the bar is wanted
	mu    sync.Mutex
	shown bool
}

// progressEvery is how often the bar is redrawn: often enough to look alive, rarely
// enough to cost nothing.
const progressEvery = 200 * time.Millisecond

func newProgressLine(w io.Writer, on bool) *progressLine {
	return &progressLine{w: w, on: on && w != nil}
}

// run redraws the bar with text() until the returned function is called, which clears
// it.
func (p *progressLine) run(text func() string) (stop func()) {
	if !p.on {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	p.draw(text())
	go func() {
		defer close(finished)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.draw(text())
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		p.clear()
	}
}

// draw writes the bar over the last one, cut to the terminal's usual width so that it
// never wraps onto a second line.
func (p *progressLine) draw(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r"+ansi.Truncate(text, 119, "…")+"\x1b[K")
	p.shown = true
}

func (p *progressLine) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// println writes a line of its own; the bar is drawn again at its next tick.
func (p *progressLine) println(line string) {
	if p.w == nil {
		return
	}
	p.clear()
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, line)
}
