"""Statistics over seeds: mean, spread and a confidence interval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special as scipy_special
from scipy import stats as scipy_stats


INTERVALS = ("t", "logit")


def _numbers(values: object) -> np.ndarray:
    """``values`` flattened to float64, or a TypeError saying what was expected."""
    if isinstance(values, (str, bytes, dict, set, frozenset)):
        raise TypeError(
            f"values must be a sequence or array of numbers, got {type(values).__name__}"
        )
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"values must be a flat sequence or array of numbers, got {values!r:.60} ({error})"
        ) from None
    return array.reshape(-1)


def summarize(
    values: Sequence[float], confidence: float = 0.95, interval: str = "t"
) -> dict[str, float]:
    """n, mean, sample std and a confidence interval of the mean.

    ``interval="t"`` is Student's t interval, mean ± t·s/√n. ``interval="logit"``
    is for shares such as accuracies, values in [0, 1]: the same interval built
    on the logit scale around the mean, with the delta-method standard error
    s/(√n·p(1−p)), and mapped back, so it always lies inside [0, 1] and
    contains the mean (the logit interval for a proportion).
    """
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.number)):
        raise TypeError(
            f"confidence must be a number strictly between 0 and 1, got {confidence!r}"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
    array = _numbers(values)
    if array.size == 0:
        raise ValueError("values must hold at least one number, got none")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"values must be finite, got {array.tolist()}")
    if interval == "logit" and (array.min() < 0 or array.max() > 1):
        raise ValueError(
            f"interval='logit' needs values in [0, 1] (shares), got {array.tolist()}"
        )
    mean = float(array.mean())
    if array.size == 1:
        return {"n": 1, "mean": mean, "std": float("nan"),
                "ci_low": float("nan"), "ci_high": float("nan")}
    std = float(array.std(ddof=1))
    quantile = float(scipy_stats.t.ppf(0.5 + confidence / 2, array.size - 1))
    half = quantile * std / np.sqrt(array.size)
    if interval == "t":
        return {"n": int(array.size), "mean": mean, "std": std,
                "ci_low": mean - half, "ci_high": mean + half}
    if std == 0 or mean in (0.0, 1.0):
        return {"n": int(array.size), "mean": mean, "std": std,
                "ci_low": mean, "ci_high": mean}
    centre = np.log(mean / (1 - mean))
    half_logit = half / (mean * (1 - mean))
    low, high = scipy_special.expit([centre - half_logit, centre + half_logit])
    return {"n": int(array.size), "mean": mean, "std": std,
            "ci_low": float(low), "ci_high": float(high)}


def seed_summary(
    results: pd.DataFrame,
    by: str | Sequence[str],
    value: str,
    confidence: float = 0.95,
    decimals: int = 3,
    interval: str = "t",
) -> pd.DataFrame:
    """Summarize ``value`` over the runs (seeds) in each group of ``by``.

    One row per group, in order of first appearance (a missing key is a group
    of its own); the statistics are rounded to ``decimals``, the group keys are
    left as they are. ``interval`` is passed to :func:`summarize`: use
    ``"logit"`` for accuracies, so that no interval leaves [0, 1].
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    if results.empty:
        raise ValueError("results must hold at least one row, got an empty DataFrame")
    if isinstance(by, str):
        keys = [by]
    elif isinstance(by, (list, tuple)) and all(isinstance(k, str) for k in by):
        keys = list(by)
    else:
        raise TypeError(f"by must be a column name or a list of column names, got {by!r}")
    if not keys:
        raise ValueError("by must name at least one column to group by, got none")
    if value in keys:
        raise ValueError(f"value {value!r} cannot also be a grouping column in by={keys}")
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"decimals must be an int, got {decimals!r}")
    missing = [column for column in [*keys, value] if column not in results.columns]
    if missing:
        raise ValueError(
            f"by/value name columns that results lacks: {missing}; "
            f"columns are {list(results.columns)}"
        )
    if not pd.api.types.is_numeric_dtype(results[value]):
        raise TypeError(
            f"value column {value!r} must hold numbers, got dtype {results[value].dtype}"
        )
    rows = [
        {**dict(zip(keys, group if isinstance(group, tuple) else (group,), strict=True)),
         **summarize(frame[value], confidence, interval)}
        for group, frame in results.groupby(keys, sort=False, dropna=False)
    ]
    summary = pd.DataFrame(rows)
    numbers = ["mean", "std", "ci_low", "ci_high"]
    summary[numbers] = summary[numbers].round(decimals)
    return summary
