"""code/scripts/scale.py: the papermill runner, end to end on a small notebook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
RUNNER = REPO / "code" / "scripts" / "scale.py"


@pytest.fixture
def notebook(tmp_path) -> Path:
    parameters = nbformat.v4.new_code_cell("SCALE = 1")
    parameters.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[
        parameters,
        nbformat.v4.new_code_cell(
            "import bnbook\n"
            "print(bnbook.setup(0, scale=SCALE))\n"
            "bnbook.claim(True, 'always')\n"
            "bnbook.claim(SCALE == 1, 'only at book scale')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def run(notebook: Path, scale: int, results: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RUNNER), str(notebook), "--scale", str(scale),
         "--backend", "jax", "--results", str(results), "--timeout", "300", *options],
        capture_output=True, text=True, timeout=600, check=False)


def test_runs_a_notebook_at_two_scales_and_records_claims(notebook, tmp_path):
    for scale in (1, 2):
        results = tmp_path / f"results-{scale}.json"
        done = run(notebook, scale, results)
        assert done.returncode == 0, done.stdout + done.stderr
        record = json.loads(results.read_text())
        assert record["scale"] == scale and record["backend"] == "jax"
        assert record["versions"]["keras"]
        (chapter,) = record["chapters"]
        assert chapter["status"] == "ok" and chapter["seconds"] > 0
        assert "on jax" in chapter["environment"]
        assert chapter["environment"].startswith("scale 2 | " if scale == 2 else "seed 0 | ")
        assert chapter["claims"] == [
            {"statement": "always", "holds": True, "condition": None, "values": {}},
            {"statement": "only at book scale", "holds": scale == 1,
             "condition": "SCALE == 1", "values": {"SCALE": scale}},
        ]
        executed = nbformat.read(results.parent / "tiny.ipynb", as_version=4)
        assert f"SCALE = {scale}" in executed.cells[1].source  # papermill's injected cell


def test_a_failing_chapter_is_recorded_and_fails_the_run(notebook, tmp_path):
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('broken chapter')"))
    nbformat.write(nb, notebook)
    results = tmp_path / "results.json"
    done = run(notebook, 1, results)
    assert done.returncode == 1
    (chapter,) = json.loads(results.read_text())["chapters"]
    assert chapter["status"] == "error"
    assert "RuntimeError: broken chapter" in chapter["error"]


def test_a_claim_that_does_not_hold_fails_only_a_strict_run(notebook, tmp_path):
    """Outside the reference environment (here: JAX) a false claim is reported and the
    chapter goes on; --strict-claims turns it into a failed run."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "accuracy = 0.25\nbnbook.claim(accuracy > 0.5, 'trains')\nprint('went on')"))
    nbformat.write(nb, notebook)
    for options, code in (((), 0), (("--strict-claims",), 1)):
        results = tmp_path / f"results{code}.json"
        done = run(notebook, 1, results, *options)
        assert done.returncode == code, done.stdout + done.stderr
        assert "does not hold: trains {'accuracy': 0.25}" in done.stdout
        (chapter,) = json.loads(results.read_text())["chapters"]
        assert chapter["status"] == "ok"
        assert chapter["claims"][-1] == {"statement": "trains", "holds": False,
                                         "condition": "accuracy > 0.5",
                                         "values": {"accuracy": 0.25}}
    executed = nbformat.read(results.parent / "tiny.ipynb", as_version=4)
    shown = "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    assert shown == ("✗ does not hold here: trains (accuracy = 0.25; condition: accuracy >\n"
                     "  0.5)\nwent on\n")


def test_bad_scale_is_refused(notebook, tmp_path):
    done = run(notebook, 0, tmp_path / "r.json")
    assert done.returncode == 2 and "must be a positive integer" in done.stderr


# ------------------------------------------------------- the recorded appendix

sys.path.insert(0, str(REPO / "code" / "scripts"))
import appendix  # noqa: E402


def test_recorded_page_matches_the_results_files():
    paths = appendix.sources([])
    assert paths, f"no recorded results in {appendix.RESULTS}"
    assert appendix.PAGE.read_text() == appendix.page_text(paths), (
        "recorded_results.md is stale: run python code/scripts/appendix.py")


def _run(started, chapters, jobs=1):
    return {"scale": 3, "backend": "jax", "hardware": "GPU X; 4 CPU cores", "started": started,
            "jobs": jobs, "versions": {"keras": "3", "jax": "0.1"}, "total_seconds": 9.0,
            "wall_seconds": 5.0, "chapters": chapters}


def _chapter(notebook, status="ok", claims=(), error=""):
    return {"notebook": notebook, "seconds": 4.5, "status": status, "error": error,
            "environment": "", "claims": [{"statement": s, "holds": h} for s, h in claims]}


def test_a_later_run_replaces_a_chapter_and_failures_are_listed():
    first = "chapters/01_normalizing_data.ipynb"
    second = "chapters/02_activation_drift.ipynb"
    broken = _chapter(second, "error", error="\x1b[31mKeyError\x1b[0m: 'plain'")
    runs = [("a.json", _run("t1", [_chapter(first, claims=[("x", True), ("y", False)]), broken],
                            jobs=2)),
            ("b.json", _run("t2", [_chapter(second, claims=[("z", True)])]))]
    page = appendix.render(runs, "## Notes\n\nby hand")
    assert "Claims that held: 2 of 3." in page
    assert "| `b.json` | ok | 4.5 | 1 of 1 |" in page  # chapter 2 from the later run
    assert "- Normalizing data: y" in page
    assert "did not finish" not in page and "KeyError" not in page
    assert page.rstrip().endswith("by hand")
    stopped = appendix.render(runs[:1])
    assert "- Activations drift inside the network: error: KeyError: 'plain'" in stopped


def test_runs_of_different_scales_are_refused():
    other = _run("t2", [])
    other["scale"] = 2
    with pytest.raises(ValueError, match="share a scale"):
        appendix.render([("a.json", _run("t1", [])), ("b.json", other)])


def test_a_failed_claim_shows_its_measured_values_where_recorded():
    chapter = _chapter("chapters/01_normalizing_data.ipynb", claims=[("y", False)])
    chapter["claims"][0].update(condition="acc > 0.9", values={"acc": 0.85})
    page = appendix.render([("a.json", _run("t1", [chapter]))])
    assert "- Normalizing data: y (measured: `acc` = 0.85; condition `acc > 0.9`)" in page
