package classifier

import (
	"path/filepath"
	"testing"

	"github.com/ddpm-go/ddpm-go/data"
)

// TestDatasetClassifiers: every data set that declares a classifier
// (data.Dataset.Eval) names a weight file of this package that loads, for
// images of this network's input size; MNIST's is the committed one under
// the metric name FDName.
func TestDatasetClassifiers(t *testing.T) {
	for _, name := range data.ImageNames() {
		d, err := data.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if d.Eval == nil {
			continue
		}
		if d.Dims[0] != ImageSize || d.Dims[1] != ImageSize || d.Dims[2] != 1 || d.Classes != Classes {
			t.Errorf("%s: dims %v, %d classes; the classifier takes %d×%d×1 images of %d classes", name, d.Dims, d.Classes, ImageSize, ImageSize, Classes)
		}
		path := PathOf(d.Eval.Classifier)
		if _, _, err := Load(path); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if filepath.Base(path) != d.Eval.Classifier {
			t.Errorf("%s: PathOf(%q) = %s", name, d.Eval.Classifier, path)
		}
	}
	mnist, err := data.Lookup("mnist")
	if err != nil {
		t.Fatal(err)
	}
	if mnist.Eval == nil || PathOf(mnist.Eval.Classifier) != DefaultPath() || mnist.Eval.Metric != FDName {
		t.Errorf("mnist's evaluator %+v, want the committed weights %s and metric %s", mnist.Eval, DefaultPath(), FDName)
	}
}
