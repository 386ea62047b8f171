"""One call that makes a notebook reproducible, and says where it ran.

Seeds fix the random draws, but the numbers also depend on how the CPU does
the arithmetic: how many threads split a sum, and which instruction set the
oneDNN kernels inside TensorFlow pick at run time (AVX-512 on one machine,
AVX2 on another: each adds in another order). :data:`CPU_NUMERICS` fixes
both, for every process that imports ``bnbook`` before TensorFlow starts:

- one thread per op pool, so the core count does not matter;
- TensorFlow's oneDNN graph rewrites off, so its own (Eigen) kernels run;
  they are compiled for AVX, the same code on every machine;
- the oneDNN matrix multiply that those kernels still call capped at AVX, the
  oldest instruction set this TensorFlow build runs on.

So x86-64 machines that run this TensorFlow compute the same numbers whatever
their core count and instruction set. Two dependences on the CPU model remain
inside TensorFlow's kernels, which these settings do not change: Eigen blocks
long sums by the cache sizes the CPU reports, and rsqrt and reciprocal start
from the CPU's approximate instructions, whose bits differ between vendors
(README, "Where the stored outputs reproduce").
Measured on the book's CNN chapter with one core: no slower than oneDNN's
own kernels (50 s against 60 s), and unlike an ISA cap alone, bfloat16 still
runs (oneDNN's bfloat16 matmul needs AVX-512).
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import sys
import warnings

import numpy as np

from bnbook import scale as bnbook_scale
from bnbook.quiet import in_notebook_kernel, install_stderr_filter, quiet_python_loggers


CPU_NUMERICS = {
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "ONEDNN_MAX_CPU_ISA": "AVX",
}
_started_before = {"tensorflow": False}


def pin_cpu_numerics() -> None:
    """Fix TensorFlow's thread pools and oneDNN's instruction set (see the module text).

    Both are read when TensorFlow first runs an op, so this runs when ``bnbook``
    is imported; notebooks import it before Keras.
    """
    _started_before["tensorflow"] = "tensorflow" in sys.modules
    os.environ.update(CPU_NUMERICS)


def _exact_float32() -> None:
    """No TF32 matmuls on Ampere-or-newer GPUs: float32 means float32 on every backend."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(False)
        for pool in ("intra_op", "inter_op"):
            with contextlib.suppress(RuntimeError):  # already running: the variables above hold
                getattr(tf.config.threading, f"set_{pool}_parallelism_threads")(1)
    elif backend == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "highest")
    elif backend == "torch":
        import torch

        torch.set_float32_matmul_precision("highest")
        torch.backends.cudnn.allow_tf32 = False


def _check_seed(seed: object) -> int:
    """A seed every generator accepts: an int in [0, 2**32)."""
    if (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
            or not 0 <= seed < 2**32):
        raise ValueError(f"seed must be a non-negative int below 2**32, got {seed!r}")
    return int(seed)


def setup(seed: int = 0, *, scale: int = 1) -> str:
    """Seed Python, NumPy and Keras, make TensorFlow ops deterministic and float32
    exact (no TF32), silence framework log noise, store inline figures at
    HiDPI resolution (in a notebook), print arrays and tables in lines that fit
    the book's column, set the run's scale
    (``bnbook.scale``), and return a one-line environment report (which names
    the scale when it is not 1)."""
    seed = _check_seed(seed)
    bnbook_scale.set_scale(scale)
    if in_notebook_kernel():
        install_stderr_filter()
        from bnbook.plotting import use_hidpi

        use_hidpi()
    quiet_python_loggers()
    _fit_printing_to_the_column()
    import keras

    if _started_before["tensorflow"]:
        warnings.warn("TensorFlow was imported before bnbook, so its thread pools and CPU "
                      "kernels may not be the book's: numbers can differ slightly from the "
                      "stored ones. Import bnbook first.", stacklevel=2)
    _exact_float32()
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 -- libraries still draw from the legacy global
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    report = environment_report(seed)
    bnbook_scale.record("environment", report=report)
    return report


def _fit_printing_to_the_column() -> None:
    """Printed arrays and tables break their lines at the book's column."""
    import pandas as pd

    np.set_printoptions(linewidth=REPORT_WIDTH)
    pd.set_option("display.width", REPORT_WIDTH)


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


# Printed lines of the book fit its 72-character text column.
REPORT_WIDTH = 72


def environment_report(seed: int) -> str:
    """Versions, backend and device, in lines that fit the book's column."""
    import keras

    seed = _check_seed(seed)
    python = ".".join(platform.python_version_tuple()[:2])
    fields = ([f"scale {bnbook_scale.current()}"] if bnbook_scale.current() > 1 else []) + [
        f"seed {seed}", f"Keras {keras.__version__} on {_backend_version()}",
        f"NumPy {np.__version__}", f"Python {python}", f"device {_device()}"]
    lines = [fields[0]]
    for field in fields[1:]:
        if len(lines[-1]) + 3 + len(field) > REPORT_WIDTH:
            lines.append(field)
        else:
            lines[-1] += f" | {field}"
    return "\n".join(lines)
