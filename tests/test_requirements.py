"""The pinned environments agree with each other and with what the package assumes."""

from __future__ import annotations

import importlib.util
import platform
import re
import tomllib
from pathlib import Path

import pytest

from bnbook import reference

REPO = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$")


def pins(name: str) -> dict[str, str]:
    """``{package: version}`` of a requirements file, following ``-r`` includes."""
    found: dict[str, str] = {}
    for line in (REPO / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            found.update(pins(line[3:].strip()))
        elif line:
            match = PIN.match(line)
            assert match, f"{name}: not an exact pin: {line!r}"
            found[match[1].lower().replace("_", "-")] = match[2]
    return found


def test_the_reference_versions_are_the_pinned_ones():
    pinned = pins("requirements.txt")
    for package, version in reference.VERSIONS.items():
        assert pinned[package] == version, package
    assert ".".join(platform.python_version_tuple()[:2]) == reference.PYTHON


def test_book_pins_are_a_subset_of_the_test_environment():
    book, everything = pins("requirements-book.txt"), pins("requirements.txt")
    assert "tensorflow" not in book and "torch" not in book, "building executes nothing"
    assert {name: everything[name] for name in book} == book


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-book.txt",
                                  "requirements-colab.txt"])
def test_every_line_is_an_exact_pin(name):
    assert pins(name)


def test_colab_pins_are_colabs_and_its_cell_adds_the_books_keras():
    colab = pins("requirements-colab.txt")
    assert colab["tensorflow"] == "2.20.0" and colab["keras"] == "3.13.2"
    assert "torch" not in colab and "jax" not in colab
    spec = importlib.util.spec_from_file_location("notebooks", REPO / "code/scripts/notebooks.py")
    notebooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(notebooks)
    assert notebooks.colab_extras() == [f"keras=={reference.VERSIONS['keras']}",
                                        f"executing=={pins('requirements.txt')['executing']}"]


def test_minimum_versions_are_those_the_colab_run_tests():
    """pyproject.toml's lower bounds are the oldest versions a test executes the book with."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    bounds = dict(re.match(r"^([a-z\-]+)>=(\S+)$", d).groups() for d in declared)
    for package, version in bounds.items():
        added_by_the_cell = package in ("keras", "executing")
        tested = pins("requirements.txt" if added_by_the_cell else "requirements-colab.txt")
        assert version == tested[package], package
