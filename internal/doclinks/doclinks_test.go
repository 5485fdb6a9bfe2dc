// Package doclinks holds the test that the README and docs/ link only to
// what exists: every relative link and image resolves to a file or folder
// of the repository, and every #anchor to a heading of its target; the
// README stays a front door, and docs/README.md indexes every doc.
package doclinks

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// link matches Markdown links and images: [text](target) and ![alt](target).
var link = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)\)`)

// anchor is GitHub's heading anchor: lower case, punctuation other than
// '-' and '_' dropped, spaces to '-'.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127 && !strings.ContainsRune("—–·×’“”…", r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func anchors(t *testing.T, path string) map[string]bool {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	inCode := false
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if !inCode && strings.HasPrefix(line, "#") {
			out[anchor(strings.TrimLeft(line, "#"))] = true
		}
	}
	return out
}

func TestDocLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	files := []string{filepath.Join(root, "README.md")}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, docs...)
	checked := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(raw), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Join(filepath.Dir(f), path)
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: link %q: %s does not exist", filepath.Base(f), target, path)
					continue
				}
			}
			if frag != "" && strings.HasSuffix(dest, ".md") && !anchors(t, dest)[frag] {
				t.Errorf("%s: link %q: no heading with anchor #%s in %s", filepath.Base(f), target, frag, filepath.Base(dest))
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no relative links found: the test reads the wrong files")
	}
	t.Logf("%d relative links in %d files resolve", checked, len(files))
}

// maxReadmeLines is the README's budget as a front door (issue 26, item 7):
// what this is, pictures, two commands, the notebooks, one headline table
// per area and the links; everything longer belongs in docs/.
const maxReadmeLines = 250

func TestReadmeIsAFrontDoor(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), "\n"); n > maxReadmeLines {
		t.Errorf("README.md has %d lines, more than %d: move the detail into a file of docs/ and link it", n, maxReadmeLines)
	}
}

// TestDocsIndexListsEveryDoc checks that docs/README.md, the index, links
// every other file of docs/, and that each of them opens with its title and
// then a paragraph saying what it holds.
func TestDocsIndexListsEveryDoc(t *testing.T) {
	dir := filepath.Join("..", "..", "docs")
	index, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, m := range link.FindAllStringSubmatch(string(index), -1) {
		path, _, _ := strings.Cut(m[1], "#")
		linked[filepath.Clean(path)] = true
	}
	docs, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if len(docs) < 2 {
		t.Fatalf("%d files in %s: the test reads the wrong folder", len(docs), dir)
	}
	for _, d := range docs {
		name := filepath.Base(d)
		if name != "README.md" && !linked[name] {
			t.Errorf("docs/README.md does not link %s: add it to the index", name)
		}
		raw, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(raw), "\n", 4)
		if len(lines) < 3 || !strings.HasPrefix(lines[0], "# ") || lines[1] != "" || strings.TrimSpace(lines[2]) == "" || strings.HasPrefix(lines[2], "#") {
			t.Errorf("docs/%s must open with a \"# Title\" line, an empty line and a sentence saying what it holds", name)
		}
	}
}
