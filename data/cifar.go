package data

import (
	"fmt"
	"io"
	"path/filepath"
)

// init registers CIFAR-10; its test is cifar_test.go (TestCIFAR10Dataset).
func init() {
	Register(Dataset{Name: "cifar10", Doc: "CIFAR-10 tiny colour images (Krizhevsky 2009), 32×32×3, 10 classes, from a folder",
		Dims: []int{cifarSide, cifarSide, 3}, Classes: 10, Load: LoadCIFAR10, Files: "the CIFAR-10 binary batches",
		TrainSize: 50000, TestSize: 10000})
}

// CIFAR-10 binary format (Krizhevsky, 2009; "Binary version" at
// https://www.cs.toronto.edu/~kriz/cifar.html): a batch file is a sequence
// of 3073-byte records, each one label byte 0…9 followed by a 32×32 colour
// image as three 1024-byte planes R, G, B, each in row-major order.
const (
	cifarSide   = 32
	cifarPlane  = cifarSide * cifarSide // 1024
	cifarImage  = 3 * cifarPlane        // 3072
	cifarRecord = 1 + cifarImage        // 3073
)

// cifarFiles maps each split to its batch files, in the order they are read.
var cifarFiles = map[string][]string{
	"train": {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"},
	"test":  {"test_batch.bin"},
}

// LoadCIFAR10 reads the "train" split (data_batch_1.bin … data_batch_5.bin,
// concatenated in that order; 50000 images) or the "test" split
// (test_batch.bin; 10000 images) of the CIFAR-10 binary version from dir,
// the cifar-10-batches-bin folder of cifar-10-binary.tar.gz. Images are
// returned as 32×32×3 NHWC (R, G, B), with one label 0…9 per image. Batch
// sizes are not checked, so smaller files of the same format also load.
func LoadCIFAR10(dir, split string) (*Images, []uint8, error) {
	names, ok := cifarFiles[split]
	if !ok {
		return nil, nil, fmt.Errorf("data: unknown CIFAR-10 split %q; valid splits: train, test", split)
	}
	all := &Images{H: cifarSide, W: cifarSide, C: 3}
	var labels []uint8
	for _, name := range names {
		im, l, err := ReadCIFAR10Batch(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, err
		}
		if all.Pix == nil { // size the result from the first batch
			all.Pix = make([]uint8, 0, len(names)*len(im.Pix))
			labels = make([]uint8, 0, len(names)*len(l))
		}
		all.N += im.N
		all.Pix = append(all.Pix, im.Pix...)
		labels = append(labels, l...)
	}
	return all, labels, nil
}

// ReadCIFAR10Batch reads one CIFAR-10 binary batch file, converting each
// image from the file's planar CHW layout to NHWC. It fails with a one-line
// error naming the file if it is missing, empty, not a whole number of
// 3073-byte records, or holds a label above 9.
func ReadCIFAR10Batch(path string) (*Images, []uint8, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w; pass the cifar-10-batches-bin folder extracted from cifar-10-binary.tar.gz", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("data: %s: %v", path, err)
	}
	size := st.Size()
	switch {
	case size == 0:
		return nil, nil, fmt.Errorf("data: %s is empty, want 3073-byte CIFAR-10 records; re-download the file", path)
	case size%cifarRecord != 0:
		hint := "truncated or not a CIFAR-10 binary batch; re-download the file"
		if size%(cifarRecord+1) == 0 {
			hint = "this looks like CIFAR-100 (3074-byte records), which is not supported"
		}
		return nil, nil, fmt.Errorf("data: %s: size %d bytes is not a multiple of the %d-byte CIFAR-10 record (%d whole records + %d bytes): %s",
			path, size, cifarRecord, size/cifarRecord, size%cifarRecord, hint)
	}
	raw := make([]byte, size)
	if n, err := io.ReadFull(f, raw); err != nil {
		return nil, nil, fmt.Errorf("data: %s: read %d of %d bytes: %v", path, n, size, err)
	}

	n := int(size / cifarRecord)
	im := &Images{N: n, H: cifarSide, W: cifarSide, C: 3, Pix: make([]uint8, n*cifarImage)}
	labels := make([]uint8, n)
	for i := range n {
		rec := raw[i*cifarRecord : (i+1)*cifarRecord]
		if rec[0] > 9 {
			return nil, nil, fmt.Errorf("data: %s: record %d has label %d, want 0…9; not a CIFAR-10 batch file", path, i, rec[0])
		}
		labels[i] = rec[0]
		r, g, b := rec[1:1+cifarPlane], rec[1+cifarPlane:1+2*cifarPlane], rec[1+2*cifarPlane:]
		dst := im.Pix[i*cifarImage : (i+1)*cifarImage]
		for p := range cifarPlane {
			dst[3*p], dst[3*p+1], dst[3*p+2] = r[p], g[p], b[p]
		}
	}
	return im, labels, nil
}
