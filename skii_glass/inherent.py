"""Inherent structures: the local energy minimum below a configuration.

:func:`inherent_structure` quenches a configuration to a local minimum of the potential
energy landscape, the one reached by the damped dynamics of FIRE (fast inertial
relaxation engine; Bitzek, Koskinen, Gähler, Moseler & Gumbsch, PRL 97, 170201, 2006), in
its periodic box, with the model's smoothed Lennard-Jones potential and its analytic
forces (:mod:`skii_glass.models`; for the presets V, V' and V'' vanish at the cutoff, to
~1e-9 for the ka2d constants).
Species and box are kept; particles only move. Descriptors computed on it (the
"inherent" structure, as opposed to the thermal one) remove the vibrations around the
basin: :class:`~skii_glass.transformers.StructuralDescriptors` with
``structure="inherent"`` does it for you.

Convergence is on the largest per-particle force norm ``max_i |F_i|`` (not the
component: it is the stricter test) below ``fmax`` (default ``1e-8`` in units of
``eps_AA / sigma_AA``). A run that has not converged within ``max_steps`` raises
``RuntimeError`` (a quench that stopped half way is not an inherent structure), and so
does a non-finite energy. Overlapping input (a pair closer than 0.5 sigma_ab, see
:func:`~skii_glass.simulation.check_overlaps`) raises ``ValueError``.

FIRE parameters are the paper's (``N_min = 5``, ``f_inc = 1.1``, ``f_dec = 0.5``,
``alpha_start = 0.1``, ``f_alpha = 0.99``), with a cap of ``max_move`` per particle and
step. The largest time step matters most: FIRE is fast only while ``dt_max`` stays below
the stability limit of the stiffest pair vibration. The default scales with the pair
time units ``tau_ab = sigma_ab sqrt(m / eps_ab)``: ``dt_max = 0.046 min_ab tau_ab``
(0.03 for ka2d, whose stiffest pairs are A-B and B-C) and ``dt = dt_max / 6``. On ka2d
configurations of 1290 particles at T = 0.55 this takes ~1500 steps to ``fmax = 1e-8``;
``dt_max = 0.05`` is beyond the stability limit there and needs ~8 times more steps
(measured in ``doc/physics_ka2d.md``, "Inherent structures", with
``benchmarks/inherent_structures.py``).

Examples
--------
>>> import numpy as np
>>> from skii_glass import Configuration, inherent_structure
>>> rng = np.random.default_rng(0)
>>> ix, iy = np.meshgrid(np.arange(8), np.arange(8))
>>> lattice = np.c_[1.1 * (ix + 0.5 * (iy % 2)).ravel(), 1.1 * np.sqrt(3) / 2 * iy.ravel()]
>>> box = [8 * 1.1, 8 * 1.1 * np.sqrt(3) / 2]
>>> start = Configuration(lattice + rng.normal(0, 0.05, lattice.shape), np.zeros(64, int), box)
>>> res = minimize_energy(start)
>>> bool(res.converged), bool(res.max_force < 1e-8), bool(res.energy < energy_and_forces(start)[0])
(True, True, True)
>>> quenched = inherent_structure(start)  # the same, as a Configuration
>>> bool(np.allclose(quenched.positions, res.configuration.positions))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _minimize_kernels as _k
from .configuration import Configuration
from .models import Mixture, get_preset
from .simulation import _check_box, _check_config, _tables, check_overlaps

__all__ = [
    "MinimizationResult",
    "minimize_energy",
    "inherent_structure",
    "energy_and_forces",
    "default_time_steps",
]

#: Verlet skin of the minimiser (sigma_AA units), shrunk to fit small boxes: a quench
#: moves particles little, so a thin skin rarely needs a rebuild.
MINIMIZE_SKIN = 0.3
# FIRE constants of Bitzek et al. (2006).
_N_MIN, _F_INC, _F_DEC, _ALPHA0, _F_ALPHA = 5, 1.1, 0.5, 0.1, 0.99
#: Default ``dt_max`` in units of the shortest pair time ``sigma_ab sqrt(m / eps_ab)``.
DT_MAX_PER_PAIR_TIME = 0.046


@dataclass
class MinimizationResult:
    """Outcome of :func:`minimize_energy`.

    Attributes
    ----------
    configuration : Configuration
        The minimised configuration (positions in the box; species, box and mixture of
        the input).
    energy : float
        Potential energy at the minimum (each pair once).
    energy_per_particle : float
        ``energy / N``.
    initial_energy : float
        Potential energy of the input.
    max_force : float
        Largest per-particle force norm at the end (< ``fmax``).
    n_steps : int
        FIRE steps (force evaluations after the first).
    n_rebuilds : int
        Neighbour-list rebuilds.
    converged : bool
        Always True for a returned result (non-convergence raises).
    """

    configuration: Configuration
    energy: float
    energy_per_particle: float
    initial_energy: float
    max_force: float
    n_steps: int
    n_rebuilds: int
    converged: bool


def _prepare(config, mixture) -> Configuration:
    _check_config(config)
    if mixture is not None:
        if isinstance(mixture, str):
            mixture = get_preset(mixture)
        if not isinstance(mixture, Mixture):
            raise TypeError(f"mixture must be a Mixture or a preset name, got "
                            f"{type(mixture).__name__}")
        config = Configuration(config.positions, config.species, config.box, mixture)
    return config


def _arrays(config: Configuration):
    return (
        np.ascontiguousarray(config.positions, dtype=np.float64).copy(),
        np.ascontiguousarray(config.species, dtype=np.int64),
        float(config.box[0]),
        float(config.box[1]),
    )


def energy_and_forces(config: Configuration, *, mixture: Mixture | str | None = None
                      ) -> tuple[float, np.ndarray]:
    """Potential energy (each pair once) and analytic forces ``-dE/dr_i`` of a configuration.

    Parameters
    ----------
    config : Configuration
    mixture : Mixture or str, optional
        Model to use instead of ``config.mixture`` (same species codes).

    Returns
    -------
    energy : float
    forces : ndarray of shape (N, 2)

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [1.0, 0.0]], ["A", "A"], box=6.0)
    >>> e, f = energy_and_forces(c)  # r = 1 < 2^(1/6): repulsive
    >>> round(e, 4), bool(f[0, 0] < 0 < f[1, 0]), bool(abs(f.sum()) < 1e-12)
    (0.1256, True, True)
    """
    config = _prepare(config, mixture)
    t = _tables(config.mixture, 0.0, False)
    _check_box(config, t["rc_max"], "the interaction cutoff")
    pos, species, lx, ly = _arrays(config)
    e, forces = _k.energy_forces_at(
        pos, species, lx, ly, t["is2"], t["eps4"], t["rc2"], t["n_species"], t["xc2"],
        t["c0"], t["c2"], t["c4"],
    )
    return float(e), forces


def default_time_steps(mixture: Mixture) -> tuple[float, float]:
    """The default ``(dt, dt_max)`` of :func:`minimize_energy` for a model.

    Examples
    --------
    >>> dt, dt_max = default_time_steps(get_preset("ka2d"))
    >>> round(dt, 4), round(dt_max, 3)
    (0.005, 0.03)
    """
    tau = np.asarray(mixture.sigma) / np.sqrt(np.asarray(mixture.epsilon))
    dt_max = DT_MAX_PER_PAIR_TIME * float(tau.min())
    return dt_max / 6.0, dt_max


def _check_positive(name: str, value) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return value


def minimize_energy(
    config: Configuration,
    *,
    mixture: Mixture | str | None = None,
    fmax: float = 1e-8,
    max_steps: int = 100_000,
    dt: float | None = None,
    dt_max: float | None = None,
    max_move: float = 0.1,
) -> MinimizationResult:
    """FIRE quench of a configuration to its local energy minimum, with diagnostics.

    Parameters
    ----------
    config : Configuration
        Starting point (not modified).
    mixture : Mixture or str, optional
        Model to use instead of ``config.mixture`` (same species codes).
    fmax : float, default 1e-8
        Converged when the largest per-particle force norm ``max_i |F_i|`` is below this
        (units ``eps_AA / sigma_AA``).
    max_steps : int, default 100000
        FIRE steps allowed; more raise ``RuntimeError``.
    dt, dt_max : float, optional
        Initial and largest time step (unit masses); default from the model,
        :func:`default_time_steps` (0.005 and 0.03 for ka2d). ``dt <= dt_max``.
    max_move : float, default 0.1
        Largest displacement of a particle in one step (``sigma_AA``).

    Returns
    -------
    MinimizationResult

    Raises
    ------
    ValueError
        Overlapping particles (r < 0.5 sigma_ab), a box smaller than twice the cutoff, or
        bad parameters.
    RuntimeError
        Not converged within ``max_steps``, or a non-finite energy or force.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [1.0, 0.0]], ["A", "A"], box=6.0)
    >>> res = minimize_energy(c)  # the pair relaxes to the bottom of the well
    >>> d = res.configuration.positions[1] - res.configuration.positions[0]
    >>> d -= 6.0 * np.rint(d / 6.0)
    >>> round(float(np.hypot(*d)), 4), round(res.energy, 4)
    (1.1238, -0.883)
    """
    config = _prepare(config, mixture)
    fmax = _check_positive("fmax", fmax)
    dt_def, dt_max_def = default_time_steps(config.mixture)
    dt_max = dt_max_def if dt_max is None else _check_positive("dt_max", dt_max)
    dt = min(dt_def, dt_max) if dt is None else _check_positive("dt", dt)
    if dt > dt_max:
        raise ValueError(f"dt = {dt:g} must not exceed dt_max = {dt_max:g}")
    max_move = _check_positive("max_move", max_move)
    if isinstance(max_steps, bool) or int(max_steps) != max_steps or max_steps < 0:
        raise ValueError(f"max_steps must be a non-negative integer, got {max_steps!r}")
    check_overlaps(config)
    rc_max = float(np.max(config.mixture.r_cut))
    _check_box(config, rc_max, "the interaction cutoff")
    skin = min(MINIMIZE_SKIN, 0.5 * float(np.min(config.box)) - rc_max)
    t = _tables(config.mixture, skin, False)
    pos, species, lx, ly = _arrays(config)
    e0, _ = energy_and_forces(config)
    status, n_steps, e, fm, rebuilds = _k.fire_minimize(
        pos, species, lx, ly, t["is2"], t["eps4"], t["rl2"], t["n_species"], t["xc2"],
        t["c0"], t["c2"], t["c4"], (0.5 * skin) ** 2, fmax, int(max_steps), dt, dt_max,
        max_move, _N_MIN, _F_INC, _F_DEC, _ALPHA0, _F_ALPHA,
    )
    if status == _k.NOT_FINITE:
        raise RuntimeError(f"FIRE produced a non-finite energy or force after {n_steps} steps")
    if status != _k.CONVERGED:
        raise RuntimeError(
            f"FIRE did not converge within max_steps = {max_steps}: largest force "
            f"{fm:.3g} > fmax = {fmax:g} (raise max_steps or fmax)"
        )
    out = Configuration(pos, config.species.copy(), config.box.copy(), config.mixture)
    n = config.n_particles
    return MinimizationResult(out, float(e), float(e) / n, e0, float(fm), int(n_steps),
                              int(rebuilds), True)


def inherent_structure(
    config: Configuration,
    *,
    mixture: Mixture | str | None = None,
    fmax: float = 1e-8,
    max_steps: int = 100_000,
    dt: float | None = None,
    dt_max: float | None = None,
    max_move: float = 0.1,
) -> Configuration:
    """The inherent structure (local energy minimum) below ``config``, by FIRE.

    Same parameters, errors and convergence criterion as :func:`minimize_energy`, which
    also returns the energies and step counts.

    Parameters
    ----------
    config : Configuration
    mixture : Mixture or str, optional
        Model to use instead of ``config.mixture``.
    fmax : float, default 1e-8
        Tolerance on ``max_i |F_i|``.
    max_steps : int, default 100000
    dt, dt_max : float, optional
    max_move : float, default 0.1

    Returns
    -------
    Configuration
        Minimised positions (in the box) with the input's species, box and mixture.

    Examples
    --------
    >>> from skii_glass import Configuration, inherent_structure
    >>> c = Configuration([[0.0, 0.0], [1.0, 0.0]], ["A", "A"], box=6.0)
    >>> q = inherent_structure(c)
    >>> bool(np.abs(energy_and_forces(q)[1]).max() < 1e-8), q.species.tolist()
    (True, [0, 0])
    """
    return minimize_energy(config, mixture=mixture, fmax=fmax, max_steps=max_steps, dt=dt,
                           dt_max=dt_max, max_move=max_move).configuration
