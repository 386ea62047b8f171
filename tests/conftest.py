"""Shared set-up for the bnbook test suite.

* Matplotlib draws off screen (Agg), chosen before anything imports pyplot.
* A network guard: any attempt from this process to resolve or connect to a
  host that is not the local machine raises at once, so no test can reach the
  network even by accident. Jupyter kernels talk to nbclient over loopback
  (ZeroMQ, outside Python's socket module), which the guard leaves alone.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

# bnbook before anything imports TensorFlow, as in every chapter: it fixes
# TensorFlow's CPU threads and kernels (bnbook.repro.CPU_NUMERICS).
import bnbook  # noqa: E402, F401

# Agg in this process only. Not through os.environ: notebook kernels started
# from the same pytest run (nbval on chapters/) would inherit it and lose their
# inline figures.
import matplotlib  # noqa: E402

matplotlib.use("Agg")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PACKAGE_DIR = REPO / "code" / "bnbook"

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "", None}


class NetworkBlockedError(OSError):
    """Raised by the guard when a test tries to reach a remote host."""


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        return address[0] in _LOCAL_HOSTS
    return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self, address):
    if not _is_local(address):
        raise NetworkBlockedError(f"network blocked in tests: connect to {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise NetworkBlockedError(f"network blocked in tests: connect to {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host not in _LOCAL_HOSTS:
        raise NetworkBlockedError(f"network blocked in tests: resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo


# Snippet that subprocesses run first: the same guard, and a record of every
# attempt so that a test can assert how many were made (and that all failed).
SUBPROCESS_NETWORK_GUARD = r'''
import socket
NETWORK_ATTEMPTS = []
def _blocked(*args, **kwargs):
    target = args[1:] if args and isinstance(args[0], socket.socket) else args
    NETWORK_ATTEMPTS.append(repr(target)[:200])
    raise OSError("network blocked in tests")
socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.getaddrinfo = _blocked
socket.create_connection = _blocked
'''


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python: no proxies, quiet TF, Agg backend."""
    env = {key: value for key, value in os.environ.items()
           if key.lower() not in {"http_proxy", "https_proxy", "all_proxy"}}
    env["MPLBACKEND"] = "Agg"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close("all")


@pytest.fixture
def tiny_regression():
    """32 random rows of 4 features and a linear target, float32."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32") + 0.1).astype("float32")
    return x, y


@pytest.fixture
def make_model():
    """Factory: a tiny Dense regression model, compiled unless told otherwise."""
    import keras

    def build(compiled: bool = True, metrics=None, seed: int = 0):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([
            keras.Input((4,)),
            keras.layers.Dense(3, activation="relu"),
            keras.layers.Dense(1),
        ])
        if compiled:
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse",
                          metrics=metrics)
        return model

    return build
