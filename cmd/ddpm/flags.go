package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/tagflag"
)

// flags is a command's flag set: the tagged fields of the configurations
// the command fills (tagflag), so the packages own every field, check and
// default and the command line only binds their tags and turns their
// errors into lines naming the flags.
type flags struct{ *tagflag.Set }

func newFlags(name string) *flags { return &flags{tagflag.New(name)} }

// parse parses args. A parse error prints one line naming the command and
// gives exit 2; -h prints usage and the flags and gives exit 0. ok is false
// when the caller must return code.
func (f *flags) parse(usageText string, args []string, stderr io.Writer) (code int, ok bool) {
	f.SetOutput(io.Discard)
	f.Usage = func() {}
	err := f.Parse(args)
	f.SetOutput(stderr)
	switch {
	case err == flag.ErrHelp:
		fmt.Fprintln(stderr, usageText)
		f.PrintDefaults()
		return 0, false
	case err != nil:
		return fail(stderr, f.Name(), badFlag("%v (see ddpm %s -h)", err, f.Name()), 2), false
	case f.NArg() > 0:
		return fail(stderr, f.Name(), badFlag("unexpected argument %q (flags only; see ddpm %s -h)", f.Arg(0), f.Name()), 2), false
	}
	if err := f.Check(); err != nil {
		return fail(stderr, f.Name(), badFlag("%s", err), 2), false
	}
	return 0, true
}

// explain is err for the command line: a configuration field's error a
// usage error naming its flag, any other error with the fields it names
// (RunOptions.InitFrom) named as their flags (-init).
func (f *flags) explain(err error) error {
	if err == nil {
		return nil
	}
	if line, ok := f.Explain(err); ok {
		return usageError{line}
	}
	return rewritten{err, f.Rewrite(err.Error())}
}

// rewritten is an error with another text (its fields named as flags).
type rewritten struct {
	error
	msg string
}

func (r rewritten) Error() string { return r.msg }
func (r rewritten) Unwrap() error { return r.error }

// usageError is a bad flag: the command prints it and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func badFlag(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// message is err as one line without the package prefixes ("run: ",
// "ddpm: ", …) that would follow the command's own "ddpm <cmd>: ".
func message(err error) string {
	s := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	for changed := true; changed; {
		changed = false
		for _, p := range []string{"ddpm: ", "recipe: ", "trained: ", "run: ", "eval: ", "ckpt: ", "nets: ", "classifier: ", "bench: "} {
			if strings.HasPrefix(s, p) {
				s, changed = s[len(p):], true
			}
		}
	}
	return s
}

// fail prints err for command cmd in one line and returns the exit code: 2
// for a usage error or a configuration field out of range, code otherwise.
func fail(stderr io.Writer, cmd string, err error, code int) int {
	var ue usageError
	if errors.As(err, &ue) || field.As(err) != nil {
		code = 2
	}
	fmt.Fprintf(stderr, "ddpm %s: %s\n", cmd, message(err))
	return code
}

// prefixed writes each line written to it to w after prefix ("ddpm eval: "):
// a library's log lines (and its progress line, redrawn after each \r)
// under the command's name.
type prefixed struct {
	w      io.Writer
	prefix string
	mid    bool // within a line
}

func (p *prefixed) Write(b []byte) (int, error) {
	var out []byte
	for _, c := range b {
		end := c == '\n' || c == '\r'
		if !p.mid && !end {
			out = append(out, p.prefix...)
		}
		out = append(out, c)
		p.mid = !end
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
