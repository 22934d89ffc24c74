"""One greedy forward step of the supervised path with a 1-D target, pruned (exact).

Chooses, by measured crossovers, the search of each step (the buffer kernel
:func:`skii._pruned_kernels.pruned_forward_rows`, the cell grids of
:mod:`skii._grid_kernels`, the sorted walks and trees of :mod:`skii._kdtree_kernels`),
prepares their inputs (sorted columns, grids) and turns their row contributions into
imbalances, exactly as the brute-force path does (``2 / N^2`` times the row sum, rows
summed by numpy in row order).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _cell_grids, _grid_kernels, _kdtree_kernels, _pruned_kernels
from ._parallel import run_row_chunks


def _buffer_sizes(n: int, k: int, n_selected: int) -> tuple[int, int]:
    """The buffer each row starts with, and (|S| = 1) the longer walk after its first
    failure.

    With |S| >= 2 the first number is the size aimed at: the row's d_S up to a threshold
    (a strided sample's quantile) is collected and sorted lazily, as deep as the scans go
    (:func:`skii._pruned_kernels.buffer_start`); a failure grows it to twice the k-th
    distance found (k >= 2) or takes a full scan (k = 1). 160 k at |S| = 2, else 96 k: one
    step, 1 thread, k = 1, N = 4000, with the shared walk reading the heap unsorted, 64 k /
    96 k / 128 k / 192 k / 256 k: 130 / 104 / 89 / 86 / 104 ms at |S| = 2, 77 / 71 / 76 /
    82 / 90 ms at |S| = 3, 65 / 66 / 67 / 69 / 92 ms at |S| = 4, 64 / 64 / 66 / 77 / 106 ms
    at |S| = 6 (noisy machine, ±10%). With one selected column the buffer is an outward walk in the
    sorted column (cost ~ its length), the neighbours in two dimensions lie ~sqrt(N)
    sorted places away, and a 16x longer walk after a failure is cheap.
    """
    if n_selected == 1:
        small = max(1, min(n - 1, 4 * k * math.isqrt(n) + 64))
        return small, max(small, min(n - 1, 16 * small))
    small = max(1, min(n - 1, (160 if n_selected == 2 else 96) * k))
    return small, small


def _use_grid(n: int, k: int, n_selected: int) -> bool:
    """Whether a forward step with ``n_selected`` columns searches its candidates in cell
    grids on S + j (:func:`skii._grid_kernels.grid_forward_rows`), every (row, candidate)
    pair or, with :func:`_defer_to_grid`, those the buffer kernel
    (:func:`skii._pruned_kernels.pruned_forward_rows`) leaves unproven, rather than the
    buffer kernel alone.

    Wall time of one step of the bench data (59 / 58 candidates, k = 1, 2 threads, best
    of 3, noisy machine), grid / buffer then grid / buffer: |S| = 1: 32 / 23 / 24 ms at
    N = 2000, 60 / 59 / 57 at 4000, 136 / 152 / 222 at 8000, 309 / 360 / 874 at 16000;
    |S| = 2 (the buffers from blocks of a grid on S): 45 / 18 / 16, 93 / 42 / 43, 228 /
    114 / 175, 495 / 358 / 721 ms. A buffer's scans grow with N (~sqrt(N) points at |S|
    = 1, O(N) d_S rows and full scans at |S| = 2), a grid query does not; from three
    columns on the rings hold too many cells. For k >= 2 (measured before the buffer's
    shared walk, k = 1): from N = 3000 at |S| = 1 and 6000 at |S| = 2.
    """
    if n_selected not in (1, 2):
        return False
    if k == 1:
        return n >= 4000
    return n >= (3000 if n_selected == 1 else 6000)


def _defer_to_grid(n: int, k: int, n_selected: int) -> bool:
    """Whether a step that :func:`_use_grid` sends to the cell grids runs the buffer kernel
    first, its buffers from blocks of a grid on S, and leaves to the grids only the (row,
    candidate) pairs its shared walk cannot prove (k = 1): at |S| = 2 (measured in
    :func:`_use_grid`; at |S| = 1 every pair in the grids is as fast or faster)."""
    return k == 1 and n_selected == 2


def _use_tree(n: int, k: int, n_selected: int, n_cand: int, grid: bool) -> bool:
    """Whether the step's own search (for |S| = 0, the forward walks; else the recorded
    row, ``grid`` saying whether the candidates went to cell grids) uses
    :mod:`skii._kdtree_kernels` rather than the buffer kernel: with |S| = 0 the walks in
    sorted order, candidates on threads (:func:`skii._kdtree_kernels.sorted_forward_rows`);
    with |S| = 2 or 3 and no candidates left to the buffer, the recorded row in a tree on S
    (:func:`skii._kdtree_kernels.tree_record_rows`).

    Measured on the bench data (k = 1, noisy shared machine), CPU time of one step, 1
    thread, tree / buffer: |S| = 0: 0.07 / 0.14 s at N = 4000, 0.32 / 0.60 s at N = 16000;
    the recorded row alone (the pass after the last step), |S| = 3: 0.19 / 0.65 s at N =
    16000.
    """
    if n_selected == 0:
        return n >= 3000
    return (grid or n_cand == 0) and n_selected in (2, 3) and n >= 3000


def sorted_target(col: np.ndarray, order: np.ndarray):
    """A column as the kernels' sorted target: the sorted values, the row at each sorted
    position (``order``, a stable argsort of ``col``), the sorted position of each row,
    and the value buckets of :func:`skii._pruned_kernels.rank_fast` (one per row)."""
    n = col.shape[0]
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    vals = np.ascontiguousarray(col[order], dtype=np.float64)
    return vals, np.ascontiguousarray(order), pos, _pruned_kernels.value_buckets(vals, max(1, n))


def prepare_group(y: np.ndarray):
    """Sorted target of one group (the same for every step), as :func:`sorted_target`."""
    y = np.ascontiguousarray(y.reshape(-1), dtype=np.float64)
    return sorted_target(y, np.argsort(y, kind="stable"))


class _Workspace(dict):
    """Arrays a group's steps reuse (by name): a fresh array of a few MB per step costs
    its page faults again, on the calling thread (~2.5 ms a step at N = 4000). Pickled
    empty (a joblib worker builds its own)."""

    def __reduce__(self):
        return (_Workspace, ())

    def array(self, name: str, shape: tuple, dtype=np.float64) -> np.ndarray:
        """An uninitialised C-contiguous array of ``shape``, the buffer ``name`` reused."""
        size = math.prod(shape)
        buf = self.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self[name] = np.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)


class Columns(NamedTuple):
    """One group's features as every step reads them: ``xt`` (p, n), the columns
    transposed, and ``order`` (p, n), the stable sorted order of each (for the first
    step's walks and the cells of later grids); ``work``, the steps' reused arrays (one
    step of the group at a time)."""

    xt: np.ndarray
    order: np.ndarray
    work: _Workspace


def prepare_columns(xg: np.ndarray) -> Columns:
    """:class:`Columns` of one group, sorted once for the whole path, on numba's threads."""
    xt = np.ascontiguousarray(xg.T, dtype=np.float64)
    order = np.empty(xt.shape, dtype=np.int64)
    run_row_chunks(_pruned_kernels.column_orders, xt.shape[0], xt, order)
    return Columns(xt, order, _Workspace())


def step_arrays(xg, selected, cand, sort_cand=True, cols=None, own=False):
    """The kernels' inputs for one step of one group: the selected columns ``st`` (in
    feature-index order) and the candidates ``ct``, transposed, and the candidates
    row-major ``cr`` (for the buffer scans; with ``own``, one more column of zeros: the
    lane of S itself in the shared walk of
    :func:`skii._pruned_kernels.pruned_forward_rows`); with |S| = 0 (and ``sort_cand``)
    the sorted candidate columns, with |S| = 1 the sorted selected column (else empty
    placeholders of the same types, so that numba compiles one version). ``cols``: the
    group's :class:`Columns` (computed here when not given)."""
    n = xg.shape[0]
    cand = np.asarray(cand, dtype=np.int64)
    work = _Workspace() if cols is None else cols.work
    xt = np.ascontiguousarray(xg.T, dtype=np.float64) if cols is None else cols.xt
    st = xt[sorted(selected)]
    ct = np.take(xt, cand, axis=0, out=work.array("ct", (cand.size, n)))
    cr = work.array("cr", (n, cand.size + own))
    cr[:, : cand.size] = xg[:, cand]
    if own:
        cr[:, -1] = 0.0

    def orders(columns):
        if cols is not None:
            return cols.order[columns]
        return np.argsort(xt[columns], axis=1, kind="stable")

    if len(selected) == 0 and sort_cand:
        order = orders(cand)
        pos = np.empty_like(order)
        np.put_along_axis(pos, order, np.broadcast_to(np.arange(n), order.shape), axis=1)
        c_sorted = (np.take_along_axis(ct, order, axis=1), order, pos)
    else:
        c_sorted = (np.empty((0, n)), np.empty((0, n), dtype=np.int64),
                    np.empty((0, n), dtype=np.int64))
    if len(selected) == 1:
        s_sorted = sorted_target(st[0], orders(list(selected))[0])[:3]
    else:
        s_sorted = (np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64))
    return st, ct, cr, c_sorted, s_sorted


