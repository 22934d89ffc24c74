import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_imbalance import delta, greedy_path, grouped_delta
from sklearn.utils import check_random_state

from skii import (
    ConstantFeatureWarning,
    imbalance_path,
    information_imbalance,
    information_imbalances,
    path_columns,
)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(12345)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_matches_brute_force_continuous(rng, k):
    a = rng.normal(size=(70, 3))
    b = rng.normal(size=(70, 2)) + a[:, :2]
    ab, ba = information_imbalances(a, b, n_neighbors=k)
    assert ab == pytest.approx(delta(a, b, k), abs=1e-12)
    assert ba == pytest.approx(delta(b, a, k), abs=1e-12)
    assert information_imbalance(a, b, n_neighbors=k) == ab


@pytest.mark.parametrize("k", [1, 3])
def test_matches_brute_force_with_ties(rng, k):
    # Integer features: many exactly tied distances on both sides.
    a = rng.integers(0, 3, size=(80, 2)).astype(float)
    b = rng.integers(0, 4, size=80).astype(float)
    ab, ba = information_imbalances(a, b, n_neighbors=k)
    assert ab == pytest.approx(delta(a, b, k), abs=1e-12)
    assert ba == pytest.approx(delta(b, a, k), abs=1e-12)


def test_heavy_ties_class_labels(rng):
    # Two classes: tie sets of ~N/2 rows take the sort-once path of the kernel.
    x = rng.normal(size=(150, 2))
    labels = (x[:, 0] > 0).astype(float)
    assert information_imbalance(labels, x) == pytest.approx(delta(labels, x), abs=1e-12)
    assert information_imbalance(x, labels) == pytest.approx(delta(x, labels), abs=1e-12)


@pytest.mark.parametrize("k", [1, 2])
def test_groups_match_brute_force(rng, k):
    a = rng.normal(size=(90, 2))
    b = a[:, 0] ** 2 + 0.3 * rng.normal(size=90)
    groups = np.repeat(["c1", "c2", "c3"], [20, 30, 40])
    got = information_imbalance(a, b, n_neighbors=k, groups=groups)
    assert got == pytest.approx(grouped_delta(a, b, groups, k), abs=1e-12)
    # Every group counts equally, whatever its size.
    per_group = [
        information_imbalance(a[groups == g], b[groups == g], n_neighbors=k)
        for g in ("c1", "c2", "c3")
    ]
    assert got == pytest.approx(np.mean(per_group), abs=1e-15)


def test_random_ties_match_brute_force_with_same_priorities(rng):
    a = rng.integers(0, 3, size=(60, 2)).astype(float)
    b = rng.integers(0, 3, size=60).astype(float)
    seed = 7
    state = check_random_state(seed)
    prio_a, prio_b = state.permutation(60), state.permutation(60)
    got = information_imbalance(a, b, n_neighbors=2, ties="random", random_state=seed)
    assert got == pytest.approx(delta(a, b, 2, prio_a, prio_b), abs=1e-12)


def test_random_ties_average_to_the_exact_expectation(rng):
    a = rng.integers(0, 4, size=(120, 1)).astype(float)
    b = rng.integers(0, 5, size=120).astype(float)
    exact = information_imbalance(a, b)
    draws = [information_imbalance(a, b, ties="random", random_state=s) for s in range(300)]
    assert np.std(draws) > 0  # the random option really breaks ties at random
    assert np.mean(draws) == pytest.approx(exact, abs=3 * np.std(draws) / np.sqrt(300) + 1e-3)


def test_minimum_is_two_over_n(rng):
    a = rng.normal(size=(200, 3))
    assert information_imbalance(a, a) == pytest.approx(2 / 200, abs=1e-15)
    assert information_imbalance(a, a, n_neighbors=3) == pytest.approx(4 / 200, abs=1e-15)


def test_independent_noise_is_close_to_one(rng):
    x = rng.normal(size=(2000, 2))
    y = rng.normal(size=2000)
    assert abs(information_imbalance(x, y) - 1.0) < 0.06


def test_one_column_2d_equals_1d(rng):
    x = rng.normal(size=100)
    y = rng.normal(size=100)
    assert information_imbalance(x, y) == information_imbalance(x[:, None], y[:, None])


def test_pandas_input(rng):

    x = rng.normal(size=(50, 2))
    y = rng.normal(size=50)
    assert information_imbalance(pd.DataFrame(x), pd.Series(y)) == information_imbalance(x, y)


