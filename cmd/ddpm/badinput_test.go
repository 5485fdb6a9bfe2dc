package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/gomlx/gomlx/ml/model"
)

// The hostile-user table of issue 10: every bad input exits with its code
// and one line on stderr naming the problem, with no stack trace, and
// creates or overwrites nothing (the folder it runs in is compared before
// and after). Cases that already worked before the issue are kept with it.
func TestBadInputsTable(t *testing.T) {
	repo, _ := filepath.Abs("../..")
	tiny := filepath.Join(repo, "trained/testdata/tiny-weights.ddpm")
	mnist := filepath.Join(repo, "weights/mnist.ddpm")
	work := t.TempDir()
	t.Chdir(work)

	// Files the cases read, made once in work/in.
	in := filepath.Join(work, "in")
	os.Mkdir(in, 0o755)
	put := func(name string, b []byte) string {
		p := filepath.Join(in, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	meta, err := ckpt.ReadMeta(tiny)
	if err != nil {
		t.Fatal(err)
	}
	rawFile := func(vars string) []byte {
		hdr := `{"meta":` + string(meta) + `,"vars":` + vars + `}`
		var b bytes.Buffer
		b.WriteString("DDPMCKP1")
		binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
		b.WriteString(hdr)
		return b.Bytes()
	}
	negDims := put("neg-dims.ddpm", rawFile(`[{"path":"/net/w","dtype":"Float32","dims":[-2,4],"offset":0,"bytes":0}]`))
	overflow := put("overflow.ddpm", rawFile(`[{"path":"/net/w","dtype":"Float32","dims":[4611686018427387904,4],"offset":0,"bytes":0}]`))
	negWidth := put("neg-width.ddpm", rewriteMeta(t, tiny, `"Hidden":4`, `"Hidden":-4`))
	mismatch := put("mismatch.ddpm", rewriteMeta(t, tiny, `"Hidden":4`, `"Hidden":8`))
	tinyB, _ := os.ReadFile(tiny)
	truncated := put("truncated.ddpm", tinyB[:len(tinyB)/2])
	put("not-a-folder", []byte("x"))
	foreign := filepath.Join(work, "foreign")
	os.Mkdir(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "weights.ddpm"), []byte("someone else's weights"), 0o644)
	locked := filepath.Join(work, "locked")
	run0, err := ckpt.OpenRun(locked, map[string]any{"other": "run"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer run0.Close()

	// Issue 18's files: a FIFO, a copy of the weights, a run folder with its
	// run.json, a run whose checkpoints are gone, one at step 6, NaN weights.
	fifo := filepath.Join(in, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	weightsCopy := put("copy.ddpm", tinyB)
	nanWeights := filepath.Join(repo, "trained/testdata/nan-weights.ddpm")
	cond := filepath.Join(repo, "weights/mnist_cond.ddpm")
	gone, at6 := filepath.Join(work, "gone"), filepath.Join(work, "at6")
	for _, dir := range []string{gone, at6} {
		var o, e bytes.Buffer
		if code := run([]string{"train", "-data", "moons", "-hidden", "8", "-batch", "16", "-steps", "6", "-dir", dir, "-quiet"}, &o, &e); code != 0 {
			t.Fatalf("setting up %s: %s", dir, e.String())
		}
	}
	ckpts, _ := filepath.Glob(filepath.Join(gone, "ckpt-*.ddpm"))
	for _, c := range ckpts {
		os.Remove(c)
	}

	// Issue 27's files: inputs that are no regular file or hold more than
	// their header announces, the classifier's weights, a checkpoint, a data
	// folder of FIFOs, a run whose run.json is torn.
	fifoW := filepath.Join(in, "fifo.ddpm")
	if err := syscall.Mkfifo(fifoW, 0o644); err != nil {
		t.Fatal(err)
	}
	trailing := put("trailing.ddpm", append(append([]byte(nil), tinyB...), make([]byte, 1000)...))
	sparse := put("sparse.ddpm", nil)
	sparseHead := put("sparse-head.ddpm", tinyB)
	for _, p := range []string{sparse, sparseHead} {
		if err := os.Truncate(p, 20<<30); err != nil {
			t.Fatalf("a 20 GB sparse file: %v", err)
		}
	}
	fifoData := filepath.Join(work, "fifodata")
	os.Mkdir(fifoData, 0o755)
	for _, n := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		syscall.Mkfifo(filepath.Join(fifoData, n), 0o644)
	}
	clf := filepath.Join(repo, "classifier", classifier.WeightsFile)
	at6ckpt := filepath.Join(at6, "ckpt-000000006.ddpm")
	torn := filepath.Join(work, "torn")
	{
		var o, e bytes.Buffer
		if code := run([]string{"train", "-data", "moons", "-hidden", "8", "-batch", "16", "-steps", "6", "-dir", torn, "-quiet"}, &o, &e); code != 0 {
			t.Fatalf("setting up %s: %s", torn, e.String())
		}
		idb, _ := os.ReadFile(filepath.Join(torn, "run.json"))
		os.WriteFile(filepath.Join(torn, "run.json"), idb[:100], 0o644)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string // in the one line
	}{
		// Issue 18, 1: the writer replaces only what the command exists to write.
		{"out a FIFO", []string{"sample", "-weights", tiny, "-out", fifo}, 2, "-out"},
		{"out the weights read", []string{"sample", "-weights", weightsCopy, "-out", weightsCopy}, 2, "-out"},
		{"out a run's run.json", []string{"sample", "-weights", tiny, "-out", filepath.Join(at6, "run.json")}, 2, "-out"},
		{"out a JPEG name", []string{"sample", "-weights", tiny, "-out", filepath.Join(work, "x.jpg")}, 2, "-out"},
		{"out empty", []string{"sample", "-weights", tiny, "-out", ""}, 2, "-out"},
		// 2: a run folder never loses what it holds.
		{"checkpoints gone", []string{"train", "-data", "moons", "-hidden", "8", "-batch", "16", "-steps", "6", "-dir", gone, "-quiet"}, 2, "-init"},
		{"steps below the run's", []string{"train", "-data", "moons", "-hidden", "8", "-batch", "16", "-steps", "3", "-dir", at6, "-quiet"}, 0, ""},
		{"init on a resuming folder", []string{"train", "-data", "moons", "-hidden", "8", "-batch", "16", "-steps", "9", "-dir", at6, "-init", tiny, "-quiet"}, 2, "-init"},
		// 3: every check before the folder or the work.
		{"devices 1000", []string{"train", "-devices", "1000", "-steps", "5", "-dir", filepath.Join(work, "d1000")}, 2, "device"},
		{"devices 3, batch 1024", []string{"train", "-devices", "3", "-steps", "5", "-dir", filepath.Join(work, "d3")}, 2, "device"},
		{"init of another shape", []string{"train", "-data", "moons", "-hidden", "8", "-steps", "5", "-init", tiny, "-dir", filepath.Join(work, "shape")}, 2, "-init"},
		{"base 4096", []string{"train", "-data", "mnist", "-base", "4096", "-steps", "5", "-dir", filepath.Join(work, "huge")}, 2, "GiB"},
		// 4: no silent garbage.
		{"NaN weights", []string{"sample", "-weights", nanWeights, "-out", filepath.Join(work, "nan.png")}, 1, "non-finite"},
		{"NaN init", []string{"train", "-data", "moons", "-hidden", "4", "-steps", "5", "-init", nanWeights, "-dir", filepath.Join(work, "naninit")}, 2, "-init"},
		{"guidance 1e300", []string{"sample", "-weights", cond, "-guidance", "1e300", "-out", filepath.Join(work, "g.png")}, 2, "-guidance 1e+300"},
		// 5: exit codes.
		{"eval guidance on unconditional weights", []string{"eval", "-weights", tiny, "-guidance", "2"}, 2, "class-conditional"},
		{"bench unknown case", []string{"bench", "-cases", "nonsense", "-no-peer", "-no-out"}, 2, "-cases"},
		{"fashion-mnist without data-dir", []string{"train", "-data", "fashion-mnist", "-steps", "5", "-dir", filepath.Join(work, "fm")}, 2, "-data-dir"},
		{"figures of a missing weights folder", []string{"figures", "-weights", filepath.Join(work, "nowhere"), "-out", filepath.Join(work, "figs")}, 2, "-weights"},
		{"figures of a weights file", []string{"figures", "-weights", tiny, "-out", filepath.Join(work, "figs")}, 2, "-weights"},
		// Finding 2: panics.
		{"negative hidden", []string{"train", "-hidden", "-5", "-steps", "5"}, 2, "-hidden -5 must lie in [1, 65536]"},
		{"negative header dims", []string{"sample", "-weights", negDims}, 1, "negative dimension"},
		{"overflowing header dims", []string{"sample", "-weights", overflow}, 1, "need more bytes"},
		{"negative width in config", []string{"sample", "-weights", negWidth}, 1, "MLPConfig.Hidden = -4"},
		// Finding 4: NaN.
		{"ddim eta NaN", []string{"sample", "-weights", tiny, "-sampler", "ddim", "-eta", "NaN"}, 2, "-eta NaN"},
		{"eval eta NaN", []string{"eval", "-weights", tiny, "-sampler", "ddim", "-eta", "NaN", "-json"}, 2, "-eta NaN"},
		{"lr NaN", []string{"train", "-lr", "NaN"}, 2, "-lr NaN"},
		{"ema NaN", []string{"train", "-ema", "NaN"}, 2, "-ema NaN"},
		{"clip Inf", []string{"train", "-clip", "Inf"}, 2, "-clip +Inf"},
		// Finding 5: a folder in use.
		{"locked folder", []string{"train", "-dir", locked, "-steps", "5", "-quiet"}, 1, "in use by process"},
		// Finding 6: weights that do not match their config.
		{"weights vs config", []string{"sample", "-weights", mismatch}, 1, "do not match their configuration"},
		// Finding 7: T.
		{"huge T", []string{"train", "-T", "20000000", "-schedule", "cosine"}, 2, "-T 20000000 must lie in [1, 100000]"},
		// Finding 8: checks before the long part.
		{"eval bad data-dir", []string{"eval", "-weights", mnist, "-data-dir", filepath.Join(work, "nowhere")}, 1, "nowhere"},
		{"eval bad classifier", []string{"eval", "-weights", mnist, "-classifier", filepath.Join(work, "none.ddpm")}, 1, "classifier"},
		{"bench out under a file", []string{"bench", "-out", filepath.Join(in, "not-a-folder", "r.json"), "-no-peer"}, 2, "-out"},
		{"sample out under a file", []string{"sample", "-weights", tiny, "-out", filepath.Join(in, "not-a-folder", "s.png")}, 2, "-out"},
		// Finding 9: someone's weights.ddpm in the folder.
		{"foreign folder", []string{"train", "-dir", foreign, "-steps", "5", "-quiet"}, 2, "not a run folder"},
		// Finding 12: flags ignored or defaulted.
		{"attention abc", []string{"train", "-data", "mnist", "-attention", "abc"}, 2, "-attention"},
		{"attention at no resolution", []string{"train", "-data", "mnist", "-attention", "5"}, 2, "-attention 5 names 5, which is not one of the U-Net's resolutions"},
		{"attention 7,x", []string{"train", "-data", "mnist", "-attention", "7,x"}, 2, "-attention"},
		{"mults 1,two", []string{"train", "-data", "mnist", "-mults", "1,two"}, 2, "-mults"},
		{"mults too deep for 28", []string{"train", "-data", "mnist", "-mults", "1,2,2,2"}, 2, "use fewer levels"},
		{"mults on the MLP", []string{"train", "-mults", "1,2"}, 2, "-mults is not a setting of network mlp"},
		{"groups 0", []string{"train", "-data", "mnist", "-groups", "0"}, 2, "-groups 0"},
		{"groups not dividing", []string{"train", "-data", "mnist", "-groups", "3"}, 2, "-groups 3 does not divide level 0's 32 channels"},
		{"groups negative", []string{"train", "-data", "mnist", "-groups", "-2"}, 2, "-groups"},
		{"T 0", []string{"train", "-T", "0"}, 2, "-T 0"},
		{"batch 0", []string{"train", "-batch", "0"}, 2, "-batch 0"},
		{"keep 0", []string{"train", "-keep", "0"}, 2, "-keep 0"},
		{"checkpoint-every -5", []string{"train", "-checkpoint-every", "-5"}, 2, "-checkpoint-every -5"},
		{"max-time -1s", []string{"train", "-max-time", "-1s"}, 2, "-max-time -1s"},
		{"dropout on the MLP", []string{"train", "-dropout", "0.1"}, 2, "-dropout is not a setting of network mlp"},
		{"unknown spacing", []string{"sample", "-weights", tiny, "-sampler", "ddim", "-spacing", "even"}, 2, "use trailing, leading or linspace"},
		{"spacing with langevin", []string{"sample", "-weights", tiny, "-sampler", "langevin", "-spacing", "leading"}, 2, "langevin always uses the trailing"},
		{"raw-eps with ancestral", []string{"sample", "-weights", tiny, "-raw-eps"}, 2, "DDIM convention"},
		{"respaced steps above T", []string{"sample", "-weights", tiny, "-steps", "5000"}, 2, "-steps 5000 must lie in [1, T = 1000]"},
		{"label on unconditional weights", []string{"sample", "-weights", tiny, "-label", "3"}, 2, "-label 3 needs class-conditional weights"},
		{"negative guidance", []string{"sample", "-weights", tiny, "-guidance", "-1"}, 2, "-guidance -1 must be a finite number in [0,"},
		{"cond on unlabelled data", []string{"train", "-data", "swissroll", "-cond"}, 2, "-cond needs labelled data"},
		{"p-uncond without cond", []string{"train", "-p-uncond", "0.2"}, 2, "-p-uncond 0.2 is for class-conditional training"},
		{"p-uncond 1", []string{"train", "-data", "8gaussians", "-cond", "-p-uncond", "1"}, 2, "must lie in (0, 1)"},
		{"vlb-importance without learned variances", []string{"train", "-vlb-importance"}, 2, "-vlb-importance true trains L_vlb, which needs learned variances"},
		{"negative lr decay", []string{"train", "-lr-decay-steps", "-5"}, 2, "-lr-decay-steps"},
		{"eta with ancestral", []string{"sample", "-weights", tiny, "-eta", "0.5"}, 2, "-eta 0.5 is DDIM's η, not for the ancestral sampler"},
		{"steps above T", []string{"sample", "-weights", tiny, "-sampler", "ddim", "-steps", "5000"}, 2, "-steps 5000 must lie in [1, T = 1000]"},
		// Finding 13: messages.
		{"langevin steps -5", []string{"sample", "-weights", tiny, "-sampler", "langevin", "-steps", "-5"}, 2, "-steps -5 must lie in [1, T = 1000]"},
		{"no double prefix", []string{"train", "-data", "spiral"}, 2, "ddpm train: unknown data"},
		{"one field per error", []string{"train", "-warmup", "-3"}, 2, "-warmup -3 must be ≥ 0"},
		// Issue 27, 2: work is sized before it starts (one line with the estimate).
		{"sample n 1e13 points", []string{"sample", "-weights", tiny, "-n", "10000000000000", "-out", filepath.Join(work, "n.png")}, 2, "-n 10000000000000: a PNG of 10000000000000 samples needs about"},
		{"sample n max int", []string{"sample", "-weights", tiny, "-n", "9223372036854775807", "-out", filepath.Join(work, "n.png")}, 2, "-n 9223372036854775807: a PNG of"},
		{"sample n 1e9 images", []string{"sample", "-weights", mnist, "-n", "1000000000", "-out", filepath.Join(work, "n.png")}, 2, "-n 1000000000: a PNG of 1000000000 samples needs about"},
		{"sample n 1e9 labelled images", []string{"sample", "-weights", cond, "-n", "1000000000", "-out", filepath.Join(work, "n.png")}, 2, "needs about"},
		{"eval n 1e13 points", []string{"eval", "-weights", tiny, "-n", "10000000000000"}, 2, "-n 10000000000000 samples are more than the 2-D metrics can hold: they need about"},
		{"eval n max int", []string{"eval", "-weights", tiny, "-n", "9223372036854775807"}, 2, "-n 9223372036854775807 samples are more than"},
		{"eval batch of 1e12 images", []string{"eval", "-weights", mnist, "-n", "1000000000000", "-sample-batch", "1000000000000"}, 2, "-sample-batch 1000000000000 is more images than memory holds at once: a batch needs about"},
		// 3: every float knob checked in float32, the precision the model runs in.
		{"min-snr 1e-300", []string{"train", "-data", "mnist", "-min-snr", "1e-300", "-steps", "5", "-dir", filepath.Join(work, "snr")}, 2, "-min-snr 1e-300 underflows to 0 in float32"},
		{"lr 1e-300", []string{"train", "-lr", "1e-300", "-steps", "5", "-dir", filepath.Join(work, "lr")}, 2, "-lr 1e-300 underflows to 0 in float32"},
		{"lr 1e39", []string{"train", "-lr", "1e39", "-steps", "5", "-dir", filepath.Join(work, "lr")}, 2, "-lr 1e+39 overflows float32"},
		{"grad clip 1e-300", []string{"train", "-clip", "1e-300", "-steps", "5", "-dir", filepath.Join(work, "gc")}, 2, "-clip 1e-300 underflows"},
		{"ema rounds to 1", []string{"train", "-ema", "0.99999999", "-steps", "5", "-dir", filepath.Join(work, "ema")}, 2, "-ema 0.99999999 rounds to 1 in float32"},
		{"ema-length above 1/√12", []string{"train", "-ema-length", "0.3", "-steps", "5", "-dir", filepath.Join(work, "el")}, 2, "-ema-length 0.3 must lie in (0, 0.288675]"},
		{"adam-beta2 1", []string{"train", "-adam-beta2", "1", "-steps", "5", "-dir", filepath.Join(work, "b2")}, 2, "-adam-beta2 1 must lie in (0, 1)"},
		{"adam-beta2 rounds to 1", []string{"train", "-adam-beta2", "0.99999999", "-steps", "5", "-dir", filepath.Join(work, "b2")}, 2, "-adam-beta2 0.99999999 rounds to 1 in float32"},
		{"t-logsnr-std 1e-300", []string{"train", "-t-logsnr-std", "1e-300", "-steps", "5", "-dir", filepath.Join(work, "ls")}, 2, "-t-logsnr-std 1e-300 underflows"},
		{"t-logsnr-mean 1e39", []string{"train", "-t-logsnr-mean", "1e39", "-t-logsnr-std", "1", "-steps", "5", "-dir", filepath.Join(work, "lm")}, 2, "-t-logsnr-mean 1e+39 overflows"},
		{"p-uncond 1e-300", []string{"train", "-data", "8gaussians", "-cond", "-p-uncond", "1e-300", "-steps", "5", "-dir", filepath.Join(work, "pu")}, 2, "-p-uncond 1e-300 underflows"},
		{"dropout rounds to 1", []string{"train", "-data", "mnist", "-dropout", "0.99999999", "-steps", "5", "-dir", filepath.Join(work, "do")}, 2, "-dropout 0.99999999 rounds to 1"},
		{"sample eta 1e-300", []string{"sample", "-weights", tiny, "-sampler", "ddim", "-eta", "1e-300", "-out", filepath.Join(work, "e.png")}, 2, "-eta 1e-300 underflows"},
		{"sample clip 1e39", []string{"sample", "-weights", tiny, "-clip", "1e39", "-out", filepath.Join(work, "c.png")}, 2, "-clip 1e+39 overflows"},
		{"sample guidance 1e-300", []string{"sample", "-weights", cond, "-guidance", "1e-300", "-out", filepath.Join(work, "g.png")}, 2, "-guidance 1e-300 underflows"},
		{"eval guidance 1e-300", []string{"eval", "-weights", cond, "-guidance", "1e-300"}, 2, "-guidance 1e-300 underflows"},
		// 4: one meaning per flag value, one default per flag.
		{"max-time 0 with a preset", []string{"train", "-preset", "mnist-cpu", "-max-time", "0", "-dir", filepath.Join(work, "mt")}, 2, "-max-time 0 would stand for its default"},
		{"mults empty", []string{"train", "-data", "mnist", "-mults", "", "-steps", "5", "-dir", filepath.Join(work, "me")}, 2, `-mults "": an empty value`},
		{"dir empty", []string{"train", "-data", "moons", "-steps", "5", "-dir", ""}, 2, `-dir "": an empty value`},
		{"data empty", []string{"train", "-data", "", "-steps", "5", "-dir", filepath.Join(work, "de")}, 2, `-data "": an empty value`},
		{"sample weights empty", []string{"sample", "-weights", "", "-out", filepath.Join(work, "w.png")}, 2, `-weights "": an empty value`},
		{"bench out empty", []string{"bench", "-no-peer", "-out", ""}, 2, `-out "": an empty value`},
		{"eval nll-examples on points", []string{"eval", "-weights", tiny, "-nll-examples", "5"}, 2, "-nll-examples 5 does not apply to a model of"},
		{"eval sample-batch on points", []string{"eval", "-weights", tiny, "-sample-batch", "1000000000000"}, 2, "-sample-batch 1000000000000 does not apply"},
		{"eval nll-stride on points", []string{"eval", "-weights", tiny, "-nll-stride", "4"}, 2, "-nll-stride 4 does not apply"},
		{"eval classifier on points", []string{"eval", "-weights", tiny, "-classifier", filepath.Join(work, "c.ddpm")}, 2, "-classifier"},
		{"eval data-dir on points", []string{"eval", "-weights", tiny, "-data-dir", work}, 2, "-data-dir"},
		// Already held before the issue: kept fixed.
		{"schedule T 0", []string{"schedule", "-T", "0"}, 2, "T"},
		{"missing weights", []string{"sample", "-weights", filepath.Join(work, "missing.ddpm")}, 1, "no such file"},
		{"truncated weights", []string{"sample", "-weights", truncated}, 1, "truncated"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", []string{"train", "-frob"}, 2, "flag provided but not defined"},
		// Issue 27, 1: every input through one reader, checked before it is read.
		{"weights /dev/zero", []string{"sample", "-weights", "/dev/zero", "-n", "10"}, 1, "/dev/zero is a character device, not a regular file"},
		{"weights /dev/urandom", []string{"sample", "-weights", "/dev/urandom", "-n", "10"}, 1, "/dev/urandom is a character device"},
		{"weights a FIFO", []string{"sample", "-weights", fifoW, "-out", filepath.Join(work, "f.png")}, 1, "is a FIFO (named pipe), not a regular file"},
		{"weights a folder", []string{"sample", "-weights", in, "-out", filepath.Join(work, "f.png")}, 1, "is a folder, not a file"},
		{"weights with 1000 trailing zeros", []string{"sample", "-weights", trailing, "-out", filepath.Join(work, "f.png")}, 1, "1000 bytes after the"},
		{"weights a 20 GB sparse file", []string{"sample", "-weights", sparse, "-out", filepath.Join(work, "f.png")}, 1, "bad magic bytes"},
		{"weights a 20 GB file with a weight file's head", []string{"sample", "-weights", sparseHead, "-out", filepath.Join(work, "f.png")}, 1, "bytes after the"},
		{"init /dev/zero", []string{"train", "-data", "moons", "-hidden", "4", "-steps", "5", "-init", "/dev/zero", "-dir", filepath.Join(work, "zinit")}, 2, "-init /dev/zero is a character device"},
		{"init a FIFO", []string{"train", "-data", "moons", "-hidden", "4", "-steps", "5", "-init", fifoW, "-dir", filepath.Join(work, "finit")}, 2, "is a FIFO (named pipe)"},
		{"init a 20 GB sparse file", []string{"train", "-data", "moons", "-hidden", "4", "-steps", "5", "-init", sparse, "-dir", filepath.Join(work, "sinit")}, 2, "bad magic bytes"},
		{"eval the classifier's weights", []string{"eval", "-weights", clf}, 1, "is the MNIST classifier's weight file"},
		{"sample a checkpoint", []string{"sample", "-weights", at6ckpt, "-out", filepath.Join(work, "f.png")}, 1, "is a training checkpoint (step 6)"},
		{"eval classifier /dev/zero", []string{"eval", "-weights", mnist, "-classifier", "/dev/zero"}, 1, "character device"},
		{"eval classifier a FIFO", []string{"eval", "-weights", mnist, "-classifier", fifoW}, 1, "FIFO"},
		{"eval data files FIFOs", []string{"eval", "-weights", mnist, "-data-dir", fifoData}, 1, "FIFO"},
		// Issue 27, 5: a torn run.json has a way on that keeps the run.
		{"torn run.json, another configuration", []string{"train", "-data", "moons", "-hidden", "16", "-batch", "16", "-steps", "9", "-dir", torn, "-quiet"}, 2, "run the command that started the run"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := tree(t, work)
			var out, errb bytes.Buffer
			t0 := time.Now()
			code := run(c.args, &out, &errb)
			msg := strings.TrimSpace(errb.String())
			if code != c.code || !strings.Contains(msg, c.want) {
				t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, msg, c.code, c.want)
			}
			if strings.Count(msg, "\n") != 0 || strings.Contains(msg, "goroutine") || strings.Contains(msg, "panic") {
				t.Errorf("%v: not one line: %q", c.args, msg)
			}
			if strings.Contains(msg, "ddpm: ddpm:") || strings.Contains(msg, ": ddpm: ") || strings.Contains(msg, ": recipe: ") || strings.Contains(msg, ": trained: ") || strings.Contains(msg, ": run: ") || strings.Contains(msg, ": eval: ") {
				t.Errorf("%v: double prefix: %q", c.args, msg)
			}
			if after := tree(t, work); after != before {
				t.Errorf("%v: the folder changed:\nbefore %s\nafter  %s", c.args, before, after)
			}
			if d := time.Since(t0); d > 20*time.Second {
				t.Errorf("%v: %v before failing", c.args, d)
			}
			t.Logf("%v → %d %s", c.args, code, msg)
		})
	}
}

// Issue 27, 4: every -h shows one default per flag, the one the code
// applies: a zero-is-default flag its usage's own "(default …)", not also
// the flag package's "(default 0)"; a false bool none.
func TestHelpOneDefaultPerFlag(t *testing.T) {
	for name := range commands {
		var out, errb bytes.Buffer
		if code := run([]string{name, "-h"}, &out, &errb); code != 0 {
			t.Fatalf("%s -h: exit %d", name, code)
		}
		// Each flag's block starts with "  -name".
		for _, block := range strings.Split(errb.String(), "\n  -")[1:] {
			if n := strings.Count(block, "(default"); n > 1 {
				t.Errorf("%s -h: %d defaults: -%s", name, n, block)
			}
			if strings.HasPrefix(block, "ema-warmup") && strings.Contains(block, "(default") {
				t.Errorf("%s -h: a default for a flag off by default: -%s", name, block)
			}
		}
		if name == "train" {
			for _, want := range []string{"-T int\n", "diffusion steps (default 1000)\n", "-max-time duration\n"} {
				if !strings.Contains(errb.String(), want) {
					t.Errorf("train -h lacks %q", want)
				}
			}
		}
	}
}

// Finding 3: a diverging run stops with one line naming the step and the
// way to resume; exit 1.
func TestDivergingTrainExits1(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errb bytes.Buffer
	code := run([]string{"train", "-lr", "1e3", "-steps", "400", "-hidden", "16", "-batch", "64", "-dir", "d", "-quiet"}, &out, &errb)
	msg := strings.TrimSpace(errb.String())
	if code != 1 || !strings.Contains(msg, "diverged at step") || !strings.Contains(msg, "-lr 100") || strings.Contains(msg, "\n") {
		t.Errorf("exit %d, stderr %q", code, msg)
	}
	if _, err := os.Stat("d/weights.ddpm"); err == nil {
		t.Error("weights written for a diverged run")
	}
	// With the progress bar, the error starts its own line (it used to
	// follow the bar's last "\r…" on the same line).
	out.Reset()
	errb.Reset()
	run([]string{"train", "-lr", "1e3", "-steps", "400", "-hidden", "16", "-batch", "64", "-dir", "d2"}, &out, &errb)
	if s := errb.String(); !strings.Contains(s, "\nddpm train: training diverged") {
		t.Errorf("the error does not start a line: %q", s[max(len(s)-300, 0):])
	}
}

// Finding 14: the default classifier path is relative, not the build
// machine's folder.
func TestDefaultClassifierPathIsRelative(t *testing.T) {
	if p := classifier.DefaultPath(); filepath.IsAbs(p) {
		t.Errorf("DefaultPath() = %s", p)
	}
	var out, errb bytes.Buffer
	run([]string{"eval", "-h"}, &out, &errb)
	wd, _ := os.Getwd()
	if strings.Contains(errb.String(), filepath.Dir(filepath.Dir(wd))) {
		t.Errorf("eval -h shows an absolute path of this checkout:\n%s", errb.String())
	}
}

// tree lists every file under dir with its size and modification time.
func tree(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			info, _ := d.Info()
			b.WriteString(p + " " + info.ModTime().String() + " " + string(rune(info.Size())) + ";")
		}
		return nil
	})
	return b.String()
}

// rewriteMeta returns the weight file at path with old replaced by new in
// its metadata (re-encoded, checksums right).
func rewriteMeta(t *testing.T, path, old, new string) []byte {
	store := model.NewStore()
	meta, err := ckpt.Load(store, path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "w.ddpm")
	if err := ckpt.Save(store, p, json.RawMessage(strings.Replace(string(meta), old, new, 1))); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	return b
}
