// Package classifier is a small convolutional MNIST classifier whose
// penultimate layer gives the features of the "MNIST Fréchet distance"
// (MNIST-FD, see [FD]): the Fréchet distance on features of our
// MNIST classifier. It plays the role the Inception network plays in FID
// (Heusel et al. 2017), but it is not Inception and MNIST-FD values are not
// comparable with FIDs in papers.
//
// The network, SiLU after every layer but the last (scope names in quotes;
// images NHWC in [−1, 1], the scaling of the diffusion data):
//
//	x [B, 28, 28, 1]
//	  → Conv3×3 1→32                 [B, 28, 28, 32]   "conv1"      320
//	  → Conv3×3 32→32, stride 2      [B, 14, 14, 32]   "conv2"    9,248
//	  → Conv3×3 32→64                [B, 14, 14, 64]   "conv3"   18,496
//	  → Conv3×3 64→64, stride 2      [B, 7, 7, 64]     "conv4"   36,928
//	  → Conv3×3 64→128, stride 2     [B, 4, 4, 128]    "conv5"   73,856
//	  → mean over the 4×4 positions  [B, 128]
//	  → Dense 128→128 = features     [B, 128]          "dense"   16,512
//	  → Dense 128→10 = logits        [B, 10]           "logits"   1,290
//	                                                      total 156,650
//
// with the layers of package nets (Conv2D with "same" padding, Dense). The
// features are the SiLU activations of the penultimate Dense layer.
//
// It is trained (Train) with Adam (Kingma & Ba 2015) on the cross-entropy
// of the 60,000 MNIST training images, randomly translated by up to 2
// pixels, with a cosine learning-rate decay; the committed weights (mnist_classifier.ddpm) reach the
// test accuracy recorded in their metadata (≥ 99 % on the 10,000 test
// images), which the package test checks on the first 1,000.
//
// References:
//
//   - Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning
//     applied to document recognition. Proc. IEEE 86, 1998 (MNIST).
//   - M. Heusel et al. GANs Trained by a Two Time-Scale Update Rule Converge
//     to a Local Nash Equilibrium. NeurIPS 2017. arXiv:1706.08500 (FID).
//   - D. P. Kingma, J. Ba. Adam: A Method for Stochastic Optimization. ICLR
//     2015. arXiv:1412.6980.
//   - I. Loshchilov, F. Hutter. SGDR: Stochastic Gradient Descent with Warm
//     Restarts. ICLR 2017. arXiv:1608.03983 (cosine decay).
package classifier

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

const (
	// Scope is the store scope of the classifier's variables ("/classifier/…").
	Scope = "classifier"
	// FeatureDim is the width F of the penultimate layer, the features of MNIST-FD.
	FeatureDim = 128
	// Classes is the number of digits.
	Classes = 10
	// ImageSize is the side of an MNIST image.
	ImageSize = 28
	// WeightsFile is the name of the committed weights in this package's folder.
	WeightsFile = "mnist_classifier.ddpm"
	// NumParameters is the parameter count of the network drawn in the package doc.
	NumParameters = 156650
)

// Net builds the classifier on x [B, 28, 28, 1] float32 (pixels in [−1, 1]) and
// returns the logits [B, 10] and the features [B, 128]. Its variables live
// under scope.At(Scope). It panics if x has another shape.
func Net(scope *model.Scope, x *Node) (logits, features *Node) {
	d := x.Shape().Dimensions
	if x.Rank() != 4 || d[1] != ImageSize || d[2] != ImageSize || d[3] != 1 {
		panic(fmt.Sprintf("classifier.Net: want x [B, 28, 28, 1], got %s", x.Shape()))
	}
	s := scope.At(Scope)
	h := x
	for i, l := range []struct{ out, stride int }{{32, 1}, {32, 2}, {64, 1}, {64, 2}, {128, 2}} {
		h = nets.SiLU(nets.Conv2D(s.At("conv%d", i+1), h, l.out, 3, l.stride, nets.ConvAuto))
	}
	h = ReduceMean(h, 1, 2)                                        // [B, 128]
	features = nets.SiLU(nets.Dense(s.At("dense"), h, FeatureDim)) // [B, 128]
	logits = nets.Dense(s.At("logits"), features, Classes)         // [B, 10]
	return logits, features
}

// DefaultPath is the path of the committed weights: PathOf(WeightsFile).
func DefaultPath() string { return PathOf(WeightsFile) }

