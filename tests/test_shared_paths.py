"""leave_one_group_out_paths equals one imbalance_path per fold, exactly."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skii import imbalance_path, leave_one_group_out_paths


def _per_fold(X, y, g, **kw):
    out = []
    for label in np.unique(g):
        tr = g != label
        path = imbalance_path(X[tr], None if y is None else y[tr], groups=g[tr], **kw)
        path.insert(0, "left_out_group", label)
        out.append(path)
    return pd.concat(out, ignore_index=True)


def _data(seed, n=60, p=6, n_groups=4, integer=False):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, (n * n_groups, p)).astype(float) if integer else \
        rng.normal(size=(n * n_groups, p))
    y = X[:, 1] + 0.5 * X[:, 3] ** 2 + 0.3 * rng.normal(size=len(X))
    g = np.repeat(np.arange(n_groups), n)
    return X, y, g


@pytest.mark.parametrize("mode", ["supervised", "unsupervised"])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("integer", [False, True])
def test_equals_one_path_per_fold(mode, k, integer):
    X, y, g = _data(k + 10 * integer, integer=integer)
    y = None if mode == "unsupervised" else y
    kw = dict(mode=mode, n_features_to_select=4, n_neighbors=k)
    shared = leave_one_group_out_paths(X, y, groups=g, **kw)
    pd.testing.assert_frame_equal(shared, _per_fold(X, y, g, **kw), check_exact=True)


@pytest.mark.filterwarnings("ignore::skii.ConstantFeatureWarning")
def test_constant_columns_multi_output_labels_and_random_ties():
    X, y, g = _data(3)
    X[:, 0] = 1.0  # constant everywhere: never a candidate
    X[g == 2, 4] = 5.0  # constant in one group only: still a candidate
    labels = np.array(["a", "b", "c", "d"])[g]
    Y = np.c_[y, X[:, 2]]
    for kw in (dict(n_features_to_select=3), dict(n_features_to_select=6),
               dict(n_features_to_select=3, ties="random", random_state=4)):
        for target in (y, Y):
            shared = leave_one_group_out_paths(X, target, groups=labels, **kw)
            want = _per_fold(X, target, labels, **kw)
            pd.testing.assert_frame_equal(shared, want, check_exact=True)
    assert list(leave_one_group_out_paths(X, y, groups=labels, n_features_to_select=2)
                ["left_out_group"].unique()) == ["a", "b", "c", "d"]


def test_bad_input():
    X, y, g = _data(1, n_groups=1)
    with pytest.raises(ValueError, match="at least 2 groups"):
        leave_one_group_out_paths(X, y, groups=g, n_features_to_select=2)
    X, y, g = _data(1, n_groups=2)  # two folds of one group each
    pd.testing.assert_frame_equal(leave_one_group_out_paths(X, y, groups=g, n_features_to_select=2),
                                  _per_fold(X, y, g, n_features_to_select=2), check_exact=True)
    X, y, g = _data(1)
    with pytest.raises(ValueError, match="needs a target"):
        leave_one_group_out_paths(X, groups=g, n_features_to_select=2)
    with pytest.raises(ValueError, match="n_features_to_select"):
        leave_one_group_out_paths(X, y, groups=g, n_features_to_select=0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n_groups=st.integers(3, 5), d=st.integers(1, 4))
def test_hypothesis_supervised_and_unsupervised(seed, n_groups, d):
    X, y, g = _data(seed, n=25, p=5, n_groups=n_groups, integer=seed % 2 == 0)
    for mode, target in (("supervised", y), ("unsupervised", None)):
        kw = dict(mode=mode, n_features_to_select=d)
        pd.testing.assert_frame_equal(leave_one_group_out_paths(X, target, groups=g, **kw),
                                      _per_fold(X, target, g, **kw), check_exact=True)


@pytest.mark.parametrize("mode", ["supervised", "unsupervised"])
def test_periodic_features_equal_one_path_per_fold(mode):
    X, y, g = _data(5)
    X[:, 2] = (3.0 * X[:, 2] + np.pi) % (2 * np.pi) - np.pi  # an angle across the cut
    periods = [None, None, 2 * np.pi, None, None, None]
    target = None if mode == "unsupervised" else (y + np.pi) % (2 * np.pi) - np.pi
    kw = dict(mode=mode, n_features_to_select=3, periods=periods)
    if mode == "supervised":
        kw["target_periods"] = 2 * np.pi
    shared = leave_one_group_out_paths(X, target, groups=g, **kw)
    pd.testing.assert_frame_equal(shared, _per_fold(X, target, g, **kw), check_exact=True)
    plain = leave_one_group_out_paths(X, target, groups=g, mode=mode, n_features_to_select=3)
    assert not np.allclose(plain.iloc[:, 4], shared.iloc[:, 4])  # the periods matter


def test_row_chunks_run_on_threads_and_after_fork():
    """The row kernels' thread pool covers every row once, with any thread count, and a
    forked child (which inherits the pool object but not its threads) gets its own."""
    import multiprocessing

    import numba

    from skii._parallel import call_with_threads, run_row_chunks

    def fill(lo, hi, out):
        out[lo:hi] += np.arange(lo, hi) + 1

    for threads in range(1, numba.config.NUMBA_NUM_THREADS + 1):
        for n in (1, 7, 100):
            out = np.zeros(n)
            call_with_threads(threads, run_row_chunks, fill, n, out)
            assert out.tolist() == list(range(1, n + 1))
    call_with_threads(2, run_row_chunks, fill, 10, np.zeros(10))  # a pool exists now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_fill_in_child).get(timeout=60)
    assert got == list(range(1, 11))


def _fill_in_child():
    import numpy as np

    from skii._parallel import call_with_threads, run_row_chunks

    out = np.zeros(10)

    def fill(lo, hi, a):
        a[lo:hi] += np.arange(lo, hi) + 1

    call_with_threads(2, run_row_chunks, fill, 10, out)
    return out.tolist()
