"""bnbook.scale: the SCALE of a run, progress bars, and what a scaled run records."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from bnbook import claim, fit_quiet, reference, scale, setup


@pytest.fixture(autouse=True)
def book_scale(monkeypatch):
    monkeypatch.delenv(scale.RESULTS_VARIABLE, raising=False)
    yield
    scale.set_scale(1)


def test_default_is_book_scale():
    assert scale.current() == 1
    assert not scale.show_progress()


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2", None])
def test_scale_must_be_a_positive_int(value):
    with pytest.raises(ValueError, match=r"^scale must be a positive int"):
        scale.set_scale(value)
    with pytest.raises(ValueError, match=r"^scale must be a positive int"):
        setup(0, scale=value)


def test_setup_sets_the_scale_and_names_it():
    assert not setup(0).startswith("scale")
    assert setup(3, scale=2).startswith("scale 2 | seed 3 | ")
    assert scale.current() == 2
    assert scale.show_progress()


def test_a_failed_claim_is_reported_not_raised_at_larger_scale(capsys, monkeypatch):
    monkeypatch.setattr(reference, "is_reference", lambda: True)
    scale.set_scale(3)
    claim(False, "BN helps")
    claim(True, "BN trains")
    assert capsys.readouterr().out == "✗ does not hold here (scale 3): BN helps\n✓ BN trains\n"
    scale.set_scale(1)
    with pytest.raises(AssertionError):
        claim(False, "BN helps")


def test_claims_and_environment_are_recorded_when_asked(tmp_path, monkeypatch):
    path = tmp_path / "records.jsonl"
    claim(True, "not recorded: no file named")
    monkeypatch.setenv(scale.RESULTS_VARIABLE, str(path))
    report = setup(0, scale=2)
    claim(np.bool_(True), "recorded")
    accuracy = 0.25
    claim(accuracy > 0.5, "recorded too")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [
        {"kind": "environment", "scale": 2, "report": report},
        {"kind": "claim", "scale": 2, "statement": "recorded", "holds": True,
         "condition": "np.bool_(True)", "values": {"np.bool_(True)": True}},
        {"kind": "claim", "scale": 2, "statement": "recorded too", "holds": False,
         "condition": "accuracy > 0.5", "values": {"accuracy": 0.25}},
    ]


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_progress_bar_only_at_larger_scale(capsys):
    x, y = np.zeros((8, 2), "float32"), np.zeros((8, 1), "float32")
    fit_quiet(_model(), x, y, epochs=3)
    quiet = capsys.readouterr()
    assert quiet.out == "" and "epoch" not in quiet.err
    scale.set_scale(2)
    fit_quiet(_model(), x, y, epochs=3)
    shown = capsys.readouterr()
    assert "fit sequential" in shown.err and "3/3" in shown.err and shown.out == ""
