"""Beam and backward searches (skii/_search.py) against exhaustive and brute-force numpy
references (tests/reference_imbalance.py), and their plumbing through the selector."""

import itertools
import math
import os

import joblib
import numpy as np
import pandas as pd
import pytest
from reference_imbalance import grouped_delta
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skii import ConstantFeatureWarning, InformationImbalanceSelector, imbalance_path
from skii._search import search_path


@parametrize_with_checks(
    [
        InformationImbalanceSelector(beam_width=2),
        InformationImbalanceSelector(direction="backward", mode="unsupervised", beam_width=2),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _objective(x, target, cols, groups, mode, k=1):
    """Brute-force objective of one subset (and its two imbalances)."""
    sub = x[:, list(cols)]
    fwd = grouped_delta(sub, target, groups, k)
    bwd = grouped_delta(target, sub, groups, k)
    obj = (fwd + bwd) / math.sqrt(2) if mode == "unsupervised" else fwd
    return obj, fwd, bwd


def _product_data(n=200, p=6, c=0.3, seed=0):
    # y needs x0 and x1 together; the weaker linear x2 is the best single feature.
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, p))
    return X, X[:, 0] * X[:, 1] + c * X[:, 2]


def test_beam_finds_the_product_pair_that_greedy_misses():
    X, y = _product_data()
    groups = np.zeros(len(y))
    pairs = list(itertools.combinations(range(X.shape[1]), 2))
    exhaustive = {s: _objective(X, y, s, groups, "supervised")[0] for s in pairs}
    best = min(exhaustive, key=exhaustive.get)
    assert best == (0, 1)
    greedy = imbalance_path(X, y, n_features_to_select=2)
    assert greedy["feature"].iloc[0] == 2  # the linear feature comes first...
    assert set(greedy["feature"]) != {0, 1}  # ...so the greedy pair is not the best one
    beam = imbalance_path(X, y, n_features_to_select=2, beam_width=X.shape[1])
    assert set(beam["subset"].iloc[1]) == {0, 1}
    assert beam["objective"].iloc[1] == pytest.approx(exhaustive[best], abs=1e-12)
    assert beam["objective"].iloc[1] < greedy["objective"].iloc[1] - 0.1
    # The best pair's own lineage: x1 or x0 entered first, the other last.
    assert beam["feature"].iloc[1] == beam["subset"].iloc[1][-1]


@pytest.mark.parametrize("mode", ["supervised", "unsupervised"])
def test_wide_beam_is_exhaustive_at_every_size(mode):
    # p = 5: a beam of C(5, 2) = 10 keeps every subset, so each row is the best subset of
    # its size over all of them.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 5))
    X[:, 4] = X[:, 0] * X[:, 1] + 0.1 * rng.normal(size=50)
    y = X[:, 0] * X[:, 1] + 0.3 * X[:, 2]
    groups = np.repeat([0, 1], 25)
    target = X if mode == "unsupervised" else y
    path = imbalance_path(X, y, mode=mode, beam_width=10, groups=groups)
    to, fro = path.columns[3], path.columns[4]
    assert path["n_features"].tolist() == [1, 2, 3, 4, 5]
    every = {
        s: _objective(X, target, s, groups, mode)
        for d in range(1, 6)
        for s in itertools.combinations(range(5), d)
    }
    for d, row in zip(range(1, 6), path.itertuples(index=False), strict=True):
        best = min((s for s in every if len(s) == d), key=lambda s: every[s][0])
        assert tuple(sorted(row.subset)) == best
        if d > 1:
            # Its lineage runs through its best sub-subset (every subset is in the beam).
            parents = [tuple(c for c in best if c != j) for j in best]
            assert tuple(sorted(row.subset[:-1])) == min(parents, key=lambda s: every[s][0])
        obj, fwd, bwd = every[best]
        assert row.objective == pytest.approx(obj, abs=1e-12)
        assert getattr(row, to) == pytest.approx(fwd, abs=1e-12)
        assert getattr(row, fro) == pytest.approx(bwd, abs=1e-12)


def _brute_backward(X, target, groups, mode, k, stop):
    cols = tuple(range(X.shape[1]))
    rows = [(cols, _objective(X, target, cols, groups, mode, k))]
    while len(cols) > stop:
        options = [tuple(c for c in cols if c != j) for j in cols]
        scored = {s: _objective(X, target, s, groups, mode, k) for s in options}
        cols = min(options, key=lambda s: (scored[s][0], s))
        rows.append((cols, scored[cols]))
    return rows


