"""Metropolis Monte Carlo of 2D Lennard-Jones mixtures (NVT, periodic rectangular box).

The move: pick a particle uniformly at random, displace it uniformly in a
square of side ``delta`` (``max_displacement``; displacements in ``[-delta/2, delta/2]^2``)
and accept with probability ``min(1, exp(-dE / T))``. The time unit is one **sweep** = N
trial moves. Energies are potential energies per particle with each pair counted once.

Optionally a fraction ``swap_probability`` of the trials are species swaps (swap Monte
Carlo): two particles drawn uniformly at random exchange their species if they differ,
accepted with ``min(1, exp(-dE / T))``. The proposal is symmetric, so detailed balance and
the Boltzmann distribution are kept, but the *trajectory* is no longer a physical
dynamics: use swaps to equilibrate only, never to measure propensity or tau_alpha.

Implementation: numba kernels in :mod:`skii_glass._mc_kernels` with Verlet lists (built
through cell lists, skin ``max(0.8, 2 delta)``) and an explicit xoshiro256** generator
state, seeded from :class:`numpy.random.SeedSequence`. Because the kernels receive the
whole state explicitly, a run can be checkpointed (atomic file writes) and resumed
bit-identically: a run killed at any moment and restarted with the same arguments gives
exactly the result of an uninterrupted run.

Validation (ka2d, N = 1290, delta = 0.1; melt 1000 sweeps at T = 5, seed 7, production
20000 sweeps, ``skii-glass simulate``), against the independent C reference of doc/physics_ka2d.md:

=====  ====================  ===========  ===========  ==============  ===========
T      equilibration sweeps  E/N (ours)   E/N (ref)    acceptance      (ref)
=====  ====================  ===========  ===========  ==============  ===========
2.0    1e5                   -1.0417(49)  -1.041       0.727           0.73
1.0    2e5                   -1.8674(21)  -1.866       0.671           0.67
=====  ====================  ===========  ===========  ==============  ===========

Swap equilibration at T = 0.5 (``swap_probability = 0.2``; swap acceptance 0.8%): from
the same melted start E/N is at -2.370 (flat) after 1.5e4 - 2e4 sweeps, the reference's
-2.371 after 8e5 plain sweeps; plain MC is still at -2.29 and drifting after 4e4 sweeps.

T = 0.4 (plain MC cannot equilibrate there): swap equilibration (p = 0.2, swap acceptance
0.5%) is flat after ~5e3 sweeps; mean of the second halves of two 1e5-sweep runs:
E/N = -2.480 +- 0.002. A plain-MC run started from one such configuration stays in its
basin and averages anywhere between about -2.47 and -2.49 (slow structural fluctuations;
no systematic shift in 8 swap/plain cycles: +0.001 +- 0.002), so quote the swap-ensemble
value.

Examples
--------
>>> from skii_glass.simulation import random_configuration, run_mc
>>> config = random_configuration("ka2d", 64, seed=1)
>>> res = run_mc(config, temperature=2.0, n_sweeps=20, seed=2, sample_times=[10])
>>> res.times.tolist(), res.positions.shape, res.energies.shape
([0, 10, 20], (3, 64, 2), (20,))
>>> bool(0.3 < res.acceptance < 1.0)
True
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _mc_kernels as _k
from .configuration import Configuration
from .models import Mixture, get_preset

__all__ = [
    "MCResult",
    "run_mc",
    "random_configuration",
    "equilibrate",
    "energy_drift",
    "energy_plateau",
    "integrated_correlation_time",
    "log_linear_times",
    "potential_energy",
    "particle_energies",
    "check_overlaps",
    "DEFAULT_SKIN",
]

#: Verlet skin (sigma_AA units); the skin used is ``max(DEFAULT_SKIN, 2 delta)``, shrunk to
#: fit boxes narrower than ``2 (r_cut + skin)``. 0.8 was fastest for ka2d at N = 1290 and
#: 4000, T = 0.4 - 2 (a rebuild every ~50-100 sweeps, ~35 list entries per particle).
DEFAULT_SKIN = 0.8
#: Pairs closer than this many sigma_ab count as overlapping (an unphysical start).
OVERLAP_RATIO = 0.5
_CHECKPOINT_VERSION = 2
_RNG_NAME = "xoshiro256starstar"


@dataclass
class MCResult:
    """Outcome of :func:`run_mc`.

    Attributes
    ----------
    final : Configuration
        Final configuration (positions wrapped into the box; species changed by swaps).
    times : ndarray of int64
        Sweep numbers at which positions were stored (always includes 0 and n_sweeps).
    positions : ndarray of shape (n_samples, N, 2)
        Unwrapped positions (continuous across the periodic boundary) at ``times``.
    energies : ndarray of shape (n_sweeps,)
        Potential energy per particle (each pair once) after each sweep.
    energy_per_particle : float
        Mean of ``energies``.
    acceptance : float
        Accepted / attempted displacement moves.
    trial_moves_per_second : float
        Trial moves per second of this call (one chain, compilation excluded; NaN when the
        call did no sweeps, e.g. a finished run read back from its checkpoint).
    rng_state : dict
        Generator state after the run; pass it as ``seed`` to continue the random stream.
    swap_acceptance : float
        Accepted / attempted swap trials (NaN without swaps).
    n_rebuilds : int
        Verlet-list rebuilds.
    energy_error : float
        ``|E_running - E_recomputed| / N`` at the end: the bookkeeping check.
    info : dict
        The run's settings (temperature, max_displacement, skin, ...).

    Examples
    --------
    >>> res = run_mc(random_configuration("ka2d", 64, seed=3), temperature=1.0, n_sweeps=5,
    ...              seed=4)
    >>> res.final.positions.shape, res.times.tolist(), res.energies.shape
    ((64, 2), [0, 5], (5,))
    >>> bool(res.energy_error < 1e-8), bool(res.energy_per_particle == res.energies.mean())
    (True, True)
    """

    final: Configuration
    times: np.ndarray
    positions: np.ndarray
    energies: np.ndarray
    energy_per_particle: float
    acceptance: float
    trial_moves_per_second: float
    rng_state: dict
    swap_acceptance: float = float("nan")
    n_rebuilds: int = 0
    energy_error: float = 0.0
    info: dict = field(default_factory=dict)


# ---------------------------------------------------------------- model tables
def _tables(mixture: Mixture, skin: float, uniform_list: bool) -> dict:
    sig = np.asarray(mixture.sigma, dtype=np.float64)
    eps = np.asarray(mixture.epsilon, dtype=np.float64)
    rc = mixture.x_cut * sig
    rl = np.full_like(rc, rc.max() + skin) if uniform_list else rc + skin
    c0, c2, c4 = (float(c) for c in mixture.smoothing)
    return dict(
        is2=np.ascontiguousarray((1.0 / sig**2).ravel()),
        eps4=np.ascontiguousarray((4.0 * eps).ravel()),
        rc2=np.ascontiguousarray((rc**2).ravel()),
        rl2=np.ascontiguousarray((rl**2).ravel()),
        sig2=np.ascontiguousarray((sig**2).ravel()),
        n_species=int(mixture.n_species),
        xc2=float(mixture.x_cut) ** 2,
        c0=c0,
        c2=c2,
        c4=c4,
        rc_max=float(rc.max()),
    )


def _check_config(config) -> Configuration:
    if not isinstance(config, Configuration):
        raise TypeError(f"expected a Configuration, got {type(config).__name__}")
    if not np.all(np.isfinite(config.positions)):
        raise ValueError("positions contain NaN or infinite values")
    return config


def _check_box(config: Configuration, reach: float, what: str) -> None:
    side = float(np.min(config.box))
    if side < 2.0 * reach:
        rho = config.n_particles / float(np.prod(config.box))
        n_min = math.ceil(rho * (2.0 * reach) ** 2)
        raise ValueError(
            f"box side {side:.4g} is too small for {what} (needs at least 2 x {reach:.4g} = "
            f"{2 * reach:.4g} so that no particle meets two images of another); with "
            f"N = {config.n_particles} at this density use N >= {n_min}"
        )


def check_overlaps(config: Configuration, min_ratio: float = OVERLAP_RATIO) -> None:
    """Raise ``ValueError`` naming the closest pair if any pair has r < min_ratio sigma_ab.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[1.0, 1.0], [1.1, 1.0], [3.0, 3.0]], ["A", "A", "B"], box=6.0)
    >>> check_overlaps(c)
    Traceback (most recent call last):
    ...
    ValueError: particles 0 (A) and 1 (A) overlap: r = 0.1 < 0.5 sigma_AA = 0.5
    """
    _check_config(config)
    m = config.mixture
    sig = np.asarray(m.sigma, dtype=np.float64)
    thr = min_ratio * sig
    if float(np.min(config.box)) < 2.0 * thr.max():
        raise ValueError(f"box {config.box.tolist()} is smaller than the particles")
    i, j, r = _k.closest_pair(
        np.ascontiguousarray(config.positions),
        np.ascontiguousarray(config.species, dtype=np.int64),
        float(config.box[0]),
        float(config.box[1]),
        np.ascontiguousarray((thr**2).ravel()),
        m.n_species,
        np.ascontiguousarray((sig**2).ravel()),
    )
    if i >= 0:
        a, b = int(config.species[i]), int(config.species[j])
        na, nb = m.species[a], m.species[b]
        raise ValueError(
            f"particles {i} ({na}) and {j} ({nb}) overlap: r = {r:.3g} < {min_ratio:g} "
            f"sigma_{na}{nb} = {thr[a, b]:.3g}"
        )


def particle_energies(config: Configuration) -> np.ndarray:
    """Potential energy of each particle with all others, ``u_i = sum_j V(r_ij)``.

    Each pair contributes to both partners, so ``u.sum() / 2`` is the total energy. O(N)
    through cell lists.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [2 ** (1 / 6), 0.0]], ["A", "A"], box=10.0)
    >>> np.round(particle_energies(c), 3).tolist()
    [-0.883, -0.883]
    """
    _check_config(config)
    t = _tables(config.mixture, 0.0, False)
    _check_box(config, t["rc_max"], "the interaction cutoff")
    return _k.particle_energies(
        np.ascontiguousarray(config.positions),
        np.ascontiguousarray(config.species, dtype=np.int64),
        float(config.box[0]),
        float(config.box[1]),
        t["is2"],
        t["eps4"],
        t["rc2"],
        t["n_species"],
        t["xc2"],
        t["c0"],
        t["c2"],
        t["c4"],
    )


def potential_energy(config: Configuration) -> float:
    """Total potential energy (each pair once), O(N) through cell lists.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0], [2 ** (1 / 6), 0.0]], ["A", "A"], box=10.0)
    >>> round(potential_energy(c), 4)
    -0.883
    """
    return float(particle_energies(config).sum() / 2.0)


# ---------------------------------------------------------------- random numbers
def _rng_state_from_seed(seed) -> np.ndarray:
    """uint64[4] xoshiro256** state from an int, SeedSequence, Generator or state dict."""
    if isinstance(seed, dict):
        if seed.get("bit_generator") != _RNG_NAME or len(seed.get("state", ())) != 4:
            raise ValueError(f"rng_state must be a {_RNG_NAME} state dict from an MCResult")
        state = np.array([int(v) for v in seed["state"]], dtype=np.uint64)
    elif isinstance(seed, np.random.Generator):
        state = seed.integers(0, 2**64, size=4, dtype=np.uint64, endpoint=False)
    else:
        if seed is None or isinstance(seed, (int, np.integer)):
            if seed is not None and int(seed) < 0:
                raise ValueError(f"seed must be non-negative, got {seed}")
            ss = np.random.SeedSequence(None if seed is None else int(seed))
        elif isinstance(seed, np.random.SeedSequence):
            ss = seed
        else:
            raise TypeError(
                "seed must be None, an int, a numpy SeedSequence, a Generator or an "
                f"MCResult.rng_state dict, got {type(seed).__name__}"
            )
        state = ss.generate_state(4, dtype=np.uint64)
    if not np.any(state):
        state[0] = np.uint64(0x9E3779B97F4A7C15)  # the all-zero state is a fixed point
    return np.ascontiguousarray(state, dtype=np.uint64)


def _rng_dict(state: np.ndarray) -> dict:
    return {"bit_generator": _RNG_NAME, "state": [int(v) for v in state]}


def _seed_sequence(seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**63))
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.SeedSequence(None if seed is None else int(seed))
    raise TypeError(f"seed must be None, an int, a SeedSequence or a Generator, got {seed!r}")


# ---------------------------------------------------------------- sample times
def log_linear_times(n_sweeps: int, points_per_decade: int = 10, n_linear: int = 10) -> np.ndarray:
    """Sweep numbers for storing a trajectory: log-spaced plus linearly spaced.

    Contains 0, ``n_sweeps``, about ``points_per_decade`` integers per decade between 1 and
    ``n_sweeps`` and ``n_linear`` evenly spaced times (sorted, unique, int64).

    Examples
    --------
    >>> log_linear_times(100, points_per_decade=2, n_linear=2).tolist()
    [0, 1, 3, 10, 32, 50, 100]
    """
    n_sweeps = int(n_sweeps)
    if n_sweeps < 0:
        raise ValueError("n_sweeps must be non-negative")
    if points_per_decade < 0 or n_linear < 0:
        raise ValueError("points_per_decade and n_linear must be non-negative")
    parts = [np.array([0, n_sweeps])]
    if n_sweeps >= 1 and points_per_decade > 0:
        n_log = max(int(np.ceil(np.log10(max(n_sweeps, 1)) * points_per_decade)) + 1, 1)
        parts.append(np.rint(np.logspace(0, np.log10(n_sweeps), n_log)))
    if n_linear > 0:
        parts.append(np.rint(np.linspace(0, n_sweeps, n_linear + 1)))
    return np.unique(np.concatenate(parts).astype(np.int64))


def _sample_times(sample_times, n_sweeps: int) -> np.ndarray:
    if sample_times is None:
        t = np.array([], dtype=np.int64)
    else:
        raw = np.asarray(list(sample_times) if not isinstance(sample_times, np.ndarray)
                         else sample_times)
        if raw.size and (raw.dtype.kind not in "iuf" or not np.all(raw == np.rint(raw))):
            raise ValueError("sample_times must be integer sweep numbers")
        t = raw.astype(np.int64).ravel()
        if t.size and (t.min() < 0 or t.max() > n_sweeps):
            raise ValueError(f"sample_times must lie in [0, n_sweeps = {n_sweeps}]")
    return np.unique(np.concatenate([t, [0, n_sweeps]]).astype(np.int64))


# ---------------------------------------------------------------- checkpoints
_CKPT_KEYS = ("version", "fingerprint", "pos", "ref", "img", "species", "rng", "energy",
              "counters", "sweep", "energies", "samples")


def _fingerprint(config, temperature, n_sweeps, delta, swap_p, skin, times, rng0) -> str:
    h = hashlib.sha256()
    m = config.mixture
    for arr in (config.positions, config.species.astype(np.int64), config.box,
                np.asarray(m.sigma), np.asarray(m.epsilon), np.asarray(m.smoothing),
                np.array([m.x_cut, temperature, delta, swap_p, skin, n_sweeps], dtype=float),
                times, rng0):
        a = np.ascontiguousarray(arr)
        h.update(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    return h.hexdigest()


def _write_atomic(path: Path, arrays: dict) -> None:
    """Write an .npz next to ``path`` and rename it over ``path`` (never a torn file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _read_checkpoint(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in _CKPT_KEYS if k not in z.files]
            if missing:
                raise ValueError(f"missing entries {missing}")
            data = {k: z[k] for k in _CKPT_KEYS}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise ValueError(
            f"checkpoint {str(path)!r} is corrupt or truncated ({err}); delete it to restart "
            "the run from the beginning"
        ) from None
    if int(data["version"]) != _CHECKPOINT_VERSION:
        raise ValueError(f"checkpoint {str(path)!r} has unsupported version {data['version']}")
    return data


# ---------------------------------------------------------------- the run
def run_mc(
    config: Configuration,
    temperature: float,
    n_sweeps: int,
    *,
    max_displacement: float = 0.1,
    seed=None,
    sample_times=None,
    swap_probability: float = 0.0,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 10000,
    progress: bool = False,
    skin: float | None = None,
) -> MCResult:
    """Run Metropolis Monte Carlo from ``config`` at ``temperature`` for ``n_sweeps`` sweeps.

    Parameters
    ----------
    config : Configuration
        Start; not modified.
    temperature : float
        k_B T in units of eps_AA; must be finite and positive.
    n_sweeps : int
        Number of sweeps (N trial moves each).
    max_displacement : float, default 0.1
        ``delta``: side of the square of uniform trial displacements
        ``[-delta/2, delta/2]^2`` (sigma_AA units).
    seed : None, int, SeedSequence, Generator or MCResult.rng_state dict
        Seeds the xoshiro256** stream through ``SeedSequence``; a state dict continues an
        earlier run's stream.
    sample_times : iterable of int, optional
        Sweep numbers at which to store positions (0 and ``n_sweeps`` are always added);
        see :func:`log_linear_times`.
    swap_probability : float, default 0
        Fraction of trials that are species swaps (equilibration only).
    checkpoint : path, optional
        Checkpoint file (.npz). If it exists, the run resumes from it (it must come from a
        run with the same arguments); it is rewritten atomically every ``checkpoint_every``
        sweeps and at the end, so a finished run is read back without work.
    checkpoint_every : int, default 10000
        Sweeps between checkpoints.
    progress : bool, default False
        Show a tqdm progress bar on stderr.
    skin : float, optional
        Verlet skin; default ``max(0.8, 2 delta)`` (smaller in small boxes). Changes speed
        only (and the last bits of energies).

    Returns
    -------
    MCResult

    Raises
    ------
    ValueError
        Non-positive or non-finite temperature or displacement, overlapping particles,
        a box too small for the cutoff, a corrupt checkpoint or one from another run, a
        checkpoint without an explicit seed (it could never be resumed).

    Examples
    --------
    >>> start = random_configuration("ka2d", 80, seed=0)
    >>> res = run_mc(start, 2.0, 50, seed=1, sample_times=log_linear_times(50, 2, 1))
    >>> res.times.tolist(), res.positions.shape
    ([0, 1, 3, 7, 19, 50], (6, 80, 2))
    >>> again = run_mc(start, 2.0, 50, seed=1, sample_times=[1, 3, 7, 19])
    >>> bool((again.positions == res.positions).all())  # same seed, same bits
    True
    """
    config = _check_config(config)
    temperature = float(temperature)
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be positive and finite, got {temperature}")
    if isinstance(n_sweeps, bool) or int(n_sweeps) != n_sweeps or n_sweeps < 0:
        raise ValueError(f"n_sweeps must be a non-negative integer, got {n_sweeps}")
    n_sweeps = int(n_sweeps)
    delta = float(max_displacement)
    if not (math.isfinite(delta) and delta > 0):
        raise ValueError(f"max_displacement must be positive and finite, got {delta}")
    swap_p = float(swap_probability)
    if not (0.0 <= swap_p <= 1.0):
        raise ValueError(f"swap_probability must lie in [0, 1], got {swap_probability}")
    if checkpoint is not None and seed is None:
        raise ValueError("a checkpointed run needs an explicit seed, or it cannot be resumed")
    checkpoint_every = int(checkpoint_every)
    if checkpoint_every < 1:
        raise ValueError("checkpoint_every must be at least 1 sweep")
    rc_max = float(config.mixture.x_cut * np.max(config.mixture.sigma))
    if skin is None:
        skin = max(DEFAULT_SKIN, 2.0 * delta)
        # Small boxes: shrink the skin rather than refuse, as long as a trial step fits.
        skin = min(skin, 0.999 * (0.5 * float(np.min(config.box)) - rc_max))
        skin = max(skin, 2.0 * delta)
    skin = float(skin)
    if not (math.isfinite(skin) and skin > delta * math.sqrt(2.0)):
        raise ValueError(f"skin must exceed twice the largest trial step "
                         f"{delta * math.sqrt(0.5):.3g}")
    tab = _tables(config.mixture, skin, uniform_list=swap_p > 0)
    _check_box(config, tab["rc_max"] + skin,
               f"the cutoff {tab['rc_max']:.4g} plus the Verlet skin {skin:.3g}")
    check_overlaps(config)

    n = config.n_particles
    if n >= _k.MAX_PARTICLES or config.mixture.n_species**2 > _k.MAX_PAIR_TYPES:
        raise ValueError(f"the Monte Carlo kernel handles fewer than {_k.MAX_PARTICLES} "
                         "particles and at most 8 species")
    times = _sample_times(sample_times, n_sweeps)
    rng = _rng_state_from_seed(seed)
    lx, ly = float(config.box[0]), float(config.box[1])
    fp = _fingerprint(config, temperature, n_sweeps, delta, swap_p, skin, times, rng)

    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None and ckpt.exists():
        d = _read_checkpoint(ckpt)
        if str(d["fingerprint"]) != fp:
            raise ValueError(
                f"checkpoint {str(ckpt)!r} was written by a different run (other start, "
                "temperature, sweeps, displacement, sample times or seed); delete it or "
                "choose another path"
            )
        pos = np.ascontiguousarray(d["pos"], dtype=np.float64)
        ref = np.ascontiguousarray(d["ref"], dtype=np.float64)
        img = np.ascontiguousarray(d["img"], dtype=np.int64)
        species = np.ascontiguousarray(d["species"], dtype=np.int64)
        rng = np.ascontiguousarray(d["rng"], dtype=np.uint64)
        energy = np.ascontiguousarray(d["energy"], dtype=np.float64)
        counters = np.ascontiguousarray(d["counters"], dtype=np.int64)
        sweep = int(d["sweep"])
        energies = np.ascontiguousarray(d["energies"], dtype=np.float64)
        samples = np.ascontiguousarray(d["samples"], dtype=np.float64)
        ok = (pos.shape == (n, 2) and ref.shape == (n, 2) and img.shape == (n, 2)
              and species.shape == (n,)
              and rng.shape == (4,) and energy.shape == (1,)
              and counters.shape == (_k.N_COUNTERS,) and 0 <= sweep <= n_sweeps
              and energies.shape == (n_sweeps,) and samples.shape == (times.size, n, 2))
        if not ok:
            raise ValueError(f"checkpoint {str(ckpt)!r} is inconsistent with this run")
    else:
        pos = np.ascontiguousarray(config.positions, dtype=np.float64).copy()
        ref = pos.copy()
        img = np.zeros((n, 2), dtype=np.int64)
        species = np.ascontiguousarray(config.species, dtype=np.int64).copy()
        energy = np.array([potential_energy(config)])
        counters = np.zeros(_k.N_COUNTERS, dtype=np.int64)
        sweep = 0
        energies = np.zeros(n_sweeps)
        samples = np.zeros((times.size, n, 2))
        samples[0] = pos
        counters[_k.C_SAMPLE] = 1

    # initial row width of the Verlet list (grown by the kernel if a row needs more)
    rl_max = float(np.sqrt(tab["rl2"].max()))
    cap = int(math.pi * rl_max**2 * n / float(np.prod(config.box)) * 1.4) + 16
    args_const = (lx, ly, tab["is2"], tab["eps4"], tab["rl2"], tab["n_species"], tab["xc2"],
                  tab["c0"], tab["c2"], tab["c4"], 1.0 / temperature, delta,
                  0.25 * skin * skin, swap_p, cap)

    def kernel(n_chunk: int) -> None:
        _k.mc_sweeps(pos, ref, img, species, *args_const, n_chunk, sweep, times, samples,
                     energies, rng, energy, counters)

    def save() -> None:
        if ckpt is not None:
            _write_atomic(ckpt, dict(
                version=np.int64(_CHECKPOINT_VERSION), fingerprint=np.array(fp), pos=pos,
                ref=ref, img=img, species=species, rng=rng, energy=energy, counters=counters,
                sweep=np.int64(sweep), energies=energies, samples=samples))

    kernel(0)  # compiles (or loads the cache) outside the timed region; changes nothing
    bar = _progress_bar(progress, n_sweeps, sweep)
    chunk = n_sweeps if ckpt is None else checkpoint_every
    if bar is not None:
        # progress updates about every 1% (not shorter than 20 sweeps: each call
        # rebuilds the neighbour list)
        chunk = min(chunk, max(20, n_sweeps // 100))
    kernel_time = 0.0
    done_here = 0
    try:
        while sweep < n_sweeps:
            step = min(chunk, n_sweeps - sweep)
            if ckpt is not None:  # land exactly on checkpoint multiples
                step = min(step, checkpoint_every - sweep % checkpoint_every)
            t0 = time.perf_counter()
            kernel(step)
            kernel_time += time.perf_counter() - t0
            sweep += step
            done_here += step
            if ckpt is not None and (sweep % checkpoint_every == 0 or sweep == n_sweeps):
                save()
            if bar is not None:
                bar.update(step)
        if ckpt is not None and not ckpt.exists():
            save()
    finally:
        if bar is not None:
            bar.close()

    final = Configuration(pos.copy(), species.copy(), config.box.copy(), config.mixture)
    e_check = potential_energy(final)
    tried, acc = int(counters[_k.C_TRIED]), int(counters[_k.C_ACC])
    stried, sacc = int(counters[_k.C_SWAP_TRIED]), int(counters[_k.C_SWAP_ACC])
    return MCResult(
        final=final,
        times=times,
        positions=samples,
        energies=energies,
        energy_per_particle=float(energies.mean()) if n_sweeps else float(energy[0] / n),
        acceptance=acc / tried if tried else float("nan"),
        trial_moves_per_second=(done_here * n / kernel_time if kernel_time > 0
                                else float("nan")),
        rng_state=_rng_dict(rng),
        swap_acceptance=sacc / stried if stried else float("nan"),
        n_rebuilds=int(counters[_k.C_REBUILDS]),
        energy_error=abs(float(energy[0]) - e_check) / n,
        info=dict(temperature=temperature, max_displacement=delta, skin=skin,
                  swap_probability=swap_p, n_sweeps=n_sweeps, seconds=kernel_time,
                  swap_trials=stried),
    )


def _progress_bar(enabled: bool, total: int, initial: int):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional
        return None
    return tqdm(total=total, initial=initial, unit="sweep", file=sys.stderr, leave=False,
                dynamic_ncols=True)


# ---------------------------------------------------------------- starts and equilibration
def random_configuration(mixture: Mixture | str, n_particles: int, *, seed=None,
                         density: float | None = None) -> Configuration:
    """A soft random start: species shuffled over the sites of a square lattice.

    The box is square with side ``sqrt(N / density)`` (the model density by default); the
    ``N`` occupied sites are drawn at random from the smallest ``m x m`` lattice with
    ``m^2 >= N`` and jittered by up to 10% of the spacing, so no two particles are closer
    than 0.8 lattice spacings. Species counts follow :meth:`Mixture.counts`. Melt it at a
    high temperature before equilibrating (:func:`equilibrate` does).

    Examples
    --------
    >>> c = random_configuration("ka2d", 1290, seed=0)
    >>> c.n_particles, np.bincount(c.species).tolist(), round(float(c.box[0]), 3)
    (1290, [600, 330, 360], 32.897)
    """
    if isinstance(mixture, str):
        mixture = get_preset(mixture)
    if isinstance(n_particles, bool) or int(n_particles) != n_particles or n_particles < 1:
        raise ValueError(f"n_particles must be a positive integer, got {n_particles}")
    n = int(n_particles)
    rho = float(mixture.density if density is None else density)
    if not (math.isfinite(rho) and rho > 0):
        raise ValueError(f"density must be positive and finite, got {density}")
    rng = np.random.default_rng(_seed_sequence(seed))
    side = math.sqrt(n / rho)
    m = math.ceil(math.sqrt(n))
    a = side / m
    smax = float(np.max(mixture.sigma))
    if 0.8 * a < OVERLAP_RATIO * smax:
        raise ValueError(
            f"density {rho:g} is too high for a lattice start without overlaps "
            f"(spacing {a:.3g} sigma_AA)"
        )
    sites = rng.choice(m * m, size=n, replace=False)
    pos = np.column_stack([(sites % m + 0.5) * a, (sites // m + 0.5) * a])
    pos += rng.uniform(-0.1 * a, 0.1 * a, size=pos.shape)
    species = np.repeat(np.arange(mixture.n_species), mixture.counts(n))
    rng.shuffle(species)
    return Configuration(pos, species, side, mixture)


def energy_drift(energies, n_blocks: int = 10) -> dict:
    """Is the energy flat? Linear trend of block means over the second half of a run.

    The second half of ``energies`` is cut into ``n_blocks`` blocks; a straight line is
    fitted to the block means. Returns the slope (per sweep), its standard error, the
    change over the second half it implies, the t value ``slope / stderr`` and
    ``flat = |t| < 3`` (blocks longer than the energy autocorrelation time make the block
    means nearly independent, so |t| > 3 means a trend, not noise).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> energy_drift(-1.0 + 0.01 * rng.standard_normal(2000))["flat"]
    True
    >>> energy_drift(np.linspace(-1.0, -2.0, 2000))["flat"]
    False
    """
    e = np.asarray(energies, dtype=np.float64).ravel()
    half = e[e.size // 2:]
    if half.size < 2 * n_blocks:
        raise ValueError(f"need at least {4 * n_blocks} energies to judge the drift")
    blocks = np.array_split(half, n_blocks)
    means = np.array([b.mean() for b in blocks])
    centres = np.array([len(b) for b in blocks]).cumsum() - np.array([len(b) for b in blocks]) / 2
    x = centres - centres.mean()
    slope = float(np.dot(x, means - means.mean()) / np.dot(x, x))
    resid = means - means.mean() - slope * x
    stderr = float(np.sqrt(np.dot(resid, resid) / (n_blocks - 2) / np.dot(x, x)))
    t = slope / stderr if stderr > 0 else (0.0 if slope == 0 else math.copysign(math.inf, slope))
    return dict(
        slope_per_sweep=slope,
        slope_stderr=stderr,
        change_over_second_half=slope * half.size,
        t_value=float(t),
        flat=bool(abs(t) < 3.0),
        mean_second_half=float(half.mean()),
        block_means=means,
    )


def integrated_correlation_time(x, window: float = 5.0) -> float:
    """Integrated autocorrelation time ``tau_int = 1 + 2 sum_t rho(t)``, in samples.

    ``rho`` is the normalised autocorrelation function (FFT estimate); the sum runs up to
    Sokal's automatic window, the smallest M with ``M >= window * tau_int(M)``. The
    variance of the mean of n samples is ``tau_int var / n``. Returns ``inf`` when the
    window does not close within a quarter of the series (too short to measure).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(integrated_correlation_time(rng.standard_normal(10000)), 1)
    1.0
    >>> from scipy.signal import lfilter  # AR(1), phi = 0.8: tau_int = 1.8 / 0.2 = 9
    >>> x = lfilter([1.0], [1.0, -0.8], rng.standard_normal(200000))
    >>> bool(8 < integrated_correlation_time(x) < 10)
    True
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    if n < 2:
        raise ValueError(f"need at least 2 samples to measure a correlation time, got {n}")
    d = x - x.mean()
    var = float(np.dot(d, d)) / n
    if var == 0.0:
        return 1.0
    f = np.fft.rfft(d, 2 * n)
    rho = np.fft.irfft(f * np.conj(f), 2 * n)[:n] / (n * var)
    tau = 2.0 * np.cumsum(rho) - 1.0  # tau(M) = 1 + 2 sum_{t=1..M} rho(t)
    closed = np.flatnonzero(np.arange(n) >= window * tau)
    if closed.size == 0 or closed[0] > n // 4:
        return math.inf
    return float(tau[closed[0]])


def energy_plateau(first, second, *, min_blocks: int = 5) -> dict:
    """Do two energy traces (e.g. the end of equilibration and production) share a mean?

    Both are cut into blocks at least as long as the energies' measured correlation time
    (:func:`integrated_correlation_time`, the larger of the two), so block means are
    nearly independent; each mean gets the standard error of its block means. ``flat``
    is True when ``|mean(second) - mean(first)|`` is below twice the combined error,
    False when it is not, and ``"too short to judge"`` when either trace holds fewer than
    ``min_blocks`` such blocks (or its correlation time cannot be measured).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> energy_plateau(rng.normal(-1, 0.1, 4000), rng.normal(-1, 0.1, 4000))["flat"]
    True
    >>> energy_plateau(rng.normal(-1, 0.1, 4000), rng.normal(-1.1, 0.1, 4000))["flat"]
    False
    >>> energy_plateau(rng.normal(-1, 0.1, 8), rng.normal(-1, 0.1, 8))["flat"]
    'too short to judge'
    """
    a = np.asarray(first, dtype=np.float64).ravel()
    b = np.asarray(second, dtype=np.float64).ravel()
    out = dict(flat="too short to judge", difference=None, stderr=None,
               correlation_time=None, block_length=None, n_blocks=None)
    if min(a.size, b.size) < 2:
        return out
    tau = max(integrated_correlation_time(a), integrated_correlation_time(b))
    if not math.isfinite(tau):
        return out
    length = max(1, math.ceil(tau))
    n_a, n_b = a.size // length, b.size // length
    out.update(correlation_time=tau, block_length=length, n_blocks=[n_a, n_b])
    if min(n_a, n_b) < min_blocks:
        return out

    def mean_and_error(x, n):
        # Whole blocks nearest the boundary between the traces: the end of the first
        # and the start of the second.
        means = (x[x.size - n * length:] if x is a else x[:n * length]).reshape(n, length)
        means = means.mean(axis=1)
        return float(means.mean()), float(means.std(ddof=1) / math.sqrt(n))

    ma, ea = mean_and_error(a, n_a)
    mb, eb = mean_and_error(b, n_b)
    diff, err = mb - ma, math.hypot(ea, eb)
    out.update(difference=diff, stderr=err, flat=bool(abs(diff) < 2.0 * err))
    return out


def equilibrate(
    config_or_mixture: Configuration | Mixture | str,
    temperature: float,
    *,
    n_particles: int | None = None,
    n_sweeps: int,
    max_displacement: float = 0.1,
    swap_probability: float = 0.0,
    seed=None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 10000,
    progress: bool = False,
    melt_temperature: float = 5.0,
    melt_sweeps: int = 1000,
    warn: bool = True,
) -> tuple[Configuration, dict]:
    """Equilibrate at ``temperature`` and check that the energy has stopped drifting.

    From a :class:`Mixture` (or preset name) a random lattice start with ``n_particles``
    (:func:`random_configuration`) is first melted for ``melt_sweeps`` sweeps at
    ``melt_temperature``; a :class:`Configuration` is used as it is. Then ``n_sweeps``
    sweeps at ``temperature`` (with species swaps if ``swap_probability > 0``). The energy
    trace is judged by :func:`energy_drift`; a ``RuntimeWarning`` says when it still drifts
    (run longer: the spec asks for at least 30 tau_alpha with a flat energy).

    Returns
    -------
    config : Configuration
        The equilibrated configuration.
    info : dict
        ``energies`` (per sweep), ``drift`` (from :func:`energy_drift`), ``flat``,
        ``acceptance``, ``swap_acceptance``, ``energy_per_particle`` (mean over the second
        half), ``rng_state``, ``trial_moves_per_second``.

    Examples
    --------
    >>> conf, info = equilibrate("ka2d", 2.0, n_particles=64, n_sweeps=200, seed=3,
    ...                          melt_sweeps=20, warn=False)
    >>> conf.n_particles, len(info["energies"])
    (64, 200)
    """
    ss = _seed_sequence(seed)
    s_start, s_melt, s_run = ss.spawn(3)
    if isinstance(config_or_mixture, (Mixture, str)):
        if n_particles is None:
            raise ValueError("n_particles is needed to start from a mixture")
        config = random_configuration(config_or_mixture, n_particles, seed=s_start)
        if melt_sweeps > 0:
            config = run_mc(config, melt_temperature, melt_sweeps,
                            max_displacement=max_displacement, seed=s_melt).final
    else:
        config = _check_config(config_or_mixture)
        if n_particles is not None and n_particles != config.n_particles:
            raise ValueError("n_particles disagrees with the configuration given")
    res = run_mc(config, temperature, n_sweeps, max_displacement=max_displacement,
                 swap_probability=swap_probability, seed=s_run, checkpoint=checkpoint,
                 checkpoint_every=checkpoint_every, progress=progress)
    info = dict(
        energies=res.energies,
        acceptance=res.acceptance,
        swap_acceptance=res.swap_acceptance,
        rng_state=res.rng_state,
        trial_moves_per_second=res.trial_moves_per_second,
        energy_error=res.energy_error,
    )
    if n_sweeps >= 40:
        drift = energy_drift(res.energies)
        info.update(drift=drift, flat=drift["flat"],
                    energy_per_particle=drift["mean_second_half"])
        if warn and not drift["flat"]:
            warnings.warn(
                f"energy still drifting after {n_sweeps} sweeps at T = {temperature:g}: "
                f"slope {drift['slope_per_sweep']:.3g} +- {drift['slope_stderr']:.2g} per "
                "sweep over the second half; equilibrate longer",
                RuntimeWarning,
                stacklevel=2,
            )
    else:
        info.update(drift=None, flat=None, energy_per_particle=res.energy_per_particle)
    return res.final, info
