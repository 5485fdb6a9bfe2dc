// Package metrics measures how far a generative model's samples are from the
// data: distances between two point sets, each reported next to its floor
// (the same distance between two independent draws of the data, of the same
// size), since every sample-based distance is positive even for a perfect
// model.
//
//   - SlicedW1: sliced Wasserstein-1 distance (Rabin et al. 2011; Bonneel et
//     al. 2015), for low-dimensional (2-D toy) data.
//   - MMD: maximum mean discrepancy with a Gaussian (RBF) kernel, the
//     unbiased U-statistic of Gretton et al. (2012, Lemma 6).
//   - FrechetDistance: the Fréchet (2-Wasserstein) distance between Gaussians
//     fitted to two feature sets (Dowson & Landau 1982), the formula of FID
//     (Heusel et al. 2017). classifier.FD applies it to the penultimate-layer
//     features of our own MNIST classifier (package classifier): it is the
//     "Fréchet distance on features of our MNIST classifier", MNIST-FD, not
//     the Inception FID, and its values are not comparable with FIDs in papers.
//   - Floor and Report: a distance's floor and the ratio value/floor.
//
// The variational bound of Ho et al. (2020) Eq. 5 in bits/dim, its L_{t−1}
// terms optionally estimated by stratified sampling of t, is ddpm.NLL
// (NLLConfig.Stride).
//
// Points are flattened row-major float32 slices [N, D], as package data
// produces them; every distance is computed in float64.
//
// References:
//
//   - J. Rabin, G. Peyré, J. Delon, M. Bernot. Wasserstein Barycenter and its
//     Application to Texture Mixing. SSVM 2011 (sliced Wasserstein).
//   - N. Bonneel, J. Rabin, G. Peyré, H. Pfister. Sliced and Radon Wasserstein
//     Barycenters of Measures. JMIV 51, 2015.
//   - A. Gretton, K. Borgwardt, M. Rasch, B. Schölkopf, A. Smola. A Kernel
//     Two-Sample Test. JMLR 13, 2012.
//   - D. C. Dowson, B. V. Landau. The Fréchet distance between multivariate
//     normal distributions. J. Multivariate Anal. 12, 1982.
//   - M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler, S. Hochreiter. GANs
//     Trained by a Two Time-Scale Update Rule Converge to a Local Nash
//     Equilibrium. NeurIPS 2017 (FID). arXiv:1706.08500.
//   - J. Ho, A. Jain, P. Abbeel. Denoising Diffusion Probabilistic Models.
//     NeurIPS 2020. arXiv:2006.11239.
package metrics
