"""Iso-configurational ensemble: dynamic propensity of every particle of one configuration.

From one (equilibrated) configuration, ``n_trajectories`` independent Monte Carlo runs
start with the *same* positions and different random streams. What differs between them is
only the thermal noise, so a particle's mean mobility over the ensemble measures how much
its local *structure* predisposes it to move (Widmer-Cooper & Harrowell, PRL 93, 2004):

* displacement propensity ``p_i(t) = mean over trajectories of |dr_i^CR(t)|``, the
  cage-relative displacement (centre-of-mass drift removed; cage = neighbours with
  ``r < 1.4 sigma_ab`` at t = 0), see :mod:`skii_glass.dynamics`;
* bond-breaking propensity ``1 - (fraction of the initial bonds, r < A1 sigma_ab with
  A1 = 1.4, still intact, r < A2 sigma_ab with A2 = 1.8, at t)``, averaged over the
  trajectories.

Long ensembles can be stopped and resumed: with ``checkpoint_dir`` every finished
trajectory is saved there (atomically) and a rerun with the same arguments loads the
finished ones and runs only the rest, with identical results.

Seeding: trajectory ``m`` uses ``numpy.random.SeedSequence(seed).spawn(n)[m]``, so every
trajectory, and therefore the result, is the same whatever ``n_jobs`` and whichever
machine runs it. Trajectories run through :class:`joblib.Parallel`; inside
``with joblib.parallel_config(backend="dask"):`` (and a ``distributed.Client``) they
spread over a Dask cluster. Each worker gets ``cores // workers`` numba threads.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from skii._parallel import call_with_threads, n_workers, threads_per_worker

from .configuration import Configuration
from .dynamics import (
    BOND_BREAK,
    CAGE_CUTOFF,
    NeighborList,
    bond_breaking,
    cage_neighbors,
    cage_relative_displacements,
    displacements,
    self_intermediate_scattering,
)

__all__ = ["PropensityResult", "iso_configurational", "propensity_from_trajectories"]


@dataclass
class PropensityResult:
    """Per-particle propensities of an iso-configurational ensemble.

    Attributes
    ----------
    times : ndarray of int64, shape (n_times,)
        Sweeps after the start at which propensities were measured.
    displacement : ndarray, shape (n_times, N)
        Displacement propensity: mean over trajectories of ``|dr_i^CR(t)|``.
    displacement_plain : ndarray, shape (n_times, N)
        The same with the plain (drift-removed, not cage-relative) displacement.
    bond_breaking : ndarray, shape (n_times, N)
        Bond-breaking propensity, mean over trajectories.
    per_trajectory_displacement, per_trajectory_bond_breaking : ndarray
        Shape (n_trajectories, n_times, N): the individual runs.
    fs_cr : ndarray, shape (n_trajectories, n_times)
        ``F_s^CR(k, t)`` of each trajectory at ``k`` (to check ``t`` against tau_alpha).
    k : float
    energy_per_particle, acceptance : ndarray, shape (n_trajectories,)
    config : Configuration
        The common starting configuration.
    temperature, max_displacement : float
    seed_entropy : int
        ``SeedSequence(seed).entropy``: rerun with ``seed=seed_entropy`` to reproduce.
    info : dict
        Parallel settings, cutoffs, and trajectories run or read from the cache.

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass.simulation import random_configuration
    >>> c = random_configuration("ka2d", 64, seed=0)
    >>> res = iso_configurational(c, 2.0, [4], n_trajectories=2, seed=5)
    >>> res.n_trajectories, res.times.tolist(), res.per_trajectory_displacement.shape
    (2, [4], (2, 1, 64))
    >>> bool(np.allclose(res.displacement, res.per_trajectory_displacement.mean(axis=0)))
    True
    >>> list(res.to_frame().columns)[4:]
    ['displacement_t4', 'displacement_plain_t4', 'bond_breaking_t4']
    """

    times: np.ndarray
    displacement: np.ndarray
    displacement_plain: np.ndarray
    bond_breaking: np.ndarray
    per_trajectory_displacement: np.ndarray
    per_trajectory_bond_breaking: np.ndarray
    fs_cr: np.ndarray
    k: float
    energy_per_particle: np.ndarray
    acceptance: np.ndarray
    config: Configuration
    temperature: float
    max_displacement: float
    seed_entropy: int
    info: dict = field(default_factory=dict)

    @property
    def n_trajectories(self) -> int:
        return self.per_trajectory_displacement.shape[0]

    def to_frame(self):
        """A pandas DataFrame with one row per particle: species, position, and for every
        time ``displacement_t{t}``, ``displacement_plain_t{t}``, ``bond_breaking_t{t}``.
        """
        import pandas as pd

        c = self.config
        data = {
            "particle": np.arange(c.n_particles),
            "species": c.species_names,
            "x": c.positions[:, 0],
            "y": c.positions[:, 1],
        }
        for i, t in enumerate(self.times):
            data[f"displacement_t{t}"] = self.displacement[i]
            data[f"displacement_plain_t{t}"] = self.displacement_plain[i]
            data[f"bond_breaking_t{t}"] = self.bond_breaking[i]
        return pd.DataFrame(data)


def _check_times(times) -> np.ndarray:
    raw = np.atleast_1d(np.asarray(times))
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError("give at least one time (in sweeps)")
    if raw.dtype.kind not in "iuf" or not np.all(np.isfinite(raw)) or not np.all(
        raw == np.rint(raw)
    ):
        raise ValueError(f"times must be whole numbers of sweeps, got {times}")
    t = np.unique(raw.astype(np.int64))
    if t[0] < 1:
        raise ValueError(f"times must be positive (sweeps after the start), got {times}")
    return t


_CKPT_KEYS = ("fingerprint", "disp_cr", "disp", "bb", "fs", "energy", "acceptance")


def _fingerprint(config, temperature, times, child, max_displacement, cutoff, bond_cutoff,
                 break_cutoff, k) -> str:
    """Hash of everything that determines one trajectory's result."""
    h = hashlib.sha256()
    for arr in (config.positions, config.species.astype(np.int64), config.box,
                config.mixture.sigma, config.mixture.epsilon, np.asarray(times, np.int64)):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(repr((config.mixture.name, config.mixture.smoothing, config.mixture.x_cut,
                   float(temperature), float(max_displacement), float(cutoff),
                   float(bond_cutoff), float(break_cutoff), float(k),
                   repr(child.entropy), tuple(child.spawn_key))).encode())
    return h.hexdigest()


