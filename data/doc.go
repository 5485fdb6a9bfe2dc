// Package data provides the training data for the DDPM experiments: exact
// samplers of 2-D toy distributions, and pure-Go readers for the MNIST,
// Fashion-MNIST and CIFAR-10 files as distributed by their authors.
//
// The package has no dependency on GoMLX: everything is plain Go slices.
// Images are stored as [Images] in NHWC order with uint8 pixels and are
// converted to float32 with [Images.ToFloat32] or [Images.Batch], which apply
// the linear map {0,…,255} → [−1, 1] of Ho et al. (2020, §3.3). A [Batcher]
// yields the shuffled minibatches of a step, a pure function of the seed and the
// step (the one epoch shuffler of training and of the MNIST classifier).
//
// Each data set is one file of the package that registers itself
// ([Register], a [Dataset]: its name, dims, classes, loader or sampler and,
// for an image set with a classifier, its [Evaluator]); the layers above
// look data sets up by name ([Lookup], [Names]) and never switch on one.
// docs/datasets.md says how to add one.
//
// Every function that reads a file or takes user input reports problems as a
// one-line error that names the file (or the bad value) and says what is
// wrong; none of them panics on bad data.
//
// References:
//
//   - J. Ho, A. Jain, P. Abbeel. Denoising Diffusion Probabilistic Models.
//     NeurIPS 2020. arXiv:2006.11239.
//   - Y. LeCun, C. Cortes, C. J. C. Burges. The MNIST database of handwritten
//     digits. http://yann.lecun.com/exdb/mnist/ (defines the IDX format).
//   - H. Xiao, K. Rasul, R. Vollgraf. Fashion-MNIST: a Novel Image Dataset for
//     Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017.
//   - A. Krizhevsky. Learning Multiple Layers of Features from Tiny Images.
//     Tech. report, 2009. https://www.cs.toronto.edu/~kriz/cifar.html
//   - W. Grathwohl, R. T. Q. Chen, J. Bettencourt, I. Sutskever, D. Duvenaud.
//     FFJORD: Free-form Continuous Dynamics for Scalable Reversible Generative
//     Models. ICLR 2019. arXiv:1810.01367; toy data in
//     https://github.com/rtqichen/ffjord/blob/master/lib/toy_data.py
//   - L. Metz, B. Poole, D. Pfau, J. Sohl-Dickstein. Unrolled Generative
//     Adversarial Networks. ICLR 2017. arXiv:1611.02163 (ring of 8 Gaussians).
//   - F. Pedregosa et al. Scikit-learn: Machine Learning in Python. JMLR 12,
//     2011 (make_swiss_roll, make_moons, make_circles).
package data
