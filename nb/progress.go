package nb

import (
	"bytes"
	"html"
	"io"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"
)

// Progress returns a writer for a progress bar that redraws its line with
// "\r" (run.Options.Progress): the cell shows one line, updated in
// place, and the saved notebook keeps only the last one — not one stored
// output per redraw. Outside a notebook it writes to fallback (nil: nowhere).
func Progress(fallback io.Writer) io.Writer {
	if !gonbui.IsNotebook {
		if fallback == nil {
			return io.Discard
		}
		return fallback
	}
	return &progressLine{id: "ddpm_progress_" + gonbui.UniqueId()}
}

// progressLine shows the last complete-or-partial line written to it.
type progressLine struct {
	mu   sync.Mutex
	id   string
	line []byte // the line being written since the last \r or \n
	last string // the last line shown
}

func (p *progressLine) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			p.line = append(p.line, b...)
			break
		}
		p.line = append(p.line, b[:i]...)
		p.show()
		p.line = p.line[:0]
		b = b[i+1:]
	}
	if len(p.line) > 0 {
		p.show()
	}
	return n, nil
}

// show displays the current line unless it is blank (a bare "\n" ending the
// bar keeps the last line).
func (p *progressLine) show() {
	s := string(bytes.TrimRight(p.line, " "))
	if s == "" || s == p.last {
		return
	}
	p.last = s
	gonbui.UpdateHtml(p.id, "<pre style=\"margin: 0\">"+html.EscapeString(s)+"</pre>")
}
