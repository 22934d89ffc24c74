"""numba kernels for the greedy forward path with a pruned neighbour search (exact).

Which kernel serves which case
------------------------------
* ``pruned_forward_rows`` (this module): the forward steps of the *supervised* path with
  a one-dimensional target, any k >= 1, average or random ties, per group (the caller
  calls it once per group). It is exact: it returns the very same row contributions as
  :func:`skii._kernels.greedy_candidate_rows` and, for the recorded imbalances, as
  :func:`skii._kernels.imbalance_rows` (same neighbour sets, same ranks, same summation
  order), only cheaper.
* Cell grids and k-d trees where :mod:`skii._pruned_path` measured them cheaper: the
  candidates of |S| = 1 and 2 from N = 4000 (:mod:`skii._grid_kernels`; at |S| = 2 with
  k = 1 this kernel runs first, its buffers from a grid on S,
  :func:`skii._cell_grids.block_buffer`, and leaves the pairs it cannot prove to the
  grids), the first step's sorted walks and some recorded rows
  (:mod:`skii._kdtree_kernels`).
* Brute force (:mod:`skii._kernels`) everywhere the bound below does not apply or was not
  worth it: multi-output targets (no sorted order to search) and any (row, candidate)
  whose pruning bound fails (the full scan below). The unsupervised mode has its own
  pruned kernel, :mod:`skii._pruned_unsup_kernels`.
* Periodic features or a periodic target (``periods=`` / ``target_periods=``): always the
  brute-force kernels, which take minimum-image differences. The bound below would still
  hold (a minimum-image term is non-negative too), but the one-dimensional sorted walks
  and binary searches assume a line: on a circle the neighbours of a point near the cut
  lie at the far end of the sorted column.

Why pruning is exact
--------------------
The candidate space S + j has squared distances ``d(m) = d_S(m) + (x_mj - x_ij)^2 >=
d_S(m)``. Per row i a buffer holds every point with ``d_S <= tau`` (tau a quantile of a
strided sample of the row, aiming at ``n_buf`` points, or the gap to the edge of a block
of grid cells around i): a heap, moved into a sorted prefix only as deep as some scan
goes. A candidate scans it in increasing ``d_S`` and stops at the first ``d_S > t``, t the
current k-th smallest ``d`` seen: every unscanned point has ``d >= d_S > t``, so it is
neither a neighbour nor tied with the k-th (``>``, not ``>=``, keeps every tie at t). With
k = 1 one pass over the whole buffer, unsorted, serves every candidate at once
(:func:`scan_candidates_k1`), and its best t is proven where ``t <= tau``. When the bound
says nothing (``tau < t``): with k = 1 that (row, candidate) takes a full O(N) scan or
goes to the candidate's grid; with k >= 2 the buffer grows to every ``d_S <= 2 t`` and the
scan restarts, or, once it would hold more than N / 8 points, the full scan. Every ``d``
is computed exactly as the brute-force kernel computes it (``d_S[m] + u * u``), so the
decisions are identical.

One-dimensional spaces (the first step, |S| = 1, a 1-D target) need no distance row:
neighbours come from walking outward from i in the sorted column (distances grow
monotonically on each side, because rounding is monotone), and a rank from the edges of
the runs closer than and tied with j on both sides of i, found by searches (one started
from a bucket of values near the edge, :func:`rank_fast`) that each decide with the
computed ``(x_m - x_i) ** 2``, the very value the definition compares (not ``x_i +- r``,
which would round differently): the bucket only says where to start.

Memory: O(N) scratch per thread; the caller passes the sorted columns, O(N D).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cell_grids import block_buffer
from ._kernels import (
    _INT64_MAX,
    _bits_to_float,
    neighbours,
    radix_order,
    rank_sorted_run,
    sort_ints,
    sq_dist_row,
    weighted_rank,
)
from ._simd import append_between

# Size of the strided sample that sets a row's first buffer threshold (its r-th smallest,
# r <= this, is the threshold).
_SAMPLE_RANK = 8
# Target ranks already computed for this row (the same neighbour often wins for many
# candidates): a few remembered, searched linearly.
_MEMO = 8
# A row's target ranks come from binary searches until it has needed more than n / 16 of
# them in the first step (each candidate brings new neighbours: measured 2x faster on
# the glass data, whose tied columns give ~16 neighbours per candidate) or n / 4 later,
# then from its whole rank row (one O(n) merge, ~100 searches' worth at n = 1290; built
# after n / 16 searches it slowed the later steps, whose few searches rarely repay it).
_ROW_AFTER = (16, 4)
# A buffer grown past 1 / _WIDE of the rows is not worth sorting further for this
# candidate: one full scan instead.
_WIDE = 8


@njit(nogil=True, cache=True)
def column_orders(lo, hi, xt, order):
    """order[c]: the stable sorted order of xt[c], for the columns lo:hi (the caller runs
    the column ranges on threads, :func:`skii._parallel.run_row_chunks`): once per group,
    for the first step's walks and every later grid's cells. A radix sort: numba's
    mergesort argsort took 8x longer (N = 16000)."""
    n = xt.shape[1]
    tmp = np.empty(n, dtype=np.int64)
    keys = np.empty(n, dtype=np.int64)
    keys_tmp = np.empty(n, dtype=np.int64)
    count = np.empty(257, dtype=np.int64)
    for c in range(lo, hi):
        order[c] = radix_order(xt[c], order[c], tmp, keys, keys_tmp, count)


@njit(cache=True)
def walk_sorted(xs, order, p, lim, keep_ties, dv, di):
    """Points in increasing ``(x_m - x_i)**2`` by walking outward from sorted position p.

    ``xs`` is the sorted column, ``order`` the row of each sorted position and p the
    position of i. Writes distances to ``dv`` and rows to ``di`` (non-decreasing ``dv``)
    and returns how many: ``lim`` of them, and with ``keep_ties`` also every further point
    tied with the last one.
    """
    n = xs.shape[0]
    xi = xs[p]
    lo = p - 1
    hi = p + 1
    cnt = 0
    last = -1.0
    while lo >= 0 or hi < n:
        dl = np.inf
        dr = np.inf
        if lo >= 0:
            u = xs[lo] - xi
            dl = u * u
        if hi < n:
            u = xs[hi] - xi
            dr = u * u
        if dl <= dr:
            v = dl
            m = order[lo]
            lo -= 1
        else:
            v = dr
            m = order[hi]
            hi += 1
        if cnt >= lim and (not keep_ties or v != last):
            break
        dv[cnt] = v
        di[cnt] = m
        cnt += 1
        last = v
    return cnt


@njit(cache=True)
def _tie_edge_left(xs, xi, a_lt, t):
    """First position q <= a_lt with (xs[q] - xi)**2 <= t for all of q .. a_lt - 1."""
    q = a_lt
    for _ in range(8):
        if q == 0:
            return 0
        u = xs[q - 1] - xi
        if u * u > t:
            return q
        q -= 1
    lo, hi = 0, q
    while lo < hi:
        mid = (lo + hi) // 2
        u = xs[mid] - xi
        if u * u <= t:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def _tie_edge_right(xs, xi, b_lt, t):
    """First position q >= b_lt with (xs[q] - xi)**2 > t (or n)."""
    n = xs.shape[0]
    q = b_lt
    for _ in range(8):
        if q == n:
            return n
        u = xs[q] - xi
        if u * u > t:
            return q
        q += 1
    lo, hi = q, n
    while lo < hi:
        mid = (lo + hi) // 2
        u = xs[mid] - xi
        if u * u <= t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def rank_sorted(xs, order, p, t, j, tie_random, prio):
    """rbar(i, j) in a one-dimensional space with ``t = (x_j - x_i)**2``, m != i.

    Binary searches for the edges of ``{m : (x_m - x_i)**2 < t}`` and ``<= t``: on each
    side of p the computed distance is monotone in the sorted position.
    """
    n = xs.shape[0]
    xi = xs[p]
    # Left of p the distance is non-increasing: find the first position below t / <= t.
    lo, hi = 0, p
    while lo < hi:
        mid = (lo + hi) // 2
        u = xs[mid] - xi
        if u * u < t:
            hi = mid
        else:
            lo = mid + 1
    a_lt = lo
    # The tied runs are short unless the data are discrete: step over them, then search.
    a_le = _tie_edge_left(xs, xi, a_lt, t)
    lo, hi = p + 1, n
    while lo < hi:
        mid = (lo + hi) // 2
        u = xs[mid] - xi
        if u * u < t:
            lo = mid + 1
        else:
            hi = mid
    b_lt = lo
    b_le = _tie_edge_right(xs, xi, b_lt, t)
    less = (p - a_lt) + (b_lt - p - 1)
    eq = (a_lt - a_le) + (b_le - b_lt) - 1  # j itself is one of the tied
    if not tie_random:
        return 1.0 + less + 0.5 * eq
    before = 0
    if eq > 0:
        pj = prio[j]
        for q in range(a_le, a_lt):
            before += prio[order[q]] < pj
        for q in range(b_lt, b_le):
            before += prio[order[q]] < pj
    return 1.0 + less + before


@njit(cache=True)
def _first_not(xs, xi, first, length, t, below):
    """First position q in [first, first + length) where ``(xs[q] - xi)**2 < t`` is not
    ``below`` (or first + length), the predicate holding on a prefix: a branch-free
    bisection (a select per halving instead of a mispredicted jump)."""
    while length > 0:
        half = length >> 1
        mid = first + half
        u = xs[mid] - xi
        c = (u * u < t) == below
        first = mid + 1 if c else first
        length = length - half - 1 if c else half
    return first


@njit(cache=True)
def value_buckets(xs, nb):
    """Bucket index of a sorted column ``xs`` for :func:`rank_fast`: ``starts[b]``, the
    first sorted position whose value falls in bucket b or above, for nb equal-width
    buckets between xs[0] and xs[-1] (shape (nb + 1,))."""
    n = xs.shape[0]
    starts = np.zeros(nb + 1, dtype=np.int64)
    span = xs[n - 1] - xs[0] if n > 0 else 0.0
    scale = nb / span if span > 0 else 0.0
    for q in range(n):
        starts[_bucket(xs[q], xs[0], scale, nb) + 1] += 1
    for b in range(nb):
        starts[b + 1] += starts[b]
    return starts


@njit(cache=True)
def _bucket(v, x0, scale, nb):
    """The bucket of value v (clamped to 0 .. nb - 1; 0 for a non-finite product)."""
    f = (v - x0) * scale
    if not f >= 0.0:
        return 0
    if f >= nb:
        return nb - 1
    return int(f)


@njit(cache=True)
def _first_not_from(xs, xi, first, end, g, t, below):
    """:func:`_first_not` over positions first:end, searched outward from a guess g:
    galloping to bracket the edge, then the bisection. Exact whatever the guess (the
    predicate holds on a prefix); cheap when the guess is near."""
    g = min(max(g, first), end)
    ok = False
    if g < end:
        u = xs[g] - xi
        ok = (u * u < t) == below
    if ok:
        lo = g + 1
        step = 1
        while lo + step - 1 < end:
            u = xs[lo + step - 1] - xi
            if (u * u < t) != below:
                break
            lo += step
            step *= 2
        hi = min(end, lo + step - 1)
        return _first_not(xs, xi, lo, hi - lo, t, below)
    hi = g
    step = 1
    while hi - step >= first:
        u = xs[hi - step] - xi
        if (u * u < t) == below:
            break
        hi -= step
        step *= 2
    lo = max(first, hi - step + 1)
    return _first_not(xs, xi, lo, hi - lo, t, below)


@njit(cache=True)
def rank_fast(xs, order, starts, p, pj, t, j, tie_random, prio):
    """rbar(i, j) in a one-dimensional space, i and j at sorted positions p and pj, with
    ``t = (xs[pj] - xs[p])**2``: the same counts as
    :func:`skii._pruned_kernels.rank_sorted`, decided on the same computed
    ``(x_m - x_i)**2``. On j's side of p the edge of ``{m : d(m) < t}`` is next to pj
    (every position between p and pj has d <= t); on the other side the search starts
    at the bucket (``starts``, :func:`value_buckets`) of the mirror value of x_j, near
    the edge: ~50 against ~90 ns for a full-side bisection at N = 4000.
    """
    n = xs.shape[0]
    xi = xs[p]
    nb = starts.shape[0] - 1
    span = xs[n - 1] - xs[0]
    scale = nb / span if span > 0 else 0.0
    # Left of p the distance is non-increasing in the position, right of it non-decreasing.
    if pj < p:
        a_lt = pj + 1
        if a_lt < p:
            u = xs[a_lt] - xi
            if u * u >= t:  # tied with j: the run may go on
                a_lt = _first_not(xs, xi, a_lt + 1, p - a_lt - 1, t, False)
        g = starts[_bucket(xi + (xi - xs[pj]), xs[0], scale, nb)]
        b_lt = _first_not_from(xs, xi, p + 1, n, g, t, True)
    else:
        g = starts[_bucket(xi - (xs[pj] - xi), xs[0], scale, nb)]
        a_lt = _first_not_from(xs, xi, 0, p, g, t, False)
        b_lt = pj
        if pj - 1 > p:
            u = xs[pj - 1] - xi
            if u * u >= t:
                b_lt = _first_not(xs, xi, p + 1, pj - p - 2, t, True)
    a_le = _tie_edge_left(xs, xi, a_lt, t)
    b_le = _tie_edge_right(xs, xi, b_lt, t)
    less = (p - a_lt) + (b_lt - p - 1)
    eq = (a_lt - a_le) + (b_le - b_lt) - 1  # j itself is one of the tied
    if not tie_random:
        return 1.0 + less + 0.5 * eq
    before = 0
    if eq > 0:
        pj = prio[j]
        for q in range(a_le, a_lt):
            before += prio[order[q]] < pj
        for q in range(b_lt, b_le):
            before += prio[order[q]] < pj
    return 1.0 + less + before


@njit(cache=True)
def target_rank_sum(ys, y_order, y_pos, y_start, p_y, idx, w, s, tie_random, prio):
    """sum_e w[e] rbar_y(i, idx[e]) over the s neighbours ``idx[:s]`` of the row i at
    sorted target position p_y, each rank by :func:`rank_fast` (in neighbour order, as
    the brute force sums them)."""
    tot = 0.0
    for e in range(s):
        m = idx[e]
        u = ys[y_pos[m]] - ys[p_y]
        tot += w[e] * rank_fast(ys, y_order, y_start, p_y, y_pos[m], u * u, m, tie_random,
                                prio)  # fmt: skip
    return tot


@njit(cache=True)
def _sort_ints(a, n):
    """Sort a[:n]: insertion sort for short lists, else a heapsort (long tied blocks, e.g.
    a column with few distinct values, would make insertion quadratic)."""
    if n > 32:
        sort_ints(a, n)
        return
    for q in range(1, n):
        v = a[q]
        r = q
        while r > 0 and a[r - 1] > v:
            a[r] = a[r - 1]
            r -= 1
        a[r] = v


@njit(cache=True)
def select_neighbours(dv, di, cnt, t, k, tie_random, prio, idx, w, tied):
    """k-NN weights from the scanned points ``(dv, di)[:cnt]`` whose k-th distance is t.

    Same sets, weights and order as :func:`skii._kernels.neighbours` (closer rows in index
    order, then the tied rows in index order, or by priority in random mode), so sums over
    them are bit-identical. Returns s.
    """
    n_less = 0
    n_eq = 0
    for q in range(cnt):
        v = dv[q]
        if v < t:
            idx[n_less] = di[q]
            n_less += 1
        elif v == t:
            tied[n_eq] = di[q]
            n_eq += 1
    _sort_ints(idx, n_less)
    for q in range(n_less):
        w[q] = 1.0
    remaining = k - n_less
    if not tie_random:
        _sort_ints(tied, n_eq)
        share = remaining / n_eq
        for e in range(n_eq):
            idx[n_less + e] = tied[e]
            w[n_less + e] = share
        return n_less + n_eq
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
def _sift_down(hv, hx, pos, size):
    """Restore the min-heap hv[:size] (rows in hx) below position pos."""
    v = hv[pos]
    x = hx[pos]
    while True:
        c = 2 * pos + 1
        if c >= size:
            break
        if c + 1 < size and hv[c + 1] < hv[c]:
            c += 1
        if hv[c] >= v:
            break
        hv[pos] = hv[c]
        hx[pos] = hx[c]
        pos = c
    hv[pos] = v
    hx[pos] = x


@njit(cache=True)
def _heapify(hv, hx, size):
    for pos in range(size // 2 - 1, -1, -1):
        _sift_down(hv, hx, pos, size)


@njit(cache=True)
def _sample_threshold(d, want, samp):
    """A distance below which about ``want`` of the values of d lie: the r-th smallest
    of an evenly strided sample, r <= ``samp.shape[0]`` (inf when want is a large part of
    the row: everything is then collected)."""
    n = d.shape[0]
    if n < 64 or 4 * want >= n:
        return np.inf
    stride = max(1, want // samp.shape[0])
    n_s = n // stride
    r = max(1, (n_s * want) // n)
    for q in range(r):
        samp[q] = np.inf
    for s in range(n_s):
        v = d[s * stride]
        if v < samp[r - 1]:
            q = r - 1
            while q > 0 and samp[q - 1] > v:
                samp[q] = samp[q - 1]
                q -= 1
            samp[q] = v
    return samp[r - 1]


@njit(cache=True)
def buffer_start(d, i, want, samp, hv, hx, bs):
    """Start the lazily sorted buffer of row i's smallest ``d`` (d[i] excluded): every
    d[m] <= tau goes into the min-heap ``hv``/``hx``, the sorted prefix ``bv``/``bi`` is
    empty (``bs = [prefix length, heap size, heap order made]``). Returns tau: every row
    outside the buffer has d > tau.

    The heap order is made at the first pop (:func:`_ensure_heap`): with k = 1 the shared
    walk (:func:`scan_candidates_k1`) reads the heap unsorted and most rows never pop."""
    tau = _sample_threshold(d, want, samp)
    size = append_between(d, i, -1.0, tau, hv, hx, 0)
    bs[0] = 0
    bs[1] = size
    bs[2] = 0
    return tau


@njit(cache=True)
def buffer_grow(d, i, tau, new_tau, hv, hx, bs):
    """Add every row with tau < d <= new_tau to the heap (the prefix stays sorted and
    below them)."""
    size = append_between(d, i, tau, new_tau, hv, hx, bs[1])
    bs[1] = size
    bs[2] = 0


@njit(cache=True)
def _ensure_heap(hv, hx, bs):
    """Heap order on hv[:bs[1]] (bs[2] says that it holds)."""
    if bs[2] == 0:
        _heapify(hv, hx, bs[1])
        bs[2] = 1


@njit(cache=True)
def _pop(bv, bi, hv, hx, bs):
    """Move the heap's smallest to the end of the sorted prefix."""
    _ensure_heap(hv, hx, bs)
    L = bs[0]
    h = bs[1] - 1
    bv[L] = hv[0]
    bi[L] = hx[0]
    if h > 0:
        hv[0] = hv[h]
        hx[0] = hx[h]
        _sift_down(hv, hx, 0, h)
    bs[0] = L + 1
    bs[1] = h


