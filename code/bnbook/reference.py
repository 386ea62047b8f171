"""The reference environment: where the stored outputs were made, and claims must hold.

The book's stored outputs come from the versions pinned in ``requirements.txt``
(a test keeps :data:`VERSIONS` equal to them), the TensorFlow backend on a CPU
and ``SCALE = 1``. Anywhere else (Colab, a GPU, other versions, a larger
scale) the numbers may differ a little, so a claim that does not hold is
reported there instead of stopping the notebook.
"""

from __future__ import annotations

import functools
import platform
from importlib import metadata

# The versions the stored outputs depend on, as pinned in requirements.txt.
VERSIONS = {
    "keras": "3.15.1",
    "tensorflow": "2.21.0",
    "numpy": "2.4.6",
    "scipy": "1.17.1",
    "pandas": "3.1.1",
    "scikit-learn": "1.9.1",
    "mlxtend": "0.25.0",
}
PYTHON = "3.11"


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def differences() -> tuple[str, ...]:
    """How this process differs from the reference environment (empty: it does not)."""
    import keras

    found = []
    python = ".".join(platform.python_version_tuple()[:2])
    if python != PYTHON:
        found.append(f"Python {python} (reference {PYTHON})")
    for name, pinned in VERSIONS.items():
        version = _installed(name)
        if version != pinned:
            found.append(f"{name} {version or 'not installed'} (reference {pinned})")
    backend = keras.backend.backend()
    if backend != "tensorflow":
        found.append(f"backend {backend} (reference tensorflow)")
    else:
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            found.append("a GPU (reference: CPU only)")
    return tuple(found)


def is_reference() -> bool:
    """Whether this process runs in the reference environment (scale aside)."""
    return not differences()
