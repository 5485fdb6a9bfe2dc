// Package flagbind binds command-line flags to configuration fields: each
// flag knows the field it sets (as a *field.Error names it, Owner.Field),
// so that a package's error about a field becomes a line naming the flag,
// and the flags given on the command line can be laid over a configuration
// (a preset) field by field. It holds no command's flags.
package flagbind

import (
	"flag"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/internal/field"
)

// Set is a flag set that knows which configuration field each flag sets.
type Set struct {
	*flag.FlagSet
	fields map[string]string // "TrainConfig.LearningRate" → "lr"
	zero   map[string]bool   // flags whose 0 stands for the package's default
	given  map[string]bool   // flags on the command line, after Parse
	empty  map[string]bool   // flags given an empty value, after Parse
}

// New is an empty Set named name (the command), with ContinueOnError.
func New(name string) *Set {
	return &Set{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), fields: map[string]string{}, zero: map[string]bool{}}
}

// Bind registers the flag name for *p — a pointer to a field of an int,
// int64, float64, string or bool kind (named types such as ddpm.Spacing
// too; a time.Duration reads as one, "8m") — which sets the configuration field path (Owner.Field; "" for
// none). Its default is *p's current value. zeroIsDefault: 0 stands for
// the package's default, so an explicit 0 is refused by [Set.Check].
func (s *Set) Bind(p any, name, path, usage string, zeroIsDefault bool) {
	s.Var(value{reflect.ValueOf(p).Elem()}, name, usage)
	s.Field(name, path)
	s.zero[name] = zeroIsDefault
}

// Field records that flag name sets the field path (Owner.Field), for a
// flag registered otherwise or a second name of the same field.
func (s *Set) Field(name, path string) {
	if path != "" {
		s.fields[path] = name
	}
}

// Given says whether flag name was on the command line (after Parse).
func (s *Set) Given(name string) bool {
	if s.given == nil {
		s.given = map[string]bool{}
		s.Visit(func(f *flag.Flag) { s.given[f.Name] = true })
	}
	return s.given[name]
}

// Parse parses args as flag.FlagSet.Parse does, noting every flag given
// an empty value (for [Set.Check]).
func (s *Set) Parse(args []string) error {
	s.empty, s.given = map[string]bool{}, nil
	s.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(guarded); !ok {
			f.Value = guarded{f.Value, f.Name, s}
		}
	})
	return s.FlagSet.Parse(args)
}

// Check refuses, among the flags given, an empty value (one meaning per
// value: a flag left out takes its default, a flag given needs a value), a
// number that is not finite and an explicit 0 of a zero-is-default flag.
func (s *Set) Check() error {
	var err error
	s.Visit(func(f *flag.Flag) {
		if err == nil && s.empty[f.Name] {
			err = fmt.Errorf("-%s \"\": an empty value is not a setting: leave the flag out for its default, or give a value", f.Name)
		}
	})
	s.Visit(func(f *flag.Flag) {
		v, perr := strconv.ParseFloat(f.Value.String(), 64)
		if d, derr := time.ParseDuration(f.Value.String()); perr != nil && derr == nil {
			v, perr = float64(d), nil
		}
		switch {
		case err != nil || perr != nil:
		case math.IsNaN(v) || math.IsInf(v, 0):
			err = fmt.Errorf("-%s %s: must be a finite number", f.Name, f.Value)
		case v == 0 && s.zero[f.Name]:
			err = fmt.Errorf("-%s 0 would stand for its default: leave the flag out for that, or give a value", f.Name)
		}
	})
	return err
}

