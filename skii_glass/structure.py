"""Static structure of a configuration: g(r), partial g_ab(r), S(k), bond order, demixing.

These are the sanity checks of a glass-former: a liquid has a smooth g(r) and S(k) with
no Bragg peaks, a small global bond-orientational order (hexagonal ``psi6``, decagonal
``psi10``, for quasicrystal formers) and a composition that stays mixed.

Conventions: periodic rectangular box, minimum image, strict inequalities ``r < cutoff``.
``g_ab(r) = A n_ab(r) / (N_a N_b' 2 pi r dr)`` with ``n_ab`` the ordered pairs (i of a,
j of b, j != i) per shell and ``N_b' = N_b - delta_ab`` (so an ideal gas gives exactly 1 on
average at any N); shells are exact annuli ``pi (r_2^2 - r_1^2)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .configuration import Configuration
from .dynamics import CAGE_CUTOFF, cage_neighbors

__all__ = [
    "RadialDistribution",
    "radial_distribution",
    "structure_factor",
    "bond_order",
    "global_bond_order",
    "demixing_indicator",
    "gr_minimum_cutoffs",
]


def _configs(configs) -> list[Configuration]:
    if isinstance(configs, Configuration):
        return [configs]
    out = list(configs)
    if not out or not all(isinstance(c, Configuration) for c in out):
        raise ValueError("expected a Configuration or a non-empty sequence of them")
    n, box, mix = out[0].n_particles, out[0].box, out[0].mixture
    for c in out[1:]:
        if (
            c.n_particles != n
            or not np.array_equal(c.box, box)
            or c.mixture.species != mix.species
        ):
            raise ValueError("configurations to average must share N, box and species")
    return out


def _species_code(config: Configuration, s) -> int:
    if isinstance(s, str):
        return int(config.mixture.species_index([s])[0])
    code = int(s)
    if not 0 <= code < config.mixture.n_species:
        raise ValueError(f"unknown species code {s!r}")
    return code


@dataclass
class RadialDistribution:
    """Radial distribution functions on a common grid.

    ``g`` is the total g(r); ``partial[(a, b)]`` the partial ``g_ab`` keyed by species
    names (``a <= b`` in species order). :func:`radial_distribution` computes it.

    Attributes
    ----------
    r : ndarray of shape (n_bins,)
        Bin centres.
    edges : ndarray of shape (n_bins + 1,)
        Bin edges.
    g : ndarray of shape (n_bins,)
        Total g(r).
    partial : dict of (str, str) -> ndarray of shape (n_bins,)
        Partial ``g_ab(r)``.

    Examples
    --------
    A square lattice of one species (A): nothing closer than the lattice spacing 1, whose
    bin holds the first peak.

    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> g = np.stack(np.meshgrid(np.arange(8), np.arange(8)), -1).reshape(-1, 2) + 0.5
    >>> rdf = radial_distribution(Configuration(g, np.zeros(64, int), 8.0), r_max=4.0,
    ...                           bin_width=0.1)
    >>> rdf.r.shape, rdf.edges.shape, float(rdf.g[rdf.r < 0.9].max())
    ((40,), (41,), 0.0)
    >>> round(float(rdf.r[np.argmax(rdf.g)]), 2), bool(np.allclose(rdf.g, rdf.partial["A", "A"]))
    (1.05, True)
    """

    r: np.ndarray
    edges: np.ndarray
    g: np.ndarray
    partial: dict

    def first_minimum(self, pair: tuple[str, str] | None = None) -> float:
        """Position of the first minimum after the first peak (e.g. for neighbour cutoffs)."""
        g = self.g if pair is None else self.partial[tuple(pair)]
        # Smooth a little so noise does not produce a spurious minimum.
        smooth = np.convolve(g, np.ones(5) / 5, mode="same")
        peak = int(np.argmax(smooth))
        after = smooth[peak:]
        # first local minimum below the mean density (g < 1) after the first peak
        is_min = (after[:-1] < 1.0) & (np.diff(after) > 0)
        cand = np.nonzero(is_min)[0]
        i = int(cand[0]) if cand.size else int(np.argmin(after))
        return float(self.r[peak + i])


def radial_distribution(
    configs: Configuration | Sequence[Configuration],
    *,
    r_max: float | None = None,
    bin_width: float = 0.02,
) -> RadialDistribution:
    """Total and partial radial distribution functions, averaged over configurations.

    Parameters
    ----------
    configs : Configuration or sequence of Configuration
        Several configurations of the same system are averaged (better statistics).
    r_max : float, optional
        Largest distance; default and maximum: half the shortest box side.
    bin_width : float, default 0.02

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> rng = np.random.default_rng(0)
    >>> gas = Configuration(rng.uniform(0, 20, (2000, 2)), np.zeros(2000, int), 20.0)
    >>> rdf = radial_distribution(gas, r_max=5.0, bin_width=0.5)
    >>> bool(np.all(np.abs(rdf.g - 1) < 0.1))
    True
    """
    cs = _configs(configs)
    c0 = cs[0]
    half = float(c0.box.min() / 2)
    r_max = half if r_max is None else float(r_max)
    if not 0 < r_max <= half:
        raise ValueError(f"r_max must lie in (0, {half:.4g}] (half the box), got {r_max}")
    if not 0 < bin_width < r_max:
        raise ValueError(f"bin_width must lie in (0, r_max), got {bin_width}")
    n_bins = int(np.floor(r_max / bin_width + 1e-9))
    edges = np.arange(n_bins + 1) * bin_width
    shell = np.pi * (edges[1:] ** 2 - edges[:-1] ** 2)
    n_sp = c0.mixture.n_species
    counts = np.zeros((n_sp, n_sp, n_bins))
    for c in cs:
        tree = cKDTree(c.positions, boxsize=c.box)
        pairs = tree.query_pairs(edges[-1], output_type="ndarray")
        if pairs.size == 0:
            continue
        d = c.positions[pairs[:, 1]] - c.positions[pairs[:, 0]]
        d -= c.box * np.rint(d / c.box)
        r = np.hypot(d[:, 0], d[:, 1])
        a = np.minimum(c.species[pairs[:, 0]], c.species[pairs[:, 1]])
        b = np.maximum(c.species[pairs[:, 0]], c.species[pairs[:, 1]])
        idx = np.floor(r / bin_width).astype(np.int64)
        ok = (r < edges[-1]) & (idx < n_bins)
        np.add.at(counts, (a[ok], b[ok], idx[ok]), 1.0)
    area = float(np.prod(c0.box))
    n_a = np.bincount(c0.species, minlength=n_sp).astype(np.float64)
    n_cfg = len(cs)
    n = c0.n_particles
    total = counts.sum(axis=(0, 1))
    g = area * 2.0 * total / (n_cfg * n * max(n - 1, 1) * shell)
    partial = {}
    names = c0.mixture.species
    for a in range(n_sp):
        for b in range(a, n_sp):
            norm = n_a[a] * (n_a[b] - (a == b))
            key = (names[a], names[b])
            if norm <= 0:
                partial[key] = np.zeros(n_bins)
                continue
            # Each unordered a-a pair is two ordered pairs; an a-b pair is one (i in a).
            ordered = counts[a, b] * (2.0 if a == b else 1.0)
            partial[key] = area * ordered / (n_cfg * norm * shell)
    return RadialDistribution(r=0.5 * (edges[1:] + edges[:-1]), edges=edges, g=g,
                              partial=partial)


def _trough_minimum(r: np.ndarray, g: np.ndarray, sigma_ab: float, min_peak: float):
    """First minimum of ``g`` (smoothed over 5 bins) after its first peak, or None when
    there is no clear one (see :func:`gr_minimum_cutoffs` for the criterion)."""
    smooth = np.convolve(g, np.ones(5) / 5, mode="same")
    contact = np.nonzero(r < 1.3 * sigma_ab)[0]
    if contact.size == 0:
        return None
    peak = int(contact[np.argmax(smooth[contact])])
    if smooth[peak] < min_peak:
        return None
    # The first trough: from where g falls below 1 after the peak to where it is back at 1.
    below = np.nonzero(smooth[peak:] < 1.0)[0]
    if below.size == 0:
        return None
    start = peak + int(below[0])
    back = np.nonzero(smooth[start:] >= 1.0)[0]
    if back.size == 0:
        return None
    stop = start + int(back[0])
    # Lowest point of the trough: robust to noise on its flat bottom, unlike the first
    # local minimum.
    return float(r[start + int(np.argmin(smooth[start:stop]))])


def gr_minimum_cutoffs(
    configs: Configuration | Sequence[Configuration],
    *,
    fallback: float = 1.4,
    min_peak: float = 1.5,
    bin_width: float = 0.02,
) -> np.ndarray:
    """Neighbour cutoffs at the first minimum of each measured partial g_ab(r).

    Detection, per species pair (a, b): ``g_ab`` on bins of ``bin_width`` up to
    ``min(3 max(sigma), half the box)``, averaged over ``configs`` and smoothed over 5
    bins; the first peak is its maximum below ``1.3 sigma_ab``; the first minimum is the
    lowest point of the first trough after that peak (from where ``g_ab`` falls below 1
    to where it is back at 1). A pair without a clear minimum (peak below ``min_peak``,
    no trough, or a trough that never closes within range) gets ``fallback``; so does a
    pair with no particles. B-B in ka2d (a third of the particles, rarely in contact)
    has no contact peak and falls back.

    Parameters
    ----------
    configs : Configuration or sequence of Configuration
        Configurations of one system (same N, box and species).
    fallback : float, default 1.4
        Cutoff, in units of ``sigma_ab``, for pairs without a clear minimum.
    min_peak : float, default 1.5
        Smallest first-peak height of a clear minimum.
    bin_width : float, default 0.02

    Returns
    -------
    ndarray of shape (n_species, n_species)
        Symmetric factors of ``sigma_ab``, to pass as ``neighbor_cutoff``.

    Examples
    --------
    A jittered square lattice of one species: first peak at the spacing 1, second at
    sqrt(2); the minimum lies between them.

    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> rng = np.random.default_rng(0)
    >>> g = np.stack(np.meshgrid(np.arange(20), np.arange(20)), -1).reshape(-1, 2) * 1.0
    >>> c = Configuration(g + rng.normal(0, 0.04, g.shape), np.zeros(400, int), 20.0)
    >>> cut = gr_minimum_cutoffs(c)
    >>> cut.shape, bool(1.1 < cut[0, 0] < 1.35)
    ((3, 3), True)
    >>> float(cut[1, 1])  # no B particles: the fallback
    1.4
    """
    cs = _configs(configs)
    if not (np.isfinite(fallback) and fallback > 0):
        raise ValueError(f"fallback must be positive and finite, got {fallback!r}")
    if not (np.isfinite(min_peak) and min_peak > 1):
        raise ValueError(f"min_peak must be finite and above 1, got {min_peak!r}")
    mix = cs[0].mixture
    half = float(cs[0].box.min() / 2)
    r_max = min(3.0 * float(mix.sigma.max()), half)
    rdf = radial_distribution(cs, r_max=r_max, bin_width=bin_width)
    n_s = mix.n_species
    out = np.full((n_s, n_s), float(fallback))
    for a in range(n_s):
        for b in range(a, n_s):
            sig = float(mix.sigma[a, b])
            r_min = _trough_minimum(rdf.r, rdf.partial[mix.species[a], mix.species[b]], sig,
                                    min_peak)
            if r_min is not None:
                out[a, b] = out[b, a] = r_min / sig
    return out


def structure_factor(
    configs: Configuration | Sequence[Configuration],
    *,
    k_max: float = 20.0,
    species=None,
    bin_width: float | None = None,
    return_max: bool = False,
):
    """Static structure factor ``S(k) = <|sum_j exp(i k.r_j)|^2> / N`` on allowed wavevectors.

    The wavevectors compatible with the periodic box, ``k = 2 pi (n_x / L_x, n_y / L_y)``
    with integer ``n`` (``k != 0``), are binned by modulus.

    Parameters
    ----------
    configs : Configuration or sequence of Configuration
    k_max : float, default 20
    species : str or int, optional
        Restrict to one species (its partial ``S_aa``, normalised by ``N_a``).
    bin_width : float, optional
        Default ``2 pi / L`` (the wavevector spacing).
    return_max : bool, default False
        Also return, per bin, the largest single-wavevector value: a Bragg peak (crystal or
        quasicrystal) shows up as a value of order N in it.

    Returns
    -------
    k, s : arrays (bin centres with at least one wavevector, and the mean S per bin)
    s_max : array, only when ``return_max``

    Examples
    --------
    A perfect square lattice has Bragg peaks S = N at the reciprocal lattice vectors:

    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> g = np.stack(np.meshgrid(np.arange(10), np.arange(10)), -1).reshape(-1, 2) + 0.5
    >>> c = Configuration(g, np.zeros(100, int), 10.0)
    >>> k, s, smax = structure_factor(c, k_max=7.0, bin_width=0.1, return_max=True)
    >>> round(float(smax.max()), 6), round(float(k[np.argmax(smax)]), 1)
    (100.0, 6.3)
    """
    cs = _configs(configs)
    c0 = cs[0]
    if not k_max > 0:
        raise ValueError("k_max must be positive")
    dk = 2 * np.pi / c0.box
    nx_max = int(np.floor(k_max / dk[0]))
    ny_max = int(np.floor(k_max / dk[1]))
    nx = np.arange(0, nx_max + 1)
    ny = np.arange(-ny_max, ny_max + 1)
    kx, ky = np.meshgrid(nx * dk[0], ny * dk[1], indexing="ij")
    kmod = np.hypot(kx, ky)
    # Half plane: S(-k) = S(k); keep n_x > 0, or n_x = 0 and n_y > 0.
    half = (nx[:, None] > 0) | ((nx[:, None] == 0) & (ny[None, :] > 0))
    use = half & (kmod <= k_max)
    if not np.any(use):
        raise ValueError(f"k_max = {k_max} is below the smallest allowed wavevector")
    width = float(dk.min()) if bin_width is None else float(bin_width)
    if not width > 0:
        raise ValueError("bin_width must be positive")
    s_vec = np.zeros(kmod.shape)
    for c in cs:
        sel = np.ones(c.n_particles, bool)
        if species is not None:
            sel = c.species == _species_code(c, species)
            if not sel.any():
                raise ValueError(f"no particles of species {species!r}")
        x = c.positions[sel]
        # rho(k) factorises: sum_j e^{i kx x_j} e^{i ky y_j} is a matrix product.
        ex = np.exp(1j * np.outer(x[:, 0], nx * dk[0]))
        ey = np.exp(1j * np.outer(x[:, 1], ny * dk[1]))
        rho = ex.T @ ey
        s_vec += np.abs(rho) ** 2 / x.shape[0]
    s_vec /= len(cs)
    kk, ss = kmod[use], s_vec[use]
    idx = np.floor(kk / width).astype(np.int64)
    n_bins = int(idx.max()) + 1
    cnt = np.bincount(idx, minlength=n_bins)
    tot = np.bincount(idx, weights=ss, minlength=n_bins)
    ksum = np.bincount(idx, weights=kk, minlength=n_bins)
    has = cnt > 0
    k_out = ksum[has] / cnt[has]
    s_out = tot[has] / cnt[has]
    if not return_max:
        return k_out, s_out
    smax = np.full(n_bins, -np.inf)
    np.maximum.at(smax, idx, ss)
    return k_out, s_out, smax[has]


def bond_order(config: Configuration, n: int = 6, *, cutoff: float = CAGE_CUTOFF) -> np.ndarray:
    """Complex local bond-orientational order ``psi_n,i = (1/n_i) sum_j exp(i n theta_ij)``.

    Neighbours: ``r_ij < cutoff * sigma_ab``; a particle without neighbours gets 0.

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> # Triangular lattice: every particle has psi6 = 1.
    >>> a = 1.0
    >>> pts = [(i + 0.5 * (j % 2), j * np.sqrt(3) / 2) for i in range(8) for j in range(8)]
    >>> c = Configuration(np.array(pts) + 0.1, np.zeros(64, int), [8.0, 8 * np.sqrt(3) / 2])
    >>> bool(np.allclose(np.abs(bond_order(c, 6, cutoff=1.2)), 1.0))
    True
    """
    if int(n) != n or n < 1:
        raise ValueError(f"symmetry order n must be a positive integer, got {n}")
    nl = cage_neighbors(
        config.positions, config.species, config.box, config.mixture.sigma, cutoff=cutoff
    )
    pos = config.positions
    out = np.zeros(config.n_particles, dtype=np.complex128)
    if nl.pairs.shape[0] == 0:
        return out
    i, j = nl.pairs[:, 0], nl.pairs[:, 1]
    d = pos[j] - pos[i]
    d -= config.box * np.rint(d / config.box)
    theta = np.arctan2(d[:, 1], d[:, 0])
    e = np.exp(1j * n * theta)
    # The bond j->i points the other way: theta + pi, i.e. a factor (-1)^n.
    acc = np.zeros(config.n_particles, dtype=np.complex128)
    np.add.at(acc, i, e)
    np.add.at(acc, j, e * (-1) ** int(n))
    counts = nl.counts
    has = counts > 0
    out[has] = acc[has] / counts[has]
    return out


def global_bond_order(
    config: Configuration, n: int = 6, *, cutoff: float = CAGE_CUTOFF
) -> dict[str, float]:
    """Summary of ``psi_n``: ``local`` = mean of ``|psi_n,i|`` (about 0.5 in a dense 2D
    liquid, 1 in a perfect crystal) and ``global`` = ``|mean psi_n,i|`` (near 0 unless
    the orientational order spans the box, as in a crystal or hexatic).

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> g = np.stack(np.meshgrid(np.arange(8), np.arange(8)), -1).reshape(-1, 2) + 0.5
    >>> sq = Configuration(g, np.zeros(64, int), 8.0)
    >>> {k: round(v, 6) for k, v in global_bond_order(sq, 4, cutoff=1.2).items()}
    {'local': 1.0, 'global': 1.0}
    >>> round(global_bond_order(sq, 6, cutoff=1.2)["local"], 6)
    0.0
    """
    psi = bond_order(config, n, cutoff=cutoff)
    return {"local": float(np.abs(psi).mean()), "global": float(np.abs(psi.mean()))}


def demixing_indicator(config: Configuration, *, cell_size: float = 5.0) -> dict[str, float]:
    """Composition fluctuations on a grid of cells, relative to random mixing.

    The box is cut into cells of side about ``cell_size``; for each species ``a`` the
    variance over cells of ``n_a - x_a n`` (``x_a`` the global fraction, ``n`` the cell
    count) is divided by its random-mixing value ``x_a (1 - x_a) <n>``. About 1: randomly
    mixed; below 1: unlike species alternate (typical of these mixtures); well above 1
    (growing with the cell size): the species separate (demixing). Species absent from
    the configuration are left out.

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> rng = np.random.default_rng(1)
    >>> pos = rng.uniform(0, 30, (1000, 2))
    >>> demixed = Configuration(pos, (pos[:, 0] > 15).astype(int), 30.0)
    >>> demixing_indicator(demixed)["A"] > 10
    True
    """
    if not cell_size > 0:
        raise ValueError("cell_size must be positive")
    m = np.maximum(np.floor(config.box / cell_size).astype(int), 1)
    if np.prod(m) < 2:
        raise ValueError("cell_size must leave at least two cells in the box")
    cell = np.floor(config.positions / config.box * m).astype(int)
    cell = np.minimum(cell, m - 1)
    flat = cell[:, 0] * m[1] + cell[:, 1]
    n_cells = int(np.prod(m))
    n_tot = np.bincount(flat, minlength=n_cells).astype(np.float64)
    out = {}
    for code, name in enumerate(config.mixture.species):
        mask = config.species == code
        x = mask.mean()
        if x == 0:
            continue  # absent species: nothing to say
        if x == 1:
            out[name] = 1.0
            continue
        n_a = np.bincount(flat[mask], minlength=n_cells).astype(np.float64)
        excess = n_a - x * n_tot
        out[name] = float(np.mean(excess**2) / (x * (1 - x) * n_tot.mean()))
    return out
