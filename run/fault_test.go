package run

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/gomlx/ml/model"
)

// The fault-injection test runs a tiny training in a child process (this
// test binary, re-executed with faultChildEnv set) and kills it with
// SIGKILL, at named points (package internal/fault) and at random moments.
const faultChildEnv = "DDPM_FAULT_CHILD_DIR"

var (
	faultCfg  = recipe.Config{Data: "moons", Network: nets.MLPConfig{Hidden: 16, Layers: 2}, Batch: 32, TrainConfig: ddpm.TrainConfig{Seed: 3}}
	faultOpts = Options{Steps: 60, CheckpointEvery: 5, Keep: 2}
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(faultChildEnv); dir != "" {
		// As the CLI does: SIGINT and SIGTERM end the run cleanly (exit 130),
		// a run already complete is not a failure.
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		fmt.Println("ready") // the parent signals only after this
		opt := faultOpts
		opt.Dir = dir
		opt.Interrupt = sigs
		var done *AlreadyDone
		var intr *Interrupted
		switch _, err := Train(backendpkg.Must(), faultCfg, opt); {
		case errors.As(err, &intr):
			fmt.Fprintln(os.Stderr, err)
			os.Exit(130)
		case errors.As(err, &done):
		case err != nil:
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child starts the training child in dir with DDPM_FAULT=fault ("" for none).
func child(t *testing.T, dir, fault string) *exec.Cmd {
	cmd, _ := startChild(t, dir, fault)
	return cmd
}

// startChild is child, returning its standard error too, once the child
// has installed its signal handler.
func startChild(t *testing.T, dir, fault string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// The pure-Go backend starts in milliseconds (XLA takes about 2 s to load
	// and compile), which keeps the test short; DDPM_FAULT_BACKEND chooses another.
	backend := cmp.Or(os.Getenv("DDPM_FAULT_BACKEND"), "go")
	cmd.Env = append(os.Environ(), faultChildEnv+"="+dir, "DDPM_FAULT="+fault, "GOMLX_BACKEND="+backend)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make([]byte, len("ready\n"))
	if _, err := io.ReadFull(out, ready); err != nil || string(ready) != "ready\n" {
		t.Fatalf("the child did not start (%q, %v)", ready, err)
	}
	go io.Copy(io.Discard, out)
	t.Cleanup(func() {
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("child stderr (%s): %s", fault, stderr.String())
		}
	})
	return cmd, &stderr
}

// killed says whether a child ended by SIGKILL.
func killed(err error) bool {
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			return ws.Signaled() && ws.Signal() == syscall.SIGKILL
		}
	}
	return false
}

func TestKillAndResumeIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns training processes")
	}
	root := t.TempDir()
	straight := filepath.Join(root, "straight")
	t0 := time.Now()
	if err := child(t, straight, "").Wait(); err != nil {
		t.Fatalf("straight run: %v", err)
	}
	d := time.Since(t0)

	kills := 0
	// Named points: between the checkpoint and the loss log, half-way through
	// a checkpoint's bytes, before pruning, after the last step; each n-th
	// time it is reached in that child.
	named := filepath.Join(root, "named")
	for _, f := range []string{"run-before-loss-log@1", "atomicfile-mid-write@2", "run-before-loss-log@3",
		"ckpt-before-prune@2", "atomicfile-mid-write@5", "run-before-loss-log@2", "run-end@1"} {
		err := child(t, named, f).Wait()
		if !killed(err) {
			t.Fatalf("%s: the child was not killed there (%v)", f, err)
		}
		kills++
	}
	// Random moments, each run resumed by the next, in fresh folders until 8
	// kills have landed (a resume close to the end may finish first).
	var dirs = []string{named}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	for landed, tries := 0, 0; landed < 8 && tries < 60; {
		dir := filepath.Join(root, fmt.Sprintf("random%d", len(dirs)))
		dirs = append(dirs, dir)
		for ; landed < 8 && tries < 60; tries++ {
			cmd := child(t, dir, "")
			time.Sleep(time.Duration(rng.Float64() * float64(d)))
			_ = cmd.Process.Signal(syscall.SIGKILL)
			if err := cmd.Wait(); !killed(err) {
				break // it finished: the folder's run is complete
			}
			landed++
			kills++
		}
	}
	for _, dir := range dirs {
		resumeAndCompare(t, straight, dir)
	}
	if kills < 10 {
		t.Errorf("only %d kills landed, want ≥ 10", kills)
	}
	t.Logf("%d kills (7 at named points, %d at random moments within the %v of a straight run) in %d folders: every resume bit-identical", kills, kills-7, d.Round(time.Millisecond), len(dirs))
}

