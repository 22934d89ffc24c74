"""numba cell grids for the steps of the pruned supervised path with one or two selected
columns (exact).

Which kernel serves which case
------------------------------
``grid_forward_rows``: where :func:`skii._pruned_path._use_grid` says so (|S| = 1 and 2,
the two- and three-dimensional candidate spaces S + j), 1-D target, any k >= 1, average or
random ties, per group. It gives the same row contributions to Delta(X_S+j -> y) as
:func:`skii._kernels.greedy_candidate_rows`: per candidate, the rows are binned into a grid
of cells (edges at quantiles of each column, so that cells hold a few rows each whatever
the marginals), and every row's k nearest are found by searching rings of cells outward
from its own. A k-d tree (:mod:`skii._kdtree_kernels`) does the same with a walk down and
up a tree per query; the grid's query is a few array lookups, several times cheaper in
two and three dimensions (beyond, the rings hold too many cells).

``grid_record_rows``: where :func:`skii._pruned_path._use_grid_record` says so (|S| = 2
from N = 8000), the recorded Delta(X_S -> y) and Delta(y -> X_S) of S itself from one
grid on S: k-nearest searches, and the ranks in S by range counts (:func:`grid_rank`:
whole cells below the distance counted from the cell offsets, cells above it skipped).

Why it is exact
---------------
The grid only proposes. Every distance is computed as the brute-force kernel computes
it, ``((0 + u_s1^2) + u_s2^2) + u_j^2`` with ``u = x_m - x_i``, the selected columns in
feature-index order and the candidate last. The search stops only when every unvisited
row lies beyond a cell edge whose squared gap from the query exceeds the current k-th
distance t (``>``: every point tied at t is seen). The point lies beyond that edge, so
its own rounded squared difference on that axis is at least the rounded squared gap
(rounding is monotone), and adding non-negative terms never decreases a sum: the bound
never exceeds the computed distance of a point it excludes. Every point with a distance
<= the final t is therefore scanned, and :func:`skii._pruned_kernels.select_neighbours`
picks the same neighbours, weights and order as the brute force.

Memory: O(N) per candidate being searched (one per thread at a time), the grid's cell
offsets (about N cells in two dimensions, N / 2 in three) and the (n_cand, N)
contributions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cell_grids import axis_cells, build_grid, outside_bound
from ._pruned_kernels import rank_fast, select_neighbours, target_rank_sum, walk_sorted

# Rows per cell aimed at, in two and three dimensions. Search time per query at N = 4000
# (Gaussian columns, 1 thread), for 1 / 1.5 / 2 / 3 / 4 rows per cell: 2-D 177 / 187 /
# 200 / 211 / 219 ns, 3-D 456 / 465 / 425 / 436 / 487 ns.
_PER_CELL = {2: 1.0, 3: 2.0}


def grid_size(n: int, dims: int) -> int:
    """Cells per axis (at most) of a ``dims``-dimensional grid over n rows."""
    return max(1, int(round((n / _PER_CELL[dims]) ** (1.0 / dims))))


@njit(cache=True, inline="always")
def _scan_positions(rows, tp, s, e, p, q, k, top, dv, di, cnt):
    """The points at grid positions s:e (p left out) at or below the current k-th
    distance."""
    dims = q.shape[0]
    q0 = q[0]
    q1 = q[1]
    q2 = q[2] if dims == 3 else 0.0
    for r in range(s, e):
        if r == p:
            continue
        # ((0 + u0^2) + u1^2) [+ u2^2], written out (0 + x is x): a loop over the two
        # or three axes cost ~3x more per point.
        u = tp[r, 0] - q0
        d = u * u
        u = tp[r, 1] - q1
        d += u * u
        if dims == 3:
            u = tp[r, 2] - q2
            d += u * u
        # As the tree's leaf scan, written out: a helper shared by both doubled the
        # query time here (even inlined).
        t = top[k - 1]
        if d <= t:
            dv[cnt] = d
            di[cnt] = rows[r]
            cnt += 1
            if d < t:
                j = k - 1
                while j > 0 and top[j - 1] > d:
                    top[j] = top[j - 1]
                    j -= 1
                top[j] = d
    return cnt


@njit(cache=True, inline="always")
def grid_knn(rows, tp, tc, start, edges, sizes, p, k, q, cc, top, dv, di):
    """Every point (other than grid position p) whose distance from p may be <= the k-th
    smallest, as :func:`skii._kdtree_kernels.knn_candidates`: the block of cells within
    one of p's own on every axis, then rings of cells outward (2 or 3 axes), until every
    unvisited row is provably farther.

    Writes distances to ``dv`` and rows to ``di`` and returns how many; ``top[k - 1]`` is
    then the exact k-th smallest distance. ``q`` and ``cc`` (size dims) are scratch.
    """
    dims = tp.shape[1]
    for f in range(dims):
        q[f] = tp[p, f]
        cc[f] = tc[p, f]
    for j in range(k):
        top[j] = np.inf
    last = dims - 1
    g_last = sizes[last]
    c = cc[last]
    cnt = 0
    r = 1
    while True:
        # Ring r (the whole block when r = 1): the cells along the last axis are
        # contiguous, so a row of the ring's cells is one range of positions, or, inside
        # the ring, its two end cells.
        a_lo = max(0, cc[0] - r)
        a_hi = min(sizes[0] - 1, cc[0] + r)
        b_lo = 0
        b_hi = 0
        if dims == 3:
            b_lo = max(0, cc[1] - r)
            b_hi = min(sizes[1] - 1, cc[1] + r)
        for a in range(a_lo, a_hi + 1):
            for b in range(b_lo, b_hi + 1):
                base = a * g_last if dims == 2 else (a * sizes[1] + b) * g_last
                on_ring = r == 1 or abs(a - cc[0]) == r or (dims == 3 and abs(b - cc[1]) == r)
                if on_ring:
                    lo = max(0, c - r)
                    hi = min(g_last - 1, c + r)
                    cnt = _scan_positions(rows, tp, start[base + lo], start[base + hi + 1], p,
                                          q, k, top, dv, di, cnt)  # fmt: skip
                else:
                    if c - r >= 0:
                        cell = base + c - r
                        cnt = _scan_positions(rows, tp, start[cell], start[cell + 1], p, q, k,
                                              top, dv, di, cnt)  # fmt: skip
                    if c + r < g_last:
                        cell = base + c + r
                        cnt = _scan_positions(rows, tp, start[cell], start[cell + 1], p, q, k,
                                              top, dv, di, cnt)  # fmt: skip
        lb = outside_bound(edges, sizes, cc, q, r)
        if lb > top[k - 1] or lb == np.inf:  # inf: the block covers the grid
            return cnt
        r += 1


@njit(cache=True)
def _sole_at(dv, di, cnt, t):
    """The row of the only scanned point at distance t, or -1 when there are several."""
    m = -1
    for e in range(cnt):
        if dv[e] == t:
            if m >= 0:
                return -1
            m = di[e]
    return m


@njit(nogil=True, cache=True)
def grid_forward_rows(c_lo, c_hi, st, s_cells, s_edges, s_sizes, ct, orders, cand, ys, y_order,
                      y_pos, y_start, k, tie_random, prio_s, prio_t, g, ptr, listed,
                      fwd_t):  # fmt: skip
    """fwd_t[c, i] for the candidates c_lo:c_hi: contribution of row i to Delta(S + c ->
    y), 1-D target, as :func:`skii._kernels.greedy_candidate_rows` (the caller runs the
    candidate ranges on threads, :func:`skii._parallel.run_row_chunks`).

    st: (n_selected, n) the subset in feature-index order, with its cells ``s_cells``
    (n_selected, n), edges ``s_edges`` (n_selected, g + 1) and cell counts ``s_sizes``
    from :func:`axis_cells` (at most g cells per axis);
    ct: (n_cand, n) the candidates, ``orders[cand[c]]`` the sorted order of ct[c]; ``ys``,
    ``y_order``, ``y_pos``, ``y_start`` the sorted target, its rows, the sorted position of
    each row and its value buckets. With an
    empty ``ptr``, every row; else only the rows ``listed[ptr[c]:ptr[c + 1]]`` of
    candidate c (those the buffer kernel left to the grid, see
    :func:`skii._pruned_path.group_step`).
    """
    n_sel, n = st.shape
    dims = n_sel + 1
    pts = np.empty((dims, n))
    pts[:n_sel] = st
    axes = np.empty((dims, n), dtype=np.int64)
    axes[:n_sel] = s_cells
    edges = np.empty((dims, g + 1))
    edges[:n_sel] = s_edges
    sizes = np.empty(dims, dtype=np.int64)
    sizes[:n_sel] = s_sizes
    dv = np.empty(n)
    di = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    tied = np.empty(n, dtype=np.int64)
    top = np.empty(k)
    q = np.empty(dims)
    cc = np.empty(dims, dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    every = ptr.shape[0] == 0
    for c in range(c_lo, c_hi):
        pts[n_sel] = ct[c]  # the candidate last, as d_S + u * u
        sizes[n_sel], axes[n_sel] = axis_cells(ct[c], orders[cand[c]], g, edges[n_sel])
        rows, tp, tc, start = build_grid(pts, axes, sizes)
        if not every:
            for p in range(n):
                pos[rows[p]] = p
        # Every row in grid order (consecutive queries search neighbouring cells), or the
        # listed ones.
        for e_row in range(n if every else ptr[c + 1] - ptr[c]):
            p = e_row if every else pos[listed[ptr[c] + e_row]]
            i = rows[p]
            p_y = y_pos[i]
            cnt = grid_knn(rows, tp, tc, start, edges, sizes, p, k, q, cc, top, dv, di)
            if k == 1:
                # The common case, one nearest neighbour: no selection (the same rank,
                # times a weight of 1).
                m = _sole_at(dv, di, cnt, top[0])
                if m >= 0:
                    u = ys[y_pos[m]] - ys[p_y]
                    fwd_t[c, i] = rank_fast(ys, y_order, y_start, p_y, y_pos[m], u * u, m,
                                            tie_random, prio_t)  # fmt: skip
                    continue
            s = select_neighbours(dv, di, cnt, top[k - 1], k, tie_random, prio_s, idx, w, tied)
            tot = target_rank_sum(ys, y_order, y_pos, y_start, p_y, idx, w, s, tie_random,
                                  prio_t)  # fmt: skip
            fwd_t[c, i] = tot / k


@njit(cache=True, inline="always")
def _cell_bounds(e, a, qf, cf):
    """Lower and upper bounds of the squared difference on one axis between qf (in cell
    cf) and every value in cell a (``e[a] <= x < e[a + 1]``): rounding is monotone, so the
    computed ``(x - qf) ** 2`` lies between them (the upper one is inf for the two outer
    cells, whose outer edges are infinite)."""
    lo = 0.0
    if a < cf:
        u = e[a + 1] - qf
        lo = u * u
    elif a > cf:
        u = e[a] - qf
        lo = u * u
    u = e[a] - qf
    v = e[a + 1] - qf
    return lo, max(u * u, v * v)


@njit(cache=True)
def grid_rank(rows, tp, start, edges, sizes, p, t, j, tie_random, prio, q, cc):
    """rbar(i, j) in the grid's space, i = rows[p] (q, cc its coordinates and cells), t
    its computed distance to j: the same counts as
    :func:`skii._kernels.rank_by_counting` (m != i), from a range count that adds whole
    cells whose bound lies below t, skips those whose bound lies above it, and compares
    point by point in the rest (cells along the last axis walked outward from i's, each
    way, until their bound exceeds t)."""
    dims = tp.shape[1]
    last = dims - 1
    g_last = sizes[last]
    n1 = sizes[1] if dims == 3 else 1
    c0 = cc[last]
    q0 = q[0]
    q1 = q[1]
    q2 = q[2] if dims == 3 else 0.0
    pj = prio[j]
    less = 0
    eq = 0
    before = 0
    own = False  # whether i's own cell was counted whole
    for a in range(sizes[0]):
        lo_a, hi_a = _cell_bounds(edges[0], a, q0, cc[0])
        if lo_a > t:
            continue
        for b in range(n1):
            lo_ab = lo_a
            hi_ab = hi_a
            if dims == 3:
                lo_b, hi_b = _cell_bounds(edges[1], b, q1, cc[1])
                lo_ab = lo_a + lo_b
                hi_ab = hi_a + hi_b
                if lo_ab > t:
                    continue
            base = a * g_last if dims == 2 else (a * n1 + b) * g_last
            for side in range(2):
                step = 1 if side == 0 else -1
                c = c0 if side == 0 else c0 - 1
                while 0 <= c < g_last:
                    lo_c, hi_c = _cell_bounds(edges[last], c, q[last], c0)
                    if lo_ab + lo_c > t:
                        break  # and every cell beyond it on this side
                    cell = base + c
                    if hi_ab + hi_c < t:
                        less += start[cell + 1] - start[cell]
                        own |= start[cell] <= p < start[cell + 1]
                    else:
                        for r in range(start[cell], start[cell + 1]):
                            if r == p:
                                continue
                            u = tp[r, 0] - q0
                            d = u * u
                            u = tp[r, 1] - q1
                            d += u * u
                            if dims == 3:
                                u = tp[r, 2] - q2
                                d += u * u
                            if d < t:
                                less += 1
                            elif d == t:
                                m = rows[r]
                                if m != j:
                                    eq += 1
                                    if tie_random and prio[m] < pj:
                                        before += 1
                    c += step
    if own:
        less -= 1  # i itself (distance 0 < t)
    if not tie_random:
        return 1.0 + less + 0.5 * eq
    return 1.0 + less + before


@njit(nogil=True, cache=True)
def grid_record_rows(lo, hi, rows, tp, tc, start, edges, sizes, ys, y_order, y_pos, y_start, k,
                     tie_random, prio_s, prio_t, rec_st, rec_ts):  # fmt: skip
    """rec_st[i], rec_ts[i] for the rows at grid positions lo:hi of a grid on S (2 or 3
    columns, from :func:`skii._cell_grids.build_grid`): contributions of row i to
    Delta(X_S -> y) (neighbours by :func:`grid_knn`, ranks in the sorted target) and
    Delta(y -> X_S) (neighbours in the sorted target, ranks by :func:`grid_rank`), as
    :func:`skii._kernels.imbalance_rows` (the caller runs the ranges on threads)."""
    n, dims = tp.shape
    pos = np.empty(n, dtype=np.int64)
    for p in range(n):
        pos[rows[p]] = p
    dv = np.empty(n)
    di = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    tied = np.empty(n, dtype=np.int64)
    top = np.empty(k)
    q = np.empty(dims)
    cc = np.empty(dims, dtype=np.int64)
    for p in range(lo, hi):
        i = rows[p]
        p_y = y_pos[i]
        # Delta(X_S -> y): neighbours in S (grid_knn also sets q and cc to p's).
        cnt = grid_knn(rows, tp, tc, start, edges, sizes, p, k, q, cc, top, dv, di)
        s = select_neighbours(dv, di, cnt, top[k - 1], k, tie_random, prio_s, idx, w, tied)
        tot = target_rank_sum(ys, y_order, y_pos, y_start, p_y, idx, w, s, tie_random,
                              prio_t)  # fmt: skip
        rec_st[i] = tot / k
        # Delta(y -> X_S): neighbours in the sorted target, ranks in S.
        cnt = walk_sorted(ys, y_order, p_y, k, True, dv, di)
        s = select_neighbours(dv, di, cnt, dv[k - 1], k, tie_random, prio_t, idx, w, tied)
        tot = 0.0
        for e in range(s):
            m = idx[e]
            r = pos[m]
            u = tp[r, 0] - q[0]
            t = u * u
            for f in range(1, dims):
                u = tp[r, f] - q[f]
                t += u * u
            tot += w[e] * grid_rank(rows, tp, start, edges, sizes, p, t, m, tie_random, prio_s,
                                    q, cc)  # fmt: skip
        rec_ts[i] = tot / k
