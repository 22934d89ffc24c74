import numpy as np
import pytest

from skii_glass import Configuration
from skii_glass.structure import (
    bond_order,
    demixing_indicator,
    global_bond_order,
    radial_distribution,
    structure_factor,
)


def _gas(n=400, box=(18.0, 15.0), seed=0, n_species=3):
    rng = np.random.default_rng(seed)
    box = np.asarray(box)
    return Configuration(rng.uniform(0, 1, (n, 2)) * box, rng.integers(0, n_species, n), box)


def _square_lattice(m=10, a=1.0):
    g = np.stack(np.meshgrid(np.arange(m), np.arange(m)), -1).reshape(-1, 2) * a + 0.5 * a
    return Configuration(g, np.zeros(m * m, int), m * a)


def _triangular_lattice(m=12):
    pts = [(i + 0.5 * (j % 2), j * np.sqrt(3) / 2) for i in range(m) for j in range(m)]
    return Configuration(np.array(pts) + 0.1, np.zeros(m * m, int), [m, m * np.sqrt(3) / 2])


def test_rdf_vs_brute_force_histogram():
    c = _gas(n=150)
    rdf = radial_distribution(c, r_max=6.0, bin_width=0.25)
    pos, box, sp = c.positions, c.box, c.species
    d = pos[None, :, :] - pos[:, None, :]
    d -= box * np.rint(d / box)
    r = np.hypot(d[..., 0], d[..., 1])
    off = ~np.eye(len(pos), dtype=bool)
    area = np.prod(box)
    shell = np.pi * (rdf.edges[1:] ** 2 - rdf.edges[:-1] ** 2)
    hist, _ = np.histogram(r[off], bins=rdf.edges)
    np.testing.assert_allclose(rdf.g, area * hist / (150 * 149 * shell), rtol=1e-12)
    for a in range(3):
        for b in range(a, 3):
            mask = off & (sp[:, None] == a) & (sp[None, :] == b)
            h, _ = np.histogram(r[mask], bins=rdf.edges)
            na, nb = np.sum(sp == a), np.sum(sp == b) - (a == b)
            want = area * h / (na * nb * shell)
            key = ("ABC"[a], "ABC"[b])
            np.testing.assert_allclose(rdf.partial[key], want, rtol=1e-12)


def test_rdf_partials_sum_to_total():
    c = _gas(n=300, seed=2)
    rdf = radial_distribution(c, r_max=5.0, bin_width=0.1)
    n_a = np.bincount(c.species, minlength=3)
    acc = np.zeros_like(rdf.g)
    for a in range(3):
        for b in range(3):
            key = tuple(sorted(("ABC"[a], "ABC"[b])))
            acc += n_a[a] * (n_a[b] - (a == b)) * rdf.partial[key]
    np.testing.assert_allclose(acc / (300 * 299), rdf.g, rtol=1e-10)


def test_ideal_gas_rdf_is_one():
    configs = [_gas(n=600, seed=s) for s in range(6)]
    rdf = radial_distribution(configs, r_max=7.0, bin_width=0.5)
    np.testing.assert_allclose(rdf.g, 1.0, atol=0.06)
    for g in rdf.partial.values():
        np.testing.assert_allclose(g[2:], 1.0, atol=0.2)


def test_lattice_rdf_peaks():
    c = _square_lattice(12, a=1.0)
    rdf = radial_distribution(c, r_max=2.5, bin_width=0.05)
    rho = c.n_particles / np.prod(c.box)
    shell = np.pi * (rdf.edges[1:] ** 2 - rdf.edges[:-1] ** 2)
    n = c.n_particles
    # neighbours within r; g uses N(N-1), hence the N / (N - 1)
    running = np.cumsum(rho * rdf.g * shell) * (n - 1) / n
    # 4 at a, 4 more at sqrt(2) a, 4 more at 2 a
    assert running[np.searchsorted(rdf.r, 1.2)] == pytest.approx(4)
    assert running[np.searchsorted(rdf.r, 1.6)] == pytest.approx(8)
    assert running[np.searchsorted(rdf.r, 2.1)] == pytest.approx(12)
    assert rdf.g[np.searchsorted(rdf.r, 0.9)] == 0.0
    assert rdf.r[np.argmax(rdf.g)] == pytest.approx(1.0, abs=0.05)


def test_rdf_first_minimum():
    # A configuration with a hard first shell: triangular lattice with small noise.
    c = _triangular_lattice(16)
    rng = np.random.default_rng(0)
    noisy = Configuration(c.positions + rng.normal(0, 0.05, c.positions.shape), c.species,
                          c.box)
    rdf = radial_distribution(noisy, r_max=2.5, bin_width=0.02)
    assert 1.1 < rdf.first_minimum() < 1.6


def test_rdf_bad_inputs():
    c = _gas()
    with pytest.raises(ValueError, match="half the box"):
        radial_distribution(c, r_max=100.0)
    with pytest.raises(ValueError, match="bin_width"):
        radial_distribution(c, r_max=5.0, bin_width=0.0)
    with pytest.raises(ValueError, match="share N"):
        radial_distribution([c, _gas(n=10)])


