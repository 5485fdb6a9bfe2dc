package classifier

import "github.com/ddpm-go/ddpm-go/metrics"

// FDName is the name under which MNIST-FD is reported: the Fréchet
// distance on the penultimate-layer features of our MNIST classifier, not
// the Inception FID (its values are not comparable with FIDs in papers).
const FDName = "MNIST-FD"

// FD is MNIST-FD: metrics.FrechetDistance (Dowson & Landau 1982, the
// formula of FID, Heusel et al. 2017) between two sets of classifier
// features [N, FeatureDim] from [Features] or [Infer] (N ≥ 2 each). Its
// floor is FD between the features of two sets of real digits of the same
// sizes (e.g. training images against test images).
func FD(a, b []float64) (float64, error) { return metrics.FrechetDistance(a, b, FeatureDim) }
