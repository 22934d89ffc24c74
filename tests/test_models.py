import numpy as np
import pytest

from skii_glass import Configuration, get_preset
from skii_glass.models import PRESETS, smoothing_coefficients


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_potential_smooth_at_cutoff(name):
    m = get_preset(name)
    h = 1e-5
    for a in range(m.n_species):
        for b in range(m.n_species):
            rc = m.r_cut[a, b]
            r = np.array([rc - 2 * h, rc - h, rc - 1e-12])
            v = m.pair_energy(r, a, b)
            # V, V' and V'' at the cutoff are ~1e-9 with the printed constants.
            assert abs(v[-1]) < 1e-8
            d1 = (v[1] - v[0]) / h
            d2 = (v[2] - 2 * v[1] + v[0]) / h**2
            assert abs(d1) < 1e-4 and abs(d2) < 1e-2
            assert m.pair_energy(rc * 1.0001, a, b) == 0.0


def test_smoothing_matches_printed_constants():
    c = smoothing_coefficients(2.5)
    np.testing.assert_allclose(c, get_preset("ka2d").smoothing, rtol=0, atol=1e-10)


def test_lj_minimum():
    m = get_preset("ka2d")
    r = np.linspace(0.9, 1.3, 40001)
    v = m.pair_energy(r, 0, 0)
    # The smoothing polynomial moves the minimum by ~1e-3 from the bare LJ 2^(1/6).
    assert abs(r[np.argmin(v)] - 2 ** (1 / 6)) < 3e-3


def test_counts():
    m = get_preset("ka2d")
    assert m.counts(1290).tolist() == [600, 330, 360]
    assert m.counts(4000).tolist() == [1860, 1023, 1117]
    assert m.counts(17).sum() == 17


def test_unknown_preset_and_species():
    with pytest.raises(ValueError, match="unknown preset"):
        get_preset("nope")
    with pytest.raises(ValueError, match="unknown species 'Z'"):
        Configuration([[0, 0]], ["Z"], box=1.0)
    with pytest.raises(ValueError, match="unknown species code 7"):
        Configuration([[0, 0]], [7], box=1.0)


def test_configuration_validation_and_wrapping():
    c = Configuration([[-0.25, 3.5]], [0], box=[2.0, 3.0])
    np.testing.assert_allclose(c.positions, [[1.75, 0.5]])
    with pytest.raises(ValueError, match="NaN"):
        Configuration([[np.nan, 0]], [0], box=1.0)
    with pytest.raises(ValueError, match="shape"):
        Configuration([[0, 0, 0]], [0], box=1.0)
    with pytest.raises(ValueError, match="species must have shape"):
        Configuration([[0, 0]], [0, 1], box=1.0)
    with pytest.raises(ValueError, match="box"):
        Configuration([[0, 0]], [0], box=-1.0)
    with pytest.raises(ValueError, match="at least one"):
        Configuration(np.zeros((0, 2)), [], box=1.0)
