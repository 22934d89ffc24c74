"""Inherent structures: analytic forces, the FIRE quench and its references (scipy)."""

import numpy as np
import pytest
from scipy.optimize import minimize

from skii_glass import Configuration, Mixture, get_preset, inherent_structure
from skii_glass.inherent import energy_and_forces, minimize_energy
from skii_glass.simulation import potential_energy, random_configuration

MONO = Mixture(name="mono", species=("A",), reference_counts=(1,), sigma=[[1.0]],
               epsilon=[[1.0]], density=0.95)


def _ka2d_config(seed, n=64, jitter=0.08):
    c = random_configuration("ka2d", n, seed=seed)
    rng = np.random.default_rng(seed)
    return Configuration(c.positions + rng.normal(0, jitter, c.positions.shape), c.species,
                         c.box, c.mixture)


def _triangular(nx=8, ny=8, a=1.1):
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    pos = np.c_[a * (ix + 0.5 * (iy % 2)).ravel(), a * np.sqrt(3) / 2 * iy.ravel()]
    box = np.array([nx * a, ny * a * np.sqrt(3) / 2])
    return pos, box


def _brute_energy(c):
    """Every pair once, minimum image, the model's own vectorised pair energy."""
    d = c.positions[None, :, :] - c.positions[:, None, :]
    d -= c.box * np.rint(d / c.box)
    r = np.hypot(d[..., 0], d[..., 1])
    iu = np.triu_indices(c.n_particles, 1)
    a, b = c.species[iu[0]], c.species[iu[1]]
    return float(c.mixture.pair_energy(r[iu], a, b).sum())


def _energy_grad(c):
    def fun(x):
        ci = Configuration(x.reshape(-1, 2), c.species, c.box, c.mixture)
        e, f = energy_and_forces(ci)
        return e, -f.ravel()

    return fun


@pytest.mark.parametrize("seed", [0, 1])
def test_energy_matches_brute_force_pair_sum(seed):
    c = _ka2d_config(seed)
    e, _ = energy_and_forces(c)
    assert e == pytest.approx(_brute_energy(c), rel=1e-12, abs=1e-10)
    assert e == pytest.approx(potential_energy(c), rel=1e-12)


@pytest.mark.parametrize("seed", [2, 3])
def test_forces_match_finite_differences_of_the_energy(seed):
    c = _ka2d_config(seed)
    _, f = energy_and_forces(c)
    # Newton's third law, up to rounding of the (large, jittered-lattice) pair forces.
    np.testing.assert_allclose(f.sum(axis=0), 0.0, atol=1e-13 * np.abs(f).sum())
    rng = np.random.default_rng(seed)
    h = 1e-6
    for i in rng.choice(c.n_particles, 12, replace=False):
        for k in range(2):
            plus, minus = c.positions.copy(), c.positions.copy()
            plus[i, k] += h
            minus[i, k] -= h
            ep = _brute_energy(Configuration(plus, c.species, c.box, c.mixture))
            em = _brute_energy(Configuration(minus, c.species, c.box, c.mixture))
            fd = -(ep - em) / (2 * h)
            assert f[i, k] == pytest.approx(fd, rel=1e-6, abs=1e-6)


def test_fire_returns_a_perturbed_triangular_lattice_to_the_lattice():
    lattice, box = _triangular()
    rng = np.random.default_rng(5)
    start = Configuration(lattice + rng.normal(0, 0.05, lattice.shape), np.zeros(64, int),
                          box, MONO)
    res = minimize_energy(start, fmax=1e-8)
    assert res.converged
    # Sum of forces is zero, so the centre of mass stays put: compare up to that shift.
    d = res.configuration.positions - lattice
    d -= box * np.rint(d / box)
    d -= d.mean(axis=0)
    assert np.abs(d).max() < 1e-7
    e0, _ = energy_and_forces(start)
    e1, f1 = energy_and_forces(res.configuration)
    assert e1 < e0 and res.initial_energy == pytest.approx(e0)
    assert e1 == pytest.approx(res.energy, rel=1e-12)
    assert np.hypot(f1[:, 0], f1[:, 1]).max() < 1e-8
    assert res.max_force < 1e-8
    # The perfect lattice's own energy.
    e_lat, _ = energy_and_forces(Configuration(lattice, np.zeros(64, int), box, MONO))
    assert abs(e1 - e_lat) / 64 < 1e-12


@pytest.mark.parametrize(
    "make",
    [
        lambda: _lattice_start(6),
        lambda: _near_minimum(_ka2d_config(7)),
    ],
    ids=["triangular", "ka2d"],
)
def test_fire_energy_agrees_with_scipy_lbfgsb(make):
    start = make()
    res = minimize_energy(start, fmax=1e-8)
    ref = minimize(_energy_grad(start), start.positions.ravel(), jac=True, method="L-BFGS-B",
                   options=dict(maxiter=20000, gtol=1e-10, ftol=1e-16, maxcor=30))
    assert ref.fun < energy_and_forces(start)[0]
    assert abs(res.energy - ref.fun) / start.n_particles < 1e-8


def _near_minimum(c, jitter=0.03):
    # A glassy landscape has many minima: start both minimisers inside one basin.
    q = inherent_structure(c)
    rng = np.random.default_rng(0)
    return Configuration(q.positions + rng.normal(0, jitter, q.positions.shape), q.species,
                         q.box, q.mixture)


