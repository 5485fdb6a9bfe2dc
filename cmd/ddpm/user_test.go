package main

import (
	"bytes"
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

// otherUser prepares what the tests below need to run the command as
// another, unprivileged user: a folder that user can enter, holding a copy
// of this test binary and of the tiny weights, and the credential to run
// with (nil when this process is not root: it has no privilege to drop,
// and the files' modes alone keep it out). It skips when this process is
// root but cannot start a child as another user (no CAP_SETUID).
func otherUser(t *testing.T) (root, exe, weights string, cred *syscall.Credential) {
	t.Helper()
	root, err := os.MkdirTemp("", "ddpm-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(root)
	})
	os.Chmod(root, 0o755)
	copyFile := func(src, dst string, mode os.FileMode) {
		in, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		out.Close()
		os.Chmod(dst, mode)
	}
	exe = filepath.Join(root, "ddpm.test")
	copyFile(os.Args[0], exe, 0o755)
	weights = filepath.Join(root, "w.ddpm")
	copyFile("../../trained/testdata/tiny-weights.ddpm", weights, 0o644)
	if os.Getuid() == 0 {
		cred = &syscall.Credential{Uid: 65534, Gid: 65534} // nobody
		probe := exec.Command(exe, "-test.run=^$")
		probe.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := probe.CombinedOutput(); err != nil {
			t.Skipf("cannot run a child as uid 65534: %v %s", err, out)
		}
	}
	return root, exe, weights, cred
}

// asUser runs "ddpm args…" in dir as the user of cred (nil: this one) with
// env added, and returns its exit code and standard error.
func asUser(t *testing.T, exe, dir string, cred *syscall.Credential, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := cli(t, exe, dir, append([]string{"GOMLX_BACKEND=go", "HOME=" + filepath.Dir(exe)}, env...), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err := waitFor(t, cmd, 2*time.Minute)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	// train names its backend in a line of its own first.
	msg := strings.TrimSpace(stderr.String())
	if first, rest, ok := strings.Cut(msg, "\n"); ok && strings.HasPrefix(first, "ddpm: backend ") {
		msg = rest
	}
	return cmd.ProcessState.ExitCode(), msg
}

// Issue 27, part 6: permissions as a non-root user (the probe ran as root,
// which every permission lets through). An unreadable weight file, a
// read-only current folder for the default output, and a read-only run
// folder on resume are each refused in one line naming the file or folder,
// before any work, and nothing changes.
func TestPermissionsAsAnotherUser(t *testing.T) {
	root, exe, weights, cred := otherUser(t)
	unreadable := filepath.Join(root, "unreadable.ddpm")
	b, _ := os.ReadFile(weights)
	os.WriteFile(unreadable, b, 0o600)
	os.Chmod(unreadable, 0)
	outDir := filepath.Join(root, "out")
	os.Mkdir(outDir, 0o777)
	os.Chmod(outDir, 0o777)
	roDir := filepath.Join(root, "ro")
	os.Mkdir(roDir, 0o555)
	// A run folder of this user's, 6 steps, then made read-only.
	runDir := filepath.Join(root, "run")
	train := []string{"train", "-data", "moons", "-hidden", "8", "-batch", "16", "-dir", runDir, "-quiet"}
	if code, msg := asUser(t, exe, root, nil, nil, append(train, "-steps", "6")...); code != 0 {
		t.Fatalf("setting up the run folder: %d %s", code, msg)
	}
	filepath.WalkDir(runDir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			os.Chmod(p, map[bool]os.FileMode{true: 0o555, false: 0o444}[d.IsDir()])
		}
		return nil
	})

	for _, c := range []struct {
		name string
		dir  string
		args []string
		code int
		want []string
	}{
		{"unreadable weights", outDir, []string{"sample", "-weights", unreadable, "-out", filepath.Join(outDir, "s.png")}, 1, []string{unreadable, "permission denied"}},
		{"read-only current folder, default -out", roDir, []string{"sample", "-weights", weights}, 2, []string{"-out samples.png", "cannot write in folder", "permission denied"}},
		{"read-only run folder on resume", outDir, append(train, "-steps", "9"), 2, []string{"run folder " + runDir, "cannot write in folder", "permission denied"}},
	} {
		before := tree(t, root)
		code, msg := asUser(t, exe, c.dir, cred, nil, c.args...)
		if code != c.code || strings.Contains(msg, "\n") || strings.Contains(msg, "panic") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and one line", c.name, code, msg, c.code)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", c.name, msg, w)
			}
		}
		if after := tree(t, root); after != before {
			t.Errorf("%s: files changed", c.name)
		}
		t.Logf("%s → %d %s", c.name, code, msg)
	}
}

// Issue 27, part 6: HOME and TMPDIR unset, missing or read-only. Sampling
// needs neither (the backend's plugin search skips a home it cannot find),
// so each of these environments samples and writes its PNG, saying only
// which backend it chose; run on the default backend, as a user would.
func TestHomeAndTmpdirOddities(t *testing.T) {
	root, exe, weights, cred := otherUser(t)
	roDir := filepath.Join(root, "ro")
	os.Mkdir(roDir, 0o555)
	outDir := filepath.Join(root, "out")
	os.Mkdir(outDir, 0o777)
	os.Chmod(outDir, 0o777)
	for i, env := range [][]string{
		{"HOME="}, {"HOME=/nonexistent/home"}, {"HOME=" + roDir},
		{"TMPDIR="}, {"TMPDIR=/nonexistent/tmp"}, {"TMPDIR=" + roDir},
	} {
		name, _, _ := strings.Cut(env[0], "=")
		var unset []string
		if strings.HasSuffix(env[0], "=") {
			unset = []string{name}
		}
		out := filepath.Join(outDir, "s"+string(rune('0'+i))+".png")
		cmd := cli(t, exe, outDir, nil, "sample", "-weights", weights, "-n", "16", "-out", out)
		cmd.Env = withEnv(cmd.Env, unset, env)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		err := waitFor(t, cmd, 2*time.Minute)
		if err != nil {
			t.Errorf("%v: %v, stderr %q", env, err, stderr.String())
			continue
		}
		if _, err := os.Stat(out); err != nil {
			t.Errorf("%v: no PNG written: %v", env, err)
		}
		// go-xla logged a line of its own at start-up with HOME unset
		// (gomlxfix/klogquiet drops it): only the backend's line is there.
		if msg := strings.TrimSpace(stderr.String()); strings.Count(msg, "\n") != 0 || strings.Contains(msg, "home directory") {
			t.Errorf("%v: stderr %q, want the backend's one line", env, msg)
		}
	}
}

// withEnv is env with the variables named in unset removed and set added
// (a "NAME=" in set with NAME in unset leaves NAME unset).
func withEnv(env, unset, set []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, s := range set {
			n, _, _ := strings.Cut(s, "=")
			drop = drop || n == name
		}
		if !drop {
			out = append(out, kv)
		}
	}
	for _, s := range set {
		n, _, _ := strings.Cut(s, "=")
		keep := true
		for _, u := range unset {
			keep = keep && u != n
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}