def _grid_forward(st, s_order, ct, orders, cand, ysorted, k, tie_random, ps, pt, fwd,
                  deferred=None, work=None):  # fmt: skip
    """fwd[i, c] of every candidate from cell grids on S + c (|S| = 1 or 2), the candidates
    on threads (``s_order`` and ``orders[cand]`` the sorted orders of the columns of S
    and of the candidates); with ``deferred`` (a boolean (n, n_cand) mask) only those
    entries."""
    n_sel, n = st.shape
    g = _grid_kernels.grid_size(n, n_sel + 1)
    s_edges = np.empty((n_sel, g + 1))
    s_cells = np.empty((n_sel, n), dtype=np.int64)
    s_sizes = np.empty(n_sel, dtype=np.int64)
    for f in range(n_sel):
        s_sizes[f], s_cells[f] = _cell_grids.axis_cells(st[f], s_order[f], g, s_edges[f])
    fwd_t = (_Workspace() if work is None else work).array("fwd_t", (ct.shape[0], n))
    if deferred is None:
        ptr = listed = np.empty(0, dtype=np.int64)
    else:
        cols, listed = np.nonzero(deferred.T)  # rows of each candidate, in candidate order
        ptr = np.searchsorted(cols, np.arange(ct.shape[0] + 1))
    run_row_chunks(
        _grid_kernels.grid_forward_rows, ct.shape[0], st, s_cells, s_edges, s_sizes, ct, orders,
        cand, *ysorted, k, tie_random, ps, pt, g, ptr, listed, fwd_t,
    )  # fmt: skip
    if deferred is None:
        fwd[:] = fwd_t.T  # row-major, as the brute force sums it
    else:
        fwd[listed, cols] = fwd_t[cols, listed]


