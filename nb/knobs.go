package nb

import (
	"fmt"
	"html"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"
)

// Knob is one control of [Interact]: a slider over the integer positions
// Min … Max, or, with Options, a drop-down list whose position is the index
// of the option chosen. A position stands for whatever the cell makes of it
// (paper step t = position + 1, x₀ = position/20 − 1, …): Show says what, in
// words, beside the control and in the cell's saved output.
type Knob struct {
	Name     string           // shown before the control
	Min, Max int              // a slider's range of positions (ignored with Options)
	Value    int              // the initial position
	Options  []string         // a drop-down list instead of a slider
	Show     func(int) string // what a position stands for ("paper t = 100"); default: the option, or the number

	perUnit int // for Range: position p stands for p/perUnit
}

// Range is a slider over lo, lo + 1/n, …, hi (n positions per unit), set
// to value (rounded to a step): x₀ from −1 to 1 by 0.05 is
// Range("x₀", -1, 1, 20, 0.5). [Knob.At] gives the value of a position.
func Range(name string, lo, hi float64, n int, value float64) Knob {
	k := Knob{Name: name, Min: int(math.Round(lo * float64(n))), Max: int(math.Round(hi * float64(n))), perUnit: n}
	k.Value = int(math.Round(value * float64(n)))
	k.Show = func(p int) string { return fmt.Sprintf("%s = %g", name, k.At(p)) }
	return k
}

// At is the value position pos of a [Range] knob stands for, pos/n — the
// float64 nearest the decimal (−14/20 is −0.7, where −1 + 6·0.05 is not) —
// or pos itself for another knob.
func (k Knob) At(pos int) float64 {
	if k.perUnit > 0 {
		return float64(pos) / float64(k.perUnit)
	}
	return float64(pos)
}

// List is a slider over values, set to values[initial], shown as
// "name = value": a knob over a few step sizes or lengths.
func List[T any](name string, values []T, initial int) Knob {
	return Knob{Name: name, Min: 0, Max: len(values) - 1, Value: initial,
		Show: func(p int) string { return fmt.Sprintf("%s = %v", name, values[p]) }}
}

// Names returns the strings of a list of string kinds (ddpm.ScheduleKinds),
// the Options of a drop-down list.
func Names[T ~string](kinds []T) []string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return s
}

// clamp returns pos within the knob's range.
func (k Knob) clamp(pos int) int {
	lo, hi := k.Min, k.Max
	if len(k.Options) > 0 {
		lo, hi = 0, len(k.Options)-1
	}
	return min(max(pos, lo), hi)
}

// show is what position pos stands for.
func (k Knob) show(pos int) string {
	switch {
	case k.Show != nil:
		return k.Show(pos)
	case len(k.Options) > 0:
		return k.Options[pos]
	}
	return strconv.Itoa(pos)
}

// knobsSummary is the line the cell keeps: each knob's setting.
func knobsSummary(knobs []Knob, pos []int) string {
	parts := make([]string, len(knobs))
	for i, k := range knobs {
		parts[i] = k.show(pos[i])
	}
	return strings.Join(parts, ", ")
}

// KnobsTimeout is how long [Interact] keeps listening after the last change
// of a knob: $DDPM_KNOBS_TIMEOUT (a Go duration, e.g. "30s") or 10 minutes.
func KnobsTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("DDPM_KNOBS_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return 10 * time.Minute
}

// WidgetsOff reports whether no browser can be listening: outside a notebook,
// outside a Jupyter Server session (nbclient and nbconvert start the kernel
// themselves and run no JavaScript; a server sets JPY_SESSION_NAME), or with
// DDPM_WIDGETS=0 (scripts/run_notebooks.py sets it).
func WidgetsOff() bool {
	return !gonbui.IsNotebook || os.Getenv("JPY_SESSION_NAME") == "" || os.Getenv("DDPM_WIDGETS") == "0"
}

// frontEndWait is how long Interact waits for the browser to acknowledge its
// controls before it concludes that none is listening (GoNB itself waits 3 s
// for the browser's connection).
const frontEndWait = 8 * time.Second

