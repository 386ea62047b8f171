"""Write the appendix page of recorded full-scale results from a results file.

    python code/scripts/appendix.py [RESULTS.json ...]   # writes recorded_results.md

With no file named, every ``results/larger-scale/run*-results.json`` in order;
a later run's record of a chapter replaces an earlier one's.
``results/larger-scale/notes.md``, if present, is appended. The page is
generated, never edited by hand; a test checks that it matches the results
files, which code/scripts/scale.py wrote (``make scale SCALE=2``).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results" / "larger-scale"
PAGE = ROOT / "recorded_results.md"
VERSION_ORDER = ("python", "keras", "jax", "jaxlib", "tensorflow", "torch", "numpy", "papermill")


def chapter_title(notebook: str) -> str:
    """The first heading of a chapter notebook."""
    cells = json.loads((ROOT / notebook).read_text())["cells"]
    for line in "".join(cells[0]["source"]).splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return notebook


def plain(text: str, limit: int = 300) -> str:
    """An error message on one line, without terminal colour codes, shortened."""
    text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def merged(runs: list[tuple[str, dict]]) -> list[dict]:
    """Every chapter's record from the last run that has it, in book order."""
    chapters: dict[str, dict] = {}
    for source, results in runs:
        for chapter in results["chapters"]:
            chapters[chapter["notebook"]] = {**chapter, "run": source}
    return sorted(chapters.values(), key=lambda chapter: chapter["notebook"])


def render(runs: list[tuple[str, dict]], notes: str = "") -> str:
    chapters = merged(runs)
    first = runs[0][1]
    if any((r["scale"], r["backend"]) != (first["scale"], first["backend"]) for _, r in runs):
        raise ValueError("the runs of one appendix must share a scale and a backend")
    held = sum(c["holds"] for ch in chapters for c in ch["claims"])
    total = sum(len(ch["claims"]) for ch in chapters)
    folder = Path(runs[0][0]).parent.as_posix()
    lines = [
        "# Results at a larger scale",
        "",
        ":::{important}",
        "This page is **recorded**: it shows the results files in",
        f"`{folder}/`, which `code/scripts/scale.py` wrote, and is generated",
        "from them by `code/scripts/appendix.py`. Every other page is executed at",
        "book scale, and its stored outputs are checked to reproduce.",
        ":::",
        "",
        f"Every chapter ran with `SCALE = {first['scale']}` (see each chapter's sizes",
        "cell: more seeds, and more data, epochs or depth where the chapter says so)",
        f"under the {first['backend']} backend, each in its own kernel. At a larger",
        "scale a claim that fails is recorded with its measured values instead of",
        "stopping the chapter: whether the book's conclusions survive a bigger",
        "experiment is itself a result.",
        "",
        "## Runs",
        "",
    ]
    for source, results in runs:
        versions = results["versions"]
        listed = ", ".join(f"{name} {versions[name]}" for name in VERSION_ORDER
                           if name in versions)
        names = ", ".join(Path(ch["notebook"]).stem[:2] for ch in results["chapters"])
        lines += [
            f"- `{source}`: started {results['started']} on {results['hardware']};",
            f"  chapters {names}, {results.get('jobs', 1)} at a time, "
            f"{results.get('wall_seconds', results['total_seconds'])} s wall time.",
            f"  Versions: {listed}.",
        ]
    lines += [
        "",
        "Where a chapter ran more than once, the table shows its last run. The time",
        "of a chapter that ran beside others includes their contention for the",
        "processor.",
        "",
        "## Chapters",
        "",
        f"Claims that held: {held} of {total}.",
        "",
        "| chapter | run | status | seconds | claims held |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for ch in chapters:
        doc = ch["notebook"].removesuffix(".ipynb")
        holds = sum(c["holds"] for c in ch["claims"])
        lines.append(f"| {{doc}}`{chapter_title(ch['notebook'])} <{doc}>` "
                     f"| `{Path(ch['run']).name}` | {ch['status']} "
                     f"| {ch['seconds']:.1f} | {holds} of {len(ch['claims'])} |")
    failing = [(ch, c) for ch in chapters for c in ch["claims"] if not c["holds"]]
    stopped = [ch for ch in chapters if ch["status"] != "ok"]
    lines += ["", "## Claims that did not hold at this scale", ""]
    if failing:
        lines += ["Each is a sentence of a chapter, which holds at book scale; in this",
                  "run the data did not bear it out:", ""]
        lines += [f"- {chapter_title(ch['notebook'])}: {c['statement']}{measured(c)}"
                  for ch, c in failing]
    else:
        lines.append("None: every claim that ran held.")
    if stopped:
        lines += ["", "## Chapters that did not finish", ""]
        lines += [f"- {chapter_title(ch['notebook'])}: {ch['status']}: {plain(ch['error'])}"
                  for ch in stopped]
    if notes.strip():
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


def measured(claim: dict) -> str:
    """The measured values and the condition of a claim, where its record has them."""
    values = "; ".join(f"`{name}` = {value}" for name, value in (claim.get("values") or {}).items())
    condition = f"condition `{claim['condition']}`" if claim.get("condition") else ""
    shown = "; ".join(part for part in (values, condition) if part)
    return f" (measured: {shown})" if shown else ""


def sources(args: list[str]) -> list[Path]:
    """The results files named, or every recorded run in RESULTS, in order."""
    return [Path(a).resolve() for a in args] or sorted(RESULTS.glob("run*-results.json"))


def page_text(paths: list[Path]) -> str:
    runs = [(p.relative_to(ROOT).as_posix(), json.loads(p.read_text())) for p in paths]
    notes = RESULTS / "notes.md"
    return render(runs, notes.read_text() if notes.exists() else "")


def main(argv: list[str] | None = None) -> int:
    paths = sources(sys.argv[1:] if argv is None else argv)
    if not paths:
        raise SystemExit(f"no results files in {RESULTS.relative_to(ROOT)}")
    PAGE.write_text(page_text(paths))
    print(f"wrote {PAGE.relative_to(ROOT)} from {len(paths)} results file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
