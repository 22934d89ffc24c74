"""numba kernels for the unsupervised greedy forward path, pruned (exact).

Which kernel serves which case
------------------------------
* ``unsup_forward_rows`` (this module): every forward step of the *unsupervised* path
  (target space = the full X), any k >= 1, average or random ties, per group (the caller
  calls it once per group). It returns the very same row contributions as
  :func:`skii._kernels.greedy_candidate_rows` with ``backward=True`` and, for the
  recorded imbalances of the subset itself, as :func:`skii._kernels.imbalance_rows`
  (same neighbour sets, same ranks, same summation order), only cheaper.
* ``full_space_rows`` / ``full_neighbour_rows`` (this module): what the full space
  contributes and never changes along the path, built once per group: each row's k
  nearest neighbours in the full X and, when the caller's memory budget allows (an
  (n, n) float32 matrix per group), every full-X rank ``R[i, m]``. Without that cache the
  step kernel recomputes a row's full-X distances and counts its ranks (memoised).
* Brute force (:mod:`skii._kernels`) stays the reference (``skii._imbalance._PRUNED =
  False``) and serves multi-output supervised targets; within this kernel, any (row,
  candidate) whose forward pruning bound fails falls back to a full scan, and every
  backward rank whose threshold lies beyond the row's buffer is counted by a full pass.

Why it is exact
---------------
Candidate space S + j: ``d(m) = d_S(m) + (x_mj - x_ij)^2 >= d_S(m)``, computed exactly as
the brute-force kernel computes it (``d_S[m] + u * u``).

* Delta(X_S+j -> X) needs the k nearest neighbours of i in S + j (the pruned scan of
  :mod:`skii._pruned_kernels` over the sorted buffer of the smallest ``d_S``) and their
  full-X ranks: the same for every step, so looked up in ``R``.
* Delta(X -> X_S+j) needs, for each of i's fixed full-X neighbours t, the rank of t in
  S + j: the number of m with ``d(m) < tau = d(t)`` (and ``== tau``). Only points with
  ``d_S(m) <= tau`` can count; for the candidates whose tau the buffer covers (every
  point outside it has ``d_S > tau``) within a prefix of at most N / 5 points, one walk
  down that prefix counts for all of them at once (:func:`count_prefix`); the others take
  one full pass each. Early steps have large ranks (the full-X neighbours of i are far in
  a small S), so on unstructured data most backward ranks take the full pass; it is still
  one pass per (row, candidate) instead of the brute force's three to four.
* |S| = 0: every candidate space is one-dimensional; neighbours by walking outward in the
  sorted column (a block of more than ``_TIED_MAX`` tied rows: one scan of the column),
  ranks by binary search (:func:`skii._pruned_kernels.rank_sorted`).
* The recorded imbalances of S itself (both directions) come from the next step's pass
  over the same rows (the buffer gives S's neighbours, one count over ``d_S`` each fixed
  neighbour's rank), so the path needs no separate pass for them.

Memory: O(N) scratch per thread, plus the optional bounded full-X rank cache.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kernels import (
    neighbours,
    radix_order,
    rank_by_counting,
    rank_row_ordered,
    sq_dist_row,
)
from ._pruned_kernels import (
    _SAMPLE_RANK,
    buffer_scan,
    candidate_neighbours,
    cover_prefix,
    rank_sorted,
    row_buffer,
    scan_candidates_k1,
    select_neighbours,
    shared_scan_scratch,
    walk_sorted,
)

# Without the rank cache: full-X ranks counted one by one (O(N) each) until this many
# distinct ones were needed in a row, then the whole rank row from one radix sort (which
# costs about that many counting passes).
_COUNT_MAX = 64
# First step: a walk that found more tied neighbours than this scans the column instead.
_TIED_MAX = 64
# The backward ranks of a row's candidates are counted over its buffer's sorted prefix of at
# most n / _PREFIX_MAX points (one walk for all candidates, :func:`count_prefix`); a
# candidate whose threshold lies beyond it takes a full pass. Measured before the shared
# walk: a second, larger sorted buffer per row (~N / 5 smallest d_S, radix-sorted) served
# 80% of the late-step ranks but cost more than the full passes it saved.
_PREFIX_MAX = 5


@njit(nogil=True, cache=True, error_model="numpy")
def full_space_rows(
    lo,
    hi,
    xt,
    k,
    tie_random,
    prio_t,
    cached,
    rank,
    nb_idx,
    nb_w,
    s_cnt,
):
    """Per row i of the full space ``xt`` (n_features, n): its k nearest neighbours (as
    :func:`skii._kernels.neighbours`: s_cnt[i] of them, the first min(s, k) written to
    nb_idx[i], nb_w[i]) and, with ``cached``, rank[i, m] = rbar(i, m) (float32: ranks are
    multiples of 1/2 below 2^23, exact) as :func:`skii._kernels.rank_row`.

    Rows lo:hi only (the caller runs the row ranges on threads:
    :func:`skii._parallel.run_row_chunks`)."""
    n = xt.shape[1]
    d = np.empty(n)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    rrow = np.empty(n)
    top = np.empty(k)
    tied = np.empty(n, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    tmp = np.empty(n, dtype=np.int64)
    keys = np.empty(n, dtype=np.int64)
    keys_tmp = np.empty(n, dtype=np.int64)
    count = np.empty(257, dtype=np.int64)
    for i in range(lo, hi):
        sq_dist_row(xt, i, d)
        d[i] = np.inf
        s = neighbours(d, i, k, tie_random, prio_t, idx, w, top, tied)
        s_cnt[i] = s
        for q in range(min(s, k)):
            nb_idx[i, q] = idx[q]
            nb_w[i, q] = w[q]
        if cached:
            srt = radix_order(d, order, tmp, keys, keys_tmp, count)
            rank_row_ordered(d, i, srt, tie_random, prio_t, rrow)
            for m in range(n):
                rank[i, m] = rrow[m]


@njit(nogil=True, cache=True, error_model="numpy")
def full_neighbour_rows(
    lo,
    hi,
    xt,
    rows,
    k,
    tie_random,
    prio_t,
    ptr,
    t_idx,
    t_w,
):
    """The full-X neighbours of the given rows (those with more than k, i.e. ties at the
    k-th distance) into t_idx[ptr[i]:ptr[i + 1]], t_w[...].

    Entries lo:hi of ``rows`` only (the caller runs the row ranges on threads:
    :func:`skii._parallel.run_row_chunks`)."""
    n = xt.shape[1]
    d = np.empty(n)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    top = np.empty(k)
    tied = np.empty(n, dtype=np.int64)
    for r in range(lo, hi):
        i = rows[r]
        sq_dist_row(xt, i, d)
        d[i] = np.inf
        s = neighbours(d, i, k, tie_random, prio_t, idx, w, top, tied)
        for q in range(s):
            t_idx[ptr[i] + q] = idx[q]
            t_w[ptr[i] + q] = w[q]


@njit(cache=True)
def _full_rank(i, m, cached, rank, d_t, tie_random, prio_t, rk, state):
    """rbar_X(i, m): from the cache, else memoised counting in the row's d_t (state[0]:
    how many were counted, state[1]: 1 once rk holds the whole row)."""
    if cached:
        return np.float64(rank[i, m])
    if state[1] == 0 and rk[m] < 0.0:
        if state[0] < _COUNT_MAX:
            rk[m] = rank_by_counting(d_t, i, m, tie_random, prio_t)
            state[0] += 1
        else:
            n = d_t.shape[0]
            order = np.empty(n, dtype=np.int64)
            tmp = np.empty(n, dtype=np.int64)
            keys = np.empty(n, dtype=np.int64)
            keys_tmp = np.empty(n, dtype=np.int64)
            count = np.empty(257, dtype=np.int64)
            srt = radix_order(d_t, order, tmp, keys, keys_tmp, count)
            rank_row_ordered(d_t, i, srt, tie_random, prio_t, rk)
            state[1] = 1
    return rk[m]


@njit(cache=True)
def _count_full(d_s, xc, xci, tau, t, i, tie_random, prio):
    """rbar(i, t) in S + c with tau = d(t), by one pass over every m (as
    :func:`skii._kernels.rank_by_counting` on d = d_s + u^2; d_s[i] = +inf)."""
    n = d_s.shape[0]
    less = 0
    eq = 0
    for m in range(n):
        u = xc[m] - xci
        v = d_s[m] + u * u
        less += v < tau
        eq += v == tau
    eq -= 1  # t itself
    if not tie_random:
        return 1.0 + less + 0.5 * eq
    before = 0
    if eq > 0:
        pt = prio[t]
        for m in range(n):
            u = xc[m] - xci
            v = d_s[m] + u * u
            if v == tau and m != t and prio[m] < pt:
                before += 1
    return 1.0 + less + before


@njit(cache=True)
def _count_buffer(bv, bi, xr, c, xci, tau, t, tie_random, prio):
    """The same from the sorted buffer prefix bv[:P] = every d_S <= tau (t among them);
    the candidate is column c of the row-major ``xr`` (see
    :func:`skii._pruned_kernels.buffer_scan`)."""
    less = 0
    eq = 0
    for q in range(bv.shape[0]):
        u = xr[bi[q], c] - xci
        v = bv[q] + u * u
        less += v < tau
        eq += v == tau
    eq -= 1  # t itself
    if not tie_random:
        return 1.0 + less + 0.5 * eq
    before = 0
    if eq > 0:
        pt = prio[t]
        for q in range(bv.shape[0]):
            m = bi[q]
            u = xr[m, c] - xci
            v = bv[q] + u * u
            if v == tau and m != t and prio[m] < pt:
                before += 1
    return 1.0 + less + before


@njit(cache=True)
def count_prefix(bv, bi, n_pre, xr, xi, tau, less, eq):
    """For every candidate c (column c of the row-major ``xr``, shape (n, n_cand)): how
    many of the buffer's first ``n_pre`` sorted points have ``d = d_S + u^2 < tau[c]``
    (``less[c]``) and ``== tau[c]`` (``eq[c]``), u = xr[m, c] - xi[c].

    One walk down the prefix, each point updating every candidate from one contiguous row
    (a vectorised loop), instead of one gathered walk per candidate. Exact for every c
    whose own prefix (every buffer point with ``d_S <= tau[c]``) is at most ``n_pre``
    long: the points beyond it have ``d >= d_S > tau[c]`` and add nothing.
    """
    n_cand = xr.shape[1]
    for c in range(n_cand):
        less[c] = 0
        eq[c] = 0
    for q in range(n_pre):
        ds = bv[q]
        m = bi[q]
        for c in range(n_cand):
            u = xr[m, c] - xi[c]
            v = ds + u * u
            less[c] += v < tau[c]
            eq[c] += v == tau[c]


@njit(nogil=True, cache=True, error_model="numpy")
def unsup_forward_rows(
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
    xt,
    cached,
    rank,
    t_ptr,
    t_idx,
    t_w,
    k,
    tie_random,
    prio_s,
    prio_t,
    n_buf,
    n_buf_max,
    record,
    fwd,
    bwd,
    rec_sf,
    rec_fs,
    counts,
):
    """Row contributions of every candidate for one unsupervised forward step.

    st: (n_selected, n) the subset S, columns in feature-index order; ct: (n_cand, n) the
    candidates; ``cs``, ``c_order``, ``c_pos`` (|S| = 0) and ``ss``, ``s_order``, ``s_pos``
    (|S| = 1) as in :func:`skii._pruned_kernels.pruned_forward_rows`; xt: (n_features, n)
    the full X (used only without the cache); ``rank``, ``t_ptr``, ``t_idx``, ``t_w``:
    the full-X ranks (with ``cached``) and neighbours of :func:`full_space_rows`.

    fwd[i, c], bwd[i, c]: contributions of row i to Delta(S + c -> X) and Delta(X -> S +
    c), as :func:`skii._kernels.greedy_candidate_rows` with ``backward=True``. With
    ``record`` (|S| >= 1), rec_sf[i] and rec_fs[i]: contributions to Delta(X_S -> X) and
    Delta(X -> X_S) of S itself, as :func:`skii._kernels.imbalance_rows`.
    counts[i, 0]: forward full scans (pruning bound failed); counts[i, 1]: backward ranks
    counted by a full pass.

    Rows lo:hi only (the caller runs the row ranges on threads:
    :func:`skii._parallel.run_row_chunks`)."""
    n = ct.shape[1]
    n_cand = ct.shape[0]
    n_sel = st.shape[0]
    d_s = np.empty(n)
    d = np.empty(n)
    d_t = np.empty(n)
    rk = np.empty(n)
    state = np.zeros(2, dtype=np.int64)
    dv = np.empty(n)
    di = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    idx_t = np.empty(n, dtype=np.int64)
    w_t = np.empty(n)
    tied = np.empty(n, dtype=np.int64)
    top = np.empty(k)
    bv = np.empty(n)
    bi = np.empty(n, dtype=np.int64)
    hv = np.empty(n)
    hx = np.empty(n, dtype=np.int64)
    bs = np.zeros(3, dtype=np.int64)
    samp = np.empty(_SAMPLE_RANK)
    # Non-literal True and 0 (k >= 1) for buffer_scan's flag and column: literals would
    # compile a second version of it.
    yes = k > 0
    zero = k - k
    xi_c, best, arg, neq, done = shared_scan_scratch(n_cand)
    tau_c = np.empty(n_cand)
    tot_c = np.empty(n_cand)
    cov_c = np.zeros(n_cand, dtype=np.bool_)
    less_c = np.zeros(n_cand, dtype=np.int64)
    eq_c = np.zeros(n_cand, dtype=np.int64)
    for i in range(lo, hi):
        counts[i, 0] = 0
        counts[i, 1] = 0
        # i's full-X neighbours (fixed along the path) and the access to its ranks.
        if cached:
            s_t = t_ptr[i + 1] - t_ptr[i]
            for q in range(s_t):
                idx_t[q] = t_idx[t_ptr[i] + q]
                w_t[q] = t_w[t_ptr[i] + q]
        else:
            sq_dist_row(xt, i, d_t)
            d_t[i] = np.inf
            s_t = neighbours(d_t, i, k, tie_random, prio_t, idx_t, w_t, top, tied)
            rk[:] = -1.0
            state[0] = 0
            state[1] = 0
        if n_sel == 0:
            # First step: every candidate space is one-dimensional.
            for c in range(n_cand):
                p = c_pos[c, i]
                xc = ct[c]
                xci = xc[i]
                cnt = walk_sorted(cs[c], c_order[c], p, k, True, dv, di)
                if cnt <= _TIED_MAX:
                    s = select_neighbours(
                        dv, di, cnt, dv[k - 1], k, tie_random, prio_s, idx, w, tied
                    )
                else:
                    # A long tied block (few distinct values): one pass in index order
                    # instead of sorting the block, as the brute-force kernel.
                    for m in range(n):
                        u = xc[m] - xci
                        d[m] = u * u
                    d[i] = np.inf
                    s = neighbours(d, i, k, tie_random, prio_s, idx, w, top, tied)
                tot = 0.0
                for q in range(s):
                    tot += w[q] * _full_rank(
                        i, idx[q], cached, rank, d_t, tie_random, prio_t, rk, state
                    )
                fwd[i, c] = tot / k
                tot = 0.0
                for q in range(s_t):
                    t = idx_t[q]
                    u = xc[t] - xci
                    tot += w_t[q] * rank_sorted(
                        cs[c], c_order[c], p, u * u, t, tie_random, prio_s
                    )
                bwd[i, c] = tot / k
            continue
        sq_dist_row(st, i, d_s)
        d_s[i] = np.inf  # i is never its own neighbour
        p_s = s_pos[i] if n_sel == 1 else 0
        tau_b = row_buffer(n_sel, ss, s_order, p_s, d_s, i, n_buf, samp, bv, bi, hv, hx, bs)
        # False, typed bool: a literal False would compile a second version of callees.
        walked = n_sel < 0
        if k == 1 and n_cand > 0:
            scan_candidates_k1(bv, bi, hv, hx, bs, tau_b, cr, i, xi_c, best, arg, neq, done)
        for c in range(n_cand):
            if k == 1 and done[c] and neq[c] == 1:
                # One nearest neighbour, proven by the shared walk (as the supervised
                # kernel).
                s = 1
                idx[0] = arg[c]
                w[0] = 1.0
            else:
                direct = k == 1 and not done[c]  # (as the supervised kernel)
                s, tau_b, walked, _, fails = candidate_neighbours(
                    n_sel, walked, ss, s_order, p_s, n_buf, n_buf_max, st, d_s, yes, d, i,
                    tau_b, cr, c, ct[c], k, tie_random, prio_s, bv, bi, hv, hx, bs, dv, di,
                    top, idx, w, tied, direct,
                )
                counts[i, 0] += fails
            tot = 0.0
            for q in range(s):
                tot += w[q] * _full_rank(
                    i, idx[q], cached, rank, d_t, tie_random, prio_t, rk, state
                )
            fwd[i, c] = tot / k
        # Delta(X -> X_S+c): the rank in S + c of each fixed full-X neighbour t, for every
        # candidate at once where the buffer holds every point that can count.
        for c in range(n_cand):
            xi_c[c] = cr[i, c]
            tot_c[c] = 0.0
        for q in range(s_t):
            t = idx_t[q]
            for c in range(n_cand):
                u = cr[t, c] - xi_c[c]
                tau_c[c] = d_s[t] + u * u
            n_pre = cover_prefix(bv, bi, hv, hx, bs, tau_b, tau_c, n // _PREFIX_MAX, cov_c)
            if n_pre > 0:
                count_prefix(bv, bi, n_pre, cr, xi_c, tau_c, less_c, eq_c)
            for c in range(n_cand):
                if not cov_c[c]:
                    counts[i, 1] += 1
                    r = _count_full(d_s, ct[c], xi_c[c], tau_c[c], t, i, tie_random, prio_s)
                elif tie_random and eq_c[c] > 1:
                    r = _count_buffer(bv[:n_pre], bi[:n_pre], cr, c, xi_c[c], tau_c[c], t,
                                      tie_random, prio_s)
                elif tie_random:
                    r = 1.0 + less_c[c]
                else:
                    r = 1.0 + less_c[c] + 0.5 * (eq_c[c] - 1)  # t itself is one of the tied
                tot_c[c] += w_t[q] * r
        for c in range(n_cand):
            bwd[i, c] = tot_c[c] / k
        if not record:
            continue
        # Delta(X_S -> X): the neighbours in S are the head of the buffer.
        cnt = buffer_scan(bv, bi, hv, hx, bs, tau_b, cr, zero, not yes, i, k, dv, di, top)
        if cnt >= 0:
            s = select_neighbours(dv, di, cnt, top[k - 1], k, tie_random, prio_s, idx, w, tied)
        else:
            counts[i, 0] += 1
            s = neighbours(d_s, i, k, tie_random, prio_s, idx, w, top, tied)
        tot = 0.0
        for q in range(s):
            r = _full_rank(i, idx[q], cached, rank, d_t, tie_random, prio_t, rk, state)
            tot += w[q] * r
        rec_sf[i] = tot / k
        # Delta(X -> X_S): the ranks in S of the fixed full-X neighbours.
        tot = 0.0
        for q in range(s_t):
            tot += w_t[q] * rank_by_counting(d_s, i, idx_t[q], tie_random, prio_s)
        rec_fs[i] = tot / k
