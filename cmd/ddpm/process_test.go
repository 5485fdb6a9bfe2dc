package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests here run the command in a child process (this test binary,
// running TestCLIChild), for what needs a process of its own: signals,
// another user, another environment.

const cliChildEnv = "DDPM_CLI_CHILD_ARGS"

// TestCLIChild is the child of the tests below: it runs the command line
// given as JSON in $DDPM_CLI_CHILD_ARGS and exits with its code.
func TestCLIChild(t *testing.T) {
	raw := os.Getenv(cliChildEnv)
	if raw == "" {
		t.Skip("the child process of the process tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		panic(err)
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

// cli is the command "ddpm args…" as a child process in dir with env added.
func cli(t *testing.T, exe, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	j, _ := json.Marshal(args)
	cmd := exec.Command(exe, "-test.run=^TestCLIChild$")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), cliChildEnv+"="+string(j)), env...)
	return cmd
}

// signalledBy says whether a child ended by signal s (its default action).
func signalledBy(err error, s syscall.Signal) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			return ws.Signaled() && ws.Signal() == s
		}
	}
	return false
}

// startUntil starts cmd and returns once a line of its standard output
// starts with prefix (the rest of the output is discarded).
func startUntil(t *testing.T, cmd *exec.Cmd, prefix string) *bytes.Buffer {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			go io.Copy(io.Discard, out)
			return &stderr
		}
	}
	cmd.Wait()
	t.Fatalf("no line %q from the child; stderr %q", prefix, stderr.String())
	return nil
}

// waitFor waits for cmd at most d (starting it first if it is not).
func waitFor(t *testing.T, cmd *exec.Cmd, d time.Duration) error {
	t.Helper()
	if cmd.Process == nil {
		if err := cmd.Start(); err != nil {
			return err
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		t.Fatalf("the child did not end within %v", d)
		return nil
	}
}

// Issue 27, part 1: a signal always stops the program. While train reads
// its inputs and times the machine (Plan: here the mnist-cpu preset's
// probe, before anything is created) SIGTERM ends it at once, with no
// folder left; before, the handler that lets training finish its step was
// installed first, and the signal was held until the first step had run.
func TestSignalWhilePlanningStops(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a training process")
	}
	dir := t.TempDir()
	cmd := cli(t, os.Args[0], dir, nil, "train", "-preset", "mnist-cpu", "-dir", "run", "-quiet")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // loading MNIST or compiling the probe
	cmd.Process.Signal(syscall.SIGTERM)
	t0 := time.Now()
	err := waitFor(t, cmd, 60*time.Second)
	if !signalledBy(err, syscall.SIGTERM) {
		t.Errorf("SIGTERM while planning: %v (after %v), stderr %q; want the process ended by the signal", err, time.Since(t0), stderr.String())
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("SIGTERM while planning: the process ended %v after the signal", d)
	}
	if _, err := os.Stat(filepath.Join(dir, "run")); err == nil {
		t.Error("a run folder was created")
	}
}

// Issue 27, part 6: SIGINT while the first step compiles (before it has
// run): the run finishes that step, checkpoints it and stops with the one
// line and exit code 130, and the same command resumes; a second signal
// stops the program at once.
func TestSignalDuringCompilation(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns training processes")
	}
	dir := t.TempDir()
	args := []string{"train", "-data", "mnist", "-base", "8", "-mults", "1,2", "-batch", "8", "-steps", "3", "-dir", "run", "-quiet"}
	cmd := cli(t, os.Args[0], dir, nil, args...)
	stderr := startUntil(t, cmd, "training ")
	cmd.Process.Signal(os.Interrupt)
	err := waitFor(t, cmd, 5*time.Minute)
	msg := strings.TrimSpace(stderr.String())
	if cmd.ProcessState.ExitCode() != 130 || !strings.HasSuffix(msg, "interrupted at step 1; the same command resumes") {
		t.Fatalf("SIGINT before the first step: %v, stderr %q; want exit 130 and the one line", err, msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "ckpt-000000001.ddpm")); err != nil {
		t.Errorf("no checkpoint of step 1: %v", err)
	}

	// Twice: the second signal ends the process by its default action.
	cmd = cli(t, os.Args[0], dir, nil, append(args[:len(args)-3:len(args)-3], "-dir", "run2", "-quiet")...)
	startUntil(t, cmd, "training ")
	cmd.Process.Signal(os.Interrupt)
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	if err := waitFor(t, cmd, time.Minute); !signalledBy(err, syscall.SIGINT) {
		t.Errorf("a second SIGINT while compiling: %v; want the process ended by it", err)
	}

	// The same command resumes the first folder to its end.
	var out, errb bytes.Buffer
	c := cli(t, os.Args[0], dir, nil, args...)
	c.Stdout, c.Stderr = &out, &errb
	if err := waitFor(t, c, 5*time.Minute); err != nil || !strings.Contains(errb.String(), "resuming from step 1") {
		t.Errorf("the same command after the interrupt: %v, stderr %q", err, errb.String())
	}
}
