package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestRegistryConsistent checks every registered data set against the
// rules of Dataset and Register: names unique, lower case, sorted; image
// sets with 3 positive dims, a loader, a description of their files and
// split sizes; toys 2-D with a sampler, labelled exactly when they have
// classes; evaluators only on image sets, complete.
func TestRegistryConsistent(t *testing.T) {
	names := Names()
	if len(names) == 0 {
		t.Fatal("no data set registered")
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatalf("Names() = %v, want sorted and unique", names)
	}
	if got := append(ImageNames(), ToyNames()...); !slices.Equal(slices.Sorted(slices.Values(got)), names) {
		t.Errorf("ImageNames() + ToyNames() = %v, want the %v of Names()", got, names)
	}
	for _, name := range names {
		d, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != name || name != strings.ToLower(name) || strings.ContainsAny(name, " ,") {
			t.Errorf("%q: name %q is not lower case without spaces and commas", name, d.Name)
		}
		if d.Doc == "" || strings.Contains(d.Doc, "\n") {
			t.Errorf("%s: doc %q is not one line", name, d.Doc)
		}
		if d.Classes < 0 || (d.Classes > 0) != slices.Contains(LabelledNames(), name) {
			t.Errorf("%s: %d classes, LabelledNames() = %v", name, d.Classes, LabelledNames())
		}
		if d.IsImage() {
			if len(d.Dims) != 3 || slices.Min(d.Dims) < 1 || d.Sample != nil || d.SampleLabeled != nil {
				t.Errorf("%s: image set with dims %v (want [H, W, C]) or a sampler", name, d.Dims)
			}
			if d.Files == "" || d.TrainSize < 1 || d.TestSize < 1 {
				t.Errorf("%s: files %q, split sizes %d, %d: all are needed", name, d.Files, d.TrainSize, d.TestSize)
			}
			if e := d.Eval; e != nil && (e.Classifier == "" || e.Metric == "" || e.Noun == "") {
				t.Errorf("%s: incomplete evaluator %+v", name, *e)
			}
			continue
		}
		if !slices.Equal(d.Dims, []int{2}) || d.Sample == nil || d.Load != nil || d.Eval != nil || d.Files != "" {
			t.Errorf("%s: toy with dims %v (want [2]), no sampler, or image fields", name, d.Dims)
		}
		if (d.Classes > 0) != (d.SampleLabeled != nil) {
			t.Errorf("%s: %d classes but SampleLabeled set = %v", name, d.Classes, d.SampleLabeled != nil)
		}
		if _, err := Toy2D(name); err != nil {
			t.Errorf("%s: Toy2D: %v", name, err)
		}
	}
}

// TestLookupUnknown: an unknown name is one line that names it and lists
// the registered data sets; Toy2D refuses an image set the same way.
func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("spirals")
	if err == nil {
		t.Fatal(`Lookup("spirals") succeeded`)
	}
	if msg := err.Error(); !strings.Contains(msg, `"spirals"`) || !strings.Contains(msg, strings.Join(Names(), ", ")) || strings.Contains(msg, "\n") {
		t.Errorf("error %q should be one line naming the input and listing %v", msg, Names())
	}
	if _, err := Toy2D("mnist"); err == nil || !strings.Contains(err.Error(), strings.Join(ToyNames(), ", ")) {
		t.Errorf(`Toy2D("mnist") = %v, want the error listing the toys`, err)
	}
}

// TestRegisterRefuses: Register panics on a taken or invalid name and on a
// data set that is neither an image set nor a 2-D toy, and keeps the
// registry unchanged.
func TestRegisterRefuses(t *testing.T) {
	before := Names()
	for _, d := range []Dataset{
		{Name: "swissroll", Dims: []int{2}, Sample: SwissRoll},
		{Name: "Rings", Dims: []int{2}, Sample: SwissRoll},
		{Name: "two words", Dims: []int{2}, Sample: SwissRoll},
		{Name: "", Dims: []int{2}, Sample: SwissRoll},
		{Name: "flat", Dims: []int{784}, Load: LoadMNIST},
		{Name: "cube", Dims: []int{3}, Sample: SwissRoll},
		{Name: "both", Dims: []int{2}, Sample: SwissRoll, Load: LoadMNIST},
		{Name: "unlabelled", Dims: []int{2}, Classes: 3, Sample: SwissRoll},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q, dims %v) did not panic", d.Name, d.Dims)
				}
			}()
			Register(d)
		}()
	}
	if got := Names(); !slices.Equal(got, before) {
		t.Errorf("Names() = %v after refused registrations, want %v", got, before)
	}
}

// checkDataset looks name up and checks its dims and classes.
func checkDataset(t *testing.T, name string, dims []int, classes int) Dataset {
	t.Helper()
	d, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Dims, dims) || d.Classes != classes {
		t.Fatalf("%s: dims %v, %d classes; want %v, %d", name, d.Dims, d.Classes, dims, classes)
	}
	return d
}

// checkToy draws 1,000 points of the toy d with a fixed seed: 2 finite
// values each, and for a labelled toy the same points with labels in
// 0…Classes−1.
func checkToy(t *testing.T, d Dataset) {
	t.Helper()
	const n = 1000
	p := d.Sample(rand.New(rand.NewPCG(3, 4)), n)
	if len(p) != 2*n {
		t.Fatalf("%s: %d values for %d points", d.Name, len(p), n)
	}
	for i, v := range p {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("%s: value %d is %v", d.Name, i, v)
		}
	}
	if d.SampleLabeled == nil {
		return
	}
	q, labels := d.SampleLabeled(rand.New(rand.NewPCG(3, 4)), n)
	if !slices.Equal(p, q) || len(labels) != n {
		t.Fatalf("%s: SampleLabeled gave other points than Sample, or %d labels", d.Name, len(labels))
	}
	for i, l := range labels {
		if l < 0 || int(l) >= d.Classes {
			t.Fatalf("%s: label %d of point %d outside 0…%d", d.Name, l, i, d.Classes-1)
		}
	}
}
