// Package field is the error of a configuration field out of range: the
// packages that own a configuration (ddpm, nets, recipe, run, eval) say which
// field is wrong, and the command line, which knows which flag sets that
// field, turns the same error into a line naming the flag.
package field

import (
	"errors"
	"fmt"
	"math"
	"reflect"
)

// Error says that a field of a configuration holds a value it must not.
type Error struct {
	Pkg   string // the package that owns the configuration: "ddpm", "nets", "recipe", "run", "eval"
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

// The graph's precision: every network and every sampler and training graph
// of ddpm-go runs in float32, so a float64 knob reaches the graph as
// float32(v) (cast at graph build).
const (
	// GraphDType names the dtype that float knobs are cast to.
	GraphDType = "float32"
	// MaxGraphFloat is the largest finite float32.
	MaxGraphFloat = math.MaxFloat32
	// MinGraphFloat is the smallest normal float32 (2⁻¹²⁶): a smaller
	// magnitude is subnormal, which XLA's CPU code flushes to 0, or
	// rounds to 0 outright.
	MinGraphFloat = 0x1p-126
)

// Representable is the one rule for every float knob that reaches a graph:
// v is finite, does not overflow float32 (|v| ≤ MaxGraphFloat) and, unless it
// is exactly 0, does not underflow to 0 (|v| ≥ MinGraphFloat). It returns
// "" when v passes, else what is wrong as a sentence fragment for
// [Error].Want. The range each knob needs on top (a decay below 1…) is its
// owner's check, made on the value the graph gets (float32(v)).
func Representable(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "must be a finite number"
	case a > MaxGraphFloat:
		return fmt.Sprintf("overflows %s, the precision the model runs in (largest %.4g)", GraphDType, float64(MaxGraphFloat))
	case a != 0 && a < MinGraphFloat:
		return fmt.Sprintf("underflows to 0 in %s, the precision the model runs in (smallest %.4g)", GraphDType, float64(MinGraphFloat))
	}
	return ""
}

// CheckFloats applies [Representable] to every float64 field of the struct
// cfg (a configuration of package pkg, type owner), in field order, and
// returns the *Error of the first that fails, or nil. A field added to the
// configuration later is checked without more code.
func CheckFloats(pkg, owner string, cfg any) error {
	v := reflect.ValueOf(cfg)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	t := v.Type()
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && f.Type.Kind() == reflect.Float64 {
			x := v.Field(i).Float()
			if want := Representable(x); want != "" {
				return New(pkg, owner, f.Name, x, "%s", want)
			}
		}
	}
	return nil
}
