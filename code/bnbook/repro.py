"""One call that makes a notebook reproducible, and says where it ran."""

from __future__ import annotations

import platform
import random

import numpy as np

from bnbook import scale as bnbook_scale
from bnbook.quiet import in_notebook_kernel, install_stderr_filter, quiet_python_loggers


def setup(seed: int = 0, *, scale: int = 1) -> str:
    """Seed Python, NumPy and Keras, make TensorFlow ops deterministic, silence
    framework log noise, set the run's scale (``bnbook.scale``), and return a
    one-line environment report (which names the scale when it is not 1)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    bnbook_scale.set_scale(scale)
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
    report = environment_report(int(seed))
    bnbook_scale.record("environment", report=report)
    return report


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
    scaled = f"scale {bnbook_scale.current()} | " if bnbook_scale.current() > 1 else ""
    return (
        f"{scaled}seed {seed} | Keras {keras.__version__} on {_backend_version()} | "
        f"NumPy {np.__version__} | Python {python} | device {_device()}"
    )