# Rows per cell of the grid on S whose blocks of 3 x 3 cells start the buffers at |S| = 2
# (:func:`skii._cell_grids.block_buffer`). One step at N = 16000 (58 candidates, 2
# threads), 18 / 30 / 50 / 80 / 120 rows per cell: 22 / 10 / 5 / 3 / 2% of the pairs left
# to the grids, 310 / 324 / 295 / 291 / 303 ms; at N = 4000, 50 / 80 / 120: 46 / 52 / 69 ms.
_BLOCK_ROWS = 64


def _block_grid(st, s_order, block):
    """The grid on the two selected columns (``s_order`` their sorted orders) for
    :func:`skii._cell_grids.block_buffer`: ``(rows, tp, tc, start, edges, sizes, pos)``,
    pos the grid position of each row (with ``block`` false, empty arrays of the same
    types)."""
    n_sel, n = st.shape
    if not block:
        e = np.empty(0, dtype=np.int64)
        return e, np.empty((0, 2)), np.empty((0, 2), dtype=np.int64), e, np.empty((2, 1)), \
            np.zeros(2, dtype=np.int64), e
    g = max(1, round(math.sqrt(n / _BLOCK_ROWS)))
    edges = np.empty((n_sel, g + 1))
    axes = np.empty((n_sel, n), dtype=np.int64)
    sizes = np.empty(n_sel, dtype=np.int64)
    for f in range(n_sel):
        sizes[f], axes[f] = _cell_grids.axis_cells(st[f], s_order[f], g, edges[f])
    rows, tp, tc, start = _cell_grids.build_grid(st, axes, sizes)
    pos = np.empty(n, dtype=np.int64)
    pos[rows] = np.arange(n)
    return rows, tp, tc, start, edges, sizes, pos


