"""Periodic features (minimum-image differences) against brute-force numpy references."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_imbalance import (
    greedy_path_periodic,
    row_contributions,
    sq_distances,
    sq_distances_min_image,
)
from scipy.stats import rankdata

from skii import (
    InformationImbalanceSelector,
    InformationImbalanceWeighting,
    _imbalance,
    differentiable_imbalance,
    imbalance_path,
    information_imbalance,
    information_imbalances,
)
from skii._kernels import sq_dist_row, sq_dist_row_periodic

TWO_PI = 2 * np.pi


def _wrap(a):
    return (a + np.pi) % TWO_PI - np.pi


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _mixed(rng, n=45):
    """Columns: not periodic, an angle near the +-pi cut, a phase of period 1 anywhere
    (several periods), an angle in degrees."""
    X = np.column_stack([
        rng.normal(size=n),
        _wrap(np.pi + 0.8 * rng.normal(size=n)),
        rng.uniform(-3, 3, size=n),
        rng.uniform(0, 360, size=n),
    ])
    return X, [None, TWO_PI, 1.0, 360.0]


def test_distance_row_kernel_is_the_minimum_image(rng):
    X, periods = _mixed(rng)
    xt = np.ascontiguousarray(X.T)
    p = np.array([0.0, TWO_PI, 1.0, 360.0])
    want = sq_distances_min_image(X, periods)
    out = np.empty(len(X))
    for i in (0, 11, 44):
        sq_dist_row_periodic(xt, p, i, out)
        np.testing.assert_allclose(out, want[i], rtol=1e-13, atol=1e-13)
        # No periodic column: bit-identical to the plain kernel.
        sq_dist_row_periodic(xt, np.zeros(4), i, out)
        plain = np.empty(len(X))
        sq_dist_row(xt, i, plain)
        assert np.array_equal(out, plain)
        np.testing.assert_allclose(plain, sq_distances(X)[i], rtol=1e-13)


@pytest.mark.parametrize("k", [1, 3])
def test_information_imbalance_matches_minimum_image_reference(rng, k):
    X, periods = _mixed(rng)
    y = np.column_stack([np.cos(X[:, 1]), X[:, 0]])
    y_angle = _wrap(X[:, 1] + 0.3 * rng.normal(size=len(X)))
    for a, b, pa, pb in [
        (X, y, periods, None),
        (X[:, 1:3], y_angle, periods[1:3], [TWO_PI]),
        (y_angle, X, [TWO_PI], periods),
    ]:
        want = row_contributions(a, b, k, pa, pb)
        got, err = information_imbalance(a, b, n_neighbors=k, periods=pa, target_periods=pb,
                                         return_std=True)
        assert got == pytest.approx(want.mean(), abs=1e-13)
        assert err == pytest.approx(want.std(ddof=1) / np.sqrt(len(want)), rel=1e-9)
        both = information_imbalances(a, b, n_neighbors=k, periods=pa, target_periods=pb)
        assert both[0] == got
        assert both[1] == pytest.approx(row_contributions(b, a, k, pb, pa).mean(), abs=1e-13)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(5, 30), d=st.integers(1, 3), seed=st.integers(0, 2**32 - 1),
       k=st.integers(1, 3), lattice=st.booleans())
def test_hypothesis_matches_reference_with_ties(n, d, seed, k, lattice):
    # On a lattice with an even integer period, opposite images (u = +-P/2) and repeated
    # values tie exactly: the tie weights and ranks must match the reference's.
    r = np.random.default_rng(seed)
    if lattice:
        a = r.integers(-5, 6, size=(n, d)).astype(float)
        b = r.integers(0, 4, size=n).astype(float)
    else:
        a = r.uniform(-10, 10, size=(n, d))
        b = np.cos(a[:, 0]) + 0.1 * r.normal(size=n)
    pa = [None if r.random() < 0.3 else float(r.choice([2, 4, 6])) for _ in range(d)]
    pb = [4.0] if lattice else None
    k = min(k, n - 1)
    got = information_imbalances(a, b, n_neighbors=k, periods=pa, target_periods=pb)
    assert got[0] == pytest.approx(row_contributions(a, b, k, pa, pb).mean(), abs=1e-12)
    assert got[1] == pytest.approx(row_contributions(b, a, k, pb, pa).mean(), abs=1e-12)


def test_groups_with_periods(rng):
    X, periods = _mixed(rng, n=60)
    y = np.sin(X[:, 1]) + 0.1 * X[:, 0]
    g = np.repeat([0, 1, 2], 20)
    got = information_imbalance(X, y, groups=g, periods=periods)
    want = np.mean([row_contributions(X[g == u], y[g == u], 1, periods).mean() for u in range(3)])
    assert got == pytest.approx(want, abs=1e-13)


def test_non_periodic_entries_and_scalar_periods():
    rng = np.random.default_rng(0)
    X = rng.uniform(-np.pi, np.pi, size=(50, 3))
    y = np.cos(X[:, 0])
    plain = information_imbalance(X, y)
    for none in ([None, None, None], [np.nan, 0, None], np.zeros(3)):
        assert information_imbalance(X, y, periods=none) == plain
    assert information_imbalance(X, y, periods=TWO_PI) == information_imbalance(
        X, y, periods=[TWO_PI] * 3)
    assert information_imbalance(X, y, periods=TWO_PI) != plain


def test_periods_change_the_answer_near_the_cut(rng):
    # The same angles in two conventions, [-pi, pi) and [0, 2 pi), concentrated near the
    # -pi/pi cut: equivalent representations only with periods.
    A = _wrap(np.pi + 0.7 * rng.normal(size=(200, 2)))
    B = np.mod(A, TWO_PI)
    assert information_imbalances(A, B, periods=TWO_PI, target_periods=TWO_PI) == pytest.approx(
        (0.01, 0.01), abs=1e-15)
    plain = information_imbalances(A, B)
    assert plain[1] > 0.1  # B's neighbours straddle A's cut
    # The unsupervised path picks another first feature once x0 and x1 are angles.
    X = np.column_stack([A, rng.normal(size=200)])
    first = imbalance_path(X, mode="unsupervised", n_features_to_select=1)
    first_p = imbalance_path(X, mode="unsupervised", n_features_to_select=1,
                             periods=[TWO_PI, TWO_PI, None])
    assert first["feature"][0] != first_p["feature"][0]


def test_shifting_a_periodic_column_by_its_period_changes_nothing(rng):
    X, periods = _mixed(rng, n=80)
    y = np.cos(X[:, 1]) + np.sin(TWO_PI * X[:, 2]) + 0.2 * X[:, 0]
    shifted = X.copy()
    turns = rng.integers(-3, 4, size=(80, 3))
    shifted[:, 1:] += turns * np.array([TWO_PI, 1.0, 360.0])
    kw = dict(periods=periods)
    assert information_imbalance(shifted, y, **kw) == pytest.approx(
        information_imbalance(X, y, **kw), abs=1e-14)
    a, b = imbalance_path(X, y, **kw), imbalance_path(shifted, y, **kw)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-14)
    # ... and so does the target's period.
    ty = _wrap(X[:, 1] + 0.2 * rng.normal(size=80))
    c = imbalance_path(X, ty, target_periods=TWO_PI, **kw)
    d = imbalance_path(X, ty + TWO_PI * rng.integers(-2, 3, size=80), target_periods=TWO_PI,
                       **kw)
    pd.testing.assert_frame_equal(c, d, check_exact=False, rtol=0, atol=1e-14)


@pytest.mark.parametrize("k", [1, 2])
def test_path_on_column_subsets_matches_reference(rng, k):
    # Each subset keeps its columns' own periods (a subset's j-th column is not the
    # data's j-th: periods must follow the column, not its position in the subset).
    X, periods = _mixed(rng)
    y = np.cos(X[:, 1]) + np.sin(TWO_PI * X[:, 2])
    for target, tp in ((y, None), (_wrap(X[:, 1] + 0.5), [TWO_PI])):
        path = imbalance_path(X, target, n_neighbors=k, periods=periods, target_periods=tp)
        order, fwd, bwd = greedy_path_periodic(X, target, periods, tp, k=k)
        assert path["feature"].tolist() == order
        np.testing.assert_allclose(path["delta_subset_to_target"], fwd, rtol=0, atol=1e-12)
        np.testing.assert_allclose(path["delta_target_to_subset"], bwd, rtol=0, atol=1e-12)
        for d in range(1, 5):
            cols = sorted(order[:d])
            c = row_contributions(X[:, cols], target, k, [periods[j] for j in cols], tp)
            assert path["delta_subset_to_target_std"][d - 1] == pytest.approx(
                c.std(ddof=1) / np.sqrt(len(c)), rel=1e-9)


def test_unsupervised_and_multi_output_paths_match_reference(rng):
    X, periods = _mixed(rng, n=40)
    path = imbalance_path(X, mode="unsupervised", n_features_to_select=3, periods=periods)
    order, fwd, bwd = greedy_path_periodic(X, None, periods, n_steps=3, mode="unsupervised")
    assert path["feature"].tolist() == order
    np.testing.assert_allclose(path["delta_subset_to_full"], fwd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(path["delta_full_to_subset"], bwd, rtol=0, atol=1e-12)
    Y = np.column_stack([np.cos(X[:, 1]), X[:, 3]])
    path = imbalance_path(X, Y, periods=periods, target_periods=[None, 360.0])
    order, fwd, bwd = greedy_path_periodic(X, Y, periods, [None, 360.0])
    assert path["feature"].tolist() == order
    np.testing.assert_allclose(path["delta_subset_to_target"], fwd, rtol=0, atol=1e-12)


def test_periodic_data_use_the_brute_force_kernel(monkeypatch, rng):
    X, periods = _mixed(rng, n=60)
    y = np.cos(X[:, 1]) + X[:, 0]
    got = imbalance_path(X, y, periods=periods)
    monkeypatch.setattr(_imbalance, "_PRUNED", False)
    pd.testing.assert_frame_equal(got, imbalance_path(X, y, periods=periods), check_exact=True)
    # A periodic target alone also leaves the pruned kernel (its sorted walks are linear).
    monkeypatch.setattr(_imbalance, "_PRUNED", True)
    ty = _wrap(X[:, 1] + 0.3)
    want = greedy_path_periodic(X, ty, [None] * 4, [TWO_PI])
    path = imbalance_path(X, ty, target_periods=[TWO_PI])
    assert path["feature"].tolist() == want[0]
    np.testing.assert_allclose(path["delta_subset_to_target"], want[1], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "periods, match",
    [
        ([1.0, 2.0], "one period per column of A"),
        ([[1.0, 2.0, 3.0]], "one period per column"),
        ([1.0, -2.0, 3.0], "positive and finite.*column 1 of A has -2.0"),
        ([1.0, np.inf, 3.0], "positive and finite"),
        (["a", 1, 2], "must be numbers"),
        ([1e-12, None, None], "spans .* periods"),
    ],
)
def test_bad_periods(periods, match):
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=match):
        information_imbalance(X, X[:, 0], periods=periods)


def test_bad_target_periods_are_named():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="target_periods .* column of B"):
        information_imbalance(X, X[:, :2], target_periods=[1.0])
    with pytest.raises(ValueError, match="target_periods .* column of y"):
        imbalance_path(X, X[:, :2], target_periods=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="periods .* column of X"):
        imbalance_path(X, X[:, 0], periods=[1.0])


def test_selector_passes_periods(rng):
    X, periods = _mixed(rng, n=60)
    y = np.cos(X[:, 1]) + np.sin(TWO_PI * X[:, 2])
    sel = InformationImbalanceSelector(3, periods=periods).fit(X, y)
    pd.testing.assert_frame_equal(
        sel.imbalance_path_, imbalance_path(X, y, n_features_to_select=3, periods=periods))
    uns = InformationImbalanceSelector(2, mode="unsupervised", periods=periods).fit(X)
    assert uns.selection_order_.tolist() == greedy_path_periodic(
        X, None, periods, n_steps=2, mode="unsupervised")[0]
    with pytest.raises(ValueError, match="one period per column"):
        InformationImbalanceSelector(2, periods=[1.0]).fit(X, y)


# ----------------------------------------------------------------------------- weighting
def reference_dii_periodic(X, Y, w, periods, target_periods=None, lambda_factor=0.1, k=1):
    """Brute-force numpy DII(w * X -> Y) with minimum-image differences."""
    X = np.asarray(X, float)
    Y = np.asarray(Y, float).reshape(len(X), -1)
    n = len(X)
    u = X[:, None, :] - X[None]
    p = np.array([0.0 if q is None else q for q in periods])
    u = np.where(p > 0, u - p * np.round(u / np.where(p > 0, p, 1.0)), u)
    d = ((u * w) ** 2).sum(-1)
    d_b = sq_distances(Y) if target_periods is None else sq_distances_min_image(
        Y, target_periods)
    total = 0.0
    for i in range(n):
        others = np.arange(n) != i
        ranks = rankdata(d_b[i, others])
        lam = lambda_factor * np.sort(d[i, others])[k - 1]
        a = -d[i, others] / lam
        c = np.exp(a - a.max())
        total += (c / c.sum() * ranks).sum()
    return 2.0 * total / n**2


@pytest.mark.parametrize("k", [1, 3])
def test_dii_and_gradient_with_periods(rng, k):
    X, periods = _mixed(rng, n=40)
    y = _wrap(X[:, 1] + 0.3 * X[:, 0])
    w = rng.uniform(0.3, 1.2, 4)
    value, grad = differentiable_imbalance(X, y, w, n_neighbors=k, periods=periods,
                                           target_periods=TWO_PI, return_gradient=True)
    ref = reference_dii_periodic(X, y, w, periods, [TWO_PI], k=k)
    assert value == pytest.approx(ref, rel=1e-12)
    assert value != pytest.approx(differentiable_imbalance(X, y, w, n_neighbors=k), rel=1e-3)
    h = 1e-6
    fd = np.array([
        (reference_dii_periodic(X, y, w + h * e, periods, [TWO_PI], k=k)
         - reference_dii_periodic(X, y, w - h * e, periods, [TWO_PI], k=k)) / (2 * h)
        for e in np.eye(4)
    ])
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-9)
    assert np.abs(grad).max() > 1e-3


def test_weighting_with_periods(rng):
    n = 150
    X = np.column_stack([_wrap(np.pi + 0.8 * rng.normal(size=n)), rng.normal(size=(n, 2))])
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1]
    model = InformationImbalanceWeighting(n_epochs=30, periods=[TWO_PI, None, None],
                                          random_state=0).fit(X, y)
    w = model.weights_
    assert model.imbalance_ == pytest.approx(
        row_contributions(X * w, y, 1, [TWO_PI * w[0], None, None]).mean(), abs=1e-12)
    assert model.dii_ == pytest.approx(
        reference_dii_periodic(X, y, w, [TWO_PI, None, None]), rel=1e-10)
    assert w[2] < 0.5 * min(w[0], w[1])  # the noise column
    # Unsupervised: the target is X with the same periods; mini-batches use them too.
    uns = InformationImbalanceWeighting(mode="unsupervised", n_epochs=3, batch_size=50,
                                        periods=[TWO_PI, None, None], random_state=0).fit(X)
    assert uns.imbalance_ == pytest.approx(
        row_contributions(X * uns.weights_, X, 1, [TWO_PI * uns.weights_[0], None, None],
                          [TWO_PI, None, None]).mean(), abs=1e-12)
    with pytest.raises(ValueError, match="one period per column of X"):
        InformationImbalanceWeighting(periods=[1.0]).fit(X, y)


@pytest.mark.parametrize("search", [{"beam_width": 3}, {"direction": "backward"}])
def test_beam_and_backward_searches_use_the_periods(rng, search):
    # A wide beam is exhaustive, so every size's best subset must be the reference's best
    # under the minimum image, with the reference's imbalances and row errors.
    from itertools import combinations

    X, periods = _mixed(rng, n=40)
    y = np.cos(X[:, 1]) + 0.5 * np.sin(TWO_PI * X[:, 2])
    search = {"beam_width": 10, **search}
    path = imbalance_path(X, y, periods=periods, **search)
    for _, row in path.iterrows():
        size = int(row["n_features"])
        best = min(
            combinations(range(4), size),
            key=lambda c: (row_contributions(X[:, c], y, 1, [periods[j] for j in c]).mean(), c),
        )
        assert tuple(sorted(row["subset"])) == best
        c = row_contributions(X[:, best], y, 1, [periods[j] for j in best])
        assert row["delta_subset_to_target"] == pytest.approx(c.mean(), abs=1e-12)
        assert row["delta_subset_to_target_std"] == pytest.approx(
            c.std(ddof=1) / np.sqrt(len(c)), rel=1e-9)
    # Without the periods the answer differs (the test data sit across the cut).
    plain = imbalance_path(X, y, **search)
    assert not np.allclose(plain["delta_subset_to_target"], path["delta_subset_to_target"])
