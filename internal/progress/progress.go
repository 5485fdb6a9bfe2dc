// Package progress is the one progress line of the project: a line redrawn
// in place with "\r" (training steps, sampled examples), throttled, with the
// rate and the time left measured after the first update, so that the time
// the first unit takes (compiling a graph) does not count in the estimate
// (the first estimate of an MNIST run once read 53 h).
//
// The caller formats its own fields from a [Status]; the package owns the
// arithmetic (rate, time left), the throttle and the line's end. nb.Progress
// shows such a line in a notebook cell.
package progress

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Line is one progress line written to w. A nil w makes every method a
// no-op. A Line is not safe for concurrent use.
type Line struct {
	w     io.Writer
	total int64
	every time.Duration
	now   func() time.Time

	start      time.Time // when the line was made
	first      time.Time // the first update's time (zero before it)
	firstDone  int64     // and its count
	last       time.Time // the last redraw
	printedAny bool
}

// New returns a line for a task of total units that redraws at most once
// per every (the first update and the one that reaches total are always
// drawn). Time is read from the wall clock; see [Line.WithClock].
func New(w io.Writer, total int64, every time.Duration) *Line {
	return &Line{w: w, total: total, every: every, now: time.Now, start: time.Now()}
}

// WithClock makes the line read time from now (tests inject a fake clock),
// restarting its elapsed time at now(). It returns l.
func (l *Line) WithClock(now func() time.Time) *Line {
	l.now, l.start = now, now()
	return l
}

// Status is what a line knows at an update.
type Status struct {
	Done, Total int64
	Elapsed     time.Duration // since the line was made
	// Rate is units per second: measured from the first update to this one,
	// or, while no unit has been done since the first update, over Elapsed
	// (FromStart true: it then includes start-up, such as compiling; 0 when
	// nothing is done yet).
	Rate      float64
	FromStart bool
	Left      time.Duration // (Total − Done)/Rate; 0 when Rate is 0
}

// Update records that done units are finished and, unless throttled,
// redraws the line with format's text.
func (l *Line) Update(done int64, format func(Status) string) {
	if l.w == nil {
		return
	}
	now := l.now()
	if l.first.IsZero() {
		l.first, l.firstDone = now, done
	}
	if l.printedAny && now.Sub(l.last) < l.every && done != l.total {
		return
	}
	l.last, l.printedAny = now, true
	s := Status{Done: done, Total: l.total, Elapsed: now.Sub(l.start)}
	if n, dt := done-l.firstDone, now.Sub(l.first).Seconds(); n > 0 && dt > 0 {
		s.Rate = float64(n) / dt
	} else if dt := s.Elapsed.Seconds(); done > 0 && dt > 0 {
		s.Rate, s.FromStart = float64(done)/dt, true
	}
	if s.Rate > 0 {
		s.Left = time.Duration(float64(l.total-done) / s.Rate * float64(time.Second))
	}
	fmt.Fprintf(l.w, "\r%s   ", format(s))
}

// Done ends the line (when one was drawn), so that what follows starts on a
// new line. Calling it again does nothing.
func (l *Line) Done() {
	if l.w != nil && l.printedAny {
		fmt.Fprintln(l.w)
		l.printedAny = false
	}
}

// Gauge is a bar of width characters filled in proportion to done/total:
// "[======      ]".
func Gauge(done, total int64, width int) string {
	filled := 0
	if total > 0 {
		filled = min(max(int(float64(done)/float64(total)*float64(width)), 0), width)
	}
	return "[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "]"
}

// Training is a training run's line: the step, a gauge, the mean loss of
// the last 100 steps, steps/s and the time left, redrawn at most twice a
// second. Until a step has ended after the first update, whose time includes
// compiling the step, it shows "compiled" instead of a rate.
type Training struct {
	line   *Line
	recent []float64 // the last 100 losses
}

// NewTraining returns the line of a run that ends at step end (nil w: none).
func NewTraining(w io.Writer, end int64) *Training {
	return &Training{line: New(w, end, 500*time.Millisecond)}
}

// Update records step's loss and redraws the line unless throttled.
func (p *Training) Update(step int64, loss float64) {
	if p.line.w == nil {
		return
	}
	p.recent = append(p.recent, loss)
	if len(p.recent) > 100 {
		p.recent = p.recent[1:]
	}
	p.line.Update(step, func(s Status) string {
		mean := 0.0
		for _, l := range p.recent {
			mean += l / float64(len(p.recent))
		}
		speed := "compiled"
		if s.Rate > 0 && !s.FromStart {
			speed = fmt.Sprintf("%.1f steps/s  ETA %s", s.Rate, s.Left.Round(time.Second))
		}
		return fmt.Sprintf("step %d/%d %s loss %.4f  %s", s.Done, s.Total, Gauge(s.Done, s.Total, 24), mean, speed)
	})
}

// Done ends the line (once), so that what follows starts a new line.
func (p *Training) Done() { p.line.Done() }

// Sampling is the line of sampling n examples in batches: examples drawn,
// rate, time elapsed and left, redrawn at most once a second. The rate is
// measured from the end of the first batch (which includes compiling the
// sampler) once a second batch has ended, over the first batch until then.
// With a single batch (firstBatch ≥ n) there is nothing to report before
// it ends, and there is no line.
type Sampling struct{ line *Line }

// NewSampling returns the line of drawing n examples, the first batch of
// firstBatch (nil w: none).
func NewSampling(w io.Writer, n, firstBatch int) *Sampling {
	if firstBatch >= n {
		w = nil
	}
	return &Sampling{line: New(w, int64(n), time.Second)}
}

// Update records that drawn examples are done and redraws the line unless
// throttled.
func (p *Sampling) Update(drawn int) {
	p.line.Update(int64(drawn), func(s Status) string {
		return fmt.Sprintf("sampled %d/%d (%.1f/s, %s elapsed, about %s left)", s.Done, s.Total, s.Rate,
			s.Elapsed.Round(time.Second), s.Left.Round(time.Second))
	})
}

// Done ends the line (when one was drawn).
func (p *Sampling) Done() { p.line.Done() }