def _lattice_start(seed):
    lattice, box = _triangular()
    rng = np.random.default_rng(seed)
    return Configuration(lattice + rng.normal(0, 0.05, lattice.shape), np.zeros(64, int),
                         box, MONO)


def test_inherent_structure_keeps_species_box_and_input():
    c = _ka2d_config(8)
    before = c.positions.copy()
    q = inherent_structure(c)
    assert isinstance(q, Configuration)
    np.testing.assert_array_equal(c.positions, before)
    np.testing.assert_array_equal(q.species, c.species)
    np.testing.assert_array_equal(q.box, c.box)
    assert q.mixture is c.mixture
    assert np.all((q.positions >= 0) & (q.positions < q.box))
    assert not np.allclose(q.positions, c.positions)
    # A minimum is a fixed point.
    again = minimize_energy(q)
    assert again.n_steps == 0


@pytest.mark.parametrize("n", [30, 100])
def test_list_rebuilds_keep_the_energy_and_forces_exact(n):
    # N = 30 leaves almost no room for a skin (box 5.02 for a 2 x 2.5 cutoff): many rebuilds.
    c = _ka2d_config(17, n=n)
    res = minimize_energy(c)
    assert res.n_rebuilds > 0
    e, f = energy_and_forces(res.configuration)  # fresh list, no skin
    assert res.energy == pytest.approx(e, rel=1e-12)
    assert res.energy == pytest.approx(_brute_energy(res.configuration), rel=1e-12)
    assert np.hypot(f[:, 0], f[:, 1]).max() < 1e-8


def test_mixture_override_is_the_same_as_building_with_it():
    c = _ka2d_config(9)
    other = get_preset("ka2d")
    a = minimize_energy(c, mixture=other)
    b = minimize_energy(Configuration(c.positions, c.species, c.box, other))
    np.testing.assert_array_equal(a.configuration.positions, b.configuration.positions)
    with pytest.raises(TypeError, match="mixture"):
        minimize_energy(c, mixture=3)


def test_overlapping_input_is_refused():
    c = _ka2d_config(10)
    pos = c.positions.copy()
    pos[1] = pos[0] + [0.2, 0.0]
    with pytest.raises(ValueError, match="overlap"):
        inherent_structure(Configuration(pos, c.species, c.box, c.mixture))


def test_not_converged_raises():
    with pytest.raises(RuntimeError, match="did not converge within max_steps = 3"):
        inherent_structure(_ka2d_config(11), max_steps=3)


@pytest.mark.parametrize(
    "kwargs", [dict(fmax=0.0), dict(fmax=np.nan), dict(dt=-1.0), dict(dt_max=np.inf),
               dict(dt=0.02, dt_max=0.01), dict(max_move=0.0), dict(max_steps=-1),
               dict(max_steps=2.5)]
)
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        minimize_energy(_ka2d_config(12), **kwargs)


def test_box_too_small_for_the_cutoff_is_refused():
    c = Configuration([[0.0, 0.0], [1.0, 0.0]], ["A", "A"], box=4.0)
    with pytest.raises(ValueError, match="too small"):
        inherent_structure(c)


# ---------------------------------------------------------------- descriptors and CLI
def test_structural_descriptors_inherent_is_thermal_on_the_quenched_configuration():
    from skii_glass import StructuralDescriptors

    configs = [_ka2d_config(13), _ka2d_config(14)]
    kw = dict(lengths=[1.0, 2.0], descriptors=("u", "theta", "z"))
    inh = StructuralDescriptors(structure="inherent", **kw).fit(configs)
    quenched = [inherent_structure(c) for c in configs]
    expected = StructuralDescriptors(**kw).fit_transform(quenched)
    got = inh.transform(configs)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert not np.allclose(got, StructuralDescriptors(**kw).fit_transform(configs))
    np.testing.assert_array_equal(inh.groups_, [0] * 64 + [1] * 64)
    # quenches over joblib threads give the same configurations
    from skii_glass.transformers import _inherent_structures

    for a, b in zip(_inherent_structures(configs, 2), quenched, strict=True):
        np.testing.assert_array_equal(a.positions, b.positions)


@pytest.mark.parametrize("bad", ["Inherent", "both", None, 1])
def test_structural_descriptors_bad_structure(bad):
    from skii_glass import StructuralDescriptors

    with pytest.raises(ValueError, match="structure must be one of"):
        StructuralDescriptors(structure=bad).fit(_ka2d_config(15))


def test_cli_describe_inherent(tmp_path):
    import pandas as pd

    from skii_glass.cli import main
    from skii_glass.descriptors import structural_descriptors
    from skii_glass.io import write_xyz

    c = _ka2d_config(16)
    path = tmp_path / "c.xyz"
    write_xyz(path, c)
    out = tmp_path / "f.csv"
    assert main(["describe", str(path), "--out", str(out), "--lengths", "1.0", "2.0",
                 "--descriptors", "u", "psi6", "--inherent", "--quiet"]) == 0
    got = pd.read_csv(out).drop(columns=["particle", "species"]).to_numpy()
    q = inherent_structure(Configuration(c.positions, c.species, c.box, "ka2d"))
    want = structural_descriptors(q, [1.0, 2.0], descriptors=("u", "psi6"))
    # The XYZ file rounds positions; the quench lands in the same minimum.
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