// PrintDefaults prints every flag, its type and its usage, with one
// default: the usage's own "(default …)" when it states one (the default
// the package applies to a zero field), else the flag's value before
// parsing unless that is the zero of its type (flag.PrintDefaults's rule,
// which would add "(default 0)" to a zero-is-default flag's own default).
func (s *Set) PrintDefaults() {
	w := s.Output()
	s.VisitAll(func(f *flag.Flag) {
		var b strings.Builder
		fmt.Fprintf(&b, "  -%s", f.Name)
		typ, usage := typeName(f)
		if typ != "" {
			b.WriteString(" " + typ)
		}
		if b.Len() <= 4 {
			b.WriteString("\t")
		} else {
			b.WriteString("\n    \t")
		}
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch d := f.DefValue; {
		case strings.Contains(usage, "(default"), d == "", d == "0", d == "false", d == "0s":
		case typ == "string":
			fmt.Fprintf(&b, " (default %q)", d)
		default:
			fmt.Fprintf(&b, " (default %s)", d)
		}
		fmt.Fprintln(w, b.String())
	})
}

// typeName is the type shown after a flag's name (none for a bool) and its
// usage, as flag.UnquoteUsage gives them, with the kind of a bound field
// instead of "value".
func typeName(f *flag.Flag) (string, string) {
	inner := *f
	if g, ok := f.Value.(guarded); ok {
		inner.Value = g.Value
	}
	name, usage := flag.UnquoteUsage(&inner)
	if x, ok := inner.Value.(value); ok && x.v.IsValid() {
		switch {
		case x.v.Kind() == reflect.Bool:
			name = ""
		case x.v.Type() == reflect.TypeFor[time.Duration]():
			name = "duration"
		case x.v.Kind() == reflect.Int || x.v.Kind() == reflect.Int64:
			name = "int"
		case x.v.Kind() == reflect.Float64:
			name = "float"
		case x.v.Kind() == reflect.String:
			name = "string"
		}
	}
	return name, usage
}

// guarded is a flag's value that notes when it is set to "".
type guarded struct {
	flag.Value
	name string
	set  *Set
}

func (g guarded) Set(s string) error {
	if s == "" {
		g.set.empty[g.name] = true
	}
	return g.Value.Set(s)
}

func (g guarded) IsBoolFlag() bool {
	b, ok := g.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Explain returns, for a *field.Error whose field a flag sets, the line
// naming the flag ("-lr -1 must be a finite number > 0"), and ok; for any
// other error ok is false.
func (s *Set) Explain(err error) (line string, ok bool) {
	fe := field.As(err)
	if fe == nil {
		return "", false
	}
	if name, found := s.fields[fe.Path()]; found {
		return fmt.Sprintf("-%s %v %s", name, fe.Value, fe.Want), true
	}
	return fmt.Sprintf("%s.%s = %v %s", fe.Owner, fe.Field, fe.Value, fe.Want), true
}

// Overlay copies into *dst, for every flag given on the command line whose
// field path has one of owners, that field from *src (the same struct
// type): "Owner.A" names the field A of the struct or a field promoted
// from an embedded one, "Owner.A.B" a nested one. The command line then
// overrides a preset field by field.
func (s *Set) Overlay(dst, src any, owners ...string) {
	d, v := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for path, name := range s.fields {
		owner, rest, _ := strings.Cut(path, ".")
		if !s.Given(name) || !slices.Contains(owners, owner) {
			continue
		}
		dv, sv := d, v
		for _, part := range strings.Split(rest, ".") {
			dv, sv = dv.FieldByName(part), sv.FieldByName(part)
		}
		if dv.IsValid() && dv.CanSet() {
			dv.Set(sv)
		}
	}
}

// value is a flag.Value over a field of a basic kind.
type value struct{ v reflect.Value }

func (x value) String() string {
	if !x.v.IsValid() {
		return ""
	}
	return fmt.Sprint(x.v.Interface())
}

func (x value) IsBoolFlag() bool { return x.v.IsValid() && x.v.Kind() == reflect.Bool }

func (x value) Set(s string) error {
	if x.v.Type() == reflect.TypeFor[time.Duration]() {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration such as 90s, 8m or 1h30m")
		}
		x.v.SetInt(int64(d))
		return nil
	}
	switch x.v.Kind() {
	case reflect.String:
		x.v.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		x.v.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		x.v.SetFloat(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		x.v.SetBool(b)
	default:
		return fmt.Errorf("flagbind: unsupported kind %s", x.v.Kind())
	}
	return nil
}
