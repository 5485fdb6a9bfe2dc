// Package tagflag is the command line's one flag mechanism: the fields of a
// configuration struct tagged
//
//	Field T `flag:"name" usage:"…"`          // -name sets Field
//	Field T `flag:"name,zerodefault" …`      // 0 stands for the owner's default: an explicit 0 is refused
//
// become flags bound to those fields ([Set.Bind]), walking embedded structs
// and named struct fields, so that a configuration made of the package
// configurations it holds (Config{TrainConfig; Schedule ScheduleConfig})
// gets every flag its parts declare. Each flag knows the fields it sets, by
// every name a *field.Error may give them (Owner.Field, Outer.Sub.Field, a
// promoted field under its outer owner too), so the package that owns a
// field reports the field and [Set.Explain] turns that into a line naming
// the flag; the flags given are laid over another configuration of the same
// type (a preset's) field by field ([Set.Overlay]); the help prints each
// flag's default as the code that owns it completes a zero configuration
// ([Set.Defaults]).
//
// It works on any struct by reflection and imports no package of the
// project but internal/field: the configurations do not know the command
// line, only their tags name their flags.
package tagflag

import (
	"encoding"
	"flag"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/internal/field"
)

// Set is a flag set whose bound flags know the configuration fields they set.
type Set struct {
	*flag.FlagSet
	bound    map[string]*entry  // flags registered by Bind, by name
	paths    map[string]string  // "TrainConfig.LearningRate", "Config.LearningRate" → "lr"
	defaults map[string][]deflt // from Defaults and DefaultsWhen, in order
	fixed    map[string]string  // from SetDefault
	renamed  map[string]string  // tag → flag, from Bind's Rename
	given    map[string]bool    // after Parse
	empty    map[string]bool    // flags given "", after Parse
}

// entry is a flag bound to one or more fields of the same type.
type entry struct {
	name        string
	typ         reflect.Type
	zeroDefault bool
	targets     []reflect.Value // addressable fields
	keys        map[string]bool // owner type and field name of each target, for Defaults
}

// deflt is one default of a flag: the value the owner's completion gives,
// for the condition label ("" for none).
type deflt struct {
	label, text string
	zero        bool
}

// New is an empty Set named name (the command), with ContinueOnError.
func New(name string) *Set {
	return &Set{
		FlagSet:  flag.NewFlagSet(name, flag.ContinueOnError),
		bound:    map[string]*entry{},
		paths:    map[string]string{},
		defaults: map[string][]deflt{},
		fixed:    map[string]string{},
		renamed:  map[string]string{},
	}
}

// tagged is a tagged field met by walk.
type tagged struct {
	v     reflect.Value // the field (addressable when the walk's root is)
	owner reflect.Type  // the struct type that declares it
	sf    reflect.StructField
	index []int    // from the root
	paths []string // the names a *field.Error may give it
	name  string   // the flag
	zero  bool     // zerodefault
	usage string
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
)

// walk calls fn for every tagged field of the struct v, in field order,
// descending into embedded structs (their fields are promoted: an outer
// owner names them as its own) and named struct fields (Outer.Sub.Field)
// that are no flag themselves and no text value. outer are the names of v
// under the structs that hold it ("Config.Schedule"); index is v's path
// from the root.
func walk(v reflect.Value, outer []string, index []int, fn func(tagged)) {
	t := v.Type()
	own := outer
	if t.Name() != "" {
		own = append([]string{t.Name()}, outer...)
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		idx := append(slices.Clone(index), i)
		tag, hasTag := sf.Tag.Lookup("flag")
		name, opts, _ := strings.Cut(tag, ",")
		if hasTag && name != "" && name != "-" {
			var paths []string
			for _, o := range own {
				paths = append(paths, o+"."+sf.Name)
			}
			fn(tagged{v: v.Field(i), owner: t, sf: sf, index: idx, paths: paths, name: name,
				zero: slices.Contains(strings.Split(opts, ","), "zerodefault"), usage: sf.Tag.Get("usage")})
			continue
		}
		if hasTag || sf.Type.Kind() != reflect.Struct || reflect.PointerTo(sf.Type).Implements(textUnmarshaler) {
			continue
		}
		if sf.Anonymous {
			walk(v.Field(i), own, idx, fn) // promoted: the same owners
			continue
		}
		var sub []string
		for _, o := range own {
			sub = append(sub, o+"."+sf.Name)
		}
		walk(v.Field(i), sub, idx, fn)
	}
}

