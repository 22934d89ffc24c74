"""Causal detection by information imbalance gain (Del Tatto et al., PNAS 2024)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._imbalance import _as_2d, information_imbalance

__all__ = ["imbalance_gain"]


def imbalance_gain(
    X0,
    Y0,
    Y_tau,
    *,
    alphas=None,
    n_neighbors: int = 1,
    groups=None,
    ties: str = "average",
    random_state=None,
    n_jobs: int | None = None,
    x_periods=None,
    y_periods=None,
) -> pd.DataFrame:
    """Information imbalance gain of a putative cause X on an effect Y.

    For every scale alpha, ``Delta((alpha X0, Y0) -> Y_tau)``: how well the present state
    of Y, joined to the present of X scaled by alpha, predicts the future of Y (Del Tatto,
    Fortunato, Bueti & Laio, "Robust inference of causality in high-dimensional dynamical
    processes from the Information Imbalance of distance ranks", PNAS 121, 2024). If X
    drives Y, some alpha > 0 lowers the imbalance below its value at alpha = 0 (Y alone);
    the relative drop is the gain::

        gain = (Delta(alpha = 0) - min_alpha Delta(alpha)) / Delta(alpha = 0)

    Parameters
    ----------
    X0 : array-like of shape (n_samples,) or (n_samples, n_x)
        Putative cause at time 0.
    Y0 : array-like of shape (n_samples,) or (n_samples, n_y)
        Putative effect at time 0.
    Y_tau : array-like of shape (n_samples,) or (n_samples, n_y)
        Putative effect at time tau.
    alphas : array-like of float, default=None
        Non-negative scales of X0; None means ``0, 0.1, ..., 1``. Delta at alpha = 0 is
        always computed for the gain, whether or not 0 is listed.
    n_neighbors, groups, ties, random_state, n_jobs
        As in :func:`skii.information_imbalance` (exact, tie-correct imbalance).
    x_periods : array-like of shape (n_x,) or float, default=None
        Periods of the columns of X0 for periodic variables such as phases (None, NaN
        or 0: not periodic; one number: every column). A column scaled by alpha has
        period alpha times its own: minimum-image differences as in
        :func:`skii.information_imbalance`.
    y_periods : array-like of shape (n_y,) or float, default=None
        Periods of the columns of Y (the same for Y0 and Y_tau).

    Returns
    -------
    pandas.DataFrame
        Columns ``alpha`` and ``delta``, one row per alpha; ``.attrs["gain"]`` holds the
        gain and ``.attrs["delta_at_zero"]`` the imbalance at alpha = 0.

    Examples
    --------
    >>> import numpy as np
    >>> from skii import imbalance_gain
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(501, 1))
    >>> y = np.empty(501)
    >>> y[0] = 0.0
    >>> for t in range(500):  # x drives y
    ...     y[t + 1] = 0.3 * y[t] + x[t, 0] + 0.1 * rng.normal()
    >>> table = imbalance_gain(x[:-1], y[:-1], y[1:], n_neighbors=3)
    >>> list(table.columns)
    ['alpha', 'delta']
    >>> bool(table.attrs["gain"] > 0.5)
    True
    """
    X0 = _as_2d(X0, "X0")
    Y0 = _as_2d(Y0, "Y0")
    Y_tau = _as_2d(Y_tau, "Y_tau")
    n = X0.shape[0]
    if Y0.shape[0] != n or Y_tau.shape[0] != n:
        raise ValueError(
            f"X0, Y0 and Y_tau must have the same number of rows, got {n}, {Y0.shape[0]} "
            f"and {Y_tau.shape[0]}"
        )
    alphas = np.linspace(0.0, 1.0, 11) if alphas is None else np.asarray(alphas, dtype=float)
    if alphas.ndim != 1 or alphas.size == 0:
        raise ValueError(f"alphas must be a non-empty 1-D sequence, got shape {alphas.shape}")
    if not np.all(np.isfinite(alphas)) or np.any(alphas < 0):
        raise ValueError("alphas must be finite and non-negative")

    px = _column_periods(x_periods, X0.shape[1], "x_periods")
    py = _column_periods(y_periods, Y0.shape[1], "y_periods")
    if Y_tau.shape[1] != Y0.shape[1] and py is not None:
        raise ValueError("y_periods needs Y0 and Y_tau with the same columns")

    def delta(alpha: float) -> float:
        periods = None
        if px is not None or py is not None:
            # alpha * X0 has period alpha * P (0 at alpha = 0: a constant, not periodic).
            periods = np.concatenate([
                np.zeros(X0.shape[1]) if px is None else alpha * px,
                np.zeros(Y0.shape[1]) if py is None else py,
            ])
        return information_imbalance(
            np.column_stack([alpha * X0, Y0]),
            Y_tau,
            periods=periods,
            target_periods=py,
            n_neighbors=n_neighbors,
            groups=groups,
            ties=ties,
            random_state=random_state,
            n_jobs=n_jobs,
        )

    deltas = np.array([delta(a) for a in alphas])
    zero = alphas == 0
    d0 = float(deltas[zero][0]) if zero.any() else delta(0.0)
    table = pd.DataFrame({"alpha": alphas, "delta": deltas})
    best = min(d0, float(deltas.min()))
    table.attrs["delta_at_zero"] = d0
    table.attrs["gain"] = (d0 - best) / d0 if d0 > 0 else 0.0
    return table


def _column_periods(periods, n_columns: int, name: str):
    """One period per column (NaN for a non-periodic one), or None."""
    if periods is None:
        return None
    try:
        p = np.asarray(periods, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers (None or NaN: not periodic)") from None
    if p.ndim == 0:
        p = np.full(n_columns, float(p))
    if p.shape != (n_columns,):
        raise ValueError(f"{name} must give one period per column ({n_columns}), got shape "
                         f"{p.shape}")
    return np.where(np.isnan(p), 0.0, p)
