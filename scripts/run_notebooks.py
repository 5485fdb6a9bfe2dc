#!/usr/bin/env python3
"""Execute GoNB notebooks headlessly and fail on any cell that errs.

Usage:
    .venv/bin/python scripts/run_notebooks.py [options] NOTEBOOK_OR_DIR...

Each notebook runs in a fresh kernel (default: the project's `ddpm` kernel,
installed by scripts/setup.sh) whose working directory is the notebook's
folder, so GoNB's GONB_DIR is that folder.

GoNB reports a panic, os.Exit(1), a failing `!cmd` or a failing `%test` as
ordinary output, not as a Jupyter `error`, so nbclient alone (and nbconvert)
would call such a run a success. This runner scans every cell's outputs for:
  * `error` outputs (what GoNB sends for a compile error or a failed special
    command),
  * a Go panic (`panic: ...`, `goroutine N [running]:`), a runtime
    `fatal error: ...`, a program killed by a signal,
  * `exit status N` (GoNB's report of a cell program or `!cmd` that exited
    non-zero),
  * `--- FAIL` (a failing `%test`),
and reports one line per failing cell:
    FAIL <notebook> cell <index>: <first error line>
where <index> is the 0-based position of the cell in the notebook (markdown
cells included). It ends with the line `N passed, M failed` (notebooks).

A notebook stops at its first failing cell (--keep-going runs the rest); a
cell that runs past --timeout (default 600 s; a cell's metadata
{"ddpm": {"timeout": N}} raises its own limit) fails and ends its notebook.
A cell tagged `raises-exception` may fail. --scan-only judges the outputs
saved in notebooks without running them.

By default the executed notebook is written to a temporary copy (its path is
printed) and the source is left untouched; --inplace writes the outputs back
into the source notebook. The kernel's own log (GoNB's) is kept next to the
copies for a failing notebook. The kernel is started with
DDPM_GONB_RAW_ERROR=1, which the ddpm kernel's launcher turns into GoNB's
--raw_error (plain-text errors instead of HTML), and with DDPM_WIDGETS=0: no
browser runs the notebook's JavaScript here, so a cell with knobs
(nb.Interact) draws its initial setting at once instead of waiting for one.
Run with a Python that lacks
nbclient, the script re-executes itself with the repo's .venv.

Exit status: 0 when every notebook passed, 1 otherwise (2 for bad usage).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
except ImportError:  # not running in the repo's venv: re-exec with it.
    venv_python = REPO / ".venv" / "bin" / "python"
    # (compare prefixes: the venv's python is a symlink to the same binary)
    if venv_python.exists() and Path(sys.prefix).resolve() != venv_python.parent.parent.resolve():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])
    sys.exit("run_notebooks.py: nbclient/nbformat not found; run scripts/setup.sh first")

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAG = re.compile(r"<[^>]+>")

# What GoNB prints when a cell fails (measured with GoNB v0.11.3), searched in
# this order; the first match names the failure. Each entry: the streams it is
# searched in ("stderr", "stdout", "html": the text of an HTML display), the
# pattern, and a label for the report.
STDERR, STDOUT, HTML = "stderr", "stdout", "html"
ERROR_PATTERNS = [
    ((STDERR,), re.compile(r"^panic: .*"), "panic"),  # Go panic, then "goroutine 1 [running]:"
    ((STDERR,), re.compile(r"^fatal error: .*"), "fatal"),  # runtime fatal error (deadlock, out of memory)
    ((STDERR,), re.compile(r"^goroutine \d+ \[[^\]]*\]:"), "panic"),  # a stack dump without "panic:"
    ((STDOUT, STDERR), re.compile(r"^--- FAIL: .*"), "test"),  # failing %test (go test -v output)
    ((STDOUT, STDERR), re.compile(r"^FAIL$"), "test"),
    ((STDERR,), re.compile(r"^signal: [a-z ]+$"), "exit"),  # cell program killed (e.g. by the OOM killer)
    ((STDERR,), re.compile(r"^exit status \d+$"), "exit"),  # cell program, `!cmd` or `%test` exited non-zero
    # The backend line is an ordinary output in notebooks (kernels/ddpm sets
    # DDPM_BACKEND_LOG=stdout); on stderr JupyterLab draws it as an error.
    ((STDERR,), re.compile(r"^ddpm: backend .*"), "backend line on stderr"),
]
# "[[ Cell [1] Line 4 ]]": GoNB's mapping of a stack frame to a cell line.
CELL_LINE = re.compile(r"\[\[ Cell \[\d+\] Line (\d+) \]\]|Cell\[\d+\]: Line (\d+)")
# "./main.go:11:13: ", "/tmp/gonb_ab12cd34/main.go:6:16: ": GoNB's generated file.
GO_LOCATION = re.compile(r"^(?:\S*/)?\w+\.go:\d+(?::\d+)?:\s*")


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _html_text(html: str) -> str:
    html = re.sub(r"(?is)<style.*?</style>", "", html)
    html = re.sub(r"(?i)<br\s*/?>|</(div|p|pre|tr|li|span)>", "\n", html)
    html = TAG.sub("", html)
    for ent, ch in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#34;", '"'), ("&#39;", "'"), ("&amp;", "&")):
        html = html.replace(ent, ch)
    return html


def cell_texts(cell) -> dict[str, str]:
    """A code cell's text outputs, joined per stream (GoNB sends a panic in
    many small pieces) and with ANSI escapes removed."""
    texts = {STDOUT: "", STDERR: "", HTML: ""}
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            name = STDERR if output.get("name") == "stderr" else STDOUT
            texts[name] += _joined(output.get("text", ""))
        elif kind in ("display_data", "execute_result", "update_display_data"):
            data = output.get("data", {})
            if "text/html" in data:
                texts[HTML] += _html_text(_joined(data["text/html"])) + "\n"
    return {k: ANSI.sub("", v) for k, v in texts.items()}


def _cell_line(text: str) -> str:
    m = CELL_LINE.search(text)
    return f" (cell line {m.group(1) or m.group(2)})" if m else ""


def _error_output_summary(output, texts) -> str:
    """One line for a Jupyter `error` output (GoNB: compile errors, failed
    special commands, `go get` failures)."""
    evalue = ANSI.sub("", str(output.get("evalue", "")))
    traceback = ANSI.sub("", "\n".join(output.get("traceback", [])))
    lines = [ln.strip() for ln in evalue.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not re.fullmatch(r"# \S+", ln)]  # `go build`'s package header
    first = lines[0] if lines else ""
    first = re.sub(r'^parsing go files in TempDir "[^"]*": ', "", first)
    if first.startswith("failed to run") and "go build" in first:
        # HTML mode: the compiler's message is only in the HTML display, after
        # the location ("./main.go:11:13: ", a span of its own).
        html_lines = [ln.strip() for ln in texts[HTML].splitlines() if ln.strip()]
        for i, ln in enumerate(html_lines):
            m = re.search(r"\w+\.go:\d+:\d+:\s*(.*)", ln)
            if m:
                rest = m.group(1).strip() or (html_lines[i + 1] if i + 1 < len(html_lines) else "")
                if rest:
                    first = rest
                break
    elif first.startswith("failed to run") and len(lines) > 1:
        first = f"{first}: {lines[1]}"  # e.g. `go get`'s reason
    first = GO_LOCATION.sub("", first)
    if not first:
        first = next((ln.strip() for ln in traceback.splitlines() if ln.strip()), "")
    name = str(output.get("ename", "")).strip()
    line = _cell_line(traceback) or _cell_line(texts[HTML])
    return f"{name + ': ' if name else ''}{first or 'error output'}{line}"


def cell_error(cell) -> str | None:
    """The first error line of a code cell's outputs, or None if it passed."""
    texts = cell_texts(cell)
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return _error_output_summary(output, texts)
    for streams, pattern, label in ERROR_PATTERNS:
        for stream in streams:
            lines = texts[stream].splitlines()
            for i, raw in enumerate(lines):
                line = raw.strip()
                if not pattern.search(line):
                    continue
                if label in ("panic", "fatal"):
                    return line + _cell_line("\n".join(lines[i:]))
                if label == "test" and i > 0 and lines[i - 1].startswith("    "):
                    return f"{line}: {lines[i - 1].strip()}"  # the t.Errorf/t.Fatalf line
                if label == "exit":
                    before = [ln.strip() for ln in lines[:i] if ln.strip()]
                    if before:  # e.g. log.Fatal's message
                        return f"{line} (last stderr line: {before[-1]})"
                return line
    return None