// walk is [walk] from the root v, with the flag names Bind's Rename gave.
func (s *Set) walk(v reflect.Value, fn func(tagged)) {
	walk(v, nil, nil, func(f tagged) {
		if r, ok := s.renamed[f.name]; ok {
			f.name = r
		}
		fn(f)
	})
}

// structOf is the struct that p points to (or p itself, for reading), or
// an invalid Value.
func structOf(p any, wantPointer bool) reflect.Value {
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	} else if wantPointer {
		return reflect.Value{}
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v
}

// supported says whether a field of type t can be a flag.
func supported(t reflect.Type) bool {
	if t == durationType || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return true
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.String, reflect.Bool:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Int || t.Elem().Kind() == reflect.String
	}
	return false
}

// Bind registers a flag for every tagged field of the struct *cfg (see the
// package doc), bound to the field: its default is the field's current
// value, a flag given sets it. A name bound again (by another struct, or
// another network's configuration) sets every field it is bound to; the
// fields must have one type. Bind panics on what is a bug of the caller:
// cfg not a pointer to a struct, a field of a type no flag can read, one
// name bound to fields of two types or defined by the FlagSet otherwise,
// one field name a *field.Error may give set by two flags.
func (s *Set) Bind(cfg any, renames ...Rename) {
	root := structOf(cfg, true)
	if !root.IsValid() {
		panic(fmt.Sprintf("tagflag.Bind: %T is not a pointer to a struct", cfg))
	}
	for _, r := range renames {
		s.renamed[r.Tag] = r.Flag
	}
	s.walk(root, func(f tagged) {
		if !supported(f.sf.Type) {
			panic(fmt.Sprintf("tagflag.Bind: %s.%s (-%s) is a %s: no flag reads it", f.owner.Name(), f.sf.Name, f.name, f.sf.Type))
		}
		e, ok := s.bound[f.name]
		switch {
		case !ok && s.Lookup(f.name) != nil:
			panic(fmt.Sprintf("tagflag.Bind: -%s is already a flag not bound to a field", f.name))
		case !ok:
			e = &entry{name: f.name, typ: f.sf.Type, zeroDefault: f.zero, keys: map[string]bool{}, targets: []reflect.Value{f.v}}
			s.bound[f.name] = e
			s.Var(value{e, s}, f.name, f.usage) // its default: the field's value
		case e.typ != f.sf.Type:
			panic(fmt.Sprintf("tagflag.Bind: -%s is bound to a %s and to %s.%s, a %s", f.name, e.typ, f.owner.Name(), f.sf.Name, f.sf.Type))
		case e.has(f.v):
			return
		}
		if !e.has(f.v) {
			e.targets = append(e.targets, f.v)
		}
		e.keys[key(f.owner, f.sf.Name)] = true
		for _, p := range f.paths {
			if other, ok := s.paths[p]; ok && other != f.name {
				panic(fmt.Sprintf("tagflag.Bind: %s is set by -%s and by -%s", p, other, f.name))
			}
			s.paths[p] = f.name
		}
	})
}

// Rename names the flag of the fields tagged Tag Flag instead, in the whole
// Set, for a command whose subject makes the tag's name redundant (ddpm
// schedule's -kind is ScheduleConfig's -schedule).
type Rename struct{ Tag, Flag string }

func key(owner reflect.Type, fieldName string) string {
	return owner.PkgPath() + "." + owner.Name() + "." + fieldName
}

// has says whether v is one of e's fields.
func (e *entry) has(v reflect.Value) bool {
	if !v.CanAddr() {
		return false
	}
	for _, t := range e.targets {
		if t.UnsafeAddr() == v.UnsafeAddr() && t.Type() == v.Type() {
			return true
		}
	}
	return false
}

