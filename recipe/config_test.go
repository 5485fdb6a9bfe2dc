package recipe

import (
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/nets"
)

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Data: "spiral"}, "unknown data \"spiral\""},
		{Config{Data: "moons", Network: nets.UNetConfig{}}, "network unet is not for moons: use mlp"},
		{Config{Data: MNIST, Network: nets.MLPConfig{}}, "network mlp is not for mnist: use s2d-unet or unet or uvit"},
		{Config{TrainConfig: ddpm.TrainConfig{Prediction: ddpm.Prediction(7)}}, "is not a target"},
		{Config{Schedule: ddpm.ScheduleConfig{T: -1}}, "ScheduleConfig.T = -1 must lie in [1, 100000]"},
		{Config{Batch: -4}, "Config.Batch = -4 must lie in [1,"},
		{Config{TrainConfig: ddpm.TrainConfig{MinSNRGamma: -1}}, "TrainConfig.MinSNRGamma = -1 must be a positive finite number"},
		{Config{Data: MNIST, Network: nets.UNetConfig{ImageSize: 32}}, "UNetConfig.ImageSize = 32 contradicts the data"},
	} {
		if _, err := c.cfg.WithDefaults(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
	if _, err := (Config{Data: "swissroll", TrainConfig: ddpm.TrainConfig{NumClasses: 8}}).WithDefaults(); err == nil {
		t.Error("num_classes accepted for unlabelled data")
	}
}
