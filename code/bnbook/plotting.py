"""One consistent style for the book's figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

# Figures are drawn at 96 dpi, CSS's pixels per inch, so a point in matplotlib
# is a point on the page; the inline backend stores them as PNG at twice that
# resolution ("retina", see `use_hidpi`), sharp on HiDPI screens.
DPI = 96
# The book's text column is 602 px wide in a 1200-px browser window: a figure
# up to this width is shown at its own size, so no label shrinks below its size.
COLUMN_WIDTH = 6.25
# The smallest text in a figure (ticks, legends), in points.
MIN_FONT_SIZE = 9

BOOK_STYLE = {
    "figure.figsize": (COLUMN_WIDTH, 3.5),
    "figure.dpi": DPI,
    "savefig.dpi": 2 * DPI,
    "font.size": 10,
    "xtick.labelsize": MIN_FONT_SIZE,
    "ytick.labelsize": MIN_FONT_SIZE,
    "legend.title_fontsize": MIN_FONT_SIZE,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": MIN_FONT_SIZE,
    "legend.frameon": False,
}


def use_hidpi() -> None:
    """Store inline figures as PNG at twice their shown size (Jupyter's "retina")."""
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina")


def figure(ncols: int = 1, nrows: int = 1, width: float = COLUMN_WIDTH, height: float = 3.5):
    """A figure and its axes in the book style (axes flattened to a list).

    ``width`` is at most the column's, :data:`COLUMN_WIDTH` inches: a wider
    figure would be scaled down on the page, and its labels with it.

    The style goes into matplotlib's global settings, so figures made later
    with plain pyplot match. (``plt.rc_context`` would be tidier, but a figure
    created inside it can be lost by Jupyter's inline backend.)
    """
    for name, value in (("ncols", ncols), ("nrows", nrows)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    for name, value in (("width", width), ("height", height)):
        if (isinstance(value, bool) or not isinstance(value, (int, float, np.number))
                or not np.isfinite(value) or value <= 0):
            raise ValueError(f"{name} must be a finite number of inches > 0, got {value!r}")
    if width > COLUMN_WIDTH:
        raise ValueError(
            f"width must be at most {COLUMN_WIDTH} inches, the book's text column (a wider "
            f"figure is shrunk on the page, labels too); got {width!r}: use nrows for more panels"
        )
    plt.rcParams.update(BOOK_STYLE)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height),
                             squeeze=False, layout="constrained")
    return fig, list(axes.ravel())


def plot_curves(histories: Mapping[str, pd.DataFrame], metric: str, ax=None):
    """Learning curves of ``metric``, one line per labelled history table."""
    if not isinstance(histories, Mapping):
        raise TypeError(
            "histories must map labels to history tables (fit_quiet's DataFrames), "
            f"got {type(histories).__name__}"
        )
    if not histories:
        raise ValueError("histories must map at least one label to a history table")
    for label, table in histories.items():
        if not isinstance(table, pd.DataFrame):
            raise TypeError(
                f"histories[{label!r}] must be a history table (a DataFrame), "
                f"got {type(table).__name__}"
            )
    ax = ax if ax is not None else figure()[1][0]
    for label, table in histories.items():
        if metric not in table.columns:
            raise ValueError(
                f"metric {metric!r} is not in the history of {label!r}; "
                f"it has {list(table.columns)}"
            )
        ax.plot(table.index, table[metric], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend()
    return ax


def plot_seed_summary(summary: pd.DataFrame, x: str, label: str | None = None,
                      ax=None, logx: bool = False):
    """Mean with its confidence interval as error bars, one line per ``label`` group."""
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(
            f"summary must be a DataFrame from stats.seed_summary, got {type(summary).__name__}"
        )
    needed = [x, "mean", "ci_low", "ci_high"] + ([label] if label else [])
    missing = [column for column in needed if column not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks columns {missing} (use stats.seed_summary)")
    ax = ax if ax is not None else figure()[1][0]
    groups = summary.groupby(label, sort=False) if label else [(None, summary)]
    for name, frame in groups:
        frame = frame.sort_values(x)
        error = np.vstack([frame["mean"] - frame["ci_low"], frame["ci_high"] - frame["mean"]])
        ax.errorbar(frame[x], frame["mean"], yerr=np.nan_to_num(error), marker="o",
                    capsize=3, label=None if name is None else str(name))
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(x)
    if label:
        ax.legend(title=label)
    return ax


def plot_histograms(samples: Mapping[str, Sequence[float] | np.ndarray], bins: int = 50,
                    ax=None, density: bool = True):
    """Overlaid histograms of labelled samples."""
    if not samples:
        raise ValueError("samples must map at least one label to an array")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive int, got {bins!r}")
    ax = ax if ax is not None else figure()[1][0]
    for label, values in samples.items():
        try:
            array = np.asarray(values, dtype=float).ravel()
        except (TypeError, ValueError) as exc:
            raise TypeError(f"samples[{label!r}] must hold numbers ({exc})") from exc
        ax.hist(array, bins=bins, alpha=0.5,
                density=density, label=label)
    ax.set_ylabel("density" if density else "count")
    ax.legend()
    return ax


def plot_layer_summary(table: pd.DataFrame, value: str, hue: str | None = None, ax=None):
    """A per-layer statistic as bars: one group per layer, one bar per ``hue`` value."""
    needed = ["layer", value] + ([hue] if hue else [])
    missing = [column for column in needed if column not in table.columns]
    if missing:
        raise ValueError(f"table lacks columns {missing}; has {list(table.columns)}")
    ax = ax if ax is not None else figure()[1][0]
    if hue:
        pivot = table.pivot_table(index="layer", columns=hue, values=value, sort=False)
        pivot.plot.bar(ax=ax, rot=0)
    else:
        ax.bar(table["layer"].astype(str), table[value])
    ax.set_ylabel(value)
    return ax