@pytest.mark.parametrize(
    "mode, k, grouped",
    [("supervised", 1, False), ("supervised", 2, True), ("unsupervised", 1, True)],
)
def test_backward_matches_brute_force(mode, k, grouped):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 5))
    X[:, 3] = X[:, 0] + 0.2 * rng.normal(size=60)
    y = np.sin(2 * X[:, 0]) + X[:, 2] ** 2
    groups = np.repeat([0, 1, 2], 20) if grouped else np.zeros(60)
    target = X if mode == "unsupervised" else y
    path = imbalance_path(
        X, y, mode=mode, direction="backward", n_neighbors=k,
        groups=groups if grouped else None, n_features_to_select=2,
    )  # fmt: skip
    expected = _brute_backward(X, target, groups, mode, k, stop=2)
    assert path["n_features"].tolist() == [5, 4, 3, 2]
    assert path["subset"].tolist() == [cols for cols, _ in expected]
    np.testing.assert_allclose(path["objective"], [v[0] for _, v in expected], atol=1e-12)
    np.testing.assert_allclose(path.iloc[:, 3], [v[1] for _, v in expected], atol=1e-12)
    np.testing.assert_allclose(path.iloc[:, 4], [v[2] for _, v in expected], atol=1e-12)
    # The removed feature is the difference between consecutive subsets.
    assert pd.isna(path["feature"].iloc[0])
    subsets, removed = path["subset"].tolist(), path["feature"].tolist()
    for prev, cur, gone in zip(subsets[:-1], subsets[1:], removed[1:], strict=True):
        assert set(prev) - set(cur) == {gone}


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"mode": "unsupervised"},
        {"groups": np.repeat([0, 1, 2], 40), "n_neighbors": 2},
        {"ties": "random", "random_state": 3},
        {"mode": "unsupervised", "ties": "random", "random_state": 3, "groups": [0, 1] * 60},
    ],
)
def test_width_one_search_equals_the_greedy_path(kw):
    # The beam code at width 1 reproduces the greedy path bit for bit (tied integer column
    # included), and beam_width=1 itself still runs the greedy code (no subset column).
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 5))
    X[:, 3] = np.round(X[:, 3])
    y = X[:, 0] + X[:, 3] ** 2
    greedy = imbalance_path(X, y, **kw)
    pd.testing.assert_frame_equal(
        search_path(X, y, **kw).drop(columns="subset"), greedy, check_exact=True
    )
    pd.testing.assert_frame_equal(
        imbalance_path(X, y, beam_width=1, direction="forward", **kw), greedy, check_exact=True
    )


def test_joblib_workers_change_nothing():
    X, y = _product_data(n=90, p=4)
    groups = np.repeat([0, 1, 2], 30)
    one = imbalance_path(X, y, beam_width=2, groups=groups)
    with joblib.parallel_config(backend="threading"):
        two = imbalance_path(X, y, beam_width=2, groups=groups, n_jobs=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_tol_stops_every_search_where_the_full_table_says():
    X, y = _product_data(n=150, p=5)
    full = imbalance_path(X, y, beam_width=2)
    obj = full["objective"].to_numpy()
    stop = next(d for d in range(1, 5) if obj[d - 1] - obj[d] < 0.05)
    cut = imbalance_path(X, y, beam_width=2, tol=0.05)
    pd.testing.assert_frame_equal(cut, full.iloc[:stop])
    back = imbalance_path(X, y, direction="backward")
    rise = np.diff(back["objective"].to_numpy())  # row i + 1 minus row i
    keep = next((i + 1 for i, r in enumerate(rise) if r >= 0.05), len(back))
    pd.testing.assert_frame_equal(
        imbalance_path(X, y, direction="backward", tol=0.05), back.iloc[:keep]
    )
    assert 1 < keep < len(back)  # the rule cut somewhere: the test means something


def test_constant_features_forward_last_backward_first():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    X[:, 1] = 2.0
    y = X[:, 0] + X[:, 2]
    with pytest.warns(ConstantFeatureWarning, match="appended at the end"):
        fwd = imbalance_path(X, y, beam_width=2)
    assert fwd["subset"].iloc[-1][-1] == 1 and 1 not in fwd["subset"].iloc[-2]
    assert fwd["objective"].iloc[-1] == fwd["objective"].iloc[-2]  # it changes no distance
    with pytest.warns(ConstantFeatureWarning, match="removed first"):
        back = imbalance_path(X, y, direction="backward")
    assert back["feature"].iloc[1] == 1
    assert back["objective"].iloc[1] == back["objective"].iloc[0]


def test_bad_search_parameters():
    X, y = _product_data(n=30, p=3)
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="beam_width must be a positive integer"):
            imbalance_path(X, y, beam_width=bad)
    with pytest.raises(ValueError, match="direction must be one of"):
        imbalance_path(X, y, direction="sideways")
    with pytest.raises(ValueError, match="n_features_to_select=4 must be between"):
        imbalance_path(X, y, direction="backward", n_features_to_select=4)
    with pytest.raises(ValueError, match="tol must be positive"):
        imbalance_path(X, y, beam_width=2, tol=-1.0)
    with pytest.raises(ValueError, match="'beam_width' parameter"):
        InformationImbalanceSelector(beam_width=0).fit(X, y)
    with pytest.raises(ValueError, match="'direction' parameter"):
        InformationImbalanceSelector(direction="up").fit(X, y)