def test_structure_factor_vs_direct_sum():
    c = _gas(n=200, seed=3)
    k, s = structure_factor(c, k_max=3.0, bin_width=0.5)
    # direct: enumerate allowed k in the half plane
    dk = 2 * np.pi / c.box
    vals, mods = [], []
    for nx in range(0, 10):
        for ny in range(-10, 11):
            if nx == 0 and ny <= 0:
                continue
            kv = np.array([nx * dk[0], ny * dk[1]])
            km = np.hypot(*kv)
            if km > 3.0:
                continue
            rho = np.exp(1j * c.positions @ kv).sum()
            vals.append(abs(rho) ** 2 / 200)
            mods.append(km)
    vals, mods = np.array(vals), np.array(mods)
    idx = np.floor(mods / 0.5).astype(int)
    want = [vals[idx == b].mean() for b in np.unique(idx)]
    want_k = [mods[idx == b].mean() for b in np.unique(idx)]
    np.testing.assert_allclose(s, want, rtol=1e-10)
    np.testing.assert_allclose(k, want_k, rtol=1e-12)


def test_structure_factor_ideal_gas_and_bragg():
    configs = [_gas(n=500, seed=s) for s in range(4)]
    k, s = structure_factor(configs, k_max=10.0, bin_width=1.0)
    np.testing.assert_allclose(s, 1.0, atol=0.15)
    lat = _square_lattice(10)
    k, s, smax = structure_factor(lat, k_max=13.0, bin_width=0.05, return_max=True)
    bragg = k[smax > 50]
    # reciprocal lattice: |k| = 2 pi sqrt(n^2 + m^2)
    assert np.allclose(np.sort(bragg)[:2], [2 * np.pi, 2 * np.pi * np.sqrt(2)], atol=0.2)
    assert smax.max() == pytest.approx(100.0)


def test_structure_factor_species():
    c = _gas(n=300, seed=5)
    k, s_a = structure_factor(c, k_max=5.0, species="A")
    k2, s_0 = structure_factor(c, k_max=5.0, species=0)
    np.testing.assert_array_equal(s_a, s_0)
    with pytest.raises(ValueError, match="unknown species"):
        structure_factor(c, species="Z")
    with pytest.raises(ValueError, match="smallest allowed"):
        structure_factor(c, k_max=0.01)


def test_bond_order_vs_brute_force():
    c = _gas(n=120, seed=7)
    got = bond_order(c, 6)
    sig = c.mixture.sigma
    for i in range(c.n_particles):
        acc, cnt = 0j, 0
        for j in range(c.n_particles):
            if j == i:
                continue
            d = c.positions[j] - c.positions[i]
            d -= c.box * np.rint(d / c.box)
            if np.hypot(*d) < 1.4 * sig[c.species[i], c.species[j]]:
                acc += np.exp(6j * np.arctan2(d[1], d[0]))
                cnt += 1
        assert got[i] == pytest.approx(acc / cnt if cnt else 0.0, abs=1e-12)


def test_bond_order_lattices():
    tri = _triangular_lattice(12)
    assert global_bond_order(tri, 6, cutoff=1.2)["local"] == pytest.approx(1.0)
    assert global_bond_order(tri, 6, cutoff=1.2)["global"] == pytest.approx(1.0)
    sq = _square_lattice(8)
    assert global_bond_order(sq, 6, cutoff=1.2)["local"] == pytest.approx(0.0, abs=1e-12)
    # psi10 of a hexagonal lattice: 6 bonds at 60 deg, exp(10 i pi/3 m) sums to 0
    assert global_bond_order(tri, 10, cutoff=1.2)["local"] == pytest.approx(0.0, abs=1e-12)
    # a random gas has a small global order
    assert global_bond_order(_gas(n=500), 6)["global"] < 0.1
    with pytest.raises(ValueError, match="positive integer"):
        bond_order(tri, 0)


def test_demixing_indicator():
    rng = np.random.default_rng(4)
    pos = rng.uniform(0, 40, (2000, 2))
    mixed = Configuration(pos, rng.integers(0, 3, 2000), 40.0)
    ind = demixing_indicator(mixed, cell_size=5.0)
    assert set(ind) == {"A", "B", "C"}
    for v in ind.values():
        assert 0.6 < v < 1.5
    # separated: A on the left, B on the right, C nowhere
    sep = Configuration(pos, (pos[:, 0] > 20).astype(int), 40.0)
    ind = demixing_indicator(sep, cell_size=5.0)
    assert set(ind) == {"A", "B"}
    assert ind["A"] > 10 and ind["B"] > 10
    # alternating checkerboard of species on a lattice is more mixed than random
    lat = _square_lattice(20)
    chk = Configuration(lat.positions, (np.floor(lat.positions).sum(1) % 2).astype(int), 20.0)
    assert demixing_indicator(chk, cell_size=4.0)["A"] < 0.1
    with pytest.raises(ValueError, match="two cells"):
        demixing_indicator(chk, cell_size=30.0)
