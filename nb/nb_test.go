package nb

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestQuickAndSteps(t *testing.T) {
	t.Setenv("DDPM_QUICK", "1")
	if !Quick() || Steps(1000, 10) != 10 {
		t.Error("quick mode not seen")
	}
	t.Setenv("DDPM_QUICK", "0")
	if Quick() || Steps(1000, 10) != 1000 {
		t.Error("DDPM_QUICK=0 should be full mode")
	}
}

func TestMustAndPNGPanicOnError(t *testing.T) {
	if Must(3, nil) != 3 {
		t.Error("Must")
	}
	defer func() {
		if recover() == nil {
			t.Error("PNG with an error did not panic")
		}
	}()
	PNG(nil, errors.New("boom"))
}

func TestProgressKeepsTheLastLine(t *testing.T) {
	p := &progressLine{id: "x"}
	for _, s := range []string{"\rstep 1/3 loss 1.0   ", "\rstep 2/3", " loss 0.5   ", "\rstep 3/3 loss 0.2   ", "\n"} {
		if n, err := p.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if p.last != "step 3/3 loss 0.2" {
		t.Errorf("last line %q", p.last)
	}
	if w := Progress(nil); w == nil {
		t.Error("Progress outside a notebook: nil writer")
	}
}

func TestInteractWithoutBrowser(t *testing.T) {
	knobs := []Knob{
		{Name: "t", Min: 1, Max: 999, Value: 5000, Show: func(p int) string { return "paper t = " + strconv.Itoa(p+1) }},
		{Name: "schedule", Options: []string{"linear", "cosine"}, Value: 1},
	}
	calls := 0
	pos := Interact(knobs, func(pos []int) *Out {
		calls++
		return NewOut().Printf("t=%d", pos[0]).Table([]string{"a"}, []any{1.5})
	})
	if calls != 1 || pos[0] != 999 || pos[1] != 1 {
		t.Errorf("Interact outside a notebook: %d views, positions %v (want 1 view at [999 1])", calls, pos)
	}
	if got := knobsSummary(knobs, pos); got != "paper t = 1000, cosine" {
		t.Errorf("summary %q", got)
	}
}

func TestOutHTMLAndErrors(t *testing.T) {
	o := NewOut().Printf("a < b\n").PNG([]byte{1, 2}, nil)
	if h := o.HTML(); !strings.Contains(h, "a &lt; b</pre>") || !strings.Contains(h, "data:image/png;base64,AQI=") {
		t.Errorf("HTML: %s", h)
	}
	o.PNG(nil, errors.New("boom"))
	if o.Err() == nil || !strings.Contains(o.HTML(), "error: boom") {
		t.Error("the error is neither kept nor shown")
	}
	defer func() {
		if recover() == nil {
			t.Error("Display with an error did not panic")
		}
	}()
	o.Display()
}

func TestKnobHelpers(t *testing.T) {
	x := Range("x₀", -1, 1, 20, 0.5)
	if x.Min != -20 || x.Max != 20 || x.Value != 10 || x.At(-14) != -0.7 || x.show(-14) != "x₀ = -0.7" {
		t.Errorf("Range: %+v, At(-14) = %v, show %q", x, x.At(-14), x.show(-14))
	}
	d := List("δ", []float64{0.01, 0.1, 1}, 1)
	if d.Min != 0 || d.Max != 2 || d.show(2) != "δ = 1" || d.clamp(7) != 2 {
		t.Errorf("List: %+v", d)
	}
	type kind string
	if got := Names([]kind{"linear", "cosine"}); len(got) != 2 || got[1] != "cosine" {
		t.Errorf("Names: %v", got)
	}
}
