"""Descriptors against analytic lattices, a brute-force O(N^2) numpy implementation with
explicit periodic images, scipy's periodic KD-tree and freud."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from skii_glass import Configuration, Mixture, get_preset
from skii_glass.descriptors import (
    DEFAULT_LENGTHS,
    area_fraction,
    check_lengths,
    coarse_grain,
    coordination,
    descriptor_names,
    local_density,
    local_energy,
    per_particle_descriptors,
    psi6,
    structural_descriptors,
    tong_tanaka_theta,
)
from skii_glass.neighbors import neighbor_list

KA2D = get_preset("ka2d")
# One species, sigma = 1: "touching" means spacing 1.
MONO = Mixture(
    name="mono",
    species=("A",),
    reference_counts=(1,),
    sigma=np.array([[1.0]]),
    epsilon=np.array([[1.0]]),
    density=1.0,
)


# ------------------------------------------------------------------------- builders


def triangular(nx, ny, a=1.0):
    """Perfect triangular lattice in a periodic rectangular box (ny even)."""
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    x = a * (i + 0.5 * (j % 2))
    y = a * np.sqrt(3) / 2 * j
    return np.c_[x.ravel(), y.ravel()], np.array([nx * a, ny * a * np.sqrt(3) / 2])


def square(n, a=1.0):
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return np.c_[i.ravel(), j.ravel()] * a, np.array([n * a, n * a])


def jittered(n_side, seed, box_aspect=1.0, noise=0.15):
    """Dense ka2d-like configuration: a jittered square lattice at the ka2d density,
    random species (avoids the huge energies of overlapping random points)."""
    rng = np.random.default_rng(seed)
    nx, ny = n_side, int(round(n_side * box_aspect))
    a = 1.0 / np.sqrt(KA2D.density)
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    pos = np.c_[i.ravel(), j.ravel()] * a + rng.normal(0, noise * a, (nx * ny, 2))
    species = rng.integers(0, 3, nx * ny)
    return Configuration(pos, species, np.array([nx * a, ny * a]), KA2D)


# -------------------------------------------------------------- brute-force reference


def brute_pairs(pos, box, r_max):
    """All (i, j, vector, distance) with |r_j + image - r_i| < r_max over the 9 nearest
    periodic images (explicit images; enough for r_max <= half the box)."""
    shifts = np.array([(a * box[0], b * box[1]) for a in (-1, 0, 1) for b in (-1, 0, 1)])
    vec = pos[None, :, None, :] + shifts[None, None, :, :] - pos[:, None, None, :]
    d = np.sqrt((vec**2).sum(-1))
    n = len(pos)
    self_zero = (np.eye(n, dtype=bool)[:, :, None]) & (np.abs(shifts).sum(1) == 0)[None, None]
    mask = (d < r_max) & ~self_zero
    i, j, s = np.nonzero(mask)
    return i, j, vec[i, j, s], d[i, j, s]


def brute_local(config, cut_factor=1.4):
    m = config.mixture
    pos, box, sp = config.positions, config.box, config.species
    n = len(pos)
    i, j, vec, d = brute_pairs(pos, box, 0.49 * box.min())
    u = np.zeros(n)
    np.add.at(u, i, m.pair_energy(d, sp[i], sp[j]))
    nb = d < cut_factor * m.sigma[sp[i], sp[j]]
    z = np.bincount(i[nb], minlength=n)
    psi = np.zeros(n)
    theta = np.zeros(n)
    for p in range(n):
        sel = nb & (i == p)
        ang = np.arctan2(vec[sel, 1], vec[sel, 0])
        if len(ang):
            psi[p] = abs(np.exp(6j * ang).mean())
        if len(ang) >= 2:
            order = np.argsort(ang)
            ang, nbrs = ang[order], j[sel][order]
            t1 = np.diff(np.append(ang, ang[0] + 2 * np.pi))
            nxt = np.roll(nbrs, -1)
            sij = m.sigma[sp[p], sp[nbrs]]
            sik = m.sigma[sp[p], sp[nxt]]
            sjk = m.sigma[sp[nbrs], sp[nxt]]
            t2 = np.arccos(np.clip((sij**2 + sik**2 - sjk**2) / (2 * sij * sik), -1, 1))
            theta[p] = np.abs(t1 - t2).mean()
    return {"u": u, "z": z, "psi6": psi, "theta": theta}


def brute_all(config, lengths, cut_factor=1.4):
    loc = brute_local(config, cut_factor)
    m = config.mixture
    sp = config.species
    i, j, _, d = brute_pairs(config.positions, config.box, 0.5 * config.box.min() + 1e-9)
    area = np.pi * (np.diag(m.sigma)[sp] / 2) ** 2
    n = config.n_particles
    cols = {k: [] for k in ("rho", "phi", "u", "psi6", "theta", "z")}
    for L in lengths:
        w = d < L

        def disc_sum(v, w=w):
            s = v.astype(float).copy()
            np.add.at(s, i[w], v[j[w]])
            return s

        cnt = disc_sum(np.ones(n))
        cols["rho"].append(cnt / (np.pi * L**2))
        cols["phi"].append(disc_sum(area) / (np.pi * L**2))
        for k in ("u", "psi6", "theta", "z"):
            cols[k].append(disc_sum(loc[k].astype(float)) / cnt)
    return np.column_stack([c for k in cols for c in cols[k]])


# ---------------------------------------------------------------- neighbour search


@pytest.mark.parametrize(
    ("box", "r_max"),
    [((10.0, 10.0), 1.7), ((12.0, 7.0), 3.5), ((9.0, 9.0), 4.5), ((30.0, 8.0), 0.3)],
)
def test_neighbor_list_matches_periodic_kdtree(box, r_max):
    rng = np.random.default_rng(1)
    box = np.array(box)
    pos = rng.uniform(0, 1, (300, 2)) * box
    nl = neighbor_list(pos, box, r_max)
    got = set(zip(nl.query_indices.tolist(), nl.indices.tolist(), strict=True))
    pairs = cKDTree(pos, boxsize=box).query_pairs(r_max, output_type="ndarray")
    d = np.linalg.norm(
        (pos[pairs[:, 1]] - pos[pairs[:, 0]] + box / 2) % box - box / 2, axis=1
    )
    pairs = pairs[d < r_max]  # query_pairs is inclusive; ours is strict
    want = {(int(a), int(b)) for a, b in pairs} | {(int(b), int(a)) for a, b in pairs}
    assert got == want
    # Distances and minimum-image vectors agree with each other and with positions.
    np.testing.assert_allclose(np.linalg.norm(nl.vectors, axis=1), nl.distances)
    disp = (pos[nl.indices] - pos[nl.query_indices] + box / 2) % box - box / 2
    np.testing.assert_allclose(nl.vectors, disp, atol=1e-12)
    assert np.all(nl.distances < r_max)


def test_neighbor_list_strict_cutoff_and_wrapping():
    nl = neighbor_list([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0]], box=6.0, r_max=1.0)
    assert nl.n_pairs == 0  # exactly r_max apart: not neighbours
    nl = neighbor_list([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0]], box=6.0, r_max=1.0 + 1e-9)
    assert sorted(nl.counts.tolist()) == [1, 1, 2]
    nl2 = neighbor_list([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]], box=6.0, r_max=1.0 + 1e-9)
    assert nl2.counts.tolist() == nl.counts.tolist()


@pytest.mark.parametrize(
    ("pos", "box", "r_max", "match"),
    [
        ([[0.0, 0.0]], 4.0, 2.5, "half the shorter box side"),
        ([[0.0, np.nan]], 4.0, 1.0, "NaN"),
        (np.zeros((3, 3)), 4.0, 1.0, "shape"),
        (np.zeros((0, 2)), 4.0, 1.0, "empty"),
        ([[0.0, 0.0]], -4.0, 1.0, "box"),
        ([[0.0, 0.0]], 4.0, 0.0, "r_max"),
    ],
)
def test_neighbor_list_bad_input(pos, box, r_max, match):
    with pytest.raises(ValueError, match=match):
        neighbor_list(pos, box, r_max)


# ------------------------------------------------------------------ analytic lattices


def test_triangular_lattice_psi6_one_z_six():
    pos, box = triangular(12, 14)
    c = Configuration(pos, np.zeros(len(pos), int), box, KA2D)
    d = per_particle_descriptors(c)
    np.testing.assert_allclose(d["psi6"], 1.0, atol=1e-12)
    assert np.all(d["z"] == 6)


def test_monodisperse_triangular_touching_theta_zero():
    pos, box = triangular(12, 14, a=1.0)
    c = Configuration(pos, np.zeros(len(pos), int), box, MONO)
    np.testing.assert_allclose(tong_tanaka_theta(c), 0.0, atol=1e-12)
    # Squeezed or stretched, the angles stay 60 degrees: theta is about angles only.
    pos2, box2 = triangular(12, 14, a=1.1)
    c2 = Configuration(pos2, np.zeros(len(pos2), int), box2, MONO)
    np.testing.assert_allclose(tong_tanaka_theta(c2), 0.0, atol=1e-12)


def test_square_lattice_psi6_zero_z_four_theta():
    pos, box = square(11)
    c = Configuration(pos, np.zeros(len(pos), int), box, MONO)
    d = per_particle_descriptors(c)
    np.testing.assert_allclose(d["psi6"], 0.0, atol=1e-12)
    assert np.all(d["z"] == 4)
    np.testing.assert_allclose(d["theta"], np.pi / 2 - np.pi / 3, atol=1e-12)


def test_theta_reference_angle_from_cosine_rule():
    # ka2d: central B (sigma_AB = 0.8) with two A neighbours (sigma_AA = 1) at 90 degrees.
    pos = [[5.0, 5.0], [5.8, 5.0], [5.0, 5.8]]
    c = Configuration(pos, ["B", "A", "A"], box=12.0, mixture=KA2D)
    theta2 = np.arccos((0.8**2 + 0.8**2 - 1.0**2) / (2 * 0.8 * 0.8))
    expected = (abs(np.pi / 2 - theta2) + abs(3 * np.pi / 2 - theta2)) / 2
    assert tong_tanaka_theta(c)[0] == pytest.approx(expected, abs=1e-12)
    assert coordination(c).tolist() == [2, 2, 2]  # A-A distance 1.13 < 1.4


def _lattice_count(vectors_fn, L):
    """Sites (self included) strictly within L, by enumerating lattice vectors."""
    r = np.arange(-12, 13)
    a, b = np.meshgrid(r, r)
    x, y = vectors_fn(a.ravel(), b.ravel())
    return int(np.sum(x**2 + y**2 < L**2 * (1 - 1e-12)))


@pytest.mark.parametrize("lattice", ["square", "triangular"])
def test_rho_phi_by_counting_on_lattices(lattice):
    a = 0.93
    if lattice == "square":
        pos, box = square(12, a)

        def vec(p, q):
            return a * p, a * q
    else:
        pos, box = triangular(12, 14, a)

        def vec(p, q):
            return a * (p + 0.5 * q), a * np.sqrt(3) / 2 * q

    lengths = np.arange(0.5, 4.01, 0.25)
    c = Configuration(pos, np.zeros(len(pos), int), box, KA2D)
    rho = local_density(c, lengths, density="count")
    phi = area_fraction(c, lengths, density="count")
    counts = np.array([_lattice_count(vec, L) for L in lengths])
    np.testing.assert_allclose(rho, np.broadcast_to(counts / (np.pi * lengths**2), rho.shape))
    np.testing.assert_allclose(phi, rho * np.pi * 0.25)  # sigma_AA = 1


def test_phi_two_species_checkerboard():
    pos, box = square(12, 1.0)
    species = ((pos[:, 0] + pos[:, 1]) % 2).astype(int)  # A/B checkerboard
    c = Configuration(pos, species, box, KA2D)
    aa, ab = np.pi / 4 * 1.0**2, np.pi / 4 * 0.88**2
    # L = 1.5: self, 4 nearest (other species), 4 diagonal (same species).
    phi = area_fraction(c, [1.5], density="count")[:, 0] * np.pi * 1.5**2
    want = np.where(species == 0, 5 * aa + 4 * ab, 5 * ab + 4 * aa)
    np.testing.assert_allclose(phi, want)


# ------------------------------------------------------------- brute-force agreement


@pytest.mark.parametrize(("n_side", "aspect", "seed"), [(12, 1.0, 0), (11, 1.5, 1)])
def test_all_60_columns_match_brute_force(n_side, aspect, seed):
    c = jittered(n_side, seed, aspect)
    got = structural_descriptors(c, density="count")
    want = brute_all(c, DEFAULT_LENGTHS)
    assert got.shape == (c.n_particles, 60)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    # The overlap definition changes rho and phi only (the first 20 columns).
    smooth = structural_descriptors(c)
    np.testing.assert_array_equal(smooth[:, 20:], got[:, 20:])
    np.testing.assert_array_equal(smooth[:, :10], local_density(c))
    np.testing.assert_array_equal(smooth[:, 10:20], area_fraction(c))


def test_local_descriptors_match_brute_force_random_points():
    # Uniform random points (overlaps, huge energies): checks the pair sums, not physics.
    rng = np.random.default_rng(5)
    c = Configuration(rng.uniform(0, 11, (160, 2)), rng.integers(0, 3, 160), (11.0, 13.0))
    got = per_particle_descriptors(c, neighbor_cutoff=1.2)
    want = brute_local(c, 1.2)
    np.testing.assert_allclose(got["u"], want["u"], rtol=1e-10)
    np.testing.assert_array_equal(got["z"], want["z"])
    np.testing.assert_allclose(got["psi6"], want["psi6"], atol=1e-12)
    np.testing.assert_allclose(got["theta"], want["theta"], atol=1e-12)
    assert np.array_equal(local_energy(c), got["u"])
    assert np.array_equal(psi6(c, 1.2), got["psi6"])


def test_per_pair_cutoff_matrix():
    c = jittered(12, 3)
    cut = np.array([[1.5, 1.2, 1.3], [1.2, 1.1, 1.25], [1.3, 1.25, 1.45]])
    z = coordination(c, cut)
    i, j, _, d = brute_pairs(c.positions, c.box, 3.0)
    sp = c.species
    want = np.bincount(i[d < (cut * KA2D.sigma)[sp[i], sp[j]]], minlength=c.n_particles)
    np.testing.assert_array_equal(z, want)


def test_coarse_grain_matches_brute_force():
    c = jittered(12, 4)
    rng = np.random.default_rng(0)
    v = rng.normal(size=(c.n_particles, 2))
    lengths = [0.7, 1.3, 2.9]
    got = coarse_grain(c, v, lengths)
    i, j, _, d = brute_pairs(c.positions, c.box, 3.0)
    for k, L in enumerate(lengths):
        s = v.copy()
        cnt = np.ones(c.n_particles)
        np.add.at(s, i[d < L], v[j[d < L]])
        np.add.at(cnt, i[d < L], 1)
        np.testing.assert_allclose(got[:, k, :], s / cnt[:, None], rtol=1e-12)
    np.testing.assert_allclose(coarse_grain(c, v[:, 0], lengths), got[:, :, 0])


def test_psi6_matches_freud_hexatic():
    freud = pytest.importorskip("freud")
    c = jittered(13, 6, noise=0.2)
    r = 1.4 * KA2D.sigma
    i, j, vec, d = brute_pairs(c.positions, c.box, 3.0)
    sp = c.species
    keep = d < r[sp[i], sp[j]]
    i, j, vec = i[keep], j[keep], vec[keep]
    box = freud.box.Box.from_box(c.box)
    pts = np.c_[c.positions - c.box / 2, np.zeros(c.n_particles)]
    # freud's convention: vectors = points[point_indices] - query_points[query_indices].
    nlist = freud.locality.NeighborList.from_arrays(
        c.n_particles, c.n_particles, i, j, np.c_[vec, np.zeros(len(i))]
    )
    hexatic = freud.order.Hexatic(k=6).compute((box, pts), neighbors=nlist)
    # freud works in single precision.
    np.testing.assert_allclose(psi6(c), np.abs(hexatic.particle_order), atol=2e-5)
    assert np.std(psi6(c)) > 0.05  # a non-trivial configuration


# ---------------------------------------------------------------- constant columns


def test_constant_columns_flow_through_without_nan():
    # Spacing 1.03: no distance lands on a length L (rounding would split the lattice).
    pos, box = triangular(12, 14, a=1.03)
    c = Configuration(pos, np.zeros(len(pos), int), box, KA2D)
    names = descriptor_names()
    for density in ("count", "overlap"):
        X = structural_descriptors(c, density=density)
        assert not np.any(np.isnan(X))
        assert np.ptp(X, axis=0).max() < 1e-9  # a perfect lattice: every column constant
    # Within 0.5 of i: its centre (count), and its whole disk but no part of a neighbour's
    # (1.03 - 0.5 > 0.5; overlap).
    for density in ("count", "overlap"):
        rho05 = structural_descriptors(c, density=density)[:, names.index("rho_L0.5")]
        np.testing.assert_allclose(rho05, 1 / (np.pi * 0.25))


def test_isolated_particle_zero_neighbours():
    c = Configuration([[1.0, 1.0], [6.0, 6.0]], ["A", "B"], box=12.0)
    X = structural_descriptors(c, lengths=[0.5, 5.0])
    assert not np.any(np.isnan(X))
    d = per_particle_descriptors(c)
    assert d["z"].tolist() == [0, 0]
    assert d["psi6"].tolist() == [0.0, 0.0]
    assert d["theta"].tolist() == [0.0, 0.0]
    assert d["u"].tolist() == [0.0, 0.0]


def test_one_neighbour_theta_zero_psi6_one():
    c = Configuration([[1.0, 1.0], [2.0, 1.3]], ["A", "A"], box=12.0)
    d = per_particle_descriptors(c)
    assert d["theta"].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(d["psi6"], 1.0)


# --------------------------------------------------------------------- invariances


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shift=st.tuples(st.floats(-50, 50), st.floats(-50, 50)),
    seed=st.integers(0, 2**32 - 1),
)
def test_translation_invariance(shift, seed):
    c = jittered(11, seed % 7, 1.2)
    moved = Configuration(c.positions + np.array(shift), c.species, c.box, KA2D)
    np.testing.assert_allclose(
        structural_descriptors(moved), structural_descriptors(c), rtol=1e-9, atol=1e-9
    )


def _hex_patch(a, radius):
    pos, _ = triangular(40, 46, a)
    centre = pos[np.argmin(np.linalg.norm(pos - pos.mean(0), axis=1))]
    rel = pos - centre
    return rel[np.linalg.norm(rel, axis=1) < radius]


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    noise=st.floats(0.0, 0.003),
    vacancy=st.floats(0.0, 0.3),
)
def test_rotation_by_60_degrees_of_a_lattice_patch(seed, noise, vacancy):
    # A triangular-lattice patch (vacancies, noise, random species) in the middle of a
    # big box, so nothing interacts across the boundary; rotate it by 60 degrees about
    # a lattice site. Spacing 1.07 keeps all distances well away from every threshold
    # (L multiples of 0.5 and 1.4 sigma_ab) at this noise.
    rng = np.random.default_rng(seed)
    rel = _hex_patch(1.07, 8.0)
    rel = rel[rng.uniform(size=len(rel)) >= vacancy]
    rel = rel + rng.uniform(-noise, noise, rel.shape)
    species = rng.integers(0, 3, len(rel))
    box = np.array([40.0, 40.0])
    rot = np.array([[0.5, -np.sqrt(3) / 2], [np.sqrt(3) / 2, 0.5]])
    a = Configuration(rel + box / 2, species, box, KA2D)
    b = Configuration(rel @ rot.T + box / 2, species, box, KA2D)
    np.testing.assert_allclose(
        structural_descriptors(b), structural_descriptors(a), rtol=1e-9, atol=1e-9
    )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_permutation_permutes_rows(seed):
    rng = np.random.default_rng(seed)
    c = jittered(11, seed % 5)
    perm = rng.permutation(c.n_particles)
    p = Configuration(c.positions[perm], c.species[perm], c.box, KA2D)
    np.testing.assert_allclose(
        structural_descriptors(p), structural_descriptors(c)[perm], rtol=1e-10, atol=1e-10
    )


def test_positions_outside_box_are_wrapped():
    c = jittered(11, 2)
    far = c.positions + c.box * np.array([[3, -2]])
    # Bypass Configuration's own wrapping: edit the arrays after construction.
    d = Configuration(c.positions, c.species, c.box, KA2D)
    d.positions = far
    np.testing.assert_allclose(structural_descriptors(d), structural_descriptors(c),
                               rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------- bad input


def test_bad_configurations_raise_clear_errors():
    with pytest.raises(ValueError, match="NaN"):
        Configuration([[0.0, np.nan]], ["A"], box=12.0)
    with pytest.raises(ValueError, match="match positions"):
        Configuration([[0.0, 0.0], [1.0, 1.0]], ["A"], box=12.0)
    with pytest.raises(ValueError, match="unknown species"):
        Configuration([[0.0, 0.0]], ["Q"], box=12.0)
    with pytest.raises(ValueError, match="unknown species code"):
        Configuration([[0.0, 0.0]], [7], box=12.0)
    with pytest.raises(ValueError, match="at least one particle"):
        Configuration(np.zeros((0, 2)), [], box=12.0)
    # Arrays edited after construction are validated again.
    c = jittered(11, 0)
    c.positions = c.positions.copy()
    c.positions[3, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        structural_descriptors(c)
    c = jittered(11, 0)
    c.species = c.species[:-1]
    with pytest.raises(ValueError, match="species"):
        local_energy(c)
    with pytest.raises(ValueError, match="Configuration"):
        structural_descriptors(np.zeros((10, 2)))


def test_bad_lengths_and_cutoffs():
    c = jittered(11, 0)  # box side ~10.1
    with pytest.raises(ValueError, match="half the shorter box side"):
        structural_descriptors(c, lengths=[1.0, 6.0])
    small = Configuration([[0.0, 0.0], [1.0, 1.0]], ["A", "A"], box=(12.0, 4.0))
    with pytest.raises(ValueError, match="potential cutoff"):
        local_energy(small)
    for bad in ([], [0.0, 1.0], [-1.0], [np.nan], [1.0, 1.0], [1.0, 1.04]):
        with pytest.raises(ValueError, match="lengths"):
            check_lengths(bad)
    with pytest.raises(ValueError, match="neighbor_cutoff"):
        coordination(c, np.ones((2, 2)))
    with pytest.raises(ValueError, match="neighbor_cutoff"):
        coordination(c, -1.0)
    with pytest.raises(ValueError, match="descriptors"):
        structural_descriptors(c, descriptors=["rho", "psi4"])
    with pytest.raises(ValueError, match="values"):
        coarse_grain(c, np.ones(5), [1.0])
    with pytest.raises(ValueError, match="NaN"):
        coarse_grain(c, np.full(c.n_particles, np.nan), [1.0])


def test_names_and_subsets():
    names = descriptor_names()
    assert len(names) == 60
    assert names[:2] == ["rho_L0.5", "rho_L1.0"] and names[-1] == "z_L5.0"
    assert names[10 * 4 + 3] == "theta_L2.0"
    c = jittered(11, 1)
    full = structural_descriptors(c)
    sub = structural_descriptors(c, descriptors=["theta", "rho"])
    idx = [names.index(n) for n in descriptor_names(DEFAULT_LENGTHS, ["theta", "rho"])]
    np.testing.assert_array_equal(sub, full[:, idx])
    # Unsorted lengths come back sorted.
    np.testing.assert_array_equal(
        structural_descriptors(c, lengths=[2.0, 1.0]), structural_descriptors(c, [1.0, 2.0])
    )


# ------------------------------------------------------------------- doc examples


@pytest.mark.parametrize(
    "module",
    ["skii_glass.neighbors", "skii_glass.descriptors", "skii_glass.transformers"],
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