@njit(cache=True)
def buffer_scan(bv, bi, hv, hx, bs, tau, xr, c, use_c, i, k, dv, di, top):
    """Scan row i's buffer in increasing ``d_S`` for the k nearest in S (+ candidate
    column c of the row-major ``xr``, shape (n, n_cand)), sorting it lazily (heap pops)
    only as deep as the scan goes.

    Row-major, because a row's candidates all scan the same few buffer rows: their
    candidate values then share a few cache lines, where the columns of a (n_cand, n)
    array would each cost a miss (the scans took 40% less time at N = 4000, 51
    candidates).

    Every row outside the buffer has ``d_S > tau`` (and ``d_S >= bv[L - 1]`` when the
    heap is empty: the walk-filled buffers of |S| = 1 pass tau = -1). Returns the number
    of scanned points (in ``dv``/``di``; the k-th distance is ``top[k - 1]``), or -1 when
    the buffer ran out before the bound held and more rows are needed.
    """
    n = bv.shape[0]
    for q in range(k):
        top[q] = np.inf
    xci = xr[i, c] if use_c else 0.0
    held = bs[0] + bs[1]
    cnt = 0
    q = 0
    while True:
        if q == bs[0]:
            if bs[1] == 0:
                break
            _pop(bv, bi, hv, hx, bs)
        ds = bv[q]
        if ds > top[k - 1]:
            return cnt  # every unscanned point has d >= d_S > t
        m = bi[q]
        if use_c:
            u = xr[m, c] - xci
            v = ds + u * u
        else:
            v = ds
        dv[cnt] = v
        di[cnt] = m
        cnt += 1
        if v < top[k - 1]:
            r = k - 1
            while r > 0 and top[r - 1] > v:
                top[r] = top[r - 1]
                r -= 1
            top[r] = v
        q += 1
    t = top[k - 1]
    if held >= n - 1 or tau >= t or (q > 0 and bv[q - 1] > t):
        return cnt
    return -1


