"""What bnbook fixes of TensorFlow's CPU numerics (threads, ISA), and one thing it cannot.

Each case trains a small BN CNN in a fresh process and compares a hash of its
weights. Without bnbook the instruction set that oneDNN picks changes the
numbers (the control); with bnbook imported first, this machine computes what
a machine limited to AVX computes under bnbook's settings (oneDNN's own kernels
off, its matmul capped at AVX, one thread per pool), on one core as on several.
The last test shows what remains: rsqrt and reciprocal come from the CPU's
approximate instructions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
                                reason="TensorFlow's CPU kernels")

PROBE = """
import hashlib, sys
if sys.argv[1] == "bnbook":
    import bnbook  # noqa: F401 -- before TensorFlow, as in every chapter
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
x = np.random.default_rng(0).random((512, 28, 28, 1), dtype=np.float32)
y = np.arange(512) % 10
inputs = keras.Input((28, 28, 1))
h = keras.layers.Conv2D(16, 3, use_bias=False)(inputs)
h = keras.layers.Activation("relu")(keras.layers.BatchNormalization()(h))
h = keras.layers.Dense(32)(keras.layers.Flatten()(keras.layers.MaxPooling2D()(h)))
model = keras.Model(inputs, keras.layers.Dense(10)(h))
model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0)
print(hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest())
"""

ISA_FLAGS = ("avx2", "avx512f")  # what oneDNN would use beyond AVX on this CPU


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as file:
            return {flag for line in file if line.startswith("flags") for flag in line.split()}
    except OSError:
        return set()


def _runs(cases: dict[str, tuple[list[str], list[str], dict[str, str]]]) -> dict[str, str]:
    """Weight hashes of the probe, two processes at a time."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("TF_NUM_", "ONEDNN_", "TF_ENABLE_ONEDNN"))}
    base.update(TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    started = {name: subprocess.Popen([*prefix, sys.executable, "-c", PROBE, *args],
                                      env={**base, **env}, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)
               for name, (prefix, args, env) in cases.items()}
    hashes = {}
    for name, process in started.items():
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0, f"probe {name} failed"
        hashes[name] = out.strip()
    return hashes


@pytest.mark.skipif(not any(f in _cpu_flags() for f in ISA_FLAGS), reason="an AVX-only CPU")
def test_with_bnbook_this_cpu_computes_what_an_avx_machine_computes():
    threads = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    hashes = _runs({
        "plain": ([], ["plain"], threads),
        "AVX-only machine": ([], ["plain"], {**threads, "ONEDNN_MAX_CPU_ISA": "AVX",
                                             "TF_ENABLE_ONEDNN_OPTS": "0"}),
        "bnbook": ([], ["bnbook"], {}),
    })
    assert hashes["plain"] != hashes["AVX-only machine"], "control: the kernels change the numbers"
    assert hashes["bnbook"] == hashes["AVX-only machine"]


@pytest.mark.skipif(shutil.which("taskset") is None or len(os.sched_getaffinity(0)) < 2,
                    reason="needs taskset and two cores")
def test_with_bnbook_one_core_computes_what_several_compute():
    core = str(min(os.sched_getaffinity(0)))
    hashes = _runs({
        "plain, one core": (["taskset", "-c", core], ["plain"], {}),
        "plain, all cores": ([], ["plain"], {}),
        "one core": (["taskset", "-c", core], ["bnbook"], {}),
        "all cores": ([], ["bnbook"], {}),
    })
    assert hashes["plain, one core"] != hashes["plain, all cores"], (
        "control: TensorFlow's default thread pools change the numbers")
    assert hashes["one core"] == hashes["all cores"]


def test_tensorflows_rsqrt_and_reciprocal_are_the_processors_approximation():
    """README, "Where the stored outputs reproduce": these start from the CPU's
    approximate instructions, whose bits differ between vendors, so no setting
    makes them CPU-independent. sqrt and division are exact, as a control."""
    import numpy as np
    import tensorflow as tf

    x = np.random.default_rng(0).uniform(0.5, 2.0, 10_000).astype(np.float32)
    exact = x.astype(np.float64)

    def not_rounded(result, value):  # share not equal to the correctly rounded value
        return float(np.mean(result.numpy() != value.astype(np.float32)))

    assert not_rounded(tf.math.sqrt(x), np.sqrt(exact)) == 0
    assert not_rounded(1.0 / tf.constant(x), 1 / exact) == 0
    assert not_rounded(tf.math.rsqrt(x), 1 / np.sqrt(exact)) > 0.1
    assert not_rounded(tf.math.reciprocal(x), 1 / exact) > 0.1
