package progress

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// clock is a fake clock: the tests set the time of each update.
type clock struct{ t time.Time }

func (c *clock) now() time.Time            { return c.t }
func (c *clock) at(d time.Duration) *clock { c.t = time.Unix(1_000_000, 0).Add(d); return c }

func newClock() *clock { return (&clock{}).at(0) }

// A sequence of updates gives exactly these redraws: the first update's
// rate is over the time since the line was made (FromStart), later ones
// from the first update; a redraw sooner than every is skipped unless it
// reaches the total; Done ends the line once.
func TestLineUpdates(t *testing.T) {
	var b strings.Builder
	c := newClock()
	l := New(&b, 10, time.Second).WithClock(c.now)
	f := func(s Status) string {
		return fmt.Sprintf("%d/%d %.2f %v %v %v", s.Done, s.Total, s.Rate, s.FromStart, s.Elapsed, s.Left)
	}
	c.at(2 * time.Second)
	l.Update(1, f) // 1 unit in 2 s from the start: 0.5/s, 9 left → 18 s
	c.at(2500 * time.Millisecond)
	l.Update(2, f) // 0.5 s after the last redraw: skipped
	c.at(3 * time.Second)
	l.Update(3, f) // 2 units in 1 s since the first update: 2/s, 7 left → 3.5 s
	c.at(3200 * time.Millisecond)
	l.Update(10, f) // the total: drawn although 0.2 s after the last; 9 in 1.2 s
	l.Done()
	l.Done()
	want := "\r1/10 0.50 true 2s 18s   " +
		"\r3/10 2.00 false 3s 3.5s   " +
		"\r10/10 7.50 false 3.2s 0s   \n"
	if got := b.String(); got != want {
		t.Errorf("output\n%q\nwant\n%q", got, want)
	}
}

// A line with a nil writer, and one never drawn, write nothing.
func TestLineSilent(t *testing.T) {
	l := New(nil, 3, 0)
	l.Update(1, func(Status) string { panic("formatted for a nil writer") })
	l.Done()
	var b strings.Builder
	New(&b, 3, 0).Done()
	if b.Len() != 0 {
		t.Errorf("a line never drawn wrote %q", b.String())
	}
}

func TestGauge(t *testing.T) {
	for _, c := range []struct {
		done, total int64
		want        string
	}{
		{0, 10, "[    ]"}, {5, 10, "[==  ]"}, {7, 10, "[==  ]"}, {10, 10, "[====]"}, {20, 10, "[====]"}, {-1, 10, "[    ]"}, {1, 0, "[    ]"},
	} {
		if got := Gauge(c.done, c.total, 4); got != c.want {
			t.Errorf("Gauge(%d, %d, 4) = %q, want %q", c.done, c.total, got, c.want)
		}
	}
}

// The training line: "compiled" until a step ends after the first update
// (whose time includes compiling), then steps/s and the time left; the loss
// is the mean over the updates so far. (Finding 13 of the reliability
// review: the first ETA included compiling the step; this test replaces
// experiment's TestProgressRateExcludesTheFirstStep.)
func TestTraining(t *testing.T) {
	var b strings.Builder
	c := newClock()
	p := NewTraining(&b, 1000)
	p.line.WithClock(c.now)
	c.at(5 * time.Second)
	p.Update(1, 0.5)
	c.at(5100 * time.Millisecond)
	p.Update(2, 0.3) // skipped (0.1 s after the last redraw), its loss kept
	c.at(6 * time.Second)
	p.Update(11, 0.1) // 10 steps in 1 s; 989 left → 98.9 s ≈ 1m39s; mean of 0.5, 0.3, 0.1
	c.at(10 * time.Second)
	p.Update(1000, 0.2) // 999 steps in 5 s
	p.Done()
	want := "\rstep 1/1000 [                        ] loss 0.5000  compiled   " +
		"\rstep 11/1000 [                        ] loss 0.3000  10.0 steps/s  ETA 1m39s   " +
		"\rstep 1000/1000 [========================] loss 0.2750  199.8 steps/s  ETA 0s   \n"
	if got := b.String(); got != want {
		t.Errorf("output\n%q\nwant\n%q", got, want)
	}
}

// The training line's loss is the mean of the last 100 steps' losses.
func TestTrainingLossWindow(t *testing.T) {
	var b strings.Builder
	c := newClock()
	p := NewTraining(&b, 150)
	p.line.WithClock(c.now)
	for step := int64(1); step <= 150; step++ {
		c.at(time.Duration(step) * time.Second)
		p.Update(step, float64(step)) // the last 100: 51 … 150, mean 100.5
	}
	p.Done()
	if want := "\rstep 150/150 [========================] loss 100.5000  1.0 steps/s  ETA 0s   \n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("output ends %q, want %q", b.String()[max(b.Len()-len(want), 0):], want)
	}
}

// The sampling line: the first batch's rate (compiling included) until a
// second batch ends, then the rate since the first batch; one batch: no line.
func TestSampling(t *testing.T) {
	var b strings.Builder
	c := newClock()
	p := NewSampling(&b, 25, 10)
	p.line.WithClock(c.now)
	c.at(2 * time.Second)
	p.Update(10) // 10 in 2 s: 5/s, 15 left → 3 s
	c.at(2500 * time.Millisecond)
	p.Update(20) // skipped: 0.5 s after the last redraw
	c.at(4 * time.Second)
	p.Update(25) // 15 in 2 s since the first batch
	p.Done()
	want := "\rsampled 10/25 (5.0/s, 2s elapsed, about 3s left)   " +
		"\rsampled 25/25 (7.5/s, 4s elapsed, about 0s left)   \n"
	if got := b.String(); got != want {
		t.Errorf("output\n%q\nwant\n%q", got, want)
	}

	b.Reset()
	one := NewSampling(&b, 10, 10)
	one.Update(10)
	one.Done()
	if b.Len() != 0 {
		t.Errorf("one batch wrote %q, want nothing", b.String())
	}
}
