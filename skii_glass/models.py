"""Pair-potential models of 2D glass-forming mixtures, as data.

A :class:`Mixture` holds everything the simulator and the descriptors need: species
names, the reference composition, per-pair ``sigma`` and ``epsilon``, the number density
and the smoothing of the Lennard-Jones potential at its cutoff. Presets are returned by
:func:`get_preset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Mixture", "get_preset", "PRESETS", "smoothing_coefficients"]

# ka2d smoothing constants as printed in the glass-ML roadmap; V, V', V'' are ~1e-9 (not
# exactly 0) at x = 2.5. They are kept verbatim so energies match the reference program.
_KA2D_SMOOTHING = (0.04049023795, -0.00970155098, 0.00062012616)


def smoothing_coefficients(x_cut: float) -> tuple[float, float, float]:
    """Coefficients (C0, C2, C4) that make ``x^-12 - x^-6 + C0 + C2 x^2 + C4 x^4`` vanish
    with its first two derivatives at ``x = x_cut``.

    Examples
    --------
    >>> c0, c2, c4 = smoothing_coefficients(2.5)
    >>> round(c0, 6), round(c2, 6), round(c4, 7)
    (0.04049, -0.009702, 0.0006201)
    """
    xc = float(x_cut)
    # Linear system in (C0, C2, C4) for V = V' = V'' = 0 at xc.
    a = np.array(
        [[1.0, xc**2, xc**4], [0.0, 2 * xc, 4 * xc**3], [0.0, 2.0, 12 * xc**2]],
    )
    b = -np.array(
        [
            xc**-12 - xc**-6,
            -12 * xc**-13 + 6 * xc**-7,
            156 * xc**-14 - 42 * xc**-8,
        ]
    )
    c0, c2, c4 = np.linalg.solve(a, b)
    return float(c0), float(c2), float(c4)


@dataclass(frozen=True, eq=False)
class Mixture:
    """A 2D Lennard-Jones mixture with a smoothed cutoff.

    ``V_ab(r) = 4 eps_ab [x^-12 - x^-6 + C0 + C2 x^2 + C4 x^4]`` for
    ``x = r / sigma_ab < x_cut`` and 0 beyond. All masses are 1.

    Parameters
    ----------
    name : str
        Preset or user name.
    species : tuple of str
        Species names, in the order of the integer species codes 0, 1, ...
    reference_counts : tuple of int
        Composition as particle numbers of a reference system; other N scale it (see
        :meth:`counts`).
    sigma, epsilon : array of shape (n_species, n_species)
        Symmetric pair length and energy scales.
    density : float
        Number density N / area.
    x_cut : float
        Cutoff in units of ``sigma_ab``.
    smoothing : tuple of float
        ``(C0, C2, C4)``.
    description : str
        Provenance of the constants.

    Examples
    --------
    A one-component LJ liquid (the smoothing shifts the well depth from -1):

    >>> m = Mixture(name="mono", species=("A",), reference_counts=(1,),
    ...             sigma=[[1.0]], epsilon=[[1.0]], density=0.9)
    >>> m.n_species, m.counts(64).tolist(), round(m.box_side(64), 4)
    (1, [64], 8.4327)
    >>> np.round(m.pair_energy([2 ** (1 / 6), 3.0], 0, 0), 3).tolist()
    [-0.883, 0.0]
    """

    name: str
    species: tuple[str, ...]
    reference_counts: tuple[int, ...]
    sigma: np.ndarray
    epsilon: np.ndarray
    density: float
    x_cut: float = 2.5
    smoothing: tuple[float, float, float] = field(default=_KA2D_SMOOTHING)
    description: str = ""

    def __post_init__(self) -> None:
        s = np.asarray(self.sigma, dtype=np.float64)
        e = np.asarray(self.epsilon, dtype=np.float64)
        n = len(self.species)
        if s.shape != (n, n) or e.shape != (n, n):
            raise ValueError(f"sigma and epsilon must be ({n}, {n}) for {n} species")
        if not (np.allclose(s, s.T) and np.allclose(e, e.T)):
            raise ValueError("sigma and epsilon must be symmetric")
        if np.any(s <= 0) or np.any(e <= 0):
            raise ValueError("sigma and epsilon must be positive")
        if len(self.reference_counts) != n or min(self.reference_counts) < 0:
            raise ValueError("reference_counts needs one non-negative count per species")
        if not self.density > 0:
            raise ValueError("density must be positive")
        s.setflags(write=False)
        e.setflags(write=False)
        object.__setattr__(self, "sigma", s)
        object.__setattr__(self, "epsilon", e)

    @property
    def n_species(self) -> int:
        return len(self.species)

    @property
    def r_cut(self) -> np.ndarray:
        """Cutoff distance per pair, ``x_cut * sigma``."""
        return self.x_cut * self.sigma

    def species_index(self, names) -> np.ndarray:
        """Integer codes for species names; unknown names raise ``ValueError``."""
        lookup = {s: i for i, s in enumerate(self.species)}
        names = np.asarray(names)
        try:
            return np.array([lookup[str(s)] for s in names.ravel()], dtype=np.int64).reshape(
                names.shape
            )
        except KeyError as err:
            raise ValueError(
                f"unknown species {err.args[0]!r} for model {self.name!r}; "
                f"known species: {', '.join(self.species)}"
            ) from None

    def counts(self, n_particles: int) -> np.ndarray:
        """Number of particles of each species for ``n_particles`` in total.

        Each species but the last gets ``round(n_ref_a * N / N_ref)``; the last takes the
        rest (for ka2d: A, B rounded, C the remainder, as the spec fixes it).

        Examples
        --------
        >>> get_preset("ka2d").counts(1290).tolist()
        [600, 330, 360]
        """
        n_particles = int(n_particles)
        if n_particles < 1:
            raise ValueError("n_particles must be positive")
        ref = np.asarray(self.reference_counts, dtype=np.float64)
        out = np.rint(ref[:-1] * n_particles / ref.sum()).astype(np.int64)
        last = n_particles - out.sum()
        if last < 0:
            raise ValueError(f"cannot split {n_particles} particles by {self.reference_counts}")
        return np.append(out, last)

    def box_side(self, n_particles: int) -> float:
        """Side of the square box holding ``n_particles`` at the model density."""
        return float(np.sqrt(n_particles / self.density))

    def pair_energy(self, r, a, b) -> np.ndarray:
        """Pair energy ``V_ab(r)`` (vectorised over ``r``, ``a`` and ``b``)."""
        r = np.asarray(r, dtype=np.float64)
        sig = self.sigma[a, b]
        eps = self.epsilon[a, b]
        x = r / sig
        c0, c2, c4 = self.smoothing
        with np.errstate(divide="ignore", over="ignore"):
            x2i = 1.0 / (x * x)
            x6i = x2i**3
            v = 4.0 * eps * (x6i * x6i - x6i + c0 + c2 * x * x + c4 * x**4)
        return np.where(x < self.x_cut, v, 0.0)


def _ka2d() -> Mixture:
    # Species A (large), B (small), C (medium): the 2D ternary model of the glass-ML
    # roadmap / GlassMLP, fully specified by the constants below.
    sigma = np.array([[1.0, 0.8, 0.9], [0.8, 0.88, 0.8], [0.9, 0.8, 0.94]])
    epsilon = np.array([[1.0, 1.5, 0.75], [1.5, 0.5, 1.5], [0.75, 1.5, 0.75]])
    return Mixture(
        name="ka2d",
        species=("A", "B", "C"),
        reference_counts=(600, 330, 360),
        sigma=sigma,
        epsilon=epsilon,
        density=1.1920,
        x_cut=2.5,
        smoothing=_KA2D_SMOOTHING,
        description=(
            "2D ternary Kob-Andersen-like mixture of the glass-ML roadmap (GlassMLP): "
            "A large, B small, C medium; 600:330:360; number density 1.192; LJ smoothed "
            "to second order at 2.5 sigma_ab."
        ),
    )


def _barbot_ternary() -> Mixture:
    """The seed paper's model, RECONSTRUCTED (its constants were not published in the text
    we have). Every choice below is ours and documented in the description.

    * S and L: the binary Falk-Langer / Barbot et al. (PRE 97, 033001, 2018) model as we
      recall it (unverified): sigma_SS = 2 sin(pi/10), sigma_LL = 2 sin(pi/5),
      sigma_SL = 1, eps_SL = 1, eps_SS = eps_LL = 1/2, N_L / N_S = (1 + sqrt 5) / 4.
    * M (medium): sigma_MM = (sigma_SS + sigma_LL) / 2, halfway between S and L.
    * Unlike pairs with M: the binary's non-additivity carried over, sigma_ab =
      f (sigma_aa + sigma_bb) / 2 with f = sigma_SL / ((sigma_SS + sigma_LL) / 2) = 1.115
      (so the S-L pair keeps sigma_SL = 1 exactly), and the binary's energy pattern: like
      pairs eps = 1/2, unlike pairs eps = 1 (unlike attraction favours mixing).
    * Composition: M is one third of the particles; S and L keep the binary's ratio.
      Reference counts for N = 4000 (the paper's size): S 1474, M 1333, L 1193.
    * Density 1.02: the same pair-averaged packing fraction
      (pi/4) rho sum_ab x_a x_b sigma_ab^2 = 0.739 as ka2d at rho = 1.192.
    * Smoothing: as ka2d (x_cut = 2.5, the same C0, C2, C4 with V, V', V'' ~ 0 there).

    Checked (doc/physics_barbot.md, benchmarks/physics_barbot.py; N = 1000 and 4000,
    T = 0.3-0.6 in units of eps_SL, 1e5-5e5 sweeps with swap moves, seed 1):

    * No crystal and no quasicrystal: global psi6 <= 0.085 and psi10 <= 0.041, largest
      single-wavevector S(k) 10-26 (a Bragg peak would be of order N), energy flat from
      1e5 to 5e5 sweeps at T = 0.5; only local decagonal order around S grows on cooling
      (<|psi10|> of S from 0.45 at T = 0.6 to 0.55 at T = 0.3).
    * No macroscopic demixing within the runs (S_aa at the smallest k stays O(1), patches
      do not coarsen from 1e5 to 5e5 sweeps or with N = 4000), BUT it is not well mixed
      like ka2d: M and L cluster with their own kind (Delaunay contact enrichment
      p(b|a)/x_b of L-L 1.25-1.56 and M-M 1.07-1.27, against 0.23-0.83 for every like
      pair of ka2d) and L composition fluctuations on 3-5 sigma cells are 1.2-2.1 times
      random, M 0.9-1.7 (ka2d 0.14-0.57): M-rich and S+L-rich patches a few diameters
      wide, plain in snapshots. Probable cause: the positive non-additivity f = 1.115
      carried over to the M pairs. Proposed fix (NOT applied; a probe, not a verified
      model): M pairs f = 0.95 (sigma_SM = 0.7196, sigma_ML = 0.9847) mixes like ka2d at
      density 1.02 (like pairs 0.53-0.89) but relaxes much faster there; at density 1.173
      (the same packing fraction) M mixes but L-L stays enriched (1.13-1.17). See the
      doc page.
    * Dynamics: tau_alpha^CR (k = 2 pi) ~ 5.5e3 sweeps at T = 0.6, 1.6e4 at T = 0.5 (like
      ka2d at T = 0.6), > 3e4 at T = 0.45; swap moves are almost never accepted here
      (acceptance 7e-5 to 1.3e-3 of swap trials), so they do not speed equilibration.
    """
    s_ss = 2.0 * np.sin(np.pi / 10.0)
    s_ll = 2.0 * np.sin(np.pi / 5.0)
    s_mm = 0.5 * (s_ss + s_ll)
    f = 1.0 / (0.5 * (s_ss + s_ll))  # non-additivity of the binary: sigma_SL = 1
    diam = np.array([s_ss, s_mm, s_ll])
    sigma = f * 0.5 * (diam[:, None] + diam[None, :])
    np.fill_diagonal(sigma, diam)
    sigma[0, 2] = sigma[2, 0] = 1.0  # exact (f was chosen for it)
    epsilon = np.where(np.eye(3, dtype=bool), 0.5, 1.0)
    return Mixture(
        name="barbot_ternary",
        species=("S", "M", "L"),
        reference_counts=(1474, 1333, 1193),
        sigma=sigma,
        epsilon=epsilon,
        density=1.02,
        x_cut=2.5,
        smoothing=_KA2D_SMOOTHING,
        description=(
            "RECONSTRUCTED ternary extension of the binary Falk-Langer / Barbot et al. 2D "
            "LJ model (S, L constants recalled, unverified; M, composition S:M:L = "
            "1474:1333:1193, density 1.02 and M's pair constants chosen by us: sigma_MM "
            "halfway, the binary's non-additivity f = 1.115 for unlike pairs, eps 1/2 like "
            "and 1 unlike); LJ smoothed to second order at 2.5 sigma_ab as ka2d. Checked "
            "at T = 0.3-0.6 (doc/physics_barbot.md): no crystal or quasicrystal (global "
            "psi6 < 0.09, psi10 < 0.05, no Bragg peak), no phase separation, but M and L "
            "form like-species patches a few particles wide, unlike ka2d."
        ),
    )


PRESETS = {"ka2d": _ka2d, "barbot_ternary": _barbot_ternary}


def get_preset(name: str = "ka2d") -> Mixture:
    """Return a preset :class:`Mixture` by name.

    Examples
    --------
    >>> m = get_preset("ka2d")
    >>> m.species, m.density
    (('A', 'B', 'C'), 1.192)
    """
    try:
        return PRESETS[name]()
    except KeyError:
        raise ValueError(
            f"unknown preset {name!r}; choose one of: {', '.join(sorted(PRESETS))}"
        ) from None