@njit(cache=True)
def shared_scan_scratch(n_cand):
    """Scratch of :func:`scan_candidates_k1` for ``n_cand`` candidates: ``(xi, best, arg,
    neq, done)``."""
    return (np.empty(n_cand), np.empty(n_cand), np.empty(n_cand, dtype=np.int64),
            np.empty(n_cand, dtype=np.int64), np.zeros(n_cand, dtype=np.bool_))


@njit(cache=True)
def scan_candidates_k1(bv, bi, hv, hx, bs, tau, xr, i, xi, best, arg, neq, done):
    """Row i's nearest neighbour in S + c for every candidate c at once (k = 1): one walk
    over the buffer, each point updating every candidate from its row of the row-major
    ``xr`` (n, n_cand), a loop the compiler vectorises.

    The sorted prefix (a walk-filled buffer, |S| = 1) is walked in increasing ``d_S``
    and the walk stops at the first ``d_S`` above every candidate's best; the heap part
    is read as it lies, unsorted and whole: sorting it cost more than the points a
    sorted walk would skip (a step at N = 4000, 1 thread: 137 against 168 ms at |S| = 2,
    76 against 95 ms at |S| = 3, the same from |S| = 5 on).

    ``xi`` is scratch (n_cand,). On return ``best[c]`` is the smallest ``d`` seen for c,
    ``arg[c]`` its row (few distinct rows, ~8-17 for 51 candidates, so the caller looks
    up each one's target rank once) and ``neq[c]`` how many points reached it (ties);
    ``done[c]`` says that the buffer proves it: every point outside it has ``d >= d_S >
    best[c]``. A candidate with ties or an unproven bound is left to the per-candidate
    scan, which handles both exactly.
    """
    n = bv.shape[0]
    n_cand = xr.shape[1]
    for c in range(n_cand):
        xi[c] = xr[i, c]
        best[c] = np.inf
        arg[c] = -1
        neq[c] = 0
    held = bs[0] + bs[1]
    # best >= 0: its bit patterns order as the values do, and an integer maximum
    # vectorises (a float one does not, without fast-math).
    best_bits = best.view(np.int64)
    top_word = np.empty(1, dtype=np.int64)
    top_float = top_word.view(np.float64)
    top = np.inf
    for q in range(bs[0]):
        ds = bv[q]
        if ds > top:
            for c in range(n_cand):
                done[c] = True
            return
        _update_best(xr[bi[q]], bi[q], ds, xi, best, arg, neq)
        top_bits = 0
        for c in range(n_cand):
            top_bits = max(top_bits, best_bits[c])
        top_word[0] = top_bits
        top = top_float[0]
    # Two points per pass over the candidates: half the loads and stores of the running
    # bests (a step at N = 4000, 1 thread: 54.8 against 59.7 ms at |S| = 5).
    size = bs[1]
    q = 0
    while q + 1 < size:
        _update_best2(xr[hx[q]], hx[q], hv[q], xr[hx[q + 1]], hx[q + 1], hv[q + 1], xi, best,
                      arg, neq)  # fmt: skip
        q += 2
    if q < size:
        _update_best(xr[hx[q]], hx[q], hv[q], xi, best, arg, neq)
    # The buffer ran out: the bound holds where the rows beyond it are provably farther.
    last = bv[bs[0] - 1] if bs[0] > 0 and bs[1] == 0 else -np.inf
    for c in range(n_cand):
        b = best[c]
        done[c] = held >= n - 1 or tau >= b or last > b