// Bound says whether flag name is bound to a field of the struct *root
// (bound by [Set.Bind] through root or a struct holding it).
func (s *Set) Bound(name string, root any) bool {
	e, v := s.bound[name], structOf(root, true)
	if e == nil || !v.IsValid() {
		return false
	}
	found := false
	s.walk(v, func(f tagged) { found = found || (f.name == name && e.has(f.v)) })
	return found
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

// Check refuses, among the flags given (after Parse), an empty value (one
// meaning per value: a flag left out takes its default, a flag given needs
// a value), a float that is not finite and an explicit 0 of a zerodefault
// field. The error is one line naming the flag.
func (s *Set) Check() error {
	var err error
	s.Visit(func(f *flag.Flag) {
		if err == nil && s.empty[f.Name] {
			err = fmt.Errorf("-%s \"\": an empty value is not a setting: leave the flag out for its default, or give a value", f.Name)
		}
	})
	s.Visit(func(f *flag.Flag) {
		e := s.bound[f.Name]
		if err != nil || e == nil || len(e.targets) == 0 {
			return
		}
		v := e.targets[0]
		switch {
		case v.Kind() == reflect.Float64 && (math.IsNaN(v.Float()) || math.IsInf(v.Float(), 0)):
			err = fmt.Errorf("-%s %s: must be a finite number", f.Name, f.Value)
		case e.zeroDefault && isZeroNumber(v):
			err = fmt.Errorf("-%s 0 would stand for its default: leave the flag out for that, or give a value", f.Name)
		}
	})
	return err
}

func isZeroNumber(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return v.Int() == 0
	case reflect.Float64:
		return v.Float() == 0
	}
	return false
}

// Explain returns, for a *field.Error in err's chain whose field a flag
// sets, the line naming the flag ("-lr -1 must be a finite number > 0"),
// and ok; for a *field.Error no flag sets, the field's own line
// ("UNetConfig.Base = -1 …", the package prefix left out), and ok; for any
// other error ok is false.
func (s *Set) Explain(err error) (line string, ok bool) {
	fe := field.As(err)
	if fe == nil {
		return "", false
	}
	if name, found := s.paths[fe.Path()]; found {
		return fmt.Sprintf("-%s %v %s", name, fe.Value, s.Rewrite(fe.Want)), true
	}
	return fmt.Sprintf("%s = %v %s", fe.Path(), fe.Value, s.Rewrite(fe.Want)), true
}

// Rewrite replaces, in msg, every field a flag sets named as a *field.Error
// names it (Owner.Field, a whole word) by the flag (-name): a library's
// message says which field to change ("or start from its weights
// (RunOptions.InitFrom)"), the command line's which flag.
func (s *Set) Rewrite(msg string) string {
	paths := slices.SortedFunc(maps.Keys(s.paths), func(a, b string) int { return len(b) - len(a) }) // longest first
	var b strings.Builder
	for i := 0; i < len(msg); {
		done := false
		if i == 0 || !wordByte(msg[i-1]) && msg[i-1] != '.' {
			for _, p := range paths {
				if strings.HasPrefix(msg[i:], p) && (i+len(p) == len(msg) || !wordByte(msg[i+len(p)])) {
					b.WriteString("-" + s.paths[p])
					i += len(p)
					done = true
					break
				}
			}
		}
		if !done {
			b.WriteByte(msg[i])
			i++
		}
	}
	return b.String()
}

func wordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// Overlay sets, in the struct *dst, every field of a flag given on the
// command line to its value in *src (of the same type), which must be what
// was bound ([Set.Bind] of src, or of a struct holding it): the command
// line then overrides a preset field by field. A tagged field of src whose
// flag is not bound to it is an error (the overlay would silently skip
// it), as are two types.
func (s *Set) Overlay(dst, src any) error {
	d, v := structOf(dst, true), structOf(src, true)
	if !d.IsValid() || !v.IsValid() || d.Type() != v.Type() {
		return fmt.Errorf("tagflag: Overlay wants two pointers to one struct type, not %T and %T", dst, src)
	}
	var err error
	s.walk(v, func(f tagged) {
		e := s.bound[f.name]
		switch {
		case err != nil:
		case e == nil || !e.has(f.v):
			err = fmt.Errorf("tagflag: Overlay: %s.%s (-%s) of %T is not bound to its flag: Bind it first", f.owner.Name(), f.sf.Name, f.name, src)
		case s.Given(f.name):
			d.FieldByIndex(f.index).Set(f.v)
		}
	})
	return err
}