// PathOf is the path of the weight file name in this package's folder,
// classifier/name relative to the repository root, as seen from the
// working directory: the first of "classifier/name", "../classifier/name",
// … (up to 4 levels) that exists, else "classifier/name" (run from the
// repository root). It is always a relative path: a binary must not carry
// the folder it was built in. A data set names its classifier's file this
// way (data.Evaluator.Classifier).
func PathOf(name string) string {
	rel := filepath.Join("classifier", name)
	for up := 0; up <= 4; up++ {
		p := filepath.Join(strings.Repeat("../", up), rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return rel
}

// evalBatch is the batch of the compiled inference graph; the last batch is
// padded with zeros (and the padding dropped), so one graph serves any N.
const evalBatch = 250

// Infer runs the classifier on images (flattened [N, 28, 28, 1] float32 in
// [−1, 1]) in batches, and returns the logits [N·10] and the features
// [N·128], row-major, in float64.
func Infer(backend compute.Backend, store *model.Store, images []float32) (logits, features []float64, err error) {
	const px = ImageSize * ImageSize
	if len(images) == 0 || len(images)%px != 0 {
		return nil, nil, fmt.Errorf("classifier: %d values are not 28×28×1 images", len(images))
	}
	n := len(images) / px
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) (*Node, *Node) {
		return Net(scope, x)
	})
	if err != nil {
		return nil, nil, err
	}
	logits = make([]float64, 0, n*Classes)
	features = make([]float64, 0, n*FeatureDim)
	buf := make([]float32, evalBatch*px)
	for start := 0; start < n; start += evalBatch {
		m := min(evalBatch, n-start)
		clear(buf)
		copy(buf, images[start*px:(start+m)*px])
		outs, err := exec.Call(tensors.FromFlatDataAndDimensions(buf, evalBatch, ImageSize, ImageSize, 1))
		if err != nil {
			return nil, nil, fmt.Errorf("classifier: inference: %w", err)
		}
		for _, v := range tensors.MustCopyFlatData[float32](outs[0])[:m*Classes] {
			logits = append(logits, float64(v))
		}
		for _, v := range tensors.MustCopyFlatData[float32](outs[1])[:m*FeatureDim] {
			features = append(features, float64(v))
		}
	}
	return logits, features, nil
}

// Features returns the penultimate-layer features [N·128] (row-major,
// float64) of images, flattened [N, 28, 28, 1] float32 in [−1, 1].
func Features(backend compute.Backend, store *model.Store, images []float32) ([]float64, error) {
	_, f, err := Infer(backend, store, images)
	return f, err
}

// Predict returns the most likely digit of each image.
func Predict(backend compute.Backend, store *model.Store, images []float32) ([]uint8, error) {
	logits, _, err := Infer(backend, store, images)
	if err != nil {
		return nil, err
	}
	pred := make([]uint8, len(logits)/Classes)
	for i := range pred {
		best := 0
		for k := 1; k < Classes; k++ {
			if logits[i*Classes+k] > logits[i*Classes+best] {
				best = k
			}
		}
		pred[i] = uint8(best)
	}
	return pred, nil
}

// Accuracy is the fraction of images whose predicted digit is their label.
func Accuracy(backend compute.Backend, store *model.Store, images []float32, labels []uint8) (float64, error) {
	pred, err := Predict(backend, store, images)
	if err != nil {
		return 0, err
	}
	if len(pred) != len(labels) {
		return 0, fmt.Errorf("classifier: %d images but %d labels", len(pred), len(labels))
	}
	ok := 0
	for i, p := range pred {
		if p == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(labels)), nil
}

// crossEntropy is the mean of −log softmax(logits)[label] over the batch:
// logits [B, 10], labels [B] int32 → scalar.
func crossEntropy(logits, labels *Node) *Node {
	logp := LogSoftmax(logits, -1)                              // [B, 10]
	onehot := OneHot(labels, Classes, logits.DType())           // [B, 10]
	return Neg(ReduceAllMean(ReduceSum(Mul(logp, onehot), -1))) // scalar
}

// ConfidentShare is the share of examples whose most likely class has a
// softmax probability of at least threshold, from logits [N·10] (row-major,
// as [Infer] returns them): a sample-quality figure that needs no reference
// set ("the share of samples the classifier reads as a digit with
// confidence ≥ 0.9"), to be set beside the same share on real digits.
func ConfidentShare(logits []float64, threshold float64) (float64, error) {
	if len(logits) == 0 || len(logits)%Classes != 0 {
		return 0, fmt.Errorf("classifier: %d logits are not rows of %d classes", len(logits), Classes)
	}
	n := len(logits) / Classes
	confident := 0
	for i := range n {
		row := logits[i*Classes : (i+1)*Classes]
		m := row[0]
		for _, v := range row[1:] {
			m = math.Max(m, v)
		}
		var z float64 // Σ exp(l − max): p_max = 1/z
		for _, v := range row {
			z += math.Exp(v - m)
		}
		if 1/z >= threshold {
			confident++
		}
	}
	return float64(confident) / float64(n), nil
}

// LabelAccuracy is the share of rows of logits [N·10] (as [Infer] returns
// them) whose most likely class is the requested label: how often a
// class-conditional sample reads as the digit it was asked for.
func LabelAccuracy(logits []float64, labels []int32) (float64, error) {
	if len(logits) == 0 || len(logits) != Classes*len(labels) {
		return 0, fmt.Errorf("classifier: %d logits for %d labels: want %d classes per label", len(logits), len(labels), Classes)
	}
	hit := 0
	for i, y := range labels {
		row := logits[i*Classes : (i+1)*Classes]
		best := 0
		for k, v := range row {
			if v > row[best] {
				best = k
			}
		}
		if int32(best) == y {
			hit++
		}
	}
	return float64(hit) / float64(len(labels)), nil
}