@njit(cache=True, inline="always")
def _update_best2(row, m, ds, row2, m2, ds2, xi, best, arg, neq):
    """:func:`_update_best` with point m, then point m2, in one pass."""
    for c in range(row.shape[0]):
        x = xi[c]
        u = row[c] - x
        v = ds + u * u
        u2 = row2[c] - x
        v2 = ds2 + u2 * u2
        b = best[c]
        e = neq[c]
        a = arg[c]
        lt = v < b
        e = 1 if lt else e + (v == b)
        a = m if lt else a
        b = v if lt else b
        lt2 = v2 < b
        e = 1 if lt2 else e + (v2 == b)
        a = m2 if lt2 else a
        b = v2 if lt2 else b
        neq[c] = e
        arg[c] = a
        best[c] = b


@njit(cache=True, inline="always")
def _update_best(row, m, ds, xi, best, arg, neq):
    """Point m (d_S = ds, candidate values ``row``) into every candidate's best."""
    for c in range(row.shape[0]):
        u = row[c] - xi[c]
        v = ds + u * u
        b = best[c]
        lt = v < b
        neq[c] = 1 if lt else neq[c] + (v == b)
        arg[c] = m if lt else arg[c]
        best[c] = v if lt else b


@njit(cache=True)
def row_buffer(n_sel, ss, s_order, p_s, d_s, i, n_buf, samp, bv, bi, hv, hx, bs):
    """Start row i's buffer: with |S| = 1 an outward walk of ``n_buf`` points in the
    sorted column (from sorted position p_s; d_S unused), else :func:`buffer_start` on
    ``d_s``. Returns tau (-1 for a walk: see :func:`buffer_scan`)."""
    if n_sel == 1:
        bs[0] = walk_sorted(ss, s_order, p_s, n_buf, False, bv, bi)
        bs[1] = 0
        return -1.0
    return buffer_start(d_s, i, n_buf, samp, hv, hx, bs)