// Defaults records, for the help, the default of every bound flag that a
// field of the struct def (or *def) sets: def is a configuration as the
// code that owns it completes it (a zero configuration's WithDefaults), so
// the help states each default where the code does.
func (s *Set) Defaults(def any) { s.DefaultsWhen("", def) }

// DefaultsWhen is [Set.Defaults] for a configuration completed under a
// condition, label ("images", "uvit"): the help says "X for label" when
// its value differs from the others. The flags named in except are not
// given a default by def (the flag the condition sets: -data for
// "images").
func (s *Set) DefaultsWhen(label string, def any, except ...string) {
	v := structOf(def, false)
	if !v.IsValid() {
		panic(fmt.Sprintf("tagflag.Defaults: %T is not a struct", def))
	}
	s.walk(v, func(f tagged) {
		e := s.bound[f.name]
		if e == nil || !e.keys[key(f.owner, f.sf.Name)] || slices.Contains(except, f.name) {
			return
		}
		s.defaults[f.name] = append(s.defaults[f.name], deflt{label: label, text: format(f.v), zero: f.v.IsZero()})
	})
}

// SetDefault states flag name's default in the help as text, for a default
// that is no field of a completed configuration (an exported constant of
// the owning package, formatted).
func (s *Set) SetDefault(name, text string) { s.fixed[name] = text }

// defaultText is the "(default …)" of flag f, or "".
func (s *Set) defaultText(f *flag.Flag, typ, usage string) string {
	if strings.Contains(usage, "(default") {
		return ""
	}
	if t, ok := s.fixed[f.Name]; ok {
		return " (default " + t + ")"
	}
	quote := func(t string) string {
		if typ == "string" {
			return strconv.Quote(t)
		}
		return t
	}
	if ds := s.defaults[f.Name]; len(ds) > 0 && !allZero(ds) {
		// One group per value, in order; the unlabelled default's value is
		// said without labels.
		type group struct {
			text   string
			labels []string
			base   bool
		}
		var groups []*group
		for _, d := range ds {
			if d.zero && s.bound[f.Name].zeroDefault {
				continue // 0 stands for the owner's own rule, not a value
			}
			i := slices.IndexFunc(groups, func(g *group) bool { return g.text == d.text })
			if i < 0 {
				groups, i = append(groups, &group{text: d.text}), len(groups)
			}
			if d.label == "" {
				groups[i].base = true
			} else {
				groups[i].labels = append(groups[i].labels, d.label)
			}
		}
		switch {
		case len(groups) == 0:
			return ""
		case len(groups) == 1:
			return " (default " + quote(groups[0].text) + ")"
		}
		var parts []string
		for _, g := range groups {
			p := quote(g.text)
			if !g.base {
				p += " for " + andList(g.labels)
			}
			parts = append(parts, p)
		}
		return " (default " + strings.Join(parts, "; ") + ")"
	}
	switch d := f.DefValue; {
	case d == "", d == "0", d == "false", d == "0s":
		return ""
	default:
		return " (default " + quote(d) + ")"
	}
}

func allZero(ds []deflt) bool {
	for _, d := range ds {
		if !d.zero {
			return false
		}
	}
	return true
}

// andList is "a", "a and b", "a, b and c".
func andList(l []string) string {
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " and " + l[len(l)-1]
}

