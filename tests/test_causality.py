import numpy as np
import pytest
from reference_imbalance import delta as reference_delta

from skii import imbalance_gain


def rossler_pair(n_samples, coupling=0.1, dt=0.05, stride=20, transient=2000, seed=0):
    """Two Rossler oscillators, x driving y through ``coupling * (x1 - y1)``; RK4.

    The unidirectionally coupled system of Del Tatto et al. (PNAS 2024), one sample every
    ``stride * dt`` = 1 time unit.
    """
    w1, w2 = 1.015, 0.985

    def f(s):
        x1, x2, x3, y1, y2, y3 = s
        return np.array(
            [
                -w1 * x2 - x3,
                w1 * x1 + 0.15 * x2,
                0.2 + x3 * (x1 - 10),
                -w2 * y2 - y3 + coupling * (x1 - y1),
                w2 * y1 + 0.15 * y2,
                0.2 + y3 * (y1 - 10),
            ]
        )

    s = np.random.default_rng(seed).uniform(-1, 1, 6)
    out = np.empty((n_samples, 6))
    for step in range(transient + n_samples * stride):
        k1 = f(s)
        k2 = f(s + dt / 2 * k1)
        k3 = f(s + dt / 2 * k2)
        k4 = f(s + dt * k3)
        s = s + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if step >= transient and (step - transient) % stride == 0:
            out[(step - transient) // stride] = s
    assert np.all(np.isfinite(out))
    return out[:, :3], out[:, 3:]


@pytest.fixture(scope="module")
def rossler():
    return rossler_pair(500)


def test_rossler_gain_detects_the_direction(rossler):
    x, y = rossler
    lag = 4  # tau = 4 time units
    alphas = np.linspace(0, 1, 11)
    x_to_y = imbalance_gain(x[:-lag], y[:-lag], y[lag:], alphas=alphas, n_neighbors=3)
    y_to_x = imbalance_gain(y[:-lag], x[:-lag], x[lag:], alphas=alphas, n_neighbors=3)
    assert x_to_y.attrs["gain"] > 0.2
    assert y_to_x.attrs["gain"] < 0.02
    # The minimum of x -> y is at a small positive alpha, not at alpha = 0.
    assert 0 < x_to_y["alpha"].iloc[int(np.argmin(x_to_y["delta"]))] < 1


def test_values_match_brute_force(rossler):
    x, y = rossler
    x0, y0, y_tau = x[:80:2], y[:80:2], y[4:84:2]
    alphas = [0.0, 0.05, 0.3, 2.0]
    table = imbalance_gain(x0, y0, y_tau, alphas=alphas, n_neighbors=2)
    assert list(table.columns) == ["alpha", "delta"]
    expected = [reference_delta(np.column_stack([a * x0, y0]), y_tau, k=2) for a in alphas]
    np.testing.assert_allclose(table["delta"], expected, rtol=1e-12)
    gain = (expected[0] - min(expected)) / expected[0]
    assert table.attrs["gain"] == pytest.approx(gain, rel=1e-12)
    assert table.attrs["delta_at_zero"] == pytest.approx(expected[0], rel=1e-12)


def test_alpha_zero_is_computed_when_not_listed(rossler):
    x, y = rossler
    table = imbalance_gain(x[:-4], y[:-4], y[4:], alphas=[0.5, 1.0])
    assert len(table) == 2
    full = imbalance_gain(x[:-4], y[:-4], y[4:], alphas=[0.0, 0.5, 1.0])
    assert table.attrs["delta_at_zero"] == full["delta"].iloc[0]
    # Gain can be negative at these alphas, but the minimum includes alpha = 0.
    assert table.attrs["gain"] == pytest.approx(full.attrs["gain"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"alphas": [-1.0, 0.0]}, "non-negative"),
        ({"alphas": []}, "non-empty"),
        ({"alphas": [0.0, np.inf]}, "finite"),
    ],
)
def test_bad_alphas(kwargs, match):
    z = np.arange(20.0)
    with pytest.raises(ValueError, match=match):
        imbalance_gain(z, z, z, **kwargs)


def test_mismatched_rows():
    with pytest.raises(ValueError, match="same number of rows"):
        imbalance_gain(np.zeros(10), np.arange(10.0), np.arange(9.0))


def _phases(n=400, seed=0):
    """A driven phase oscillator: x drives y through sin(x - y); both wrapped to [-pi, pi)."""
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    y = np.empty(n)
    x[0], y[0] = 0.0, 1.0
    for t in range(n - 1):
        x[t + 1] = x[t] + 0.7 + 0.4 * rng.normal()
        y[t + 1] = y[t] + 1.1 + 1.2 * np.sin(x[t] - y[t]) + 0.1 * rng.normal()
    wrap = lambda a: (a + np.pi) % (2 * np.pi) - np.pi  # noqa: E731
    return wrap(x), wrap(y)


def test_periodic_gain_is_the_minimum_image_imbalance_at_every_alpha():
    from skii import information_imbalance

    x, y = _phases()
    P = 2 * np.pi
    table = imbalance_gain(x[:-1], y[:-1], y[1:], alphas=[0.0, 0.5, 1.0], n_neighbors=3,
                           x_periods=P, y_periods=P)
    for alpha, got in zip(table["alpha"], table["delta"], strict=True):
        want = information_imbalance(
            np.column_stack([alpha * x[:-1], y[:-1]]), y[1:], n_neighbors=3,
            periods=[alpha * P, P], target_periods=P)
        assert got == want
    assert table.attrs["gain"] > 0.3  # x drives y
    back = imbalance_gain(y[:-1], x[:-1], x[1:], n_neighbors=3, x_periods=P, y_periods=P)
    assert back.attrs["gain"] < 0.05


def test_periodic_gain_ignores_whole_turns_of_the_phases():
    x, y = _phases(n=300, seed=1)
    P = 2 * np.pi
    turns = np.random.default_rng(2).integers(-3, 4, size=(3, len(x)))
    kw = {"alphas": [0.0, 0.5, 1.0], "n_neighbors": 2}
    a = imbalance_gain(x[:-1], y[:-1], y[1:], x_periods=P, y_periods=P, **kw)
    b = imbalance_gain(x[:-1] + P * turns[0, :-1], y[:-1] + P * turns[1, :-1],
                       y[1:] + P * turns[2, 1:], x_periods=P, y_periods=P, **kw)
    np.testing.assert_allclose(a["delta"], b["delta"], rtol=0, atol=1e-12)
    plain = imbalance_gain(x[:-1] + P * turns[0, :-1], y[:-1] + P * turns[1, :-1],
                           y[1:] + P * turns[2, 1:], **kw)
    assert not np.allclose(plain["delta"], a["delta"])


def test_bad_gain_periods():
    x, y = _phases(n=50)
    with pytest.raises(ValueError, match="one period per column"):
        imbalance_gain(x[:-1], y[:-1], y[1:], x_periods=[1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        imbalance_gain(x[:-1], y[:-1], y[1:], y_periods=-1.0)
