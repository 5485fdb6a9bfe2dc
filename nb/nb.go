// Package nb holds the small display helpers the notebooks use, so that
// notebook cells stay short and never redefine code: show a PNG figure, a
// table, a line of markdown; knobs that redraw a cell's results live
// ([Interact]); a progress bar that keeps one line ([Progress]); read the
// quick-mode switch. Outside a notebook the display calls do nothing (they
// are GoNB's gonbui calls).
package nb

import (
	"os"

	"github.com/janpfeifer/gonb/gonbui"
)

// Quick reports whether DDPM_QUICK is set (to anything but "" or "0"): CI
// runs the notebooks so, and training cells then take only a few steps.
func Quick() bool {
	v := os.Getenv("DDPM_QUICK")
	return v != "" && v != "0"
}

// Steps returns quick when [Quick], else full: a cell's step count.
func Steps(full, quick int) int {
	if Quick() {
		return quick
	}
	return full
}

// PNG displays a PNG image; a non-nil err panics with it (the notebook runner
// reports panics as failures).
func PNG(png []byte, err error) {
	if err != nil {
		panic(err)
	}
	gonbui.DisplayPng(png)
}

// Table displays a table with a header row; cells are formatted with %v
// (float64 with %.6g).
func Table(header []string, rows ...[]any) {
	gonbui.DisplayHtml(tableHTML(header, rows...))
}

// Must panics on a non-nil error and returns v: for one-line cells.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
