package run

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/ddpm-go/ddpm-go/internal/inputfile"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/gomlx/ml/model"
)

// initError is err, about the -init file path, as one line that names the
// flag once: "run: -init PATH: what is wrong" or "run: -init PATH
// is a FIFO (named pipe), not a regular file".
func initError(path string, err error) error {
	msg := err.Error()
	for _, p := range []string{"run: ", "trained: ", "ckpt: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	if rest, ok := strings.CutPrefix(msg, path+": "); ok {
		msg = ": " + rest
	} else if rest, ok := strings.CutPrefix(msg, path+" "); ok {
		msg = " " + rest
	} else {
		msg = ": " + msg
	}
	return &reworded{fmt.Sprintf("run: Options.InitFrom %s%s", path, msg), err}
}

// initStore is the store of a new run started from the weight file path,
// whose network must be cfg's and whose weights must be finite.
func initStore(cfg recipe.Config, path string) (*model.Store, error) {
	m, err := trained.Load(path)
	if err != nil {
		return nil, initError(path, err)
	}
	a, b := m.Config, cfg
	if !reflect.DeepEqual(a.Network, b.Network) || a.Prediction != b.Prediction || a.LearnVariance != b.LearnVariance || a.NumClasses != b.NumClasses {
		return nil, fmt.Errorf("run: Options.InitFrom %s: its network differs from this run's: the model, its sizes, TrainConfig.Prediction, TrainConfig.LearnVariance and the labels must match", path)
	}
	return m.Store, nil
}

// fileDigest is the SHA-256 of the file at path, in hex.
// It reads the file only if it is a regular file (internal/inputfile):
// hashing -init /dev/zero would never end.
func fileDigest(path string) (string, error) {
	f, _, err := inputfile.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// reworded is an error with a clearer message than the one it wraps
// (errors.Is and errors.As still see the wrapped one).
type reworded struct {
	msg string
	err error
}

func (e *reworded) Error() string { return e.msg }
func (e *reworded) Unwrap() error { return e.err }
