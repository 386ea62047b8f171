"""bnbook.quiet: the stderr noise filter."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import types

import pytest

from conftest import PACKAGE_DIR, subprocess_env

from bnbook import quiet
from bnbook.quiet import (
    NOISE_PATTERNS,
    in_notebook_kernel,
    install_stderr_filter,
    is_noise,
    quiet_python_loggers,
)

# Lines that TensorFlow 2.21 really writes to fd 2 on a CPU-only machine.
TF_NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795831618.921808    5559 cudart_stub.cc:31] Could not find cuda drivers "
    "on your machine, GPU will not be used.",
    "I0000 00:00:1795831619.068997    5559 cpu_feature_guard.cc:227] This TensorFlow binary "
    "is optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.",
    "E0000 00:00:1795831624.358682    5559 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "E0000 00:00:1795831507.012632    1861 node_def_util.cc:682] NodeDef mentions attribute "
    "use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset; ...>",
    # Warning-level record, any content: dropped as well.
    "W0000 00:00:1795831624.358682    5559 some_file.cc:12] some harmless warning",
    # TensorFlow 2.20 (Colab's), as captured by the Colab-runtime run of the chapters.
    "2026-12-02 15:22:09.329352: E external/local_xla/xla/stream_executor/cuda/"
    "cuda_platform.cc:51] failed call to cuInit: INTERNAL: CUDA error: Failed call to "
    "cuInit: UNKNOWN ERROR (303)",
    "2026-12-02 15:22:09.311000: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:31] "
    "Could not find cuda drivers on your machine, GPU will not be used.",
    "2026-12-02 15:22:42.977905: I tensorflow/core/framework/local_rendezvous.cc:407] Local "
    "rendezvous is aborting with status: OUT_OF_RANGE: End of sequence",
    "\t [[{{node MultiDeviceIteratorGetNextFromShard}}]]",
    "2026-12-02 15:23:01.000000: E tensorflow/core/framework/node_def_util.cc:680] NodeDef "
    "mentions attribute use_unbounded_threadpool which is not in the op definition",
]

GENUINE = [
    "Traceback (most recent call last):",
    '  File "<stdin>", line 1, in <module>',
    "ValueError: Input 0 of layer dense is incompatible with the layer",
    "E0000 00:00:1795831624.358682    5559 direct_session.cc:420] Failed to allocate "
    "tensor: Resource exhausted: OOM when allocating tensor with shape [4096,4096]",
    "F0000 00:00:1795831624.358682    5559 logging.cc:43] Check failed: ptr != nullptr",
    "2026-12-02 15:22:09.329352: E tensorflow/core/common_runtime/bfc_allocator.cc:12] "
    "Allocator ran out of memory trying to allocate 4.0GiB",
    "2026-12-02 15:22:09.329352: F tensorflow/core/kernels/x.cc:1] Check failed: ok",
    "[[{{node missing_leading_whitespace}}]]",
    "genuine stderr line",
    "WARNING: the learning rate is very large",
    "",
    # Noise text that does not start the line is not a framework record.
    "user note: WARNING: All log messages before absl::InitializeLog() is called",
    "see I0000 00:00:1795831618.921808    5559 cudart_stub.cc:31] for details",
    # The first line of the cpu_feature notice alone is not the second one.
    "To enable the following instructions: AVX2 FMA",
]


@pytest.mark.parametrize("line", TF_NOISE)
def test_tensorflow_lines_are_noise(line):
    assert is_noise(line) is True


@pytest.mark.parametrize("line", GENUINE)
def test_genuine_lines_are_not_noise(line):
    assert is_noise(line) is False


@pytest.mark.parametrize("line", [None, b"bytes", 3])
def test_is_noise_takes_a_str(line):
    with pytest.raises(TypeError, match=r"^line must be a str"):
        is_noise(line)


def test_every_noise_pattern_is_exercised():
    """Each pattern catches at least one real line (none is dead)."""
    for pattern in NOISE_PATTERNS:
        assert any(pattern.search(line) for line in TF_NOISE), pattern.pattern


def test_in_notebook_kernel_false_outside_kernel(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert in_notebook_kernel() is False


@pytest.mark.parametrize("module", ["ipykernel", "google.colab"])
def test_in_notebook_kernel_true_inside_kernel(monkeypatch, module):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setitem(sys.modules, module, types.ModuleType(module))
    assert in_notebook_kernel() is True


def test_quiet_python_loggers_raises_levels_to_error():
    names = ("tensorflow", "absl", "jax._src.xla_bridge")
    saved = {name: logging.getLogger(name).level for name in names}
    try:
        for name in names:
            logging.getLogger(name).setLevel(logging.DEBUG)
        quiet_python_loggers()
        for name in names:
            assert logging.getLogger(name).level == logging.ERROR, name
            assert not logging.getLogger(name).isEnabledFor(logging.WARNING)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_install_stderr_filter_is_a_no_op_once_installed(monkeypatch):
    """The idempotence guard: a second call touches no descriptor."""
    calls = []

    def record(*args):
        calls.append(args)
        raise AssertionError("install_stderr_filter touched fd 2 again")

    monkeypatch.setattr(quiet, "_installed", True)
    # os is shared with pytest's own capture: patch only around the call.
    with monkeypatch.context() as patch:
        patch.setattr(quiet.os, "dup", record)
        patch.setattr(quiet.os, "dup2", record)
        patch.setattr(quiet.os, "pipe", record)
        install_stderr_filter()
    assert calls == []


# The child loads quiet.py on its own (no keras import: fast), installs the
# filter twice and writes noise and genuine text straight to fd 2.
CHILD = r"""
import importlib.util, json, logging, os, sys, threading, time
spec = importlib.util.spec_from_file_location("bnbook_quiet", sys.argv[1])
quiet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(quiet)
noise = json.loads(sys.argv[2])
quiet.install_stderr_filter()
quiet.install_stderr_filter()  # idempotent
threads = [t.name for t in threading.enumerate() if t.name == "bnbook-stderr-filter"]
for line in noise:                      # one write per line
    os.write(2, line.encode() + b"\n")
