package data

// init registers Fashion-MNIST; its test is fashionmnist_test.go.
func init() {
	Register(Dataset{Name: "fashion-mnist", Doc: "Fashion-MNIST clothing images (Xiao et al. 2017), 28×28 grey, 10 classes, from a folder",
		Dims: []int{28, 28, 1}, Classes: 10, Load: LoadFashionMNIST, Files: "the Fashion-MNIST IDX files",
		TrainSize: 60000, TestSize: 10000})
}

// LoadFashionMNIST reads the "train" or "test" split of Fashion-MNIST (Xiao
// et al., 2017), which uses MNIST's file names, IDX format, 28×28 image size
// and 10 classes, from dir; see LoadMNIST.
func LoadFashionMNIST(dir, split string) (*Images, []uint8, error) {
	return loadMNISTFormat("Fashion-MNIST", dir, split)
}
