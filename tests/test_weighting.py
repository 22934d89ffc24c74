import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata
from sklearn.utils.estimator_checks import parametrize_with_checks

from skii import InformationImbalanceWeighting, differentiable_imbalance, information_imbalance
from skii._weighting import _batch_ranks


def reference_dii(X, Y, w, lambda_factor=0.1, k=1):
    """Brute-force numpy DII(w * X -> Y) with point-adaptive lambda (independent code)."""
    X = np.asarray(X, float)
    Y = np.asarray(Y, float).reshape(len(X), -1)
    n = len(X)
    d = (((X[:, None, :] - X[None]) * w) ** 2).sum(-1)
    d_b = ((Y[:, None, :] - Y[None]) ** 2).sum(-1)
    total = 0.0
    for i in range(n):
        others = np.arange(n) != i
        ranks = rankdata(d_b[i, others])  # average ranks for ties, 1 = nearest
        lam = lambda_factor * np.sort(d[i, others])[k - 1]
        a = -d[i, others] / lam
        c = np.exp(a - a.max())
        total += (c / c.sum() * ranks).sum()
    return 2.0 * total / n**2


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 4))
    y = X[:, 0] + 3 * X[:, 1] + 0.1 * rng.normal(size=50)
    return X, y, rng.uniform(0.2, 1.5, 4)


def test_target_ranks_match_scipy():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=(40, 2)).astype(float)  # many ties
    ranks = _batch_ranks(y)
    d = ((y[:, None] - y[None]) ** 2).sum(-1)
    for i in range(40):
        others = np.arange(40) != i
        np.testing.assert_array_equal(ranks[i, others], rankdata(d[i, others]))
        assert ranks[i, i] == 0


@pytest.mark.parametrize("k, lambda_factor", [(1, 0.1), (3, 0.1), (2, 1.0)])
def test_loss_matches_reference(small, k, lambda_factor):
    X, y, w = small
    got = differentiable_imbalance(X, y, w, lambda_factor=lambda_factor, n_neighbors=k)
    assert got == pytest.approx(reference_dii(X, y, w, lambda_factor, k), rel=1e-12)


def test_loss_multioutput_and_tied_target():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    Y = np.round(X[:, :2] * 2)  # tied target distances
    w = np.array([1.0, 0.5, 0.2])
    assert differentiable_imbalance(X, Y, w) == pytest.approx(reference_dii(X, Y, w), rel=1e-12)


@pytest.mark.parametrize("k", [1, 4])
def test_gradient_matches_finite_differences(small, k):
    X, y, w = small
    _, grad = differentiable_imbalance(X, y, w, n_neighbors=k, return_gradient=True)
    h = 1e-6
    fd = np.array(
        [
            (reference_dii(X, y, w + h * e, k=k) - reference_dii(X, y, w - h * e, k=k)) / (2 * h)
            for e in np.eye(len(w))
        ]
    )
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-9)
    assert np.abs(grad).max() > 1e-3  # not trivially zero


def test_loss_is_scale_invariant_and_tends_to_imbalance(small):
    X, y, w = small
    a = differentiable_imbalance(X, y, w)
    assert differentiable_imbalance(X, y, 7.0 * w) == pytest.approx(a, rel=1e-10)
    sharp = differentiable_imbalance(X, y, w, lambda_factor=1e-3)
    assert sharp == pytest.approx(information_imbalance(X * w, y), rel=1e-6)


def test_duplicate_points_use_the_zero_lambda_limit():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 2))
    X[1] = X[0]
    y = rng.normal(size=30)
    value, grad = differentiable_imbalance(X, y, lambda_factor=1e-3, return_gradient=True)
    assert np.all(np.isfinite(grad))
    # Rows 0 and 1 have lambda = 0: c = 1 on their duplicate, as the sharp limit of the
    # other rows, so the whole DII equals the exact imbalance.
    assert value == pytest.approx(information_imbalance(X, y), rel=1e-6)
    assert value != pytest.approx(differentiable_imbalance(X[2:], y[2:]), rel=1e-3)


