package recipe

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/internal/field"
)

// LoadImages reads split ("train" or "test") of the image data set of c,
// from c.DataDir (for a set that ships a copy, such as mnist, "" is that
// copy: data.Dataset.DefaultDir).
func LoadImages(c Config, split string) (*data.Images, error) {
	imgs, _, err := LoadLabelledImages(c, split)
	return imgs, err
}

// LoadLabelledImages is [LoadImages] with the images' labels: the loader
// the data set declares in package data's registry (data.Dataset.Load),
// from c.DataDir, which may be empty only for a set that ships a copy.
func LoadLabelledImages(c Config, split string) (*data.Images, []uint8, error) {
	d, err := data.Lookup(c.Data)
	if err != nil || !d.IsImage() {
		return nil, nil, fmt.Errorf("recipe: %s is not an image dataset", c.Data)
	}
	if c.DataDir == "" && d.DefaultDir == "" {
		return nil, nil, field.New("recipe", "Config", "DataDir", `""`, "must name a folder with %s for %s", d.Files, c.Data)
	}
	imgs, labels, err := d.Load(c.DataDir, split) // "": the copy that ships (DefaultDir)
	if err == nil && len(labels) != imgs.N {
		return nil, nil, fmt.Errorf("recipe: %s %s: %d images but %d labels", c.Data, split, imgs.N, len(labels))
	}
	return imgs, labels, err
}
