"""The two definitions of local density and area fraction ("overlap", "count") against
numerical integration over chords and analytic cases, and the g_ab-minimum neighbour
cutoffs against a synthetic g(r) with a known minimum."""

import numpy as np
import pytest
from scipy.integrate import quad

from skii_glass import Configuration, DensityDescriptors, StructuralDescriptors, get_preset
from skii_glass._descriptor_kernels import lens_area
from skii_glass.descriptors import area_fraction, local_density, structural_descriptors
from skii_glass.structure import _trough_minimum, gr_minimum_cutoffs

KA2D = get_preset("ka2d")
RADII = 0.5 * np.diag(KA2D.sigma)


def quad_lens(big, rad, d):
    """Area of {|x| < big} and {|x - (d, 0)| < rad}: chord lengths integrated along x."""
    lo, hi = max(-big, d - rad), min(big, d + rad)
    if hi <= lo:
        return 0.0

    def chord(x):
        h1 = np.sqrt(max(0.0, big * big - x * x))
        h2 = np.sqrt(max(0.0, rad * rad - (x - d) ** 2))
        return 2.0 * min(h1, h2)

    # The boundaries cross above x_c (a kink of the integrand).
    x_c = (d * d + big * big - rad * rad) / (2 * d) if d > 0 else lo
    pts = [x for x in (x_c,) if lo < x < hi]
    return quad(chord, lo, hi, points=pts or None, epsabs=1e-13, epsrel=1e-11, limit=200)[0]


def brute_overlap(config, lengths):
    """rho and phi from quad over every periodic image in the 5 x 5 nearest boxes."""
    pos, box, sp = config.positions, config.box, config.species
    rad = RADII[sp]
    n = len(pos)
    rho = np.zeros((n, len(lengths)))
    phi = np.zeros((n, len(lengths)))
    shifts = [(a * box[0], b * box[1]) for a in range(-2, 3) for b in range(-2, 3)]
    for i in range(n):
        for j in range(n):
            for sx, sy in shifts:
                d = np.hypot(pos[j, 0] + sx - pos[i, 0], pos[j, 1] + sy - pos[i, 1])
                for k, L in enumerate(lengths):
                    if d >= L + rad[j]:
                        continue
                    a = quad_lens(L, rad[j], d)
                    rho[i, k] += a / (np.pi * rad[j] ** 2)
                    phi[i, k] += a
    disc = np.pi * np.asarray(lengths) ** 2
    return rho / disc, phi / disc