@njit(cache=True)
def buffer_refill(n_sel, walked, ss, s_order, p_s, n_buf, n_buf_max, d_s, i, tau, t, bv, bi,
                  hv, hx, bs):
    """More rows into row i's buffer after a scan ran out of it (t: the k-th distance it
    found): with |S| = 1 one walk of ``n_buf_max`` points, else every d_S up to 2 t.
    Returns ``(tau, walked, ok)``; ok is false when a full scan is the cheaper answer (the
    long walk was taken already, or the buffer would hold more than n / _WIDE rows)."""
    if n_sel == 1:
        if walked or n_buf_max <= n_buf:
            return tau, walked, False
        bs[0] = walk_sorted(ss, s_order, p_s, n_buf_max, False, bv, bi)
        return tau, True, True
    new_tau = 2.0 * t
    buffer_grow(d_s, i, tau, new_tau, hv, hx, bs)
    return new_tau, walked, bs[0] + bs[1] <= d_s.shape[0] // _WIDE


@njit(cache=True)
def nearest_full_scan(d_s, xc, i, tie_random, prio, d, idx, w, top, tied, dv, di):
    """Row i's nearest neighbour (k = 1) in S + c by a full scan, into idx, w; returns
    their number, as :func:`skii._kernels.neighbours` on ``d = d_S + u * u``.

    One pass computes d (as the brute force does) and its minimum t over the bit
    patterns (non-negative doubles order like their int64 views: a vectorised integer
    minimum); the rows at t are then packed by :func:`skii._simd.append_between` over
    (t's predecessor, t] (``dv``/``di`` scratch). Only when several tie does the general
    selection run. A full scan cost 2.1 against 3.6 us at N = 4000.
    """
    n = d_s.shape[0]
    xci = xc[i]
    bits = d.view(np.int64)
    tb = _INT64_MAX
    for m in range(n):
        u = xc[m] - xci
        d[m] = d_s[m] + u * u
        tb = min(tb, bits[m])
    t = _bits_to_float(tb)
    below = _bits_to_float(tb - 1) if tb > 0 else -1.0
    if append_between(d, i, below, t, dv, di, 0) == 1:
        idx[0] = di[0]
        w[0] = 1.0
        return 1
    return neighbours(d, i, 1, tie_random, prio, idx, w, top, tied)


