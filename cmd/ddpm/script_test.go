package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 27, part 6: scripts/mnist-cpu-run.sh with odd arguments is refused
// in one line, exit 2, before it builds or creates anything ($OUT stays
// absent). Before, a NAME with a slash or a MINUTES of "abc" got through
// the build and failed later, a NAME of ".." put the run folder beside
// $OUT, and -dir among the flags silently overrode the script's own, so
// that it scored a folder that was not the run's.
func TestMNISTCPURunScriptArgs(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script, _ := filepath.Abs("../../scripts/mnist-cpu-run.sh")
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		args  []string
		want  string
		extra []string // environment
	}{
		{nil, "usage:", nil},
		{[]string{"only-name"}, "usage:", nil},
		{[]string{"a/b", "5"}, "NAME 'a/b'", nil},
		{[]string{"", "5"}, "NAME ''", nil},
		{[]string{"..", "5"}, "NAME '..'", nil},
		{[]string{"-model", "5"}, "NAME '-model'", nil},
		{[]string{"x y", "5"}, "NAME 'x y'", nil},
		{[]string{"n", "abc"}, "MINUTES 'abc'", nil},
		{[]string{"n", "0"}, "MINUTES '0'", nil},
		{[]string{"n", "-5"}, "MINUTES '-5'", nil},
		{[]string{"n", "5m"}, "MINUTES '5m'", nil},
		{[]string{"n", "1e9"}, "MINUTES '1e9'", nil},
		{[]string{"n", "5", "-dir", "elsewhere"}, "-dir is set by the script", nil},
		{[]string{"n", "5", "-dir=elsewhere"}, "-dir=elsewhere is set by the script", nil},
		{[]string{"n", "5", "-checkpoint-every", "10"}, "-checkpoint-every is set by the script", nil},
		{[]string{"n", "5", "--preset", "mnist-gpu"}, "--preset is set by the script", nil},
		{[]string{"n", "5"}, "PRESET 'mnist-gpu'", []string{"PRESET=mnist-gpu"}},
	} {
		cmd := exec.Command("bash", append([]string{script}, c.args...)...)
		cmd.Env = append(append(os.Environ(), "OUT="+out), c.extra...)
		b, err := cmd.CombinedOutput()
		msg := strings.TrimSpace(string(b))
		code := cmd.ProcessState.ExitCode()
		if err == nil || code != 2 || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%q: exit %d, output %q; want exit 2 and one line with %q", c.args, code, msg, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%q: $OUT was created", c.args)
		}
	}
}
