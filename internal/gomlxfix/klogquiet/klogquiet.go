// Package klogquiet drops one line go-xla (v0.4.1) logs at start-up: with
// HOME unset, the init function of go-xla's pjrt package logs "Couldn't get
// user's home directory -- it won't be searched for PJRT plugins" through
// klog to standard error, in every command, before any of our code runs —
// so that a one-line error became two lines (issue 27, part 6). ddpm's own
// plugin search skips a home it cannot find without a word, and says which
// backend it chose in its own line.
//
// The package must be initialised before go-xla's pjrt: Go initialises the
// packages that are ready in the order of their import paths (since Go
// 1.21), and "github.com/ddpm-go/…" sorts before "github.com/gomlx/…"; it
// imports nothing of go-xla. Package ddpm imports it. Everything else klog
// writes still goes to standard error, in klog's format, as before.
// Canary: TestGoXLAStillLogsIt (the line is still in go-xla's source).
package klogquiet

import (
	"bytes"
	"os"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
)

// Dropped is the text of the line dropped.
const Dropped = "Couldn't get user's home directory -- it won't be searched for PJRT plugins"

func init() {
	klog.SetLoggerWithOptions(logr.Discard(), klog.WriteKlogBuffer(write))
}

// write is klog's output: each formatted line but the dropped one, to
// standard error.
func write(line []byte) {
	if bytes.Contains(line, []byte(Dropped)) {
		return
	}
	os.Stderr.Write(line)
}
