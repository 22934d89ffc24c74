"""Plots of information imbalance results (needs the ``plot`` extra: matplotlib)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._imbalance import path_columns

__all__ = ["plot_imbalance_plane", "plot_imbalance_path"]


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'skii[plot]'") from err
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    return ax


def plot_imbalance_plane(
    delta_x_to_y, delta_y_to_x, labels=None, *, ax=None, annotate=True, xerr=None, yerr=None,
    **scatter_kw
):
    """The information imbalance plane: Delta(x -> y) against Delta(y -> x).

    Points near (0, 0) are equivalent to the target, points near (0, 1) contain the target's
    information and more, points near (1, 1) are unrelated to it.

    Parameters
    ----------
    delta_x_to_y, delta_y_to_x : array-like of shape (n_points,)
        Imbalances of each candidate representation x towards the target y and back.
    labels : sequence of str, default=None
        Point labels (drawn next to the points when ``annotate``).
    ax : matplotlib Axes, default=None
    annotate : bool, default=True
    xerr, yerr : array-like of shape (n_points,), default=None
        Standard errors of the two imbalances (e.g. the ``_std`` columns of
        :func:`skii.imbalance_path`), drawn as error bars.
    **scatter_kw
        Passed to ``ax.scatter``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_imbalance_plane([0.2, 0.9], [0.8, 0.95], labels=["a", "b"])
    >>> ax.get_xlabel()
    'Δ(x → y)'
    """
    ax = _axes(ax)
    x = np.asarray(delta_x_to_y, dtype=float)
    y = np.asarray(delta_y_to_x, dtype=float)
    if x.shape != y.shape:
        raise ValueError("delta_x_to_y and delta_y_to_x must have the same shape")
    ax.plot([0, 1.05], [0, 1.05], color="0.7", lw=1, ls="--", zorder=0)
    if xerr is not None or yerr is not None:
        ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="none", ecolor="0.5", lw=0.8, zorder=1)
    ax.scatter(x, y, **{"s": 25, "zorder": 2, **scatter_kw})
    if annotate and labels is not None:
        for xi, yi, lab in zip(x, y, labels, strict=True):
            ax.annotate(str(lab), (xi, yi), xytext=(3, 3), textcoords="offset points", fontsize=7)
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("Δ(x → y)")
    ax.set_ylabel("Δ(y → x)")
    ax.set_aspect("equal")
    return ax


def plot_imbalance_path(path: pd.DataFrame, *, ax=None, label_features=True):
    """Both imbalances against the number of selected features, from a greedy path.

    The ``_std`` columns of the path (standard errors) are drawn as error bars.

    Parameters
    ----------
    path : pandas.DataFrame
        ``InformationImbalanceSelector.imbalance_path_`` or :func:`skii.imbalance_path`.
    ax : matplotlib Axes, default=None
    label_features : bool, default=True
        Write the name of the feature added at each step on the x axis ("+name"; for a
        backward search the feature removed, "-name", and "all" for the full set).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skii import imbalance_path
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> ax = plot_imbalance_path(imbalance_path(X, X[:, 1]))
    >>> len(ax.containers)  # two lines with error bars
    2
    """
    ax = _axes(ax)
    d = path["n_features"].to_numpy()
    # Unsupervised paths name the full feature set X as their target space.
    mode = "unsupervised" if "delta_subset_to_full" in path.columns else "supervised"
    to, fro = path_columns(mode)
    tgt = "X" if mode == "unsupervised" else "target"
    for col, fmt, label in ((to, "o-", f"Δ(X_S → {tgt})"), (fro, "s--", f"Δ({tgt} → X_S)")):
        # Paths from before the error columns existed have none: plain lines then.
        err = path[col + "_std"] if col + "_std" in path.columns else None
        ax.errorbar(d, path[col], yerr=err, fmt=fmt, capsize=2, label=label)
    ax.set_xlabel("number of selected features d")
    ax.set_ylabel("information imbalance")
    ax.set_ylim(bottom=0)
    if label_features:
        ax.set_xticks(d)
        ax.set_xticklabels(_step_labels(path), rotation=60, ha="right", fontsize=7)
    ax.legend()
    return ax


def _step_labels(path: pd.DataFrame) -> list[str]:
    """Tick labels: the feature added at each step, or removed in a backward table
    (sizes decreasing; the full set removes nothing)."""
    d = path["n_features"].to_numpy()
    backward = len(d) > 1 and d[0] > d[1]
    if not backward:
        return [f"+{n}" for n in path["feature_name"]]
    return ["all" if n is None or pd.isna(n) else f"\u2212{n}" for n in path["feature_name"]]