def test_lens_area_against_quad_and_limits():
    rng = np.random.default_rng(0)
    for big, rad, d in rng.uniform([0.2, 0.2, 0.0], [3.0, 0.6, 3.5], (300, 3)):
        assert lens_area(big, rad, d) == pytest.approx(quad_lens(big, rad, d), rel=1e-6,
                                                       abs=1e-12)
    assert lens_area(2.0, 0.5, 1.5) == pytest.approx(np.pi * 0.25, rel=1e-15)  # inside
    assert lens_area(2.0, 0.5, 2.5) == 0.0  # touching from outside
    assert lens_area(0.3, 0.5, 0.1) == pytest.approx(np.pi * 0.09, rel=1e-15)  # L inside disk
    # Two equal circles at distance r: 2 r^2 acos(d / 2r) - (d / 2) sqrt(4 r^2 - d^2).
    want = 2 * np.arccos(0.5) - 0.5 * np.sqrt(3)
    assert lens_area(1.0, 1.0, 1.0) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize(("n", "box", "lengths"), [
    (30, (8.0, 9.0), [0.3, 1.3, 2.7]),
    # L + radius above half the box: disks meet the circle through two images.
    (14, (5.0, 6.0), [0.45, 1.7, 2.45]),
])
def test_overlap_matches_quad_on_random_configurations(n, box, lengths):
    rng = np.random.default_rng(n)
    c = Configuration(rng.uniform(0, 1, (n, 2)) * box, rng.integers(0, 3, n), box, KA2D)
    want_rho, want_phi = brute_overlap(c, lengths)
    np.testing.assert_allclose(local_density(c, lengths), want_rho, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(area_fraction(c, lengths), want_phi, rtol=1e-6, atol=1e-12)


def test_isolated_particle_and_disks_inside_or_outside():
    # An isolated A (radius 0.5): inside its own circle once L >= 0.5, rho = 1 / (pi L^2);
    # below, the circle lies inside the disk: rho = (L / 0.5)^2 / (pi L^2) = 1 / (pi 0.25).
    c = Configuration([[3.0, 3.0], [10.0, 10.0]], ["A", "B"], box=14.0)
    lengths = np.array([0.2, 0.5, 1.0, 3.0])
    rho = local_density(c, lengths)
    np.testing.assert_allclose(rho[0], [4 / np.pi, 4 / np.pi, 1 / np.pi, 1 / (9 * np.pi)],
                               rtol=1e-14)
    np.testing.assert_allclose(area_fraction(c, lengths)[0],
                               np.minimum(1.0, 0.25 / lengths**2), rtol=1e-14)
    # A second disk fully inside the circle counts exactly 1 (area pi 0.44^2), one fully
    # outside 0, one in between a fraction in (0, 1).
    pos = [[5.0, 5.0], [6.2, 5.0], [5.0, 7.45], [5.0, 2.9]]
    c = Configuration(pos, ["A", "B", "B", "B"], box=14.0)
    rho = local_density(c, [2.0])[0, 0] * np.pi * 4.0
    phi = area_fraction(c, [2.0])[0, 0] * np.pi * 4.0
    frac = lens_area(2.0, 0.44, 2.1) / (np.pi * 0.44**2)
    assert 0 < frac < 1
    assert rho == pytest.approx(2.0 + frac, rel=1e-13)
    assert phi == pytest.approx(np.pi * (0.25 + 0.44**2 * (1 + frac)), rel=1e-13)


def test_overlap_is_continuous_in_length_where_counting_jumps():
    rng = np.random.default_rng(3)
    pos = rng.uniform(0, 10, (60, 2))
    c = Configuration(pos, rng.integers(0, 3, 60), 10.0, KA2D)
    d = np.hypot(*((pos[1:] - pos[0] + 5.0) % 10.0 - 5.0).T)
    for r in np.sort(d[(d > 0.6) & (d < 4.5)])[:6]:
        lo, hi = [r - 1e-9], [r + 1e-9]
        jump = local_density(c, hi, density="count")[0] - local_density(c, lo, density="count")[0]
        assert jump[0] == pytest.approx(1 / (np.pi * r * r), rel=1e-6)  # one more centre
        for f in (local_density, area_fraction):
            assert abs(f(c, hi)[0, 0] - f(c, lo)[0, 0]) < 1e-7
    # And over a fine grid: bounded steps, no jump anywhere.
    grid = np.linspace(0.5, 4.0, 351)
    rho = np.array([local_density(c, [L])[:, 0] for L in grid])
    count = np.array([local_density(c, [L], density="count")[:, 0] for L in grid])
    assert np.abs(np.diff(rho, axis=0)).max() < 0.2 * np.abs(np.diff(count, axis=0)).max()


def test_count_definition_unchanged_and_bad_density():
    c = Configuration([[0.0, 0.0], [1.2, 0.0], [3.0, 0.0]], ["A"] * 3, box=6.0)
    np.testing.assert_allclose(local_density(c, [1.0, 2.0], density="count") * np.pi,
                               [[1.0, 0.5], [1.0, 0.75], [1.0, 0.5]])
    tiny = Configuration([[0.1, 0.1]], ["A"], box=0.4)  # a disk wider than the box
    with pytest.raises(ValueError, match="1.5 box sides"):
        local_density(tiny, [0.2])
    assert local_density(tiny, [0.2], density="count")[0, 0] == pytest.approx(1 / (np.pi * 0.04))
    for bad in ("sharp", None, 1):
        with pytest.raises(ValueError, match="density must be one of"):
            local_density(c, [1.0], density=bad)
        with pytest.raises(ValueError, match="density must be one of"):
            DensityDescriptors(density=bad).fit(c)


def test_transformers_pass_density_through():
    rng = np.random.default_rng(4)
    a = 1.0 / np.sqrt(KA2D.density)
    i, j = np.meshgrid(np.arange(12), np.arange(12), indexing="ij")
    pos = np.c_[i.ravel(), j.ravel()] * a + rng.normal(0, 0.05 * a, (144, 2))
    c = Configuration(pos, rng.integers(0, 3, 144), 12 * a, KA2D)
    for density in ("overlap", "count"):
        want = structural_descriptors(c, [0.5, 2.0], density=density)
        got = StructuralDescriptors(lengths=[0.5, 2.0], density=density).fit_transform(c)
        np.testing.assert_array_equal(got, want)
        dd = DensityDescriptors(lengths=[0.5, 2.0], density=density).fit_transform([c, c])
        np.testing.assert_array_equal(dd, np.vstack([want[:, :4]] * 2))
    assert StructuralDescriptors().get_params()["density"] == "overlap"
    # rho_L0.5 is constant when counting (no two centres within 0.5), not with overlaps.
    count = structural_descriptors(c, [0.5], descriptors=["rho"], density="count")
    over = structural_descriptors(c, [0.5], descriptors=["rho"])
    assert np.ptp(count) == 0 and np.ptp(over) > 0.01


# ------------------------------------------------------------------- g_ab minimum cutoffs


def test_trough_minimum_on_a_synthetic_gr():
    r = np.arange(0.01, 3.0, 0.02)
    g = np.where(r < 0.95, 0.0, 1.65 + 1.35 * np.cos(2 * np.pi * (r - 1.05) / 0.9))
    g[r > 1.95] = 3.0 * np.exp(-(r[r > 1.95] - 1.95)) + 1.0 - np.exp(-(r[r > 1.95] - 1.95))
    # Minimum 0.3 at exactly 1.5 (a symmetric trough survives the 5-bin smoothing).
    assert _trough_minimum(r, g, 1.0, 1.5) == pytest.approx(1.51, abs=1e-9)
    assert _trough_minimum(r, 0.5 * g, 1.0, 1.5) is None  # peak 1.5 * 0.5 < 1.5: weak pair
    assert _trough_minimum(r, np.where(r < 1.0, 0.0, 1.0), 1.0, 1.5) is None  # no peak
    never_back = np.where(r < 1.5, g, 0.5)  # the trough never closes
    assert _trough_minimum(r, never_back, 1.0, 1.5) is None


def test_gr_minimum_cutoffs_on_lattices_with_known_minimum():
    # Jittered square lattice, spacing 1: shells at 1 (4 sites) and sqrt 2 (4 sites),
    # same height; g_AA is symmetric about their midpoint up to the 1/r of the shell area.
    rng = np.random.default_rng(0)
    g = np.stack(np.meshgrid(np.arange(24), np.arange(24)), -1).reshape(-1, 2) * 1.0
    confs = [Configuration(g + rng.normal(0, 0.03, g.shape), np.zeros(576, int), 24.0,
                           KA2D) for _ in range(3)]
    cut = gr_minimum_cutoffs(confs)
    assert cut[0, 0] == pytest.approx((1 + np.sqrt(2)) / 2, abs=0.04)
    np.testing.assert_array_equal(cut, cut.T)
    assert np.all(cut[1:, :] == 1.4) and np.all(cut[:, 1:] == 1.4)  # no B, no C: fallback
    assert np.all(gr_minimum_cutoffs(confs, fallback=1.3)[1:, 1:] == 1.3)
    with pytest.raises(ValueError, match="fallback"):
        gr_minimum_cutoffs(confs, fallback=-1.0)
    # StructuralDescriptors("gr-minimum") measures the same cutoffs at fit and uses them.
    t = StructuralDescriptors(lengths=[1.0], neighbor_cutoff="gr-minimum",
                              descriptors=["z"]).fit(confs)
    np.testing.assert_array_equal(t.neighbor_cutoff_, cut)
    np.testing.assert_array_equal(
        t.transform(confs[0]),
        structural_descriptors(confs[0], [1.0], neighbor_cutoff=cut, descriptors=["z"]),
    )
    assert np.all(t.transform(confs[0]) == 4)  # 4 nearest sites within (1 + sqrt 2) / 2
    with pytest.raises(ValueError, match="gr-minimum"):
        StructuralDescriptors(neighbor_cutoff="first-minimum").fit(confs)
