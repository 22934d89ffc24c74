"""The pruned unsupervised greedy path (skii/_pruned_unsup_kernels.py) against brute force.

References: the brute-force numba kernels it replaces (row contributions, bit for bit, and
whole paths through ``skii._imbalance._PRUNED = False``), the numpy brute force written
from the definition (tests/reference_imbalance.py), and numpy for the sorting helpers.
Tiny pruning buffers force the forward bound to fail (the fallback full scan) and the
backward ranks onto full passes; a zero rank-cache budget exercises the uncached rows.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_imbalance import greedy_path

from skii import (
    _imbalance,
    _kernels,
    _pruned_unsup_kernels,
    _pruned_unsup_path,
    imbalance_path,
    leave_one_group_out_paths,
)
from skii._parallel import run_row_chunks


def sorted_columns(at):
    """Sorted values, row of each sorted position, sorted position of each row (per row of
    ``at``, shape (m, n)): the kernels' sorted inputs."""
    order = np.argsort(at, axis=1, kind="stable")
    vals = np.ascontiguousarray(np.take_along_axis(at, order, axis=1))
    pos = np.empty_like(order)
    np.put_along_axis(pos, order, np.broadcast_to(np.arange(at.shape[1]), at.shape), axis=1)
    return vals, order, pos


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def _brute_path(monkeypatch, *args, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(_imbalance, "_PRUNED", False)
        return imbalance_path(*args, **kwargs)


def _tiny_buffers(monkeypatch, small, large):
    monkeypatch.setattr(
        _pruned_unsup_path,
        "_buffer_sizes",
        lambda n, k, n_sel: (min(n - 1, small), min(n - 1, large)),
    )


def _brute_rows(x, sel, cand, k, tie_random, ps, pt):
    n = len(x)
    st_ = np.ascontiguousarray(x[:, sorted(sel)].T)
    ct = np.ascontiguousarray(x[:, cand].T)
    tt = np.ascontiguousarray(x.T)
    fwd, bwd = np.empty((n, len(cand))), np.empty((n, len(cand)))
    _kernels.greedy_candidate_rows(st_, ct, tt, k, tie_random, ps, pt, True, fwd, bwd)
    rec_sf, rec_fs = np.empty(n), np.empty(n)
    _kernels.imbalance_rows(st_, tt, k, tie_random, ps, pt, True, rec_sf, rec_fs)
    return fwd, bwd, rec_sf, rec_fs


def _pruned_rows(x, full, sel, cand, k, tie_random, ps, pt, buffers):
    n = len(x)
    st_ = np.ascontiguousarray(x[:, sorted(sel)].T)
    ct = np.ascontiguousarray(x[:, cand].T)
    empty_f, empty_i = np.empty((0, n)), np.empty((0, n), dtype=np.int64)
    cs, co, cp = sorted_columns(ct) if not sel else (empty_f, empty_i, empty_i)
    if len(sel) == 1:
        ss, so, sp = (a[0] for a in sorted_columns(st_))
    else:
        ss, so, sp = np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64)
    fwd, bwd = np.empty((n, len(cand))), np.empty((n, len(cand)))
    rec_sf, rec_fs = np.empty(n), np.empty(n)
    counts = np.empty((n, 2), dtype=np.int64)
    run_row_chunks(
        _pruned_unsup_kernels.unsup_forward_rows, n, st_, ct, np.ascontiguousarray(ct.T), cs, co,
        cp, ss, so, sp, full.xt,
        full.cached, full.rank, full.ptr, full.idx, full.w, k, tie_random, ps, pt, *buffers,
        bool(sel), fwd, bwd, rec_sf, rec_fs, counts,
    )  # fmt: skip
    return fwd, bwd, rec_sf, rec_fs


