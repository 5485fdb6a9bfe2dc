package backend

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 27, part 6: $PJRT_PLUGIN_LIBRARY_PATH with empty entries, or naming
// a folder of junk, starts a backend (files not named like a plugin are not
// looked at); a FIFO or a folder named like a plugin is a one-line error
// naming it — before, the FIFO made the backend search wait forever for a
// writer.
func TestPluginPathOddities(t *testing.T) {
	junk := t.TempDir() // junk not named like a plugin: ignored
	os.WriteFile(filepath.Join(junk, "README"), []byte("junk\n"), 0o644)
	os.WriteFile(filepath.Join(junk, "libjunk.so"), []byte("not ELF"), 0o644)
	os.Mkdir(filepath.Join(junk, "sub"), 0o755)
	os.Symlink("/nowhere", filepath.Join(junk, "dangling.so"))
	syscall.Mkfifo(filepath.Join(junk, "fifo"), 0o644)
	fifoDir := t.TempDir()
	fifo := filepath.Join(fifoDir, "pjrt_c_api_fifo_plugin.so")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	dirDir := t.TempDir()
	dir := filepath.Join(dirDir, "pjrt_c_api_dir_plugin.so")
	os.Mkdir(dir, 0o755)
	for _, c := range []struct {
		path string
		want []string // "OK" or the error's words
	}{
		{"", []string{"OK", "only its folders are searched when it is set"}},
		{"::", []string{"OK", `PJRT_PLUGIN_LIBRARY_PATH="::"`}},
		{":" + junk + "::", []string{"OK"}},
		{junk + ":" + fifoDir, []string{"ERR ddpm: ", fifo, "a FIFO, device or socket, not a shared library"}},
		{dirDir, []string{"ERR ddpm: ", dir, "a folder, not a shared library"}},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBackendChild$")
		cmd.Env = append(os.Environ(), backendChildEnv+"=1", "GOMLX_BACKEND=", "PJRT_PLUGIN_LIBRARY_PATH="+c.path)
		done := make(chan []byte, 1)
		go func() { out, _ := cmd.CombinedOutput(); done <- out }()
		var text string
		select {
		case out := <-done:
			text = strings.TrimRight(string(out), "\n")
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("PJRT_PLUGIN_LIBRARY_PATH=%q: the backend did not start in 60 s", c.path)
		}
		// An error is one line; a backend that starts says which in one
		// line, then the child prints OK.
		if lines := strings.Count(text, "\n") + 1; strings.Contains(text, "panic") || (c.want[0] == "OK") != (lines == 2) {
			t.Errorf("PJRT_PLUGIN_LIBRARY_PATH=%q: output %q, want one line (two when the backend starts)", c.path, text)
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("PJRT_PLUGIN_LIBRARY_PATH=%q: %q lacks %q", c.path, text, w)
			}
		}
	}
}
