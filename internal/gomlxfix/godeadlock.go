package gomlxfix

// The pure-Go backend of github.com/gomlx/compute
// v0.0.0-20260716164435-04857206aff7 (GoMLX v0.28.0's) runs independent ops
// in parallel, each in a worker of a pool of 2·GOMAXPROCS slots, and a large
// matmul inside such an op waits in workerspool.(*Pool).Saturate for free
// slots while holding its own; when every slot is held that way nothing
// moves. Seen here at 2 cores: a U-Net training step hung forever (in every
// try of 30 steps; in 2 of 5 serial runs of nets' tests at batch 2), every
// worker waiting in Saturate or WaitToStart; two executions at once on the
// same backend also hung. The option "ops_sequential" runs a graph's ops one
// after another in the calling goroutine, which holds no slot; each op still
// uses every core.
//
// It touches the backend's configuration option "ops_sequential";
// TestGoSequentialOptionCanary fails if the backend no longer accepts it.

// GoSequential is the pure-Go backend with its ops run one at a time: the
// configuration a bare "go" runs as (see [SafeBackendConfig]).
const GoSequential = "go:ops_sequential"

// SafeBackendConfig turns a bare "go" (GOMLX_BACKEND's spelling of the
// pure-Go backend) into [GoSequential]; any other configuration, an explicit
// "go:…" included, is returned as given.
func SafeBackendConfig(config string) string {
	if config == "go" {
		return GoSequential
	}
	return config
}