def _sorted_record(st, s_order, ysorted, k, tie_random, ps, pt, rec_st, rec_ts):
    """The recorded row with one selected column, from sorted walks alone (no d_S rows):
    rec_st from the walks in S with ranks in the sorted target, rec_ts from the walks in
    the target with ranks in S (:func:`skii._kdtree_kernels.sorted_forward_rows` with S,
    then the target, as the one candidate)."""
    ys, yo, yp, _ = ysorted
    one = np.zeros(1, dtype=np.int64)
    _kdtree_kernels.sorted_forward_rows(0, 1, st, s_order[None], one, *ysorted, k, tie_random,
                                        ps, pt, rec_st[None])  # fmt: skip
    _kdtree_kernels.sorted_forward_rows(0, 1, ys[yp][None], yo[None], one,
                                        *sorted_target(st[0], s_order), k, tie_random, pt,
                                        ps, rec_ts[None])  # fmt: skip


# Rows per cell of the grid on S of the recorded row (:func:`_grid_record`). The recorded
# row alone, N = 16000, 2 threads, 2 / 4 / 8 / 16 rows per cell: 151 / 113 / 88 / 72 ms
# (the tree's range counts: 126 ms); with the step's candidates (the buffer kernel's
# d_S rows otherwise): 260 against 313 ms.
_RECORD_ROWS = 16.0


def _use_grid_record(n: int, k: int, n_sel: int) -> bool:
    """Whether the recorded row of a step whose candidates are not in the buffer kernel
    (or are deferred to grids) comes from a cell grid on S (:func:`_grid_record`): with
    two selected columns from N = 8000. The range counts cover a large part of the rows
    (the target's neighbour is rarely close in S: Delta(y -> X_S) ~ 0.76 on the bench
    data), so at three columns the tree's d_S rows were faster (106 against 222-370 ms,
    N = 16000) and at N = 4000 the gain was within the noise (42.7 / 44.4 ms)."""
    return n_sel == 2 and n >= 8000


def _grid_record(st, s_order, ysorted, k, tie_random, ps, pt, rec_st, rec_ts):
    """The recorded row with two or three selected columns from one cell grid on S
    (:func:`skii._grid_kernels.grid_record_rows`): no d_S rows."""
    n_sel, n = st.shape
    g = max(1, round((n / _RECORD_ROWS) ** (1.0 / n_sel)))
    edges = np.empty((n_sel, g + 1))
    axes = np.empty((n_sel, n), dtype=np.int64)
    sizes = np.empty(n_sel, dtype=np.int64)
    for f in range(n_sel):
        sizes[f], axes[f] = _cell_grids.axis_cells(st[f], s_order[f], g, edges[f])
    grid = _cell_grids.build_grid(st, axes, sizes)
    run_row_chunks(_grid_kernels.grid_record_rows, n, *grid, edges, sizes, *ysorted, k,
                   tie_random, ps, pt, rec_st, rec_ts)  # fmt: skip