// Interact shows knobs and, below them, view(positions), and redraws the
// view on every change of a knob until the reader presses Done or leaves
// the knobs alone for [KnobsTimeout]. The cell then keeps one line with the
// knobs' final setting and that setting's view as ordinary outputs (text and
// tables as HTML, figures as PNG), which the saved notebook shows without a
// kernel. Without a browser — [WidgetsOff], or when none acknowledges the
// controls within a few seconds (nbconvert run by hand) — it draws the
// initial setting once and returns at once, so that "Run all" and headless
// runs never wait. It returns the final positions. The view's errors (from
// [Out.PNG]) are shown live and raised (a panic) for the final setting.
func Interact(knobs []Knob, view func(pos []int) *Out) []int {
	pos := make([]int, len(knobs))
	for i, k := range knobs {
		pos[i] = k.clamp(k.Value)
	}
	if WidgetsOff() {
		finish(knobs, pos, "", "", "no browser: the initial setting", view(pos))
		return pos
	}

	uid := gonbui.UniqueId()
	ctrlID, viewID, divID := "ddpm_knobs_"+uid, "ddpm_view_"+uid, "ddpm_knobs_div_"+uid
	var rows strings.Builder
	for i, k := range knobs {
		fmt.Fprintf(&rows, `<div id="%s_%d" style="margin: 0.2em 0"><b>%s</b>&nbsp;</div>`, divID, i, html.EscapeString(k.Name))
	}
	gonbui.UpdateHtml(ctrlID, fmt.Sprintf(`<div id="%s">%s<div id="%s_done"><span>connecting to the browser…</span></div></div>`, divID, rows.String(), divID))
	out := view(pos)
	gonbui.UpdateHtml(viewID, out.HTML())

	// The widgets wait for the browser's first message: without one they
	// never return, so they are built in a goroutine that may be left behind.
	type built struct {
		changes []*comms.AddressChan[int]
		done    *comms.AddressChan[int]
	}
	ready := make(chan built, 1)
	go func() {
		var b built
		for i, k := range knobs {
			row := fmt.Sprintf("%s_%d", divID, i)
			if len(k.Options) > 0 {
				b.changes = append(b.changes, widgets.Select(k.Options).SetDefault(pos[i]).AppendTo(row).Done().Listen().LatestOnly())
			} else {
				b.changes = append(b.changes, widgets.Slider(k.Min, k.Max, pos[i]).AppendTo(row).Done().Listen().LatestOnly())
			}
			dom.Append(row, fmt.Sprintf(`&nbsp;<span id="%s_%d_show" class="ddpm-knob-value">%s</span>`, divID, i, html.EscapeString(k.show(pos[i]))))
		}
		dom.SetInnerHtml(divID+"_done", "")
		b.done = widgets.Button("Done").AppendTo(divID + "_done").Done().Listen()
		ready <- b
	}()
	var w built
	select {
	case w = <-ready:
	case <-time.After(frontEndWait):
		finish(knobs, pos, ctrlID, viewID, "no browser answered: the initial setting", out)
		gonbui.Sync() // GoNB is still waiting for the browser: let it take these outputs before the cell ends
		return pos
	}
	timeout := KnobsTimeout()
	dom.Append(divID+"_done", fmt.Sprintf(`&nbsp;<span class="ddpm-knobs-status">listening: move the knobs; Done (or %s without a change) ends the cell</span>`, minutes(timeout)))

	type change struct{ knob, pos int }
	changes := make(chan change, 16)
	for i, c := range w.changes {
		go func() {
			for v := range c.C {
				changes <- change{i, v}
			}
		}()
	}
	idle := time.NewTimer(timeout)
	reason := "closed with Done"
listen:
	for {
		select {
		case c := <-changes:
			pos[c.knob] = knobs[c.knob].clamp(c.pos)
			for more := true; more; { // take every change already queued, then redraw once
				select {
				case c := <-changes:
					pos[c.knob] = knobs[c.knob].clamp(c.pos)
				default:
					more = false
				}
			}
			for i, k := range knobs {
				dom.SetInnerText(fmt.Sprintf("%s_%d_show", divID, i), k.show(pos[i]))
			}
			out = view(pos)
			gonbui.UpdateHtml(viewID, out.HTML())
			idle.Reset(timeout)
		case <-w.done.C:
			break listen
		case <-idle.C:
			reason = fmt.Sprintf("closed after %s without a change", minutes(timeout))
			break listen
		}
	}
	for _, c := range w.changes {
		c.Close()
	}
	w.done.Close()
	finish(knobs, pos, ctrlID, viewID, reason, out)
	return pos
}

// minutes writes d as "10 min" when it is whole minutes.
func minutes(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}

// finish replaces the live controls and view (when ctrlID is set) by one
// line with the setting and the view as ordinary outputs.
func finish(knobs []Knob, pos []int, ctrlID, viewID, why string, out *Out) {
	line := fmt.Sprintf(`<p class="ddpm-knobs-final"><b>Knobs</b> (%s): %s</p>`, html.EscapeString(why), html.EscapeString(knobsSummary(knobs, pos)))
	if ctrlID != "" {
		gonbui.UpdateHtml(ctrlID, line)
		gonbui.UpdateHtml(viewID, "")
	} else {
		gonbui.DisplayHtml(line)
	}
	out.Display()
}
