"""One call that makes a notebook reproducible, and says where it ran."""

from __future__ import annotations

import platform
import random

import numpy as np

from bnbook.quiet import in_notebook_kernel, install_stderr_filter, quiet_python_loggers


def setup(seed: int = 0) -> str:
    """Seed Python, NumPy and Keras, make TensorFlow ops deterministic, silence
    framework log noise, and return a one-line environment report."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if in_notebook_kernel():
        install_stderr_filter()
    quiet_python_loggers()
    import keras

    random.seed(int(seed))
    np.random.seed(int(seed))  # noqa: NPY002 -- libraries still draw from the legacy global
    keras.utils.set_random_seed(int(seed))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return environment_report(int(seed))


def _device() -> str:
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return f"GPU x{len(gpus)}" if gpus else "CPU"
    if backend == "jax":
        import jax

        return jax.devices()[0].platform.upper()
    if backend == "torch":
        import torch

        return "GPU" if torch.cuda.is_available() else "CPU"
    return "unknown"


def _backend_version() -> str:
    import keras

    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module is None:
        return backend
    return f"{backend} {__import__(module).__version__}"


def environment_report(seed: int) -> str:
    """Versions, backend and device in one stable line."""
    import keras

    python = ".".join(platform.python_version_tuple()[:2])
    return (
        f"seed {seed} | Keras {keras.__version__} on {_backend_version()} | "
        f"NumPy {np.__version__} | Python {python} | device {_device()}"
    )
