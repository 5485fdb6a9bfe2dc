package nb

import (
	"errors"
	"testing"
)

func TestQuickAndSteps(t *testing.T) {
	t.Setenv("DDPM_QUICK", "1")
	if !Quick() || Steps(1000, 10) != 10 {
		t.Error("quick mode not seen")
	}
	t.Setenv("DDPM_QUICK", "0")
	if Quick() || Steps(1000, 10) != 1000 {
		t.Error("DDPM_QUICK=0 should be full mode")
	}
}

func TestMustAndPNGPanicOnError(t *testing.T) {
	if Must(3, nil) != 3 {
		t.Error("Must")
	}
	defer func() {
		if recover() == nil {
			t.Error("PNG with an error did not panic")
		}
	}()
	PNG(nil, errors.New("boom"))
}
