"""bnbook.stats: summarize() and seed_summary()."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from bnbook.stats import seed_summary, summarize


def test_summarize_matches_hand_computation():
    values = [1.0, 2.0, 3.0, 4.0]
    # mean 2.5; sample variance (2.25+0.25+0.25+2.25)/3 = 5/3.
    std = math.sqrt(5 / 3)
    t = scipy_stats.t.ppf(0.975, 3)
    assert t == pytest.approx(3.182446305284263)  # the textbook t(0.975, df=3)
    half = t * std / 2  # sqrt(n) = 2
    result = summarize(values)
    assert set(result) == {"n", "mean", "std", "ci_low", "ci_high"}
    assert result["n"] == 4 and isinstance(result["n"], int)
    assert result["mean"] == pytest.approx(2.5)
    assert result["std"] == pytest.approx(std)
    assert result["ci_low"] == pytest.approx(2.5 - half)
    assert result["ci_high"] == pytest.approx(2.5 + half)
    assert result["ci_low"] == pytest.approx(0.4457, abs=1e-4)
    assert result["ci_high"] == pytest.approx(4.5543, abs=1e-4)


def test_summarize_uses_the_requested_confidence():
    values = [0.91, 0.93, 0.92, 0.95, 0.90]
    mean, std = np.mean(values), np.std(values, ddof=1)
    for confidence in (0.5, 0.9, 0.99):
        half = scipy_stats.t.ppf(0.5 + confidence / 2, 4) * std / math.sqrt(5)
        result = summarize(values, confidence=confidence)
        assert result["ci_low"] == pytest.approx(mean - half)
        assert result["ci_high"] == pytest.approx(mean + half)
    assert summarize(values, 0.99)["ci_high"] > summarize(values, 0.9)["ci_high"]


def test_summarize_two_values():
    result = summarize([0.0, 2.0])
    half = scipy_stats.t.ppf(0.975, 1) * math.sqrt(2) / math.sqrt(2)  # 12.706...
    assert result["std"] == pytest.approx(math.sqrt(2))
    assert result["ci_high"] - result["mean"] == pytest.approx(half)
    assert half == pytest.approx(12.7062, abs=1e-4)


def test_summarize_identical_values_has_zero_width_interval():
    result = summarize([0.5, 0.5, 0.5])
    assert result["std"] == 0.0
    assert result["ci_low"] == result["ci_high"] == pytest.approx(0.5)


def test_summarize_single_value():
    result = summarize([0.75])
    assert result["n"] == 1
    assert result["mean"] == 0.75
    for key in ("std", "ci_low", "ci_high"):
        assert math.isnan(result[key]), key


def test_summarize_accepts_arrays_series_and_flattens():
    expected = summarize([1.0, 2.0, 3.0, 4.0])
    assert summarize(np.array([[1, 2], [3, 4]])) == pytest.approx(expected)
    assert summarize(pd.Series([1, 2, 3, 4], index=[10, 11, 12, 13])) == pytest.approx(expected)
    assert summarize((np.float32(1), 2, 3, 4)) == pytest.approx(expected)


@pytest.mark.parametrize("values", [[], np.array([]), pd.Series([], dtype=float)])
def test_summarize_empty_values(values):
    with pytest.raises(ValueError, match=r"^values must hold at least one number"):
        summarize(values)


@pytest.mark.parametrize("values", [[1.0, float("nan")], [np.inf, 1.0], [-np.inf]])
def test_summarize_non_finite_values(values):
    with pytest.raises(ValueError, match=r"^values must be finite"):
        summarize(values)


@pytest.mark.parametrize("confidence", [0, 1, 0.0, 1.0, -0.1, 1.5, 95, float("nan")])
def test_summarize_confidence_out_of_range(confidence):
    with pytest.raises(ValueError, match=r"^confidence must be strictly between 0 and 1"):
        summarize([1.0, 2.0], confidence=confidence)


# ---------------------------------------------------------------- seed_summary


@pytest.fixture
def results():
    return pd.DataFrame({
        "norm": ["bn", "bn", "bn", "none", "none", "none", "bn", "bn", "none"],
        "lr": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 1.0, 1.0, 1.0],
        "seed": [0, 1, 2, 0, 1, 2, 0, 1, 0],
        "acc": [0.90, 0.92, 0.94, 0.80, 0.70, 0.75, 0.5, 0.7, 0.1],
    })


def test_seed_summary_one_key(results):
    table = seed_summary(results, "norm", "acc")
    assert list(table.columns) == ["norm", "n", "mean", "std", "ci_low", "ci_high"]
    assert list(table["norm"]) == ["bn", "none"]  # order of first appearance
    bn = summarize([0.90, 0.92, 0.94, 0.5, 0.7])
    none = summarize([0.80, 0.70, 0.75, 0.1])
    for row, expected in zip(table.to_dict("records"), (bn, none), strict=True):
        assert row["n"] == expected["n"]
        for key in ("mean", "std", "ci_low", "ci_high"):
            assert row[key] == round(expected[key], 3), key


def test_seed_summary_two_keys(results):
    table = seed_summary(results, ["norm", "lr"], "acc", decimals=6)
    assert list(table.columns[:2]) == ["norm", "lr"]
    assert list(zip(table["norm"], table["lr"], strict=True)) == [
        ("bn", 0.1), ("none", 0.1), ("bn", 1.0), ("none", 1.0)]
    assert list(table["n"]) == [3, 3, 2, 1]
    assert table["mean"].tolist() == pytest.approx([0.92, 0.75, 0.6, 0.1])
    assert table["std"].iloc[0] == pytest.approx(0.02)
    expected = summarize([0.5, 0.7])
    assert table["ci_low"].iloc[2] == pytest.approx(expected["ci_low"], abs=1e-6)
    # A group with one seed has no spread and no interval.
    assert table[["std", "ci_low", "ci_high"]].iloc[3].isna().all()


def test_seed_summary_by_tuple_equals_by_list(results):
    pd.testing.assert_frame_equal(seed_summary(results, ("norm", "lr"), "acc"),
                                  seed_summary(results, ["norm", "lr"], "acc"))


def test_seed_summary_confidence_and_decimals(results):
    wide = seed_summary(results, "norm", "acc", confidence=0.99, decimals=5)
    narrow = seed_summary(results, "norm", "acc", confidence=0.5, decimals=5)
    assert (wide["ci_high"] > narrow["ci_high"]).all()
    assert (wide["ci_low"] < narrow["ci_low"]).all()
    rounded = seed_summary(results, "norm", "acc", decimals=1)
    assert rounded["mean"].tolist() == [0.8, 0.6]


@pytest.mark.parametrize(("by", "value", "missing"), [
    ("optimizer", "acc", "optimizer"),
    ("norm", "loss", "loss"),
    (["norm", "batch"], "acc", "batch"),
])
def test_seed_summary_missing_columns(results, by, value, missing):
    expected = rf"by/value name columns that results lacks: \['{missing}'\]"
    with pytest.raises(ValueError, match=expected):
        seed_summary(results, by, value)


@pytest.mark.parametrize("bad", [{"norm": ["bn"], "acc": [0.9]}, [[0.9]], None,
                                 np.zeros((2, 2))])
def test_seed_summary_results_must_be_a_dataframe(bad):
    with pytest.raises(TypeError, match=r"^results must be a pandas DataFrame"):
        seed_summary(bad, "norm", "acc")


def test_seed_summary_bad_confidence_is_reported(results):
    with pytest.raises(ValueError, match="confidence"):
        seed_summary(results, "norm", "acc", confidence=1.5)


def test_seed_summary_non_finite_value_is_reported(results):
    results.loc[0, "acc"] = np.nan
    with pytest.raises(ValueError, match="values must be finite"):
        seed_summary(results, "norm", "acc")


def test_seed_summary_rounds_statistics_but_not_group_keys():
    runs = pd.DataFrame({"lr": [0.00012345, 0.00012345, 0.1, 0.1],
                         "acc": [0.11111, 0.22222, 0.5, 0.7]})
    table = seed_summary(runs, "lr", "acc", decimals=2)
    assert table["lr"].tolist() == [0.00012345, 0.1]  # keys untouched
    assert table["mean"].tolist() == [0.17, 0.6]
    assert table["std"].tolist() == [round(np.std([0.11111, 0.22222], ddof=1), 2),
                                     round(np.std([0.5, 0.7], ddof=1), 2)]
    assert table["n"].tolist() == [2, 2]


# ---------------------------------------------------------------- logit interval
def test_logit_interval_matches_hand_computation():
    values = [0.1, 0.97, 0.5]
    result = summarize(values, interval="logit")
    mean, s = np.mean(values), np.std(values, ddof=1)
    half = 4.302652729911275 * s / np.sqrt(3) / (mean * (1 - mean))
    centre = np.log(mean / (1 - mean))
    assert result["mean"] == pytest.approx(mean)
    assert result["ci_low"] == pytest.approx(1 / (1 + np.exp(-(centre - half))))
    assert result["ci_high"] == pytest.approx(1 / (1 + np.exp(-(centre + half))))
    # the t interval of the same values leaves [0, 1]; the logit one does not
    t = summarize(values)
    assert t["ci_low"] < 0 and t["ci_high"] > 1
    assert 0 < result["ci_low"] < mean < result["ci_high"] < 1


def test_logit_interval_is_close_to_t_in_the_middle():
    values = [0.49, 0.5, 0.51, 0.5]
    t, logit = summarize(values), summarize(values, interval="logit")
    assert logit["ci_low"] == pytest.approx(t["ci_low"], abs=1e-4)
    assert logit["ci_high"] == pytest.approx(t["ci_high"], abs=1e-4)


@pytest.mark.parametrize("values", [[1.0, 1.0, 1.0], [0.0, 0.0], [0.7, 0.7]])
def test_logit_interval_degenerate_values(values):
    result = summarize(values, interval="logit")
    assert result["ci_low"] == result["ci_high"] == result["mean"]


def test_logit_interval_refuses_values_outside_0_1():
    with pytest.raises(ValueError, match="interval='logit' needs values in"):
        summarize([0.5, 1.2], interval="logit")


def test_unknown_interval_is_refused():
    with pytest.raises(ValueError, match="interval must be one of"):
        summarize([0.5, 0.6], interval="wilson")


@pytest.mark.parametrize("confidence", ["0.95", None])
def test_confidence_of_wrong_type_is_refused(confidence):
    with pytest.raises(TypeError, match="confidence must be a number"):
        summarize([0.5, 0.6], confidence=confidence)


def test_seed_summary_passes_the_interval_on():
    results = pd.DataFrame({"k": ["a"] * 3, "acc": [0.1, 0.97, 0.5]})
    table = seed_summary(results, "k", "acc", interval="logit")
    assert 0 < table.ci_low[0] < table.ci_high[0] < 1


def test_seed_summary_keeps_a_missing_key_as_its_own_group():
    results = pd.DataFrame({"k": ["a", "a", None, None], "acc": [0.1, 0.2, 0.3, 0.5]})
    table = seed_summary(results, "k", "acc")
    assert len(table) == 2 and table.n.tolist() == [2, 2]
    assert table.k.isna().tolist() == [False, True]


@pytest.mark.parametrize("values", ["abc", ["a", "b"], {"a": 1}, {1, 2}, [[1, 2], [3]]])
def test_summarize_refuses_what_is_not_numbers(values):
    with pytest.raises(TypeError, match="values must be a"):
        summarize(values)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"by": 0}, TypeError, "by must be a column name"),
        ({"by": []}, ValueError, "by must name at least one column"),
        ({"by": ["k", "acc"]}, ValueError, "cannot also be a grouping column"),
        ({"decimals": 1.5}, TypeError, "decimals must be an int"),
        ({"decimals": "2"}, TypeError, "decimals must be an int"),
    ],
)
def test_seed_summary_bad_arguments(kwargs, error, message):
    results = pd.DataFrame({"k": ["a", "a"], "acc": [0.5, 0.6]})
    with pytest.raises(error, match=message):
        seed_summary(results, **{"by": "k", "value": "acc", **kwargs})


def test_seed_summary_refuses_a_value_column_of_strings():
    results = pd.DataFrame({"k": ["a", "a"], "acc": ["x", "y"]})
    with pytest.raises(TypeError, match="value column 'acc' must hold numbers"):
        seed_summary(results, "k", "acc")
