"""numba kernels for the differentiable information imbalance (DII) and its gradient.

Conventions
-----------
* Feature matrices are passed transposed, shape ``(n_features, n_samples)``, C-contiguous
  (as in :mod:`skii._kernels`).
* Squared weighted distances ``d_ij = sum_f (w_f (x_if - x_jf))**2``; the smoothing
  ``lambda_i = lambda_factor * (k-th smallest d_ij over j != i)`` depends on the weights
  and is differentiated (Wild et al., Nat. Commun. 2025; DADApy's JAX implementation
  differentiates through it as well).
* Target ranks ``r_ij`` (j != i) start at 1 for the nearest target neighbour; tied target
  distances share the average of the ranks they span (the expectation under random tie
  breaking), so the loss never depends on the order of rows.
* Parallel over chunks of rows (``n_chunks`` chosen by the caller); every row writes its
  own loss and gradient row, summed by the caller in a fixed order, so results do not
  depend on the number of threads. Extra memory is O(n_samples) per thread and
  O(n_samples x n_features) for the gradient rows, plus the caller's
  (n_samples, n_samples) rank matrix of the batch.
* Periodic features: the optional trailing ``periods`` (one per feature row, 0 = not
  periodic) makes every difference minimum-image, ``u - P * rint(u / P)``, in the
  distances and in the gradient. The image does not depend on the weights (it is chosen
  on the unweighted difference), so ``d_ij`` stays ``sum_f w_f^2 u_ijf^2``, piecewise
  smooth in w with the same gradient formula.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def _min_image(u, p):
    """The minimum-image difference for period p > 0."""
    return u - p * np.rint(u / p)


@njit(cache=True)
def _target_rank_row(bt, i, d, order, out, periods=None):
    """Average ranks (1-based, self excluded) of the target distances from row i."""
    n_feat, n = bt.shape
    for m in range(n):
        d[m] = 0.0
    for f in range(n_feat):
        r = bt[f]
        xi = r[i]
        if periods is not None and periods[f] > 0.0:
            p = periods[f]
            for m in range(n):
                t = _min_image(r[m] - xi, p)
                d[m] += t * t
            continue
        for m in range(n):
            t = r[m] - xi
            d[m] += t * t
    d[i] = -1.0  # self first, then excluded from the ranks
    order[:] = np.argsort(d, kind="mergesort")
    out[i] = 0.0
    pos = 1
    while pos < n:
        end = pos + 1
        while end < n and d[order[end]] == d[order[pos]]:
            end += 1
        rank = 0.5 * (pos + end - 1)  # mean of the 1-based ranks pos .. end - 1
        for q in range(pos, end):
            out[order[q]] = rank
        pos = end


@njit(parallel=True, cache=True)
def target_ranks(bt, n_chunks, out, periods=None):
    """out[i, j]: rank of j among the target neighbours of i (0 on the diagonal);
    ``periods``: per-feature periods of the target (minimum image)."""
    n = bt.shape[1]
    bounds = np.linspace(0, n, n_chunks + 1).astype(np.int64)
    for c in prange(n_chunks):
        d = np.empty(n)
        order = np.empty(n, dtype=np.int64)
        for i in range(bounds[c], bounds[c + 1]):
            _target_rank_row(bt, i, d, order, out[i], periods)


@njit(cache=True)
def _weighted_sq_row(xt, w2, i, out):
    n_feat, n = xt.shape
    for m in range(n):
        out[m] = 0.0
    for f in range(n_feat):
        wf = w2[f]
        if wf == 0.0:
            continue
        r = xt[f]
        xi = r[i]
        for m in range(n):
            t = r[m] - xi
            out[m] += wf * (t * t)


@njit(cache=True)
def _weighted_sq_row_periodic(xt, w2, periods, i, out):
    """As :func:`_weighted_sq_row` with minimum-image differences where periods[f] > 0."""
    n_feat, n = xt.shape
    for m in range(n):
        out[m] = 0.0
    for f in range(n_feat):
        wf = w2[f]
        if wf == 0.0:
            continue
        r = xt[f]
        xi = r[i]
        p = periods[f]
        if p > 0.0:
            for m in range(n):
                t = _min_image(r[m] - xi, p)
                out[m] += wf * (t * t)
        else:
            for m in range(n):
                t = r[m] - xi
                out[m] += wf * (t * t)


@njit(cache=True)
def _kth_smallest_other(d, i, k, val, idx):
    """(value, index) of the k-th smallest d[j], j != i (k is 1-based; first index wins ties).

    Insertion into a sorted buffer of the k smallest: O(n k), cheaper than a sort for
    the small k used to set lambda.
    """
    n = d.shape[0]
    m = 0
    for j in range(n):
        if j == i:
            continue
        x = d[j]
        if m == k and x >= val[k - 1]:
            continue
        pos = m if m < k else k - 1
        while pos > 0 and val[pos - 1] > x:
            val[pos] = val[pos - 1]
            idx[pos] = idx[pos - 1]
            pos -= 1
        val[pos] = x
        idx[pos] = j
        if m < k:
            m += 1
    return val[k - 1], idx[k - 1]


@njit(parallel=True, cache=True)
def dii_loss_grad(
    xt, w, ranks, k, lambda_factor, with_grad, n_chunks, rows, grad, periods=None
):
    """Differentiable information imbalance of one batch, row by row, and its gradient.

    ``rows[i] = sum_{j != i} c_ij r_ij`` with ``c_ij = softmax_j(-d_ij / lambda_i)``, so the
    DII is ``2 / n**2 * rows.sum()``. With ``with_grad``, ``grad[i, f] = d rows[i] / d w_f``
    (the caller sums over rows and scales). ``periods``: per-feature periods of X.
    """
    n_feat, n = xt.shape
    w2 = w * w
    periodic = periods is not None
    if periods is None:
        pf = np.zeros(n_feat)
    else:
        pf = periods
    bounds = np.linspace(0, n, n_chunks + 1).astype(np.int64)
    for c in prange(n_chunks):
        d = np.empty(n)
        e = np.empty(n)
        val = np.empty(k)
        idx = np.empty(k, dtype=np.int64)
        acc = np.zeros(n_feat)
        for i in range(bounds[c], bounds[c + 1]):
            if periodic:
                _weighted_sq_row_periodic(xt, w2, pf, i, d)
            else:
                _weighted_sq_row(xt, w2, i, d)
            lam_d, nb = _kth_smallest_other(d, i, k, val, idx)
            lam = lambda_factor * lam_d
            r_i = ranks[i]
            dmin = np.inf
            for j in range(n):
                if j != i and d[j] < dmin:
                    dmin = d[j]
            if lam <= 0.0:
                # Limit lambda -> 0+: c_ij uniform over the nearest points (no gradient).
                cnt = 0
                tot = 0.0
                for j in range(n):
                    if j != i and d[j] == dmin:
                        cnt += 1
                        tot += r_i[j]
                rows[i] = tot / cnt
                continue
            z = 0.0
            for j in range(n):
                if j == i:
                    e[j] = 0.0
                else:
                    e[j] = np.exp(-(d[j] - dmin) / lam)
                    z += e[j]
            rbar = 0.0
            for j in range(n):
                e[j] /= z  # now c_ij
                rbar += e[j] * r_i[j]
            rows[i] = rbar
            if not with_grad:
                continue
            # d rbar_i / d w_f = 2 w_f [ -(1/lam) sum_j g_ij D_ijf + (f S_i / lam^2) D_inf ]
            # with g_ij = c_ij (r_ij - rbar_i), S_i = sum_j g_ij d_ij, D_ijf = (x_if - x_jf)^2.
            s = 0.0
            for j in range(n):
                e[j] = e[j] * (r_i[j] - rbar)  # now g_ij
                s += e[j] * d[j]
            for f in range(n_feat):
                if w2[f] == 0.0:
                    acc[f] = 0.0
                    continue
                r = xt[f]
                xi = r[i]
                a = 0.0
                p = pf[f]
                if p > 0.0:
                    for j in range(n):
                        t = _min_image(r[j] - xi, p)
                        a += e[j] * (t * t)
                    tn = _min_image(r[nb] - xi, p)
                else:
                    for j in range(n):
                        t = r[j] - xi
                        a += e[j] * (t * t)
                    tn = r[nb] - xi
                acc[f] = -a / lam + lambda_factor * s / (lam * lam) * (tn * tn)
            g = grad[i]  # rows with lambda_i = 0 keep the caller's zeros
            for f in range(n_feat):
                g[f] = 2.0 * w[f] * acc[f]
