"""Greedy paths of every leave-one-group-out fold at once, sharing the per-group work.

With ``groups``, the greedy objective of a subset S is the mean over groups of each
group's imbalance, and a group's imbalance depends only on its own rows. The folds of a
leave-one-group-out cross-validation differ only in which group the mean leaves out, so
while two folds have selected the same subset they need the same per-group candidate
imbalances. :func:`leave_one_group_out_paths` computes them once per distinct subset (a
step of G folds whose paths still agree costs one pass over the G groups instead of
G - 1 passes per fold) and then takes each fold's own mean, its own argmin and its own
recorded imbalances, so every fold's path is exactly the :func:`skii.imbalance_path` of
its training groups.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from . import _imbalance, _pruned_path, _pruned_unsup_path
from ._imbalance import (
    ConstantFeatureWarning,
    _candidate_deltas,
    _check_common,
    _check_periods,
    _combine_groups,
    _delta_one_group,
    _group_indices,
    _map,
    _path_spaces,
    _row_std,
    _sub_periods,
    _transposed,
    _with_std_columns,
    imbalance_path,
    path_columns,
)

__all__ = ["leave_one_group_out_paths"]


def leave_one_group_out_paths(
    X,
    y=None,
    *,
    groups,
    mode: str = "supervised",
    n_features_to_select: int,
    n_neighbors: int = 1,
    ties: str = "average",
    random_state=None,
    feature_names=None,
    n_jobs: int | None = None,
    periods=None,
    target_periods=None,
) -> pd.DataFrame:
    """The greedy path of every leave-one-group-out fold, computed together.

    For each group g, the result equals ``imbalance_path(X[groups != g], y[groups != g],
    groups=groups[groups != g], ...)`` exactly; the per-group imbalances that several
    folds need are computed once.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
        Target; required when ``mode="supervised"``.
    groups : array-like of shape (n_samples,)
        Group of each row; at least 2 groups.
    mode, n_features_to_select, n_neighbors, ties, random_state, feature_names, n_jobs
        As in :func:`imbalance_path`. Random ties draw each fold's tie-breaking
        priorities separately, so there nothing can be shared and the folds are computed
        one by one.
    periods, target_periods
        As in :func:`imbalance_path` (periodic features use the brute-force kernel).

    Returns
    -------
    pandas.DataFrame
        The :func:`imbalance_path` tables of all folds stacked, with a leading
        ``left_out_group`` column (the group label each fold leaves out).

    Examples
    --------
    >>> import numpy as np
    >>> from skii import imbalance_path, leave_one_group_out_paths
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4))
    >>> y = X[:, 2] + 0.5 * X[:, 0] + 0.1 * rng.normal(size=300)
    >>> g = np.repeat([0, 1, 2], 100)
    >>> paths = leave_one_group_out_paths(X, y, groups=g, n_features_to_select=2)
    >>> paths.groupby("left_out_group")["feature"].apply(list).tolist()
    [[2, 0], [2, 0], [2, 0]]
    >>> one = imbalance_path(X[g != 1], y[g != 1], groups=g[g != 1], n_features_to_select=2)
    >>> bool((paths[paths.left_out_group == 1].drop(columns="left_out_group")
    ...       .reset_index(drop=True) == one).all().all())
    True
    """
    k = _check_common(n_neighbors, ties)
    X, target = _path_spaces(X, y, mode)
    n, p = X.shape
    g = np.asarray(groups.to_numpy() if hasattr(groups, "to_numpy") else groups)
    parts = _group_indices(g, n, k)
    if len(parts) < 2:
        raise ValueError(f"leave-one-group-out paths need at least 2 groups, got {len(parts)}")
    labels = [g[part[0]] for part in parts]
    periods = _check_periods(periods, [X.T], "periods", "X")
    if mode == "unsupervised":
        target_periods = periods  # the target space is X itself
    else:
        target_periods = _check_periods(target_periods, [target.T], "target_periods", "y")
    if not 1 <= int(n_features_to_select) <= p:
        raise ValueError(
            f"n_features_to_select={n_features_to_select} must be between 1 and the number "
            f"of features ({p})"
        )
    d = int(n_features_to_select)
    names = [str(f) for f in feature_names] if feature_names is not None else None
    if names is not None and len(names) != p:
        raise ValueError(f"feature_names has {len(names)} names for {p} features")

    # Columns constant within a group; a fold's constants are those of all its groups.
    const_g = np.array([np.all(X[part] == X[part][0], axis=0) for part in parts])
    folds = range(len(parts))
    const = [np.all(np.delete(const_g, c, axis=0), axis=0) for c in folds]
    if ties == "random" or any(p - int(cf.sum()) < d for cf in const):
        # Nothing to share (random priorities differ per fold) or a fold would run out of
        # candidates (constants are then appended): one imbalance_path per fold.
        out = []
        for c in folds:
            train = np.flatnonzero(g != labels[c])
            path = imbalance_path(
                X[train], None if mode == "unsupervised" else target[train], mode=mode,
                n_features_to_select=d, n_neighbors=k, groups=g[train], ties=ties,
                random_state=random_state, feature_names=names, n_jobs=n_jobs,
                periods=periods, target_periods=target_periods,
            )
            path.insert(0, "left_out_group", labels[c])
            out.append(path)
        return pd.concat(out, ignore_index=True)

    names = names or [f"x{j}" for j in range(p)]
    if any(cf.any() for cf in const):
        bad = sorted({names[j] for cf in const for j in np.flatnonzero(cf)})
        warnings.warn(
            f"{len(bad)} feature(s) ({', '.join(bad)}) are constant in every training group "
            "of some fold: they are never candidates there.",
            ConstantFeatureWarning,
            stacklevel=2,
        )
    backward = mode == "unsupervised"
    # The pruned kernels walk sorted columns, which means nothing on a circle.
    periodic = periods is not None or target_periods is not None
    pruned = not backward and target.shape[1] == 1 and not periodic
    zeros = [np.zeros(part.size, np.int64) for part in parts]
    data = [(X[part], _transposed(target[part])) for part in parts]
    ysorted = [_pruned_path.prepare_group(tt[0]) for _, tt in data] if pruned else None
    columns = [_pruned_path.prepare_columns(xg) for xg, _ in data] if pruned else None
    # Unsupervised: the pruned kernel of skii/_pruned_unsup_kernels.py, whose full-X part
    # (neighbours, ranks) is built once per group for every fold and step.
    full = _pruned_unsup_path.prepare_groups([tt for _, tt in data], k, False, zeros) \
        if backward and _imbalance._PRUNED and not periodic else None
    cache: dict[tuple, dict] = {}

    def per_group(S: tuple, last: bool, need: list) -> dict:
        """{group: result} for (at least) the groups in ``need``, each result being the
        {column: position} of the candidates (every column not in S; none after the last
        step), their forward and backward imbalances, and the recorded (Delta(X_S ->
        target), Delta(target -> X_S)) and their standard errors over the group's rows.
        Each (S, group) is computed once, when a fold first needs it (a subset that one
        fold alone reaches never needs the group that fold leaves out)."""
        done = cache.setdefault((S, last), {})
        todo = [q for q in need if q not in done]
        if not todo:
            return done
        cand = [] if last else [j for j in range(p) if j not in S]
        if pruned:
            tasks = [(data[q][0], ysorted[q], list(S), cand, k, False, zeros[q], zeros[q],
                      bool(S), True, columns[q]) for q in todo]
            res = _map(_pruned_path.group_step, tasks, n_jobs)
            out = [(r[0], np.full(len(cand), np.nan), r[1], r[2],
                    *((_row_std(r[4]), _row_std(r[5])) if S else (math.nan, math.nan)))
                   for r in res]
        elif full is not None:
            tasks = [(data[q][0], full[q], list(S), cand, k, False, zeros[q], zeros[q],
                      bool(S), True) for q in todo]
            res = _map(_pruned_unsup_path.group_step, tasks, n_jobs)
            out = [(*r[:4], *((_row_std(r[5]), _row_std(r[6])) if S else (math.nan, math.nan)))
                   for r in res]
        else:
            p_s, p_c = _sub_periods(periods, list(S)), _sub_periods(periods, cand)
            tasks = [(_transposed(data[q][0][:, list(S)]), _transposed(data[q][0][:, cand]),
                      data[q][1], k, False, zeros[q], zeros[q], backward, p_s, p_c,
                      target_periods) for q in todo]
            res = _map(_candidate_deltas, tasks, n_jobs) if cand else \
                [(np.empty(0), np.empty(0))] * len(todo)
            if S:
                rec = _map(_delta_one_group,
                           [(_transposed(data[q][0][:, list(S)]), data[q][1], k, False,
                             zeros[q], zeros[q], True, True, p_s, target_periods)
                            for q in todo], n_jobs)
            else:
                rec = [((math.nan, math.nan), (math.nan, math.nan))] * len(todo)
            out = [(f, b, r[0][0], r[1][0], r[0][1], r[1][1])
                   for (f, b), r in zip(res, rec, strict=True)]
        pos = dict(zip(cand, range(len(cand)), strict=True))
        for q, o in zip(todo, out, strict=True):
            done[q] = (pos, *o)
        return done

    selected = {c: [] for c in folds}
    rows = {c: [] for c in folds}
    stds = {c: [] for c in folds}
    for step in range(d + 1):
        for c in folds:
            S = tuple(sorted(selected[c]))
            groups_c = [q for q in folds if q != c]
            res = per_group(S, step == d, groups_c)
            if S:
                # The recorded imbalances of S, mean over the fold's groups (as
                # imbalance_path: the pruned pass records them, else an exact pass).
                d_st = float(np.mean([res[q][3] for q in groups_c]))
                d_ts = float(np.mean([res[q][4] for q in groups_c]))
                stds[c][-1] = tuple(
                    _combine_groups([res[q][a] for q in groups_c], [res[q][b] for q in groups_c])[1]
                    for a, b in ((3, 5), (4, 6))
                )
                last = rows[c][-1]
                rows[c][-1] = last[:3] + (d_st, d_ts, (d_st + d_ts) / math.sqrt(2)
                                          if backward else d_st)
            if step == d:
                continue
            cand = [j for j in range(p) if j not in S and not const[c][j]]
            idx = [res[groups_c[0]][0][j] for j in cand]
            fwd = np.mean([res[q][1][idx] for q in groups_c], axis=0)
            if backward:
                obj = (fwd + np.mean([res[q][2][idx] for q in groups_c], axis=0)) / math.sqrt(2)
            else:
                obj = fwd
            chosen = cand[int(np.argmin(obj))]  # first minimum: lowest column index
            selected[c].append(chosen)
            rows[c].append((len(selected[c]), chosen, names[chosen], math.nan, math.nan,
                            math.nan))
            stds[c].append((math.nan, math.nan))
    to, fro = path_columns(mode)
    frames = []
    for c in folds:
        path = pd.DataFrame(rows[c], columns=["n_features", "feature", "feature_name", to, fro,
                                              "objective"])
        path = _with_std_columns(path, stds[c], mode)
        path.insert(0, "left_out_group", labels[c])
        frames.append(path)
    return pd.concat(frames, ignore_index=True)
