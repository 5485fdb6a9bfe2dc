// Package ddpm implements denoising diffusion probabilistic models on GoMLX,
// one derivation per file, each checked against an independent reference in
// its tests.
//
// Reference: J. Ho, A. Jain, P. Abbeel, "Denoising Diffusion Probabilistic
// Models", NeurIPS 2020, arXiv:2006.11239. Equation numbers in doc comments
// ("Eq. 4") are that paper's unless another paper is named: Nichol & Dhariwal
// 2021 (cosine schedule), Song, Meng & Ermon 2021 (DDIM), Song & Ermon 2019
// (annealed Langevin), Welling & Teh 2011 (SGLD), Salimans & Ho 2022 (v).
//
// # Index convention
//
// Paper steps run t = 1 … T. Every table and every t in a graph is a 0-based
// array index i, with paper step t = i + 1: Betas[0] is β_1 and
// AlphasBar[T−1] is ᾱ_T. At index 0, ᾱ_{t−1} = ᾱ_0 = 1 and β̃_1 = 0.
//
// # Notation
//
//	paper                           identifier
//	β_t                             Schedule.Betas
//	α_t = 1 − β_t                   Schedule.Alphas
//	ᾱ_t = ∏_{s≤t} α_s               Schedule.AlphasBar
//	ᾱ_{t−1}                         Schedule.AlphasBarPrev
//	√ᾱ_t, √(1−ᾱ_t)                  Schedule.SqrtAlphasBar, SqrtOneMinusAlphasBar
//	1/√α_t                          Schedule.SqrtRecipAlphas
//	β_t/√(1−ᾱ_t)                    Schedule.EpsCoef
//	SNR(t) = ᾱ_t/(1−ᾱ_t)            Schedule.SNR
//	β̃_t (Eq. 7)                     Schedule.PosteriorVariance
//	μ̃_t coefficients (Eq. 7)        Schedule.PosteriorMeanCoef1 (x_0), PosteriorMeanCoef2 (x_t)
//	σ_t² (§3.2)                     Schedule.ReverseVariance(FixedLarge|FixedSmall)
//	q(x_t|x_{t−1}) (Eq. 2)          QStep
//	q(x_t|x_0) (Eq. 4)              QSample, QMeanStd, ForwardChain (Eq. 2 iterated)
//	q(x_{t−1}|x_t,x_0) (Eqs. 6–7)   PosteriorMeanFromX0, PosteriorMeanFromEps, PosteriorVarianceAt, BayesPosterior1D
//	p_θ(x_{t−1}|x_t) (Eqs. 1, 11)   ReverseMean, ReverseVarianceNode, PredToX0Eps, AncestralStep
//	ε_θ                             Net (any network; Prediction says what it outputs)
//	L_simple (Eq. 14)               LSimple, Trainer (Algorithm 1)
//	min-SNR-γ weights (Hang 2023)   MinSNRWeights, LSimpleWeighted, TrainConfig.MinSNRGamma
//	L_T, L_{t−1}, L_0 (Eqs. 5, 13)  PriorBPD, VLBTermBPD, NormalKL, DiscretizedGaussianLogLikelihood, NLL
//	Algorithm 2; DDIM; Langevin     Sampler (Ancestral, DDIM, Langevin), SampleGraph
//	DPM-Solver++(2M) (Lu 2022)      DPMSolverPP2M (dpmsolver.go)
//	EDM Heun, S_churn (Karras 2022) Heun, SampleConfig.SChurn, STMin, STMax, SNoise (heun.go)
//	the samplers, one file each     Samplers, SamplerKnobs, SampleConfig.Iterations, Evaluations (registry.go)
//	DDIM spacings (diffusers)       SampleConfig.Spacing, FinalAlphaBarFirst, RawEpsDirection
//	Σ_θ, L_hybrid (Nichol 2021)     Learned, LearnedLogVariance, SplitLearned, LHybrid, Respace, RespacedNet
//	guidance (Ho & Salimans 2022)  CondNet, Guided, GuidedOutput, NullLabel, NewCondTrainer, Trainer.StepLabeled
//	SGLD step                       LangevinStep, LangevinChain, AnnealedLangevin
//	∇ log q(x_t) = −ε/√(1−ᾱ_t)       EpsScore
//
// # Precision
//
// Schedules are float64 tables on the host, cast to the graph's dtype when a
// graph is built: float64 graphs reproduce the float64 references to ~1e-12
// (see the tests), float32 graphs are what training and sampling use.
//
// # Backends
//
// Every function that runs a graph takes a compute.Backend; this package
// does not choose one. Package backend does (backend.New): XLA (CUDA, then
// CPU) when a PJRT plugin is installed and GoMLX's pure-Go backend
// otherwise; $GOMLX_BACKEND overrides. Build with GOEXPERIMENT=simd so that
// the pure-Go backend uses its AVX2 kernels.
package ddpm