def _load_trajectory(path: Path, fingerprint: str):
    try:
        with np.load(path, allow_pickle=False) as d:
            if set(_CKPT_KEYS) - set(d.files):
                raise ValueError("missing arrays")
            data = {key: d[key] for key in _CKPT_KEYS}
    except Exception as err:  # zip/npz errors of a damaged file
        raise ValueError(f"{path}: unreadable trajectory checkpoint ({err}); delete it") from None
    if str(data["fingerprint"]) != fingerprint:
        raise ValueError(
            f"{path} was written by a different ensemble (other configuration, temperature, "
            "times, seed or settings); use another checkpoint_dir or delete it"
        )
    return (data["disp_cr"], data["disp"], data["bb"], data["fs"], float(data["energy"]),
            float(data["acceptance"]))


def _save_trajectory(path: Path, fingerprint: str, result) -> None:
    from .io import _atomic_write

    disp_cr, disp, bb, fs, energy, acceptance = result

    def _write(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, fingerprint=np.array(fingerprint), disp_cr=disp_cr, disp=disp, bb=bb,
                     fs=fs, energy=np.array(energy), acceptance=np.array(acceptance))

    _atomic_write(path, _write)


def _one_trajectory(
    config: Configuration,
    temperature: float,
    times: np.ndarray,
    seed: np.random.SeedSequence,
    max_displacement: float,
    neighbors: NeighborList,
    bond_neighbors: NeighborList,
    break_cutoff: float,
    k: float,
):
    """Run one trajectory and reduce it to per-particle observables (runs in a worker)."""
    from .simulation import run_mc

    res = run_mc(
        config,
        temperature,
        int(times[-1]),
        max_displacement=max_displacement,
        seed=seed,
        sample_times=times,
    )
    idx = np.searchsorted(res.times, np.concatenate([[0], times]))
    pos = res.positions[idx]
    disp_cr, disp, bb, fs = _reduce_trajectory(pos, config, neighbors, bond_neighbors,
                                               break_cutoff, k)
    return disp_cr, disp, bb, fs, float(res.energy_per_particle), float(res.acceptance)


