"""The cell-grid neighbour search of the supervised path (skii/_grid_kernels.py) against
brute force: the exact k-th distance and every point at or below it, on data built to
stress the grid (ties, duplicated rows, a column with few values, a far outlier, one
tight cluster)."""

import numpy as np
import pytest

from skii import _cell_grids, _grid_kernels, _kernels


def _grid(pts, g):
    dims, n = pts.shape
    edges = np.empty((dims, g + 1))
    axes = np.empty((dims, n), dtype=np.int64)
    sizes = np.empty(dims, dtype=np.int64)
    for f in range(dims):
        order = np.argsort(pts[f], kind="stable")
        sizes[f], axes[f] = _cell_grids.axis_cells(pts[f], order, g, edges[f])
    return _cell_grids.build_grid(pts, axes, sizes), edges, sizes, axes


def _cases(rng, dims):
    n = 300
    yield rng.normal(size=(dims, n))
    yield np.round(rng.normal(size=(dims, n)), 1)  # ties
    x = rng.normal(size=(dims, n))
    x[0] = rng.integers(0, 3, n)  # few distinct values: few cells on that axis
    yield x
    x = rng.normal(size=(dims, n))
    x[:, 150:] = x[:, :150]  # duplicated rows: neighbours at distance 0
    yield x
    x = rng.normal(size=(dims, n))
    x[:, 0] = 1e6  # one far outlier: its search walks out over every ring
    x[:, 1:250] *= 1e-3  # and one tight cluster
    yield x
    yield np.full((dims, n), 2.0)  # every row the same


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("g", [1, 3, 12])
@pytest.mark.parametrize("k", [1, 3])
def test_grid_knn_finds_every_point_up_to_the_kth_distance(dims, g, k):
    rng = np.random.default_rng(dims * 100 + g)
    for pts in _cases(rng, dims):
        n = pts.shape[1]
        (rows, tp, tc, start), edges, sizes, axes = _grid(np.ascontiguousarray(pts), g)
        assert sorted(rows.tolist()) == list(range(n)) and start[-1] == n
        assert np.array_equal(tp, pts[:, rows].T) and np.all(sizes <= g)
        for f in range(dims):  # every value lies in its cell
            lo, hi = edges[f, axes[f]], edges[f, axes[f] + 1]
            assert np.all((lo <= pts[f]) & (pts[f] < hi))
        dv, di = np.empty(n), np.empty(n, dtype=np.int64)
        top, q, cc = np.empty(k), np.empty(dims), np.empty(dims, dtype=np.int64)
        for p in range(0, n, 7):
            i = rows[p]
            # The brute force's distances: summed over the axes in order, from 0.
            d = np.zeros(n)
            for f in range(dims):
                d = d + (pts[f] - pts[f, i]) ** 2
            d[i] = np.inf
            kth = np.sort(d)[k - 1]
            cnt = _grid_kernels.grid_knn(rows, tp, tc, start, edges, sizes, p, k, q, cc, top,
                                         dv, di)  # fmt: skip
            assert top[k - 1] == kth
            got = di[:cnt][dv[:cnt] <= kth]
            assert sorted(got.tolist()) == np.flatnonzero(d <= kth).tolist()
            assert np.array_equal(dv[:cnt], d[di[:cnt]])


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("g", [1, 3, 12])
def test_grid_rank_is_the_counting_rank(dims, g):
    """The range count of the recorded row against the brute force's counting pass, for
    every (row, other row) pair tried: whole cells below t, cells above it, ties at t
    (with both tie rules), i's own cell and duplicated rows."""
    rng = np.random.default_rng(dims * 10 + g)
    for pts in _cases(rng, dims):
        n = pts.shape[1]
        (rows, tp, tc, start), edges, sizes, _ = _grid(np.ascontiguousarray(pts), g)
        prio = rng.permutation(n).astype(np.int64)
        q, cc = np.empty(dims), np.empty(dims, dtype=np.int64)
        for p in range(0, n, 13):
            i = rows[p]
            q[:], cc[:] = tp[p], tc[p]
            d = np.empty(n)
            _kernels.sq_dist_row(np.ascontiguousarray(pts), i, d)  # feature-index order
            d[i] = np.inf
            for j in list(range(0, n, 17)) + [int(np.argmin(d)), int(np.argmax(d))]:
                if j == i:
                    continue
                for tie_random in (False, True):
                    got = _grid_kernels.grid_rank(rows, tp, start, edges, sizes, p, d[j], j,
                                                  tie_random, prio, q, cc)  # fmt: skip
                    assert got == _kernels.rank_by_counting(d, i, j, tie_random, prio)


@pytest.mark.parametrize("g", [1, 4, 9])
def test_block_buffer_holds_exactly_the_rows_up_to_its_threshold(g):
    """The buffer from a block of cells keeps the invariant of a buffer from a whole d_S
    row: every row with d_S <= tau is in it (once), every other row has d_S > tau."""
    rng = np.random.default_rng(g)
    for pts in _cases(rng, 2):
        n = pts.shape[1]
        (rows, tp, tc, start), edges, sizes, _ = _grid(np.ascontiguousarray(pts), g)
        hv, hx = np.empty(n), np.empty(n, dtype=np.int64)
        bs = np.zeros(3, dtype=np.int64)
        q, cc = np.empty(2), np.empty(2, dtype=np.int64)
        for p in range(0, n, 11):
            i = rows[p]
            tau = _cell_grids.block_buffer(rows, tp, tc, start, edges, sizes, p, q, cc, hv, hx,
                                           bs)  # fmt: skip
            d = (pts[0] - pts[0, i]) ** 2
            d = d + (pts[1] - pts[1, i]) ** 2
            d[i] = np.inf
            held = hx[: bs[1]]
            assert bs[0] == 0 and bs[2] == 0 and len(set(held.tolist())) == held.size
            assert sorted(held.tolist()) == [m for m in np.flatnonzero(d <= tau) if m != i]
            assert np.array_equal(hv[: bs[1]], d[held])
