"""Execute the book's notebooks deterministically, or time them.

    python code/scripts/notebooks.py execute [NOTEBOOK ...]    # run and store, canonical form
                                                   # (and a chapter's copy in colab/)
    python code/scripts/notebooks.py benchmark [NOTEBOOK ...]  # run, time, store the times
    python code/scripts/notebooks.py colab-extras   # what the Colab cell installs besides bnbook
    python code/scripts/notebooks.py times          # chapters' "Time" lines from the measurements

With no notebook named, every chapter in ``_toc.yml`` order. Each notebook runs
in a fresh ``python3`` kernel whose working directory is the notebook's folder,
as under nbval. ``benchmark`` stores no notebook; it writes each chapter's
seconds into ``results/benchmark.json``, which the chapters' "Time" lines quote.
"""

from __future__ import annotations

import argparse
import json
import re
import os
import platform
import sys
import time
import tomllib
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
BENCHMARK = ROOT / "results" / "benchmark.json"
WORDS_PER_MINUTE = 200
TIME_LINE = re.compile(
    r"\*\*Time:\*\* about (\S+) minutes to read, (\S+) seconds to run on a 2-core CPU\.")
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info", "colab")
KEPT_CELL_METADATA = ("tags", "mystnb", "cellView")
COLAB_TAG = "colab-setup"
COLAB_INSTALL = """\
# Runs only in Colab: installs the course package at the version this
# book was built with, and the book's Keras (Colab's own is older).
import subprocess
import sys

if "google.colab" in sys.modules:
    package = (
{spec}
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
{pins}         package],
        check=True,
    )"""
# What the Colab cell installs besides the package, at the versions pinned in
# requirements.txt: Keras (3.14 brought back batch renormalization, which
# chapter 8 uses; Colab has 3.13) and `executing`, with which a claim reads its
# measured values (Colab's IPython does not bring it). Both are pure Python.
COLAB_EXTRAS = ("keras", "executing")


def pinned(name: str) -> str:
    """``name==version`` as requirements.txt (or the book's file it includes) pins it."""
    for file in ("requirements.txt", "requirements-book.txt"):
        for line in (ROOT / file).read_text().splitlines():
            if line.split("==")[0].strip().lower() == name.lower():
                return line.strip()
    raise LookupError(f"{name} is not pinned in requirements.txt")


def colab_extras() -> list[str]:
    """The pins the Colab cell installs besides the package (and the Colab test too)."""
    return [pinned(name) for name in COLAB_EXTRAS]


def package_version() -> str:
    """The course package's version, from pyproject.toml (the release sets it)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def repository() -> tuple[str, str]:
    """The repository URL and branch configured once, in _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return config["url"].rstrip("/"), config.get("branch", "main")


def colab_cells(path: Path) -> list[nbformat.NotebookNode]:
    """The link to open ``path`` in Colab, and the Colab-only install cell."""
    url, branch = repository()
    github = url.removeprefix("https://github.com/")
    # Colab opens the chapter's copy in colab/, which leaves out the solutions.
    link = nbformat.v4.new_markdown_cell(
        f"[Open this chapter in Colab](https://colab.research.google.com/github/"
        f"{github}/blob/{branch}/colab/{path.name}) (without the exercises' "
        "solutions; its first code cell installs the course package)."
    )
    spec = f"bnbook @ git+{url}@v{package_version()}"
    # The URL in pieces that end at a "/", so every line fits the column (72).
    pieces, piece = [], ""
    for part in re.split(r"(?<=/)", spec):
        if piece and len(piece) + len(part) > 56:
            pieces.append(piece)
            piece = ""
        piece += part
    pieces.append(piece)
    spec_lines = "\n".join(f'        "{piece}"' for piece in pieces)
    pins = "".join(f'         "{pin}",\n' for pin in colab_extras())
    install = nbformat.v4.new_code_cell(COLAB_INSTALL.format(pins=pins, spec=spec_lines))
    link.metadata["tags"] = [COLAB_TAG]
    install.metadata["tags"] = [COLAB_TAG, "hide-input"]  # folded away in the book
    return [link, install]