// PrintDefaults prints every flag, its type and its usage, with one
// default: the usage's own "(default …)" when it states one in words, else
// [Set.SetDefault]'s, else those recorded by [Set.Defaults] and
// [Set.DefaultsWhen] unless all are zero (a value said once when all agree,
// else each with the labels it holds for; a zerodefault field's 0 stands
// for its owner's rule, not a value, and is left out), else the flag's
// value before parsing unless that is the zero of its type
// (flag.PrintDefaults's rule).
func (s *Set) PrintDefaults() {
	w := s.Output()
	s.VisitAll(func(f *flag.Flag) {
		var b strings.Builder
		fmt.Fprintf(&b, "  -%s", f.Name)
		typ, usage := s.typeName(f)
		if typ != "" {
			b.WriteString(" " + typ)
		}
		if b.Len() <= 4 {
			b.WriteString("\t")
		} else {
			b.WriteString("\n    \t")
		}
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		b.WriteString(s.defaultText(f, typ, usage))
		fmt.Fprintln(w, b.String())
	})
}

// typeName is the type shown after a flag's name (none for a bool) and its
// usage, as flag.UnquoteUsage gives them, with the kind of a bound field
// instead of "value".
func (s *Set) typeName(f *flag.Flag) (string, string) {
	inner := *f
	if g, ok := f.Value.(guarded); ok {
		inner.Value = g.Value
	}
	name, usage := flag.UnquoteUsage(&inner)
	e := s.bound[f.Name]
	if e == nil || strings.Contains(f.Usage, "`") {
		return name, usage
	}
	switch t := e.typ; {
	case t.Kind() == reflect.Bool:
		name = ""
	case t == durationType:
		name = "duration"
	case reflect.PointerTo(t).Implements(textUnmarshaler):
		name = "value"
	case t.Kind() == reflect.Slice:
		name = "list"
	case t.Kind() == reflect.Float64:
		name = "float"
	case t.Kind() == reflect.String:
		name = "string"
	default:
		name = "int"
	}
	return name, usage
}

// format is v as a flag reads it back: a text value's text, a list
// comma-separated.
func format(v reflect.Value) string {
	if v.Type().Implements(textMarshaler) {
		if b, err := v.Interface().(encoding.TextMarshaler).MarshalText(); err == nil {
			return string(b)
		}
	}
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}

// guarded is a flag's value that notes when it is set to "".
type guarded struct {
	flag.Value
	name string
	set  *Set
}

func (g guarded) Set(text string) error {
	if text == "" {
		g.set.empty[g.name] = true
	}
	return g.Value.Set(text)
}

func (g guarded) IsBoolFlag() bool {
	b, ok := g.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// value is the flag.Value of a bound entry: it sets every field of it.
type value struct {
	e *entry
	s *Set
}

func (x value) String() string {
	if x.e == nil || len(x.e.targets) == 0 {
		return ""
	}
	return format(x.e.targets[0])
}

func (x value) IsBoolFlag() bool { return x.e != nil && x.e.typ.Kind() == reflect.Bool }

func (x value) Set(text string) error {
	if text == "" {
		return nil // refused by Check, with the flag's name
	}
	v, err := parse(x.e.typ, text)
	if err != nil {
		return err
	}
	for _, t := range x.e.targets {
		t.Set(v)
	}
	return nil
}

// parse reads text as a value of type t (see [supported]).
func parse(t reflect.Type, text string) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	if t == durationType {
		d, err := time.ParseDuration(text)
		if err != nil {
			return v, fmt.Errorf("want a duration such as 90s, 8m or 1h30m")
		}
		v.SetInt(int64(d))
		return v, nil
	}
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return v, u.UnmarshalText([]byte(text))
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(text, 0, t.Bits())
		if err != nil {
			return v, fmt.Errorf("want an integer")
		}
		v.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return v, fmt.Errorf("want a number")
		}
		v.SetFloat(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return v, fmt.Errorf("want true or false")
		}
		v.SetBool(b)
	case reflect.Slice:
		parts := strings.Split(text, ",")
		list := reflect.MakeSlice(t, len(parts), len(parts))
		for i, p := range parts {
			p = strings.TrimSpace(p)
			if t.Elem().Kind() == reflect.String {
				list.Index(i).SetString(p)
				continue
			}
			n, err := strconv.Atoi(p)
			if err != nil {
				return v, fmt.Errorf("want comma-separated integers, such as 1,2,2 (%q is none)", p)
			}
			list.Index(i).SetInt(int64(n))
		}
		v.Set(list)
	}
	return v, nil
}
