package nets

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/tagflag"
)

// netFlags is the registered network name's configuration as the command
// line sets it (internal/tagflag over the struct tags, as ddpm train binds
// every network): its zero configuration with args parsed into it, the
// flags' help blocks (by flag name, with the defaults For completes for
// spec) and the flag set, whose Explain names the flag of a field error.
func netFlags(t *testing.T, name string, spec Spec, args ...string) (Network, map[string]string, *tagflag.Set) {
	t.Helper()
	zero, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	p := reflect.New(reflect.TypeOf(zero))
	p.Elem().Set(reflect.ValueOf(zero))
	s := tagflag.New("train")
	s.SetOutput(io.Discard)
	s.Bind(p.Interface())
	if def, err := zero.For(spec); err == nil {
		s.Defaults(def)
	}
	var b strings.Builder
	s.SetOutput(&b)
	s.PrintDefaults()
	help := map[string]string{}
	for _, block := range strings.Split("\n"+b.String(), "\n  -")[1:] {
		help[strings.Fields(block)[0]] = strings.Join(strings.Fields(block), " ")
	}
	if err := s.Parse(args); err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return p.Elem().Interface().(Network), help, s
}

// checkFlags checks that the flags of a network are want's (flag → the
// owner and field a *field.Error gives, the default its help states, ""
// for none).
func checkFlags(t *testing.T, name string, help map[string]string, s *tagflag.Set, want map[string][3]string) {
	t.Helper()
	for flag, w := range want {
		line, _ := s.Explain(field.New("nets", w[0], w[1], "v", "is wrong"))
		if line != "-"+flag+" v is wrong" {
			t.Errorf("%s: the error of %s.%s reads %q, want it to name -%s", name, w[0], w[1], line, flag)
		}
		def := ""
		if _, d, ok := strings.Cut(help[flag], "(default "); ok {
			def = strings.TrimSuffix(d, ")")
		}
		if def != w[2] {
			t.Errorf("%s -%s: default %q, want %q (help %q)", name, flag, def, w[2], help[flag])
		}
	}
	if len(help) != len(want) {
		t.Errorf("%s: flags %v, want %d", name, help, len(want))
	}
}
