// Package figs draws the project's figures as PNG images: line plots (loss
// curves, schedules), 2-D scatter plots (samples against data), histograms
// and grids of images. Every figure in figures/ and in the notebooks comes
// from here, called by package code, the CLI or a notebook cell.
package figs

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	imgdraw "image/draw"
	"image/png"
	"math"
	"strconv"

	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Palette is the colour cycle of series.
var Palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
}

// Series is one named line or point set.
type Series struct {
	Name string
	X, Y []float64
}

// Options are a figure's labels and size (default 6×4 inches at 96 dpi).
type Options struct {
	Title, XLabel, YLabel  string
	LogY                   bool
	Width, Height          vg.Length
	XMin, XMax, YMin, YMax float64 // fixed axis range when Min < Max
}

func (o Options) size() (vg.Length, vg.Length) {
	w, h := o.Width, o.Height
	if w == 0 {
		w = 6 * vg.Inch
	}
	if h == 0 {
		h = 4 * vg.Inch
	}
	return w, h
}

func newPlot(o Options) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = o.Title, o.XLabel, o.YLabel
	if o.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = DecadeTicks{}
	}
	if o.XMin < o.XMax {
		p.X.Min, p.X.Max = o.XMin, o.XMax
	}
	if o.YMin < o.YMax {
		p.Y.Min, p.Y.Max = o.YMin, o.YMax
	}
	p.Add(plotter.NewGrid())
	return p
}

// XY is the series of n points stored row-major as x₀, y₀, x₁, y₁, … (a
// flattened [n, 2] tensor), as samplers and Langevin chains return them.
func XY[T float32 | float64](name string, flat []T) Series {
	s := Series{Name: name, X: make([]float64, 0, len(flat)/2), Y: make([]float64, 0, len(flat)/2)}
	for i := 0; i+1 < len(flat); i += 2 {
		s.X, s.Y = append(s.X, float64(flat[i])), append(s.Y, float64(flat[i+1]))
	}
	return s
}

// DecadeTicks marks a log axis: a labelled tick at every power of ten in the
// range, unlabelled ones at 2…9 × 10^k. When fewer than two powers of ten
// fall in the range (a loss between 0.2 and 1.1), 2 × 10^k and 5 × 10^k are
// labelled too (and 3 × 10^k when that still makes fewer than three
// labels), so that every log axis reads with at least two numbers.
// (gonum's LogTicks labels only powers of ten, and none below 1 when the
// range starts between 0.1 and 1: the loss curves showed just "1".)
type DecadeTicks struct{}

