package main

import (
	"fmt"
	"os"

	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/experiment"
)

// evalPreflight loads, before sampling (minutes to hours), everything that
// evaluate needs after it: the test images, and for MNIST the training
// images and the classifier. A bad -data-dir or -classifier then fails at
// once instead of after the samples are drawn.
func evalPreflight(m *experiment.Model, o experiment.EvalConfig) error {
	if o.Steps > m.Schedule.T {
		return badFlag("-steps %d: these weights have T=%d diffusion steps, use at most %d", o.Steps, m.Schedule.T, m.Schedule.T)
	}
	if !m.Config.IsImage() {
		return nil
	}
	if m.Config.Data != experiment.MNIST {
		cfg := m.Config
		if o.DataDir != "" {
			cfg.DataDir = o.DataDir
		}
		_, err := experiment.LoadImages(cfg, "test")
		return err
	}
	dir := o.DataDir
	if dir == "" {
		if _, err := os.Stat(m.Config.DataDir); m.Config.DataDir != "" && err == nil {
			dir = m.Config.DataDir
		}
	}
	for _, split := range []string{"test", "train"} {
		if _, _, err := classifier.MNIST(dir, split); err != nil {
			return err
		}
	}
	if _, _, err := classifier.Load(o.Classifier); err != nil {
		return fmt.Errorf("MNIST-FD needs the classifier weights (-classifier; go run ./classifier/cmd/trainclassifier writes them): %w", err)
	}
	return nil
}
