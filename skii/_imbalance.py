"""Information imbalance: validated public functions on top of the numba kernels."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.utils import check_random_state

from . import (
    _kernels,
    _numba_setup,  # noqa: F401  (thread-safe threading layer before compiling)
    _pruned_path,
    _pruned_unsup_path,
)
from ._parallel import call_with_threads, n_workers, threads_per_worker

__all__ = ["information_imbalance", "information_imbalances", "imbalance_path", "path_columns"]

_TIES = ("average", "random")
_MAX_ABS = 1e150
# A periodic column may hold values anywhere (the minimum image wraps them), but beyond
# this many periods between two of its values u - P * rint(u / P) loses too many digits.
_MAX_PERIODS = 1e8
_MODES = ("supervised", "unsupervised")
# The pruned supervised kernel (tests switch it off to compare with the brute-force one).
_PRUNED = True


class ConstantFeatureWarning(UserWarning):
    """Constant features carry no neighbourhood information and are never candidates.

    Issued by :func:`imbalance_path` (and so by the selector) when a column is constant
    (within every group); such columns are appended at the end of the path.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skii import ConstantFeatureWarning, imbalance_path
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([rng.normal(size=50), np.ones(50)])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     path = imbalance_path(X, X[:, 0])
    >>> [issubclass(w.category, ConstantFeatureWarning) for w in caught]
    [True]
    >>> path["feature"].tolist()
    [0, 1]
    """


# ----------------------------------------------------------------------------- validation
def _non_numeric_column(frame) -> str:
    """Name of the first column of a DataFrame that does not convert to float."""
    for col in frame.columns:
        try:
            np.asarray(frame[col], dtype=np.float64)
        except (TypeError, ValueError) as err:
            return f"column {col!r} is not numeric ({err})"
    return "not numeric"


def _as_2d(a, name: str) -> np.ndarray:
    frame = a if hasattr(a, "columns") else None
    if hasattr(a, "to_numpy"):  # pandas Series / DataFrame
        a = a.to_numpy()
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        if frame is not None:  # name the culprit: a table may have many columns
            raise ValueError(f"{name} must be numeric: {_non_numeric_column(frame)}") from None
        raise ValueError(f"{name} must be numeric: {err}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got {arr.ndim} dimensions")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if arr.size and np.abs(arr).max() > _MAX_ABS:
        # Squared distances summed over features would overflow to inf.
        raise ValueError(f"{name} has values above {_MAX_ABS:.0e} in magnitude; rescale it")
    return arr


def _group_indices(groups, n_samples: int, n_neighbors: int) -> list[np.ndarray]:
    """Row indices of each group; every group needs more than n_neighbors rows."""
    if groups is None:
        parts = [np.arange(n_samples)]
    else:
        g = np.asarray(groups.to_numpy() if hasattr(groups, "to_numpy") else groups)
        if g.ndim != 1 or g.shape[0] != n_samples:
            raise ValueError(
                f"groups must be 1-D with one label per row ({n_samples}), got shape {g.shape}"
            )
        missing = pd.isna(g)
        if missing.any():
            raise ValueError(
                f"groups has {int(missing.sum())} missing (NaN/None) label(s), first at row "
                f"{int(np.flatnonzero(missing)[0])}; give every row a group"
            )
        labels, inverse = np.unique(g, return_inverse=True)
        labels = labels.tolist()  # plain Python values, for messages
        parts = [np.flatnonzero(inverse == u) for u in range(inverse.max() + 1)]
    for u, p in enumerate(parts):
        which = "the data" if groups is None else f"group {labels[u]!r}"
        if p.size < 2:
            raise ValueError(
                f"information imbalance needs at least 2 rows per group; {which} has {p.size}"
            )
        if n_neighbors >= p.size:
            raise ValueError(
                f"n_neighbors={n_neighbors} needs more than {n_neighbors} rows per group; "
                f"{which} has {p.size}"
            )
        if n_neighbors == p.size - 1:
            # Every other row is a neighbour: Delta = (k + 1) / N = 1 whatever the data.
            warnings.warn(
                f"{which} has only {p.size} rows for n_neighbors={n_neighbors}: every other "
                "row is a neighbour, so every information imbalance is 1.0 and carries no "
                "information; use more rows per group",
                UserWarning,
                stacklevel=3,
            )
    return parts


def _path_spaces(X, y, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Validated X and the target space of a greedy path: y when supervised, X itself
    when unsupervised."""
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    X = _as_2d(X, "X")
    if mode != "supervised":
        return X, X
    if y is None:
        raise ValueError("supervised selection needs a target y (or use mode='unsupervised')")
    target = _as_2d(y, "y")
    if target.shape[0] != X.shape[0]:
        raise ValueError(f"X and y have different numbers of rows: {X.shape[0]} and "
                         f"{target.shape[0]}")
    return X, target


