package bench

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

//go:embed peer.py
var peerPy []byte

// PeerReport is what the peer says of itself when it starts (peer.py's
// header), plus, from [RunPeerWith], the statistics of its cases.
type PeerReport struct {
	Torch   string            `json:"torch"`
	Python  string            `json:"python"`
	Threads int               `json:"threads"`
	LoadAvg []float64         `json:"loadavg_start"`
	BLAS    json.RawMessage   `json:"blas"` // torch's BLAS_INFO, loaded BLAS libraries, sgemm 2048² GFLOP/s
	Params  map[string]int    `json:"params"`
	Sizes   map[string]int    `json:"sizes"`
	Warmup  int               `json:"warmup"`
	Reps    int               `json:"reps"`
	Cases   map[string]Stats  `json:"cases"`
	Env     map[string]string `json:"env"`
}

// Peer is the PyTorch [Side]: one "peer.py --serve" process (embedded in
// this package, written to a temporary file), which takes one JSON order per
// line on its stdin and answers one JSON line on its stdout (see peer.py's
// doc). Close ends it.
type Peer struct {
	Report PeerReport // its header
	opt    Options
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	tail   *tailWriter
	dir    string
}

// StartPeer starts the peer with opt's interpreter, threads and sizes and
// reads its header. The peer's stderr goes to opt.Progress. When Debian's
// OpenBLAS-openmp folder exists it is put first on LD_LIBRARY_PATH, so that
// torch's generic libblas.so.3 resolves to it even if the system
// alternatives point elsewhere (see install-peer.sh).
func StartPeer(opt Options) (*Peer, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ddpm-peer-")
	if err != nil {
		return nil, err
	}
	p := &Peer{opt: opt, dir: dir, tail: &tailWriter{max: 2000}}
	script := filepath.Join(dir, "peer.py")
	if err := os.WriteFile(script, peerScript, 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	sz := opt.Sizes
	args := []string{script, "--serve",
		"--threads", fmt.Sprint(opt.Threads),
		"--mlp-batch", fmt.Sprint(sz.MLPBatch), "--unet-batch", fmt.Sprint(sz.UNetBatch),
		"--chain-points", fmt.Sprint(sz.ChainPoints), "--T", fmt.Sprint(sz.T), "--cpu-batch", fmt.Sprint(sz.CPUBatch)}
	p.cmd = exec.Command(opt.Python, args...)
	p.cmd.Env = peerEnv()
	p.cmd.Stderr = io.MultiWriter(opt.Progress, p.tail)
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p.out = bufio.NewScanner(stdout)
	p.out.Buffer(make([]byte, 64<<10), 16<<20)
	fmt.Fprintf(opt.Progress, "bench: peer: %s peer.py --serve --threads %d (load %s)\n", opt.Python, opt.Threads, loadAvg())
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: peer %s: %w (run bench/install-peer.sh)", opt.Python, err)
	}
	if err := p.read(&p.Report); err != nil {
		p.Close()
		return nil, err
	}
	want := map[string]int{"mlp": MLPParams, "unet": UNetParams, "s2dunet": S2DUNetParams, "uvit": UViTParams}
	for name, n := range want {
		if p.Report.Params[name] != n {
			p.Close()
			return nil, fmt.Errorf("bench: peer parameter counts %v, want %v: not the networks ours run", p.Report.Params, want)
		}
	}
	return p, nil
}

// peerScript is the script the peer runs (a test may swap it).
var peerScript = peerPy

// Prepare builds case c in the peer and runs opt.Warmup untimed calls.
func (p *Peer) Prepare(c string) error {
	var ok struct{ OK bool }
	if err := p.order(map[string]any{"op": "prepare", "case": c, "warmup": p.opt.warmups()}, &ok); err != nil {
		return err
	}
	if !ok.OK {
		return fmt.Errorf("bench: peer: prepare %s: no ok", c)
	}
	return nil
}

// Time times at least reps calls of case c in the peer, and at least
// opt.MinRound of calls.
func (p *Peer) Time(c string, reps int) ([]float64, error) {
	var r struct{ Ms []float64 }
	minMs := ms(p.opt.minRound())
	if err := p.order(map[string]any{"op": "time", "case": c, "reps": reps, "min_ms": minMs}, &r); err != nil {
		return nil, err
	}
	total := 0.0
	for _, m := range r.Ms {
		total += m
	}
	if len(r.Ms) < reps || total < minMs {
		return nil, fmt.Errorf("bench: peer: %s: %d times (%.1f ms) for at least %d calls and %.0f ms", c, len(r.Ms), total, reps, minMs)
	}
	return r.Ms, nil
}

// order sends one order and decodes its answer into v.
func (p *Peer) order(o map[string]any, v any) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return p.failed(err)
	}
	return p.read(v)
}

// read decodes the peer's next line into v, or its {"error": …} into an error.
func (p *Peer) read(v any) error {
	if !p.out.Scan() {
		err := p.out.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return p.failed(err)
	}
	line := p.out.Bytes()
	var e struct{ Error string }
	if json.Unmarshal(line, &e) == nil && e.Error != "" {
		return fmt.Errorf("bench: peer: %s", e.Error)
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("bench: cannot parse the peer's answer %.200q: %w", line, err)
	}
	return nil
}

// failed describes a peer that stopped answering, with its last stderr line.
func (p *Peer) failed(err error) error {
	last := strings.TrimSpace(p.tail.String())
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	return fmt.Errorf("bench: peer %s failed (%v): %s (run bench/install-peer.sh)", p.opt.Python, err, last)
}

// Close ends the peer (end of its stdin) and waits for it.
func (p *Peer) Close() error {
	defer os.RemoveAll(p.dir)
	p.in.Close()
	if err := p.cmd.Wait(); err != nil && !errors.Is(err, os.ErrClosed) {
		return p.failed(err)
	}
	return nil
}

// RunPeerWith times opt.Cases on the peer alone: each case prepared, then
// opt.Rounds × opt.Reps calls pooled into one [Stats]; the report is the
// peer's header with those statistics.
func RunPeerWith(opt Options) (*PeerReport, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	p, err := StartPeer(opt)
	if err != nil {
		return nil, err
	}
	r := p.Report
	r.Warmup, r.Reps, r.Cases = opt.warmups(), opt.Rounds*opt.Reps, map[string]Stats{}
	for _, c := range opt.Cases {
		if err := p.Prepare(c); err != nil {
			p.Close()
			return nil, err
		}
		ms, err := p.Time(c, opt.Rounds*opt.Reps)
		if err != nil {
			p.Close()
			return nil, err
		}
		r.Cases[c] = StatsOf(ms)
	}
	return &r, p.Close()
}

func peerEnv() []string {
	env := os.Environ()
	arch := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}[runtime.GOARCH]
	dir := filepath.Join("/usr/lib", arch, "openblas-openmp")
	if arch == "" {
		return env
	}
	if _, err := os.Stat(filepath.Join(dir, "libblas.so.3")); err != nil {
		return env
	}
	ld := dir
	if old := os.Getenv("LD_LIBRARY_PATH"); old != "" {
		ld += ":" + old
	}
	return append(env, "LD_LIBRARY_PATH="+ld)
}

// tailWriter keeps the last max bytes written (exec writes the peer's
// stderr from its own goroutine).
type tailWriter struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
