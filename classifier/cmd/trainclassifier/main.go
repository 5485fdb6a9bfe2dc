// Command trainclassifier trains the MNIST classifier of package classifier
// (the feature extractor of MNIST-FD) and writes its weights:
//
//	go run ./classifier/cmd/trainclassifier [-epochs 4] [-shift 2] [-seed 0] [-out classifier/mnist_classifier.ddpm]
//
// It prints the test accuracy after each epoch, on the 10,000 MNIST test images.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/internal/provenance"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trainclassifier", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	epochs := fs.Int("epochs", 4, "passes over the 60,000 training images")
	shift := fs.Int("shift", 2, "augmentation: random translations of up to this many pixels (negative: none)")
	batch := fs.Int("batch", 128, "batch size")
	lr := fs.Float64("lr", 2e-3, "Adam's peak learning rate (cosine decay to 0)")
	seed := fs.Int64("seed", 0, "seed of the initial weights and the batch order")
	dataDir := fs.String("data-dir", "", "folder of the MNIST IDX files (default: the GoMNIST module's copy)")
	out := fs.String("out", classifier.DefaultPath(), "weight file to write")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: trainclassifier [flags]: train the MNIST-FD classifier and write its weights")
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "trainclassifier: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "trainclassifier: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	backend, err := backendpkg.New()
	if err != nil {
		fmt.Fprintf(stderr, "trainclassifier: %v\n", err)
		return 1
	}
	cfg := classifier.TrainConfig{Epochs: *epochs, Batch: *batch, LearningRate: *lr, Seed: *seed, Shift: *shift, DataDir: *dataDir}
	fmt.Fprintf(stdout, "training the MNIST classifier (%d parameters) on %s: %+v\n", classifier.NumParameters, backendpkg.Name(), cfg.WithDefaults())
	store, meta, err := classifier.Train(backend, cfg, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "trainclassifier: %v\n", err)
		return 1
	}
	meta.Command = strings.TrimSpace("go run ./classifier/cmd/trainclassifier " + strings.Join(args, " "))
	meta.Backend = backendpkg.Name()
	meta.Hardware = provenance.Hardware()
	if err := classifier.Save(store, *out, meta); err != nil {
		fmt.Fprintf(stderr, "trainclassifier: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "test accuracy %.2f %% after %d epochs in %.0fs; weights %s\n", 100*meta.TestAccuracy, meta.Epochs, meta.WallSeconds, *out)
	return 0
}
