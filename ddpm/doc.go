// Package ddpm implements denoising diffusion probabilistic models.
package ddpm