def _check_common(n_neighbors, ties) -> int:
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, int | np.integer):
        raise ValueError(f"n_neighbors must be a positive integer, got {n_neighbors!r}")
    if n_neighbors < 1:
        raise ValueError(f"n_neighbors must be a positive integer, got {n_neighbors}")
    if ties not in _TIES:
        raise ValueError(f"ties must be one of {_TIES}, got {ties!r}")
    return int(n_neighbors)


def _transposed(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.T)


def _check_periods(periods, xts, name: str, space: str):
    """Validated periods of a space, one per column (None, NaN or 0: not periodic), from
    its transposed per-group arrays ``xts``: a float array with 0 for the non-periodic
    columns, or None when no column is periodic (the plain kernels then run)."""
    if periods is None:
        return None
    n_feat = xts[0].shape[0]
    try:
        p = np.asarray(periods, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be numbers (None or NaN for a non-periodic column), got {periods!r}"
        ) from None
    if p.ndim == 0:
        p = np.full(n_feat, float(p))  # one period for every column
    if p.ndim != 1 or p.shape[0] != n_feat:
        raise ValueError(
            f"{name} must give one period per column of {space} ({n_feat}), got shape {p.shape}"
        )
    p = np.where(np.isnan(p), 0.0, p)
    bad = np.flatnonzero((p < 0) | ~np.isfinite(p))
    if bad.size:
        raise ValueError(
            f"{name} must be positive and finite (None, NaN or 0: not periodic); column "
            f"{bad[0]} of {space} has {p[bad[0]]}"
        )
    if not (p > 0).any():
        return None
    span = np.max([xt.max(axis=1) - xt.min(axis=1) for xt in xts], axis=0)
    far = np.flatnonzero((p > 0) & (span > _MAX_PERIODS * p))
    if far.size:
        j = far[0]
        raise ValueError(
            f"column {j} of {space} spans {span[j] / p[j]:.3g} periods of {p[j]}; wrap it "
            "into one period first (e.g. np.mod): the minimum image would lose precision"
        )
    return np.ascontiguousarray(p)


def _kernel_periods(*spaces) -> tuple:
    """Trailing periods arguments of a kernel, from (transposed array, periods) pairs:
    none at all when no space is periodic (the plain kernel), else one array per space
    (zeros for a non-periodic one), so that numba compiles two versions, not one per
    combination."""
    if all(p is None for _, p in spaces):
        return ()
    return tuple(np.zeros(xt.shape[0]) if p is None else p for xt, p in spaces)


def _sub_periods(periods, cols):
    """The periods of some columns (None when none of them is periodic)."""
    if periods is None:
        return None
    p = np.ascontiguousarray(periods[np.asarray(cols, dtype=np.intp)])
    return p if (p > 0).any() else None


def _priorities(rng, n: int) -> np.ndarray:
    return rng.permutation(n).astype(np.int64)


# ----------------------------------------------------------------------------- threads
def _map(func, tasks: Sequence[tuple], n_jobs) -> list:
    """Run func(*task) for every task; through joblib when n_jobs asks for workers.

    Each joblib worker gets cores // workers numba threads, so the two levels of
    parallelism never oversubscribe the machine.
    """
    workers = n_workers(n_jobs, len(tasks))
    if workers <= 1:
        return [func(*t) for t in tasks]
    n_threads = threads_per_worker(workers)
    return Parallel(n_jobs=workers)(delayed(call_with_threads)(n_threads, func, *t) for t in tasks)


# ----------------------------------------------------------------------------- imbalance
def _delta_one_group(
    at, bt, k, tie_random, prio_a, prio_b, both=False, with_std=False, periods_a=None,
    periods_b=None,
):
    """Delta(A -> B) of one group, or (Delta(A -> B), Delta(B -> A)) with ``both``; with
    ``with_std`` each value becomes a pair (value, standard error over the rows).
    ``periods_a`` / ``periods_b``: validated periods (see :func:`_check_periods`)."""
    if (_PRUNED and at.shape[0] == 1 and bt.shape[0] == 1 and not with_std
            and periods_a is None and periods_b is None):
        # One feature against a 1-D target (e.g. each descriptor against a propensity).
        return _pruned_path.one_dimensional_deltas(at, bt, k, tie_random, prio_a, prio_b, both)
    n = at.shape[1]
    rows_ab = np.empty(n)
    rows_ba = np.empty(n if both else 1)
    _kernels.imbalance_rows(
        at, bt, k, tie_random, prio_a, prio_b, both, rows_ab, rows_ba,
        *_kernel_periods((at, periods_a), (bt, periods_b)),
    )
    scale = 2.0 / (n * n)
    if with_std:
        ab = (scale * float(rows_ab.sum()), _row_std(rows_ab))
        return (ab, (scale * float(rows_ba.sum()), _row_std(rows_ba))) if both else ab
    if both:
        return scale * float(rows_ab.sum()), scale * float(rows_ba.sum())
    return scale * float(rows_ab.sum())