@pytest.mark.filterwarnings("ignore:.*every other row is a neighbour:UserWarning")
@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(4, 40),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 3),
    integer=st.booleans(),
)
def test_properties(n, d, seed, k, integer):
    r = np.random.default_rng(seed)
    if integer:
        x = r.integers(-3, 4, size=(n, d)).astype(float)
        y = r.integers(-2, 3, size=n).astype(float)
    else:
        x = r.normal(size=(n, d))
        y = r.normal(size=n)
    k = min(k, n - 1)
    base = information_imbalance(x, y, n_neighbors=k)
    # Bounds: (k + 1) / N <= Delta < 2.
    assert (k + 1) / n - 1e-12 <= base < 2
    # Invariant under a permutation of the rows.
    perm = r.permutation(n)
    assert information_imbalance(x[perm], y[perm], n_neighbors=k) == pytest.approx(base, abs=1e-12)
    # Invariant under one common positive (power-of-two: exact) rescaling of all columns.
    assert information_imbalance(8.0 * x, y, n_neighbors=k) == pytest.approx(base, abs=1e-12)
    # Invariant under a positive affine map of the target (exact in floating point here).
    assert information_imbalance(x, 0.25 * y + 3.0, n_neighbors=k) == pytest.approx(base, abs=1e-12)
    assert base == pytest.approx(delta(x, y, k), abs=1e-12)


def test_not_invariant_under_general_monotone_target_map():
    # SPEC 5: ranks compare |y_j - y_i| on both sides of i, so exp(y) changes them.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 1))
    y = x[:, 0] + 0.5 * rng.normal(size=300)
    assert information_imbalance(x, y) != pytest.approx(information_imbalance(x, np.exp(3 * y)))


# --------------------------------------------------------------------------- greedy path
@pytest.mark.parametrize("mode", ["supervised", "unsupervised"])
@pytest.mark.parametrize("k", [1, 2])
def test_path_matches_brute_force(rng, mode, k):
    x = rng.normal(size=(45, 5))
    y = x[:, 3] - 0.7 * x[:, 1] ** 2 + 0.1 * rng.normal(size=45)
    groups = np.repeat([0, 1], [20, 25])
    path = imbalance_path(x, y, mode=mode, n_neighbors=k, groups=groups, n_features_to_select=4)
    order, fwd, bwd, obj = greedy_path(x, y, 4, k, groups, mode)
    assert path["feature"].tolist() == order
    to, fro = path_columns(mode)
    np.testing.assert_allclose(path[to], fwd, atol=1e-12)
    np.testing.assert_allclose(path[fro], bwd, atol=1e-12)
    np.testing.assert_allclose(path["objective"], obj, atol=1e-12)
    assert path["n_features"].tolist() == [1, 2, 3, 4]
    assert path["feature_name"].tolist() == [f"x{j}" for j in order]


def test_path_with_ties_matches_brute_force(rng):
    x = rng.integers(0, 4, size=(40, 4)).astype(float)
    y = x[:, 2] * 3 + x[:, 0]
    path = imbalance_path(x, y, n_features_to_select=2)
    order, fwd, _, _ = greedy_path(x, y, 2)
    assert path["feature"].tolist() == order == [2, 0]
    np.testing.assert_allclose(path["delta_subset_to_target"], fwd, atol=1e-12)


def test_path_random_ties_reproducible(rng):
    x = rng.integers(0, 3, size=(50, 4)).astype(float)
    y = x[:, 1] + rng.integers(0, 2, size=50)
    p1 = imbalance_path(x, y, ties="random", random_state=3)
    p2 = imbalance_path(x, y, ties="random", random_state=3)
    assert p1.equals(p2)


def test_path_tol_stops_early(rng):
    x = rng.normal(size=(300, 6))
    y = x[:, 0]
    path = imbalance_path(x, y, tol=0.01)
    assert 1 <= len(path) < 6
    assert path["feature"].iloc[0] == 0


def test_constant_column_never_preferred():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    x[:, 1] = 5.0
    y = x[:, 2] + 0.2 * x[:, 0]
    with pytest.warns(ConstantFeatureWarning, match="x1"):
        path = imbalance_path(x, y)
    assert path["feature"].tolist() == [2, 0, 1]
    assert np.all(np.isfinite(path[["delta_subset_to_target", "objective"]].to_numpy()))


def test_groups_n_jobs_do_not_change_result(rng):
    x = rng.normal(size=(120, 4))
    y = x[:, 1] + 0.1 * rng.normal(size=120)
    g = np.repeat([0, 1, 2], 40)
    p1 = imbalance_path(x, y, groups=g, n_jobs=1)
    p2 = imbalance_path(x, y, groups=g, n_jobs=2)
    assert p1.equals(p2)
    assert information_imbalance(x, y, groups=g, n_jobs=2) == information_imbalance(x, y, groups=g)


def test_dask_backend_runs_groups():
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    rng = np.random.default_rng(1)
    x = rng.normal(size=(90, 3))
    y = x[:, 0] + 0.1 * rng.normal(size=90)
    g = np.repeat([0, 1, 2], 30)
    expected = information_imbalance(x, y, groups=g)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        with parallel_config(backend="dask"):
            got = information_imbalance(x, y, groups=g, n_jobs=-1)
    assert got == expected


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "a, b, match",
    [
        (np.array([[np.nan], [1.0], [2.0]]), np.arange(3.0), "NaN"),
        (np.arange(3.0), np.array([0.0, np.inf, 1.0]), "NaN or infinite"),
        (np.arange(4.0), np.arange(3.0), "same number of rows"),
        (np.ones((1, 2)), np.ones(1), "at least 2 rows"),
        (np.zeros((3, 2, 2)), np.ones(3), "1-D or 2-D"),
        (np.array([["a"], ["b"]]), np.ones(2), "numeric"),
        (np.zeros((3, 0)), np.ones(3), "no features"),
        (np.array([1.0, 2.0, 1e200]), np.ones(3), "rescale"),
    ],
)
def test_bad_input(a, b, match):
    with pytest.raises(ValueError, match=match):
        information_imbalance(a, b)


