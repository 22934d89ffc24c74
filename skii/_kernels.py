"""numba kernels for information imbalance.

Conventions
-----------
* Feature matrices are passed transposed, shape ``(n_features, n_samples)`` and
  C-contiguous, so that the squared-distance row of a point is built feature by feature
  with an inner loop over samples that vectorises, while every element is still summed in
  feature-index order (exact, reproducible ties; no fastmath reassociation).
* A kernel returns one value per row ``i``: ``sum_j w_ij rbar_B(i, j) / k``. The caller sums
  them in a fixed order, so results do not depend on the number of threads.
* Ties: with ``tie_random = False`` the exact expectation under uniform
  random tie-breaking; with ``tie_random = True`` ties are broken by fixed random priorities
  of the rows (``prio_a`` on the A side, ``prio_b`` on the B side, independent).
* The row kernels (``imbalance_rows``, ``greedy_candidate_rows``) are nogil functions of
  a row range, run on numba's thread count by :func:`skii._parallel.run_row_chunks`
  (a few chunks per thread): no parfor to compile.
* Extra memory is O(n_samples) per thread: no N x N matrix is ever kept.
* Periodic features (angles, phases): the optional trailing ``periods_*`` arguments hold
  one period per feature row (0 = not periodic); differences are then minimum-image,
  ``u - P * rint(u / P)``. ``None`` (the default) compiles the plain kernels, unchanged.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._parallel import run_row_chunks

# Above this many neighbours whose B rank is needed, sort the B row once (O(N log N))
# instead of one O(N) counting pass per neighbour, so heavy ties never go cubic.
_SORT_THRESHOLD = 12
_BLOCK = 64
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


@njit(cache=True)
def _bits_to_float(b):
    a = np.empty(1, dtype=np.int64)
    a[0] = b
    return a.view(np.float64)[0]


@njit(cache=True)
def sq_dist_row(xt, i, out):
    """out[m] = sum_f (xt[f, m] - xt[f, i])**2, summed in feature-index order.

    Four features per pass over ``out`` (one load and one store of ``out`` instead of
    four) with the additions kept strictly sequential, so the result is bit-identical to
    the plain feature-by-feature loop.
    """
    n_feat, n = xt.shape
    if n_feat == 0:
        out[:] = 0.0
        return
    r0 = xt[0]
    x0 = r0[i]
    for m in range(n):
        t = r0[m] - x0
        out[m] = t * t
    f = 1
    while f + 4 <= n_feat:
        r0 = xt[f]
        r1 = xt[f + 1]
        r2 = xt[f + 2]
        r3 = xt[f + 3]
        x0 = r0[i]
        x1 = r1[i]
        x2 = r2[i]
        x3 = r3[i]
        for m in range(n):
            t0 = r0[m] - x0
            t1 = r1[m] - x1
            t2 = r2[m] - x2
            t3 = r3[m] - x3
            o = out[m] + t0 * t0
            o = o + t1 * t1
            o = o + t2 * t2
            out[m] = o + t3 * t3
        f += 4
    while f < n_feat:
        r0 = xt[f]
        x0 = r0[i]
        for m in range(n):
            t = r0[m] - x0
            out[m] += t * t
        f += 1


@njit(cache=True)
def sq_dist_row_periodic(xt, periods, i, out):
    """As :func:`sq_dist_row` with minimum-image differences for the features whose
    ``periods[f] > 0``: ``u = xt[f, m] - xt[f, i]``, ``u -= P * rint(u / P)`` (so
    ``|u| <= P / 2``). Summed in feature-index order (bit-identical to
    :func:`sq_dist_row` when no feature is periodic)."""
    n_feat, n = xt.shape
    out[:] = 0.0
    for f in range(n_feat):
        r = xt[f]
        xi = r[i]
        p = periods[f]
        if p > 0.0:
            for m in range(n):
                u = r[m] - xi
                u -= p * np.rint(u / p)
                out[m] += u * u
        else:
            for m in range(n):
                u = r[m] - xi
                out[m] += u * u


@njit(cache=True)
def _sq_row(xt, periods, i, out):
    """sq_dist_row, or its minimum-image version when ``periods`` is not None (numba
    compiles only the branch the argument's type selects)."""
    if periods is None:
        sq_dist_row(xt, i, out)
    else:
        sq_dist_row_periodic(xt, periods, i, out)


@njit(cache=True)
def _kth_smallest_excluding(d, i, k, top):
    """k-th smallest of d[m], m != i, by a sorted insertion buffer of size k."""
    for q in range(k):
        top[q] = np.inf
    n = d.shape[0]
    for m in range(n):
        if m == i:
            continue
        v = d[m]
        if v < top[k - 1]:
            q = k - 1
            while q > 0 and top[q - 1] > v:
                top[q] = top[q - 1]
                q -= 1
            top[q] = v
    return top[k - 1]


@njit(cache=True)
def neighbours(d, i, k, tie_random, prio, idx, w, top, tied):
    """The k nearest neighbours of i given its distance row d, where d[i] must be +inf.

    Writes indices to ``idx[:s]`` and weights to ``w[:s]`` (weights sum to k) and returns s;
    ``top`` (size k) and ``tied`` (size N) are scratch. Average mode: every j strictly
    closer than the k-th distance has weight 1, the n_eq rows tied at it share the
    remaining k - n_less equally. Random mode: the tied rows with the smallest priorities
    fill the remaining places.
    """
    n = d.shape[0]
    if k == 1:
        # Vectorisable min pass over the bit patterns (non-negative doubles order like
        # their int64 views), then an index scan: cheaper than a tracked argmin.
        bits = d.view(np.int64)
        tb = _INT64_MAX
        for m in range(n):
            tb = min(tb, bits[m])
        t = _bits_to_float(tb)
    else:
        t = _kth_smallest_excluding(d, i, k, top)
    n_less = 0
    n_eq = 0
    for m in range(n):
        if m == i:
            continue
        v = d[m]
        if v < t:
            idx[n_less] = m
            w[n_less] = 1.0
            n_less += 1
        elif v == t:
            tied[n_eq] = m
            n_eq += 1
    remaining = k - n_less
    if not tie_random:
        share = remaining / n_eq
        for e in range(n_eq):
            idx[n_less + e] = tied[e]
            w[n_less + e] = share
        return n_less + n_eq
    # Random mode: the `remaining` tied rows of smallest priority (partial selection sort;
    # the tied block is short unless the data are heavily tied).
    for q in range(remaining):
        best_e = q
        for e in range(q + 1, n_eq):
            if prio[tied[e]] < prio[tied[best_e]]:
                best_e = e
        tied[q], tied[best_e] = tied[best_e], tied[q]
        idx[n_less + q] = tied[q]
        w[n_less + q] = 1.0
    return n_less + remaining


@njit(cache=True)
def rank_by_counting(d, i, j, tie_random, prio):
    """rbar(i, j) in the space with distance row d, by one O(N) pass (m != i)."""
    t = d[j]
    n = d.shape[0]
    less = 0
    eq = 0
    for m in range(n):
        v = d[m]
        less += v < t
        eq += v == t
    # Remove m = i (its own distance is exactly 0) and j itself from the counts.
    if d[i] < t:
        less -= 1
    elif d[i] == t:
        eq -= 1
    eq -= 1
    if not tie_random:
        return 1.0 + less + 0.5 * eq
    before = 0
    if eq > 0:
        pj = prio[j]
        for m in range(n):
            if m != i and m != j and d[m] == t and prio[m] < pj:
                before += 1
    return 1.0 + less + before


@njit(cache=True)
def radix_order(d, order, tmp, keys, keys_tmp, count):
    """order[:] = the positions of d in increasing order (stable), by an LSD radix sort of
    the bit patterns (any doubles but NaN, infinities included): eight byte passes, each
    skipped when all keys share that byte; several times faster than a comparison sort
    of a few thousand values. Returns the array holding the order (``order`` or ``tmp``).
    """
    n = d.shape[0]
    bits = d.view(np.int64)
    for m in range(n):
        order[m] = m
        # -0.0 as 0.0 (equal values keep their index order, as a stable argsort's);
        # negative patterns flipped whole, the others' sign bit only: the keys' unsigned
        # byte order is then the numeric order.
        b = 0 if bits[m] == _INT64_MIN else bits[m]
        keys[m] = b ^ ((b >> 63) | _INT64_MIN)
    for shift in range(0, 64, 8):
        count[:] = 0
        for m in range(n):
            count[((keys[m] >> shift) & 255) + 1] += 1
        # All keys share this byte: skip the pass (a loop, not count.max(), whose
        # compilation alone took a second).
        same = False
        for b in range(257):
            same |= count[b] == n
        if same:
            continue
        for b in range(256):
            count[b + 1] += count[b]
        for m in range(n):
            b = (keys[m] >> shift) & 255
            q = count[b]
            count[b] = q + 1
            keys_tmp[q] = keys[m]
            tmp[q] = order[m]
        keys, keys_tmp = keys_tmp, keys
        order, tmp = tmp, order
    return order


@njit(cache=True)
def sort_ints(a, n):
    """Sort a[:n] (int64) in place: a heapsort, O(n log n) without recursion (numba's
    np.sort compiles a quicksort per caller type, seconds of a first run)."""
    for start in range(n // 2 - 1, -1, -1):
        _sift_ints(a, start, n)
    for end in range(n - 1, 0, -1):
        a[0], a[end] = a[end], a[0]
        _sift_ints(a, 0, end)


@njit(cache=True)
def _sift_ints(a, root, size):
    v = a[root]
    while True:
        c = 2 * root + 1
        if c >= size:
            break
        if c + 1 < size and a[c + 1] > a[c]:
            c += 1
        if a[c] <= v:
            break
        a[root] = a[c]
        root = c
    a[root] = v


@njit(cache=True)
def rank_sorted_run(dv, di, cnt, tie_random, prio, out):
    """out[di[p]] = rbar of row di[p] for the cnt points (dv, di)[:cnt] in non-decreasing
    distance (any order of ties): every point of another row, i excluded."""
    start = 0
    while start < cnt:
        t = dv[start]
        stop = start + 1
        while stop < cnt and dv[stop] == t:
            stop += 1
        if not tie_random or stop - start == 1:
            r = 1.0 + start + 0.5 * (stop - start - 1)
            for p in range(start, stop):
                out[di[p]] = r
        else:
            # Tied rows in priority order: priorities are distinct and below n, so
            # (priority, row) packs into one sortable integer.
            n = prio.shape[0]
            packed = np.empty(stop - start, dtype=np.int64)
            for p in range(stop - start):
                packed[p] = prio[di[start + p]] * n + di[start + p]
            sort_ints(packed, stop - start)
            for p in range(stop - start):
                out[packed[p] % n] = 1.0 + start + p
        start = stop


@njit(cache=True)
def rank_row_ordered(d, i, order, tie_random, prio, out):
    """:func:`rank_row` given the sorted order of d (any order of ties); ``order`` is
    overwritten."""
    n = d.shape[0]
    # Drop i from the sorted order (it is tied with any exact duplicates of i, wherever).
    pos = 0
    for p in range(n):
        if order[p] != i:
            order[pos] = order[p]
            pos += 1
    dv = np.empty(n - 1)
    for p in range(n - 1):
        dv[p] = d[order[p]]
    rank_sorted_run(dv, order, n - 1, tie_random, prio, out)
    out[i] = 0.0


@njit(cache=True)
def rank_row(d, i, tie_random, prio, out):
    """Fill out[m] = rbar(i, m) for every m != i with one sort of the row."""
    n = d.shape[0]
    order = radix_order(d, np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
                        np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
                        np.empty(257, dtype=np.int64))
    rank_row_ordered(d, i, order, tie_random, prio, out)


@njit(cache=True)
def weighted_rank(d_b, i, idx, w, s, tie_random, prio_b, rrow):
    """sum_j w_j rbar_B(i, j) over the s neighbours idx[:s]."""
    total = 0.0
    if s > _SORT_THRESHOLD:
        rank_row(d_b, i, tie_random, prio_b, rrow)
        for q in range(s):
            total += w[q] * rrow[idx[q]]
    else:
        for q in range(s):
            total += w[q] * rank_by_counting(d_b, i, idx[q], tie_random, prio_b)
    return total


@njit(nogil=True, cache=True, error_model="numpy")
def _imbalance_rows_range(
    lo, hi, at, bt, k, tie_random, prio_a, prio_b, both, out_ab, out_ba, periods_a, periods_b,
):
    """Rows lo:hi of :func:`imbalance_rows`."""
    n = at.shape[1]
    d_a = np.empty(n)
    d_b = np.empty(n)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    rrow = np.empty(n)
    top = np.empty(k)
    tied = np.empty(n, dtype=np.int64)
    for i in range(lo, hi):
        _sq_row(at, periods_a, i, d_a)
        _sq_row(bt, periods_b, i, d_b)
        # i is never its own neighbour; the rank counts exclude it either way.
        d_a[i] = np.inf
        d_b[i] = np.inf
        s = neighbours(d_a, i, k, tie_random, prio_a, idx, w, top, tied)
        out_ab[i] = weighted_rank(d_b, i, idx, w, s, tie_random, prio_b, rrow) / k
        if both:
            s = neighbours(d_b, i, k, tie_random, prio_b, idx, w, top, tied)
            out_ba[i] = weighted_rank(d_a, i, idx, w, s, tie_random, prio_a, rrow) / k


def imbalance_rows(
    at, bt, k, tie_random, prio_a, prio_b, both, out_ab, out_ba,
    periods_a=None, periods_b=None,
):
    """out_ab[i] = sum_j w_ij rbar_B(i, j) / k for Delta(A -> B), and with ``both`` the
    same for Delta(B -> A) in out_ba, from the same two distance rows per point.
    ``periods_a`` / ``periods_b``: per-feature periods of A / B (minimum image).

    The rows run on numba's thread count (:func:`skii._parallel.run_row_chunks`).
    """
    run_row_chunks(_imbalance_rows_range, at.shape[1], at, bt, k, tie_random, prio_a, prio_b,
                   both, out_ab, out_ba, periods_a, periods_b)


@njit(cache=True)
def _candidate_row_and_nn1(d_s, xc, i, d, d_bits, block_min, tied, period=0.0):
    """d[m] = d_s[m] + (xc[m] - xc[i])**2 and the indices of its minimum (k = 1); with
    ``period > 0`` the difference is minimum-image (see :func:`_candidate_row`).

    Squared distances are non-negative, so their IEEE bit patterns order like the numbers:
    an integer min over ``d_bits`` (a view of ``d``) vectorises where a float min does
    not. Per-block minima let the index scan touch only the block(s) holding the minimum.
    ``d_s[i]`` must be +inf so that i is never its own neighbour. Returns the tie count.
    """
    n = d.shape[0]
    _candidate_row(d_s, xc, i, d, period)
    # Loops over block slices (not range(lo, hi)) keep indices provably non-negative,
    # which numba needs to vectorise them.
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    best = _INT64_MAX
    for b in range(n_blocks):
        blk = d_bits[b * _BLOCK : min(n, (b + 1) * _BLOCK)]
        bm = _INT64_MAX
        for m in range(blk.shape[0]):
            bm = min(bm, blk[m])
        block_min[b] = bm
        best = min(best, bm)
    n_eq = 0
    for b in range(n_blocks):
        if block_min[b] == best:
            blk = d_bits[b * _BLOCK : min(n, (b + 1) * _BLOCK)]
            for m in range(blk.shape[0]):
                if blk[m] == best:
                    tied[n_eq] = b * _BLOCK + m
                    n_eq += 1
    return n_eq


@njit(cache=True)
def _candidate_row(d_s, xc, i, d, period):
    """d[m] = d_s[m] + u_m**2, u_m = xc[m] - xc[i], minimum-image when ``period > 0``."""
    n = d.shape[0]
    xci = xc[i]
    if period > 0.0:
        for m in range(n):
            u = xc[m] - xci
            u -= period * np.rint(u / period)
            d[m] = d_s[m] + u * u
    else:
        for m in range(n):
            u = xc[m] - xci
            d[m] = d_s[m] + u * u


@njit(nogil=True, cache=True, error_model="numpy")
def _greedy_candidate_rows_range(
    lo, hi, st, ct, tt, k, tie_random, prio_s, prio_t, backward, fwd, bwd, periods_s,
    periods_c, periods_t,
):
    """Rows lo:hi of :func:`greedy_candidate_rows`."""
    n = ct.shape[1]
    n_cand = ct.shape[0]
    if periods_c is None:
        p_c = np.zeros(n_cand)
    else:
        p_c = periods_c
    d_s = np.empty(n)
    d_t = np.empty(n)
    d = np.empty(n)
    d_bits = d.view(np.int64)
    block_min = np.empty((n + _BLOCK - 1) // _BLOCK, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    idx_t = np.empty(n, dtype=np.int64)
    w_t = np.empty(n)
    rrow_t = np.empty(n)
    rrow_d = np.empty(n)
    top = np.empty(k)
    tied = np.empty(n, dtype=np.int64)
    for i in range(lo, hi):
        _sq_row(st, periods_s, i, d_s)
        d_s[i] = np.inf  # i is never its own neighbour
        _sq_row(tt, periods_t, i, d_t)
        s_t = 0
        if backward:
            d_t[i] = np.inf
            s_t = neighbours(d_t, i, k, tie_random, prio_t, idx_t, w_t, top, tied)
            # The target neighbours are fixed for this i; keep them out of `tied`.
            idx_t_fixed = idx_t[:s_t].copy()
            w_t_fixed = w_t[:s_t].copy()
        else:
            idx_t_fixed = idx_t[:0]
            w_t_fixed = w_t[:0]
        have_rrow_t = False
        for c in range(n_cand):
            if k == 1:
                n_eq = _candidate_row_and_nn1(
                    d_s, ct[c], i, d, d_bits, block_min, tied, p_c[c]
                )
                if tie_random:
                    best_e = 0
                    for e in range(1, n_eq):
                        if prio_s[tied[e]] < prio_s[tied[best_e]]:
                            best_e = e
                    idx[0] = tied[best_e]
                    w[0] = 1.0
                    s = 1
                else:
                    for e in range(n_eq):
                        idx[e] = tied[e]
                        w[e] = 1.0 / n_eq
                    s = n_eq
            else:
                _candidate_row(d_s, ct[c], i, d, p_c[c])
                s = neighbours(d, i, k, tie_random, prio_s, idx, w, top, tied)
            if s > _SORT_THRESHOLD:
                # The target row is the same for every candidate: sort it once per i.
                if not have_rrow_t:
                    rank_row(d_t, i, tie_random, prio_t, rrow_t)
                    have_rrow_t = True
                tot = 0.0
                for q in range(s):
                    tot += w[q] * rrow_t[idx[q]]
            else:
                tot = 0.0
                for q in range(s):
                    tot += w[q] * rank_by_counting(d_t, i, idx[q], tie_random, prio_t)
            fwd[i, c] = tot / k
            if backward:
                bwd[i, c] = (
                    weighted_rank(d, i, idx_t_fixed, w_t_fixed, s_t, tie_random, prio_s, rrow_d)
                    / k
                )


def greedy_candidate_rows(
    st, ct, tt, k, tie_random, prio_s, prio_t, backward, fwd, bwd,
    periods_s=None, periods_c=None, periods_t=None,
):
    """Row contributions of every candidate feature for one greedy step.

    st: (n_selected, n) selected columns (may have no rows); ct: (n_cand, n) candidates;
    tt: (n_target_features, n) the target. For candidate c, the subset space has squared
    distances d_S + (x_c[m] - x_c[i])**2 (the selected part summed once per row i).
    fwd[i, c]: contribution to Delta(subset + c -> target).
    bwd[i, c] (if backward): contribution to Delta(target -> subset + c).
    periods_s / periods_c / periods_t: per-feature periods of st / ct / tt (minimum image).

    The rows run on numba's thread count (:func:`skii._parallel.run_row_chunks`).
    """
    run_row_chunks(_greedy_candidate_rows_range, ct.shape[1], st, ct, tt, k, tie_random, prio_s,
                   prio_t, backward, fwd, bwd, periods_s, periods_c, periods_t)
