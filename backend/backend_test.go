package backend

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/pjrt"
)

// PlatformOf tells the backends apart by type, NameOf names them as
// $GOMLX_BACKEND does, and DefaultDevices trains on one device on both CPU
// platforms.
func TestPlatformOf(t *testing.T) {
	configs := map[string]Platform{gomlxfix.GoSequential: PlatformGo}
	if _, ok := pjrt.AvailablePlugins()["cpu"]; ok {
		configs["xla:cpu"] = PlatformXLACPU
	}
	for config, want := range configs {
		b, err := compute.NewWithConfig(config)
		if err != nil {
			t.Fatal(err)
		}
		if got := PlatformOf(b); got != want {
			t.Errorf("PlatformOf(%s) = %v, want %v", config, got, want)
		}
		if n := DefaultDevices(b); n != 1 {
			t.Errorf("DefaultDevices(%s) = %d, want 1 on a CPU", config, n)
		}
		// Named as $GOMLX_BACKEND names it, options left out.
		if name, wantName := NameOf(b), map[Platform]string{PlatformGo: "go", PlatformXLACPU: "xla:cpu"}[want]; name != wantName {
			t.Errorf("NameOf(%s) = %q, want %q", config, name, wantName)
		}
		b.Finalize()
	}
	if SafeConfig("go") != gomlxfix.GoSequential || SafeConfig("xla:cpu") != "xla:cpu" {
		t.Error("SafeConfig")
	}
}

const backendChildEnv = "DDPM_BACKEND_CHILD"

// TestBackendChild is the child process of TestBackendEnvErrors: it starts
// the backend from the environment it was given and prints the outcome.
func TestBackendChild(t *testing.T) {
	if os.Getenv(backendChildEnv) == "" {
		t.Skip("the child of TestBackendEnvErrors")
	}
	b, err := New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERR", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "OK", Describe(b))
	os.Exit(0)
}

// An unknown $GOMLX_BACKEND and a file on $PJRT_PLUGIN_LIBRARY_PATH that is
// not a plugin are one-line errors naming the variable or the file and what
// to do (they were a recovered panic and a nil-pointer panic after a go-xla
// warning). Each runs in a child process: go-xla reads the plugin path once.
func TestBackendEnvErrors(t *testing.T) {
	junk := t.TempDir()
	plugin := filepath.Join(junk, "pjrt_c_api_junk_plugin.so")
	if err := os.WriteFile(plugin, []byte("not a plugin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := t.TempDir() // an ELF file, but an executable, not a shared library
	self, _ := os.Executable()
	if raw, err := os.ReadFile(self); err == nil {
		os.WriteFile(filepath.Join(exe, "pjrt_c_api_cpu_plugin.so"), raw, 0o755)
	}
	for _, c := range []struct {
		env  []string
		want []string // in the one line
	}{
		{[]string{"GOMLX_BACKEND=nonsense"}, []string{"GOMLX_BACKEND=nonsense", "no such backend", "use go"}},
		{[]string{"GOMLX_BACKEND=", "PJRT_PLUGIN_LIBRARY_PATH=" + junk}, []string{plugin, "PJRT_PLUGIN_LIBRARY_PATH", "not a PJRT plugin", "remove it"}},
		{[]string{"GOMLX_BACKEND=xla:cpu", "PJRT_PLUGIN_LIBRARY_PATH=" + junk}, []string{plugin, "not a PJRT plugin"}},
		{[]string{"GOMLX_BACKEND=", "PJRT_PLUGIN_LIBRARY_PATH=" + exe}, []string{"pjrt_c_api_cpu_plugin.so", "not a shared library"}},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBackendChild$")
		cmd.Env = append(os.Environ(), append([]string{backendChildEnv + "=1"}, c.env...)...)
		out, _ := cmd.CombinedOutput()
		text := strings.TrimRight(string(out), "\n")
		if strings.Count(text, "\n") != 0 || !strings.HasPrefix(text, "ERR ddpm: ") {
			t.Errorf("%v: output %q, want one line \"ERR ddpm: …\"", c.env, text)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%v: %q lacks %q", c.env, text, w)
			}
		}
		if strings.Contains(text, "panic") || strings.Contains(text, "nil pointer") {
			t.Errorf("%v: %q", c.env, text)
		}
	}
	// The pure-Go backend does not look at plugins.
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackendChild$")
	cmd.Env = append(os.Environ(), backendChildEnv+"=1", "GOMLX_BACKEND=go", "PJRT_PLUGIN_LIBRARY_PATH="+junk)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "OK go") {
		t.Errorf("GOMLX_BACKEND=go beside a junk plugin: %v: %s", err, out)
	}
}

// NewWithConfig turns compute's panic on an unknown backend name into an
// error that names the configuration.
func TestNewWithConfigError(t *testing.T) {
	b, err := NewWithConfig("no-such-backend")
	if err == nil || b != nil || !strings.Contains(err.Error(), `backend "no-such-backend"`) {
		t.Errorf("NewWithConfig(no-such-backend) = %v, %v; want an error naming it", b, err)
	}
}