@njit(cache=True)
def candidate_neighbours(n_sel, walked, ss, s_order, p_s, n_buf, n_buf_max, st, d_s, have_ds,
                         d, i, tau, cr, c, xc, k, tie_random, prio_s, bv, bi, hv, hx, bs, dv,
                         di, top, idx, w, tied, direct):
    """Row i's k nearest neighbours in S + c (column c: ``cr[:, c]`` = ``xc``) into idx, w,
    for both pruned kernels: the buffer scan, the buffer refilled (:func:`buffer_refill`)
    while its bound fails, else (or at once, with ``direct``) a full scan, exactly as the
    brute-force kernel; ``d_s`` is computed from ``st`` first if ``have_ds`` is false.

    Returns ``(s, tau, walked, have_ds, fails)``, fails = refills plus full scans.
    """
    yes = k > 0  # a non-literal True (see pruned_forward_rows)
    fails = 0
    if direct:
        cnt = -1
        fails += 1
    else:
        cnt = buffer_scan(bv, bi, hv, hx, bs, tau, cr, c, yes, i, k, dv, di, top)
    while cnt < 0 and not direct:
        # The buffer ran out before the bound held: more rows into it.
        fails += 1
        if not have_ds and n_sel >= 2:
            sq_dist_row(st, i, d_s)
            d_s[i] = np.inf
            have_ds = True
        tau, walked, ok = buffer_refill(n_sel, walked, ss, s_order, p_s, n_buf, n_buf_max,
                                        d_s, i, tau, top[k - 1], bv, bi, hv, hx, bs)
        if not ok:
            break
        cnt = buffer_scan(bv, bi, hv, hx, bs, tau, cr, c, yes, i, k, dv, di, top)
    if cnt >= 0:
        s = select_neighbours(dv, di, cnt, top[k - 1], k, tie_random, prio_s, idx, w, tied)
        return s, tau, walked, have_ds, fails
    if not have_ds:
        sq_dist_row(st, i, d_s)
        d_s[i] = np.inf
        have_ds = True
    if k == 1:
        s = nearest_full_scan(d_s, xc, i, tie_random, prio_s, d, idx, w, top, tied, dv, di)
        return s, tau, walked, have_ds, fails
    n = d_s.shape[0]
    xci = xc[i]
    for m in range(n):
        u = xc[m] - xci
        d[m] = d_s[m] + u * u
    s = neighbours(d, i, k, tie_random, prio_s, idx, w, top, tied)
    return s, tau, walked, have_ds, fails


@njit(cache=True)
def cover_prefix(bv, bi, hv, hx, bs, tau_b, tau, cap, covered):
    """Sort a row's buffer (heap pops) until its prefix holds every point with ``d_S <=
    tau[c]`` for as many candidates as a prefix of at most ``cap`` points can serve.

    ``covered[c]`` says whether it does for c: the rows outside the prefix are provably
    farther (the heap's smallest is above tau[c], and so is every row outside the buffer:
    tau[c] <= the buffer's threshold ``tau_b``, the buffer holds every row, or, for a
    walk-filled buffer, its last sorted value is above tau[c]). Returns the prefix length
    that serves every covered candidate (the points up to the largest covered tau).
    """
    n = bv.shape[0]
    n_cand = tau.shape[0]
    full = bs[0] + bs[1] >= n - 1
    # Only the candidates whose tau the buffer can cover ask for a sorted prefix: with a
    # heap-filled buffer, a tau above its threshold never is (~97% of them in the late
    # steps, whose pops up to the largest tau cost a sixth of the step).
    t_max = -np.inf
    for c in range(n_cand):
        x = tau[c]
        if full or x <= tau_b or bs[1] == 0:
            t_max = max(t_max, x)
    if t_max == -np.inf:
        for c in range(n_cand):
            covered[c] = False
        return 0
    if bs[1] > 0:
        _ensure_heap(hv, hx, bs)
    while bs[1] > 0 and hv[0] <= t_max and bs[0] < cap:
        _pop(bv, bi, hv, hx, bs)
    L = bs[0]
    h0 = hv[0] if bs[1] > 0 else np.inf
    last = bv[L - 1] if L > 0 else -np.inf
    c_max = -np.inf
    for c in range(n_cand):
        x = tau[c]
        ok = h0 > x and (full or x <= tau_b or last > x)
        covered[c] = ok
        if ok and x > c_max:
            c_max = x
    lo, hi = 0, L
    while lo < hi:
        mid = (lo + hi) >> 1
        if bv[mid] <= c_max:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def merge_walk(xs, order, p, dv, di):
    """Every other point in non-decreasing ``(x_m - x_i)**2`` (i at sorted position p):
    the outward walk of :func:`walk_sorted` to the end, as a branch-free merge of the two
    sides. Returns n - 1."""
    n = xs.shape[0]
    xi = xs[p]
    lo = p - 1
    hi = p + 1
    c = 0
    while lo >= 0 and hi < n:
        ul = xs[lo] - xi
        ur = xs[hi] - xi
        dl = ul * ul
        dr = ur * ur
        left = dl <= dr
        dv[c] = dl if left else dr
        di[c] = order[lo] if left else order[hi]
        c += 1
        lo -= left
        hi += 1 - left
    while lo >= 0:
        u = xs[lo] - xi
        dv[c] = u * u
        di[c] = order[lo]
        c += 1
        lo -= 1
    while hi < n:
        u = xs[hi] - xi
        dv[c] = u * u
        di[c] = order[hi]
        c += 1
        hi += 1
    return c


