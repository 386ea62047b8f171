"""bnbook.plotting: book-style figures (Agg backend, figures closed by conftest)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from bnbook.plotting import (  # noqa: E402
    BOOK_STYLE,
    COLUMN_WIDTH,
    MIN_FONT_SIZE,
    figure,
    plot_curves,
    plot_histograms,
    plot_layer_summary,
    plot_seed_summary,
)
from bnbook.stats import seed_summary  # noqa: E402


# --------------------------------------------------------------------- figure


def test_figure_grid_and_size():
    fig, axes = figure(ncols=3, nrows=2, width=6, height=4)
    assert isinstance(axes, list) and len(axes) == 6
    assert all(ax.figure is fig for ax in axes)
    assert tuple(fig.get_size_inches()) == pytest.approx((6, 4))
    # Row-major order: the second axes sits right of the first, same row.
    first, second, fourth = (ax.get_position() for ax in (axes[0], axes[1], axes[3]))
    assert second.x0 > first.x0 and second.y0 == pytest.approx(first.y0)
    assert fourth.y0 < first.y0


def test_figure_single_axes_in_book_style():
    fig, axes = figure()
    assert len(axes) == 1
    ax = axes[0]
    assert tuple(fig.get_size_inches()) == pytest.approx((COLUMN_WIDTH, 3.5))
    assert fig.dpi == 96
    assert not ax.spines["top"].get_visible()
    assert not ax.spines["right"].get_visible()
    assert ax.spines["left"].get_visible()
    assert any(line.get_visible() for line in ax.xaxis.get_gridlines())


def test_figures_fit_the_column_with_readable_text():
    """Shown at their own size in the column (96 dpi: a point is a CSS point),
    with no text under 9 pt; a wider figure is refused, not shrunk."""
    fig, _ = figure()
    assert fig.get_size_inches()[0] * fig.dpi <= 602  # the column at 1200 px
    assert MIN_FONT_SIZE >= 9
    for name in ("font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize",
                 "legend.title_fontsize", "axes.labelsize", "axes.titlesize"):
        assert plt.rcParams[name] >= MIN_FONT_SIZE, name
    assert plt.rcParams["savefig.dpi"] == 2 * fig.dpi
    with pytest.raises(ValueError, match="width must be at most 6.25 inches"):
        figure(width=COLUMN_WIDTH + 0.01)


def test_figure_puts_the_style_into_the_global_settings():
    """As documented: later plain-pyplot figures match. Starts from matplotlib's
    defaults, so it passes alone or after any other test."""
    with plt.rc_context():  # the settings are restored when the test ends
        plt.rcdefaults()
        assert plt.rcParams["axes.spines.top"] is True
        figure()
        for name, value in BOOK_STYLE.items():
            expected = list(value) if isinstance(value, tuple) else value
            assert plt.rcParams[name] == expected, name
        _, later = plt.subplots()
        assert not later.spines["top"].get_visible()


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"width": -1}, "width"), ({"width": 0}, "width"), ({"height": float("nan")}, "height"),
    ({"height": "3"}, "height"), ({"width": True}, "width"),
])
def test_figure_bad_size(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must be a finite number of inches > 0"):
        figure(**kwargs)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"ncols": 0}, "ncols"), ({"ncols": 1.5}, "ncols"), ({"ncols": True}, "ncols"),
    ({"nrows": -1}, "nrows"), ({"nrows": "2"}, "nrows"), ({"nrows": False}, "nrows"),
])
def test_figure_bad_grid(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must be a positive int"):
        figure(**kwargs)


# ---------------------------------------------------------------- plot_curves


def _history(losses, val=None):
    table = pd.DataFrame({"loss": losses})
    if val is not None:
        table["val_loss"] = val
    table.index = pd.RangeIndex(1, len(table) + 1, name="epoch")
    return table


def test_plot_curves_one_line_per_history():
    histories = {"plain": _history([1.0, 0.5, 0.3], [1.1, 0.7, 0.6]),
                 "bn": _history([0.8, 0.3, 0.1], [0.9, 0.4, 0.3])}
    ax = plot_curves(histories, "val_loss")
    lines = ax.get_lines()
    assert len(lines) == 2
    assert [line.get_label() for line in lines] == ["plain", "bn"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), [0.9, 0.4, 0.3])
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "val_loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["plain", "bn"]


def test_plot_curves_draws_on_given_axes():
    fig, axes = figure(ncols=2)
    ax = plot_curves({"a": _history([1.0, 0.5])}, "loss", ax=axes[1])
    assert ax is axes[1]
    assert len(axes[1].get_lines()) == 1 and len(axes[0].get_lines()) == 0


def test_plot_curves_empty():
    with pytest.raises(ValueError, match=r"^histories must map at least one label"):
        plot_curves({}, "loss")


def test_plot_curves_not_a_mapping_of_tables():
    with pytest.raises(TypeError, match=r"^histories must map labels to history tables.*list"):
        plot_curves([_history([1.0])], "loss")
    with pytest.raises(TypeError, match=r"^histories\['a'\] must be a history table.*list"):
        plot_curves({"a": [1.0, 0.5]}, "loss")


def test_plot_seed_summary_not_a_dataframe():
    with pytest.raises(TypeError, match=r"^summary must be a DataFrame.*list"):
        plot_seed_summary([{"mean": 1.0}], "x")


def test_plot_histograms_non_numeric_sample():
    with pytest.raises(TypeError, match=r"^samples\['a'\] must hold numbers"):
        plot_histograms({"a": ["x"]})


def test_plot_curves_missing_metric_names_metric_and_label():
    histories = {"plain": _history([1.0]), "bn": _history([1.0], [2.0])}
    with pytest.raises(ValueError, match=r"metric 'val_loss' is not in the history of 'plain'"):
        plot_curves(histories, "val_loss")


# ----------------------------------------------------------- plot_seed_summary


@pytest.fixture
def summary():
    runs = pd.DataFrame({
        "norm": ["bn"] * 6 + ["none"] * 6,
        "lr": [1.0, 1.0, 0.01, 0.01, 0.1, 0.1] * 2,
        "acc": [0.9, 0.92, 0.8, 0.82, 0.85, 0.86, 0.5, 0.6, 0.7, 0.72, 0.75, 0.7],
    })
    return seed_summary(runs, ["norm", "lr"], "acc")


def test_plot_seed_summary_one_errorbar_per_group(summary):
    ax = plot_seed_summary(summary, "lr", label="norm", logx=True)
    assert len(ax.containers) == 2
    assert [c.get_label() for c in ax.containers] == ["bn", "none"]
    line = ax.containers[0].lines[0]
    np.testing.assert_array_equal(np.asarray(line.get_xdata(), float), [0.01, 0.1, 1.0])
    bn = summary[summary["norm"] == "bn"].sort_values("lr")  # plotted sorted by x
    np.testing.assert_allclose(np.asarray(line.get_ydata(), float), bn["mean"])
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "lr"
    assert ax.get_legend().get_title().get_text() == "norm"


def test_plot_seed_summary_without_label(summary):
    bn = summary[summary["norm"] == "bn"]
    ax = plot_seed_summary(bn, "lr")
    assert len(ax.containers) == 1
    assert ax.get_xscale() == "linear"
    assert ax.get_legend() is None
    # The error bars span the confidence interval.
    segments = ax.containers[0].lines[2][0].get_segments()
    spans = sorted((seg[0][1], seg[1][1]) for seg in segments)
    expected = sorted(zip(bn["ci_low"], bn["ci_high"], strict=True))
    np.testing.assert_allclose(spans, expected)


def test_plot_seed_summary_single_seed_groups_have_no_bars():
    runs = pd.DataFrame({"lr": [0.1, 1.0], "acc": [0.5, 0.6]})
    ax = plot_seed_summary(seed_summary(runs, "lr", "acc"), "lr")
    segments = ax.containers[0].lines[2][0].get_segments()
    assert all(seg[0][1] == seg[1][1] for seg in segments)  # NaN interval -> zero height


@pytest.mark.parametrize(("x", "label", "missing"), [
    ("batch", None, "batch"), ("lr", "optimizer", "optimizer")])
def test_plot_seed_summary_missing_columns(summary, x, label, missing):
    with pytest.raises(ValueError, match=rf"summary lacks columns \['{missing}'\]"):
        plot_seed_summary(summary, x, label=label)


def test_plot_seed_summary_needs_interval_columns(summary):
    with pytest.raises(ValueError, match=r"summary lacks columns \['ci_low', 'ci_high'\]"):
        plot_seed_summary(summary.drop(columns=["ci_low", "ci_high"]), "lr")


# ------------------------------------------------------------- plot_histograms


def test_plot_histograms_overlays_each_sample():
    rng = np.random.default_rng(0)
    samples = {"before": rng.normal(size=200), "after": rng.normal(3, 1, size=(10, 20)),
               "list": [0.0, 1.0, 2.0]}
    ax = plot_histograms(samples, bins=10)
    assert len(ax.patches) == 30
    assert len(ax.containers) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["before", "after", "list"]
    assert ax.get_ylabel() == "density"
    # density=True: each histogram has unit area.
    for container in ax.containers:
        area = sum(p.get_width() * p.get_height() for p in container.patches)
        assert area == pytest.approx(1.0)


def test_plot_histograms_counts():
    ax = plot_histograms({"x": np.arange(10)}, bins=5, density=False)
    assert ax.get_ylabel() == "count"
    assert [p.get_height() for p in ax.patches] == [2, 2, 2, 2, 2]


def test_plot_histograms_empty():
    with pytest.raises(ValueError, match=r"^samples must map at least one label"):
        plot_histograms({})


@pytest.mark.parametrize("bins", [0, -3, 2.5, True, "auto"])
def test_plot_histograms_bad_bins(bins):
    with pytest.raises(ValueError, match=r"^bins must be a positive int"):
        plot_histograms({"x": [1.0, 2.0]}, bins=bins)


# ---------------------------------------------------------- plot_layer_summary


@pytest.fixture
def layers():
    return pd.DataFrame({
        "layer": ["dense", "dense_1", "dense_2"] * 2,
        "model": ["plain"] * 3 + ["bn"] * 3,
        "grad_norm": [1.0, 2.0, 3.0, 0.5, 0.6, 0.7],
    })


def test_plot_layer_summary_one_bar_per_layer(layers):
    plain = layers[layers["model"] == "plain"]
    ax = plot_layer_summary(plain, "grad_norm")
    assert len(ax.patches) == 3
    assert [p.get_height() for p in ax.patches] == [1.0, 2.0, 3.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["dense", "dense_1", "dense_2"]
    assert ax.get_ylabel() == "grad_norm"


def test_plot_layer_summary_with_hue(layers):
    ax = plot_layer_summary(layers, "grad_norm", hue="model")
    assert len(ax.patches) == 6  # 3 layers x 2 models
    assert len(ax.containers) == 2
    heights = {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers}
    assert heights == {"plain": [1.0, 2.0, 3.0], "bn": [0.5, 0.6, 0.7]}
    assert ax.get_ylabel() == "grad_norm"


@pytest.mark.parametrize(("value", "hue", "missing"), [
    ("loss", None, "loss"), ("grad_norm", "optimizer", "optimizer")])
def test_plot_layer_summary_missing_columns(layers, value, hue, missing):
    with pytest.raises(ValueError, match=rf"table lacks columns \['{missing}'\]"):
        plot_layer_summary(layers, value, hue=hue)


def test_plot_layer_summary_needs_layer_column(layers):
    with pytest.raises(ValueError, match=r"table lacks columns \['layer'\]"):
        plot_layer_summary(layers.rename(columns={"layer": "name"}), "grad_norm")