def _reduce_trajectory(
    pos: np.ndarray,
    config: Configuration,
    neighbors: NeighborList,
    bond_neighbors: NeighborList,
    break_cutoff: float,
    k: float,
):
    """Per-particle observables of one trajectory: unwrapped ``pos[0]`` is the start,
    ``pos[1:]`` the measurement times; returns cage-relative and plain displacements,
    bond breaking and ``F_s^CR(k)``, each without the start frame."""
    dr = displacements(pos)
    dr_cr = cage_relative_displacements(dr, neighbors)
    disp_cr = np.hypot(dr_cr[1:, :, 0], dr_cr[1:, :, 1])
    disp = np.hypot(dr[1:, :, 0], dr[1:, :, 1])
    bb = bond_breaking(
        pos,
        config.species,
        config.box,
        config.mixture.sigma,
        break_cutoff=break_cutoff,
        neighbors=bond_neighbors,
    )[1:]
    fs = self_intermediate_scattering(dr_cr[1:], k)
    return disp_cr, disp, bb, fs


def _ensemble_arrays(results, times, k) -> dict:
    """The ensemble fields of a PropensityResult from per-trajectory reductions
    (``(dr_CR, dr, bond_breaking, fs_cr, ...)`` each): per-trajectory stacks and their means."""
    disp_cr = np.stack([r[0] for r in results])
    disp = np.stack([r[1] for r in results])
    bb = np.stack([r[2] for r in results])
    return {
        "times": times,
        "displacement": disp_cr.mean(axis=0),
        "displacement_plain": disp.mean(axis=0),
        "bond_breaking": bb.mean(axis=0),
        "per_trajectory_displacement": disp_cr,
        "per_trajectory_bond_breaking": bb,
        "fs_cr": np.stack([r[3] for r in results]),
        "k": float(k),
    }


