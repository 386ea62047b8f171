"""The Colab cells: generated from one configured repository and the package version."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

import bnbook

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _notebooks_script():
    spec = importlib.util.spec_from_file_location("notebooks", ROOT / "code/scripts/notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _notebooks_script()


def _install_source() -> str:
    return SCRIPT.colab_cells(CHAPTERS[0])[1].source


def test_package_version_matches_pyproject():
    assert bnbook.__version__ == SCRIPT.package_version()


def test_install_cell_is_a_no_op_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    exec(_install_source(), {})
    assert calls == []


def test_install_cell_installs_the_pinned_package_in_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **k: calls.append(command))
    exec(_install_source(), {})
    url, _ = SCRIPT.repository()
    assert len(calls) == 1
    command = calls[0]
    assert command[-1] == f"bnbook @ git+{url}@v{SCRIPT.package_version()}"
    assert "--no-deps" in command  # nothing Colab already has
    # The book's Keras (Colab's is older) and `executing`, as requirements.txt pins them.
    assert command[-3:-1] == ["keras==3.15.1", "executing==2.3.0"]
    assert command[-3:-1] == SCRIPT.colab_extras()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_notebook_links_agree_with_the_configured_repository(path):
    nb = nbformat.read(path, as_version=4)
    url, branch = SCRIPT.repository()
    link, install = (c for c in nb.cells if "colab-setup" in c.metadata.get("tags", []))
    assert nb.cells[0].source.startswith("# "), "the title cell comes first"
    assert nb.cells[1] is link and nb.cells[2] is install
    github = url.removeprefix("https://github.com/")
    expected = (
        f"https://colab.research.google.com/github/{github}/blob/{branch}/"
        f"colab/{path.name}"
    )  # the chapter's copy without the solutions (code/scripts/colab_copies.py)
    assert expected in link.source
    assert install.source == SCRIPT.colab_cells(path)[1].source
    assert max(len(line) for line in install.source.splitlines()) <= 72
    assert install.execution_count == 1 and install.outputs == []