def _expects_error(cell) -> bool:
    # nbclient's convention: a cell tagged "raises-exception" may fail.
    return "raises-exception" in cell.get("metadata", {}).get("tags", [])


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def scan_notebook(path: Path) -> list[str]:
    """--scan-only: judge a notebook's saved outputs without running it."""
    nb = nbformat.read(path, as_version=4)
    failures = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not _expects_error(cell):
            problem = cell_error(cell)
            if problem:
                failures.append(f"FAIL {_display(path)} cell {index}: {problem}")
    print(f"{_display(path)}: {'FAILED' if failures else 'passed'} (saved outputs scanned)", flush=True)
    return failures


def run_notebook(path: Path, args, out_path: Path, log_path: Path) -> list[str]:
    """Execute one notebook, write it to out_path; return failure lines."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        kernel_name=args.kernel,
        allow_errors=True,  # GoNB's failures are mostly not `error` outputs: judged below
        record_timing=False,  # no timestamps in the notebook (--inplace diffs stay small)
        # The kernel's working directory, hence GoNB's GONB_DIR: the notebook's folder.
        resources={"metadata": {"path": str(path.resolve().parent)}},
    )
    # A cell may declare a longer limit in its metadata ({"ddpm": {"timeout":
    # seconds}}): notebook 05's training cell runs for its wall budget plus
    # the compilation and the step-rate probe.
    cell_timeout = lambda cell: max(args.timeout, int(cell.get("metadata", {}).get("ddpm", {}).get("timeout", 0)))
    client.timeout_func = cell_timeout
    failures: list[str] = []
    rel = _display(path)
    t_nb = time.monotonic()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        try:
            # The kernel's own log (GoNB's klog lines) goes to log_path.
            with client.setup_kernel(stdout=log, stderr=log):
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code" or not cell.source.strip():
                        continue
                    t0 = time.monotonic()
                    problem = None
                    stop = False  # the kernel is busy or gone: no later cell can run
                    try:
                        client.execute_cell(cell, index)
                    except CellTimeoutError:
                        problem, stop = f"timed out after {cell_timeout(cell)} s (--timeout, or the cell's ddpm.timeout)", True
                    except DeadKernelError as e:
                        problem, stop = f"kernel died: {_first_line(e)}", True
                    if stop:  # record it in the saved notebook too
                        cell.outputs.append(
                            nbformat.v4.new_output("error", ename="run_notebooks.py", evalue=problem, traceback=[problem])
                        )
                    if not problem and not _expects_error(cell):
                        problem = cell_error(cell)
                    took = time.monotonic() - t0
                    if not problem:
                        print(f"  {rel} cell {index}: ok ({took:.1f} s)", flush=True)
                        continue
                    failures.append(f"FAIL {rel} cell {index}: {problem}")
                    print(f"  {rel} cell {index}: FAILED ({took:.1f} s)", flush=True)
                    if stop or not args.keep_going:
                        remaining = sum(1 for c in nb.cells[index + 1 :] if c.cell_type == "code" and c.source.strip())
                        if remaining:
                            print(f"  {rel}: skipped the {remaining} code cell(s) after it", flush=True)
                        break
        except Exception as e:  # the kernel failed to start, etc.
            failures.append(f"FAIL {rel} cell -: {type(e).__name__}: {_first_line(e)}")
        finally:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out_path)
    status = "FAILED" if failures else "passed"
    print(f"{rel}: {status} in {time.monotonic() - t_nb:.1f} s, outputs in {_display(out_path)}", flush=True)
    if failures:
        print(f"{rel}: kernel log in {_display(log_path)}", flush=True)
    else:
        log_path.unlink(missing_ok=True)
    return failures


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def collect(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.glob("*.ipynb") if not q.name.startswith(".")))
        elif p.is_file():
            found.append(p)
        else:
            sys.exit(f"run_notebooks.py: no such notebook or folder: {p}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Execute notebooks headlessly with nbclient; fail on any cell with an error, panic or non-zero exit.",
    )
    parser.add_argument("notebooks", nargs="+", help="notebook files or folders (their *.ipynb, sorted)")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds (default 600)")
    parser.add_argument("--startup-timeout", type=int, default=120, help="kernel start timeout in seconds (default 120)")
    parser.add_argument("--kernel", default="ddpm", help="kernel name (default: ddpm)")
    parser.add_argument("--inplace", action="store_true", help="write the outputs back into the source notebooks")
    parser.add_argument("--output-dir", help="write executed copies and kernel logs here (default: a new temporary folder)")
    parser.add_argument("--keep-going", action="store_true", help="run the remaining cells of a notebook after a failing cell")
    parser.add_argument("--scan-only", action="store_true", help="do not execute: judge the notebooks' saved outputs")
    parser.add_argument("--html-errors", action="store_true", help="let GoNB report errors as HTML (default: --raw_error text)")
    args = parser.parse_args()

    notebooks = collect(args.notebooks)
    if not notebooks:
        print("run_notebooks.py: no notebooks found", file=sys.stderr)
        return 2
    if not args.html_errors:
        os.environ["DDPM_GONB_RAW_ERROR"] = "1"
    os.environ["DDPM_WIDGETS"] = "0"  # no browser: knobs draw their initial setting and return
    work_dir = None
    if not args.scan_only:
        work_dir = Path(args.output_dir) if args.output_dir else Path(tempfile.mkdtemp(prefix="ddpm-notebooks-"))

    failures: list[str] = []
    passed = failed = 0
    for nb_path in notebooks:
        if args.scan_only:
            nb_failures = scan_notebook(nb_path)
        else:
            out_path = nb_path if args.inplace else work_dir / nb_path.name
            log_path = work_dir / (nb_path.stem + ".kernel.log")
            print(f"{_display(nb_path)}: running (kernel {args.kernel}, {args.timeout} s per cell)", flush=True)
            nb_failures = run_notebook(nb_path, args, out_path, log_path)
        failures.extend(nb_failures)
        if nb_failures:
            failed += 1
        else:
            passed += 1

    if work_dir and args.inplace and not args.output_dir and not any(work_dir.iterdir()):
        work_dir.rmdir()  # only held kernel logs, and none was kept
    for line in failures:
        print(line)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
