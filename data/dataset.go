package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Dataset is one data set of the registry: an image set read from files or
// a 2-D toy drawn by an exact sampler. Each data set is one file of this
// package that calls [Register] from its init function; everything above
// package data (the run configuration, the sources of training batches,
// the evaluation, the help texts) asks the registry and never switches on a
// data set's name, so a new data set is its file and its test.
type Dataset struct {
	// Name is the name the data set is registered under and that run
	// configurations store (-data): lower case, no space or comma.
	Name string
	// Doc is a one-line description for help texts.
	Doc string
	// Dims are the dimensions of one example: [H, W, C] for images (NHWC),
	// [2] for the 2-D toys.
	Dims []int
	// Classes is the number of labels (0 when the data are unlabelled);
	// labels are 0…Classes−1.
	Classes int

	// Load reads split ("train" or "test") of an image set from dir; an
	// empty dir reads the copy named by DefaultDir. Images have Dims; the
	// labels, one per image, lie in 0…Classes−1. Nil for a toy.
	Load func(dir, split string) (*Images, []uint8, error)
	// Files says what the folder of an image set holds, for messages ("the
	// CIFAR-10 binary batches").
	Files string
	// DefaultDir names, for help texts, the copy an empty folder reads (MNIST:
	// "the GoMNIST module's copy"); "" when the user must give a folder.
	DefaultDir string
	// TrainSize and TestSize are the numbers of images in the train and test
	// splits of the files as their authors distribute them.
	TrainSize, TestSize int
	// Eval is the classifier-based evaluation of an image set (nil: none;
	// such a set gets the metrics that need no classifier).
	Eval *Evaluator

	// Sample draws points of a toy (nil for an image set).
	Sample Distribution
	// SampleLabeled is Sample with each point's label (the same points for
	// the same rng) for a labelled toy; nil when Classes is 0.
	SampleLabeled func(rng *rand.Rand, n int) ([]float32, []int32)
}

// Evaluator is what the evaluation of an image set needs beyond its images:
// a classifier of package classifier's architecture (28×28×1 inputs, 10
// classes) trained on the set, whose penultimate features give a Fréchet
// distance (Heusel et al. 2017's formula on other features) and whose
// confidence gives the share of samples it reads as a class.
type Evaluator struct {
	// Classifier is the file name of the classifier's weights in package
	// classifier's folder (classifier.PathOf finds it).
	Classifier string
	// Metric names the Fréchet distance on its features ("MNIST-FD").
	Metric string
	// Noun is what one class is called in messages ("digit").
	Noun string
}

// IsImage says whether d is an image set (else a 2-D toy).
func (d Dataset) IsImage() bool { return d.Load != nil }

// registered holds the data sets, sorted by name.
var registered []Dataset

// Register adds d to the registry. It panics on a name that is taken,
// empty, not lower case or holds a space or comma, and on a data set that
// is neither exactly an image set (Load, 3 dims) nor exactly a 2-D toy
// (Sample, dims [2]); data sets call it from an init function.
func Register(d Dataset) {
	name := d.Name
	if _, ok := lookup(name); ok || name == "" || name != strings.ToLower(name) || strings.ContainsAny(name, " ,") {
		panic(fmt.Sprintf("data.Register: dataset name %q is taken or invalid", name))
	}
	image := d.Load != nil && d.Sample == nil && len(d.Dims) == 3
	toy := d.Load == nil && d.Sample != nil && slices.Equal(d.Dims, []int{2})
	if !image && !toy {
		panic(fmt.Sprintf("data.Register: %s must be an image set (Load, dims [H, W, C]) or a 2-D toy (Sample, dims [2])", name))
	}
	if d.Classes < 0 || toy && (d.Classes > 0) != (d.SampleLabeled != nil) {
		panic(fmt.Sprintf("data.Register: %s: %d classes; a toy has labels exactly when it has SampleLabeled", name, d.Classes))
	}
	d.Dims = slices.Clone(d.Dims)
	registered = append(registered, d)
	slices.SortFunc(registered, func(a, b Dataset) int { return strings.Compare(a.Name, b.Name) })
}

func lookup(name string) (Dataset, bool) {
	for _, d := range registered {
		if d.Name == name {
			d.Dims = slices.Clone(d.Dims)
			return d, true
		}
	}
	return Dataset{}, false
}

// Lookup is the registered data set name; an unknown name is a one-line
// error that lists the registered ones.
func Lookup(name string) (Dataset, error) {
	d, ok := lookup(name)
	if !ok {
		return d, fmt.Errorf("data: unknown dataset %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	return d, nil
}

// Names lists the registered data sets, sorted, for help texts.
func Names() []string { return namesWhere(func(Dataset) bool { return true }) }

// ImageNames lists the registered image sets, sorted.
func ImageNames() []string { return namesWhere(Dataset.IsImage) }

// ToyNames lists the registered 2-D toys (the names Toy2D accepts), sorted.
func ToyNames() []string {
	return namesWhere(func(d Dataset) bool { return !d.IsImage() })
}

// LabelledNames lists the registered data sets that have labels (Classes >
// 0), sorted: those a class-conditional model can be trained on.
func LabelledNames() []string {
	return namesWhere(func(d Dataset) bool { return d.Classes > 0 })
}

// DirHelp says, for help texts, what the folder of each registered image
// set holds and, for a set that ships a copy, what an empty folder reads:
// "cifar10: the CIFAR-10 binary batches; …; mnist: the MNIST IDX files
// (default: the GoMNIST module's copy)".
func DirHelp() string {
	var parts []string
	for _, d := range registered {
		if !d.IsImage() {
			continue
		}
		part := d.Name + ": " + d.Files
		if d.DefaultDir != "" {
			part += " (default: " + d.DefaultDir + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

func namesWhere(keep func(Dataset) bool) []string {
	var out []string
	for _, d := range registered {
		if keep(d) {
			out = append(out, d.Name)
		}
	}
	return out
}

// Toy2D returns the sampler of the registered 2-D toy name (see ToyNames);
// an unknown name, or an image set, is an error that lists the valid ones.
func Toy2D(name string) (Distribution, error) {
	d, ok := lookup(name)
	if !ok || d.IsImage() {
		return nil, fmt.Errorf("data: unknown toy dataset %q; valid names: %s", name, strings.Join(ToyNames(), ", "))
	}
	return d.Sample, nil
}
