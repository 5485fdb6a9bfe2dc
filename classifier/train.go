package classifier

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/data"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TrainConfig configures Train. Zero values take the defaults given.
type TrainConfig struct {
	Epochs       int     // passes over the 60,000 training images; default 4.
	Batch        int     // batch size; default 128.
	LearningRate float64 // Adam's peak step size, decayed by a cosine to 0 over the run; default 2e-3.
	Seed         int64   // seeds the initial weights, the batch order and the shifts; default 0.
	// Shift is the data augmentation: each training image is translated by
	// (dy, dx) drawn uniformly from {−Shift, …, Shift}², the uncovered pixels
	// set to the background −1; default 2. A negative value turns it off.
	// (Without it, 3 epochs reached 98.88 % test accuracy, with a training
	// loss of 0.018: the network over-fitted.)
	Shift int
	// DataDir holds the MNIST IDX files; default the copy in the GoMNIST Go
	// module (data.GoMNISTDir).
	DataDir string
}

// WithDefaults fills the zero fields of c.
func (c TrainConfig) WithDefaults() TrainConfig {
	if c.Epochs == 0 {
		c.Epochs = 4
	}
	if c.Shift == 0 {
		c.Shift = 2
	}
	if c.Batch == 0 {
		c.Batch = 128
	}
	if c.LearningRate == 0 {
		c.LearningRate = 2e-3
	}
	return c
}

// Meta is the metadata stored in a classifier weight file.
type Meta struct {
	Format       string  `json:"format"`
	Command      string  `json:"command,omitempty"`
	Epochs       int     `json:"epochs"`
	Batch        int     `json:"batch"`
	LearningRate float64 `json:"learning_rate"`
	Seed         int64   `json:"seed"`
	Shift        int     `json:"shift"`
	Steps        int     `json:"steps"`
	Parameters   int     `json:"parameters"`
	TestAccuracy float64 `json:"test_accuracy"` // on the 10,000 MNIST test images
	FinalLoss    float64 `json:"final_loss"`    // mean training loss of the last epoch
	Backend      string  `json:"backend"`
	Hardware     string  `json:"hardware,omitempty"`
	WallSeconds  float64 `json:"wall_seconds"`
	GoVersion    string  `json:"go_version"`
	Date         string  `json:"date"`
}

// MetaFormat identifies a classifier weight file.
const MetaFormat = "ddpm-go mnist classifier v1"

