"""numba k-d trees for the pruned supervised path at small |S| (exact).

Which kernel serves which case
------------------------------
Where :func:`skii._pruned_path._use_tree` says so (the measured crossover: the first step
at N >= 3000, and the recorded row of |S| = 2 or 3 when no candidate is left to the
buffer kernel and :func:`skii._pruned_path._use_grid_record` does not take it), 1-D
target, any k >= 1, average or random ties, per group; both run on
:func:`skii._parallel.run_row_chunks` (rows or candidates in ranges on threads):

* ``tree_record_rows`` (2 <= |S|): the recorded Delta(X_S -> y) and Delta(y -> X_S) of S
  itself, as :func:`skii._kernels.imbalance_rows`, from one tree on S: k-nearest
  searches, and the ranks in S by range counts (beyond two columns, from a d_S row).
* ``sorted_forward_rows`` (|S| = 0, and the recorded row of |S| = 1): the walks in the
  sorted columns of :func:`skii._pruned_kernels.pruned_forward_rows`, by candidate, with
  the rows in sorted order (cache-friendly).

The candidates of |S| = 1 and 2 go to cell grids (:mod:`skii._grid_kernels`), whose
queries cost a few array lookups where a tree's walk down and up costs several times more.

Why it is exact
---------------
The tree only proposes. Every distance is computed as the brute-force kernel computes
it, ``(0 + u_s1^2) + u_s2^2 + ...`` with ``u = x_m - x_i``, the selected columns in
feature-index order. A node is skipped only when the lower bound of its bounding box
exceeds the current k-th distance t (``>``: every point tied at t is seen). The bound is
the same sum with each ``u`` replaced by the gap to the box (0 inside it); rounding is
monotone, so the computed bound never exceeds the computed distance of a point in the
box. Every point with a distance <= the final t is therefore scanned, and
:func:`skii._pruned_kernels.select_neighbours` picks the same neighbours, weights and
order as the brute force. A range count adds a whole node as "closer" only when the same
sum over the far corner of its box is below t, and otherwise compares point by point.
Ranks in the 1-D target decide on the computed ``(y_m - y_i)**2``, as
:func:`skii._pruned_kernels.rank_sorted`.

Memory: O(N |S|) for the tree, O(N) scratch per thread, and with |S| = 0 the (n_cand, N)
contributions (the caller's output, transposed).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kernels import sq_dist_row, weighted_rank
from ._pruned_kernels import rank_fast, select_neighbours, target_rank_sum
from ._pruned_kernels import walk_sorted as _walk_sorted

# Points per leaf (at most): 6 to 24 all within the noise (N = 16000, |S| = 1 and 2, k = 1).
_LEAF = 16
# Ranks in S by a tree range count up to this many selected columns (then a d_S row).
_RANGE_COUNT_MAX = 2


@njit(cache=True)
def _levels(n, leaf):
    """Levels below the root so that every leaf holds at most ``leaf`` points."""
    lev = 0
    size = n
    while size > leaf:
        size = (size + 1) // 2
        lev += 1
    return lev


@njit(cache=True)
def _select(perm, key, lo, hi, kth):
    """Reorder perm[lo:hi] so that key[perm[kth]] is in its sorted place, smaller or equal
    keys before it and larger or equal after it (quickselect, Hoare partition)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        # Median of three as pivot: sorted data and long runs of ties stay O(n).
        a, b, c = key[perm[lo]], key[perm[mid]], key[perm[hi - 1]]
        pivot = max(min(a, b), min(max(a, b), c))
        i = lo
        j = hi - 1
        while i <= j:
            while key[perm[i]] < pivot:
                i += 1
            while key[perm[j]] > pivot:
                j -= 1
            if i <= j:
                perm[i], perm[j] = perm[j], perm[i]
                i += 1
                j -= 1
        # Now keys in lo..j <= pivot <= keys in i..hi-1, and j < i.
        if kth <= j:
            hi = j + 1
        elif kth >= i:
            lo = i
        else:
            return