// Ticks implements plot.Ticker for 0 < min ≤ max.
func (DecadeTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max >= min) || math.IsInf(max, 0) {
		return nil
	}
	lo, hi := int(math.Floor(math.Log10(min))), int(math.Ceil(math.Log10(max)))
	in := func(v float64) bool { return v >= min*(1-1e-9) && v <= max*(1+1e-9) }
	decades := 0
	for e := lo; e <= hi; e++ {
		if in(math.Pow10(e)) {
			decades++
		}
	}
	count := func(ms ...int) (n int) {
		for e := lo; e <= hi; e++ {
			for _, m := range ms {
				if in(float64(m) * math.Pow10(e)) {
					n++
				}
			}
		}
		return n
	}
	labelled := map[int]bool{1: true}
	if decades < 2 {
		labelled[2], labelled[5] = true, true
		if count(1, 2, 5) < 3 {
			labelled[3] = true
		}
	}
	// Many decades (an SNR from 1e-9 to 1e4): label every step-th one.
	step := (decades + 15) / 16
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow10(e)
			if !in(v) {
				continue
			}
			t := plot.Tick{Value: v}
			if labelled[m] && (m != 1 || step == 1 || ((e%step)+step)%step == 0) {
				t.Label = tickLabel(m, e)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// tickLabel writes m × 10^e as a decimal for −3 ≤ e ≤ 3 ("0.002", "500"),
// else as "1e-9", "2e5".
func tickLabel(m, e int) string {
	if e >= -3 && e <= 3 {
		return strconv.FormatFloat(float64(m)*math.Pow10(e), 'f', max(-e, 0), 64)
	}
	return fmt.Sprintf("%de%d", m, e)
}

func xys(s Series) (plotter.XYs, error) {
	if len(s.X) != len(s.Y) {
		return nil, fmt.Errorf("figs: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
	}
	pts := make(plotter.XYs, 0, len(s.X))
	for i := range s.X {
		if math.IsNaN(s.X[i]) || math.IsNaN(s.Y[i]) || math.IsInf(s.Y[i], 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: s.X[i], Y: s.Y[i]})
	}
	return pts, nil
}

// Lines draws each series as a line and returns the PNG.
func Lines(o Options, series ...Series) ([]byte, error) {
	p := newPlot(o)
	for i, s := range series {
		pts, err := xys(s)
		if err != nil {
			return nil, err
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("figs: %q: %w", s.Name, err)
		}
		l.Color = Palette[i%len(Palette)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
	}
	p.Legend.Top = true
	return render(p, o)
}

// Scatter draws each series as small dots (the first in grey when named
// "data", as a backdrop) and returns the PNG.
func Scatter(o Options, series ...Series) ([]byte, error) {
	p := newPlot(o)
	for i, s := range series {
		pts, err := xys(s)
		if err != nil {
			return nil, err
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("figs: %q: %w", s.Name, err)
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(1)
		sc.GlyphStyle.Color = Palette[i%len(Palette)]
		if s.Name == "data" {
			sc.GlyphStyle.Color = color.RGBA{170, 170, 170, 255}
		}
		p.Add(sc)
		if s.Name != "" {
			p.Legend.Add(s.Name, sc)
		}
	}
	p.Legend.Top = true
	return render(p, o)
}

// Histogram draws normalised histograms (density) of each sample with the
// given number of bins, plus optional density curves, and returns the PNG.
func Histogram(o Options, bins int, samples []Series, curves ...Series) ([]byte, error) {
	p := newPlot(o)
	for i, s := range samples {
		h, err := plotter.NewHist(plotter.Values(s.Y), bins)
		if err != nil {
			return nil, fmt.Errorf("figs: %q: %w", s.Name, err)
		}
		h.Normalize(1)
		c := Palette[i%len(Palette)].(color.RGBA)
		h.FillColor = color.RGBA{c.R, c.G, c.B, 90}
		h.LineStyle.Color = c
		p.Add(h)
		if s.Name != "" {
			p.Legend.Add(s.Name, h)
		}
	}
	for i, s := range curves {
		pts, err := xys(s)
		if err != nil {
			return nil, err
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("figs: curve %q: %w", s.Name, err)
		}
		l.Color = Palette[(len(samples)+i)%len(Palette)]
		l.Width = vg.Points(2)
		p.Add(l)
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
	}
	p.Legend.Top = true
	return render(p, o)
}

func render(p *plot.Plot, o Options) ([]byte, error) {
	w, h := o.size()
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if err := png.Encode(&buf, paletted(c.Image())); err != nil {
		return nil, fmt.Errorf("figs: rendering PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// plotPalette is every colour a plot is drawn with — black, white, the
// series' colours and the grey of a "data" backdrop — each blended with
// white in 16 steps, which covers the anti-aliased edges. Plots are stored
// with it as paletted PNGs, about a quarter of the size of RGBA ones (a
// scatter of 2,000 points: 120 kB → 30 kB), which keeps notebooks small.
var plotPalette = func() color.Palette {
	bases := append([]color.Color{color.Black, color.RGBA{170, 170, 170, 255}}, Palette...)
	pal := color.Palette{color.White}
	for _, b := range bases {
		r, g, bl, _ := b.RGBA()
		for k := range 16 { // k/16 of the way from b to white
			mix := func(v uint32) uint8 { return uint8((int(v>>8)*(16-k) + 255*k) / 16) }
			pal = append(pal, color.RGBA{mix(r), mix(g), mix(bl), 255})
		}
	}
	return pal
}()

// paletted maps img onto plotPalette (nearest colour, no dithering).
func paletted(img image.Image) *image.Paletted {
	p := image.NewPaletted(img.Bounds(), plotPalette)
	imgdraw.Draw(p, p.Rect, img, img.Bounds().Min, imgdraw.Src)
	return p
}

// Grid lays n images of h×w×c (c = 1 grey or 3 RGB), values in [−1, 1]
// (Ho et al.'s scaling), row-major NHWC in x, into a grid of cols columns
// with a 2-pixel border, each pixel magnified scale times; returns the PNG.
func Grid(x []float32, n, h, w, c, cols, scale int) ([]byte, error) {
	if n <= 0 || h <= 0 || w <= 0 || (c != 1 && c != 3) || len(x) != n*h*w*c {
		return nil, fmt.Errorf("figs: Grid wants n·h·w·c = %d values with c ∈ {1, 3}, got %d (n=%d h=%d w=%d c=%d)", n*h*w*c, len(x), n, h, w, c)
	}
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	scale = max(scale, 1)
	rows := (n + cols - 1) / cols
	const pad = 2
	W, H := cols*(w*scale+pad)+pad, rows*(h*scale+pad)+pad
	toByte := func(v float32) uint8 {
		f := math.Round((float64(v) + 1) * 127.5)
		return uint8(math.Max(0, math.Min(255, f)))
	}
	// Grey images as an 8-bit grey PNG (a third of RGBA's size), colour as RGBA.
	var img imgdraw.Image
	if c == 1 {
		img = image.NewGray(image.Rect(0, 0, W, H))
	} else {
		img = image.NewRGBA(image.Rect(0, 0, W, H))
	}
	imgdraw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, imgdraw.Src)
	for k := range n {
		ox, oy := pad+(k%cols)*(w*scale+pad), pad+(k/cols)*(h*scale+pad)
		for y := range h {
			for xx := range w {
				base := ((k*h+y)*w + xx) * c
				var col color.Color
				if c == 1 {
					col = color.Gray{toByte(x[base])}
				} else {
					col = color.RGBA{toByte(x[base]), toByte(x[base+1]), toByte(x[base+2]), 255}
				}
				for dy := range scale {
					for dx := range scale {
						img.Set(ox+xx*scale+dx, oy+y*scale+dy, col)
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("figs: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// SideBySide places PNG images next to each other on a white background,
// top-aligned. The result is a paletted PNG when every pixel is a colour of
// the plots' palette (panels from Lines, Scatter, Histogram), else RGBA.
func SideBySide(pngs ...[]byte) ([]byte, error) {
	var imgs []image.Image
	w, h := 0, 0
	for _, b := range pngs {
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("figs: decoding a panel: %w", err)
		}
		imgs = append(imgs, img)
		w += img.Bounds().Dx()
		h = max(h, img.Bounds().Dy())
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	imgdraw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, imgdraw.Src)
	x := 0
	for _, img := range imgs {
		r := img.Bounds()
		imgdraw.Draw(out, image.Rect(x, 0, x+r.Dx(), r.Dy()), img, r.Min, imgdraw.Over)
		x += r.Dx()
	}
	var enc image.Image = out
	if inPalette(out) {
		enc = paletted(out)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, enc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inPalette reports whether every pixel of img is a colour of plotPalette.
func inPalette(img *image.RGBA) bool {
	in := make(map[color.RGBA]bool, len(plotPalette))
	for _, c := range plotPalette {
		in[color.RGBAModel.Convert(c).(color.RGBA)] = true
	}
	for i := 0; i+3 < len(img.Pix); i += 4 {
		if !in[color.RGBA{img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3]}] {
			return false
		}
	}
	return true
}

// WriteFile writes the PNG data to path atomically (temporary file, then
// rename), creating the folder, under atomicfile's writing rule: path ends
// in .png and is new or a PNG file, not one of inputs (the files the
// command read) nor a run's own file (see atomicfile.CheckDest, which a
// command calls before its work).
func WriteFile(path string, data []byte, inputs ...string) error {
	if err := atomicfile.WriteFile(path, atomicfile.PNG, data, inputs...); err != nil {
		return fmt.Errorf("figs: %w", err)
	}
	return nil
}
