package run

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress is a one-line progress bar: step, loss (mean of the last 100),
// steps/s and ETA. The rate is measured from the end of the first step of
// the call, which includes compiling the step (the first ETA of an MNIST
// run used to read 53 h).
type progress struct {
	w          io.Writer
	first, end int64 // first: the step after which the rate is measured
	t0, last   time.Time
	recent     []float64
}

func newProgress(w io.Writer, start, end int64) *progress {
	return &progress{w: w, first: -1, end: end}
}

func (p *progress) update(step int64, loss float64) {
	if p.w == nil {
		return
	}
	p.recent = append(p.recent, loss)
	if len(p.recent) > 100 {
		p.recent = p.recent[1:]
	}
	now := time.Now()
	if p.first < 0 {
		p.first, p.t0 = step, now
	}
	if now.Sub(p.last) < 500*time.Millisecond && step != p.end {
		return
	}
	p.last = now
	mean := 0.0
	for _, l := range p.recent {
		mean += l / float64(len(p.recent))
	}
	frac := float64(step) / float64(p.end)
	const width = 24
	filled := min(max(int(frac*width), 0), width)
	speed := "compiled"
	if n, dt := step-p.first, now.Sub(p.t0).Seconds(); n > 0 && dt > 0 {
		rate := float64(n) / dt
		eta := time.Duration(float64(p.end-step) / rate * float64(time.Second))
		speed = fmt.Sprintf("%.1f steps/s  ETA %s", rate, eta.Round(time.Second))
	}
	fmt.Fprintf(p.w, "\rstep %d/%d [%s%s] loss %.4f  %s   ", step, p.end,
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), mean, speed)
}

// done ends the bar's line (once), so that what follows starts a new line.
func (p *progress) done() {
	if p.w != nil && p.last != (time.Time{}) {
		fmt.Fprintln(p.w)
		p.last = time.Time{}
	}
}
