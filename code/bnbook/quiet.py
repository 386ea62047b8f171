"""Keep framework start-up chatter out of notebook outputs.

TensorFlow's C++ runtime writes log lines ("All log messages before
absl::InitializeLog()...", cuda and cpu-feature notices) straight to file
descriptor 2 at import and again at the first training step. A Jupyter kernel
forwards that descriptor into the cell's outputs, and ``TF_CPP_MIN_LOG_LEVEL``
does not stop the first of them. The filter below sits on descriptor 2 itself,
drops only lines that match known, harmless framework notices, and passes every
other byte on, so genuine errors still show.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import select
import sys
import threading

# An absl/glog record after its severity letter: MMDD, time, thread id, file:line].
_ABSL_HEADER = r"\d{4} \d\d:\d\d:\d+\.\d+\s+\d+\s+\S+:\d+\]"
_ABSL_RECORD = rf"[IWEF]{_ABSL_HEADER}"
# The same records as TensorFlow 2.20 (Colab's) writes them: date, time, severity, file:line].
_TSL_DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: "
_INFO = rf"(?:[IW]{_ABSL_HEADER}|{_TSL_DATE}[IW] \S+:\d+\])"
_ANY = rf"(?:{_ABSL_RECORD}|{_TSL_DATE}[IWEF] \S+:\d+\])"

NOISE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called"),
    # Informational and warning records from the C++ runtime.
    re.compile(rf"^{_INFO}"),
    # The graph node an informational record names, on a line of its own.
    re.compile(r"^\s+\[\[\{\{node \w+\}\}\]\]$"),
    # Error-level records that only say there is no GPU, or that the graph was
    # written by a newer TensorFlow than the op registry knows.
    re.compile(rf"^{_ANY} .*(cuInit|cuda drivers|CUDA error|cuDNN|cuFFT|cuBLAS)"),
    re.compile(rf"^{_ANY} NodeDef mentions attribute use_unbounded_threadpool"),
    # Second line of the cpu_feature_guard notice.
    re.compile(r"^To enable the following instructions: .*rebuild TensorFlow"),
)

_installed = False


def is_noise(line: str) -> bool:
    """Whether a stderr line is a known, harmless framework notice."""
    if not isinstance(line, str):
        raise TypeError(f"line must be a str (decode bytes first), got {type(line).__name__}")
    return any(pattern.search(line) for pattern in NOISE_PATTERNS)


def in_notebook_kernel() -> bool:
    """Whether this process is a Jupyter kernel (local, CI or Colab)."""
    return "ipykernel" in sys.modules or "google.colab" in sys.modules


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` (``os.write`` may write only part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _give_back(read_fd: int, write_fd: int, pending: bytes) -> None:
    """Put the original stderr back on fd 2 and pass on, unfiltered, what the pipe holds."""
    # Else a dead filter would leave fd 2 on a pipe that nobody reads: once its
    # buffer filled, every write to stderr would block for good.
    with contextlib.suppress(OSError):
        os.dup2(write_fd, 2)  # the pipe's last writer is gone: reading ends at EOF
    chunks = [pending]
    with contextlib.suppress(OSError):
        while select.select([read_fd], [], [], 0.1)[0]:
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    with contextlib.suppress(OSError):
        _write_all(write_fd, b"".join(chunks))
    with contextlib.suppress(OSError):
        os.close(read_fd)


def _kept(data: bytes) -> bool:
    """Whether a line (or a partial one) of stderr is not noise."""
    return not is_noise(data.decode(errors="replace"))


def _forward(read_fd: int, write_fd: int) -> None:
    """Copy the pipe to the original stderr, minus noise; on any failure, give fd 2 back."""
    pending = b""
    try:
        while True:
            ready, _, _ = select.select([read_fd], [], [], 0.1)
            if ready:
                chunk = os.read(read_fd, 65536)
                if not chunk:  # every writer closed: pass on what is left, then stop
                    if pending and _kept(pending):
                        _write_all(write_fd, pending)
                    break
                pending += chunk
                *lines, rest = pending.split(b"\n")
                kept = [line for line in lines if _kept(line)]
                if kept:
                    _write_all(write_fd, b"\n".join(kept) + b"\n")
                pending = rest
            elif pending:  # a partial line that has waited: pass it on
                if _kept(pending):
                    _write_all(write_fd, pending)
                pending = b""
    except Exception:  # noqa: BLE001 -- any failure: stop filtering, never block stderr
        _give_back(read_fd, write_fd, pending)


def quiet_python_loggers() -> None:
    """Silence the Python-side loggers of TensorFlow and absl below ERROR."""
    for name in ("tensorflow", "absl", "jax._src.xla_bridge"):
        logging.getLogger(name).setLevel(logging.ERROR)


def install_stderr_filter() -> None:
    """Route file descriptor 2 through the noise filter (idempotent)."""
    global _installed
    if _installed:
        return
    original = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    thread = threading.Thread(target=_forward, args=(read_fd, original), daemon=True,
                              name="bnbook-stderr-filter")
    thread.start()

    def drain() -> None:
        # At exit, put the original stderr back (closing the pipe's last writer)
        # and let the filter pass on what it still holds: a final traceback.
        sys.stderr.flush()
        os.dup2(original, 2)
        thread.join(timeout=2)

    atexit.register(drain)
    quiet_python_loggers()
    _installed = True
