// Package backend chooses the GoMLX compute backend this process runs on:
// $GOMLX_BACKEND when set, else XLA with the CUDA plugin, then XLA with the
// CPU plugin, then GoMLX's pure-Go backend; it checks the PJRT plugin files
// before go-xla loads them, says once which backend it picked and why, and
// names backends and their platforms for logs, provenance and benchmarks.
//
// It is infrastructure, not maths: package ddpm does not import it (its
// functions take a compute.Backend), so that the maths builds and is read
// without plugin discovery. Its messages start "ddpm: ", the name of the
// program the user runs (scripts/run_notebooks.py and scripts/gpu-notebook.sh
// read the "ddpm: backend …" line).
package backend

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	_ "github.com/ddpm-go/ddpm-go/internal/gomlxfix/klogquiet" // before go-xla's init: no start-up line when HOME is unset
	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // registers the pure-Go backend "go"
	"github.com/gomlx/go-xla/compute/xla"  // registers the XLA backend "xla"
	"github.com/gomlx/go-xla/pjrt"
)

func init() {
	// go-xla (v0.3.0, v0.4.1) downloads a PJRT plugin from GitHub the first time the
	// "xla" backend is asked for and none is installed; on a machine without
	// that network access it errors instead of falling back. We never want a
	// download at run time: scripts/install-xla-cpu.sh installs the plugin.
	xla.EnableAutoInstall(false)
}

var (
	backendOnce sync.Once
	backendVal  compute.Backend
	backendErr  error
	backendCfg  string
)

// Config returns the GoMLX backend configuration this process uses and
// why: $GOMLX_BACKEND when set ("go", "xla:cpu", "xla:cuda", …); otherwise
// XLA with the CUDA plugin when one is installed, then XLA with the CPU plugin,
// then GoMLX's pure-Go backend ("go").
//
// A file on the plugin search path that would make go-xla panic (it does for
// a file that is not a shared library, v0.4.1) makes the choice the pure-Go
// backend; [New] reports it as an error instead.
func Config() (config, reason string) {
	config, reason, err := backendConfig()
	if err != nil {
		return SafeConfig("go"), err.Error()
	}
	return config, reason
}

// backendConfig is [Config] with the environment's errors: an
// unknown $GOMLX_BACKEND, or a file on the PJRT plugin search path that is
// not a plugin.
func backendConfig() (config, reason string, err error) {
	if c := strings.TrimSpace(os.Getenv(compute.ConfigEnvVar)); c != "" {
		name, _, _ := strings.Cut(c, ":")
		known := compute.List()
		sort.Strings(known)
		if !slices.Contains(known, name) {
			return "", "", fmt.Errorf("ddpm: %s=%s: no such backend (this build has %s): use go, xla:cpu or xla:cuda, or unset %s to choose automatically",
				compute.ConfigEnvVar, c, strings.Join(known, ", "), compute.ConfigEnvVar)
		}
		if name == "xla" {
			if err := checkPluginFiles(); err != nil {
				return "", "", err
			}
		}
		return SafeConfig(c), "from $" + compute.ConfigEnvVar, nil
	}
	if err := checkPluginFiles(); err != nil {
		return "", "", err
	}
	plugins, err := availablePlugins()
	if err != nil {
		return "", "", err
	}
	for _, name := range []string{"cuda", "cpu"} {
		if path, ok := plugins[name]; ok {
			return "xla:" + name, "PJRT plugin " + filepath.Base(path), nil
		}
	}
	names := make([]string, 0, len(plugins))
	for n := range plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	why := "no XLA PJRT plugin found (run scripts/install-xla-cpu.sh for XLA CPU)"
	if v, ok := os.LookupEnv(pjrt.PJRTPluginPathsEnv); ok {
		// Set, go-xla searches its folders alone (even when it is empty).
		why = fmt.Sprintf("no XLA PJRT plugin on $%s=%q: only its folders are searched when it is set; unset it for the default folders", pjrt.PJRTPluginPathsEnv, v)
	}
	if len(names) > 0 {
		why = fmt.Sprintf("no cpu/cuda PJRT plugin among %v", names)
	}
	return SafeConfig("go"), why, nil
}

// availablePlugins is pjrt.AvailablePlugins with its panics (a plugin file
// that does not load: go-xla v0.4.1 closes a nil handle) as an error.
func availablePlugins() (plugins map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ddpm: searching for XLA PJRT plugins failed (%v): a file named like a plugin on %s does not load; remove it, or set %s=go", r, pluginPathsSource(), compute.ConfigEnvVar)
		}
	}()
	return pjrt.AvailablePlugins(), nil
}

// pluginPatterns are the names go-xla takes for PJRT plugins (Linux).
var pluginPatterns = []string{"pjrt-plugin-*.so", "pjrt_plugin_*.so", "pjrt_c_api_*_plugin.so"}

