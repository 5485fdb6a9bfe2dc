// Package field is the error of a configuration field out of range: the
// packages that own a configuration (ddpm, nets, experiment) say which
// field is wrong, and the command line, which knows which flag sets that
// field, turns the same error into a line naming the flag.
package field

import (
	"errors"
	"fmt"
)

// Error says that a field of a configuration holds a value it must not.
type Error struct {
	Pkg   string // the package that owns the configuration: "ddpm", "nets", "experiment"
	Owner string // its type: "SampleConfig", "UNetConfig", …
	Field string // the Go field name: "Eta"
	Value any    // the value found
	Want  string // what is allowed, as a sentence fragment: "must lie in [0, 1]"
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s.%s = %v %s", e.Pkg, e.Owner, e.Field, e.Value, e.Want)
}

// Path is the field's qualified name, Owner.Field.
func (e *Error) Path() string { return e.Owner + "." + e.Field }

// New is an *Error; want is formatted with args.
func New(pkg, owner, fieldName string, value any, want string, args ...any) *Error {
	if len(args) > 0 {
		want = fmt.Sprintf(want, args...)
	}
	return &Error{Pkg: pkg, Owner: owner, Field: fieldName, Value: value, Want: want}
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}