def group_step(xg, ysorted, selected, cand, k, tie_random, ps, pt, record, rows=False,
               cols=None):  # fmt: skip
    """Delta(X_S+j -> y) for every candidate j in ``cand``, and with ``record`` (S not
    empty) ``(Delta(X_S -> y), Delta(y -> X_S))`` of S itself, for one group (``cols``: its
    :class:`Columns`, computed here when not given).

    Returns ``(d_fwd, d_st, d_ts, n_fallbacks)``; with ``rows`` also the per-row sums of
    the two recorded imbalances, ``(..., rec_st, rec_ts)`` (for their standard errors).
    """
    n = xg.shape[0]
    cols = prepare_columns(xg) if cols is None else cols
    n_sel, n_cand = len(selected), len(cand)
    cand = np.asarray(cand, dtype=np.int64)
    s_order = cols.order[sorted(selected)]
    grid = n_cand > 0 and _use_grid(n, k, n_sel)
    # The buffer kernel first and the grids only for what its shared walk leaves unproven,
    # its buffers (|S| = 2) from blocks of a grid on S: no d_S rows but for the recorded
    # row (at N = 16000, 324 against 351 ms with the recorded row from a tree).
    defer = grid and _defer_to_grid(n, k, n_sel)
    block = defer and n_sel == 2
    grid = grid and not defer
    tree = _use_tree(n, k, n_sel, n_cand, grid)
    record = record and n_sel > 0
    # With one selected column and no candidates for the buffer kernel, the recorded row
    # from sorted walks (N = 16000: 5 against 54 ms from the buffer kernel).
    sorted_rec = record and n_sel == 1 and (grid or n_cand == 0)
    grid_rec = record and (grid or defer or n_cand == 0) and _use_grid_record(n, k, n_sel)
    tree = tree and not grid_rec
    kernel_record = record and not (tree and n_sel > 0) and not sorted_rec and not grid_rec
    searched = grid or tree  # the candidates, unless deferring
    run_kernel = (n_cand > 0 and (defer or not searched)) or kernel_record
    # k = 1 with the recorded row: the lane of S itself in the kernel's shared walk.
    own = run_kernel and k == 1 and kernel_record
    st, ct, cr, (cs, co, cp), (ss, so, sp) = step_arrays(xg, selected, cand, not tree, cols,
                                                         own)  # fmt: skip
    fwd = cols.work.array("fwd", (n, n_cand))
    rec_st = np.empty(n)
    rec_ts = np.empty(n)
    ys, yo, yp, yb = ysorted
    if grid:
        _grid_forward(st, s_order, ct, cols.order, cand, ysorted, k, tie_random, ps, pt, fwd,
                      work=cols.work)  # fmt: skip
    elif tree and n_sel == 0:
        fwd_t = cols.work.array("fwd_t", (n_cand, n))
        run_row_chunks(_kdtree_kernels.sorted_forward_rows, n_cand, ct, cols.order, cand, ys,
                       yo, yp, yb, k, tie_random, ps, pt, fwd_t)  # fmt: skip
        fwd[:] = fwd_t.T  # row-major, as the brute force sums it
    fallbacks = np.zeros(n, dtype=np.int64)
    if tree and n_sel > 0 and record:
        leaf = _kdtree_kernels._LEAF
        tree_s = _kdtree_kernels.build_tree(st, leaf)
        run_row_chunks(_kdtree_kernels.tree_record_rows, n, tree_s, leaf, ys, yo, yp, yb, k,
                       tie_random, ps, pt, st, rec_st, rec_ts)  # fmt: skip
    elif sorted_rec:
        _sorted_record(st, s_order[0], ysorted, k, tie_random, ps, pt, rec_st, rec_ts)
    elif grid_rec:
        _grid_record(st, s_order, ysorted, k, tie_random, ps, pt, rec_st, rec_ts)
    if run_kernel:
        # The buffer kernel: the candidates (unless searched above) and the recorded row.
        sizes = _buffer_sizes(n, k, n_sel)
        ct_k, cr_k = (ct, cr) if defer or not searched else \
            (ct[:0], np.ascontiguousarray(cr[:, n_cand:]))
        run_row_chunks(
            _pruned_kernels.pruned_forward_rows, n, st, ct_k, cr_k, cs, co, cp, ss, so, sp,
            *_block_grid(st, s_order, block), ys, yo, yp, yb, k, tie_random, ps, pt, *sizes,
            kernel_record, defer, fwd, rec_st, rec_ts, fallbacks,
        )  # fmt: skip
    if defer:
        deferred = fwd < 0.0
        if deferred.any():
            _grid_forward(st, s_order, ct, cols.order, cand, ysorted, k, tie_random, ps, pt,
                          fwd, deferred, cols.work)  # fmt: skip
    scale = 2.0 / (n * n)
    d_fwd = scale * fwd.sum(axis=0)
    if record:
        d_st, d_ts = scale * float(rec_st.sum()), scale * float(rec_ts.sum())
    else:
        d_st = d_ts = math.nan
    if rows:
        return d_fwd, d_st, d_ts, int(fallbacks.sum()), rec_st, rec_ts
    return d_fwd, d_st, d_ts, int(fallbacks.sum())


def one_dimensional_deltas(at, bt, k, tie_random, prio_a, prio_b, both):
    """Delta(A -> B) (and Delta(B -> A) with ``both``) of one group when A and B are both
    one-dimensional (``at``, ``bt`` of shape (1, n)): the first-step search of the path
    (sorted walks and binary searches, O(N log N)) in place of the O(N^2) brute force, with
    the same neighbours, ranks and priorities as :func:`skii._kernels.imbalance_rows`."""
    a, b = at.reshape(-1, 1), bt.reshape(-1, 1)
    ab = group_step(a, prepare_group(b[:, 0]), [], [0], k, tie_random, prio_a, prio_b, False)
    if not both:
        return float(ab[0][0])
    ba = group_step(b, prepare_group(a[:, 0]), [], [0], k, tie_random, prio_b, prio_a, False)
    return float(ab[0][0]), float(ba[0][0])

