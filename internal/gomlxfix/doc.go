// Package gomlxfix gathers ddpm-go's workarounds for bugs of GoMLX v0.28.0,
// its compute module (v0.0.0-20260716164435-04857206aff7) and go-xla
// v0.3.0: one file per upstream bug, each saying the version, the symptom
// and what the workaround touches, and each with a canary test that fails
// loudly when an upgrade changes what the workaround relies on (a private
// field gone or retyped, a backend option removed), so that no workaround
// silently stops working.
//
// Upgrading to GoMLX v0.28.2 (compute v0.1.2, go-xla v0.4.1) retired none of
// them: with each workaround removed in turn, the scalar-cache, reduction-
// cache and RNG-sharding failures came back with the same messages, and
// graph.Pad and Rsqrt still have no gradient, layers.Dense on a
// RandomIntN-derived input still panics (checked 2026-11-29). The Go
// backend's deadlock is intermittent and was not re-checked.
//
//	scalarcache.go    gomlx: one scalar-constant cache per graph, shared by While bodies      (reflect, unsafe)
//	xlareductions.go  go-xla: reduction closures cached per builder, shared across functions   (reflect, unsafe)
//	loop.go           While: the one helper every graph.While loop goes through (applies both above)
//	loopvars.go       go-xla: a While body may not mix a captured variable with its own values: WhileVariables carries them
//	setrow.go         compute: the pure-Go backend has no DynamicUpdateSlice: SetRow writes a row by a mask
//	scatter.go        gomlx: ScatterUpdate needs unique indices (ScatterAssign); a RandomIntN draw breaks the Go backend's gradient (ScopeRandomIntN)
//	dotgeneral.go     gomlx: the gradient of a DotGeneral with contracting axes paired out of order fails
//	godeadlock.go     compute: the pure-Go backend's worker pool deadlocks running ops in parallel
//	rngsharding.go    gomlx: the RNG state variable has no store, so distributing an exec crashes
//	randomnormal.go   gomlx v0.28.2: RandomNormal's log(0) guard is a denormal, flushed to 0 on XLA CPU (an infinite ε)
//	klogquiet/        go-xla v0.4.1: with HOME unset, pjrt's init logs a line to stderr in every command (a package of its own, initialised before go-xla's)
//
// Canaries are in gomlxfix_test.go and canaries_test.go. Workarounds that
// only constrain how a layer is written stay where they are used, with a
// comment naming the version: nets' zero-padding by concatenation
// (graph.Pad has no gradient), division by √(v+ε) (Rsqrt has no gradient),
// GroupNorm (GoMLX has none), and nets' ConvHybrid, which gives the native
// convolution another gradient through graph.InternalFusedOpCaller
// (exported, but named internal: GoMLX v0.28.0 has no custom gradient for
// ops that are not identity-shaped); its canaries are nets'
// TestConv2DPathsAgree* and TestConv2DHybridWithoutFusion.
package gomlxfix