def test_bad_parameters(rng):
    x = rng.normal(size=(10, 2))
    with pytest.raises(ValueError, match="n_neighbors=10 needs more than 10 rows"):
        information_imbalance(x, x, n_neighbors=10)
    with pytest.raises(ValueError, match="n_neighbors"):
        information_imbalance(x, x, n_neighbors=0)
    with pytest.raises(ValueError, match="ties"):
        information_imbalance(x, x, ties="first")
    with pytest.raises(ValueError, match="group 1 has 1"):
        information_imbalance(x, x, groups=[0] * 9 + [1])
    with pytest.raises(ValueError, match="one label per row"):
        information_imbalance(x, x, groups=[0, 1])
    with pytest.raises(ValueError, match="between 1 and the number of features"):
        imbalance_path(x, x[:, 0], n_features_to_select=3)
    with pytest.raises(ValueError, match="needs a target"):
        imbalance_path(x)
    with pytest.raises(ValueError, match="mode"):
        imbalance_path(x, mode="both")


def test_distance_row_kernel_sums_in_feature_order():
    from skii._kernels import sq_dist_row

    rng = np.random.default_rng(5)
    for n_feat in (1, 2, 4, 5, 7, 9):
        x = rng.normal(size=(n_feat, 50)) * 10.0 ** rng.integers(-3, 4, size=(n_feat, 1))
        out = np.empty(50)
        sq_dist_row(np.ascontiguousarray(x), 3, out)
        expected = np.zeros(50)
        for f in range(n_feat):  # strictly sequential, feature by feature
            expected = expected + (x[f] - x[f, 3]) ** 2
        np.testing.assert_array_equal(out, expected)


def test_path_columns_name_the_target_space(rng):
    x = rng.normal(size=(40, 3))
    sup = imbalance_path(x, x[:, 0], n_features_to_select=2)
    uns = imbalance_path(x, mode="unsupervised", n_features_to_select=2)
    assert list(sup.columns[3:5]) == ["delta_subset_to_target", "delta_target_to_subset"]
    assert list(uns.columns[3:5]) == ["delta_subset_to_full", "delta_full_to_subset"]
    assert path_columns() == tuple(sup.columns[3:5])
    assert path_columns("unsupervised") == tuple(uns.columns[3:5])
    # The full set predicts itself: the path ends at Delta(X -> X) both ways.
    assert uns["delta_full_to_subset"].iloc[-1] <= uns["delta_full_to_subset"].iloc[0]
    with pytest.raises(ValueError, match="mode"):
        path_columns("both")


def test_string_dataframe_column_is_named():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "label": ["x", "y", "z", "w"]})
    with pytest.raises(ValueError, match="column 'label' is not numeric"):
        information_imbalance(df, np.arange(4.0))
    with pytest.raises(ValueError, match="column 'label' is not numeric"):
        imbalance_path(df, np.arange(4.0))


def test_nan_group_labels_rejected_as_such(rng):
    x = rng.normal(size=(10, 2))
    g = np.r_[np.zeros(5), np.nan, np.ones(4)]
    with pytest.raises(ValueError, match="missing .NaN/None. label.*row 5"):
        information_imbalance(x, x, groups=g)
    with pytest.raises(ValueError, match="missing"):
        imbalance_path(x, x[:, 0], groups=pd.Series(["a"] * 5 + [None] + ["b"] * 4))


def test_too_small_group_is_named(rng):
    x = rng.normal(size=(10, 2))
    with pytest.raises(ValueError, match="group 'c' has 1"):
        information_imbalance(x, x, groups=["a"] * 5 + ["b"] * 4 + ["c"])
    with pytest.raises(ValueError, match="n_neighbors=3.*group 'b' has 3"):
        information_imbalance(x, x, n_neighbors=3, groups=["a"] * 7 + ["b"] * 3)


def test_two_rows_warn_that_the_imbalance_is_uninformative():
    x = np.array([[0.0, 1.0], [1.0, 3.0]])
    with pytest.warns(UserWarning, match="only 2 rows.*every information imbalance is 1.0"):
        path = imbalance_path(x, np.array([0.0, 1.0]))
    assert path["objective"].tolist() == [1.0, 1.0]
    with pytest.warns(UserWarning, match="group 1 has only 3 rows for n_neighbors=2"):
        information_imbalance(np.arange(8.0), np.arange(8.0), n_neighbors=2,
                              groups=[0] * 5 + [1] * 3)
