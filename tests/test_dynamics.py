import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skii_glass import get_preset
from skii_glass.dynamics import (
    analyze_relaxation,
    bond_breaking,
    cage_neighbors,
    cage_relative_displacements,
    displacements,
    mean_squared_displacement,
    non_gaussian_parameter,
    relaxation_time,
    remove_drift,
    self_intermediate_scattering,
)

SIGMA = get_preset("ka2d").sigma


def _liquid_like(n=120, seed=0, box=None):
    """Random positions at ka2d density with species 0..2 (overlaps do not matter here)."""
    rng = np.random.default_rng(seed)
    box = np.sqrt(n / 1.192) if box is None else box
    pos = rng.uniform(0, box, (n, 2))
    species = rng.integers(0, 3, n)
    return pos, species, np.array([box, box])


def _brute_neighbors(pos, species, box, sigma, cutoff):
    n = len(pos)
    nb = [[] for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            d = pos[j] - pos[i]
            d -= box * np.round(d / box)
            if np.sqrt(d @ d) < cutoff * sigma[species[i], species[j]]:
                nb[i].append(j)
    return nb


def test_cage_neighbors_vs_brute_force():
    pos, species, box = _liquid_like()
    nl = cage_neighbors(pos, species, box, SIGMA, cutoff=1.4)
    brute = _brute_neighbors(pos, species, box, SIGMA, 1.4)
    for i in range(len(pos)):
        got = sorted(nl.indices[nl.indptr[i]:nl.indptr[i + 1]].tolist())
        assert got == brute[i]
    assert nl.pairs.shape[0] * 2 == sum(len(b) for b in brute)
    assert np.all(nl.pairs[:, 0] < nl.pairs[:, 1])


def test_cage_neighbors_unwrapped_input_same_as_wrapped():
    pos, species, box = _liquid_like(seed=3)
    shifted = pos + box * np.random.default_rng(1).integers(-3, 4, pos.shape)
    a = cage_neighbors(pos, species, box, SIGMA)
    b = cage_neighbors(shifted, species, box, SIGMA)
    np.testing.assert_array_equal(a.pairs, b.pairs)


def test_cage_neighbors_strict_cutoff():
    # Distance exactly 1.4 sigma is not a neighbour (strict inequality).
    nl = cage_neighbors([[0.0, 0.0], [1.4, 0.0]], [0, 0], 10.0, [[1.0]], cutoff=1.4)
    assert nl.pairs.shape == (0, 2)
    nl = cage_neighbors([[0.0, 0.0], [1.3999, 0.0]], [0, 0], 10.0, [[1.0]], cutoff=1.4)
    assert nl.pairs.tolist() == [[0, 1]]


def test_bad_inputs():
    with pytest.raises(ValueError, match="NaN"):
        cage_neighbors([[np.nan, 0.0], [1.0, 0.0]], [0, 0], 10.0, [[1.0]])
    with pytest.raises(ValueError, match="species codes"):
        cage_neighbors([[0.0, 0.0], [1.0, 0.0]], [0, 3], 10.0, SIGMA)
    with pytest.raises(ValueError, match="half the box"):
        cage_neighbors([[0.0, 0.0], [1.0, 0.0]], [0, 0], 2.0, [[1.0]])
    with pytest.raises(ValueError, match="shape"):
        displacements(np.zeros((3, 4, 3)))
    with pytest.raises(ValueError, match="k must be positive"):
        self_intermediate_scattering(np.zeros((2, 3, 2)), -1.0)
    with pytest.raises(ValueError, match="strictly increasing"):
        relaxation_time([0, 2, 1], [1.0, 0.5, 0.1])
    with pytest.raises(ValueError, match="box"):
        bond_breaking(np.zeros((1, 2, 2)), [0, 0], [-1.0, 1.0], [[1.0]])


def test_displacements_remove_drift():
    rng = np.random.default_rng(2)
    pos = rng.normal(size=(5, 30, 2)).cumsum(axis=0)
    dr = displacements(pos)
    np.testing.assert_allclose(dr.mean(axis=1), 0.0, atol=1e-12)
    raw = displacements(pos, remove_com=False)
    np.testing.assert_allclose(raw, pos - pos[0])
    np.testing.assert_allclose(remove_drift(raw), dr)
    # A uniform drift added to every particle disappears.
    drift = np.linspace(0, 7, 5)[:, None, None] * np.array([1.0, -2.0])
    np.testing.assert_allclose(displacements(pos + drift), dr, atol=1e-12)


def test_cage_relative_vs_brute_force():
    pos, species, box = _liquid_like(seed=4)
    rng = np.random.default_rng(5)
    dr = rng.normal(0, 0.3, (4, len(pos), 2))
    dr[0] = 0.0
    nl = cage_neighbors(pos, species, box, SIGMA)
    got = cage_relative_displacements(dr, nl)
    brute = _brute_neighbors(pos, species, box, SIGMA, 1.4)
    want = dr.copy()
    for i, nb in enumerate(brute):
        if nb:
            want[:, i] -= dr[:, nb].mean(axis=1)
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_isolated_particle_keeps_displacement():
    nl = cage_neighbors([[0.5, 0.5], [1.5, 0.5], [6.0, 6.0]], [0, 0, 0], 12.0, [[1.0]])
    dr = np.array([[[0.0, 0.0]] * 3, [[0.1, 0.0], [0.3, 0.0], [0.7, 0.2]]])
    cr = cage_relative_displacements(dr, nl)
    np.testing.assert_allclose(cr[1], [[-0.2, 0.0], [0.2, 0.0], [0.7, 0.2]])


@settings(max_examples=30, deadline=None)
@given(
    shift=st.tuples(st.floats(-50, 50), st.floats(-50, 50)),
    seed=st.integers(0, 1000),
)
def test_rigid_translation_gives_zero_cage_relative(shift, seed):
    pos, species, box = _liquid_like(n=60, seed=seed)
    nl = cage_neighbors(pos, species, box, SIGMA)
    traj = np.stack([pos, pos + np.array(shift)])
    dr = displacements(traj, remove_com=False)
    cr = cage_relative_displacements(dr, nl)
    has = nl.counts > 0
    np.testing.assert_allclose(cr[1][has], 0.0, atol=1e-9)


def test_fs_is_angular_average_of_cos():
    rng = np.random.default_rng(6)
    dr = rng.normal(0, 0.4, (3, 200, 2))
    k = 7.3
    phi = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    kv = k * np.stack([np.cos(phi), np.sin(phi)], axis=1)
    brute = np.cos(np.einsum("tnd,ad->tna", dr, kv)).mean(axis=(1, 2))
    np.testing.assert_allclose(self_intermediate_scattering(dr, k), brute, atol=1e-10)
    both = self_intermediate_scattering(dr, [2 * np.pi, k])
    assert both.shape == (2, 3)
    np.testing.assert_allclose(both[1], brute, atol=1e-10)


def test_gaussian_displacements_analytic():
    rng = np.random.default_rng(7)
    n = 200_000
    s = np.array([0.05, 0.2, 0.4])
    dr = rng.normal(size=(3, n, 2)) * s[:, None, None]
    msd = mean_squared_displacement(dr)
    np.testing.assert_allclose(msd, 2 * s**2, rtol=0.01)
    np.testing.assert_allclose(non_gaussian_parameter(dr), 0.0, atol=0.02)
    k = 2 * np.pi
    np.testing.assert_allclose(
        self_intermediate_scattering(dr, k), np.exp(-(k**2) * msd / 4), atol=0.005
    )


def test_alpha2_heterogeneous_positive():
    # A mixture of slow and fast Gaussian populations is super-Gaussian: alpha2 > 0, and
    # analytically <r^4>/(2<r^2>^2) - 1 with <r^2> = 2 s^2, <r^4> = 8 s^4 per population.
    rng = np.random.default_rng(8)
    s = np.where(rng.random(100_000) < 0.9, 0.1, 0.5)
    dr = (rng.normal(size=(100_000, 2)) * s[:, None])[None]
    want = (0.9 * 8 * 0.1**4 + 0.1 * 8 * 0.5**4) / (2 * (0.9 * 2 * 0.01 + 0.1 * 2 * 0.25) ** 2) - 1
    np.testing.assert_allclose(non_gaussian_parameter(dr), want, rtol=0.05)
    assert non_gaussian_parameter(np.zeros((1, 5, 2))).tolist() == [0.0]


def test_relaxation_time_interpolation():
    t = np.array([0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], dtype=float)
    tau = 73.0
    # F linear in ln t is interpolated exactly in ln t (not in t).
    f = np.ones_like(t)
    f[1:] = 1 / np.e + 0.1 * (np.log(tau) - np.log(t[1:]))
    assert relaxation_time(t, f) == pytest.approx(tau, rel=1e-12)
    # Crossing within the first interval (from t = 0) is linear in t.
    assert relaxation_time([0, 4], [1.0, 0.0]) == pytest.approx(4 * (1 - 1 / np.e))
    # threshold reached exactly at a sample
    assert relaxation_time([0, 1, 3], [1.0, 0.9, 1 / np.e]) == pytest.approx(3.0)


def test_relaxation_time_never_crossed_warns():
    with pytest.warns(RuntimeWarning, match="never reached"):
        out = relaxation_time([0, 1, 2], [1.0, 0.9, 0.8])
    assert np.isnan(out)


def test_bond_breaking_vs_brute_force():
    pos, species, box = _liquid_like(n=80, seed=9)
    rng = np.random.default_rng(10)
    traj = pos + np.cumsum(rng.normal(0, 0.25, (4, 80, 2)), axis=0)
    traj[0] = pos
    got = bond_breaking(traj, species, box, SIGMA)
    brute_nb = _brute_neighbors(pos, species, box, SIGMA, 1.4)
    for t in range(4):
        for i, nb in enumerate(brute_nb):
            if not nb:
                assert got[t, i] == 0.0
                continue
            intact = 0
            for j in nb:
                d = traj[t, j] - traj[t, i]
                d -= box * np.round(d / box)
                intact += np.sqrt(d @ d) < 1.8 * SIGMA[species[i], species[j]]
            assert got[t, i] == pytest.approx(1 - intact / len(nb))
    np.testing.assert_array_equal(got[0], 0.0)
    assert got[-1].mean() > got[1].mean()


def test_bond_breaking_hysteresis_threshold():
    # A bond stretched from 1.0 to 1.7 sigma (between A1 and A2) is still intact.
    p0 = [[0.0, 0.0], [1.0, 0.0]]
    stretched = [[0.0, 0.0], [1.7, 0.0]]
    broken = [[0.0, 0.0], [1.8, 0.0]]
    out = bond_breaking([p0, stretched, broken], [0, 0], 10.0, [[1.0]])
    np.testing.assert_array_equal(out, [[0, 0], [0, 0], [1, 1]])


def test_analyze_relaxation_brownian():
    # Free Brownian particles: F_s(k, t) = exp(-k^2 D t), so tau = 1 / (k^2 D) in both
    # F_s and (approximately, neighbours move independently) the cage-relative version.
    rng = np.random.default_rng(11)
    n, box = 2000, 40.0
    times = np.unique(np.round(np.geomspace(1, 400, 30)))
    times = np.concatenate([[0.0], times])
    d_coef = 1e-4
    scale = np.sqrt(2 * d_coef * np.diff(times))[:, None, None]
    steps = rng.normal(0, scale, (len(times) - 1, n, 2))
    x0 = rng.uniform(0, box, (n, 2))
    pos = np.concatenate([x0[None], x0 + np.cumsum(steps, axis=0)])
    k = 2 * np.pi
    res = analyze_relaxation(times, pos, np.zeros(n, int), box, [[0.8]], k=[k, 7.3])
    assert res.tau[0] == pytest.approx(1 / (k**2 * d_coef), rel=0.05)
    assert res.tau[1] == pytest.approx(1 / (7.3**2 * d_coef), rel=0.05)
    np.testing.assert_allclose(res.msd[1:] / times[1:], 4 * d_coef, rtol=0.1)
    assert np.all(np.abs(res.alpha2) < 0.1)
    # Subtracting the mean of independent neighbours adds variance: faster F_s^CR.
    assert res.tau_cr[0] < res.tau[0]
    summary = res.summary()
    assert set(summary) >= {"tau_k6.283", "tau_cr_k6.283", "tau_k7.3", "alpha2_max"}


def test_analyze_relaxation_not_relaxed_gives_nan_and_warns():
    pos = np.random.default_rng(0).uniform(0, 10, (1, 50, 2)).repeat(3, axis=0)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = analyze_relaxation([0, 1, 2], pos, np.zeros(50, int), 10.0, [[1.0]])
    assert np.isnan(res.tau[0]) and np.isnan(res.tau_cr[0])
    assert any(issubclass(w.category, RuntimeWarning) for w in rec)


def test_analyze_relaxation_single_origin_matches_building_blocks():
    pos, species, box = _liquid_like(n=100, seed=12)
    rng = np.random.default_rng(13)
    traj = pos + np.cumsum(rng.normal(0, 0.1, (6, 100, 2)), axis=0)
    times = np.arange(6.0) * 10
    with pytest.warns(RuntimeWarning, match="never reached"):  # too short for k = 6
        res = analyze_relaxation(times, traj, species, box, SIGMA, k=[6.0, 7.3])
    nl = cage_neighbors(traj[0], species, box, SIGMA)
    dr = displacements(traj)
    cr = cage_relative_displacements(dr, nl)
    np.testing.assert_allclose(res.msd, mean_squared_displacement(dr), rtol=1e-12)
    np.testing.assert_allclose(res.fs_cr, self_intermediate_scattering(cr, [6.0, 7.3]),
                               rtol=1e-12)
    np.testing.assert_allclose(res.alpha2_cr, non_gaussian_parameter(cr), rtol=1e-10,
                               atol=1e-14)
    np.testing.assert_array_equal(res.times, times)


def test_analyze_relaxation_origin_average_vs_brute_force():
    pos, species, box = _liquid_like(n=90, seed=14)
    rng = np.random.default_rng(15)
    times = np.arange(0, 13, dtype=float)
    traj = pos + np.cumsum(rng.normal(0, 0.15, (13, 90, 2)), axis=0)
    origins, lags = [0, 3, 6], [0, 1, 2, 6]
    res = analyze_relaxation(times, traj, species, box, SIGMA, origins=origins, lags=lags)
    m2 = np.zeros(4)
    m4 = np.zeros(4)
    f = np.zeros(4)
    for t0 in origins:
        sub = traj[[t0 + lag for lag in lags]]
        nl = cage_neighbors(sub[0], species, box, SIGMA)
        cr = cage_relative_displacements(displacements(sub), nl)
        r2 = (cr**2).sum(-1)
        m2 += r2.mean(1) / 3
        m4 += (r2**2).mean(1) / 3
        f += self_intermediate_scattering(cr, 2 * np.pi) / 3
    np.testing.assert_allclose(res.msd_cr, m2, rtol=1e-12)
    np.testing.assert_allclose(res.fs_cr[0], f, rtol=1e-12)
    np.testing.assert_allclose(res.alpha2_cr[1:], m4[1:] / (2 * m2[1:] ** 2) - 1, rtol=1e-10)
    with pytest.raises(ValueError, match="no frame at time 13"):
        analyze_relaxation(times, traj, species, box, SIGMA, origins=[7], lags=[0, 6])
    with pytest.raises(ValueError, match="both origins and lags"):
        analyze_relaxation(times, traj, species, box, SIGMA, origins=[0])
