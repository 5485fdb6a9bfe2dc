package run

import (
	"fmt"
	"os"
)

// Interrupted is the error of a training stopped by a signal on
// Options.Interrupt (SIGINT, SIGTERM): the step in progress was
// finished, a checkpoint of it written and the progress line ended, so the
// same command resumes the run where it stopped, losing nothing. The CLI
// prints its message as it is and exits 130.
type Interrupted struct {
	Dir    string
	Step   int64     // the step reached and checkpointed
	Signal os.Signal // the signal received
}

func (e *Interrupted) Error() string {
	return fmt.Sprintf("interrupted at step %d; the same command resumes", e.Step)
}

// signalled says, without waiting, whether a signal arrived on c (a nil
// channel never has one).
func signalled(c <-chan os.Signal) (os.Signal, bool) {
	select {
	case s := <-c:
		return s, true
	default:
		return nil, false
	}
}