@njit(cache=True)
def _ranks_in_target(ys, y_order, y_pos, y_start, p_i, idx, w, s, tie_random, prio_t, memo_m,
                     memo_r, yrow, ystate, dv, di):
    """sum_q w[q] rbar_y(i, idx[q]) in the sorted 1-D target.

    Per row (``memo_m[:] = -1``, ``ystate = [0, 0, budget]`` at its start): a few ranks
    remembered, the others by binary search; after ``budget`` searches the row's whole
    rank row ``yrow`` is built from one outward merge (O(n), then every lookup O(1)).
    ``dv``/``di`` are scratch.
    """
    tot = 0.0
    if ystate[1] == 1:
        for q in range(s):
            tot += w[q] * yrow[idx[q]]
        return tot
    yi = ys[p_i]
    for q in range(s):
        m = idx[q]
        slot = m % _MEMO
        if memo_m[slot] == m:
            r = memo_r[slot]
        else:
            ystate[0] += 1
            if ystate[0] > ystate[2]:
                cnt = merge_walk(ys, y_order, p_i, dv, di)
                rank_sorted_run(dv, di, cnt, tie_random, prio_t, yrow)
                ystate[1] = 1
                tot = 0.0
                for q2 in range(s):
                    tot += w[q2] * yrow[idx[q2]]
                return tot
            u = ys[y_pos[m]] - yi
            r = rank_fast(ys, y_order, y_start, p_i, y_pos[m], u * u, m, tie_random, prio_t)
            memo_m[slot] = m
            memo_r[slot] = r
        tot += w[q] * r
    return tot


