"""Beam and backward searches by information imbalance: one best subset per size.

:func:`skii.imbalance_path` routes here when ``beam_width > 1`` or ``direction="backward"``
(the greedy forward path stays in :mod:`skii._imbalance`). Unlike the greedy path, the
best subsets of successive sizes need not be nested, so every row of the table carries its
own ``subset``.

Every candidate subset is evaluated from scratch by the exact kernel
(:func:`skii._kernels.imbalance_rows`) on its columns in increasing index order: its
squared distances are summed in feature-index order, so equal objectives are exact ties
(never an artefact of the order in which the search built the subset), and a backward step
never subtracts a column from a distance sum.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._imbalance import (
    ConstantFeatureWarning,
    _check_common,
    _constant_columns,
    _delta_one_group,
    _map,
    _path_arguments,
    _priorities,
    _progress,
    _sub_periods,
    _subset_deltas,
    _transposed,
    _with_std_columns,
    path_columns,
)

_DIRECTIONS = ("forward", "backward")


def check_search(beam_width, direction) -> bool:
    """Validate the search parameters; True unless they ask for the greedy forward path."""
    if isinstance(beam_width, bool) or not isinstance(beam_width, Integral) or beam_width < 1:
        raise ValueError(f"beam_width must be a positive integer, got {beam_width!r}")
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {_DIRECTIONS}, got {direction!r}")
    return beam_width != 1 or direction != "forward"


def _subset_group(xg, cols, tt, k, tie_random, ps, pt, both, periods, target_periods):
    """Delta(X_S -> T) (and Delta(T -> X_S) with ``both``) of one group; the subset's
    columns are copied here, inside the task, so that only one subset is held at a time."""
    return _delta_one_group(
        _transposed(xg[:, list(cols)]), tt, k, tie_random, ps, pt, both, False,
        _sub_periods(periods, list(cols)), target_periods,
    )  # fmt: skip


class _Evaluator:
    """Exact imbalances of column subsets (mean over groups), each computed once."""

    def __init__(self, per_group, k, tie_random, unsupervised, n_jobs, periods, target_periods):
        self.per_group = per_group
        self.periods = periods
        self.target_periods = target_periods
        self.k = k
        self.tie_random = tie_random
        self.unsupervised = unsupervised
        self.n_jobs = n_jobs
        self.objective: dict[tuple, float] = {}

    def _run(self, subsets, both):
        tasks = [
            (xg, s, tt, self.k, self.tie_random, ps, pt, both, self.periods,
             self.target_periods)
            for s in subsets
            for xg, tt, ps, pt in self.per_group
        ]
        res = _map(_subset_group, tasks, self.n_jobs)
        g = len(self.per_group)
        for i, s in enumerate(subsets):
            part = res[i * g : (i + 1) * g]
            if both:
                d_st = float(np.mean([r[0] for r in part]))
                d_ts = float(np.mean([r[1] for r in part]))
                self.objective[s] = (d_st + d_ts) / math.sqrt(2) if self.unsupervised else d_st
            else:
                self.objective[s] = float(np.mean(part))

    def objectives(self, subsets) -> np.ndarray:
        """Objective of every subset (sorted column tuples): the supervised search needs
        only Delta(X_S -> y), the unsupervised one both directions."""
        todo = [s for s in subsets if s not in self.objective]
        if todo:
            self._run(todo, both=self.unsupervised)
        return np.array([self.objective[s] for s in subsets])

    def record(self, subset) -> tuple[float, float, float, float, float]:
        """The path row for one subset: its two imbalances, objective and the two
        standard errors (as the greedy path records them)."""
        d_st, d_ts, s_st, s_ts = _subset_deltas(
            self.per_group, list(subset), self.k, self.tie_random, self.n_jobs,
            with_std=True, periods=self.periods, target_periods=self.target_periods,
        )  # fmt: skip
        obj = (d_st + d_ts) / math.sqrt(2) if self.unsupervised else d_st
        self.objective.setdefault(subset, obj)
        return d_st, d_ts, obj, s_st, s_ts


def _ranked(subsets, objectives, width):
    """The best ``width`` subsets: smallest objective, ties to the lexicographically
    smallest tuple of column indices (a forward step adds the lowest index, a backward
    step removes the highest)."""
    order = sorted(range(len(subsets)), key=lambda i: (objectives[i], subsets[i]))
    return order[:width]


def search_path(
    X,
    y=None,
    *,
    mode="supervised",
    n_features_to_select=None,
    tol=None,
    beam_width=1,
    direction="forward",
    n_neighbors=1,
    groups=None,
    ties="average",
    random_state=None,
    feature_names=None,
    n_jobs=None,
    verbose=0,
    periods=None,
    target_periods=None,
) -> pd.DataFrame:
    """Beam (and/or backward) search; see :func:`skii.imbalance_path` for the parameters."""
    check_search(beam_width, direction)
    k = _check_common(n_neighbors, ties)
    backward = direction == "backward"
    X, target, n_features_to_select, feature_names, parts, periods, target_periods = (
        _path_arguments(X, y, mode, n_features_to_select, 1 if backward else None, tol,
                        feature_names, groups, k, periods, target_periods)
    )
    n, p = X.shape
    const = _constant_columns(X, parts)
    if const.any():
        names = ", ".join(np.asarray(feature_names)[const])
        where = "removed first" if backward else "appended at the end of the path"
        warnings.warn(
            f"{int(const.sum())} constant feature(s) ({names}) carry no information; they "
            f"are never candidates and are {where}.",
            ConstantFeatureWarning,
            stacklevel=3,
        )
    # The same priorities, drawn in the same order, as the greedy path.
    tie_random = ties == "random"
    rng = check_random_state(random_state)
    per_group = []
    for part in parts:
        ps = _priorities(rng, part.size) if tie_random else np.zeros(part.size, np.int64)
        pt = _priorities(rng, part.size) if tie_random else np.zeros(part.size, np.int64)
        per_group.append((X[part], _transposed(target[part]), ps, pt))
    evaluator = _Evaluator(
        per_group, k, tie_random, mode == "unsupervised", n_jobs, periods, target_periods
    )
    run = _backward if backward else _forward
    steps = p - n_features_to_select + 1 if backward else n_features_to_select
    progress = _progress(steps, verbose, mode)
    rows = run(evaluator, const, n_features_to_select, tol, int(beam_width), progress)
    progress.close()

    to, fro = path_columns(mode)
    table = pd.DataFrame(
        {
            "n_features": np.array([len(r[0]) for r in rows], dtype=np.int64),
            "feature": pd.array([r[1] for r in rows], dtype="Int64" if backward else "int64"),
            "feature_name": [None if r[1] is None else feature_names[r[1]] for r in rows],
            to: [r[2][0] for r in rows],
            fro: [r[2][1] for r in rows],
            "objective": [r[2][2] for r in rows],
        }
    )
    table = _with_std_columns(table, [r[2][3:] for r in rows], mode)
    table["subset"] = [r[0] for r in rows]
    return table


def _forward(evaluator, const, n_select, tol, width, progress):
    """Rows ``(subset, added feature, record)`` for sizes 1, 2, ...; ``subset`` in the
    order its features entered along its own lineage."""
    candidates = [j for j in range(const.size) if not const[j]]
    constants = [j for j in range(const.size) if const[j]]
    beam = [((), ())]  # (sorted columns, lineage)
    rows = []
    previous = np.inf
    for size in range(1, n_select + 1):
        if size <= len(candidates):
            # Children in parent rank order, so a subset reached from two parents keeps the
            # lineage of the better one.
            children: dict[tuple, tuple] = {}
            for cols, lineage in beam:
                for j in candidates:
                    if j not in cols:
                        children.setdefault(tuple(sorted(cols + (j,))), lineage + (j,))
            keys = list(children)
            obj = evaluator.objectives(keys)
            best = _ranked(keys, obj, width)
            if tol is not None and previous - obj[best[0]] < tol:
                break
            previous = obj[best[0]]
            beam = [(keys[i], children[keys[i]]) for i in best]
        else:
            # Constant features add nothing to any distance: append them to the best subset.
            cols, lineage = beam[0]
            j = constants[size - len(candidates) - 1]
            beam = [(tuple(sorted(cols + (j,))), lineage + (j,))]
        cols, lineage = beam[0]
        rows.append((lineage, lineage[-1], evaluator.record(cols)))
        progress.update()
    return rows


def _backward(evaluator, const, n_select, tol, width, progress):
    """Rows ``(subset, removed feature, record)`` for sizes p, p - 1, ...; ``subset`` in
    increasing column order; the full set removes nothing (feature None)."""
    cols = tuple(range(const.size))
    rows = [(cols, None, evaluator.record(cols))]
    progress.update()
    # Constant features are removed first (highest index first: the forward path appends
    # them in increasing order); removing one changes no distance.
    for j in [j for j in range(const.size) if const[j]][::-1]:
        if len(cols) <= n_select:
            break
        cols = tuple(c for c in cols if c != j)
        rows.append((cols, j, evaluator.record(cols)))
        progress.update()
    beam = [cols]
    while len(beam[0]) > n_select:
        children: dict[tuple, int] = {}
        for parent in beam:
            for j in parent:
                if not const[j]:
                    children.setdefault(tuple(c for c in parent if c != j), j)
        keys = list(children)
        obj = evaluator.objectives(keys)
        best = _ranked(keys, obj, width)
        # Stop once the cheapest removal raises the objective by tol or more.
        if tol is not None and obj[best[0]] - rows[-1][2][2] >= tol:
            break
        beam = [keys[i] for i in best]
        rows.append((beam[0], children[beam[0]], evaluator.record(beam[0])))
        progress.update()
    return rows


def truncate_backward(path: pd.DataFrame, n_features: int | None, tol: float | None):
    """Rows of a cached backward table (sizes p, p - 1, ...) down to ``n_features`` or,
    with ``tol``, as far as the search would have gone: while the best removal raises the
    objective by less than ``tol``."""
    if tol is None:
        return path[path["n_features"] >= n_features]
    obj = path["objective"].to_numpy()
    keep = 1
    while keep < len(obj) and obj[keep] - obj[keep - 1] < tol:
        keep += 1
    return path.iloc[:keep]
