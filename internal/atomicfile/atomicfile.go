// Package atomicfile writes files atomically: the data goes to a temporary
// file next to the target (".NAME.tmp-*"), is synced, and is renamed over
// the target, so that a crash leaves either the old file or the new one,
// never a torn one. It is the one implementation behind ckpt, figs and bench.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/ddpm-go/ddpm-go/internal/fault"
)

// tempName matches the temporary files of [Write] (os.CreateTemp replaces
// the "*" of ".NAME.tmp-*" by decimal digits).
var tempName = regexp.MustCompile(`^\..+\.tmp-\d+$`)

// IsTemp says whether a file name (no folder) is one of Write's temporary files.
func IsTemp(name string) bool { return tempName.MatchString(name) }

// Write writes data to path atomically, creating its folder if needed. The
// file gets mode 0644. Errors name the path.
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	tmp := f.Name()
	half := len(data) / 2
	_, err = f.Write(data[:half])
	if err == nil {
		fault.Point("atomicfile-mid-write") // tests: a kill with half the bytes written
		_, err = f.Write(data[half:])
	}
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes 0600 files
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// Sync the folder so that the rename itself survives a power cut.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// CheckWritable fails early, with the reason, when a file could not be
// written at path later: it creates the folder if needed, then creates and
// removes a temporary file there.
func CheckWritable(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create folder %s: %w", dir, err)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder, not a file", path)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// RemoveTemps deletes the temporary files that an interrupted Write left in
// dir (not its subfolders) and returns their names. Call it only where no
// other process may be writing (a locked run folder).
func RemoveTemps(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if e.Type().IsRegular() && IsTemp(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
				return removed, err
			}
			removed = append(removed, e.Name())
		}
	}
	return removed, nil
}
