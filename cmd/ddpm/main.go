// Command ddpm is the command line of ddpm-go: flag parsing, one package
// call per command and printing, one file per command (schedule.go →
// ddpm.NewSchedule, train.go → run.Plan and run.Prepared.Train (its
// recipe flags in configflags.go), sample.go → trained.Model.SampleMany,
// eval.go → eval.Prepare and eval.Prepared.Run, figures.go → package figures, bench.go → bench.Run), each registered in [commands].
// Run "ddpm <command> -h" for each command's flags.
package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is every command of ddpm, by name.
var commands = map[string]command{
	"schedule": {"print a noise schedule's float64 tables (text or -json)", runSchedule},
	"train":    {"train an ε-network (Algorithm 1) with checkpoints and exact resume", runTrain},
	"sample":   {"draw samples from trained weights (ancestral, ddim, langevin) into a PNG", runSample},
	"eval":     {"sample-based metrics with their floors (sliced W1, MMD; for images the NLL bound and a classifier's Fréchet distance, e.g. MNIST-FD)", runEval},
	"figures":  {"regenerate the README's figures (schedules, forward, posterior, Langevin, samples)", runFigures},
	"bench":    {"time ddpm-go's nets against the PyTorch peer (bench/peer.py) and write bench/results.json", runBench},
}

func main() {
	// A panic is a bug, but the user still gets one line, not a stack trace
	// (DDPM_TRACEBACK=1 shows it).
	if os.Getenv("DDPM_TRACEBACK") == "" {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(os.Stderr, "ddpm: internal error: %s (please report it; DDPM_TRACEBACK=1 shows where)\n", strings.Join(strings.Fields(fmt.Sprint(r)), " "))
				os.Exit(1)
			}
		}()
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a command and returns the exit code: 0 ok, 1 failure,
// 2 usage error (bad command or flags).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ddpm: unknown command %q: use one of %s (ddpm -h for help)\n", args[0], strings.Join(slices.Sorted(maps.Keys(commands)), ", "))
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ddpm <command> [flags]   (ddpm <command> -h for its flags)")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