// Train trains the classifier from scratch on the MNIST training set
// (randomly translated by up to cfg.Shift pixels) with Adam on the mean
// cross-entropy, the learning rate following
// η_k = η/2 · (1 + cos(π k/K)) over the K steps of the run (Loshchilov &
// Hutter's cosine decay, without restarts), and returns the store (variables
// under /classifier) and the metadata, test accuracy included. Progress
// lines (one per epoch) go to progress when it is not nil.
func Train(backend compute.Backend, cfg TrainConfig, progress io.Writer) (*model.Store, *Meta, error) {
	cfg = cfg.WithDefaults()
	if cfg.Epochs < 1 || cfg.Batch < 1 || !(cfg.LearningRate > 0) {
		return nil, nil, fmt.Errorf("classifier: TrainConfig out of range: %+v", cfg)
	}
	trainIm, trainY, err := data.LoadMNIST(cfg.DataDir, "train")
	if err != nil {
		return nil, nil, err
	}
	testIm, testY, err := data.LoadMNIST(cfg.DataDir, "test")
	if err != nil {
		return nil, nil, err
	}
	trainX, testX := trainIm.ToFloat32(data.ScaleSymmetric), testIm.ToFloat32(data.ScaleSymmetric)
	start := time.Now()
	store := model.NewStore()
	store.SetParam(model.JoinPath(model.RootScopePath, model.ParamInitialSeed), cfg.Seed+1) // 0 would mean "random"
	opt := optimizer.Adam().LearningRate(cfg.LearningRate).Done()
	step, err := model.NewExec(backend, store, func(scope *model.Scope, x, labels, lr *Node) *Node {
		g := x.Graph()
		logits, _ := Net(scope, x)
		loss := crossEntropy(logits, labels)
		s := scope.At(Scope)
		optimizer.LearningRateVar(s, dtypes.Float32, cfg.LearningRate).SetNodeValue(lr)
		opt.UpdateGraph(s, g, loss)
		return loss
	})
	if err != nil {
		return nil, nil, err
	}
	const px = ImageSize * ImageSize
	n := len(trainY)
	batcher, err := data.NewBatcher(n, cfg.Batch, uint64(cfg.Seed))
	if err != nil {
		return nil, nil, err
	}
	per := batcher.BatchesPerEpoch()
	total := cfg.Epochs * per
	x := make([]float32, cfg.Batch*px)
	y := make([]int32, cfg.Batch)
	meta := &Meta{Format: MetaFormat, Epochs: cfg.Epochs, Batch: cfg.Batch, LearningRate: cfg.LearningRate, Seed: cfg.Seed,
		Shift: max(cfg.Shift, 0), Steps: total, Parameters: NumParameters, GoVersion: runtime.Version()}
	shifts := rand.New(rand.NewPCG(uint64(cfg.Seed), 3))
	for k := range total {
		for i, j := range batcher.Indices(int64(k)) {
			dst, src := x[i*px:(i+1)*px], trainX[j*px:(j+1)*px]
			if cfg.Shift > 0 {
				translate(dst, src, shifts.IntN(2*cfg.Shift+1)-cfg.Shift, shifts.IntN(2*cfg.Shift+1)-cfg.Shift)
			} else {
				copy(dst, src)
			}
			y[i] = int32(trainY[j])
		}
		lr := float32(cfg.LearningRate / 2 * (1 + math.Cos(math.Pi*float64(k)/float64(total))))
		outs, err := step.Call(tensors.FromFlatDataAndDimensions(x, cfg.Batch, ImageSize, ImageSize, 1), tensors.FromValue(y), tensors.FromScalar(lr))
		if err != nil {
			return nil, nil, fmt.Errorf("classifier: training step %d: %w", k, err)
		}
		loss := float64(tensors.ToScalar[float32](outs[0]))
		if math.IsNaN(loss) {
			return nil, nil, fmt.Errorf("classifier: training step %d: the loss is NaN", k)
		}
		if k%per == 0 {
			meta.FinalLoss = 0
		}
		if k == 99 && progress != nil {
			fmt.Fprintf(progress, "100 steps in %.1fs (loss %.4f)\n", time.Since(start).Seconds(), loss)
		}
		meta.FinalLoss += loss / float64(per)
		if (k+1)%per == 0 && progress != nil {
			acc, err := Accuracy(backend, store, testX, testY)
			if err != nil {
				return nil, nil, err
			}
			fmt.Fprintf(progress, "epoch %d/%d: mean loss %.4f, test accuracy %.2f %% (%.0fs)\n", (k+1)/per, cfg.Epochs, meta.FinalLoss, 100*acc, time.Since(start).Seconds())
			meta.TestAccuracy = acc
		}
	}
	if progress == nil {
		if meta.TestAccuracy, err = Accuracy(backend, store, testX, testY); err != nil {
			return nil, nil, err
		}
	}
	meta.WallSeconds = time.Since(start).Seconds()
	meta.Date = time.Now().UTC().Format(time.RFC3339)
	return store, meta, nil
}

// translate sets dst[y, x] = src[y−dy, x−dx] for one 28×28 image, with the
// background −1 where that falls outside src.
func translate(dst, src []float32, dy, dx int) {
	for y := range ImageSize {
		for x := range ImageSize {
			sy, sx := y-dy, x-dx
			if sy < 0 || sy >= ImageSize || sx < 0 || sx >= ImageSize {
				dst[y*ImageSize+x] = -1
			} else {
				dst[y*ImageSize+x] = src[sy*ImageSize+sx]
			}
		}
	}
}

// Save writes the classifier's weights (the variables under /classifier,
// without the optimizer's state) and meta to path, atomically (package ckpt).
func Save(store *model.Store, path string, meta *Meta) error {
	prefix := model.JoinPath(model.RootScopePath, Scope) + model.ScopeSeparator
	return ckpt.SaveFiltered(store, path, meta, func(v *model.Variable) bool {
		return v.Trainable && strings.HasPrefix(v.Path(), prefix)
	})
}

// Load reads a classifier weight file written by Save: its store (ready for
// Features, Predict, Accuracy) and its metadata.
func Load(path string) (*model.Store, *Meta, error) {
	raw, err := ckpt.ReadMeta(path)
	if err != nil {
		return nil, nil, err
	}
	var meta Meta
	if err := json.Unmarshal(raw, &meta); err != nil || meta.Format != MetaFormat {
		return nil, nil, fmt.Errorf("classifier: %s is not an MNIST classifier weight file (format %q)", path, meta.Format)
	}
	store := model.NewStore()
	if _, err := ckpt.Load(store, path); err != nil {
		return nil, nil, err
	}
	return store, &meta, nil
}
