"""Checkers of chapter 1's exercises."""

from __future__ import annotations

import numpy as np

from bnbook.exercises.registry import Hint, array, call, checker, function, number

_FLOOR = 1e-7  # Keras's backend epsilon: Normalization divides by max(std, 1e-7)


# ex-01-units: predict the float32 round-off of a change of units.

def _units_difference() -> tuple[float, float, float]:
    """Largest float32 z-score difference, the spacing near 42, the std."""
    from bnbook.data import load_dataset

    area = load_dataset("breast_cancer", seed=0).x_train[:, 3]
    converted = 1e-6 * area + np.float32(42)

    def zscore(v: np.ndarray) -> np.ndarray:
        return (v - v.mean()) / v.std()

    gap = float(np.abs(zscore(converted) - zscore(area)).max())
    return gap, float(np.spacing(np.float32(42))), float(converted.std())


@checker("ex-01-units")
def _units(answer: object) -> str:
    prediction = number(answer, "the largest difference between the z-scores")
    truth, spacing, std = _units_difference()
    reason = (f"near 42, neighbouring float32 numbers are {spacing:.1e} apart, "
              f"and the converted feature's std is only {std:.1e}: each "
              f"rounding moves a z-score by up to about {spacing / std:.3f}")
    if prediction < 0:
        raise Hint("a largest absolute difference cannot be negative")
    if prediction == 0:
        raise Hint("0 is the answer in exact arithmetic, where the algebra of "
                   "the z-score holds. In float32, 1e-6 * area + 42 is rounded: "
                   + reason)
    if prediction < truth / 3:
        if prediction < 1e-4:
            raise Hint("float32's relative precision (about 1e-7) applies to the "
                       "stored value, 42, not to its small variations: " + reason)
        raise Hint(f"too small (the largest difference is {truth:.3f}): " + reason)
    if prediction > 3 * truth:
        if prediction >= 0.3:
            raise Hint("too large: the variations of the feature are not lost, "
                       "only rounded to a coarse grid: " + reason)
        raise Hint(f"too large (the largest difference is {truth:.3f}): " + reason)
    return (f"the largest difference is {truth:.3f} and your {prediction:.3g} "
            f"is within a factor of 3 of it: {reason}")


# ex-01-leakage: standardize two splits with the training statistics only.