@njit(cache=True)
def build_tree(pts, leaf):
    """k-d tree of the columns of ``pts`` (shape (dims, n)): an implicit complete binary
    tree, node v with children 2v + 1 and 2v + 2, each split at the middle position along
    the widest side of its box.

    Returns ``(perm, tp, start, stop, lo, hi, first_leaf)``: perm[p], the row at tree
    position p; tp[p, f], its coordinates; start[v]:stop[v], the positions under node v;
    lo[v], hi[v], its bounding box; node ids >= first_leaf are leaves.
    """
    dims, n = pts.shape
    lev = _levels(n, leaf)
    n_nodes = (1 << (lev + 1)) - 1
    first_leaf = (1 << lev) - 1
    perm = np.arange(n)
    start = np.empty(n_nodes, dtype=np.int64)
    stop = np.empty(n_nodes, dtype=np.int64)
    lo = np.empty((n_nodes, dims))
    hi = np.empty((n_nodes, dims))
    start[0] = 0
    stop[0] = n
    for v in range(n_nodes):
        s, e = start[v], stop[v]
        for f in range(dims):
            mn = np.inf
            mx = -np.inf
            row = pts[f]
            for p in range(s, e):
                x = row[perm[p]]
                mn = min(mn, x)
                mx = max(mx, x)
            lo[v, f] = mn
            hi[v, f] = mx
        if v >= first_leaf:
            continue
        best = 0
        for f in range(1, dims):
            if hi[v, f] - lo[v, f] > hi[v, best] - lo[v, best]:
                best = f
        mid = (s + e) // 2
        if e - s > 1:
            _select(perm, pts[best], s, e, mid)
        start[2 * v + 1] = s
        stop[2 * v + 1] = mid
        start[2 * v + 2] = mid
        stop[2 * v + 2] = e
    tp = np.empty((n, dims))
    for p in range(n):
        for f in range(dims):
            tp[p, f] = pts[f, perm[p]]
    return perm, tp, start, stop, lo, hi, first_leaf


@njit(cache=True)
def _box_bound(lo, hi, v, q):
    """Lower bound of the distances from the point q to the points in node v's box, summed
    in the same order and with the same rounding steps as a point distance."""
    b = 0.0
    for f in range(q.shape[0]):
        u = 0.0
        if q[f] < lo[v, f]:
            u = lo[v, f] - q[f]
        elif q[f] > hi[v, f]:
            u = hi[v, f] - q[f]
        b += u * u
    return b


@njit(cache=True)
def _scan_leaf(tree, v, p, q, k, top, dv, di, cnt):
    """Points of leaf v (tree point p left out) at or below the current k-th distance."""
    perm, tp, start, stop = tree[0], tree[1], tree[2], tree[3]
    dims = q.shape[0]
    for r in range(start[v], stop[v]):
        if r == p:
            continue
        d = 0.0
        for f in range(dims):
            u = tp[r, f] - q[f]
            d += u * u
        t = top[k - 1]
        if d <= t:
            dv[cnt] = d
            di[cnt] = perm[r]
            cnt += 1
            if d < t:
                j = k - 1
                while j > 0 and top[j - 1] > d:
                    top[j] = top[j - 1]
                    j -= 1
                top[j] = d
    return cnt


@njit(cache=True)
def leaf_of(tree, p):
    """The leaf holding tree position p."""
    stop, first_leaf = tree[3], tree[6]
    v = 0
    while v < first_leaf:
        v = 2 * v + 1
        if p >= stop[v]:
            v += 1
    return v


@njit(cache=True)
def knn_candidates(tree, p, leaf, k, q, top, dv, di, stack_v, stack_b):
    """Every point (other than tree point p, in leaf ``leaf``) whose distance from p may
    be <= the k-th smallest.

    Writes distances to ``dv`` and rows to ``di`` and returns how many; ``top[k - 1]`` is
    then the exact k-th smallest distance and the list holds every point at or below it
    (and possibly a few above, seen before it settled). Searches p's own leaf first, then
    the sibling of each of its ancestors (top-down, nearer child first). ``q`` (size dims)
    and ``stack_v``/``stack_b`` (size >= 2 * (levels + 1)) are scratch.
    """
    tp, lo, hi, first_leaf = tree[1], tree[4], tree[5], tree[6]
    for f in range(q.shape[0]):
        q[f] = tp[p, f]
    for j in range(k):
        top[j] = np.inf
    cnt = _scan_leaf(tree, leaf, p, q, k, top, dv, di, 0)
    v = leaf
    while v > 0:
        sib = v + 1 if v % 2 == 1 else v - 1
        v = (v - 1) // 2
        bs = _box_bound(lo, hi, sib, q)
        if bs > top[k - 1]:
            continue
        stack_v[0] = sib
        stack_b[0] = bs
        sp = 1
        while sp > 0:
            sp -= 1
            u = stack_v[sp]
            if stack_b[sp] > top[k - 1]:
                continue
            if u >= first_leaf:
                cnt = _scan_leaf(tree, u, p, q, k, top, dv, di, cnt)
                continue
            a = 2 * u + 1
            b = a + 1
            ba = _box_bound(lo, hi, a, q)
            bb = _box_bound(lo, hi, b, q)
            # The nearer child is searched first (pushed last), so t settles early.
            if ba <= bb:
                stack_v[sp] = b
                stack_b[sp] = bb
                stack_v[sp + 1] = a
                stack_b[sp + 1] = ba
            else:
                stack_v[sp] = a
                stack_b[sp] = ba
                stack_v[sp + 1] = b
                stack_b[sp + 1] = bb
            sp += 2
    return cnt