@njit(nogil=True, cache=True, error_model="numpy")
def pruned_forward_rows(
    lo,
    hi,
    st,
    ct,
    cr,
    cs,
    c_order,
    c_pos,
    ss,
    s_order,
    s_pos,
    g_rows,
    g_tp,
    g_tc,
    g_start,
    g_edges,
    g_sizes,
    g_pos,
    ys,
    y_order,
    y_pos,
    y_start,
    k,
    tie_random,
    prio_s,
    prio_t,
    n_buf,
    n_buf_max,
    record,
    defer,
    fwd,
    rec_st,
    rec_ts,
    fallbacks,
):
    """Rows lo:hi of the row contributions of every candidate for one supervised forward
    step, 1-D target (the caller runs the row ranges on threads:
    :func:`skii._parallel.run_row_chunks`).

    st: (n_selected, n) the subset S, columns in feature-index order; ct: (n_cand, n) the
    candidates, and ``cr`` the same row-major (n, n_cand), for the buffer scans (with k =
    1 and ``record``, (n, n_cand + 1): a last column of zeros, the lane of S itself in the
    shared walk, which then finds the recorded row's neighbour with the candidates'). With
    |S| = 0, ``cs``, ``c_order``, ``c_pos`` (n_cand, n) are the sorted candidate columns,
    the row at each sorted position and the sorted position of each row;
    with |S| = 1, ``ss``, ``s_order``, ``s_pos`` (n,) the same for the selected column;
    ``ys``, ``y_order``, ``y_pos`` for the target. A row's buffer aims at ``n_buf`` (<= n -
    1) points (:func:`buffer_start`); with |S| = 1 it is a walk of ``n_buf`` points,
    ``n_buf_max`` (>= n_buf) after the row's first failure.

    fwd[i, c]: contribution of row i to Delta(S + c -> y), as
    :func:`skii._kernels.greedy_candidate_rows`. With ``record`` (|S| >= 1), rec_st[i] and
    rec_ts[i]: contributions to Delta(X_S -> y) and Delta(y -> X_S) of S itself (the row
    the path records for the previous step, fused into this pass), as
    :func:`skii._kernels.imbalance_rows`. fallbacks[i]: full scans row i needed. With
    ``defer`` (k = 1), a candidate that the shared walk leaves unproven gets fwd[i, c] = -1
    instead of a full scan, and the caller searches it in the candidate's cell grid
    (:func:`skii._grid_kernels.grid_forward_rows`).
    """
    n = ct.shape[1]
    n_cand = ct.shape[0]
    n_sel = st.shape[0]
    d_s = np.empty(n)
    d = np.empty(n)
    dv = np.empty(n)
    di = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    tied = np.empty(n, dtype=np.int64)
    rrow = np.empty(n)
    top = np.empty(k)
    memo_m = np.empty(_MEMO, dtype=np.int64)
    memo_r = np.empty(_MEMO)
    yrow = np.empty(n)
    ystate = np.zeros(3, dtype=np.int64)
    bv = np.empty(n)
    bi = np.empty(n, dtype=np.int64)
    hv = np.empty(n)
    hx = np.empty(n, dtype=np.int64)
    bs = np.zeros(3, dtype=np.int64)
    samp = np.empty(_SAMPLE_RANK)
    g_q = np.empty(2)
    g_cc = np.empty(2, dtype=np.int64)
    # Non-literal True and 0 (k >= 1) for buffer_scan's flag and column: literals would
    # compile a second version of it.
    yes = k > 0
    zero = k - k
    # k = 1 with the recorded row: cr carries one more column, of zeros, whose lane in the
    # shared walk finds the nearest neighbour in S itself (d = d_S + 0).
    own = k == 1 and record and cr.shape[1] == n_cand + 1
    xi_c, best, arg, neq, done = shared_scan_scratch(cr.shape[1])
    # Target rank of each row already looked up for this row i (-1: not yet).
    q_rank = np.full(n, -1.0)
    touched = np.empty(n_cand + 1, dtype=np.int64)
    for i in range(lo, hi):
        p_y = y_pos[i]
        fallbacks[i] = 0
        memo_m[:] = -1
        ystate[0] = 0
        ystate[1] = 0
        ystate[2] = n // _ROW_AFTER[0 if n_sel == 0 else 1]
        if n_sel == 0:
            # First step: every candidate space is one-dimensional.
            for c in range(n_cand):
                cnt = walk_sorted(cs[c], c_order[c], c_pos[c, i], k, True, dv, di)
                s = select_neighbours(
                    dv, di, cnt, dv[k - 1], k, tie_random, prio_s, idx, w, tied
                )
                tot = _ranks_in_target(ys, y_order, y_pos, y_start, p_y, idx, w, s, tie_random,
                                       prio_t, memo_m, memo_r, yrow, ystate, dv, di)
                fwd[i, c] = tot / k
            continue
        # With |S| = 1 the buffer is an outward walk in the sorted column, with a grid on
        # S the block of cells around i (no d_S row either way, unless a full scan or the
        # recorded row needs it).
        p_s = s_pos[i] if n_sel == 1 else 0
        on_grid = g_pos.shape[0] > 0
        have_ds = n_sel >= 2 and not on_grid
        if have_ds:
            sq_dist_row(st, i, d_s)
            d_s[i] = np.inf  # i is never its own neighbour
        if on_grid:
            tau = block_buffer(g_rows, g_tp, g_tc, g_start, g_edges, g_sizes, g_pos[i], g_q,
                               g_cc, hv, hx, bs)  # fmt: skip
        else:
            tau = row_buffer(n_sel, ss, s_order, p_s, d_s, i, n_buf, samp, bv, bi, hv, hx, bs)
        # False, typed bool: a literal False would compile a second version of callees.
        walked = n_sel < 0
        if k == 1 and (n_cand > 0 or own):
            scan_candidates_k1(bv, bi, hv, hx, bs, tau, cr, i, xi_c, best, arg, neq, done)
        n_touched = 0
        for c in range(n_cand):
            if k == 1 and done[c] and neq[c] == 1:
                # The common case: one nearest neighbour, proven by the shared walk; its
                # target rank is looked up once per neighbour row.
                q = arg[c]
                r = q_rank[q]
                if r < 0.0:
                    touched[n_touched] = q
                    n_touched += 1
                    # A search of its own: the per-row memo of _ranks_in_target would only
                    # repeat q_rank's, at twice the cost (0.7 against 1.4 us per row at
                    # |S| = 7, N = 4000).
                    u = ys[y_pos[q]] - ys[p_y]
                    r = rank_fast(ys, y_order, y_start, p_y, y_pos[q], u * u, q, tie_random,
                                  prio_t)  # fmt: skip
                    q_rank[q] = r
                fwd[i, c] = r
                continue
            # With k = 1 a candidate the shared walk ran out of buffer for takes a full scan
            # at once: cheaper than growing the buffer for it and scanning again (a step at
            # N = 4000, 1 thread: 88 against 64 ms at |S| = 8, 145 against 112 at |S| = 1).
            direct = k == 1 and not done[c]
            if direct and defer:
                fwd[i, c] = -1.0  # left to the candidate's cell grid (the caller's)
                continue
            s, tau, walked, have_ds, fails = candidate_neighbours(
                n_sel, walked, ss, s_order, p_s, n_buf, n_buf_max, st, d_s, have_ds, d, i, tau,
                cr, c, ct[c], k, tie_random, prio_s, bv, bi, hv, hx, bs, dv, di, top, idx, w,
                tied, direct,
            )
            fallbacks[i] += fails
            tot = _ranks_in_target(ys, y_order, y_pos, y_start, p_y, idx, w, s, tie_random, prio_t,
                                   memo_m, memo_r, yrow, ystate, dv, di)
            fwd[i, c] = tot / k
        if record and own and done[n_cand] and neq[n_cand] == 1:
            # Delta(X_S -> y), k = 1: the own lane's single nearest neighbour, proven.
            q = arg[n_cand]
            r = q_rank[q]  # often one of the candidates' neighbours
            if r < 0.0:
                u = ys[y_pos[q]] - ys[p_y]
                r = rank_fast(ys, y_order, y_start, p_y, y_pos[q], u * u, q, tie_random, prio_t)
            rec_st[i] = r
        elif record:
            # Delta(X_S -> y): the neighbours in S are the head of the buffer.
            cnt = buffer_scan(bv, bi, hv, hx, bs, tau, cr, zero, not yes, i, k, dv, di, top)
            if cnt >= 0:
                s = select_neighbours(dv, di, cnt, top[k - 1], k, tie_random, prio_s, idx, w,
                                      tied)  # fmt: skip
            else:
                fallbacks[i] += 1
                if not have_ds:
                    sq_dist_row(st, i, d_s)
                    d_s[i] = np.inf
                    have_ds = True
                s = neighbours(d_s, i, k, tie_random, prio_s, idx, w, top, tied)
            tot = _ranks_in_target(ys, y_order, y_pos, y_start, p_y, idx, w, s, tie_random,
                                   prio_t, memo_m, memo_r, yrow, ystate, dv, di)
            rec_st[i] = tot / k
        for e in range(n_touched):
            q_rank[touched[e]] = -1.0
        if not record:
            continue
        # Delta(y -> X_S): target neighbours from the sorted target, ranks in S.
        cnt = walk_sorted(ys, y_order, p_y, k, True, dv, di)
        s = select_neighbours(dv, di, cnt, dv[k - 1], k, tie_random, prio_t, idx, w, tied)
        if n_sel == 1:
            xi = ss[p_s]
            tot = 0.0
            for q in range(s):
                m = idx[q]
                u = ss[s_pos[m]] - xi
                tot += w[q] * rank_sorted(ss, s_order, p_s, u * u, m, tie_random, prio_s)
        else:
            if not have_ds:
                sq_dist_row(st, i, d_s)
                d_s[i] = np.inf
            tot = weighted_rank(d_s, i, idx, w, s, tie_random, prio_s, rrow)
        rec_ts[i] = tot / k