os.write(2, b"genuine line one\n")
# Noise and genuine text mixed in a single write, and a line split across writes.
os.write(2, ("\n".join(noise[:3]) + "\ngenuine line two\n" + noise[4] + "\n").encode())
os.write(2, b"genuine ")
os.write(2, b"line three\n")
print("python-level stderr line", file=sys.stderr, flush=True)
os.write(2, b"trailing partial line without newline")
time.sleep(1.0)
print(json.dumps({"threads": threads,
                  "tf_level": logging.getLogger("tensorflow").level}), flush=True)
"""


def test_install_stderr_filter_drops_noise_and_keeps_genuine_text():
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(PACKAGE_DIR / "quiet.py"), json.dumps(TF_NOISE)],
        capture_output=True, text=True, timeout=60, env=subprocess_env(),
    )
    assert result.returncode == 0, result.stderr
    err = result.stderr
    for text in ("genuine line one", "genuine line two", "genuine line three",
                 "python-level stderr line", "trailing partial line without newline"):
        assert text in err, (text, err)
    # Order is kept.
    assert err.index("genuine line one") < err.index("genuine line two") \
        < err.index("genuine line three")
    for line in TF_NOISE:
        assert line not in err, line
    for fragment in ("absl::InitializeLog", "cudart_stub", "cuInit", "cpu_feature_guard",
                     "rebuild TensorFlow", "use_unbounded_threadpool"):
        assert fragment not in err, fragment
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["threads"] == ["bnbook-stderr-filter"]  # one thread after two calls
    assert report["tf_level"] == logging.ERROR


def test_without_filter_the_same_child_shows_the_noise():
    """Control: the child's noise really reaches stderr when nothing filters it,
    so the test above cannot pass because the writes went nowhere."""
    child = CHILD.replace("quiet.install_stderr_filter()", "pass")
    result = subprocess.run(
        [sys.executable, "-c", child, str(PACKAGE_DIR / "quiet.py"), json.dumps(TF_NOISE)],
        capture_output=True, text=True, timeout=60, env=subprocess_env(),
    )
    assert result.returncode == 0, result.stderr
    for line in TF_NOISE:
        assert line in result.stderr, line
    assert "genuine line two" in result.stderr


def _run_child(source: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``source`` with quiet.py's path as argv[1]; its stdout and stderr captured."""
    return subprocess.run(
        [sys.executable, "-c", source, str(PACKAGE_DIR / "quiet.py")],
        capture_output=True, text=True, timeout=timeout, env=subprocess_env(),
    )


LOAD_QUIET = r"""
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("bnbook_quiet", sys.argv[1])
quiet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(quiet)
quiet.install_stderr_filter()
"""


def test_last_words_before_exit_are_passed_on():
    """The drain at exit: a partial line waits in the filter (0.1 s) when the
    process ends at once; the exit hook must still pass it on."""
    child = LOAD_QUIET + r"""
os.write(2, b"a full line\nWARNING: All log messages before absl::InitializeLog() is called\n")
os.write(2, b"last words before exit")
"""
    result = _run_child(child)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "a full line\nlast words before exit"


def test_a_failing_filter_gives_stderr_back():
    """If the filter thread fails, fd 2 goes back to the real stderr: writers
    never block on a pipe that nobody reads (its buffer holds 64 KiB)."""
    child = LOAD_QUIET + r"""
import threading, time
def broken(line):
    raise RuntimeError("filter broke")
quiet.is_noise = broken
os.write(2, b"first line\n")
for _ in range(3):  # 3 x 100 KiB: more than the pipe holds
    os.write(2, b"x" * 102400 + b"\n")
os.write(2, b"after the failure\n")
time.sleep(0.3)
alive = [t.name for t in threading.enumerate() if t.name == "bnbook-stderr-filter"]
print(alive, flush=True)
"""
    result = _run_child(child, timeout=30)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "first line\n" in result.stderr and "after the failure\n" in result.stderr
    # Every byte arrives; what the pipe held may come after later direct writes.
    assert result.stderr.count("x") == 3 * 102400
    assert result.stdout.strip() == "[]"  # the thread has ended, fd 2 is plain stderr