def iso_configurational(
    config: Configuration,
    temperature: float,
    times,
    *,
    n_trajectories: int = 30,
    seed=None,
    n_jobs: int | None = None,
    max_displacement: float = 0.1,
    cutoff: float = CAGE_CUTOFF,
    bond_cutoff: float = CAGE_CUTOFF,
    break_cutoff: float = BOND_BREAK,
    k: float = 2 * np.pi,
    progress: bool = False,
    checkpoint_dir: str | os.PathLike | None = None,
) -> PropensityResult:
    """Run the iso-configurational ensemble of ``config`` and return per-particle propensities.

    Parameters
    ----------
    config : Configuration
        Starting configuration (equilibrated at ``temperature``).
    temperature : float
        k_B T (units of eps_AA).
    times : int or sequence of int
        Sweeps after the start at which to measure (typically tau_alpha^CR); the runs last
        ``max(times)`` sweeps.
    n_trajectories : int, default 30
    seed : int or SeedSequence, optional
        Root seed; trajectory m uses ``SeedSequence(seed).spawn(n_trajectories)[m]``.
        ``None`` draws fresh entropy (recorded in ``seed_entropy``).
    n_jobs : int, optional
        joblib workers (``None``: joblib's default, 1 unless inside ``parallel_config``;
        -1: all cores). Results do not depend on it.
    max_displacement : float, default 0.1
        delta, the side of the square of trial displacements.
    cutoff : float, default 1.4
        Cage neighbours ``r < cutoff * sigma_ab`` for the cage-relative displacement.
    bond_cutoff, break_cutoff : float, default 1.4, 1.8
        A1 and A2 of the bond-breaking propensity.
    k : float, default 2 pi
        Wavevector of the per-trajectory ``F_s^CR`` returned for checking.
    progress : bool, default False
        tqdm bar on stderr (one tick per finished trajectory).
    checkpoint_dir : path, optional
        Folder for one file per finished trajectory (``trajectory_0000.npz``, ...). A rerun
        with the same arguments loads them and runs only the missing trajectories; files
        from a different ensemble raise ``ValueError``.

    Returns
    -------
    PropensityResult

    Examples
    --------
    >>> from skii_glass.simulation import random_configuration
    >>> c = random_configuration("ka2d", 64, seed=0)
    >>> res = iso_configurational(c, 2.0, [5, 10], n_trajectories=2, seed=1)
    >>> res.displacement.shape, res.bond_breaking.shape
    ((2, 64), (2, 64))
    """
    from joblib import Parallel, delayed

    from .simulation import check_overlaps

    if not isinstance(config, Configuration):
        raise ValueError(f"config must be a Configuration, got {type(config).__name__}")
    temperature = float(temperature)
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be positive and finite, got {temperature}")
    max_displacement = float(max_displacement)
    if not (math.isfinite(max_displacement) and max_displacement > 0):
        raise ValueError(f"max_displacement must be positive and finite, got {max_displacement}")
    if isinstance(n_trajectories, bool) or int(n_trajectories) != n_trajectories or (
        n_trajectories < 1
    ):
        raise ValueError(f"n_trajectories must be a positive integer, got {n_trajectories}")
    n_trajectories = int(n_trajectories)
    t = _check_times(times)
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be positive, got {k}")
    check_overlaps(config)

    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = ss.spawn(n_trajectories)
    sigma = config.mixture.sigma
    neighbors = cage_neighbors(config.positions, config.species, config.box, sigma,
                               cutoff=cutoff)
    bond_nl = (
        neighbors
        if bond_cutoff == cutoff
        else cage_neighbors(config.positions, config.species, config.box, sigma,
                            cutoff=bond_cutoff)
    )
    # No oversubscription: each joblib worker uses its share of the cores for numba.
    workers = n_workers(n_jobs, n_trajectories)
    n_threads = threads_per_worker(workers)

    fingerprints = [
        _fingerprint(config, temperature, t, child, max_displacement, cutoff, bond_cutoff,
                     break_cutoff, k)
        for child in children
    ]
    results: list = [None] * n_trajectories
    ckpt = None
    if checkpoint_dir is not None:
        ckpt = Path(checkpoint_dir)
        ckpt.mkdir(parents=True, exist_ok=True)
        for m in range(n_trajectories):
            path = ckpt / f"trajectory_{m:04d}.npz"
            if path.exists():
                results[m] = _load_trajectory(path, fingerprints[m])
    todo = [m for m in range(n_trajectories) if results[m] is None]

    tasks = (
        delayed(call_with_threads)(
            n_threads, _one_trajectory, config, temperature, t, children[m], max_displacement,
            neighbors, bond_nl, break_cutoff, float(k),
        )
        for m in todo
    )
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=n_trajectories, initial=n_trajectories - len(todo),
                       desc="trajectories", unit="traj")
        except ImportError:  # tqdm is optional
            bar = None
    try:
        if todo:
            for m, r in zip(todo, Parallel(n_jobs=n_jobs, return_as="generator")(tasks),
                            strict=True):
                results[m] = r
                if ckpt is not None:
                    _save_trajectory(ckpt / f"trajectory_{m:04d}.npz", fingerprints[m], r)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()

    return PropensityResult(
        **_ensemble_arrays(results, t, k),
        energy_per_particle=np.array([r[4] for r in results]),
        acceptance=np.array([r[5] for r in results]),
        config=config.copy(),
        temperature=temperature,
        max_displacement=max_displacement,
        seed_entropy=int(ss.entropy) if isinstance(ss.entropy, int) else 0,
        info={"n_jobs": n_jobs, "workers": workers, "numba_threads_per_worker": n_threads,
              "cutoff": cutoff, "bond_cutoff": bond_cutoff, "break_cutoff": break_cutoff,
              "trajectories_run": len(todo),
              "trajectories_loaded": n_trajectories - len(todo)},
    )