@njit(cache=True)
def _box_far(lo, hi, v, q):
    """Upper bound of the distances from q to the points in node v's box (same order and
    rounding steps as a point distance: the computed distance never exceeds it)."""
    b = 0.0
    for f in range(q.shape[0]):
        u1 = lo[v, f] - q[f]
        u2 = hi[v, f] - q[f]
        b += max(u1 * u1, u2 * u2)
    return b


@njit(cache=True)
def tree_rank(tree, p, t, j, tie_random, prio, q, stack_v):
    """rbar(i, j) in the tree's space, i = perm[p], t its computed distance to j: the same
    counts as :func:`skii._kernels.rank_by_counting` (m != i) from a range count that adds
    whole nodes whose box lies below t and skips those above it."""
    perm, tp, start, stop, lo, hi, first_leaf = tree
    dims = tp.shape[1]
    for f in range(dims):
        q[f] = tp[p, f]
    less = 0
    eq = 0
    before = 0
    pj = prio[j]
    stack_v[0] = 0
    sp = 1
    while sp > 0:
        sp -= 1
        v = stack_v[sp]
        if _box_bound(lo, hi, v, q) > t:
            continue
        if _box_far(lo, hi, v, q) < t:
            less += stop[v] - start[v]
            if start[v] <= p < stop[v]:
                less -= 1  # i itself (distance 0 < t)
            continue
        if v >= first_leaf:
            for r in range(start[v], stop[v]):
                if r == p:
                    continue
                d = 0.0
                for f in range(dims):
                    u = tp[r, f] - q[f]
                    d += u * u
                if d < t:
                    less += 1
                elif d == t:
                    eq += 1
                    m = perm[r]
                    if tie_random and m != j and prio[m] < pj:
                        before += 1
            continue
        stack_v[sp] = 2 * v + 1
        stack_v[sp + 1] = 2 * v + 2
        sp += 2
    eq -= 1  # j itself
    if not tie_random:
        return 1.0 + less + 0.5 * eq
    return 1.0 + less + before


@njit(nogil=True, cache=True)
def tree_record_rows(lo_p, hi_p, tree, leaf, ys, y_order, y_pos, y_start, k, tie_random,
                     prio_s, prio_t, st, rec_st, rec_ts):  # fmt: skip
    """rec_st[i], rec_ts[i]: contributions of row i to Delta(X_S -> y) and Delta(y -> X_S)
    (1-D target), as :func:`skii._kernels.imbalance_rows`, for the rows at positions
    lo_p:hi_p of one tree on X_S (``tree`` from :func:`build_tree` on ``st`` and
    ``leaf``; the caller runs the ranges on threads, :func:`skii._parallel.run_row_chunks`:
    as a parfor it cost seconds more compilation)."""
    n_sel, n = st.shape
    perm = tree[0]
    inv = np.empty(n, dtype=np.int64)
    for p in range(n):
        inv[perm[p]] = p
    depth = _levels(n, leaf) + 1
    dv = np.empty(n)
    di = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    tied = np.empty(n, dtype=np.int64)
    top = np.empty(k)
    stack_v = np.empty(2 * depth + 2, dtype=np.int64)
    stack_b = np.empty(2 * depth + 2)
    q = np.empty(n_sel)
    d_s = np.empty(n)
    rrow = np.empty(n)
    lf = leaf_of(tree, lo_p) if lo_p < n else 0
    for p in range(lo_p, hi_p):
        i = perm[p]
        while tree[3][lf] <= p:
            lf += 1
        p_y = y_pos[i]
        # Delta(X_S -> y): neighbours in S, ranks in the sorted target.
        cnt = knn_candidates(tree, p, lf, k, q, top, dv, di, stack_v, stack_b)
        s = select_neighbours(dv, di, cnt, top[k - 1], k, tie_random, prio_s, idx, w, tied)
        tot = target_rank_sum(ys, y_order, y_pos, y_start, p_y, idx, w, s, tie_random,
                              prio_t)  # fmt: skip
        rec_st[i] = tot / k
        # Delta(y -> X_S): neighbours in the sorted target, ranks in S.
        cnt = _walk_sorted(ys, y_order, p_y, k, True, dv, di)
        s = select_neighbours(dv, di, cnt, dv[k - 1], k, tie_random, prio_t, idx, w, tied)
        if n_sel > _RANGE_COUNT_MAX:
            # A range count costs ~ the shell of the ball: beyond two dimensions a
            # full d_S row and counting passes are cheaper (measured, N = 16000).
            sq_dist_row(st, i, d_s)
            d_s[i] = np.inf
            rec_ts[i] = weighted_rank(d_s, i, idx, w, s, tie_random, prio_s, rrow) / k
            continue
        tot = 0.0
        for e in range(s):
            m = idx[e]
            r = inv[m]
            t = 0.0
            for f in range(n_sel):
                u = tree[1][r, f] - tree[1][p, f]
                t += u * u
            tot += w[e] * tree_rank(tree, p, t, m, tie_random, prio_s, q, stack_v)
        rec_ts[i] = tot / k


