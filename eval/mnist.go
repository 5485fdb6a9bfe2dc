package eval

import (
	"math"

	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/metrics"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// ConfidentThreshold is the classifier confidence above which a sample
// counts as read as a digit (Report.Extra["confident_share"]).
const ConfidentThreshold = 0.9

// mnistStream scores samples batch by batch with the classifier a data set
// declares (data.Dataset.Eval; MNIST's for MNIST-FD): the
// Gaussian of their features (for MNIST-FD), how many it reads with
// confidence ≥ ConfidentThreshold and, with labels, how many it reads as
// their label. It holds no sample.
type mnistStream struct {
	backend         compute.Backend
	store           *model.Store
	meta            *classifier.Meta
	feats           *metrics.GaussianAcc
	n, confident    int
	labelled, reads int
}

// newMNISTStream scores with the classifier's weights store (and meta).
func newMNISTStream(backend compute.Backend, store *model.Store, meta *classifier.Meta) *mnistStream {
	return &mnistStream{backend: backend, store: store, meta: meta, feats: metrics.NewGaussianAcc(classifier.FeatureDim)}
}

// add scores a batch of images x (flattened [b, 28, 28, 1]) drawn for
// labels (nil: none).
func (s *mnistStream) add(x []float32, labels []int32) error {
	logits, feats, err := classifier.Infer(s.backend, s.store, x)
	if err != nil {
		return err
	}
	if err := s.feats.Add(feats); err != nil {
		return err
	}
	b := len(logits) / classifier.Classes
	// The shares are counts over b: rounding share·b gives the counts back.
	cs, err := classifier.ConfidentShare(logits, ConfidentThreshold)
	if err != nil {
		return err
	}
	s.n, s.confident = s.n+b, s.confident+int(math.Round(cs*float64(b)))
	if labels != nil {
		acc, err := classifier.LabelAccuracy(logits, labels)
		if err != nil {
			return err
		}
		s.labelled, s.reads = s.labelled+b, s.reads+int(math.Round(acc*float64(b)))
	}
	return nil
}
