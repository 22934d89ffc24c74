"""Per-particle structural descriptors of a 2D configuration, and their coarse-graining.

Definitions (Sharma, Liu & Ozawa, J. Chem. Phys. 161 (2024)):

* ``u_i = sum_j V_ab(r_ij)``: local potential energy, the full pair energy of i with
  every other particle (smoothed LJ of the mixture, zero beyond ``x_cut * sigma_ab``,
  2.5 sigma_ab for ka2d). Summing ``u`` over particles counts each pair twice.
* Neighbours for ``z``, ``psi6`` and ``theta``: ``r_ij < c_ab * sigma_ab`` with
  ``c_ab = 1.4`` by default (``neighbor_cutoff``; a scalar, or a symmetric
  (n_species, n_species) array of factors). Measured
  first minima of the partial g_ab(r) of ka2d (N = 1290, T = 0.7, 4 configurations, this
  module's neighbour search): AA 1.44, CC 1.42, AB 1.58, AC 1.60, BC 1.58 sigma_ab (B-B
  contacts are too rare for a first peak). So 1.4 sigma_ab sits at the minimum for like
  pairs and inside the tail of the first peak for the (non-additive) unlike pairs; pass
  the matrix :func:`skii_glass.structure.gr_minimum_cutoffs` measures (or
  ``neighbor_cutoff="gr-minimum"`` to the transformers) to follow the minima.
* ``z_i``: number of neighbours ``n_i``.
* ``psi6_i = |(1/n_i) sum_j exp(6 i theta_ij)|``, ``theta_ij`` the angle of ``r_j - r_i``
  with the x axis; 0 when ``n_i = 0``.
* ``theta_i`` (Tong & Tanaka, PRX 8, 011041, 2018): sort i's neighbours by angle; for
  each of the ``n_i`` angularly adjacent pairs (j, k) (the last with the first), the
  counter-clockwise angle ``theta1`` from ``r_ij`` to ``r_ik`` and the angle ``theta2``
  at i of the triangle of touching particles, from the cosine rule with
  ``sigma_ij, sigma_ik, sigma_jk``; ``Theta_i = (1/n_i) sum |theta1 - theta2|``; 0 when
  ``n_i < 2``.
* Density and area fraction over a length ``L``, two definitions (``density``):

  - ``"overlap"`` (default, smooth in L): every particle j, i included, contributes the
    part of its disk (radius ``sigma_jj / 2``) that lies inside the circle of radius L
    around i (exact circle-circle intersection area ``A_ij(L)``):
    ``rho = sum_j A_ij(L) / (pi (sigma_jj / 2)^2) / (pi L^2)`` (disk fractions) and
    ``phi = sum_j A_ij(L) / (pi L^2)`` (disk areas). A disk wholly inside the circle
    counts 1, one wholly outside 0, so rho and phi vary continuously with L and with the
    positions.
  - ``"count"`` (sharp counting, strictly ``r_ij < L``, i included):
    ``rho = count / (pi L^2)``, ``phi = sum pi (sigma_jj / 2)^2 / (pi L^2)``. Both jump
    whenever L crosses a pair distance.

  doc/physics_ka2d.md compares the two on the bundled data.
* The coarse-grained ``u``, ``psi6``, ``theta``, ``z`` over a length L are the means over
  the particles with ``r_ij < L`` (strictly, i included), whatever ``density`` is.

Columns of :func:`structural_descriptors` follow the paper: ``rho, phi, u, psi6, theta,
z``, each with ``L`` increasing, named ``f"{name}_L{L:.1f}"`` (``theta_L2.0``). The sharp
``"count"`` definition gives constant columns (``rho_L0.5`` when no two particles are
closer than 0.5 is ``1 / (pi 0.25)`` everywhere); they are returned as they are, never NaN.

Boxes are periodic and rectangular; distances use the minimum image, so every length
(``L``, the potential cutoff and the neighbour cutoff) must be at most half the shorter
box side (``ValueError`` otherwise). Positions come from a
:class:`~skii_glass.configuration.Configuration`, which has already wrapped them into the
box (and rejected NaN, mismatched arrays, unknown species and empty configurations).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _descriptor_kernels as _k
from .configuration import Configuration
from .neighbors import NeighborList, cell_list, neighbor_list

__all__ = [
    "DESCRIPTORS",
    "DEFAULT_LENGTHS",
    "DEFAULT_NEIGHBOR_CUTOFF",
    "DENSITY_DEFINITIONS",
    "DEFAULT_DENSITY",
    "local_energy",
    "coordination",
    "psi6",
    "tong_tanaka_theta",
    "per_particle_descriptors",
    "local_density",
    "area_fraction",
    "coarse_grain",
    "structural_descriptors",
    "descriptor_names",
    "check_lengths",
]

#: Descriptor families in the paper's column order.
DESCRIPTORS: tuple[str, ...] = ("rho", "phi", "u", "psi6", "theta", "z")
#: Coarse-graining lengths of the paper: 0.5, 1.0, ..., 5.0.
DEFAULT_LENGTHS: tuple[float, ...] = tuple(0.5 * k for k in range(1, 11))
#: Neighbour cutoff for z, psi6 and theta, in units of sigma_ab.
DEFAULT_NEIGHBOR_CUTOFF: float = 1.4
#: Definitions of rho and phi: disk-overlap (smooth in L) or sharp counting of centres.
DENSITY_DEFINITIONS: tuple[str, ...] = ("overlap", "count")
#: Default definition of rho and phi.
DEFAULT_DENSITY: str = "overlap"

_PER_PARTICLE = ("u", "z", "psi6", "theta")


# ------------------------------------------------------------------------ validation


def _check_config(config) -> Configuration:
    if not isinstance(config, Configuration):
        raise ValueError(
            f"expected a skii_glass.Configuration, got {type(config).__name__}"
        )
    # Configuration validates on construction; validate again (cheap, O(N)) because its
    # arrays are mutable and may have been edited since. This also re-wraps positions.
    return Configuration(config.positions, config.species, config.box, config.mixture)


def check_lengths(lengths) -> np.ndarray:
    """Coarse-graining lengths as a sorted float array; raise ``ValueError`` if any is
    not positive and finite, or if two are equal (their columns would share a name).

    Examples
    --------
    >>> check_lengths([2.0, 0.5]).tolist()
    [0.5, 2.0]
    """
    arr = np.atleast_1d(np.asarray(lengths, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError("lengths must be a non-empty 1-D list of numbers")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"lengths must be positive and finite, got {arr.tolist()}")
    arr = np.sort(arr)
    names = [f"{x:.1f}" for x in arr]
    if len(set(names)) != len(names):
        raise ValueError(
            f"lengths must be distinct at one decimal (column names use L:.1f), got "
            f"{arr.tolist()}"
        )
    return arr


def _check_density(density) -> str:
    if not isinstance(density, str) or density not in DENSITY_DEFINITIONS:
        raise ValueError(f"density must be one of {DENSITY_DEFINITIONS}, got {density!r}")
    return density


def _cutoff_matrix(config: Configuration, neighbor_cutoff) -> np.ndarray:
    n_s = config.mixture.n_species
    c = np.asarray(neighbor_cutoff, dtype=np.float64)
    if c.ndim == 0:
        c = np.full((n_s, n_s), float(c))
    if c.shape != (n_s, n_s):
        raise ValueError(
            f"neighbor_cutoff must be a scalar or a ({n_s}, {n_s}) array of factors of "
            f"sigma_ab, got shape {c.shape}"
        )
    if not np.all(np.isfinite(c)) or np.any(c <= 0) or not np.allclose(c, c.T):
        raise ValueError("neighbor_cutoff factors must be positive, finite and symmetric")
    return c * config.mixture.sigma


def _check_fits_box(config: Configuration, length: float, what: str) -> None:
    half = 0.5 * float(np.min(config.box))
    if length > half:
        raise ValueError(
            f"{what} {length:g} is larger than half the shorter box side ({half:g}); "
            "use a bigger configuration or a shorter length"
        )


def _short_list(config: Configuration, cutoff: np.ndarray) -> NeighborList:
    m = config.mixture
    present = np.unique(config.species)
    pot = float(np.max(m.r_cut[np.ix_(present, present)]))
    nb = float(np.max(cutoff[np.ix_(present, present)]))
    _check_fits_box(config, pot, "the potential cutoff")
    _check_fits_box(config, nb, "the neighbour cutoff")
    return neighbor_list(config.positions, config.box, max(pot, nb))


# ----------------------------------------------------------------- per-particle values


def per_particle_descriptors(
    config: Configuration, neighbor_cutoff=DEFAULT_NEIGHBOR_CUTOFF
) -> dict[str, np.ndarray]:
    """``u``, ``z``, ``psi6`` and ``theta`` of every particle, in one pass.

    Parameters
    ----------
    config : Configuration
    neighbor_cutoff : float or array of shape (n_species, n_species), default 1.4
        Neighbour cutoff for z, psi6 and theta in units of ``sigma_ab``.

    Returns
    -------
    dict
        ``{"u": float (N,), "z": int (N,), "psi6": float (N,), "theta": float (N,)}``.

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> x, y = np.meshgrid(np.arange(12.0), np.arange(12.0))
    >>> sq = Configuration(np.c_[x.ravel(), y.ravel()], np.zeros(144, int), box=12.0)
    >>> d = per_particle_descriptors(sq)
    >>> int(d["z"][0]), round(float(d["psi6"][0]), 12)
    (4, 0.0)
    """
    config = _check_config(config)
    cutoff = _cutoff_matrix(config, neighbor_cutoff)
    nl = _short_list(config, cutoff)
    m = config.mixture
    c0, c2, c4 = (float(c) for c in m.smoothing)
    u, z, p6, th = _k.local_descriptors(
        nl.offsets, nl.indices, nl.distances, nl.vectors, config.species,
        np.ascontiguousarray(m.sigma), np.ascontiguousarray(m.epsilon), float(m.x_cut),
        c0, c2, c4, cutoff,
    )
    return {"u": u, "z": z, "psi6": p6, "theta": th}


def local_energy(config: Configuration) -> np.ndarray:
    """Local potential energy ``u_i = sum_j V(r_ij)`` of every particle.

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [2.0 ** (1 / 6), 0.0]], ["A", "A"], box=6.0)
    >>> np.round(local_energy(c), 6).tolist()  # one pair at r = 2^(1/6), smoothed LJ
    [-0.882994, -0.882994]
    """
    return per_particle_descriptors(config)["u"]


def coordination(config: Configuration, neighbor_cutoff=DEFAULT_NEIGHBOR_CUTOFF) -> np.ndarray:
    """Number of neighbours ``r_ij < neighbor_cutoff * sigma_ab`` of every particle.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [1.2, 0.0], [3.0, 0.0]], ["A"] * 3, box=6.0)
    >>> coordination(c).tolist()
    [1, 1, 0]
    """
    return per_particle_descriptors(config, neighbor_cutoff)["z"]


def psi6(config: Configuration, neighbor_cutoff=DEFAULT_NEIGHBOR_CUTOFF) -> np.ndarray:
    """Modulus of the local hexatic order ``|(1/n_i) sum_j exp(6 i theta_ij)|``.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [1.0, 0.0], [0.5, 0.75 ** 0.5]], ["A"] * 3, box=6.0)
    >>> np.round(psi6(c), 12).tolist()
    [1.0, 1.0, 1.0]
    """
    return per_particle_descriptors(config, neighbor_cutoff)["psi6"]


def tong_tanaka_theta(
    config: Configuration, neighbor_cutoff=DEFAULT_NEIGHBOR_CUTOFF
) -> np.ndarray:
    """Tong-Tanaka steric order ``Theta_i = (1/n_i) sum |theta1 - theta2|``.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [1.0, 0.0], [0.5, 0.75 ** 0.5]], ["A"] * 3, box=6.0)
    >>> np.round(tong_tanaka_theta(c), 4).tolist()  # 60 and 300 degrees vs 60 degrees
    [2.0944, 2.0944, 2.0944]
    """
    return per_particle_descriptors(config, neighbor_cutoff)["theta"]


# ------------------------------------------------------------------- coarse-graining


def _long_sums(config: Configuration, lengths: np.ndarray, values: np.ndarray) -> np.ndarray:
    _check_fits_box(config, float(lengths[-1]), "coarse-graining length L =")
    pos, box = config.positions, config.box
    cells = cell_list(pos, box, float(lengths[-1]))
    return _k.coarse_sums(pos, box, lengths, np.ascontiguousarray(values, dtype=np.float64),
                          *cells)


def _radii(config: Configuration) -> np.ndarray:
    return 0.5 * np.diag(config.mixture.sigma)[config.species]


def _areas(config: Configuration) -> np.ndarray:
    return np.pi * _radii(config) ** 2


def _overlap_sums(config: Configuration, lengths: np.ndarray) -> np.ndarray:
    """``(N, n_lengths, 2)``: summed disk fractions and disk areas inside each circle."""
    _check_fits_box(config, float(lengths[-1]), "coarse-graining length L =")
    pos, box = config.positions, config.box
    radii = np.ascontiguousarray(_radii(config), dtype=np.float64)
    reach = float(lengths[-1]) + float(radii.max())
    if reach >= 1.5 * float(np.min(box)):
        raise ValueError(
            f"the largest length plus the largest disk radius ({reach:g}) must be below 1.5 "
            f"box sides ({float(np.min(box)):g}); use a bigger configuration"
        )
    # Beyond half a side a disk can meet the circle through two periodic images.
    all_images = reach > 0.5 * float(np.min(box))
    cells = cell_list(pos, box, reach)
    return _k.overlap_sums(pos, box, lengths, radii, all_images, *cells)


def _rho_phi(config: Configuration, lengths: np.ndarray, density: str) -> tuple:
    disc = np.pi * lengths**2
    if density == "overlap":
        s = _overlap_sums(config, lengths)
    else:
        values = np.column_stack([np.ones(config.n_particles), _areas(config)])
        s = _long_sums(config, lengths, values)
    return s[:, :, 0] / disc, s[:, :, 1] / disc


def local_density(
    config: Configuration, lengths=DEFAULT_LENGTHS, *, density: str = DEFAULT_DENSITY
) -> np.ndarray:
    """Local number density within each length.

    Parameters
    ----------
    config : Configuration
    lengths : sequence of float, default 0.5, 1.0, ..., 5.0
        Sorted increasing in the output.
    density : {"overlap", "count"}, default "overlap"
        ``"overlap"``: ``sum_j A_ij(L) / (pi (sigma_jj / 2)^2) / (pi L^2)``, the fractions
        of the disks (radius ``sigma_jj / 2``, i included) inside the circle of radius L
        around i. ``"count"``: ``#{j: r_ij < L} (i included) / (pi L^2)``.

    Returns
    -------
    array of shape (N, n_lengths)

    Examples
    --------
    Disks of radius 0.5 at x = 0, 1.2 and 3: the circle of radius 1 around the first
    holds its own disk and 22% of its neighbour's; counting sees one centre.

    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [1.2, 0.0], [3.0, 0.0]], ["A"] * 3, box=6.0)
    >>> np.round(local_density(c, [1.0, 2.0]) * np.pi, 4).tolist()
    [[1.2166, 0.5], [1.2166, 0.6814], [1.0, 0.4314]]
    >>> np.round(local_density(c, [1.0, 2.0], density="count") * np.pi, 4).tolist()
    [[1.0, 0.5], [1.0, 0.75], [1.0, 0.5]]
    """
    config = _check_config(config)
    lengths = check_lengths(lengths)
    return _rho_phi(config, lengths, _check_density(density))[0]


def area_fraction(
    config: Configuration, lengths=DEFAULT_LENGTHS, *, density: str = DEFAULT_DENSITY
) -> np.ndarray:
    """Area fraction within each length.

    ``"overlap"`` (default): ``sum_j A_ij(L) / (pi L^2)``, the disk area (radius
    ``sigma_jj / 2``, i included) inside the circle of radius L around i. ``"count"``:
    ``sum_{r_ij < L} pi (sigma_jj/2)^2 / (pi L^2)``. Parameters as :func:`local_density`.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [1.2, 0.0]], ["A", "A"], box=6.0)
    >>> np.round(area_fraction(c, [1.0, 2.0]), 4).tolist()
    [[0.3041, 0.125], [0.3041, 0.125]]
    >>> np.round(area_fraction(c, [1.0, 2.0], density="count"), 4).tolist()
    [[0.25, 0.125], [0.25, 0.125]]
    """
    config = _check_config(config)
    lengths = check_lengths(lengths)
    return _rho_phi(config, lengths, _check_density(density))[1]


def coarse_grain(config: Configuration, values, lengths=DEFAULT_LENGTHS) -> np.ndarray:
    """Mean of per-particle ``values`` over the particles within each length.

    Parameters
    ----------
    config : Configuration
    values : array of shape (N,) or (N, m)
        Per-particle values (finite).
    lengths : sequence of float
        Coarse-graining lengths (sorted increasing in the output).

    Returns
    -------
    array of shape (N, n_lengths) or (N, n_lengths, m)
        ``out[i, l] = mean of values[j] over {i} + {j: r_ij < lengths[l]}``.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [1.2, 0.0], [3.0, 0.0]], ["A"] * 3, box=6.0)
    >>> coarse_grain(c, [1.0, 2.0, 6.0], [1.0, 2.0]).tolist()
    [[1.0, 1.5], [2.0, 3.0], [6.0, 4.0]]
    """
    config = _check_config(config)
    lengths = check_lengths(lengths)
    v = np.asarray(values, dtype=np.float64)
    squeeze = v.ndim == 1
    if squeeze:
        v = v[:, None]
    if v.ndim != 2 or v.shape[0] != config.n_particles:
        raise ValueError(
            f"values must have shape ({config.n_particles},) or ({config.n_particles}, m), "
            f"got {np.shape(values)}"
        )
    if not np.all(np.isfinite(v)):
        raise ValueError("values contain NaN or infinite entries")
    ones = np.ones((config.n_particles, 1))
    s = _long_sums(config, lengths, np.hstack([ones, v]))
    out = s[:, :, 1:] / s[:, :, :1]
    return out[:, :, 0] if squeeze else out


def descriptor_names(lengths=DEFAULT_LENGTHS, descriptors=DESCRIPTORS) -> list[str]:
    """Column names ``f"{name}_L{L:.1f}"``, descriptors in the given (paper) order, each
    with ``L`` increasing.

    Examples
    --------
    >>> descriptor_names([1.0, 0.5], ["rho", "theta"])
    ['rho_L0.5', 'rho_L1.0', 'theta_L0.5', 'theta_L1.0']
    """
    lengths = check_lengths(lengths)
    return [f"{d}_L{x:.1f}" for d in descriptors for x in lengths]


def _check_descriptors(descriptors) -> tuple[str, ...]:
    if isinstance(descriptors, str):
        descriptors = (descriptors,)
    descriptors = tuple(descriptors)
    unknown = [d for d in descriptors if d not in DESCRIPTORS]
    if unknown or not descriptors or len(set(descriptors)) != len(descriptors):
        raise ValueError(
            f"descriptors must be distinct names among {DESCRIPTORS}, got {descriptors}"
        )
    return descriptors


def structural_descriptors(
    config: Configuration,
    lengths=DEFAULT_LENGTHS,
    neighbor_cutoff=DEFAULT_NEIGHBOR_CUTOFF,
    descriptors: Sequence[str] = DESCRIPTORS,
    *,
    density: str = DEFAULT_DENSITY,
) -> np.ndarray:
    """The coarse-grained descriptor matrix of one configuration.

    Parameters
    ----------
    config : Configuration
    lengths : sequence of float, default 0.5, 1.0, ..., 5.0
    neighbor_cutoff : float or array, default 1.4
        Neighbour cutoff for z, psi6, theta in units of ``sigma_ab``.
    descriptors : sequence of str, default ("rho", "phi", "u", "psi6", "theta", "z")
        Which families, in this column order.
    density : {"overlap", "count"}, default "overlap"
        Definition of rho and phi (see :func:`local_density`).

    Returns
    -------
    array of shape (N, len(descriptors) * n_lengths)
        Columns as :func:`descriptor_names` names them (60 by default).

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> rng = np.random.default_rng(0)
    >>> c = Configuration(rng.uniform(0, 12, (150, 2)), rng.integers(0, 3, 150), 12.0)
    >>> structural_descriptors(c).shape
    (150, 60)
    """
    config = _check_config(config)
    lengths = check_lengths(lengths)
    descriptors = _check_descriptors(descriptors)
    density = _check_density(density)
    n = config.n_particles
    _check_fits_box(config, float(lengths[-1]), "coarse-graining length L =")
    cols: dict[str, np.ndarray] = {}
    if any(d in _PER_PARTICLE for d in descriptors):
        local = per_particle_descriptors(config, neighbor_cutoff)
    else:
        local = {}
    # Values summed over each disc: count, area, then the per-particle descriptors.
    value_names = ["count", "area"] + [d for d in _PER_PARTICLE if d in descriptors]
    values = np.empty((n, len(value_names)))
    values[:, 0] = 1.0
    values[:, 1] = _areas(config)
    for v, name in enumerate(value_names[2:], start=2):
        values[:, v] = local[name]
    s = _long_sums(config, lengths, values)
    disc = np.pi * lengths**2
    count = s[:, :, 0]
    if density == "overlap" and ("rho" in descriptors or "phi" in descriptors):
        cols["rho"], cols["phi"] = _rho_phi(config, lengths, density)
    else:
        cols["rho"] = count / disc
        cols["phi"] = s[:, :, 1] / disc
    for v, name in enumerate(value_names[2:], start=2):
        cols[name] = s[:, :, v] / count
    return np.hstack([cols[d] for d in descriptors])