def _row_std(rows: np.ndarray) -> float:
    """Standard error of Delta = mean_i c_i over the rows of a group, c_i = 2 rows_i / N
    the contribution of row i (``rows`` the kernels' per-row sums): std(c, ddof=1) / sqrt(N).
    """
    n = rows.shape[0]
    return 2.0 / n * float(np.std(rows, ddof=1)) / math.sqrt(n)


def _combine_groups(values, stds) -> tuple[float, float]:
    """Delta over groups (their mean) and its standard error: over the groups when there
    are several (std(ddof=1) / sqrt(G)), else the one group's error over its rows."""
    if len(values) == 1:
        return float(values[0]), float(stds[0])
    return float(np.mean(values)), float(np.std(values, ddof=1)) / math.sqrt(len(values))


def _group_tasks(A, B, n_neighbors, groups, ties, random_state):
    """Validated per-group kernel arguments ``(at, bt, k, tie_random, prio_a, prio_b)``."""
    k = _check_common(n_neighbors, ties)
    A = _as_2d(A, "A")
    B = _as_2d(B, "B")
    if A.shape[0] != B.shape[0]:
        raise ValueError(
            f"A and B must have the same number of rows, got {A.shape[0]} and {B.shape[0]}"
        )
    parts = _group_indices(groups, A.shape[0], k)
    tie_random = ties == "random"
    rng = check_random_state(random_state)
    tasks = []
    for p in parts:
        at, bt = _transposed(A[p]), _transposed(B[p])
        if tie_random:
            pa, pb = _priorities(rng, p.size), _priorities(rng, p.size)
        else:
            pa = pb = np.zeros(p.size, dtype=np.int64)
        tasks.append((at, bt, k, tie_random, pa, pb))
    return tasks


def information_imbalance(
    A,
    B,
    *,
    n_neighbors: int = 1,
    groups=None,
    ties: str = "average",
    random_state=None,
    n_jobs: int | None = None,
    return_std: bool = False,
    periods=None,
    target_periods=None,
) -> float | tuple[float, float]:
    """Information imbalance Delta(A -> B): how well A's neighbourhoods predict B's.

    ``Delta(A -> B) = 2 / (N^2 k) * sum_i sum_j w_ij rbar_B(i, j)``: for every point i, the
    ranks in space B of its k nearest neighbours in space A (Euclidean distances), scaled so
    that ~0 means A predicts B's neighbourhoods and ~1 means A says nothing about B
    (Glielmo et al., PNAS Nexus 1, pgac039, 2022). The minimum, for distinct rows and no
    tied distances in A, is ``Delta(A -> A) = (k + 1) / N``.

    Parameters
    ----------
    A, B : array-like of shape (n_samples,) or (n_samples, n_features)
        The two representations; a 1-D array is one feature, a 2-D array one space of
        several features (e.g. a multi-output target). Never rescaled: Delta depends on
        the relative scale of the columns of a multi-feature space.
    n_neighbors : int, default=1
        Number of nearest neighbours k in A.
    groups : array-like of shape (n_samples,), default=None
        Group labels. The imbalance is computed within each group (ranks among that group's
        rows only), then averaged over groups, every group counting equally.
    ties : {"average", "random"}, default="average"
        ``"average"``: the exact expectation under uniform random tie-breaking (tied nearest
        neighbours share the weight, a tied rank counts as the mean of the positions it
        could take), so the result never depends on the order of rows. ``"random"``: ties
        broken by a random priority order of the rows drawn from ``random_state``
        (independently for A and B).
    random_state : int, RandomState instance or None, default=None
        Used only with ``ties="random"``.
    n_jobs : int, default=None
        joblib workers over groups; each worker uses cores // workers numba threads.
        ``joblib.parallel_config(backend="dask")`` sends the groups to a Dask cluster.
    return_std : bool, default=False
        Also return the standard error of the value. Delta is the mean over rows i of
        the row contributions ``c_i = 2 / (N k) * sum_j w_ij rbar_B(i, j)``; without groups
        (or with a single group) the error is ``std(c, ddof=1) / sqrt(N)``. With several
        groups Delta is the mean of the G per-group values and the error is their
        ``std(ddof=1) / sqrt(G)`` (groups, not rows, are the independent samples).
        Rows share neighbours, so their contributions are not independent and the row
        error is optimistic (on Gaussian data with N = 200 it was about 1.5x below the
        spread of Delta over independent data sets): prefer groups when you have them.
    periods : array-like of shape (n_features_A,) or float, default=None
        One period per column of A for periodic features (angles, dihedrals, phases);
        None, NaN or 0 marks a non-periodic column, and a single number applies to every
        column. Differences along a periodic column are minimum-image,
        ``u = a_m - a_i; u -= P * round(u / P)``, before they are squared and summed
        over the columns (in column order); values may lie anywhere, not only in one
        period.
    target_periods : array-like of shape (n_features_B,) or float, default=None
        The same for the columns of B.

    Returns
    -------
    float, or (float, float) with ``return_std``
        Delta(A -> B), or ``(Delta(A -> B), standard error)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skii import information_imbalance
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 2))
    >>> y = x[:, 0] + 0.01 * rng.normal(size=500)
    >>> information_imbalance(x[:, 0], y) < 0.05 < 0.5 < information_imbalance(x[:, 1], y)
    True
    >>> value, err = information_imbalance(x[:, 1], y, return_std=True)
    >>> bool(0 < err < 0.05)
    True

    The same angles in two conventions, [0, 2 pi) and [-pi, pi), are equivalent (Delta at
    its minimum 2 / N) only once their columns are periodic:

    >>> a = rng.uniform(-np.pi, np.pi, size=(200, 2))
    >>> b = np.mod(a, 2 * np.pi)
    >>> round(information_imbalance(b, a), 2)
    0.09
    >>> information_imbalance(b, a, periods=2 * np.pi, target_periods=2 * np.pi)
    0.01
    """
    tasks = _group_tasks(A, B, n_neighbors, groups, ties, random_state)
    pa, pb = _task_periods(tasks, periods, target_periods)
    tasks = [t + (False, return_std, pa, pb) for t in tasks]
    if return_std:
        res = _map(_delta_one_group, tasks, n_jobs)
        return _combine_groups([r[0] for r in res], [r[1] for r in res])
    return float(np.mean(_map(_delta_one_group, tasks, n_jobs)))