def test_selector_attributes_and_feature_names():
    X, y = _product_data(n=200, p=6)
    df = pd.DataFrame(X, columns=list("abcdef"))
    sel = InformationImbalanceSelector(2, beam_width=3).fit(df, y)
    best = tuple(sel.imbalance_path_["subset"].iloc[-1])
    assert set(best) == {0, 1}
    np.testing.assert_array_equal(sel.selection_order_, best)
    np.testing.assert_array_equal(sel.get_support(), [True, True, False, False, False, False])
    assert sel.imbalance_path_["feature_name"].iloc[-1] == "ab"[best[-1]]
    back = InformationImbalanceSelector(3, direction="backward").fit(df, y)
    assert back.imbalance_path_["n_features"].tolist() == [6, 5, 4, 3]
    assert pd.isna(back.imbalance_path_["feature_name"].iloc[0])
    assert list(back.get_feature_names_out()) == [
        "abcdef"[j] for j in back.imbalance_path_["subset"].iloc[-1]
    ]
    np.testing.assert_array_equal(back.selection_order_, np.flatnonzero(back.support_))


@pytest.mark.parametrize("search", [{"beam_width": 2}, {"direction": "backward"}])
def test_cached_search_in_gridsearch(tmp_path, search):
    X, y = _product_data(n=240, p=5)
    sel = InformationImbalanceSelector(memory=str(tmp_path), **search)
    pipe = Pipeline([("select", sel), ("reg", LinearRegression())])
    GridSearchCV(pipe, {"select__n_features_to_select": [1, 2, 3, 4]}, cv=KFold(3)).fit(X, y)
    cache_dirs = [d for d, _, files in os.walk(tmp_path) if "output.pkl" in files]
    assert len(cache_dirs) == 3 + 1  # one search per training fold, one for the refit
    for d in (1, 2, 4):
        cached = InformationImbalanceSelector(d, memory=str(tmp_path), **search).fit(X, y)
        fresh = InformationImbalanceSelector(d, **search).fit(X, y)
        pd.testing.assert_frame_equal(cached.imbalance_path_, fresh.imbalance_path_)
        np.testing.assert_array_equal(cached.selection_order_, fresh.selection_order_)
    for tol in (0.02, 0.2):  # a cached table cut by tol is the search stopped by tol
        cached = InformationImbalanceSelector(memory=str(tmp_path), tol=tol, **search).fit(X, y)
        fresh = InformationImbalanceSelector(tol=tol, **search).fit(X, y)
        pd.testing.assert_frame_equal(cached.imbalance_path_, fresh.imbalance_path_)


def test_backward_path_plot_labels_the_removed_features():
    import matplotlib

    matplotlib.use("Agg")
    from skii.plotting import plot_imbalance_path

    X, y = _product_data(n=80, p=4)
    path = imbalance_path(X, y, direction="backward", feature_names=list("abcd"))
    labels = [t.get_text() for t in plot_imbalance_path(path).get_xticklabels()]
    assert labels[0] == "all"
    assert labels[1:] == [f"\u2212{n}" for n in path["feature_name"][1:]]
    forward = imbalance_path(X, y, beam_width=2, feature_names=list("abcd"))
    labels = [t.get_text() for t in plot_imbalance_path(forward).get_xticklabels()]
    assert labels == [f"+{n}" for n in forward["feature_name"]]
