"""Standard errors of the information imbalance (return_std, the path's _std columns)
against the brute-force numpy reference of tests/reference_imbalance.py."""

import math

import numpy as np
import pandas as pd
import pytest
from reference_imbalance import delta, delta_and_std, row_contributions

from skii import (
    _imbalance,
    imbalance_path,
    information_imbalance,
    information_imbalances,
    leave_one_group_out_paths,
    path_columns,
)


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def test_row_contributions_reference_is_the_delta_reference(rng):
    a, b = rng.normal(size=(30, 2)), np.round(rng.normal(size=30), 1)
    for k in (1, 3):
        assert row_contributions(a, b, k).mean() == pytest.approx(delta(a, b, k), abs=1e-14)


@pytest.mark.parametrize("k", [1, 4])
@pytest.mark.parametrize("ties", [False, True])
def test_information_imbalance_std_matches_brute_force(rng, k, ties):
    a = rng.normal(size=(60, 3))
    b = a[:, 0] + 0.5 * rng.normal(size=60)
    if ties:
        a, b = np.round(a), np.round(b)
    value, err = information_imbalance(a, b, n_neighbors=k, return_std=True)
    want_value, want_err = delta_and_std(a, b, k)
    assert value == information_imbalance(a, b, n_neighbors=k)  # the same value, exactly
    assert value == pytest.approx(want_value, abs=1e-13)
    assert err == pytest.approx(want_err, rel=1e-10)
    assert err > 0


def test_std_over_groups_and_single_group_over_rows(rng):
    a = rng.normal(size=(120, 2))
    b = a[:, 1] + rng.normal(size=120)
    g = np.repeat(["p", "q", "r", "s"], 30)
    value, err = information_imbalance(a, b, groups=g, return_std=True)
    per_group = [information_imbalance(a[g == u], b[g == u]) for u in "pqrs"]
    assert value == pytest.approx(np.mean(per_group), abs=1e-15)
    assert err == pytest.approx(np.std(per_group, ddof=1) / 2, rel=1e-12)
    assert (value, err) == pytest.approx(delta_and_std(a, b, 1, g), rel=1e-10)
    # One group: the error over its rows, as without groups.
    one = information_imbalance(a, b, groups=np.zeros(120), return_std=True)
    assert one == information_imbalance(a, b, return_std=True)


def test_information_imbalances_returns_two_value_error_pairs(rng):
    a = rng.normal(size=(80, 3))
    b = a[:, :1] ** 2
    g = np.repeat([0, 1], 40)
    for groups in (None, g):
        (ab, ab_err), (ba, ba_err) = information_imbalances(a, b, groups=groups,
                                                            return_std=True)
        assert (ab, ba) == information_imbalances(a, b, groups=groups)
        assert (ab, ab_err) == information_imbalance(a, b, groups=groups, return_std=True)
        assert (ba, ba_err) == information_imbalance(b, a, groups=groups, return_std=True)
    (ab, ab_err), (ba, ba_err) = information_imbalances(a, b, return_std=True)
    assert ab_err == pytest.approx(delta_and_std(a, b)[1], rel=1e-10)
    assert ba_err == pytest.approx(delta_and_std(b, a)[1], rel=1e-10)