def _data(kind, n, p, rng):
    if kind == "integer":
        return rng.integers(0, 3, size=(n, p)).astype(float)
    x = rng.normal(size=(n, p))
    if kind == "duplicated":
        x[n // 2 :] = x[: n // 2]
        x[:, 1] = np.round(x[:, 1])
    return x


# --------------------------------------------------------------------------- helpers
def test_radix_order_and_ranks_match_numpy():
    rng = np.random.default_rng(0)
    n = 300
    d = np.round(rng.exponential(size=n), 1)  # many exact ties
    d[[3, 40]] = np.inf
    d[5] = 0.0
    order, tmp = np.empty(n, np.int64), np.empty(n, np.int64)
    keys, keys_tmp = np.empty(n, np.int64), np.empty(n, np.int64)
    count = np.empty(257, np.int64)
    srt = _kernels.radix_order(d, order, tmp, keys, keys_tmp, count)
    assert np.array_equal(d[srt], np.sort(d)) and sorted(srt.tolist()) == list(range(n))
    # Values that agree in their high 32 bits: short runs (insertion) and long ones (the
    # low-word passes), and every value distinct or all one.
    for other in (1e6 + rng.random(n) * 1e-4, 1.0 + rng.integers(0, 5, n) * 2.0**-40,
                  rng.random(n), np.full(n, 3.0)):  # fmt: skip
        srt = _kernels.radix_order(other, order, tmp, keys, keys_tmp, count)
        assert np.array_equal(other[srt], np.sort(other))
        assert sorted(srt.tolist()) == list(range(n))
    # Any sign, zeros of both signs, infinities, huge and tiny magnitudes, ties: the very
    # order of numpy's stable argsort (equal values, -0.0 and 0.0 among them, by index).
    signed = np.round(rng.normal(size=n), 1) * rng.choice([1e-300, 1.0, 1e300], n)
    signed[:20] = -0.0
    signed[10:30:2] = 0.0
    signed[[40, 41, 42]] = [np.inf, -np.inf, -np.inf]
    srt = _kernels.radix_order(signed, order, tmp, keys, keys_tmp, count)
    assert np.array_equal(srt, np.argsort(signed, kind="stable"))
    prio = rng.permutation(n).astype(np.int64)
    for tie_random in (False, True):
        want, got = np.empty(n), np.empty(n)
        _kernels.rank_row(d, 3, tie_random, prio, want)
        srt = _kernels.radix_order(d, order, tmp, keys, keys_tmp, count)
        _kernels.rank_row_ordered(d, 3, srt.copy(), tie_random, prio, got)
        assert np.array_equal(got, want)
        # Against the definition, counted in numpy (i = 3 is nobody's neighbour).
        others = np.delete(np.arange(n), 3)
        for j in others[::7]:
            rest = others[others != j]
            less = np.sum(d[rest] < d[j])
            tied = rest[d[rest] == d[j]]
            extra = np.sum(prio[tied] < prio[j]) if tie_random else 0.5 * tied.size
            assert want[j] == 1 + less + extra


def test_sort_ints_matches_numpy():
    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 33, 500):
        a = rng.integers(-5, 40, size=n + 3)
        want = np.concatenate([np.sort(a[:n]), a[n:]])
        _kernels.sort_ints(a, n)
        assert np.array_equal(a, want)


@pytest.mark.parametrize("kind", ["normal", "integer", "duplicated"])
def test_row_contributions_bit_identical_to_brute_force(kind):
    rng = np.random.default_rng(["normal", "integer", "duplicated"].index(kind))
    n, p = 70, 5
    x = _data(kind, n, p, rng)
    tt = np.ascontiguousarray(x.T)
    for k in (1, 2, 4):
        for tie_random in (False, True):
            ps = rng.permutation(n).astype(np.int64)
            pt = rng.permutation(n).astype(np.int64)
            for cache in (True, False):
                full = _pruned_unsup_path.prepare_group(tt, k, tie_random, pt, cache)
                for sel in ([], [2], [0, 3], [0, 1, 3]):
                    cand = [j for j in range(p) if j not in sel]
                    want = _brute_rows(x, sel, cand, k, tie_random, ps, pt)
                    for buffers in ((1, 1), (3, 9), (n - 1, n - 1)):
                        got = _pruned_rows(x, full, sel, cand, k, tie_random, ps, pt, buffers)
                        assert np.array_equal(got[0], want[0])
                        assert np.array_equal(got[1], want[1])
                        if sel:
                            assert np.array_equal(got[2], want[2])
                            assert np.array_equal(got[3], want[3])


