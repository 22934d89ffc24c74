"""Tests for skii_glass.reliability: the noise ceiling of the propensity."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from skii_glass.reliability import (
    non_gaussian_parameter,
    propensity_reliability,
    spearman_brown,
    species_correlation,
)


@pytest.mark.parametrize("noise_sd, n_traj", [(1.0, 30), (3.0, 30), (5.0, 10), (2.0, 7)])
def test_reliability_recovers_known_signal_to_noise(noise_sd, n_traj):
    """Signal variance 1 per particle, noise variance s^2 per trajectory: the mean of R
    trajectories has reliability 1 / (1 + s^2 / R) (odd R included)."""
    rng = np.random.default_rng(int(noise_sd * 10 + n_traj))
    signal = rng.normal(size=(6, 1, 4000))
    d = 5.0 + signal + noise_sd * rng.normal(size=(6, n_traj, 4000))
    rel = propensity_reliability(d, n_splits=10, random_state=0)
    want = 1.0 / (1.0 + noise_sd**2 / n_traj)
    assert rel.reliability == pytest.approx(want, abs=0.02)
    assert rel.noise_ceiling == pytest.approx(np.sqrt(rel.reliability))
    assert rel.n_trajectories == n_traj
    # The ceiling is what it claims: the measured propensity's |r| with the true signal.
    p = d.mean(axis=1)
    r_true = np.mean([np.corrcoef(p[c], signal[c, 0])[0, 1] for c in range(6)])
    assert r_true == pytest.approx(rel.noise_ceiling, abs=0.02)


def test_pure_noise_has_zero_reliability_and_constant_signal_is_rejected_cleanly():
    rng = np.random.default_rng(0)
    rel = propensity_reliability(1 + 0.1 * rng.random((3, 20, 500)))
    assert rel.reliability < 0.05
    with pytest.raises(ValueError, match="at least 2 trajectories"):
        propensity_reliability(rng.random((2, 1, 50)))
    with pytest.raises(ValueError, match="NaN"):
        propensity_reliability(np.full((1, 4, 10), np.nan))
    with pytest.raises(ValueError, match="same number of trajectories"):
        propensity_reliability([rng.random((4, 10)), rng.random((5, 10))])
    with pytest.raises(ValueError, match="species"):
        propensity_reliability(rng.random((2, 4, 10)), species=[np.zeros(10)])


def test_spearman_brown_is_the_classical_formula_and_composes():
    r = 0.3
    r2 = spearman_brown(r, 2)
    assert r2 == pytest.approx(0.6 / 1.3)
    # Doubling twice equals quadrupling.
    assert spearman_brown(r2, 2) == pytest.approx(spearman_brown(r, 4))
    assert spearman_brown(1.0, 3) == 1.0
    with pytest.raises(ValueError):
        spearman_brown(0.5, 0)


def test_non_gaussian_parameter_analytic_cases():
    rng = np.random.default_rng(3)
    # 2D Gaussian: 0. Two populations (a fraction f moving a times further): analytic.
    assert abs(non_gaussian_parameter(np.hypot(*rng.normal(size=(2, 400_000))))) < 0.01
    f, a = 0.1, 3.0
    r = np.where(np.arange(10_000) < 1000, a, 1.0)
    m2 = (1 - f) + f * a**2
    m4 = (1 - f) + f * a**4
    assert non_gaussian_parameter(r) == pytest.approx(m4 / (2 * m2**2) - 1)


def test_species_correlation_equals_one_hot_regression_r():
    rng = np.random.default_rng(2)
    s = rng.integers(0, 3, 300)
    p = np.array([0.5, 1.0, 2.0])[s] + rng.normal(size=300)
    onehot = np.eye(3)[s]
    r2 = LinearRegression().fit(onehot, p).score(onehot, p)
    assert species_correlation(p, s) == pytest.approx(np.sqrt(r2))
    assert species_correlation(p, np.zeros(300)) == 0.0
