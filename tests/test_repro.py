"""bnbook.repro: setup() and environment_report()."""

from __future__ import annotations

import importlib.metadata
import platform
import random
import re

import keras
import numpy as np
import pytest

import bnbook
from bnbook import repro
from bnbook.repro import environment_report, setup


def _installed_version() -> str:
    """The backend's version as pip installed it (not the module's own attribute)."""
    backend = keras.backend.backend()
    for distribution in (backend, f"{backend}-cpu"):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    raise AssertionError(f"no installed distribution for {backend}")


def _draws():
    normal = np.asarray(keras.random.normal((5,)))
    dense = keras.layers.Dense(3)
    dense.build((None, 2))
    kernel = np.asarray(dense.kernel).copy()
    return normal, kernel, random.random(), np.random.rand(3)  # noqa: NPY002 legacy global


def test_setup_returns_the_environment_report_in_lines_that_fit_the_column():
    report = setup(0)
    assert isinstance(report, str)
    assert all(len(line) <= 72 for line in report.splitlines()), report
    report = report.replace("\n", " | ")
    python = ".".join(platform.python_version_tuple()[:2])
    backend = f"{keras.backend.backend()} {_installed_version()}"
    pattern = (rf"seed 0 \| Keras {re.escape(importlib.metadata.version('keras'))} on "
               rf"{re.escape(backend)} \| NumPy {re.escape(importlib.metadata.version('numpy'))}"
               rf" \| Python {python} \| device (CPU|GPU( x\d+)?|TPU)")
    assert re.fullmatch(pattern, report), report


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's device list")
def test_device_counts_tensorflow_gpus(monkeypatch):
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: ["gpu0", "gpu1"] if kind == "GPU" else [])
    assert environment_report(0).endswith("device GPU x2")
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert environment_report(0).endswith("device CPU")


def test_setup_report_names_the_seed():
    assert setup(7).startswith("seed 7 | ")
    assert setup(np.int64(12)).startswith("seed 12 | ")


def test_environment_report_names_its_seed_and_the_scale():
    from bnbook import scale

    assert environment_report(5).startswith("seed 5 | Keras ")
    try:
        assert setup(5, scale=3).startswith("scale 3 | seed 5 | Keras ")
    finally:
        scale.set_scale(1)
    assert environment_report(5).startswith("seed 5 | ")


@pytest.mark.parametrize("seed", ["abc", -5, 1.5, True, None, 2**32])
def test_environment_report_bad_seed(seed):
    with pytest.raises(ValueError, match=r"^seed must be a non-negative int below 2\*\*32"):
        environment_report(seed)


def test_same_seed_gives_same_random_draws():
    setup(3)
    first = _draws()
    setup(3)
    second = _draws()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_different_seed_gives_different_random_draws():
    setup(3)
    first = _draws()
    setup(4)
    other = _draws()
    for a, b in zip(first, other, strict=True):
        assert not np.array_equal(a, b)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow-specific")
def test_setup_makes_tensorflow_ops_deterministic(monkeypatch):
    import tensorflow as tf

    calls = []
    real = tf.config.experimental.enable_op_determinism
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism",
                        lambda: (calls.append(1), real())[1])
    setup(0)
    assert calls == [1]
    from tensorflow.python.framework import config as tf_config  # no public getter

    assert tf_config.is_op_determinism_enabled()


def test_setup_installs_filter_only_in_a_kernel(monkeypatch):
    calls = []
    monkeypatch.setattr(repro, "install_stderr_filter", lambda: calls.append(1))
    monkeypatch.setattr(repro, "in_notebook_kernel", lambda: False)
    setup(0)
    assert calls == []
    monkeypatch.setattr(repro, "in_notebook_kernel", lambda: True)
    setup(0)
    assert calls == [1]


def test_package_exports():
    from bnbook import claims, data, exercises, quiet, stats, training

    expected = {
        "Splits": data.Splits, "claim": claims.claim,
        "environment_report": repro.environment_report, "exercises": exercises,
        "fit_quiet": training.fit_quiet,
        "history_table": training.history_table,
        "install_stderr_filter": quiet.install_stderr_filter,
        "load_dataset": data.load_dataset, "seed_summary": stats.seed_summary,
        "setup": repro.setup, "summarize": stats.summarize,
    }
    assert sorted(bnbook.__all__) == sorted(expected)
    for name, function in expected.items():
        assert getattr(bnbook, name) is function, name
    assert bnbook.__version__ == "0.1.0"


@pytest.mark.parametrize("seed", [-1, 1.5, True, False, "0", None, np.float64(2.0), 2**32])
def test_bad_seed_raises_value_error_naming_seed(seed):
    with pytest.raises(ValueError, match=r"^seed must be a non-negative int"):
        setup(seed)


def test_importing_bnbook_pins_the_cpu_numerics():
    import os

    for name, value in repro.CPU_NUMERICS.items():
        assert os.environ[name] == value, name


def test_setup_turns_tf32_off():
    setup(0)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        assert not tf.config.experimental.tensor_float_32_execution_enabled()
    elif backend == "jax":
        import jax

        assert jax.config.jax_default_matmul_precision == "highest"
    else:
        import torch

        assert torch.get_float32_matmul_precision() == "highest"
        assert not torch.backends.cudnn.allow_tf32


def test_setup_warns_when_tensorflow_started_before_bnbook(monkeypatch):
    monkeypatch.setitem(repro._started_before, "tensorflow", True)
    with pytest.warns(UserWarning, match="Import bnbook first"):
        setup(0)


def test_reference_environment_is_recognised(monkeypatch):
    from bnbook import reference

    reference.differences.cache_clear()
    try:
        expected = keras.backend.backend() == "tensorflow" and repro._device() == "CPU"
        assert reference.is_reference() == expected
        monkeypatch.setitem(reference.VERSIONS, "keras", "0.0.1")
        reference.differences.cache_clear()
        assert f"keras {keras.__version__} (reference 0.0.1)" in reference.differences()
        assert not reference.is_reference()
    finally:
        reference.differences.cache_clear()