def test_first_step_long_tied_blocks_bit_identical():
    # A column with two values: its first-step neighbour sets are blocks of ~100 tied rows
    # (more than the walk keeps), found by a scan of the column instead.
    rng = np.random.default_rng(7)
    n = 200
    x = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n), rng.integers(0, 3, n)])
    x = x.astype(float)
    tt = np.ascontiguousarray(x.T)
    for k in (1, 3):
        for tie_random in (False, True):
            ps = rng.permutation(n).astype(np.int64)
            pt = rng.permutation(n).astype(np.int64)
            full = _pruned_unsup_path.prepare_group(tt, k, tie_random, pt, True)
            want = _brute_rows(x, [], [0, 1, 2], k, tie_random, ps, pt)
            got = _pruned_rows(x, full, [], [0, 1, 2], k, tie_random, ps, pt, (1, 1))
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_uncached_rows_sort_after_many_distinct_ranks():
    # Without the rank cache a row counts its first full-X ranks one by one and sorts its
    # whole rank row once more than _COUNT_MAX distinct ones are needed (many candidates).
    rng = np.random.default_rng(8)
    n, p = 90, 80
    assert p > _pruned_unsup_kernels._COUNT_MAX
    x = rng.normal(size=(n, p))
    x[:, 5] = np.round(x[:, 5])
    tt = np.ascontiguousarray(x.T)
    for tie_random in (False, True):
        ps = rng.permutation(n).astype(np.int64)
        pt = rng.permutation(n).astype(np.int64)
        full = _pruned_unsup_path.prepare_group(tt, 2, tie_random, pt, False)
        for sel in ([], [0, 5]):
            cand = [j for j in range(p) if j not in sel]
            want = _brute_rows(x, sel, cand, 2, tie_random, ps, pt)
            got = _pruned_rows(x, full, sel, cand, 2, tie_random, ps, pt, (4, 12))
            for a, b in zip(got[: 4 if sel else 2], want, strict=False):
                assert np.array_equal(a, b)