def _standardized(train: np.ndarray, test: np.ndarray, *, source: str = "train",
                  ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Both splits standardized with the statistics of ``source`` (no floor)."""
    def stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x.mean(axis=0), x.std(axis=0, ddof=ddof)

    pooled = np.concatenate([train, test])
    mu_train, sd_train = stats({"train": train, "pooled": pooled}.get(source, train))
    mu_test, sd_test = stats(test) if source == "own" else (mu_train, sd_train)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (train - mu_train) / sd_train, (test - mu_test) / sd_test


def _splits(rng: np.random.Generator, n_train: int, n_test: int,
            features: int) -> tuple[np.ndarray, np.ndarray]:
    """Two splits on very different scales, the test split shifted; column 0 constant."""
    scales = 10.0 ** rng.uniform(-2, 3, features)
    centres = scales * rng.uniform(-5, 5, features)
    train = centres + scales * rng.standard_normal((n_train, features))
    test = centres + scales * (0.8 + 1.5 * rng.standard_normal((n_test, features)))
    train[:, 0] = test[:, 0] = 255.0
    return train, test


def _leak_hint(train: np.ndarray, test: np.ndarray, got_train: np.ndarray,
               got_test: np.ndarray) -> str:
    """What the wrong z-scores (columns 1 on) look like, as a hint."""
    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return np.allclose(a[:, 1:], b[:, 1:], rtol=1e-4, atol=1e-4)

    for ddof in (0, 1):
        for source in ("own", "pooled"):
            right_train, right_test = _standardized(train, test, source=source,
                                                    ddof=ddof)
            if close(got_test, right_test):
                told = {
                    "own": "the test split was standardized with its own mean and "
                           "std: it looks perfectly standardized, but a model in "
                           "use never sees that. Use the training statistics for "
                           "both splits",
                    "pooled": "the statistics come from the training and test "
                              "splits together: the test split leaks into them. "
                              "Compute mean and std on train alone",
                }[source]
                return told + (" (and divide by n, not n - 1)" if ddof else "")
    if close(got_test, _standardized(train, test, ddof=1)[1]):
        return ("the statistics come from the right split, but the std divides "
                "by n - 1 (ddof=1); the chapter's z-score and Normalization.adapt "
                "divide by n, NumPy's default")
    flat_mu, flat_sd = train.mean(), train.std()
    if close(got_test, (test - flat_mu) / flat_sd):
        return ("one mean and one std for the whole table: take the statistics "
                "over the samples only (axis=0), one pair per feature")
    return ("the test split's z-scores differ from (test - mu) / sigma with the "
            "training split's mean and std per feature (axis=0)")


@checker("ex-01-leakage")
def _leakage(answer: object) -> str:
    standardize = function(answer, "standardize(train, test)")
    rng = np.random.default_rng(2024)
    for n_train, n_test, features in ((40, 15, 5), (25, 60, 3), (90, 7, 8)):
        train, test = _splits(rng, n_train, n_test, features)
        kept = train.copy(), test.copy()
        result = call(standardize, train, test, what="standardize(train, test)")
        if not (np.array_equal(train, kept[0]) and np.array_equal(test, kept[1])):
            raise Hint("standardize changed the arrays passed to it (in-place "
                       "operations such as train -= mu): return new arrays")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Hint("standardize must return two arrays, "
                       "(train standardized, test standardized)")
        per_value = "one standardized value per input value"
        got_train = array(result[0], "the standardized train split", train.shape,
                          per_value, finite=False)  # NaN is judged below
        got_test = array(result[1], "the standardized test split", test.shape,
                         per_value, finite=False)
        right_train, right_test = _standardized(train, test)
        if not np.isfinite(got_train[:, 1:]).all() or not np.isfinite(
                got_test[:, 1:]).all():
            raise Hint("NaN or infinity in a feature that is not constant")
        if not np.allclose(got_test[:, 1:], right_test[:, 1:], rtol=1e-4, atol=1e-4):
            raise Hint(_leak_hint(train, test, got_train, got_test))
        if not np.allclose(got_train[:, 1:], right_train[:, 1:], rtol=1e-4,
                           atol=1e-4):
            raise Hint("the test split is right but the train split is not: "
                       "standardize both with the same training statistics")
        constant = np.concatenate([got_train[:, 0], got_test[:, 0]])
        if not np.isfinite(constant).all():
            raise Hint("a feature that is constant in the training split (like "
                       "the digits' border pixels) has std 0 and gives NaN: "
                       "floor the std, as Normalization does with "
                       "max(std, 1e-7)")
        if np.abs(constant).max() > 1e-6:
            raise Hint("a feature that is constant in the training split should "
                       "come out as 0 where the value is unchanged; check how "
                       "the std 0 is guarded")
    return ("both splits match the training statistics' z-scores on 3 hidden "
            "pairs of splits, a constant feature included")


# ex-01-robust: a Normalization layer with the median and the IQR.

def _robust_reference(train: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(x - median) / IQR per feature, with the training split's statistics."""
    q1, median, q3 = np.percentile(train, [25, 50, 75], axis=0)
    return (x - median) / np.maximum(q3 - q1, _FLOOR)


@checker("ex-01-robust")
def _robust(answer: object) -> str:
    import keras

    robust_normalization = function(answer, "robust_normalization(train)")
    rng = np.random.default_rng(11)
    for n, features in ((50, 4), (31, 7), (120, 2)):
        scales = 10.0 ** rng.uniform(-1, 2, features)
        train = scales * rng.standard_exponential((n, features)) ** 2
        train[0] *= 100  # one sample recorded in the wrong unit
        train = train.astype("float32").astype(np.float64)
        x = scales * rng.standard_exponential((9, features))
        layer = call(robust_normalization, train.copy(),
                     what="robust_normalization(train)")
        if not isinstance(layer, keras.layers.Layer):
            raise Hint(f"return a Keras layer (keras.layers.Normalization), got "
                       f"{type(layer).__name__}: a layer is saved with the model")
        out = call(layer, x.astype("float32"), what="the returned layer on a batch")
        got = array(out, "the layer's output", x.shape,
                    "one statistic per feature (the layer's axis=-1)")
        expected = _robust_reference(train, x)
        if np.allclose(got, expected, rtol=1e-4, atol=1e-4):
            continue
        q1, median, q3 = np.percentile(train, [25, 50, 75], axis=0)
        wrong = {
            "it scales by the square root of the IQR: Normalization divides by "
            "the square root of its variance, so pass the IQR squared":
                (x - median) / np.sqrt(q3 - q1),
            "this is the ordinary z-score (mean and std, or adapt): the robust "
            "layer needs the median and the inter-quartile range":
                (x - train.mean(axis=0)) / train.std(axis=0),
            "one median and one IQR for the whole table: take percentiles over "
            "the samples only (axis=0), one pair per feature":
                _robust_reference(train.reshape(-1, 1), x.reshape(-1, 1)
                                  ).reshape(x.shape),
            "it centres on the mean, not on the median":
                (x - train.mean(axis=0)) / (q3 - q1),
            "it divides by the std, not by the IQR":
                (x - median) / train.std(axis=0),
        }
        for hint, output in wrong.items():
            if np.allclose(got, output, rtol=1e-4, atol=1e-4):
                raise Hint(hint)
        raise Hint("the output differs from (x - median) / (q3 - q1), with the "
                   "training split's 25th, 50th and 75th percentiles per feature")
    return ("the layer gives (x - median) / IQR of the training split on 3 "
            "hidden data sets with an outlier")
