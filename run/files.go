// Package run is a training run in a folder: its options ([Options]),
// every check before any work ([Prepare]: the configuration, the devices,
// the memory, the folder's rules, the -init weights, the data), the plan of
// a recipe's length ([Plan], [StepsFor]), and the training loop ([Train]:
// Algorithm 1 of Ho et al. 2020) with its checkpoints and exact resume,
// interrupts, divergence detection, the loss log and the history of a
// run's changes (history.json), ending with the weight file
// (package trained).
package run

import "github.com/ddpm-go/ddpm-go/internal/atomicfile"

// The files a training run writes in its folder besides run.json and its
// checkpoints (package ckpt's): no other command writes them
// (atomicfile.CheckDest refuses them in a folder holding a run.json).
const (
	lossLogName   = "loss.csv"
	lossCurveName = "loss.png"
	weightsName   = "weights.ddpm"
	historyName   = "history.json"
)

func init() {
	atomicfile.RegisterRunFiles(func(n string) bool {
		return n == lossLogName || n == lossCurveName || n == weightsName || n == historyName
	})
}
