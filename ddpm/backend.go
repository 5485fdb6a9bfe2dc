package ddpm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
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

// BackendConfig returns the GoMLX backend configuration this process uses and
// why: $GOMLX_BACKEND when set ("go", "xla:cpu", "xla:cuda", …); otherwise
// XLA with the CUDA plugin when one is installed, then XLA with the CPU plugin,
// then GoMLX's pure-Go backend ("go").
func BackendConfig() (config, reason string) {
	if c := strings.TrimSpace(os.Getenv(compute.ConfigEnvVar)); c != "" {
		return SafeBackendConfig(c), "from $" + compute.ConfigEnvVar
	}
	plugins := pjrt.AvailablePlugins()
	for _, name := range []string{"cuda", "cpu"} {
		if path, ok := plugins[name]; ok {
			return "xla:" + name, "PJRT plugin " + filepath.Base(path)
		}
	}
	names := make([]string, 0, len(plugins))
	for n := range plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	why := "no XLA PJRT plugin found (run scripts/install-xla-cpu.sh for XLA CPU)"
	if len(names) > 0 {
		why = fmt.Sprintf("no cpu/cuda PJRT plugin among %v", names)
	}
	return SafeBackendConfig("go"), why
}

// SafeBackendConfig turns a bare "go" into "go:ops_sequential": the pure-Go
// backend's default parallel op scheduling can deadlock on a U-Net training
// step (see gomlxfix.SafeBackendConfig). An explicit option ("go:…") is left
// as given.
func SafeBackendConfig(config string) string { return gomlxfix.SafeBackendConfig(config) }

// Backend returns the process-wide compute backend, created on first use by
// [BackendConfig]'s choice, and prints that choice once on stderr (stdout
// with $DDPM_BACKEND_LOG=stdout, as in the notebooks). If an XLA
// backend was chosen automatically but fails to start, it falls back to the
// pure-Go backend and says so; an explicit $GOMLX_BACKEND that fails is an error.
func Backend() (compute.Backend, error) {
	backendOnce.Do(func() {
		config, reason := BackendConfig()
		backendVal, backendErr = compute.NewWithConfig(config)
		if backendErr != nil && os.Getenv(compute.ConfigEnvVar) == "" && config != SafeBackendConfig("go") {
			fmt.Fprintf(backendLog(), "ddpm: backend %q failed (%v); falling back to the pure-Go backend\n", config, backendErr)
			config, reason = SafeBackendConfig("go"), "fallback"
			backendVal, backendErr = compute.NewWithConfig(config)
		}
		if backendErr != nil {
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

// BackendLogVar names the environment variable that sends [Backend]'s line
// about its choice to standard output ("stdout") instead of standard error:
// the notebook kernel sets it, so that JupyterLab shows the line as an
// ordinary output, not in the red box of an error stream.
const BackendLogVar = "DDPM_BACKEND_LOG"

func backendLog() *os.File {
	if os.Getenv(BackendLogVar) == "stdout" {
		return os.Stdout
	}
	return os.Stderr
}

// BackendName is the configuration of the process-wide backend ("go",
// "xla:cpu", "xla:cuda", …), starting it if needed; "" if it failed.
func BackendName() string {
	_, _ = Backend()
	return backendCfg
}

// MustBackend is [Backend] for notebooks and tests: it panics on error.
func MustBackend() compute.Backend {
	b, err := Backend()
	if err != nil {
		panic(err)
	}
	return b
}

// DescribeBackend names b for logs and provenance: the configuration string
// ("xla:cpu", …) when b is the process-wide backend of [Backend], else b.Name().
func DescribeBackend(b compute.Backend) string {
	if b != nil && b == backendVal && backendCfg != "" {
		return backendCfg
	}
	return b.Name()
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
// every device of an accelerator backend (data-parallel, see [Trainer]), and
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
