package nb

import (
	"encoding/base64"
	"fmt"
	"html"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
)

// Out collects what a cell shows — lines of text, tables, PNG figures — so
// that the same content can be shown live (one HTML block redrawn in place
// by [Interact]) or as the cell's ordinary outputs ([Out.Display]).
type Out struct {
	parts []outPart
	err   error // the first error handed to PNG
}

type outPart struct {
	html string // text or table
	png  []byte // or a figure
}

// NewOut returns an empty Out.
func NewOut() *Out { return &Out{} }

// Printf adds a line of monospace text.
func (o *Out) Printf(format string, args ...any) *Out {
	o.parts = append(o.parts, outPart{html: "<pre style=\"margin: 0.2em 0\">" + html.EscapeString(strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")) + "</pre>"})
	return o
}

// Table adds a table with a header row (cells as in [Table]).
func (o *Out) Table(header []string, rows ...[]any) *Out {
	o.parts = append(o.parts, outPart{html: tableHTML(header, rows...)})
	return o
}

// PNG adds a figure; a non-nil err is kept (the first one), shown in place
// of the figure by HTML and raised by Display.
func (o *Out) PNG(png []byte, err error) *Out {
	if err != nil {
		if o.err == nil {
			o.err = err
		}
		o.parts = append(o.parts, outPart{html: "<pre style=\"color: #b00\">" + html.EscapeString("error: "+err.Error()) + "</pre>"})
		return o
	}
	o.parts = append(o.parts, outPart{png: png})
	return o
}

// Err returns the first error handed to PNG, or nil.
func (o *Out) Err() error { return o.err }

// HTML returns everything as one HTML fragment, figures inlined as data URLs.
func (o *Out) HTML() string {
	var b strings.Builder
	for _, p := range o.parts {
		if p.png != nil {
			fmt.Fprintf(&b, "<img src=\"data:image/png;base64,%s\"/><br/>", base64.StdEncoding.EncodeToString(p.png))
		} else {
			b.WriteString(p.html)
		}
	}
	return b.String()
}

// Display shows each part as an output of the cell (text and tables as HTML,
// figures as image/png, which the saved notebook keeps and renders without a
// kernel), then panics with the first error handed to PNG, if any.
func (o *Out) Display() {
	var text strings.Builder // consecutive text parts in one output
	flush := func() {
		if text.Len() > 0 {
			gonbui.DisplayHtml(text.String())
			text.Reset()
		}
	}
	for _, p := range o.parts {
		if p.png != nil {
			flush()
			gonbui.DisplayPng(p.png)
		} else {
			text.WriteString(p.html)
		}
	}
	flush()
	if o.err != nil {
		panic(o.err)
	}
}

// tableHTML is a table with a header row; cells are formatted with %v
// (float64 with %.6g).
func tableHTML(header []string, rows ...[]any) string {
	var b strings.Builder
	b.WriteString("<table><tr>")
	for _, h := range header {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr>")
	for _, r := range rows {
		b.WriteString("<tr>")
		for _, c := range r {
			s := fmt.Sprint(c)
			if f, ok := c.(float64); ok {
				s = fmt.Sprintf("%.6g", f)
			}
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(s))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String()
}
