package ddpm

import (
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/pjrt"
)

// PlatformOf tells the backends apart by type, and DefaultDevices trains on
// one device on both CPU platforms.
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
		b.Finalize()
	}
	if SafeBackendConfig("go") != gomlxfix.GoSequential || SafeBackendConfig("xla:cpu") != "xla:cpu" {
		t.Error("SafeBackendConfig")
	}
}