// resumeAndCompare finishes the run in dir and compares it with the
// straight run: every tensor of the weights and of the last checkpoint bit
// for bit, loss.csv byte for byte, no temporary file left.
func resumeAndCompare(t *testing.T, straight, dir string) {
	t.Helper()
	{
		if err := child(t, dir, "").Wait(); err != nil {
			t.Fatalf("%s: final resume: %v", dir, err)
		}
		sameTensors(t, filepath.Join(straight, "weights.ddpm"), filepath.Join(dir, "weights.ddpm"))
		sameTensors(t, filepath.Join(straight, "ckpt-000000060.ddpm"), filepath.Join(dir, "ckpt-000000060.ddpm"))
		want, _ := os.ReadFile(filepath.Join(straight, "loss.csv"))
		got, err := os.ReadFile(filepath.Join(dir, "loss.csv"))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: loss.csv differs from the straight run's (%d vs %d rows)", dir, bytes.Count(got, []byte("\n")), bytes.Count(want, []byte("\n")))
		}
		if rows := bytes.Count(got, []byte("\n")); rows != int(faultOpts.Steps)+1 {
			t.Errorf("%s: loss.csv has %d lines, want a header and %d rows", dir, rows, faultOpts.Steps)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if atomicfile.IsTemp(e.Name()) || strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("%s: temporary file %s left", dir, e.Name())
			}
		}
	}
}

var interruptLine = regexp.MustCompile(`(?m)^interrupted at step (\d+); the same command resumes\n\z`)

// SIGINT (and SIGTERM) at random moments: each run ends with exit code 130
// and the one line naming the step, having checkpointed exactly that step
// (nothing since the last periodic checkpoint is lost) with a loss log of
// that many rows; resumed, every folder ends bit-identical to the straight
// run with the same loss.csv.
func TestInterruptAndResumeIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns training processes")
	}
	root := t.TempDir()
	straight := filepath.Join(root, "straight")
	t0 := time.Now()
	if err := child(t, straight, "").Wait(); err != nil {
		t.Fatalf("straight run: %v", err)
	}
	d := time.Since(t0)
	rng := rand.New(rand.NewPCG(2, uint64(time.Now().UnixNano())))
	var dirs []string
	landed := 0
	for tries := 0; landed < 8 && tries < 60; {
		dir := filepath.Join(root, fmt.Sprintf("sigint%d", len(dirs)))
		dirs = append(dirs, dir)
		for ; landed < 8 && tries < 60; tries++ {
			cmd, stderr := startChild(t, dir, "")
			time.Sleep(time.Duration(rng.Float64() * float64(d)))
			sig := os.Interrupt
			if landed == 3 {
				sig = syscall.SIGTERM
			}
			_ = cmd.Process.Signal(sig)
			err := cmd.Wait()
			if err == nil {
				break // it had finished: the folder's run is complete
			}
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
				t.Fatalf("%s: %v: exit %v, want 130 (stderr %q)", dir, sig, err, stderr.String())
			}
			_, msg, _ := strings.Cut(stderr.String(), "\n") // after the backend's line
			m := interruptLine.FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("%s: stderr %q, want one line \"interrupted at step N; the same command resumes\"", dir, msg)
			}
			n, _ := strconv.ParseInt(m[1], 10, 64)
			r := &ckpt.Run{Dir: dir}
			if s, _, ok, _ := r.Latest(); !ok || s != n {
				t.Errorf("%s: interrupted at step %d, newest checkpoint %d", dir, n, s)
			}
			if log, _ := os.ReadFile(filepath.Join(dir, "loss.csv")); bytes.Count(log, []byte("\n")) != int(n)+1 {
				t.Errorf("%s: interrupted at step %d, loss.csv has %d lines", dir, n, bytes.Count(log, []byte("\n")))
			}
			if _, err := os.Stat(filepath.Join(dir, "weights.ddpm")); err == nil {
				t.Errorf("%s: an interrupted run wrote its weights", dir)
			}
			landed++
		}
	}
	for _, dir := range dirs {
		resumeAndCompare(t, straight, dir)
	}
	if landed < 6 {
		t.Errorf("only %d interrupts landed, want ≥ 6", landed)
	}
	t.Logf("%d interrupts (SIGINT, one SIGTERM) at random moments within the %v of a straight run, in %d folders: every resume bit-identical", landed, d.Round(time.Millisecond), len(dirs))
}

// sameTensors compares every variable of two checkpoint files, bit for bit.
func sameTensors(t *testing.T, a, b string) {
	t.Helper()
	sa, sb := model.NewStore(), model.NewStore()
	if _, err := ckpt.Load(sa, a); err != nil {
		t.Fatal(err)
	}
	if _, err := ckpt.Load(sb, b); err != nil {
		t.Fatal(err)
	}
	n := 0
	for va := range sa.IterVariables() {
		vb := sb.GetVariable(va.Path())
		if vb == nil {
			t.Errorf("%s: variable %s missing", b, va.Path())
			continue
		}
		var ba, bb []byte
		_ = va.MustValue().ConstBytes(func(x []byte) { ba = bytes.Clone(x) })
		_ = vb.MustValue().ConstBytes(func(x []byte) { bb = bytes.Clone(x) })
		if !va.Shape().Equal(vb.Shape()) || !bytes.Equal(ba, bb) {
			t.Errorf("%s: variable %s differs from the straight run's", b, va.Path())
		}
		n++
	}
	if n == 0 {
		t.Errorf("%s: no variables", a)
	}
}