// pluginDirs are the folders go-xla (v0.4.1) searches for PJRT plugins:
// $PJRT_PLUGIN_LIBRARY_PATH alone when it is set, else its defaults and
// $LD_LIBRARY_PATH (the folders of /etc/ld.so.conf, which it also reads,
// are not checked here).
func pluginDirs() []string {
	if v, ok := os.LookupEnv(pjrt.PJRTPluginPathsEnv); ok {
		return slices.DeleteFunc(strings.Split(v, ":"), func(p string) bool { return p == "" })
	}
	var dirs []string
	if home, err := os.UserHomeDir(); err == nil {
		d := filepath.Join(home, ".local", "lib", "go-xla")
		dirs = append(dirs, d, filepath.Join(d, "nvidia"), filepath.Join(home, ".local", "lib", "gomlx", "pjrt"))
	}
	dirs = append(dirs, "/usr/local/lib/go-xla", "/usr/local/lib/go-xla/nvidia", "/usr/local/lib/gomlx/pjrt")
	for _, d := range strings.Split(os.Getenv("LD_LIBRARY_PATH"), ":") {
		if d != "" && filepath.IsAbs(d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// pluginPathsSource names where the plugin search path comes from, for messages.
func pluginPathsSource() string {
	if _, ok := os.LookupEnv(pjrt.PJRTPluginPathsEnv); ok {
		return "$" + pjrt.PJRTPluginPathsEnv
	}
	return "go-xla's plugin folders"
}

// checkPluginFiles finds, before go-xla tries to load them, the files named
// like a PJRT plugin on its search path that cannot be one: not a shared
// library of this machine's architecture. go-xla (v0.4.1) panics with a
// nil pointer on such a file after printing a warning; we name the file and
// what to do in one line instead.
func checkPluginFiles() error {
	for _, dir := range pluginDirs() {
		for _, pat := range pluginPatterns {
			files, _ := filepath.Glob(filepath.Join(dir, pat))
			for _, f := range files {
				if why := notAPlugin(f); why != "" {
					return fmt.Errorf("ddpm: %s (on %s) is not a PJRT plugin: %s; remove it or take its folder off %s, or set %s=go for the pure-Go backend",
						f, pluginPathsSource(), why, pjrt.PJRTPluginPathsEnv, compute.ConfigEnvVar)
				}
			}
		}
	}
	return nil
}

// notAPlugin says why the file at path cannot be a PJRT plugin for this
// process ("" when it may be one).
func notAPlugin(path string) string {
	// Only a regular file can be one; opening a FIFO would wait for a writer
	// (ours and dlopen's alike), a folder is no library.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Sprintf("a %s, not a shared library", map[bool]string{true: "folder", false: "FIFO, device or socket"}[st.IsDir()])
	}
	f, err := elf.Open(path)
	if err != nil {
		if _, serr := os.Stat(path); serr != nil {
			return "it cannot be read (a broken symlink?)"
		}
		return "not a shared library (no ELF header)"
	}
	defer f.Close()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	switch {
	case f.Type != elf.ET_DYN:
		return fmt.Sprintf("an ELF file of type %v, not a shared library", f.Type)
	case f.Class != elf.ELFCLASS64:
		return "a 32-bit library"
	case want != 0 && f.Machine != want:
		return fmt.Sprintf("built for %v, not this machine's %s", f.Machine, runtime.GOARCH)
	}
	return ""
}

// SafeConfig turns a bare "go" into "go:ops_sequential": the pure-Go
// backend's default parallel op scheduling can deadlock on a U-Net training
// step (see gomlxfix.SafeBackendConfig). An explicit option ("go:…") is left
// as given.
func SafeConfig(config string) string { return gomlxfix.SafeBackendConfig(config) }

// New returns the process-wide compute backend, created on first use by
// [Config]'s choice, and prints that choice once on stderr (stdout
// with $DDPM_BACKEND_LOG=stdout, as in the notebooks). If an XLA
// backend was chosen automatically but fails to start, it falls back to the
// pure-Go backend and says so; an explicit $GOMLX_BACKEND that fails is an error.
func New() (compute.Backend, error) {
	backendOnce.Do(func() {
		config, reason, err := backendConfig()
		if err != nil {
			backendErr = err
			return
		}
		backendVal, backendErr = newBackend(config)
		if backendErr != nil && os.Getenv(compute.ConfigEnvVar) == "" && config != SafeConfig("go") {
			fmt.Fprintf(backendLog(), "ddpm: backend %q failed (%v); falling back to the pure-Go backend\n", config, backendErr)
			config, reason = SafeConfig("go"), "fallback"
			backendVal, backendErr = newBackend(config)
		}
		if backendErr != nil {
			backendVal = nil
			backendErr = fmt.Errorf("ddpm: cannot start backend %q (%s): %w; set %s=go for the pure-Go backend", config, reason, backendErr, compute.ConfigEnvVar)
			return
		}
		backendCfg = config
		if PlatformOf(backendVal) == PlatformXLACPU && !fastAllocator() {
			reason += `; glibc malloc: XLA CPU training steps run ~1.5x slower than on jemalloc, eval "$(sh scripts/allocator-env.sh)" runs on it`
		}
		fmt.Fprintf(backendLog(), "ddpm: backend %s (%s)\n", config, reason)
	})
	return backendVal, backendErr
}

// LogVar names the environment variable that sends [New]'s line
// about its choice to standard output ("stdout") instead of standard error:
// the notebook kernel sets it, so that JupyterLab shows the line as an
// ordinary output, not in the red box of an error stream.
const LogVar = "DDPM_BACKEND_LOG"

func backendLog() *os.File {
	if os.Getenv(LogVar) == "stdout" {
		return os.Stdout
	}
	return os.Stderr
}

// newBackend is compute.NewWithConfig with its panics as errors.
func newBackend(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return compute.NewWithConfig(config)
}

// Name is the configuration of the process-wide backend ("go",
// "xla:cpu", "xla:cuda", …), starting it if needed; "" if it failed.
func Name() string {
	_, _ = New()
	return backendCfg
}

// Must is [New] for notebooks and tests: it panics on error.
func Must() compute.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}

// Describe names b for logs and provenance: the configuration string
// ("xla:cpu", "go:ops_sequential", …) when b is the process-wide backend of
// [New], else [NameOf](b).
func Describe(b compute.Backend) string {
	if b != nil && b == backendVal && backendCfg != "" {
		return backendCfg
	}
	return NameOf(b)
}

// NameOf names any backend as $GOMLX_BACKEND does, without its options:
// "go", "xla:cpu", "xla:cuda", … (from the PJRT plugin's name that go-xla's
// backends report; the Go backend's String() is "go", its Name() "Go Backend").
func NameOf(b compute.Backend) string {
	if p, ok := b.(interface{ PluginName() string }); ok && p.PluginName() != "" {
		return b.Name() + ":" + p.PluginName()
	}
	return b.String()
}

// NewWithConfig starts a backend of its own (not the process-wide one of
// [New]) from a $GOMLX_BACKEND-style configuration, with the panics of
// compute.NewWithConfig (an unknown backend name panics in this compute
// version) as errors. A bare "go" is taken as given: pass it through
// [SafeConfig] first for the deadlock workaround.
func NewWithConfig(config string) (compute.Backend, error) {
	b, err := newBackend(config)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", config, err)
	}
	return b, nil
}

