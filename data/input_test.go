package data

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Issue 27, part 1: a data file goes through the one input reader. A FIFO
// (or a device) given as a data file is refused at once instead of
// blocking or being read without end, and a plain IDX file is compared
// with the size its header announces before its payload is read: a 20 GB
// sparse file whose header announces 12 bytes was read to its end before
// the trailing bytes were counted.
func TestDataInputsCheckedBeforeRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo-idx3-ubyte")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := writeFile(t, dir, "big-idx3-ubyte", idxBytes(IDXMagicImages, []uint32{2, 2, 3}, ramp(12)))
	if err := os.Truncate(big, 20<<30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	for _, c := range []struct {
		name, path string
		read       func(string) error
		want       []string
	}{
		{"IDX FIFO", fifo, func(p string) error { _, err := ReadIDXImages(p); return err }, []string{"FIFO", "not a regular file"}},
		{"IDX /dev/zero", "/dev/zero", func(p string) error { _, err := ReadIDXImages(p); return err }, []string{"character device"}},
		{"CIFAR FIFO", fifo, func(p string) error { _, _, err := ReadCIFAR10Batch(p); return err }, []string{"FIFO"}},
		{"IDX sparse 20 GB", big, func(p string) error { _, err := ReadIDXImages(p); return err }, []string{"21474836452 unexpected bytes", "2×2×3"}},
	} {
		done := make(chan error, 1)
		t0 := time.Now()
		go func() { done <- c.read(c.path) }()
		select {
		case err := <-done:
			checkErr(t, err, c.path, c.want...)
			if d := time.Since(t0); d > 2*time.Second {
				t.Errorf("%s: %v before the error", c.name, d)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: blocked", c.name)
		}
	}
}

// Issue 27, part 6: HOME unset and TMPDIR missing. The MNIST copy in the Go
// module cache is found by the go command, which needs HOME (or
// GOMODCACHE) and a temporary folder; each failure names the variable and
// the way around it (Config.DataDir, which the command line names
// -data-dir). Before, HOME unset sent the user to check the network, and a
// missing TMPDIR said only "stat /nonexistent".
func TestGoMNISTDirEnv(t *testing.T) {
	t.Run("HOME unset", func(t *testing.T) {
		for _, v := range []string{"HOME", "GOPATH", "GOMODCACHE"} {
			t.Setenv(v, "")
			os.Unsetenv(v)
		}
		_, err := GoMNISTDir()
		checkErr(t, err, "", "set HOME (or GOMODCACHE)", "Config.DataDir")
	})
	t.Run("TMPDIR missing", func(t *testing.T) {
		t.Setenv("TMPDIR", "/nonexistent/tmp")
		_, err := GoMNISTDir()
		checkErr(t, err, "", "/nonexistent/tmp ($TMPDIR)", "set TMPDIR to a writable folder", "Config.DataDir")
	})
}