@parametrize_with_checks(
    [
        InformationImbalanceWeighting(n_epochs=5),
        InformationImbalanceWeighting(mode="unsupervised", n_epochs=5),
        InformationImbalanceWeighting(n_epochs=3, batch_size=8, n_neighbors=2, random_state=0),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    return X, X[:, 0] + 3 * X[:, 1]


def test_default_parameters_recover_coefficient_ratio(linear):
    X, y = linear
    model = InformationImbalanceWeighting().fit(X, y)
    w = model.weights_
    assert 2.4 < w[1] / w[0] < 3.6
    assert w[2:].max() < 0.05 * w[1]
    assert np.linalg.norm(w) == pytest.approx(1.0)
    h = model.history_
    assert list(h.columns) == ["epoch", "dii"] + [f"weight_x{j}" for j in range(6)]
    assert len(h) == model.n_epochs + 1
    assert h["dii"].iloc[-1] < 0.25 * h["dii"].iloc[0]
    assert model.dii_ == pytest.approx(differentiable_imbalance(X, y, w), rel=1e-12)
    assert model.imbalance_ == pytest.approx(information_imbalance(X * w, y), rel=1e-12)


def test_l1_reaches_exact_zeros(linear):
    X, y = linear
    model = InformationImbalanceWeighting(l1=0.05, n_epochs=100).fit(X, y)
    assert model.support_[:2].all() and not model.support_[2:].any()
    np.testing.assert_array_equal(model.get_support(indices=True), [0, 1])
    assert np.all(model.weights_[2:] == 0)


def test_l1_too_strong_is_a_clear_error(linear):
    X, y = linear
    with pytest.raises(ValueError, match="all weights reached zero"):
        InformationImbalanceWeighting(l1=100.0, n_epochs=2).fit(X, y)


def test_minibatches_are_reproducible_and_learn(linear):
    X, y = linear
    a = InformationImbalanceWeighting(batch_size=100, n_epochs=60, random_state=0).fit(X, y)
    b = InformationImbalanceWeighting(batch_size=100, n_epochs=60, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    assert a.weights_[1] > 2 * a.weights_[0] > 2 * a.weights_[2:].max()
    # Evaluated batch by batch (consecutive rows), never on the whole N x N problem.
    batches = np.array_split(np.arange(300), 3)
    per_batch = [differentiable_imbalance(X[b], y[b], a.weights_) for b in batches]
    assert a.dii_ == pytest.approx(np.mean(per_batch), rel=1e-12)


def test_groups_average_the_per_group_dii(linear):
    X, y = linear
    groups = np.repeat([0, 1, 2], 100)
    model = InformationImbalanceWeighting(n_epochs=3).fit(X, y, groups=groups)
    per_group = [
        differentiable_imbalance(X[groups == g], y[groups == g], model.weights_) for g in range(3)
    ]
    assert model.dii_ == pytest.approx(np.mean(per_group), rel=1e-12)
    assert model.imbalance_ == pytest.approx(
        information_imbalance(X * model.weights_, y, groups=groups), rel=1e-12
    )


def test_unsupervised_keeps_the_identity_and_zeroes_constant_features():
    rng = np.random.default_rng(4)
    X = np.column_stack([rng.normal(size=80), np.ones(80), 0.3 * rng.normal(size=80)])
    model = InformationImbalanceWeighting(mode="unsupervised", n_epochs=20).fit(X)
    assert model.weights_[1] == 0 and not model.support_[1]
    # The target is X itself: equal weights (the identity metric) are optimal.
    np.testing.assert_allclose(model.weights_[[0, 2]], 2**-0.5, atol=0.05)
    assert model.dii_ <= model.history_["dii"].iloc[0] + 1e-3


def test_pandas_output_keeps_names(linear):
    X, y = linear
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(6)])
    model = InformationImbalanceWeighting(n_epochs=2).set_output(transform="pandas")
    out = model.fit(df, y).transform(df)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(df.columns)
    np.testing.assert_allclose(out.to_numpy(), X * model.weights_)
    assert "weight_f5" in model.history_.columns


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 2, "n_neighbors": 2}, "batch_size=2 must exceed n_neighbors=2"),
        ({"n_neighbors": 300}, "n_neighbors=300 needs more than"),
    ],
)
def test_bad_parameters(linear, kwargs, match):
    X, y = linear
    with pytest.raises(ValueError, match=match):
        InformationImbalanceWeighting(**kwargs).fit(X, y)


def test_bad_input():
    with pytest.raises(ValueError, match="requires y"):
        InformationImbalanceWeighting().fit(np.eye(5))
    with pytest.raises(ValueError, match="every feature of X is constant"):
        InformationImbalanceWeighting().fit(np.ones((10, 2)), np.arange(10.0))
    with pytest.raises(ValueError, match="NaN"):
        differentiable_imbalance([[0.0], [np.nan], [1.0]], [0.0, 1.0, 2.0])


def test_results_do_not_depend_on_the_thread_count(small):
    from skii._parallel import call_with_threads

    X, y, w = small
    one = call_with_threads(1, differentiable_imbalance, X, y, w, return_gradient=True)
    many = call_with_threads(None, differentiable_imbalance, X, y, w, return_gradient=True)
    assert one[0] == many[0]
    np.testing.assert_array_equal(one[1], many[1])