// Platform is what a backend computes on.
type Platform int

const (
	PlatformGo             Platform = iota // GoMLX's pure-Go backend, on the host CPU
	PlatformXLACPU                         // XLA with the CPU plugin
	PlatformXLAAccelerator                 // XLA with another plugin: CUDA, …
)

func (p Platform) String() string {
	switch p {
	case PlatformGo:
		return "go"
	case PlatformXLACPU:
		return "xla:cpu"
	case PlatformXLAAccelerator:
		return "xla:accelerator"
	}
	return fmt.Sprintf("Platform(%d)", int(p))
}

// PlatformOf says what b computes on, from its PJRT plugin's name (go-xla's
// backends report it), not by matching a description string.
func PlatformOf(b compute.Backend) Platform {
	p, ok := b.(interface{ PluginName() string })
	switch {
	case !ok:
		return PlatformGo
	case p.PluginName() == "cpu":
		return PlatformXLACPU
	}
	return PlatformXLAAccelerator
}

// DefaultDevices is how many devices training uses unless told otherwise:
// every device of an accelerator backend (data-parallel: ddpm.TrainConfig.Devices), and
// one on CPU backends, whose "devices" share the same cores (XLA CPU exposes
// several host devices, but splitting a step over them adds no compute).
func DefaultDevices(b compute.Backend) int {
	if PlatformOf(b) != PlatformXLAAccelerator {
		return 1
	}
	return b.NumDevices()
}

// fastAllocator says whether this process runs on jemalloc or tcmalloc:
// XLA CPU allocates a step's temporaries on every call, and glibc returns
// large blocks to the OS, whose page zeroing then costs a third of a U-Net
// step (scripts/allocator-env.sh; the README's speed section).
func fastAllocator() bool {
	maps, err := os.ReadFile("/proc/self/maps")
	return err != nil || bytes.Contains(maps, []byte("libjemalloc")) || bytes.Contains(maps, []byte("libtcmalloc"))
}