def propensity_from_trajectories(
    trajectories: Sequence,
    times,
    *,
    cutoff: float = CAGE_CUTOFF,
    bond_cutoff: float = CAGE_CUTOFF,
    break_cutoff: float = BOND_BREAK,
    k: float = 2 * np.pi,
    start_tolerance: float = 1e-3,
) -> PropensityResult:
    """Propensities of an iso-configurational ensemble simulated elsewhere (MD, other MC).

    Each trajectory (e.g. from :func:`skii_glass.read_trajectory` on a LAMMPS dump) must
    start from the same configuration (its first frame) and hold a frame at each time
    after the start; the observables are those of :func:`iso_configurational` (the same
    code): cage-relative displacement, plain displacement and bond breaking, averaged
    over the trajectories.

    Parameters
    ----------
    trajectories : sequence of :class:`skii_glass.io.Trajectory`
        At least one; the same particles (species, order), box and first frame.
    times : float or sequence of float
        Times after the first frame, in the trajectories' time unit (their ``times``).
    cutoff, bond_cutoff, break_cutoff, k : float
        As in :func:`iso_configurational`.
    start_tolerance : float, default 1e-3
        Largest distance (minimum image, length units) between a particle's first-frame
        positions in two trajectories (dumps are often written with few digits).

    Returns
    -------
    PropensityResult
        ``times`` holds the requested times; ``energy_per_particle``, ``acceptance``,
        ``temperature`` and ``max_displacement`` are NaN (not known from the files);
        ``info["sources"]`` names the trajectories.

    Raises
    ------
    ValueError
        Trajectories that do not start from the same configuration, differ in particles
        or box, or lack a frame at a requested time (the message names the trajectory).

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Trajectory, get_preset
    >>> rng = np.random.default_rng(0)
    >>> start = rng.uniform(0, 6, (30, 2))
    >>> trajs = [Trajectory(np.stack([start, start + rng.normal(0, 0.1, (30, 2))]),
    ...                     np.zeros(30, int), np.array([6.0, 6.0]), np.array([0.0, 1.0]),
    ...                     get_preset("ka2d"), f"run{m}") for m in range(3)]
    >>> res = propensity_from_trajectories(trajs, 1.0)
    >>> res.displacement.shape, res.n_trajectories
    ((1, 30), 3)
    """
    trajectories = list(trajectories)
    if not trajectories:
        raise ValueError("give at least one trajectory")
    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"times must be positive and finite (after the start), got {times}")
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be positive, got {k}")
    first = trajectories[0]
    config = first.configuration(0)
    for traj in trajectories[1:]:
        where = traj.source or "a trajectory"
        if traj.n_particles != first.n_particles or not np.array_equal(traj.species,
                                                                        first.species):
            raise ValueError(
                f"{where}: {traj.n_particles} particles or their species differ from "
                f"{first.source}'s; the trajectories of one ensemble hold the same particles"
            )
        if not np.allclose(traj.box, first.box, rtol=1e-6, atol=0):
            raise ValueError(f"{where}: box {traj.box.tolist()} differs from "
                             f"{first.source}'s {first.box.tolist()}")
        d = traj.positions[0] - first.positions[0]
        d -= first.box * np.rint(d / first.box)
        worst = float(np.max(np.hypot(d[:, 0], d[:, 1])))
        if worst > start_tolerance:
            raise ValueError(
                f"{where}: the first frame differs from {first.source}'s (a particle by "
                f"{worst:.3g}); the trajectories of an iso-configurational ensemble start "
                "from the same configuration"
            )
    neighbors = cage_neighbors(config.positions, config.species, config.box,
                               config.mixture.sigma, cutoff=cutoff)
    bond_nl = neighbors if bond_cutoff == cutoff else cage_neighbors(
        config.positions, config.species, config.box, config.mixture.sigma, cutoff=bond_cutoff)
    results = []
    for traj in trajectories:
        rel = np.asarray(traj.times, dtype=np.float64) - float(traj.times[0])
        idx = []
        for ti in t:
            hit = np.flatnonzero(np.isclose(rel, ti, rtol=1e-9, atol=1e-12))
            if hit.size == 0:
                shown = ", ".join(f"{v:g}" for v in rel[:8]) + (", ..." if rel.size > 8 else "")
                raise ValueError(
                    f"{traj.source}: no frame at time {ti:g} after the first (frames at "
                    f"{shown}); choose a time of these (times are the file's, times the "
                    "timestep if one was given)"
                )
            idx.append(int(hit[0]))
        pos = traj.positions[[0, *idx]]
        results.append(_reduce_trajectory(pos, config, neighbors, bond_nl, break_cutoff,
                                          float(k)))
    nan = np.full(len(results), np.nan)
    return PropensityResult(
        **_ensemble_arrays(results, t, k),
        energy_per_particle=nan,
        acceptance=nan.copy(),
        config=config,
        temperature=float("nan"),
        max_displacement=float("nan"),
        seed_entropy=0,
        info={"cutoff": cutoff, "bond_cutoff": bond_cutoff, "break_cutoff": break_cutoff,
              "sources": [traj.source for traj in trajectories]},
    )
