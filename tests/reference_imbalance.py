"""Brute-force numpy information imbalance, written from the definition (SPEC section 5).

Independent of the package: full N x N distance matrices, explicit tie weights and ranks.
"""

import math

import numpy as np


def sq_distances(a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    d = np.zeros((a.shape[0], a.shape[0]))
    for f in range(a.shape[1]):  # summed in feature-index order
        diff = a[:, f][:, None] - a[:, f][None, :]
        d += diff * diff
    return d


def delta(a, b, k=1, prio_a=None, prio_b=None):
    """Delta(A -> B). With priorities, ties are broken by the lowest priority."""
    da, db = sq_distances(a), sq_distances(b)
    n = da.shape[0]
    total = 0.0
    for i in range(n):
        others = np.array([m for m in range(n) if m != i])
        dai, dbi = da[i, others], db[i, others]
        if prio_a is None:
            t = np.sort(dai)[k - 1]
            less, eq = dai < t, dai == t
            w = less + eq * (k - less.sum()) / eq.sum()
        else:
            order = np.lexsort((prio_a[others], dai))
            w = np.zeros(n - 1)
            w[order[:k]] = 1.0
        for q in np.flatnonzero(w):
            t = dbi[q]
            if prio_b is None:
                rank = 1 + np.sum(dbi < t) + (np.sum(dbi == t) - 1) / 2
            else:
                tied = (dbi == t) & (prio_b[others] < prio_b[others[q]])
                rank = 1 + np.sum(dbi < t) + np.sum(tied)
            total += w[q] * rank
    return 2.0 * total / (n * n * k)


def grouped_delta(a, b, groups, k=1):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    vals = [delta(a[groups == g], b[groups == g], k) for g in np.unique(groups)]
    return float(np.mean(vals))


def greedy_path(x, y=None, n_steps=None, k=1, groups=None, mode="supervised"):
    """Greedy forward selection by brute force; returns (order, fwd, bwd, objective)."""
    x = np.asarray(x, dtype=float)
    groups = np.zeros(len(x)) if groups is None else np.asarray(groups)
    target = x if mode == "unsupervised" else np.asarray(y, dtype=float)
    n_steps = x.shape[1] if n_steps is None else n_steps
    selected, fwds, bwds, objs = [], [], [], []
    remaining = list(range(x.shape[1]))
    for _ in range(n_steps):
        best = None
        for j in remaining:
            cols = sorted(selected + [j])
            f = grouped_delta(x[:, cols], target, groups, k)
            if mode == "unsupervised":
                bw = grouped_delta(target, x[:, cols], groups, k)
                obj = (f + bw) / math.sqrt(2)
            else:
                bw = grouped_delta(target, x[:, cols], groups, k)
                obj = f
            if best is None or obj < best[0] - 1e-15:
                best = (obj, j, f, bw)
        obj, j, f, bw = best
        selected.append(j)
        remaining.remove(j)
        fwds.append(f)
        bwds.append(bw)
        objs.append(obj)
    return selected, np.array(fwds), np.array(bwds), np.array(objs)


def sq_distances_min_image(a, periods):
    """Squared distances with minimum-image differences along the columns whose period is
    positive (None, NaN or 0: not periodic), summed in feature-index order."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    d = np.zeros((a.shape[0], a.shape[0]))
    for f in range(a.shape[1]):
        diff = a[:, f][:, None] - a[:, f][None, :]
        p = periods[f]
        if p is not None and np.isfinite(p) and p > 0:
            diff = diff - p * np.round(diff / p)
            assert np.all(np.abs(diff) <= p / 2 + 1e-12)
        d += diff * diff
    return d


def row_contributions(a, b, k=1, periods_a=None, periods_b=None):
    """Per-row contributions c_i to Delta(A -> B) (average ties): Delta = mean(c_i),
    c_i = 2 / (N k) * sum_j w_ij rbar_B(i, j). Periods: minimum-image distances."""
    da = sq_distances(a) if periods_a is None else sq_distances_min_image(a, periods_a)
    db = sq_distances(b) if periods_b is None else sq_distances_min_image(b, periods_b)
    n = da.shape[0]
    out = np.empty(n)
    for i in range(n):
        others = np.array([m for m in range(n) if m != i])
        dai, dbi = da[i, others], db[i, others]
        t = np.sort(dai)[k - 1]
        less, eq = dai < t, dai == t
        w = less + eq * (k - less.sum()) / eq.sum()
        ranks = np.array([1 + np.sum(dbi < v) + (np.sum(dbi == v) - 1) / 2 for v in dbi])
        out[i] = 2.0 * np.sum(w * ranks) / (n * k)
    return out


def delta_and_std(a, b, k=1, groups=None):
    """Delta(A -> B) and its standard error: over rows (one group) or over groups."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    labels = [0] if groups is None else np.unique(groups)
    parts = [np.arange(len(a))] if groups is None else [np.flatnonzero(groups == g)
                                                       for g in labels]
    if len(parts) == 1:
        c = row_contributions(a, b, k)
        return c.mean(), c.std(ddof=1) / math.sqrt(len(c))
    vals = np.array([row_contributions(a[p], b[p], k).mean() for p in parts])
    return vals.mean(), vals.std(ddof=1) / math.sqrt(len(vals))


def greedy_path_periodic(x, y, periods, target_periods=None, n_steps=None, k=1,
                         mode="supervised"):
    """Greedy forward selection by brute force with minimum-image distances; returns
    (order, fwd, bwd). Column subsets keep each column's own period."""
    x = np.asarray(x, dtype=float)
    periods = list(periods)
    if mode == "unsupervised":
        target, tp = x, periods
    else:
        target, tp = np.asarray(y, dtype=float), target_periods
    n_steps = x.shape[1] if n_steps is None else n_steps
    selected, fwds, bwds = [], [], []
    for _ in range(n_steps):
        best = None
        for j in [c for c in range(x.shape[1]) if c not in selected]:
            cols = sorted(selected + [j])
            pc = [periods[c] for c in cols]
            f = row_contributions(x[:, cols], target, k, pc, tp).mean()
            bw = row_contributions(target, x[:, cols], k, tp, pc).mean()
            obj = (f + bw) / math.sqrt(2) if mode == "unsupervised" else f
            if best is None or obj < best[0] - 1e-15:
                best = (obj, j, f, bw)
        _, j, f, bw = best
        selected.append(j)
        fwds.append(f)
        bwds.append(bw)
    return selected, np.array(fwds), np.array(bwds)