def toc_entries() -> list[str]:
    """Every ``file`` entry of ``_toc.yml`` (root included), in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [toc["root"], *files]


def toc_notebooks() -> list[Path]:
    """The notebooks of ``_toc.yml``, in reading order."""
    return [ROOT / f"{name}.ipynb" for name in toc_entries() if (ROOT / f"{name}.ipynb").exists()]


def merged_streams(outputs: list) -> list:
    """Join consecutive stream outputs of one name: how they were chunked is timing."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def canonical(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """Stable metadata, cell ids and execution counts, so diffs show real changes;
    the Colab cells regenerated from the configured repository and version."""
    nb.metadata = nbformat.NotebookNode(
        {key: nb.metadata[key] for key in KEPT_NOTEBOOK_METADATA if key in nb.metadata}
    )
    nb.metadata["kernelspec"] = nbformat.NotebookNode(KERNELSPEC)
    nb.metadata["language_info"] = nbformat.NotebookNode({"name": "python"})
    stored = [c for c in nb.cells if COLAB_TAG not in c.metadata.get("tags", [])]
    fresh = colab_cells(path)
    old = [c for c in nb.cells if COLAB_TAG in c.metadata.get("tags", [])]
    if len(old) == 2 and old[1].source == fresh[1].source:
        fresh[1].outputs, fresh[1].execution_count = old[1].outputs, old[1].execution_count
    # After the title cell, so the page still opens with its title.
    head = 1 if stored and stored[0].cell_type == "markdown" else 0
    nb.cells = stored[:head] + fresh + stored[head:]
    count = 0
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"c{index:03d}"
        cell.metadata = nbformat.NotebookNode(
            {key: cell.metadata[key] for key in KEPT_CELL_METADATA if key in cell.metadata}
        )
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            cell.outputs = merged_streams(cell.outputs)
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = count
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def execute(path: Path, timeout: int = 900) -> tuple[nbformat.NotebookNode, float]:
    """Run ``path`` top to bottom in a fresh kernel; return it and the wall time."""
    nb = canonical(nbformat.read(path, as_version=4), path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def count_words(nb: nbformat.NotebookNode) -> int:
    """Words of the prose (markdown cells), without directives' option lines."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    text = re.sub(r"^:\w[^\n]*$", "", text, flags=re.M)
    return len(re.findall(r"[A-Za-z0-9][\w'’.-]*", text))


def write_times(paths: list[Path]) -> None:
    """Set each chapter's "Time" line: its words at 200 a minute, and the
    seconds `benchmark` measured for it, rounded to 5."""
    seconds = json.loads(BENCHMARK.read_text())["seconds"]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        minutes = max(1, round(count_words(nb) / WORDS_PER_MINUTE))
        run = max(5, 5 * round(seconds[str(path.relative_to(ROOT))] / 5))
        line = (f"**Time:** about {minutes} minutes to read, {run} seconds to run "
                "on a 2-core CPU.")
        if not TIME_LINE.search(nb.cells[0].source):
            raise SystemExit(f"{path.name}: no Time line in its first cell")
        nb.cells[0].source = TIME_LINE.sub(line, nb.cells[0].source)
        nbformat.write(nb, path)
        print(f"{path.name}: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("execute", "benchmark", "colab-extras", "times"))
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.command == "colab-extras":
        print(" ".join(colab_extras()))
        return 0
    paths = [p.resolve() for p in args.notebooks] or toc_notebooks()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    if args.command == "times":
        write_times(paths)
        return 0
    total = 0.0
    times = json.loads(BENCHMARK.read_text())["seconds"] if BENCHMARK.is_file() else {}
    print(f"{'notebook':<45} {'seconds':>8}")
    for path in paths:
        nb, seconds = execute(path)
        total += seconds
        if args.command == "execute":
            nbformat.validate(canonical(nb, path))
            nbformat.write(nb, path)
            if path.parent.name == "chapters":
                import colab_copies  # its copy for Colab, without the solutions

                colab_copies.write(path)
        name = str(path.relative_to(ROOT))
        times[name] = round(seconds, 1)
        print(f"{name:<45} {seconds:8.1f}", flush=True)
    print(f"{'total':<45} {total:8.1f}")
    if args.command == "benchmark":
        BENCHMARK.parent.mkdir(exist_ok=True)
        record = {"cpu_cores": len(os.sched_getaffinity(0)), "machine": platform.machine(),
                  "seconds": dict(sorted(times.items()))}
        BENCHMARK.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