@njit(cache=True)
def _sole_nearest_sorted(xs, order, p):
    """The row of the one nearest neighbour of sorted position p in the sorted column xs,
    or -1 when two or more are tied (or p has no other point): the closer of p's two
    sorted neighbours, proven alone when the next point on its side is farther (computed
    distances grow monotonically on each side)."""
    n = xs.shape[0]
    xi = xs[p]
    dl = np.inf
    dr = np.inf
    if p >= 1:
        u = xs[p - 1] - xi
        dl = u * u
    if p + 1 < n:
        u = xs[p + 1] - xi
        dr = u * u
    if dl < dr:
        if p >= 2:
            u = xs[p - 2] - xi
            if u * u == dl:
                return -1
        return order[p - 1]
    if dr < dl:
        if p + 2 < n:
            u = xs[p + 2] - xi
            if u * u == dr:
                return -1
        return order[p + 1]
    return -1


@njit(nogil=True, cache=True)
def sorted_forward_rows(c_lo, c_hi, ct, orders, cand, ys, y_order, y_pos, y_start, k,
                        tie_random, prio_s, prio_t, fwd_t):  # fmt: skip
    """The first step (|S| = 0), where a sorted column is the one-dimensional tree:
    fwd_t[c, i], the contribution of row i to Delta(c -> y) for the candidates c_lo:c_hi
    (ct: (n_cand, n) the candidates, ``orders[cand[c]]`` the sorted order of ct[c], from
    :func:`skii._pruned_kernels.column_orders`), as
    :func:`skii._pruned_kernels.pruned_forward_rows` gives it (the same walks,
    neighbours and ranks), with the rows in sorted order, so that each walk reads memory
    next to the previous one (the caller runs the candidate ranges on threads,
    :func:`skii._parallel.run_row_chunks`).
    """
    n = ct.shape[1]
    dv = np.empty(n)
    di = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    w = np.empty(n)
    tied = np.empty(n, dtype=np.int64)
    for c in range(c_lo, c_hi):
        order = orders[cand[c]]
        xs = ct[c][order]
        for p in range(n):
            i = order[p]
            p_y = y_pos[i]
            if k == 1:
                # The common case, one nearest neighbour: no walk, no selection (the same
                # rank, times a weight of 1).
                m = _sole_nearest_sorted(xs, order, p)
                if m >= 0:
                    u = ys[y_pos[m]] - ys[p_y]
                    fwd_t[c, i] = rank_fast(ys, y_order, y_start, p_y, y_pos[m], u * u, m,
                                            tie_random, prio_t)  # fmt: skip
                    continue
            cnt = _walk_sorted(xs, order, p, k, True, dv, di)
            s = select_neighbours(dv, di, cnt, dv[k - 1], k, tie_random, prio_s, idx, w, tied)
            tot = target_rank_sum(ys, y_order, y_pos, y_start, p_y, idx, w, s, tie_random,
                                  prio_t)  # fmt: skip
            fwd_t[c, i] = tot / k
