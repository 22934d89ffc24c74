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
