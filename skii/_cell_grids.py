"""Cell grids over a few columns: rows binned by quantile cells, for exact neighbour
searches (the candidate grids of :mod:`skii._grid_kernels`, and the buffers of the pruned
path kernel at |S| = 2, :func:`block_buffer`).

A cell is a product of intervals ``edges[f, a] <= x_f < edges[f, a + 1]``, one per axis,
with the interior edges at quantiles of each column; rows are stored ordered by cell,
cells numbered row-major so that those along the last axis are contiguous. Searches
decide with distances computed as the brute-force kernels compute them (squared
differences summed in axis order from 0); a bound from the grid only says which rows
cannot be closer (:func:`outside_bound`).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def axis_cells(col, order, g, edges):
    """Cut the axis of ``col`` into at most g cells, ``order`` its sorted order (a stable
    argsort): writes the cell edges to ``edges`` (g + 1,) and returns ``(n_cells,
    cells)``, the number of cells and the cell of every value.

    edges[0] = -inf and edges[n_cells] = inf; the interior edges are the distinct values
    at the sorted positions ``a * n // g`` (distinct, so that a column with few values gets
    few cells and every gap to an edge other than a row's own lower edge is positive).
    Cell a holds the values x with ``edges[a] <= x < edges[a + 1]``. O(n + g): one walk in
    sorted order (a binary search per value cost ~60% of building a candidate's grid).
    """
    n = col.shape[0]
    edges[0] = -np.inf
    n_cells = 1
    for a in range(1, g):
        v = col[order[(a * n) // g]]
        if v > edges[n_cells - 1]:
            edges[n_cells] = v
            n_cells += 1
    edges[n_cells] = np.inf
    cells = np.empty(n, dtype=np.int64)
    c = 0
    for p in range(n):
        m = order[p]
        x = col[m]
        while x >= edges[c + 1]:  # edges[n_cells] = inf stops it
            c += 1
        cells[m] = c
    return n_cells, cells


@njit(cache=True)
def build_grid(pts, cell_axes, sizes):
    """Bin the columns of ``pts`` (dims, n) into a grid of ``sizes[f]`` cells on axis f
    (``cell_axes`` (dims, n): each row's cell on each axis).

    Returns ``(rows, tp, tc, start)``: rows[p], the row at grid position p (rows ordered by
    cell, cells numbered row-major, so that the cells along the last axis are contiguous);
    tp[p, f], its coordinates; tc[p, f], its cell on axis f; start[c]:start[c + 1], the
    positions in cell c.
    """
    dims, n = pts.shape
    n_cells = 1
    for f in range(dims):
        n_cells *= sizes[f]
    cid = np.zeros(n, dtype=np.int64)
    for f in range(dims):
        for m in range(n):
            cid[m] = cid[m] * sizes[f] + cell_axes[f, m]
    start = np.zeros(n_cells + 1, dtype=np.int64)
    for m in range(n):
        start[cid[m] + 1] += 1
    for c in range(n_cells):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    rows = np.empty(n, dtype=np.int64)
    for m in range(n):
        c = cid[m]
        rows[fill[c]] = m
        fill[c] += 1
    tp = np.empty((n, dims))
    tc = np.empty((n, dims), dtype=np.int64)
    for p in range(n):
        m = rows[p]
        for f in range(dims):
            tp[p, f] = pts[f, m]
            tc[p, f] = cell_axes[f, m]
    return rows, tp, tc, start


@njit(cache=True, inline="always")
def outside_bound(edges, sizes, cc, q, r):
    """Lower bound of the distance from q to every row outside the block of cells within
    r of cell cc on every axis (inf when the block covers the grid): such a row lies
    beyond the block's edge on some axis f, by at least the gap from q to that edge."""
    lb = np.inf
    for f in range(q.shape[0]):
        a = cc[f] - r
        if a >= 1:
            u = q[f] - edges[f, a]
            lb = min(lb, u * u)
        b = cc[f] + r + 1
        if b <= sizes[f] - 1:
            u = edges[f, b] - q[f]
            lb = min(lb, u * u)
    return lb


@njit(cache=True)
def block_buffer(rows, tp, tc, start, edges, sizes, p, q, cc, hv, hx, bs):
    """Start the buffer of :func:`skii._pruned_kernels.buffer_start` for the row at grid
    position p of a two-axis grid, from the block of cells within one of its own instead
    of a whole d_S row: every row with ``d_S <= tau`` into ``hv``/``hx`` (unsorted,
    ``bs = [0, size, 0]``), tau just below the bound :func:`outside_bound` of the block,
    so that every row outside the buffer has ``d_S > tau`` exactly as there. d_S is
    ``(0 + u_0^2) + u_1^2``, the selected columns in feature-index order. ``q`` and
    ``cc`` (size 2) are scratch. Returns tau.
    """
    for f in range(2):
        q[f] = tp[p, f]
        cc[f] = tc[p, f]
    lb = outside_bound(edges, sizes, cc, q, 1)
    tau = np.inf if lb == np.inf else np.nextafter(lb, -np.inf)
    g1 = sizes[1]
    lo = max(0, cc[1] - 1)
    hi = min(g1 - 1, cc[1] + 1)
    size = 0
    for a in range(max(0, cc[0] - 1), min(sizes[0] - 1, cc[0] + 1) + 1):
        for r in range(start[a * g1 + lo], start[a * g1 + hi + 1]):
            if r == p:
                continue
            u = tp[r, 0] - q[0]
            d = u * u
            u = tp[r, 1] - q[1]
            d += u * u
            if d <= tau:
                hv[size] = d
                hx[size] = rows[r]
                size += 1
    bs[0] = 0
    bs[1] = size
    bs[2] = 0
    return tau
