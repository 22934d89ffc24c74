"""The pruned supervised greedy path (skii/_pruned_kernels.py) against brute force.

Three references: the numpy brute force written from the definition
(tests/reference_imbalance.py), the brute-force numba kernels it replaces (switched back on
through ``skii._imbalance._PRUNED``), and numpy for the one-dimensional helpers. Tiny
pruning buffers force the bound to fail, so the fallback full scan is exercised too.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_imbalance import greedy_path

from skii import (
    _imbalance,
    _kdtree_kernels,
    _kernels,
    _pruned_kernels,
    _pruned_path,
    imbalance_path,
)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def _brute_path(monkeypatch, *args, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(_imbalance, "_PRUNED", False)
        return imbalance_path(*args, **kwargs)


def _tiny_buffers(monkeypatch, small, large):
    monkeypatch.setattr(
        _pruned_path, "_buffer_sizes", lambda n, k, n_sel: (min(n - 1, small), min(n - 1, large))
    )


def _force_tree(monkeypatch, leaf=2, defer=False, grid_record=False):
    """Cell grids for the candidates of |S| = 1 and 2 (every pair, or with ``defer`` (k =
    1) those the buffer leaves unproven), sorted walks for the first step and k-d trees
    (or with ``grid_record``, cell grids) for the recorded rows of |S| = 2 and 3, at every
    size; tiny leaves and cells so that even small trees and grids have several levels."""
    monkeypatch.setattr(_pruned_path, "_use_grid_record",
                        lambda n, k, n_sel: grid_record and n_sel in (2, 3))
    monkeypatch.setattr(_pruned_path, "_RECORD_ROWS", float(leaf))
    monkeypatch.setattr(_pruned_path, "_use_grid", lambda n, k, n_sel: n_sel in (1, 2))
    monkeypatch.setattr(_pruned_path, "_defer_to_grid", lambda n, k, n_sel: defer and k == 1)
    monkeypatch.setattr(
        _pruned_path,
        "_use_tree",
        lambda n, k, n_sel, n_cand, grid: n_sel == 0 or (n_sel in (2, 3) and (grid or n_cand == 0)),
    )
    monkeypatch.setattr(_kdtree_kernels, "_LEAF", leaf)


def _assert_same_path(got: pd.DataFrame, want: pd.DataFrame):
    assert got["feature"].tolist() == want["feature"].tolist()
    cols = ["delta_subset_to_target", "delta_target_to_subset", "objective"]
    np.testing.assert_allclose(got[cols].to_numpy(), want[cols].to_numpy(), rtol=0, atol=1e-12)
    # The standard errors come from the same per-row sums (k-d tree, buffer or brute force).
    cols = ["delta_subset_to_target_std", "delta_target_to_subset_std"]
    np.testing.assert_allclose(got[cols].to_numpy(), want[cols].to_numpy(), rtol=1e-9, atol=0)


# --------------------------------------------------------------------------- 1-D helpers
@pytest.mark.parametrize("tie_random", [False, True])
@pytest.mark.parametrize("decimals", [0, 1, 6])
def test_nearest_full_scan_matches_neighbours(tie_random, decimals):
    """The k = 1 full scan (minimum in the distance pass, tied rows packed by the vector
    append) picks the same rows and weights as the general selection, ties included."""
    from skii._kernels import neighbours
    from skii._pruned_kernels import nearest_full_scan

    rng = np.random.default_rng(decimals)
    for n in (2, 9, 64, 301):
        x = np.round(rng.normal(size=(n, 3)), decimals)
        prio = rng.permutation(n).astype(float)
        for i in range(0, n, max(1, n // 7)):
            d_s = ((x[:, :2] - x[i, :2]) ** 2).sum(axis=1)
            d_s[i] = np.inf
            xc = np.ascontiguousarray(x[:, 2])
            got = [np.empty(n, dtype=np.int64), np.empty(n)]
            s = nearest_full_scan(d_s, xc, i, tie_random, prio, np.empty(n), *got,
                                  np.empty(1), np.empty(n, dtype=np.int64), np.empty(n),
                                  np.empty(n, dtype=np.int64))  # fmt: skip
            d = d_s + (xc - xc[i]) ** 2
            want = [np.empty(n, dtype=np.int64), np.empty(n)]
            s_ref = neighbours(d, i, 1, tie_random, prio, *want, np.empty(1),
                               np.empty(n, dtype=np.int64))  # fmt: skip
            assert s == s_ref
            np.testing.assert_array_equal(got[0][:s], want[0][:s])
            np.testing.assert_array_equal(got[1][:s], want[1][:s])


def test_prepare_columns_sorts_as_numpy():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(257, 5))
    x[:, 1] = np.round(x[:, 1])  # ties, and -0.0 beside 0.0
    x[:, 2] = 7.0
    x[:, 3] *= 1e300
    x[[0, 1], 4] = [np.inf, -np.inf]
    cols = _pruned_path.prepare_columns(x)
    assert np.array_equal(cols.xt, x.T)
    assert np.array_equal(cols.order, np.argsort(x.T, axis=1, kind="stable"))


def test_sole_nearest_in_sorted_column_or_a_tie():
    rng = np.random.default_rng(8)
    for x in (rng.normal(size=50), np.round(rng.normal(size=50), 1), np.full(5, 3.0),
              np.array([0.0, 1.0, 2.0, 3.0]), 1e6 + rng.random(40) * 1e-9,
              np.array([1.0])):  # fmt: skip
        order = np.argsort(x, kind="stable")
        xs = x[order]
        for p in range(x.size):
            d = (xs - xs[p]) ** 2
            d[p] = np.inf
            nearest = np.flatnonzero(d == d.min()) if x.size > 1 else []
            want = order[nearest[0]] if len(nearest) == 1 else -1
            assert _kdtree_kernels._sole_nearest_sorted(xs, order, p) == want


def test_walk_and_rank_in_sorted_column_match_counting():
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=60), 1)  # many exact ties
    x[:5] = x[0]  # duplicated values
    vals, order, pos = _pruned_path.sorted_target(x, np.argsort(x, kind="stable"))[:3]
    prio = rng.permutation(60).astype(np.int64)
    dv = np.empty(60)
    di = np.empty(60, dtype=np.int64)
    for i in range(60):
        d = (x - x[i]) ** 2
        cnt = _pruned_kernels.walk_sorted(vals, order, pos[i], 3, True, dv, di)
        # Non-decreasing distances, each the computed one, and every tie at the 3rd kept.
        assert np.all(np.diff(dv[:cnt]) >= 0) and np.array_equal(dv[:cnt], d[di[:cnt]])
        others = np.delete(np.arange(60), i)
        assert cnt == np.sum(d[others] <= np.sort(d[others])[2])
        for j in (0, 7, 59):
            if j == i:
                continue
            for tie_random in (False, True):
                got = _pruned_kernels.rank_sorted(vals, order, pos[i], d[j], j, tie_random, prio)
                want = _kernels.rank_by_counting(d, i, j, tie_random, prio)
                assert got == want


@pytest.mark.parametrize("want", [1, 5, 40, 400])
def test_lazy_buffer_pops_in_order_and_proves_its_bound(want):
    rng = np.random.default_rng(1)
    n, i = 2000, 17
    d = rng.integers(0, 300, size=n).astype(float)  # heavy ties
    d[i] = np.inf
    others = np.delete(np.arange(n), i)
    bv, hv = np.empty(n), np.empty(n)
    bi, hx = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    bs = np.zeros(3, dtype=np.int64)
    samp = np.empty(_pruned_kernels._SAMPLE_RANK)
    tau = _pruned_kernels.buffer_start(d, i, want, samp, hv, hx, bs)
    held = others[d[others] <= tau]
    assert bs[0] == 0 and bs[1] == held.size and set(hx[:bs[1]].tolist()) == set(held.tolist())
    new_tau = tau + 7.0 if np.isfinite(tau) else tau
    if np.isfinite(tau):
        _pruned_kernels.buffer_grow(d, i, tau, new_tau, hv, hx, bs)
        held = others[d[others] <= new_tau]
        assert bs[1] == held.size
    # Scans pop exactly as deep as they go, in non-decreasing order; the k-th distance of
    # the scan over d itself is the k-th smallest, and the bound holds (or -1).
    dv, di, top = np.empty(n), np.empty(n, dtype=np.int64), np.empty(3)
    cnt = _pruned_kernels.buffer_scan(bv, bi, hv, hx, bs, new_tau, d.reshape(-1, 1), 0, False, i, 3,
                                      dv, di, top)
    kth = np.sort(d[others])[2]
    if cnt >= 0:
        assert top[2] == kth and np.all(np.diff(bv[:bs[0]]) >= 0)
        assert np.array_equal(d[bi[:bs[0]]], bv[:bs[0]]) and i not in bi[:bs[0]]
    else:
        assert held.size < 3 or kth > new_tau
    xs = np.array([0.0, 3.0, 50.0, 299.0])
    covered = np.zeros(xs.size, dtype=np.bool_)
    got = _pruned_kernels.cover_prefix(bv, bi, hv, hx, bs, new_tau, xs, n, covered)
    assert np.array_equal(covered, (xs <= new_tau) | (held.size == n - 1))
    if covered.any():  # the prefix holds exactly the points up to the largest covered x
        x = xs[covered].max()
        assert got == np.sum(d[others] <= x)
        assert np.array_equal(np.sort(bi[:got]), np.sort(others[d[others] <= x]))
    assert bs[0] + bs[1] == held.size  # popping moves rows, never loses one
    # A cap on the prefix: what it cannot sort is not covered.
    if bs[1] > 0:
        covered[:] = False
        _pruned_kernels.cover_prefix(bv, bi, hv, hx, bs, new_tau, xs, bs[0], covered)
        assert not covered[xs >= hv[0]].any()


@pytest.mark.parametrize("want", [1, 6, 40, 1999])
@pytest.mark.parametrize("decimals", [None, 1])
def test_shared_candidate_scan_finds_each_nearest_and_its_ties(want, decimals):
    """scan_candidates_k1 against numpy: for every candidate it proves, the smallest
    d_S + u^2, a row attaining it and how many rows tie there."""
    rng = np.random.default_rng(7)
    n, n_cand = 2000, 9
    x = rng.normal(size=(n, 3 + n_cand))
    x[:, -1] *= 1e3  # a candidate whose neighbours in S + c lie far out in S
    if decimals is not None:
        x = np.round(x, decimals)  # ties in d_S and in d
    cr = np.ascontiguousarray(x[:, 3:])
    bv, hv = np.empty(n), np.empty(n)
    bi, hx = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    bs = np.zeros(3, dtype=np.int64)
    samp = np.empty(_pruned_kernels._SAMPLE_RANK)
    xi, best = np.empty(n_cand), np.empty(n_cand)
    arg, neq = np.empty(n_cand, dtype=np.int64), np.empty(n_cand, dtype=np.int64)
    done = np.zeros(n_cand, dtype=np.bool_)
    proven = 0
    for i in (0, 17, 1999):
        d_s = ((x[:, :3] - x[i, :3]) ** 2).sum(axis=1)
        d_s[i] = np.inf
        tau = _pruned_kernels.buffer_start(d_s, i, want, samp, hv, hx, bs)
        _pruned_kernels.scan_candidates_k1(bv, bi, hv, hx, bs, tau, cr, i, xi, best, arg,
                                           neq, done)
        assert np.all(np.diff(bv[: bs[0]]) >= 0)
        for c in range(n_cand):
            d = d_s + (x[:, 3 + c] - x[i, 3 + c]) ** 2
            if not done[c]:
                continue
            proven += 1
            assert best[c] == d.min() and d[arg[c]] == d.min()
            assert neq[c] == np.sum(d == d.min())
    assert proven > 0 or want < 40  # a buffer of one or a few rows may prove nothing
    if want >= n - 1:
        assert proven == 3 * n_cand  # the whole row is held: every bound holds


def _tree_cases(rng):
    n = 70
    yield rng.normal(size=(2, n))
    yield rng.integers(0, 3, size=(3, n)).astype(float)  # heavy ties
    x = rng.normal(size=(3, n))
    x[1] = 4.0  # a constant column
    x[:, 35:] = x[:, :35]  # duplicated rows
    yield x
    yield rng.normal(size=(1, 5))


@pytest.mark.parametrize("leaf", [1, 2, 16])
def test_kdtree_knn_and_rank_match_brute_force(rng, leaf):
    for x in _tree_cases(rng):
        dims, n = x.shape
        tree = _kdtree_kernels.build_tree(np.ascontiguousarray(x), leaf)
        perm = tree[0]
        assert np.array_equal(np.sort(perm), np.arange(n))
        prio = rng.permutation(n).astype(np.int64)
        scratch = np.empty(n), np.empty(n, dtype=np.int64)
        sv, sb, q = np.empty(64, dtype=np.int64), np.empty(64), np.empty(dims)
        for p in range(n):
            i = perm[p]
            d = np.empty(n)
            _kernels.sq_dist_row(np.ascontiguousarray(x), i, d)  # feature-index order
            d[i] = np.inf
            leaf_p = _kdtree_kernels.leaf_of(tree, p)
            for k in range(1, min(4, n - 1) + 1):
                top = np.empty(k)
                cnt = _kdtree_kernels.knn_candidates(tree, p, leaf_p, k, q, top, *scratch, sv, sb)
                t = np.sort(d)[k - 1]
                assert top[k - 1] == t
                dv, di = scratch[0][:cnt], scratch[1][:cnt]
                assert len(set(di.tolist())) == cnt and np.array_equal(dv, d[di])
                assert set(di[dv <= t].tolist()) == set(np.flatnonzero(d <= t).tolist())
            for j in range(n):
                if j == i:
                    continue
                for tie_random in (False, True):
                    got = _kdtree_kernels.tree_rank(tree, p, d[j], j, tie_random, prio, q, sv)
                    assert got == _kernels.rank_by_counting(d, i, j, tie_random, prio)


def test_rank_fast_matches_rank_sorted():
    rng = np.random.default_rng(7)
    for x in (np.round(rng.normal(size=80), 1), rng.integers(0, 3, 40).astype(float),
              np.full(9, 1.5), rng.normal(size=33), rng.exponential(size=50) ** 4,
              rng.normal(size=40) * 1e150):  # fmt: skip
        n = x.size
        vals, order, pos = _pruned_path.sorted_target(x, np.argsort(x, kind="stable"))[:3]
        prio = rng.permutation(n).astype(np.int64)
        # Every bucket count: one bucket (the search starts far away), one per row, more.
        buckets = [_pruned_kernels.value_buckets(vals, nb) for nb in (1, n, 4 * n)]
        assert all(b[-1] == n and np.all(np.diff(b) >= 0) for b in buckets)
        for i in range(n):
            for j in range(n):
                if j == i:
                    continue
                t = (x[j] - x[i]) ** 2
                for tie_random, starts in [(False, b) for b in buckets] + [(True, buckets[1])]:
                    got = _pruned_kernels.rank_fast(
                        vals, order, starts, pos[i], pos[j], t, j, tie_random, prio
                    )
                    want = _pruned_kernels.rank_sorted(vals, order, pos[i], t, j, tie_random, prio)
                    assert got == want


# --------------------------------------------------------------------------- whole paths
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_path_matches_numpy_reference(rng, k):
    x = rng.normal(size=(40, 5))
    x[30:] = x[:10]  # duplicated rows
    y = x[:, 1] - 0.8 * x[:, 4] ** 2 + 0.1 * rng.normal(size=40)
    groups = np.repeat([0, 1], [18, 22])
    path = imbalance_path(x, y, n_neighbors=k, groups=groups, n_features_to_select=4)
    order, fwd, bwd, _ = greedy_path(x, y, 4, k, groups)
    assert path["feature"].tolist() == order
    np.testing.assert_allclose(path["delta_subset_to_target"], fwd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(path["delta_target_to_subset"], bwd, rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 3])
def test_integer_ties_and_class_labels_match_numpy_reference(rng, k):
    x = rng.integers(0, 3, size=(36, 4)).astype(float)
    labels = (x[:, 0] + x[:, 2] > 2).astype(float)  # two classes: heavy target ties
    path = imbalance_path(x, labels, n_neighbors=k, n_features_to_select=3)
    order, fwd, bwd, _ = greedy_path(x, labels, 3, k)
    assert path["feature"].tolist() == order
    np.testing.assert_allclose(path["delta_subset_to_target"], fwd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(path["delta_target_to_subset"], bwd, rtol=0, atol=1e-12)


@pytest.mark.parametrize("ties", ["average", "random"])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_path_equals_brute_force_kernel_with_fallbacks(monkeypatch, rng, k, ties):
    n = 160
    x = rng.normal(size=(n, 6))
    x[:, 2] = np.round(x[:, 2])  # integer ties in one column
    x[:, 4] = 7.0  # constant: appended last
    x[n // 2 :] = x[: n // 2]  # duplicated rows
    y = np.round(x[:, 0] + x[:, 1] * x[:, 3], 1)
    groups = np.repeat([0, 1, 2], [50, 50, 60])
    kw = {"n_neighbors": k, "groups": groups, "ties": ties, "random_state": 5}
    with pytest.warns(UserWarning, match="constant"):
        want = _brute_path(monkeypatch, x, y, **kw)
    for small, large in [(1, 1), (2, 6), (40, 40)]:
        _tiny_buffers(monkeypatch, small, large)
        with pytest.warns(UserWarning, match="constant"):
            got = imbalance_path(x, y, **kw)
        _assert_same_path(got, want)
        assert got["feature"].iloc[-1] == 4


@pytest.mark.parametrize("grid_record", [False, True])
@pytest.mark.parametrize("defer", [False, True])
@pytest.mark.parametrize("ties", ["average", "random"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_tree_path_equals_brute_force_kernel(monkeypatch, rng, k, ties, defer, grid_record):
    n = 120
    x = rng.normal(size=(n, 6))
    x[:, 2] = np.round(x[:, 2])  # integer ties in one column
    x[:, 4] = 7.0  # constant: appended last
    x[n // 2 :] = x[: n // 2]  # duplicated rows
    y = np.round(x[:, 0] + x[:, 1] * x[:, 3], 1)
    groups = np.repeat([0, 1], [50, 70])
    kw = {"n_neighbors": k, "groups": groups, "ties": ties, "random_state": 5}
    with pytest.warns(UserWarning, match="constant"):
        want = _brute_path(monkeypatch, x, y, **kw)
    _tiny_buffers(monkeypatch, 6, 12)  # unproven pairs for the grids to take over
    monkeypatch.setattr(_pruned_path, "_BLOCK_ROWS", 2)  # small blocks: unproven pairs
    _force_tree(monkeypatch, defer=defer, grid_record=grid_record)
    searched = []
    grid_forward = _pruned_path._grid_forward

    def spy(*args, **kwargs):
        searched.append(None if len(args) < 12 else int(args[11].sum()))
        return grid_forward(*args, **kwargs)

    monkeypatch.setattr(_pruned_path, "_grid_forward", spy)
    with pytest.warns(UserWarning, match="constant"):
        got = imbalance_path(x, y, **kw)
    _assert_same_path(got, want)
    # Every grid search took every pair, or (deferring, k = 1) some but not all of them.
    if defer and k == 1:
        assert searched and all(0 < c < 70 * 5 for c in searched)
    else:
        assert searched and all(c is None for c in searched)


def test_default_crossover_uses_grids_and_trees_and_matches_brute_force(monkeypatch):
    rng = np.random.default_rng(4)
    n = 7000
    use_grid, use_tree = _pruned_path._use_grid, _pruned_path._use_tree
    defer = _pruned_path._defer_to_grid
    assert use_grid(n, 1, 1) and use_grid(n, 1, 2) and not use_grid(n, 1, 3)
    assert use_grid(4000, 1, 2) and not use_grid(3999, 1, 1) and not use_grid(5999, 2, 2)
    assert defer(n, 1, 2) and not defer(n, 1, 1) and not defer(n, 2, 2)
    assert use_tree(3000, 1, 0, 3, False) and use_tree(n, 1, 2, 3, True)
    assert use_tree(n, 1, 3, 0, False) and not use_tree(n, 1, 3, 3, False)
    grid_record = _pruned_path._use_grid_record
    assert grid_record(8000, 1, 2) and not grid_record(7999, 1, 2)
    assert not grid_record(16000, 1, 3)
    x = rng.normal(size=(n, 5))
    x[:, 1] = np.round(x[:, 1], 1)
    y = x[:, 0] + 0.5 * x[:, 1] * x[:, 2]
    want = _brute_path(monkeypatch, x, y, n_features_to_select=4)
    _assert_same_path(imbalance_path(x, y, n_features_to_select=4), want)


@pytest.mark.parametrize("k", [1, 3])
def test_tree_path_class_labels_and_integer_data(monkeypatch, rng, k):
    x = rng.integers(0, 3, size=(60, 4)).astype(float)
    labels = (x[:, 0] + x[:, 2] > 2).astype(float)  # two classes: heavy target ties
    want = _brute_path(monkeypatch, x, labels, n_neighbors=k)
    for grid_record in (False, True):
        _force_tree(monkeypatch, leaf=3, grid_record=grid_record)
        _assert_same_path(imbalance_path(x, labels, n_neighbors=k), want)


def test_high_variance_candidate_defeats_pruning_and_falls_back(monkeypatch):
    rng = np.random.default_rng(2)
    n = 400
    x = rng.normal(size=(n, 4))
    x[:, 3] *= 1e4  # its neighbours in S + 3 are far away in S: the bound fails
    y = x[:, 0] + 0.1 * x[:, 1]
    _tiny_buffers(monkeypatch, 32, 64)  # the default long buffer would hold every row
    monkeypatch.setattr(_pruned_path, "_use_grid", lambda n, k, n_sel: False)  # buffer
    monkeypatch.setattr(_pruned_path, "_use_tree", lambda n, k, n_sel, n_cand, grid: False)
    ysorted = _pruned_path.prepare_group(y)
    z = np.zeros(n, dtype=np.int64)
    counts = []
    for cand in ([3], [2]):
        *_, n_fallbacks = _pruned_path.group_step(x, ysorted, [0, 1], cand, 1, False, z, z, True)
        counts.append(n_fallbacks)
    assert counts[0] > n // 2 and counts[0] > 10 * counts[1]
    want = _brute_path(monkeypatch, x, y, n_features_to_select=4)
    _assert_same_path(imbalance_path(x, y, n_features_to_select=4), want)


def test_multi_output_target_uses_brute_force_and_matches_reference(rng):
    x = rng.normal(size=(40, 4))
    y = np.column_stack([x[:, 0], x[:, 2] ** 2])
    path = imbalance_path(x, y, n_features_to_select=3)
    order, fwd, bwd, _ = greedy_path(x, y, 3)
    assert path["feature"].tolist() == order
    np.testing.assert_allclose(path["delta_subset_to_target"], fwd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(path["delta_target_to_subset"], bwd, rtol=0, atol=1e-12)


def test_tol_stop_and_recorded_rows_match_brute_force(monkeypatch, rng):
    x = rng.normal(size=(200, 6))
    y = x[:, 0] + 0.3 * x[:, 5]
    want = _brute_path(monkeypatch, x, y, tol=0.01)
    got = imbalance_path(x, y, tol=0.01)
    assert 1 <= len(got) < 6
    _assert_same_path(got, want)


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(5, 50),
    d=st.integers(2, 4),
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 4),
    integer=st.booleans(),
    buffers=st.sampled_from([(1, 1), (2, 5), (64, 64)]),
    tree=st.booleans(),
    defer=st.booleans(),
    grid_record=st.booleans(),
)
def test_hypothesis_pruned_equals_brute_force(n, d, seed, k, integer, buffers, tree, defer,
                                              grid_record):  # fmt: skip
    r = np.random.default_rng(seed)
    if integer:
        x = r.integers(-2, 3, size=(n, d)).astype(float)
        y = r.integers(-1, 2, size=n).astype(float)
    else:
        x = r.normal(size=(n, d))
        y = x[:, 0] * r.normal() + r.normal(size=n)
    k = min(k, n - 1)
    mp = pytest.MonkeyPatch()
    try:
        want = _brute_path(mp, x, y, n_neighbors=k)
        _tiny_buffers(mp, *buffers)
        if tree:
            _force_tree(mp, leaf=buffers[0], defer=defer, grid_record=grid_record)
        got = imbalance_path(x, y, n_neighbors=k)
    finally:
        mp.undo()
    _assert_same_path(got, want)


# ------------------------------------------------------------- one feature, 1-D target
def _one_dim_cases(rng):
    n = 60
    yield rng.normal(size=n), rng.normal(size=n)
    yield rng.integers(0, 4, n).astype(float), rng.integers(0, 3, n).astype(float)
    yield np.full(n, 2.0), rng.normal(size=n)  # constant A: every point tied
    x = rng.normal(size=n)
    yield np.concatenate([x[:30], x[:30]]), np.round(rng.normal(size=n), 1)  # duplicated rows


@pytest.mark.parametrize("ties", ["average", "random"])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_one_dimensional_route_equals_brute_force(monkeypatch, rng, k, ties):
    from skii import information_imbalances

    for a, b in _one_dim_cases(rng):
        got = information_imbalances(a, b, n_neighbors=k, ties=ties, random_state=3)
        with monkeypatch.context() as m:
            m.setattr(_imbalance, "_PRUNED", False)
            want = information_imbalances(a, b, n_neighbors=k, ties=ties, random_state=3)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