def _task_periods(tasks, periods, target_periods):
    """Validated periods of A and B for the per-group tasks of :func:`_group_tasks`."""
    return (
        _check_periods(periods, [t[0] for t in tasks], "periods", "A"),
        _check_periods(target_periods, [t[1] for t in tasks], "target_periods", "B"),
    )


def information_imbalances(
    A,
    B,
    *,
    n_neighbors: int = 1,
    groups=None,
    ties: str = "average",
    random_state=None,
    n_jobs: int | None = None,
    return_std: bool = False,
    periods=None,
    target_periods=None,
) -> tuple[float, float] | tuple[tuple[float, float], tuple[float, float]]:
    """Both directions at once: ``(Delta(A -> B), Delta(B -> A))``.

    Parameters are those of :func:`information_imbalance`. A point of the information
    imbalance plane: (small, large) means A is more informative than B; (small, small) that
    they are equivalent; (~1, ~1) that they are independent.

    Returns
    -------
    (float, float), or ((float, float), (float, float)) with ``return_std``
        ``(Delta(A -> B), Delta(B -> A))``; with ``return_std`` each direction is a pair
        ``(value, standard error)`` as :func:`information_imbalance` returns it:
        ``((Delta(A -> B), err), (Delta(B -> A), err))``.

    Examples
    --------
    >>> import numpy as np
    >>> from skii import information_imbalances
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 3))
    >>> to_y, from_y = information_imbalances(x, x[:, 0])
    >>> bool(to_y < from_y)  # all of x predicts x0 better than x0 predicts all of x
    True
    >>> (to_y, to_y_err), (from_y, from_y_err) = information_imbalances(
    ...     x, x[:, 0], return_std=True)
    >>> bool(to_y + 3 * to_y_err < from_y - 3 * from_y_err)
    True
    """
    # Both directions share the two distance rows of every point: one kernel pass.
    tasks = _group_tasks(A, B, n_neighbors, groups, ties, random_state)
    pa, pb = _task_periods(tasks, periods, target_periods)
    tasks = [t + (True, return_std, pa, pb) for t in tasks]
    if return_std:
        res = _map(_delta_one_group, tasks, n_jobs)
        return tuple(
            _combine_groups([r[d][0] for r in res], [r[d][1] for r in res]) for d in (0, 1)
        )
    res = _map(_delta_one_group, tasks, n_jobs)
    return float(np.mean([r[0] for r in res])), float(np.mean([r[1] for r in res]))


