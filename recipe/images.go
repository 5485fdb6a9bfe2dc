package recipe

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/internal/field"
)

// LoadImages reads split ("train" or "test") of the image data set of c,
// from c.DataDir (for mnist "" is the GoMNIST module's copy).
func LoadImages(c Config, split string) (*data.Images, error) {
	imgs, _, err := LoadLabelledImages(c, split)
	return imgs, err
}

// LoadLabelledImages is [LoadImages] with the images' labels.
func LoadLabelledImages(c Config, split string) (*data.Images, []uint8, error) {
	dir := c.DataDir
	var (
		imgs   *data.Images
		labels []uint8
		err    error
	)
	switch c.Data {
	case MNIST:
		imgs, labels, err = data.LoadMNIST(dir, split) // "": the GoMNIST module's copy
	case FashionMNIST:
		if dir == "" {
			return nil, nil, field.New("recipe", "Config", "DataDir", `""`, "must name a folder with the Fashion-MNIST IDX files for fashion-mnist")
		}
		imgs, labels, err = data.LoadFashionMNIST(dir, split)
	case CIFAR10:
		if dir == "" {
			return nil, nil, field.New("recipe", "Config", "DataDir", `""`, "must name a folder with the CIFAR-10 binary batches for cifar10")
		}
		imgs, labels, err = data.LoadCIFAR10(dir, split)
	default:
		return nil, nil, fmt.Errorf("recipe: %s is not an image dataset", c.Data)
	}
	if err == nil && len(labels) != imgs.N {
		return nil, nil, fmt.Errorf("recipe: %s %s: %d images but %d labels", c.Data, split, imgs.N, len(labels))
	}
	return imgs, labels, err
}
