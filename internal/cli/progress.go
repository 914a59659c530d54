package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressBar reports import progress: a bar redrawn in place on a
// terminal, plain lines every 10 % otherwise (logs, CI).
type progressBar struct {
	w        io.Writer
	label    string
	terminal bool
	lastPct  int
	lastDraw time.Time
}

func newProgress(w io.Writer, label string) *progressBar {
	p := &progressBar{w: w, label: label, lastPct: -1}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

// update is the catalog.Progress callback.
func (p *progressBar) update(done, total int) {
	if total <= 0 {
		return
	}
	pct := done * 100 / total
	if p.terminal {
		if done < total && time.Since(p.lastDraw) < 50*time.Millisecond {
			return
		}
		p.lastDraw = time.Now()
		const width = 30
		n := pct * width / 100
		fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%d", p.label, strings.Repeat("#", n), strings.Repeat(" ", width-n), pct, done, total)
		if done == total {
			fmt.Fprintln(p.w)
		}
		return
	}
	if step := pct / 10 * 10; step > p.lastPct {
		p.lastPct = step
		fmt.Fprintf(p.w, "%s: %d%% (%d/%d)\n", p.label, step, done, total)
	}
}