# ----------------------------------------------------------------------------- greedy path
def _candidate_deltas(
    st, ct, tt, k, tie_random, prio_s, prio_t, backward, periods_s=None, periods_c=None,
    periods_t=None,
):
    n = ct.shape[1]
    fwd = np.empty((n, ct.shape[0]))
    bwd = np.empty((n, ct.shape[0])) if backward else np.empty((1, 1))
    _kernels.greedy_candidate_rows(
        st, ct, tt, k, tie_random, prio_s, prio_t, backward, fwd, bwd,
        *_kernel_periods((st, periods_s), (ct, periods_c), (tt, periods_t)),
    )
    scale = 2.0 / (n * n)
    d_fwd = scale * fwd.sum(axis=0)
    d_bwd = scale * bwd.sum(axis=0) if backward else np.full(ct.shape[0], np.nan)
    return d_fwd, d_bwd


def _constant_columns(X: np.ndarray, parts: list[np.ndarray]) -> np.ndarray:
    """Columns constant within every group (they add nothing to any distance)."""
    const = np.ones(X.shape[1], dtype=bool)
    for p in parts:
        sub = X[p]
        const &= np.all(sub == sub[0], axis=0)
    return const


def _path_arguments(X, y, mode, n_features_to_select, default, tol, feature_names, groups, k,
                    periods, target_periods):
    """Validated arguments shared by the greedy path and the searches: ``(X, target,
    n_features_to_select, feature_names, parts, periods, target_periods)``; ``default``
    is the path length when ``n_features_to_select`` is None (None: every feature)."""
    X, target = _path_spaces(X, y, mode)
    n, p = X.shape
    if n_features_to_select is None:
        n_features_to_select = p if default is None else default
    if not 1 <= int(n_features_to_select) <= p:
        raise ValueError(
            f"n_features_to_select={n_features_to_select} must be between 1 and the number "
            f"of features ({p})"
        )
    if tol is not None and not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if feature_names is None:
        feature_names = [f"x{j}" for j in range(p)]
    feature_names = [str(f) for f in feature_names]
    if len(feature_names) != p:
        raise ValueError(f"feature_names has {len(feature_names)} names for {p} features")
    parts = _group_indices(groups, n, k)
    periods = _check_periods(periods, [X.T], "periods", "X")
    if mode == "unsupervised":
        target_periods = periods  # the target space is X itself
    else:
        target_periods = _check_periods(target_periods, [target.T], "target_periods", "y")
    return X, target, int(n_features_to_select), feature_names, parts, periods, target_periods