def _check_path_stds(path, X, target, mode, k=1, groups=None):
    to, fro = path_columns(mode)
    assert list(path.columns[-2:]) == [to + "_std", fro + "_std"]
    order = path["feature"].tolist()
    for d in range(1, len(order) + 1):
        sub = X[:, sorted(order[:d])]
        v_to, e_to = delta_and_std(sub, target, k, groups)
        v_fro, e_fro = delta_and_std(target, sub, k, groups)
        row = path.iloc[d - 1]
        assert row[to] == pytest.approx(v_to, abs=1e-13)
        assert row[fro] == pytest.approx(v_fro, abs=1e-13)
        assert row[to + "_std"] == pytest.approx(e_to, rel=1e-9, abs=1e-15)
        assert row[fro + "_std"] == pytest.approx(e_fro, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("pruned", [True, False])
@pytest.mark.parametrize("k", [1, 2])
def test_path_std_columns_match_brute_force(monkeypatch, rng, pruned, k):
    monkeypatch.setattr(_imbalance, "_PRUNED", pruned)
    X = rng.normal(size=(50, 4))
    y = X[:, 2] + 0.4 * X[:, 0] + 0.2 * rng.normal(size=50)
    path = imbalance_path(X, y, n_neighbors=k)
    _check_path_stds(path, X, y, "supervised", k)
    # tol stops early: the last recorded row still has its errors.
    short = imbalance_path(X, y, n_neighbors=k, tol=0.05)
    assert not short.isna().any().any()


def test_path_std_columns_multi_output_unsupervised_and_groups(rng):
    X = rng.normal(size=(60, 4))
    Y = np.column_stack([X[:, 0], X[:, 3] ** 2])
    _check_path_stds(imbalance_path(X, Y, n_features_to_select=3), X, Y, "supervised")
    _check_path_stds(imbalance_path(X, mode="unsupervised", n_features_to_select=3), X, X,
                     "unsupervised")
    g = np.repeat([0, 1, 2], 20)
    y = Y[:, 0] + Y[:, 1]
    _check_path_stds(imbalance_path(X, y, groups=g), X, y, "supervised", groups=g)


def test_pruned_and_brute_force_paths_give_the_same_errors(monkeypatch, rng):
    X = rng.normal(size=(150, 5))
    y = X[:, 1] - X[:, 4] + 0.1 * rng.normal(size=150)
    g = np.repeat([0, 1], 75)
    for groups in (None, g):
        got = imbalance_path(X, y, groups=groups)
        monkeypatch.setattr(_imbalance, "_PRUNED", False)
        want = imbalance_path(X, y, groups=groups)
        monkeypatch.setattr(_imbalance, "_PRUNED", True)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-13)


def test_leave_one_group_out_paths_have_the_same_std_columns(rng):
    X = rng.normal(size=(90, 4))
    y = X[:, 0] + rng.normal(size=90)
    g = np.repeat([0, 1, 2], 30)
    paths = leave_one_group_out_paths(X, y, groups=g, n_features_to_select=2)
    fold = imbalance_path(X[g != 0], y[g != 0], groups=g[g != 0], n_features_to_select=2)
    got = paths[paths.left_out_group == 0].drop(columns="left_out_group").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, fold, check_exact=True)
    # Two groups per fold: errors over groups, std(ddof=1) / sqrt(2) of the two values.
    part = [information_imbalance(X[g == u][:, [fold.feature[0]]], y[g == u]) for u in (1, 2)]
    assert fold["delta_subset_to_target_std"][0] == pytest.approx(
        np.std(part, ddof=1) / math.sqrt(2), rel=1e-12)


def test_path_plot_draws_error_bars(rng):
    pytest.importorskip("matplotlib")
    from skii.plotting import plot_imbalance_path, plot_imbalance_plane

    X = rng.normal(size=(80, 3))
    path = imbalance_path(X, X[:, 0] + X[:, 1])
    ax = plot_imbalance_path(path)
    assert [c.has_yerr for c in ax.containers] == [True, True]
    segs = ax.containers[0].lines[2][0].get_segments()  # the error bars of the first line
    lengths = [s[1][1] - s[0][1] for s in segs]
    np.testing.assert_allclose(lengths, 2 * path["delta_subset_to_target_std"])
    ax = plot_imbalance_plane(path["delta_subset_to_target"], path["delta_target_to_subset"],
                              xerr=path["delta_subset_to_target_std"],
                              yerr=path["delta_target_to_subset_std"])
    assert [(c.has_xerr, c.has_yerr) for c in ax.containers] == [(True, True)]
    # A path without the error columns still plots.
    ax = plot_imbalance_path(path.drop(columns=[c for c in path if c.endswith("_std")]))
    assert [c.has_yerr for c in ax.containers] == [False, False]
