package ckpt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockName is the lock file of a run folder. It stays in the folder; the
// lock is the kernel's flock on it, which dies with its process (kill -9
// included), so a crash never leaves a stale lock.
const LockName = ".lock"

// ErrLocked is wrapped by the error of [OpenRun] when another process holds
// the run folder.
var ErrLocked = errors.New("run folder in use")

// lockedError is the error of a folder locked by another process; it
// matches ErrLocked under errors.Is.
type lockedError struct{ msg string }

func (e lockedError) Error() string        { return e.msg }
func (e lockedError) Is(target error) bool { return target == ErrLocked }

// dirLock is an exclusive flock on dir/LockName.
type dirLock struct{ f *os.File }

// lockDir takes the lock of dir without waiting. The lock file holds the
// owner's process id, for the message another process gets.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ckpt: cannot lock run folder %s (is it writable?): %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, locked(dir)
		}
		return nil, fmt.Errorf("ckpt: cannot lock run folder %s: %w", dir, err)
	}
	// The process id only names the owner in locked's message; the lock holds
	// without it, so a failed write is not an error.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// release drops the lock (closing the file releases the flock).
func (l *dirLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// ProbeLock says, without taking the lock or changing anything, whether
// another process holds dir's lock (an error wrapping [ErrLocked] naming
// it); a folder without a lock file is free. A check before the work: the
// lock itself is taken by [OpenRun].
func ProbeLock(dir string) error {
	path := filepath.Join(dir, LockName)
	f, err := os.Open(path)
	if err != nil {
		return nil // no lock file (or none readable: OpenRun will say)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return locked(dir)
		}
		return nil
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) // the probe's lock; closing f releases it anyway
	return nil
}

// locked is the error of dir locked by another process, naming it from the
// process id its lock file holds.
func locked(dir string) error {
	owner, _ := os.ReadFile(filepath.Join(dir, LockName)) // unreadable: "another process"
	who := "another process"
	if pid, err := strconv.Atoi(strings.TrimSpace(string(owner))); err == nil {
		who = fmt.Sprintf("process %d", pid)
	}
	return lockedError{fmt.Sprintf("ckpt: %s is in use by %s (another training in the same folder): wait for it to end or choose another folder", dir, who)}
}