# --------------------------------------------------------------------------- whole paths
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_path_matches_numpy_reference(rng, k):
    x = rng.normal(size=(40, 5))
    x[30:] = x[:10]  # duplicated rows
    groups = np.repeat([0, 1], [18, 22])
    path = imbalance_path(x, mode="unsupervised", n_neighbors=k, groups=groups,
                          n_features_to_select=4)
    order, fwd, bwd, obj = greedy_path(x, None, 4, k, groups, mode="unsupervised")
    assert path["feature"].tolist() == order
    np.testing.assert_allclose(path["delta_subset_to_full"], fwd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(path["delta_full_to_subset"], bwd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(path["objective"], obj, rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 3])
def test_heavy_ties_match_numpy_reference(rng, k):
    x = rng.integers(0, 2, size=(36, 4)).astype(float)  # binary columns: class-label ties
    x[:, 3] = rng.integers(0, 3, size=36)
    path = imbalance_path(x, mode="unsupervised", n_neighbors=k, n_features_to_select=3)
    order, fwd, bwd, _ = greedy_path(x, None, 3, k, mode="unsupervised")
    assert path["feature"].tolist() == order
    np.testing.assert_allclose(path["delta_subset_to_full"], fwd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(path["delta_full_to_subset"], bwd, rtol=0, atol=1e-12)


@pytest.mark.parametrize("ties", ["average", "random"])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_path_equals_brute_force_kernel(monkeypatch, rng, k, ties):
    n = 150
    x = rng.normal(size=(n, 6))
    x[:, 2] = np.round(x[:, 2])  # integer ties in one column
    x[:, 4] = 7.0  # constant: appended last
    x[n // 2 :] = x[: n // 2]  # duplicated rows
    groups = np.repeat([0, 1, 2], [45, 45, 60])
    kw = {"mode": "unsupervised", "n_neighbors": k, "groups": groups, "ties": ties,
          "random_state": 5}
    with pytest.warns(UserWarning, match="constant"):
        want = _brute_path(monkeypatch, x, **kw)
    for buffers, budget in [((1, 1), 0), ((2, 6), None), ((40, 40), None)]:
        _tiny_buffers(monkeypatch, *buffers)
        if budget is not None:  # no full-X rank cache: ranks counted per row
            monkeypatch.setattr(_pruned_unsup_path, "RANK_CACHE_BYTES", budget)
        with pytest.warns(UserWarning, match="constant"):
            got = imbalance_path(x, **kw)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert got["feature"].iloc[-1] == 4
        monkeypatch.undo()


def test_high_variance_candidate_defeats_pruning_and_falls_back(monkeypatch):
    rng = np.random.default_rng(2)
    n = 400
    x = rng.normal(size=(n, 4))
    x[:, 3] *= 1e4  # its neighbours in S + 3 are far away in S: the bound fails
    _tiny_buffers(monkeypatch, 32, 64)
    z = np.zeros(n, dtype=np.int64)
    full = _pruned_unsup_path.prepare_group(np.ascontiguousarray(x.T), 1, False, z, True)
    counts = []
    for cand in ([3], [2]):
        *_, (n_fallbacks, _) = _pruned_unsup_path.group_step(
            x, full, [0, 1], cand, 1, False, z, z, True
        )
        counts.append(n_fallbacks)
    assert counts[0] > n // 2 and counts[0] > 10 * counts[1]
    want = _brute_path(monkeypatch, x, mode="unsupervised")
    pd.testing.assert_frame_equal(imbalance_path(x, mode="unsupervised"), want, check_exact=True)


def test_tol_stop_matches_brute_force(monkeypatch, rng):
    x = rng.normal(size=(120, 6))
    x[:, 5] = x[:, 0] + 0.01 * rng.normal(size=120)
    want = _brute_path(monkeypatch, x, mode="unsupervised", tol=0.05)
    got = imbalance_path(x, mode="unsupervised", tol=0.05)
    assert 1 <= len(got) < 6
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_leave_one_group_out_unsupervised_equals_brute_force(monkeypatch, rng):
    x = rng.normal(size=(160, 5))
    x[:, 1] = np.round(x[:, 1])
    g = np.repeat([0, 1, 2, 3], 40)
    kw = {"groups": g, "mode": "unsupervised", "n_features_to_select": 4, "n_neighbors": 2}
    got = leave_one_group_out_paths(x, **kw)
    with monkeypatch.context() as m:
        m.setattr(_imbalance, "_PRUNED", False)
        want = leave_one_group_out_paths(x, **kw)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.filterwarnings("ignore:.*every other row is a neighbour")
@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(5, 45),
    d=st.integers(2, 4),
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 4),
    integer=st.booleans(),
    ties=st.sampled_from(["average", "random"]),
    buffers=st.sampled_from([(1, 1), (2, 5), (64, 64)]),
    cache=st.booleans(),
)
def test_hypothesis_pruned_equals_brute_force(n, d, seed, k, integer, ties, buffers, cache):
    r = np.random.default_rng(seed)
    x = r.integers(-2, 3, size=(n, d)).astype(float) if integer else r.normal(size=(n, d))
    x[:, 0] += 1e-3 * np.arange(n)  # never constant
    k = min(k, n - 1)
    kw = {"mode": "unsupervised", "n_neighbors": k, "ties": ties, "random_state": seed % 7}
    mp = pytest.MonkeyPatch()
    try:
        want = _brute_path(mp, x, **kw)
        _tiny_buffers(mp, *buffers)
        if not cache:
            mp.setattr(_pruned_unsup_path, "RANK_CACHE_BYTES", 0)
        got = imbalance_path(x, **kw)
    finally:
        mp.undo()
    pd.testing.assert_frame_equal(got, want, check_exact=True)
