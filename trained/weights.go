package trained

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/gomlx/ml/model"
)

// weightsMeta is the metadata of a weight file.
type weightsMeta struct {
	Format     string        `json:"format"`
	Config     recipe.Config `json:"config"`
	Provenance Provenance    `json:"provenance"`
}

const weightsFormat = "ddpm-go weights v1"

// Header is what a weight file says of itself besides its weights: the
// configuration it stores (as stored, not yet completed or checked) and its
// provenance.
type Header struct {
	Config     json.RawMessage
	Provenance Provenance
}

// ReadHeader reads the header of the weight file path without its weights;
// a file that is not a weight file is an error saying what it is.
func ReadHeader(path string) (Header, error) {
	raw, err := ckpt.ReadMeta(path)
	if err != nil {
		return Header{}, err
	}
	var m struct {
		Format     string          `json:"format"`
		Config     json.RawMessage `json:"config"`
		Provenance Provenance      `json:"provenance"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Format != weightsFormat {
		return Header{}, fmt.Errorf("trained: %s %s", path, notWeights(raw))
	}
	return Header{Config: m.Config, Provenance: m.Provenance}, nil
}

// RewriteProvenance replaces the provenance of the weight file path by
// edit's change of it (atomically; the weights and configuration are kept):
// for weights trained elsewhere whose record needs a correction, such as a
// run folder path of the machine they were trained on.
func RewriteProvenance(path string, edit func(*Provenance)) error {
	m, err := Load(path)
	if err != nil {
		return err
	}
	prov := m.Provenance
	edit(&prov)
	return ckpt.Save(m.Store, path, weightsMeta{Format: weightsFormat, Config: m.Config, Provenance: prov})
}

// Save writes the network weights of a training store to path — its
// EMA when it has one — with the run's configuration and provenance. Weights
// holding a NaN or an infinity are never written (an error wrapping
// ckpt.ErrNonFinite); path follows atomicfile's writing rule (a new file or
// a weight file, never a run folder's own).
func Save(store *model.Store, path string, cfg recipe.Config, prov Provenance) error {
	src, meta, keep := weightsOf(store, cfg, prov)
	return ckpt.SaveFiltered(src, path, meta, keep)
}

// SaveRun is [Save] of a training to the file name of its run folder (its
// weights.ddpm), which the run's lock allows it to write.
func SaveRun(run *ckpt.Run, name string, store *model.Store, cfg recipe.Config, prov Provenance) error {
	src, meta, keep := weightsOf(store, cfg, prov)
	return run.SaveFile(name, src, meta, keep)
}

// weightsOf is what a weight file of store holds: the store to save (its
// EMA when it has one), the metadata, and the filter of the network's variables.
func weightsOf(store *model.Store, cfg recipe.Config, prov Provenance) (*model.Store, weightsMeta, func(*model.Variable) bool) {
	src := store
	if ema, err := ddpm.EMAStore(store); err == nil {
		src = ema
	} else {
		prov.Weights = "raw"
	}
	prefix := "/" + ddpm.NetScope + "/"
	return src, weightsMeta{Format: weightsFormat, Config: cfg, Provenance: prov},
		func(v *model.Variable) bool { return strings.HasPrefix(v.Path(), prefix) }
}

// Load reads a weight file written by [Save] (or by training), its
// configuration completed once (recipe.Config.WithDefaults).
func Load(path string) (*Model, error) {
	raw, err := ckpt.ReadMeta(path)
	if err != nil {
		return nil, err
	}
	var meta weightsMeta
	if err := json.Unmarshal(raw, &meta); err != nil || meta.Format != weightsFormat {
		return nil, fmt.Errorf("trained: %s %s", path, notWeights(raw))
	}
	if d, err := data.Lookup(meta.Config.Data); err == nil && d.DefaultDir != "" && meta.Config.DataDir != "" {
		if _, err := os.Stat(meta.Config.DataDir); err != nil {
			meta.Config.DataDir = "" // trained elsewhere: the data are the copy that ships (MNIST: the GoMNIST module's) here
		}
	}
	cfg, err := meta.Config.WithDefaults()
	if err != nil { // a bad file, not a bad flag: the error is not wrapped
		return nil, fmt.Errorf("trained: %s: %s", path, trimPkg(err))
	}
	store := model.NewStore()
	if _, err := ckpt.Load(store, path); err != nil {
		return nil, err
	}
	if err := checkWeights(store, cfg); err != nil {
		return nil, fmt.Errorf("trained: %s: %w", path, err)
	}
	sched, err := ddpm.NewSchedule(cfg.Schedule)
	if err != nil {
		return nil, err
	}
	return &Model{Config: cfg, Provenance: meta.Provenance, Schedule: sched, Store: store, Path: path}, nil
}

// notWeights says what a ckpt file that is not a weight file is, from its
// metadata, and what to use instead: the MNIST classifier's weights (read by
// eval -classifier), a run's checkpoint (its folder's weights.ddpm is the
// model), or something else.
func notWeights(meta []byte) string {
	var m struct {
		Format string           `json:"format"`
		Step   *int64           `json:"step"`
		Losses *json.RawMessage `json:"losses"`
	}
	_ = json.Unmarshal(meta, &m) // meta that is not JSON leaves m zero: the general message
	switch {
	case m.Format == classifier.MetaFormat:
		return "is the MNIST classifier's weight file (eval.Config.Classifier reads it), not a diffusion model: use the weights.ddpm a training wrote"
	case m.Format == "" && m.Step != nil && m.Losses != nil:
		return fmt.Sprintf("is a training checkpoint (step %d), not a ddpm-go weight file: use the weights.ddpm in its run folder (training writes it at the end, and training that folder to step %d writes it from this checkpoint)", *m.Step, *m.Step)
	case m.Format != "":
		return fmt.Sprintf("is a ddpm checkpoint file of format %q, not a ddpm-go weight file: use the weights.ddpm a training wrote", m.Format)
	}
	return "is not a ddpm-go weight file (a training checkpoint? use weights.ddpm)"
}

// trimPkg is err's message without its package prefix ("nets: ", …), for
// an error quoted inside another.
func trimPkg(err error) string {
	s := err.Error()
	for _, p := range []string{"trained: ", "ddpm: ", "nets: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}