def imbalance_path(
    X,
    y=None,
    *,
    mode: str = "supervised",
    n_features_to_select: int | None = None,
    tol: float | None = None,
    beam_width: int = 1,
    direction: str = "forward",
    n_neighbors: int = 1,
    groups=None,
    ties: str = "average",
    random_state=None,
    feature_names=None,
    n_jobs: int | None = None,
    verbose: int = 0,
    periods=None,
    target_periods=None,
) -> pd.DataFrame:
    """Greedy forward selection by information imbalance; the whole path as a table.

    Supervised: step 1 takes the feature with the smallest Delta(x_j -> y); each later step
    adds the remaining feature that minimises Delta(X_S + j -> y). Unsupervised: the same,
    minimising the symmetrised imbalance against the full feature set,
    ``(Delta(X_S -> X) + Delta(X -> X_S)) / sqrt(2)``. Both imbalances are recorded at every
    step, computed exactly (distances summed in feature-index order). Candidates that tie
    on the objective are resolved by the lowest column index. Constant features are never
    candidates: they are appended after all others, with a warning.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
        Target; required in supervised mode, ignored in unsupervised mode. A 2-D y is one
        multi-output target space: its distances are Euclidean over all its columns
        (scale them comparably), not one selection per column.
    mode : {"supervised", "unsupervised"}, default="supervised"
    n_features_to_select : int, default=None
        Length of the path; None means every feature.
    tol : float, default=None
        Stop early once adding a feature lowers the objective by less than ``tol``
        (backward: once removing one raises it by ``tol`` or more).
    beam_width : int, default=1
        Subsets of each size kept by the search: 1 is the greedy path; ``b > 1`` extends
        each of the best ``b`` subsets of size d by every remaining feature and keeps the
        best ``b`` subsets of size d + 1 (a beam search, DADApy's ``n_best``), which can
        find subsets that only work together. Its best subsets of successive sizes need
        not be nested.
    direction : {"forward", "backward"}, default="forward"
        ``"backward"`` starts from all features and removes, one at a time, the feature
        whose removal raises the objective least (as
        :class:`~sklearn.feature_selection.SequentialFeatureSelector`), down to
        ``n_features_to_select`` (default: one feature).
    n_neighbors, groups, ties, random_state, n_jobs
        As in :func:`information_imbalance`; ``n_jobs`` spreads the groups, and the
        candidate features when there are fewer groups than workers, over joblib workers.
    feature_names : sequence of str, default=None
        Names for the ``feature_name`` column (default ``x0, x1, ...``).
    verbose : int, default=0
        Show a tqdm progress bar over steps when > 0.
    periods : array-like of shape (n_features,) or float, default=None
        One period per column of X for periodic features (None, NaN or 0: not periodic);
        minimum-image differences, as in :func:`information_imbalance`. In unsupervised
        mode they are also the periods of the target space (X itself).
    target_periods : array-like of shape (n_targets,) or float, default=None
        Periods of the columns of y (supervised mode only).

    Returns
    -------
    pandas.DataFrame
        One row per step with columns ``n_features`` (1, 2, ...), ``feature`` (column
        index), ``feature_name``, the two imbalances and ``objective`` (the quantity
        minimised). Supervised: ``delta_subset_to_target`` (Delta(X_S -> y)),
        ``delta_target_to_subset`` (Delta(y -> X_S)), objective =
        ``delta_subset_to_target``. Unsupervised: ``delta_subset_to_full``
        (Delta(X_S -> X)), ``delta_full_to_subset`` (Delta(X -> X_S)), objective = their
        symmetrised sum. :func:`path_columns` gives the two names for a mode. Then one
        standard error per imbalance, named after its column with ``_std`` appended
        (``delta_subset_to_target_std``, ...), as :func:`information_imbalance` with
        ``return_std=True`` computes it: over the rows, or over the groups when there are
        several.

        With ``beam_width > 1`` or ``direction="backward"``: one row per size with the best
        subset of that size, in the order the search visits the sizes (backward: all
        features first), and a ``subset`` column, the tuple of its column indices (forward:
        in the order they entered along that subset's own lineage, ``feature`` being the
        last of them; backward: increasing, ``feature`` being the one removed from its
        parent, missing for the full set; in a beam the parent need not be the previous
        row's subset). Every candidate subset is evaluated exactly, its
        distances summed in feature-index order; subsets tied on the objective are resolved
        by the lexicographically smallest tuple of column indices.

    Examples
    --------
    >>> import numpy as np
    >>> from skii import imbalance_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4))
    >>> y = X[:, 2] + 0.5 * X[:, 0]
    >>> path = imbalance_path(X, y, n_features_to_select=2)
    >>> path["feature"].tolist()
    [2, 0]
    """
    from ._search import check_search, search_path  # _search imports this module

    if check_search(beam_width, direction):
        return search_path(
            X, y, mode=mode, n_features_to_select=n_features_to_select, tol=tol,
            beam_width=beam_width, direction=direction, n_neighbors=n_neighbors,
            groups=groups, ties=ties, random_state=random_state, feature_names=feature_names,
            n_jobs=n_jobs, verbose=verbose, periods=periods, target_periods=target_periods,
        )  # fmt: skip
    k = _check_common(n_neighbors, ties)
    X, target, n_features_to_select, feature_names, parts, periods, target_periods = (
        _path_arguments(X, y, mode, n_features_to_select, None, tol, feature_names, groups,
                        k, periods, target_periods)
    )
    n, p = X.shape
    const = _constant_columns(X, parts)
    if const.any():
        names = ", ".join(np.asarray(feature_names)[const])
        warnings.warn(
            f"{int(const.sum())} constant feature(s) ({names}) carry no information; they "
            "are never candidates and are appended at the end of the path.",
            ConstantFeatureWarning,
            stacklevel=2,
        )
    tie_random = ties == "random"
    rng = check_random_state(random_state)
    backward = mode == "unsupervised"
    per_group = []
    for part in parts:
        ps = _priorities(rng, part.size) if tie_random else np.zeros(part.size, np.int64)
        pt = _priorities(rng, part.size) if tie_random else np.zeros(part.size, np.int64)
        per_group.append((X[part], _transposed(target[part]), ps, pt))

    # Supervised with a 1-D target: the exact pruned kernel (skii/_pruned_kernels.py), which
    # also yields each step's recorded imbalances in the next step's pass; unsupervised: its
    # counterpart (skii/_pruned_unsup_kernels.py; `ysorted` then holds each group's full-X
    # neighbours and ranks). Multi-output targets and periodic features or targets (the
    # pruned kernels walk sorted columns, which has no meaning on a circle): the
    # brute-force kernel (skii/_kernels.py).
    periodic = periods is not None or target_periods is not None
    pruned = _PRUNED and (backward or target.shape[1] == 1) and not periodic
    ysorted = [_pruned_path.prepare_group(tt[0]) for _, tt, _, _ in per_group] if pruned and \
        not backward else []
    # Each group's columns transposed and sorted once for the whole path.
    columns = [_pruned_path.prepare_columns(xg) for xg, *_ in per_group] if ysorted else []
    if pruned and backward:
        ysorted = _pruned_unsup_path.prepare_groups(
            [tt for _, tt, _, _ in per_group], k, tie_random, [pt for *_, pt in per_group]
        )

    selected: list[int] = []
    rows = []
    stds = []  # (std of the to-target column, std of the from-target column) per row
    candidates = [j for j in range(p) if not const[j]]
    progress = _progress(n_features_to_select, verbose, mode)
    previous = np.inf
    while len(selected) < n_features_to_select:
        if candidates and pruned:
            fwd, record, std = _pruned_candidates(
                per_group, ysorted, selected, candidates, k, tie_random, n_jobs, columns
            )
            if rows:
                rows[-1] = rows[-1][:3] + record
                stds[-1] = std
            best = int(np.argmin(fwd))  # first minimum: lowest column index wins ties
            if tol is not None and previous - fwd[best] < tol:
                break
            previous = fwd[best]
            chosen = candidates.pop(best)
        elif candidates:
            # Independent tasks: every (group, chunk of candidates) pair. Candidates are
            # split only when there are fewer groups than workers.
            n_chunks = max(1, min(len(candidates), n_workers(n_jobs) // len(per_group)))
            chunks = np.array_split(np.asarray(candidates), n_chunks)
            tasks = []
            for xg, tt, ps, pt in per_group:
                st = _transposed(xg[:, sorted(selected)])
                for chunk in chunks:
                    ct = _transposed(xg[:, chunk])
                    tasks.append((st, ct, tt, k, tie_random, ps, pt, backward,
                                  _sub_periods(periods, sorted(selected)),
                                  _sub_periods(periods, chunk), target_periods))
            res = _map(_candidate_deltas, tasks, n_jobs)
            fwd_g = [
                np.concatenate([r[0] for r in res[g : g + n_chunks]])
                for g in range(0, len(res), n_chunks)
            ]
            bwd_g = [
                np.concatenate([r[1] for r in res[g : g + n_chunks]])
                for g in range(0, len(res), n_chunks)
            ]
            fwd = np.mean(fwd_g, axis=0)
            obj = (fwd + np.mean(bwd_g, axis=0)) / math.sqrt(2) if backward else fwd
            best = int(np.argmin(obj))  # first minimum: lowest column index wins ties
            if tol is not None and previous - obj[best] < tol:
                break
            previous = obj[best]
            chosen = candidates.pop(best)
        else:
            chosen = int(np.flatnonzero(const & ~np.isin(np.arange(p), selected))[0])
        if pruned and rows and not candidates:
            last = _pruned_candidates(per_group, ysorted, selected, [], k, tie_random, n_jobs,
                                      columns)
            rows[-1] = rows[-1][:3] + last[1]
            stds[-1] = last[2]
        selected.append(chosen)
        if pruned:
            d_st = d_ts = math.nan  # filled in by the next pass
            stds.append((math.nan, math.nan))
        else:
            d_st, d_ts, *std = _subset_deltas(
                per_group, sorted(selected), k, tie_random, n_jobs, with_std=True,
                periods=periods, target_periods=target_periods,
            )
            stds.append(tuple(std))
        rows.append(
            (len(selected), chosen, feature_names[chosen], d_st, d_ts,
             (d_st + d_ts) / math.sqrt(2) if backward else d_st)
        )
        progress.update()
    if pruned and rows and math.isnan(rows[-1][3]):
        last = _pruned_candidates(per_group, ysorted, selected, [], k, tie_random, n_jobs,
                                      columns)
        rows[-1] = rows[-1][:3] + last[1]
        stds[-1] = last[2]
    progress.close()
    # The target space is y when supervised, the full X when unsupervised: say which.
    to, fro = path_columns(mode)
    path = pd.DataFrame(rows, columns=["n_features", "feature", "feature_name", to, fro,
                                       "objective"])
    return _with_std_columns(path, stds, mode)


def _with_std_columns(path: pd.DataFrame, stds, mode: str) -> pd.DataFrame:
    """Append the standard error of each imbalance column, named ``<column>_std``."""
    to, fro = path_columns(mode)
    path[to + "_std"] = np.array([s[0] for s in stds], dtype=np.float64)
    path[fro + "_std"] = np.array([s[1] for s in stds], dtype=np.float64)
    return path


def path_columns(mode: str = "supervised") -> tuple[str, str]:
    """Names of the two imbalance columns of :func:`imbalance_path` for ``mode``.

    ``("delta_subset_to_target", "delta_target_to_subset")`` when supervised,
    ``("delta_subset_to_full", "delta_full_to_subset")`` when unsupervised (the target
    space is then the full feature set).

    Examples
    --------
    >>> from skii import path_columns
    >>> path_columns("unsupervised")
    ('delta_subset_to_full', 'delta_full_to_subset')
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if mode == "supervised":
        return "delta_subset_to_target", "delta_target_to_subset"
    return "delta_subset_to_full", "delta_full_to_subset"


def _pruned_candidates(per_group, ysorted, selected, candidates, k, tie_random, n_jobs,
                       columns):  # fmt: skip
    """Pruned supervised step: Delta(X_S+j -> y) of every candidate (mean over groups) and
    the recorded row of S itself (needs S non-empty); ``columns``: each group's
    :class:`skii._pruned_path.Columns` (unused when unsupervised)."""
    if ysorted and isinstance(ysorted[0], _pruned_unsup_path.FullSpace):
        return _pruned_unsup_candidates(per_group, ysorted, selected, candidates, k, tie_random,
                                        n_jobs)
    tasks = [
        (xg, ys, selected, candidates, k, tie_random, ps, pt, bool(selected), True, cols)
        for (xg, _, ps, pt), ys, cols in zip(per_group, ysorted, columns, strict=True)
    ]
    res = _map(_pruned_path.group_step, tasks, n_jobs)
    fwd = np.mean([r[0] for r in res], axis=0)
    d_st = float(np.mean([r[1] for r in res]))
    d_ts = float(np.mean([r[2] for r in res]))
    if selected:
        s_st = _combine_groups([r[1] for r in res], [_row_std(r[4]) for r in res])[1]
        s_ts = _combine_groups([r[2] for r in res], [_row_std(r[5]) for r in res])[1]
    else:
        s_st = s_ts = math.nan
    # The path row's two imbalances and objective, and the two standard errors.
    return fwd, (d_st, d_ts, d_st), (s_st, s_ts)


def _pruned_unsup_candidates(per_group, full, selected, candidates, k, tie_random, n_jobs):
    """Pruned unsupervised step: the objective of every candidate (mean over groups, as the
    brute-force branch of :func:`imbalance_path`), the recorded row of S itself and its
    two standard errors (as :func:`_subset_deltas`)."""
    tasks = [
        (xg, fs, selected, candidates, k, tie_random, ps, pt, bool(selected), True)
        for (xg, _, ps, pt), fs in zip(per_group, full, strict=True)
    ]
    res = _map(_pruned_unsup_path.group_step, tasks, n_jobs)
    obj = (np.mean([r[0] for r in res], axis=0) + np.mean([r[1] for r in res], axis=0)) / \
        math.sqrt(2)
    d_sf = float(np.mean([r[2] for r in res]))
    d_fs = float(np.mean([r[3] for r in res]))
    if selected:
        s_sf = _combine_groups([r[2] for r in res], [_row_std(r[5]) for r in res])[1]
        s_fs = _combine_groups([r[3] for r in res], [_row_std(r[6]) for r in res])[1]
    else:
        s_sf = s_fs = math.nan
    return obj, (d_sf, d_fs, (d_sf + d_fs) / math.sqrt(2)), (s_sf, s_fs)


def _subset_deltas(
    per_group, cols, k, tie_random, n_jobs, with_std=False, periods=None, target_periods=None
):
    """Exact (feature-index order) Delta(X_S -> target) and Delta(target -> X_S); with
    ``with_std`` also their standard errors (four floats)."""
    p_s = _sub_periods(periods, cols)
    tasks = [
        (_transposed(xg[:, cols]), tt, k, tie_random, ps, pt, True, with_std, p_s,
         target_periods)
        for xg, tt, ps, pt in per_group
    ]
    res = _map(_delta_one_group, tasks, n_jobs)
    if with_std:
        (d_st, s_st), (d_ts, s_ts) = (
            _combine_groups([r[d][0] for r in res], [r[d][1] for r in res]) for d in (0, 1)
        )
        return d_st, d_ts, s_st, s_ts
    return float(np.mean([r[0] for r in res])), float(np.mean([r[1] for r in res]))


class _NoProgress:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _progress(total: int, verbose: int, mode: str):
    if not verbose:
        return _NoProgress()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # progress bars are an optional extra
        return _NoProgress()
    return tqdm(total=total, desc=f"{mode} selection", unit="feature")
