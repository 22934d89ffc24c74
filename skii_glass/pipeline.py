"""The paper's whole study as a resumable pipeline: simulation, propensity, descriptors,
analyses, report.

Stages (each cached on disk under ``OUT/cache``; every file is written atomically, so a
run that is stopped at any moment resumes where it stopped when started again with the
same settings):

1. **equilibrate**: ``n_configurations`` independent configurations, each melted from a
   random start and equilibrated at the temperature (species-swap moves allowed here,
   :func:`skii_glass.simulation.equilibrate`, checkpointed inside the run).
2. **tau_alpha**: plain-displacement MC from the first configurations, the cage-relative
   self-intermediate scattering function ``F_s^CR(k = 2 pi, t)`` and ``tau_alpha`` where
   it reaches 1/e (:func:`skii_glass.dynamics.analyze_relaxation`); the run is doubled
   until F_s^CR has decayed.
3. **propensity**: from every configuration, ``n_trajectories`` plain-MC trajectories of
   length tau_alpha with independent seeds (``SeedSequence(seed).spawn``: results do not
   depend on ``n_jobs``); the propensity of a particle is its cage-relative displacement
   ``|dr^CR(tau_alpha)|`` averaged over the trajectories (the bond-breaking propensity is
   stored too). Each trajectory is cached, so this stage resumes trajectory by trajectory.
4. **descriptors**: the 60 coarse-grained structural descriptors
   (:class:`skii_glass.transformers.StructuralDescriptors`) of every configuration.
5. **analyses**: :func:`skii_glass.study.run_study` (Figs. 4-7).
6. **report**: :func:`skii_glass.report.write_report`.

Work is spread with joblib (over trajectories, configurations and cross-validation folds),
so ``joblib.parallel_config(backend="dask")`` with a ``dask.distributed.Client`` runs the
expensive stages on a cluster; the CLI's ``--dask-scheduler ADDRESS`` does exactly that.

Scales (``SCALES``): ``tiny`` (tests, seconds), ``quick`` (minutes on 2 cores, T = 1.0
where tau_alpha is short: checks every stage, physically only a smoke run), ``bundle``
(the shipped dataset: N = 1290, T = 0.45, 10 x 30; about 45 minutes on 2 cores) and
``paper`` (the paper's size, N = 4000 with 10 configurations x 30 trajectories, at the
bundle's T = 0.45; the paper does not state its temperature; a few hours on 2 cores, see
:data:`SCALES` for the estimates).

Running on a Dask cluster::

    from dask.distributed import Client
    import joblib
    from skii_glass.pipeline import get_scale, run_pipeline

    with Client("tcp://scheduler:8786"), joblib.parallel_config(backend="dask"):
        run_pipeline(get_scale("paper"), "paper-run", n_jobs=-1, progress=True)

(or ``skii-glass reproduce --scale paper --dask-scheduler tcp://scheduler:8786``). The
cache folder must be on a file system that the workers share.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import descriptor_table  # re-exported: its home is the dataset module

__all__ = [
    "Scale",
    "SCALES",
    "get_scale",
    "simulate",
    "SimulationResult",
    "descriptor_table",
    "run_pipeline",
]


@dataclass(frozen=True)
class Scale:
    """Settings of one reproduction run.

    Attributes
    ----------
    name : str
    preset : str
        Model (:func:`skii_glass.models.get_preset`).
    n_particles, n_configurations, n_trajectories : int
    temperature : float
        k_B T / eps_AA.
    max_displacement : float
        MC step ``delta`` (side of the square of trial displacements).
    equilibration_sweeps : int
        Sweeps at the temperature after melting (rule: >= 30 tau_alpha with flat energy).
    swap_probability : float
        Fraction of species-swap trials during equilibration only (0: plain MC).
    melt_sweeps : int
        Sweeps at T = 5 from the random lattice start.
    tau_sweeps_guess : int
        Length of the first tau_alpha measurement run (doubled until F_s^CR < 1/e).
    n_tau_configurations : int
        Configurations whose F_s^CR is averaged for tau_alpha (one time origin each; a
        single run of N = 400 at T = 1 scatters by about +-25%, so average several).
    max_d, n_path_features : int
        Largest number of features in Figs. 5-7.
    n_random_draws : int
        Random orderings averaged in Fig. 7.
    baseline_max_rows : int
        Training rows used by the SFS / mutual-information baselines.
    structure : {"thermal", "inherent", "both"}
        Descriptors of the sampled configurations (the paper's), of their inherent
        structures (FIRE energy minima, :func:`skii_glass.inherent_structure`), or both (the
        thermal ones stay the headline; the inherent ones are reported beside them).
    selection_protocol : {"held-out", "paper"}
        Which supervised-II curve of Fig. 7 is the headline (see
        :func:`skii_glass.study.loco_regression`); both are always computed.
    seed : int
    cost : str
        What the scale costs on 2 cores (documentation).

    Examples
    --------
    >>> s = Scale(name="mine", n_particles=200, n_configurations=2)
    >>> s.temperature, s.simulation_key()["n_particles"]
    (1.0, 200)
    >>> SCALES["tiny"].n_particles, sorted(SCALES)
    (128, ['bundle', 'paper', 'quick', 'tiny'])
    """

    name: str
    preset: str = "ka2d"
    n_particles: int = 400
    n_configurations: int = 4
    n_trajectories: int = 10
    temperature: float = 1.0
    max_displacement: float = 0.2
    equilibration_sweeps: int = 20000
    swap_probability: float = 0.0
    melt_sweeps: int = 500
    tau_sweeps_guess: int = 4000
    n_tau_configurations: int = 4
    max_d: int = 15
    n_path_features: int = 15
    n_random_draws: int = 100
    baseline_max_rows: int = 1000
    structure: str = "both"
    selection_protocol: str = "held-out"
    seed: int = 2024
    cost: str = ""

    def simulation_key(self) -> dict:
        """The settings that decide the simulated data (the cache key).

        How tau_alpha is measured (``tau_sweeps_guess``, ``n_tau_configurations``) is not
        part of it: the measured value is cached in ``tau_alpha.json`` with those details.
        """
        keys = ("preset", "n_particles", "n_configurations", "n_trajectories", "temperature",
                "max_displacement", "equilibration_sweeps", "swap_probability", "melt_sweeps",
                "seed")
        return {k: getattr(self, k) for k in keys}

    def analysis_key(self) -> dict:
        """The settings that decide the analyses (their cache key)."""
        keys = ("max_d", "n_path_features", "n_random_draws", "baseline_max_rows", "seed",
                "structure", "selection_protocol")
        return {k: getattr(self, k) for k in keys}


#: Values of :attr:`Scale.structure`.
STRUCTURES: tuple[str, ...] = ("thermal", "inherent", "both")

#: Named scales (``cost`` says what each takes on 2 cores).
SCALES: dict[str, Scale] = {
    "tiny": Scale(
        name="tiny", n_particles=128, n_configurations=3, n_trajectories=3, temperature=2.0,
        max_displacement=0.2, equilibration_sweeps=300, melt_sweeps=100,
        tau_sweeps_guess=600, n_tau_configurations=1, max_d=4, n_path_features=4,
        n_random_draws=100, baseline_max_rows=300,
        cost="seconds (end-to-end test; numbers are meaningless)",
    ),
    "quick": Scale(
        name="quick", n_particles=400, n_configurations=4, n_trajectories=10, temperature=1.0,
        max_displacement=0.2, equilibration_sweeps=40000, melt_sweeps=500,
        tau_sweeps_guess=4000, n_tau_configurations=4,
        cost="76 s cold (numba compiling), 41 s warm on 2 cores (T = 1.0: tau_alpha^CR ~ "
             "1.4e3 sweeps; weak dynamic "
             "heterogeneity, so a smoke run of every stage, not the physics)",
    ),
    "bundle": Scale(
        name="bundle", n_particles=1290, n_configurations=10, n_trajectories=30,
        temperature=0.45, max_displacement=0.2, equilibration_sweeps=30_000,
        swap_probability=0.2, melt_sweeps=1000, tau_sweeps_guess=40_000,
        n_tau_configurations=4,
        cost="the shipped dataset: 10 x 3e4 swap-MC equilibration sweeps (E/N is flat after "
             "~7.5e3 at T = 0.45) + 10 x 30 plain-MC trajectories of tau_alpha^CR = 3.5e4 "
             "sweeps, N = 1290: 1.4e10 trial moves, measured 2646 s wall with n_jobs=2 on "
             "2 shared cores",
    ),
    "paper": Scale(
        name="paper", n_particles=4000, n_configurations=10, n_trajectories=30,
        temperature=0.45, max_displacement=0.2, equilibration_sweeps=30_000,
        swap_probability=0.2, melt_sweeps=1000, tau_sweeps_guess=40_000,
        n_tau_configurations=4,
        cost="the paper's size (N = 4000, 10 configurations x 30 trajectories) at the "
             "bundle's T = 0.45 (the paper's temperature is not published): ~4.4e10 trial "
             "moves, about 2.5 hours with n_jobs=2 on 2 cores (extrapolated from the bundle "
             "run: 1.4e10 trial moves in 2646 s); the 300 trajectories are independent "
             "joblib jobs, so --dask-scheduler spreads them over a cluster",
    ),
}


def get_scale(name: str = "quick", **overrides) -> Scale:
    """A named :class:`Scale`, with any attribute overridden (``None`` values ignored).

    Examples
    --------
    >>> s = get_scale("quick", n_particles=200, temperature=None)
    >>> s.n_particles, s.temperature
    (200, 1.0)
    """
    if name not in SCALES:
        raise ValueError(f"unknown scale {name!r}; choose from {sorted(SCALES)}")
    scale = SCALES[name]
    fields = set(Scale.__dataclass_fields__)
    bad = set(overrides) - fields
    if bad:
        raise ValueError(f"unknown scale settings {sorted(bad)}")
    scale = replace(scale, **{k: v for k, v in overrides.items() if v is not None})
    _validate_scale(scale)
    return scale


def _validate_scale(s: Scale) -> None:
    for k in ("n_particles", "n_configurations", "n_trajectories", "equilibration_sweeps",
              "tau_sweeps_guess", "max_d", "n_path_features", "n_random_draws",
              "n_tau_configurations"):
        v = getattr(s, k)
        if isinstance(v, bool) or int(v) != v or v < 1:
            raise ValueError(f"{k} must be a positive integer, got {v!r}")
    if s.n_configurations < 2:
        raise ValueError("the study needs at least 2 configurations (leave-one-out regression)")
    if not (np.isfinite(s.temperature) and s.temperature > 0):
        raise ValueError(f"temperature must be positive, got {s.temperature}")
    if not (np.isfinite(s.max_displacement) and s.max_displacement > 0):
        raise ValueError(f"max_displacement must be positive, got {s.max_displacement}")
    if s.structure not in STRUCTURES:
        raise ValueError(f"structure must be one of {STRUCTURES}, got {s.structure!r}")
    from .study import SELECTION_PROTOCOLS

    if s.selection_protocol not in SELECTION_PROTOCOLS:
        raise ValueError(f"selection_protocol must be one of {SELECTION_PROTOCOLS}, "
                         f"got {s.selection_protocol!r}")
    if not 0 <= s.swap_probability < 1:
        raise ValueError(f"swap_probability must be in [0, 1), got {s.swap_probability}")
    if isinstance(s.seed, bool) or int(s.seed) != s.seed or s.seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {s.seed!r}")
    from .models import get_preset

    get_preset(s.preset)  # an unknown model fails here, before anything is written


# ----------------------------------------------------------------------------- files


def _atomic_savez(path: Path, **arrays) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _atomic_json(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=_to_builtin), encoding="utf-8")
    os.replace(tmp, path)


def _to_builtin(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _check_cache_key(cache: Path, name: str, key: dict) -> None:
    """Refuse to mix cached results of different settings in one folder."""
    path = cache / f"{name}_settings.json"
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        new = json.loads(json.dumps(key, default=_to_builtin))
        # Settings recorded by other versions but no longer part of the key are ignored.
        diff = {k: (old.get(k), new[k]) for k in new if k in old and old[k] != new[k]}
        diff.update({k: (None, new[k]) for k in new if k not in old})
        if diff:
            raise ValueError(
                f"{cache} holds {name} results for other settings {diff} (cached, requested); "
                "use another --out folder or delete it to start over"
            )
    else:
        cache.mkdir(parents=True, exist_ok=True)
        _atomic_json(path, key)


def _progress(total: int, desc: str, enabled: bool, position: int | None = None):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm(total=total, desc=desc, disable=not enabled, leave=True, dynamic_ncols=True,
                position=position)


def _load_timings(cache: Path) -> dict:
    path = cache / "stage_seconds.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _save_timings(cache: Path, timings: dict) -> None:
    _atomic_json(cache / "stage_seconds.json", timings)


def _parallel_map(fn: Callable, jobs: Iterable[tuple], n_jobs, bar) -> list:
    """Run ``fn(*args)`` for each job through joblib, advancing ``bar`` as results arrive."""
    from joblib import Parallel, delayed

    jobs = list(jobs)
    if not jobs:
        return []
    out = []
    gen = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(fn)(*a) for a in jobs)
    for r in gen:
        out.append(r)
        if bar is not None:
            bar.update(1)
    return out


# ----------------------------------------------------------------------------- stages


def _config_path(cache: Path, i: int) -> Path:
    return cache / "configurations" / f"config_{i:03d}.npz"


def _equilibrate_one(scale: Scale, i: int, seed, cache: str) -> str:
    from .simulation import equilibrate

    cache = Path(cache)
    out = _config_path(cache, i)
    if out.exists():
        return str(out)
    ckpt = cache / "configurations" / f"equilibrate_{i:03d}.ckpt.npz"
    config, info = equilibrate(
        scale.preset,
        scale.temperature,
        n_particles=scale.n_particles,
        n_sweeps=scale.equilibration_sweeps,
        max_displacement=scale.max_displacement,
        swap_probability=scale.swap_probability,
        seed=seed,
        checkpoint=ckpt,
        melt_sweeps=scale.melt_sweeps,
        warn=False,
    )
    _atomic_savez(
        out,
        positions=config.positions,
        species=config.species,
        box=config.box,
        energies=np.asarray(info["energies"], dtype=np.float64),
        flat=np.asarray(bool(info.get("flat", False))),
        acceptance=np.asarray(float(info.get("acceptance", np.nan))),
    )
    ckpt.unlink(missing_ok=True)
    return str(out)


def _load_config(path: Path, preset: str):
    from .configuration import Configuration

    with np.load(path) as f:
        return Configuration(f["positions"], f["species"], f["box"], preset)


def _seeds(scale: Scale):
    """Independent streams, derived once from the master seed (``SeedSequence.spawn`` is
    stateful, so every child is created here, in a fixed order, whatever is cached).

    Returns (equilibration seed per configuration, trajectory seeds per configuration,
    tau_alpha seed).
    """
    root = np.random.SeedSequence(scale.seed)
    *per_config, tau_seed = root.spawn(scale.n_configurations + 1)
    equil, traj = [], []
    for cs in per_config:
        e, t = cs.spawn(2)
        equil.append(e)
        traj.append(t.spawn(scale.n_trajectories))
    return equil, traj, tau_seed


def _relaxation_run(scale: Scale, config_file: str, n_sweeps: int, seed, ckpt: str):
    """One plain-MC run from a configuration: F_s^CR, F_s (k = 2 pi) and alpha2^CR."""
    from .dynamics import analyze_relaxation
    from .simulation import log_linear_times, run_mc

    conf = _load_config(Path(config_file), scale.preset)
    res = run_mc(conf, scale.temperature, n_sweeps, max_displacement=scale.max_displacement,
                 seed=seed, sample_times=log_linear_times(n_sweeps), checkpoint=ckpt)
    rel = analyze_relaxation(res.times, res.positions, conf.species, conf.box,
                             conf.mixture.sigma, k=2 * np.pi)
    return np.asarray(res.times), rel.fs_cr[0], rel.fs[0], rel.alpha2_cr


def _tau_alpha(scale: Scale, cache: Path, seed, n_jobs, progress: bool) -> dict:
    """tau_alpha^CR from F_s^CR averaged over the first configurations (checkpointed runs,
    in parallel over configurations; the run length doubles until F_s^CR < 1/e)."""
    from .dynamics import relaxation_time

    path = cache / "tau_alpha.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    (cache / "tau_alpha").mkdir(parents=True, exist_ok=True)
    n_sweeps = int(scale.tau_sweeps_guess)
    n_use = min(scale.n_tau_configurations, scale.n_configurations)
    max_attempts = 8
    seeds = seed.spawn(n_use * max_attempts)
    for attempt in range(max_attempts):
        jobs = [(scale, str(_config_path(cache, c)), n_sweeps, seeds[attempt * n_use + c],
                 str(cache / "tau_alpha" / f"run_{attempt}_{c:03d}.ckpt.npz"))
                for c in range(n_use)]
        bar = _progress(n_use, f"tau_alpha ({n_sweeps} sweeps)", progress)
        runs = _parallel_map(_relaxation_run, jobs, n_jobs, bar)
        if bar is not None:
            bar.close()
        times = runs[0][0]
        fs_cr = np.mean([r[1] for r in runs], axis=0)
        fs = np.mean([r[2] for r in runs], axis=0)
        alpha2 = np.mean([r[3] for r in runs], axis=0)
        if fs_cr[-1] < 1 / np.e:
            break
        n_sweeps *= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        tau_cr = float(relaxation_time(times, fs_cr))
        tau = float(relaxation_time(times, fs))
    if not np.isfinite(tau_cr):
        raise ValueError(
            f"F_s^CR did not decay to 1/e within {n_sweeps} sweeps at T = {scale.temperature}; "
            "raise --tau-sweeps-guess or the temperature"
        )
    result = {
        "tau_alpha_cr_sweeps": tau_cr,
        "tau_alpha_plain_sweeps": tau,
        "k": 2 * np.pi,
        "n_sweeps_measured": n_sweeps,
        "n_configurations_used": n_use,
        "alpha2_cr_max": float(np.max(alpha2)),
        "times": np.asarray(times).tolist(),
        "fs_cr": fs_cr.tolist(),
        "fs": fs.tolist(),
    }
    _atomic_json(path, result)
    for f in (cache / "tau_alpha").glob("*.ckpt.npz"):
        f.unlink()
    return result


def _trajectory_path(cache: Path, i: int, j: int) -> Path:
    return cache / "propensity" / f"config_{i:03d}_traj_{j:03d}.npz"


def _trajectory(scale: Scale, config_file: str, i: int, j: int, n_sweeps: int, seed,
                cache: str) -> str:
    """One iso-configurational trajectory: |dr^CR(t)| and bond breaking at t = n_sweeps.

    One trajectory per job (rather than one ensemble per configuration) so that every
    finished trajectory is cached and a stopped run resumes trajectory by trajectory.
    """
    from .propensity import iso_configurational

    out = _trajectory_path(Path(cache), i, j)
    if out.exists():
        return str(out)
    conf = _load_config(Path(config_file), scale.preset)
    res = iso_configurational(conf, scale.temperature, [n_sweeps], n_trajectories=1,
                              seed=seed, n_jobs=1, max_displacement=scale.max_displacement)
    _atomic_savez(out, displacement=res.per_trajectory_displacement[0, -1],
                  bond_breaking=res.per_trajectory_bond_breaking[0, -1],
                  fs_cr=np.asarray(res.fs_cr[0, -1]),
                  acceptance=np.asarray(res.acceptance[0]))
    return str(out)


@dataclass
class SimulationResult:
    """Stages 1-3: configurations and their propensities (returned by :func:`simulate`).

    Attributes
    ----------
    scale : Scale
        The settings of the run.
    configurations : list of Configuration
        Equilibrated configurations.
    propensity : list of ndarray of shape (N,)
        Mean ``|dr^CR(tau_alpha)|`` per particle, per configuration.
    bond_breaking : list of ndarray of shape (N,)
        Bond-breaking propensity per particle, per configuration.
    tau_alpha : dict
        ``tau_alpha_cr_sweeps``, ``tau_alpha_plain_sweeps`` and the F_s curves.
    stage_seconds : dict
        Compute time of each stage.
    drifting : list of int
        Configurations whose energy still drifted at the end of equilibration.
    displacements : ndarray of shape (n_configurations, n_trajectories, N) or None
        Each trajectory's ``|dr^CR(tau_alpha)|`` (``propensity`` is its mean over
        trajectories), for the noise ceiling (:mod:`skii_glass.reliability`).

    Examples
    --------
    >>> import tempfile
    >>> scale = get_scale("tiny", n_particles=64, n_configurations=2, n_trajectories=2,
    ...                   equilibration_sweeps=50, melt_sweeps=20, tau_sweeps_guess=1000)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sim = simulate(scale, tmp)
    >>> isinstance(sim, SimulationResult), len(sim.configurations), sim.propensity[0].shape
    (True, 2, (64,))
    >>> meta = sim.metadata()
    >>> meta["n_particles"], meta["temperature"], bool(meta["tau_alpha_sweeps"] > 0)
    (64, 2.0, True)
    """

    scale: Scale
    configurations: list
    propensity: list  # per configuration, (N,) mean |dr^CR(tau_alpha)|
    bond_breaking: list  # per configuration, (N,)
    tau_alpha: dict
    stage_seconds: dict
    drifting: list = field(default_factory=list)  # configurations whose energy still drifted
    displacements: np.ndarray | None = field(default=None, repr=False)

    def metadata(self) -> dict:
        """Run settings and tau_alpha, as stored in ``summary.json``."""
        return {
            "preset": self.scale.preset,
            "temperature": self.scale.temperature,
            "n_particles": self.scale.n_particles,
            "n_trajectories": self.scale.n_trajectories,
            "max_displacement": self.scale.max_displacement,
            "tau_alpha_sweeps": self.tau_alpha["tau_alpha_cr_sweeps"],
            "tau_alpha_plain_sweeps": self.tau_alpha["tau_alpha_plain_sweeps"],
            "alpha2_cr_max": self.tau_alpha.get("alpha2_cr_max"),
            "equilibration_sweeps": self.scale.equilibration_sweeps,
            "swap_probability": self.scale.swap_probability,
            "n_tau_configurations": self.tau_alpha.get("n_configurations_used"),
            "equilibration_energy_drifting": list(self.drifting),
        }


def simulate(scale: Scale, work_dir: str | os.PathLike, *, n_jobs: int | None = None,
             progress: bool = False, log: Callable[[str], None] | None = None
             ) -> SimulationResult:
    """Stages 1-3 (equilibrate, tau_alpha, propensity), cached in ``work_dir/cache``.

    Parameters
    ----------
    scale : Scale
    work_dir : path
        Output folder; the cache lives in ``work_dir/cache`` and is reused when the
        settings match (otherwise ``ValueError``).
    n_jobs : int, optional
        joblib workers for configurations and trajectories.
    progress : bool
        tqdm bars on stderr.
    log : callable, optional
        Called with one line of text per stage.

    Returns
    -------
    SimulationResult

    Examples
    --------
    A toy run (64 particles, 2 configurations x 2 trajectories; well under a second):

    >>> import tempfile
    >>> scale = get_scale("tiny", n_particles=64, n_configurations=2, n_trajectories=2,
    ...                   equilibration_sweeps=50, melt_sweeps=20, tau_sweeps_guess=1000)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sim = simulate(scale, tmp)
    ...     again = simulate(scale, tmp)  # read back from the cache
    >>> [c.n_particles for c in sim.configurations], sorted(sim.stage_seconds)
    ([64, 64], ['equilibrate', 'propensity', 'tau_alpha'])
    >>> bool(all(np.array_equal(a, b) for a, b in zip(sim.propensity, again.propensity)))
    True
    """
    _validate_scale(scale)
    cache = Path(work_dir) / "cache"
    _check_cache_key(cache, "simulation", scale.simulation_key())
    (cache / "configurations").mkdir(parents=True, exist_ok=True)
    (cache / "propensity").mkdir(parents=True, exist_ok=True)
    timings = _load_timings(cache)
    say = log or (lambda s: None)
    equil_seeds, traj_seeds, tau_seed = _seeds(scale)

    t0 = time.perf_counter()
    todo = [i for i in range(scale.n_configurations) if not _config_path(cache, i).exists()]
    say(f"[1/6] equilibrate {scale.n_configurations} configurations of N = "
        f"{scale.n_particles} at T = {scale.temperature} ({scale.equilibration_sweeps} sweeps"
        + (f", swap probability {scale.swap_probability}" if scale.swap_probability else "")
        + f"; {scale.n_configurations - len(todo)} cached)")
    bar = _progress(scale.n_configurations, "equilibrate", progress)
    if bar is not None:
        bar.update(scale.n_configurations - len(todo))
    _parallel_map(_equilibrate_one,
                  [(scale, i, equil_seeds[i], str(cache)) for i in todo],
                  n_jobs, bar)
    if bar is not None:
        bar.close()
    configs = [_load_config(_config_path(cache, i), scale.preset)
               for i in range(scale.n_configurations)]
    drifting = []
    for i in range(scale.n_configurations):
        with np.load(_config_path(cache, i)) as f:
            if not bool(f["flat"]):
                drifting.append(i)
    if drifting:
        say(f"      warning: the energy still drifts at the end of equilibration in "
            f"configurations {drifting}; raise --equilibration-sweeps (>= 30 tau_alpha)")
    if todo:
        timings["equilibrate"] = timings.get("equilibrate", 0.0) + time.perf_counter() - t0

    t0 = time.perf_counter()
    say("[2/6] tau_alpha from F_s^CR(k = 2 pi, t) = 1/e (plain MC)")
    cached_tau = (cache / "tau_alpha.json").exists()
    tau = _tau_alpha(scale, cache, tau_seed, n_jobs, progress)
    if not cached_tau:
        timings["tau_alpha"] = time.perf_counter() - t0
    n_sweeps = max(1, int(round(tau["tau_alpha_cr_sweeps"])))
    say(f"      tau_alpha^CR = {tau['tau_alpha_cr_sweeps']:.0f} sweeps "
        f"(plain F_s: {tau['tau_alpha_plain_sweeps']:.0f})")

    t0 = time.perf_counter()
    pairs = [(i, j) for i in range(scale.n_configurations)
             for j in range(scale.n_trajectories)]
    todo = [(i, j) for i, j in pairs if not _trajectory_path(cache, i, j).exists()]
    say(f"[3/6] iso-configurational propensity: {scale.n_trajectories} trajectories x "
        f"{scale.n_configurations} configurations of {n_sweeps} sweeps "
        f"({len(pairs) - len(todo)} cached)")
    bar = _progress(len(pairs), "propensity", progress)
    if bar is not None:
        bar.update(len(pairs) - len(todo))
    _parallel_map(
        _trajectory,
        [(scale, str(_config_path(cache, i)), i, j, n_sweeps, traj_seeds[i][j], str(cache))
         for i, j in todo],
        n_jobs,
        bar,
    )
    if bar is not None:
        bar.close()
    if todo:
        timings["propensity"] = timings.get("propensity", 0.0) + time.perf_counter() - t0
    _save_timings(cache, timings)

    disp = np.empty((scale.n_configurations, scale.n_trajectories, scale.n_particles))
    bb = []
    for i in range(scale.n_configurations):
        b = []
        for j in range(scale.n_trajectories):
            with np.load(_trajectory_path(cache, i, j)) as f:
                disp[i, j] = f["displacement"]
                b.append(f["bond_breaking"])
        bb.append(np.mean(b, axis=0))
    prop = list(disp.mean(axis=1))
    return SimulationResult(scale, configs, prop, bb, tau, timings, drifting, disp)


def _inherent_stage(cache: Path, configurations, n_jobs, progress: bool) -> list:
    """FIRE inherent structure of every configuration, cached one file each."""
    from .configuration import Configuration

    folder = cache / "inherent"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"config_{i:03d}.npz" for i in range(len(configurations))]
    todo = [i for i, p in enumerate(paths) if not p.exists()]
    bar = _progress(len(paths), "inherent structures", progress)
    if bar is not None:
        bar.update(len(paths) - len(todo))
    _parallel_map(_minimise_one, [(configurations[i], str(paths[i])) for i in todo], n_jobs,
                  bar)
    if bar is not None:
        bar.close()
    out = []
    for conf, p in zip(configurations, paths, strict=True):
        with np.load(p) as f:
            out.append(Configuration(f["positions"], conf.species, conf.box, conf.mixture))
    return out


def _minimise_one(conf, path: str) -> str:
    from .inherent import inherent_structure

    res = inherent_structure(conf)
    _atomic_savez(Path(path), positions=res.positions)
    return path


def _descriptor_stage(cache: Path, configurations, propensities, n_jobs, say,
                      name: str = "descriptors.npz") -> pd.DataFrame:
    path = cache / name
    if path.exists():
        with np.load(path, allow_pickle=False) as f:
            table = pd.DataFrame(f["X"], columns=[str(c) for c in f["columns"]])
            table["propensity"] = f["propensity"]
            table["configuration"] = f["configuration"]
        return table
    table = descriptor_table(configurations, propensities, n_jobs=n_jobs)
    feats = [c for c in table.columns if c not in ("propensity", "configuration")]
    _atomic_savez(path, X=table[feats].to_numpy(), columns=np.array(feats),
                  propensity=table["propensity"].to_numpy(),
                  configuration=table["configuration"].to_numpy())
    return table


def _noise_ceiling(displacements, configurations, seed) -> dict:
    """summary.json entries of :func:`skii_glass.reliability.propensity_reliability`
    (empty without per-trajectory displacements, e.g. for older dataset files)."""
    from .reliability import propensity_reliability

    if displacements is None or displacements.shape[1] < 2:
        return {}
    rel = propensity_reliability(displacements, species=[c.species for c in configurations],
                                 random_state=seed)
    return {
        "propensity_reliability": rel.reliability,
        "noise_ceiling": rel.noise_ceiling,
        "propensity_statistics": rel.to_dict(),
    }


def run_pipeline(
    scale: Scale,
    out_dir: str | os.PathLike,
    *,
    n_jobs: int | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
    from_bundled: str | os.PathLike | bool = False,
) -> dict:
    """Run every stage and write the report into ``out_dir``; returns ``summary.json``.

    With ``from_bundled`` (True for the packaged dataset, or a path to a dataset file made
    by ``skii-glass make-dataset``) the simulation stages are skipped and the analyses run
    on that dataset.

    Parameters
    ----------
    scale : Scale
        Simulation and analysis settings (see :func:`get_scale`).
    out_dir : path
        Output folder: ``report.md``, ``summary.json``, ``figures/``, ``tables/`` and the
        resumable ``cache/``.
    n_jobs : int, optional
        joblib workers.
    progress : bool
        tqdm bars on stderr.
    log : callable, optional
        Called with one line of text per stage.
    from_bundled : bool or path
        Analyse a propensity dataset instead of simulating.

    Returns
    -------
    dict
        The summary (see :func:`skii_glass.report.build_summary`).

    Examples
    --------
    The whole study on a toy system (3 configurations of 128 particles, a few seconds):

    >>> import os, tempfile
    >>> scale = get_scale("tiny", n_trajectories=1, equilibration_sweeps=50, melt_sweeps=20,
    ...                   tau_sweeps_guess=1000, max_d=2, n_path_features=2,
    ...                   n_random_draws=5, baseline_max_rows=100)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     summary = run_pipeline(scale, tmp)
    ...     files = sorted(os.listdir(tmp))
    >>> files
    ['cache', 'figures', 'report.md', 'summary.json', 'tables']
    >>> summary["n_configurations"], summary["n_particles"], len(summary["abs_pearson_by_feature"])
    (3, 128, 60)
    """
    from . import report

    start = time.perf_counter()
    say = log or (lambda s: None)
    out = Path(out_dir)
    # Every argument is checked before the output folder is created: a mistyped command
    # must leave nothing behind that the corrected one would refuse to reuse.
    _validate_scale(scale)
    if from_bundled:
        from .datasets import load_propensity

        data = load_propensity(None if from_bundled is True else from_bundled,
                               descriptors=False)
    out.mkdir(parents=True, exist_ok=True)
    if from_bundled:
        cache = out / "cache"
        _check_cache_key(cache, "simulation", {"dataset": data.metadata.get("sha256", ""),
                                               "source": str(data.path)})
        configurations, propensities = data.configurations, data.propensity
        metadata = {
            "source": f"bundled dataset {Path(data.path).name}",
            "preset": data.metadata.get("preset"),
            "temperature": data.temperature,
            "n_particles": int(configurations[0].n_particles),
            "n_trajectories": data.metadata.get("n_trajectories"),
            "max_displacement": data.metadata.get("max_displacement"),
            "tau_alpha_sweeps": data.tau_alpha,
            "dataset_provenance": data.metadata,
        }
        stage_seconds = _load_timings(cache)
        displacements = data.displacements
        say(f"[1-3/6] bundled dataset: {len(configurations)} configurations of N = "
            f"{configurations[0].n_particles} at T = {data.temperature}")
    else:
        sim = simulate(scale, out, n_jobs=n_jobs, progress=progress, log=say)
        cache = out / "cache"
        configurations, propensities = sim.configurations, sim.propensity
        metadata = {"source": f"simulated by this run (scale {scale.name})", **sim.metadata()}
        stage_seconds = {**_load_timings(cache), **sim.stage_seconds}
        displacements = sim.displacements
    metadata.update(_noise_ceiling(displacements, configurations, scale.seed))

    try:
        _check_cache_key(cache, "analysis", scale.analysis_key())
    except ValueError:
        # Analysis settings changed (e.g. --max-d): the analyses are cheap, so redo them
        # on the cached data instead of refusing.
        say("      analysis settings changed: recomputing the analyses")
        for stale in ("study.joblib", "study_inherent.joblib"):
            (cache / stale).unlink(missing_ok=True)
        (cache / "analysis_settings.json").unlink()
        _check_cache_key(cache, "analysis", scale.analysis_key())
    structures = ("thermal", "inherent") if scale.structure == "both" else (scale.structure,)
    warmup = []
    if not all((cache / f"study{'' if s_ == 'thermal' else '_inherent'}.joblib").exists()
               for s_ in structures):
        warmup = _start_kernel_warmup()
    say("[4/6] structural descriptors (60 columns) of the "
        + " and ".join(f"{s_} structures" for s_ in structures))
    tables = {}
    for structure in structures:
        suffix = "" if structure == "thermal" else "_inherent"
        confs = configurations
        if structure == "inherent":
            t0 = time.perf_counter()
            had = all((cache / "inherent" / f"config_{i:03d}.npz").exists()
                      for i in range(len(configurations)))
            confs = _inherent_stage(cache, configurations, n_jobs, progress)
            if not had:
                stage_seconds["inherent_structures"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        had = (cache / f"descriptors{suffix}.npz").exists()
        tables[structure] = _descriptor_stage(cache, confs, propensities, n_jobs, say,
                                              f"descriptors{suffix}.npz")
        if not had:
            stage_seconds[f"descriptors{suffix}"] = time.perf_counter() - t0
        _save_timings(cache, stage_seconds)

    say("[5/6] analyses: Pearson, imbalances, greedy paths, leave-one-out regression")
    for proc in warmup:
        proc.wait()
    relaxation = None
    if (cache / "tau_alpha.json").exists():
        tau = json.loads((cache / "tau_alpha.json").read_text(encoding="utf-8"))
        relaxation = {k: tau[k] for k in ("times", "fs_cr", "fs")}
    drawn = []

    def headline_figures(results):
        # The headline's figures, drawn while the other structure's analyses still run.
        report.write_figures(results, out, relaxation, metadata.get("tau_alpha_sweeps"))
        drawn.append(True)

    results = _study_stages(cache, tables, structures, scale, n_jobs, progress,
                            headline_figures)
    for structure in structures:
        if results[structure][1] is not None:
            suffix = "" if structure == "thermal" else "_inherent"
            stage_seconds[f"analyses{suffix}"] = results[structure][1]
    _save_timings(cache, stage_seconds)

    say("[6/6] report")
    metadata["stage_seconds"] = stage_seconds
    metadata["scale"] = asdict(scale)
    # wall_seconds: compute time of all stages, also those cached by earlier invocations
    # (a resumed run reports what the whole study cost, not just its last piece).
    metadata["wall_seconds"] = float(sum(stage_seconds.values()))
    metadata["invocation_seconds"] = time.perf_counter() - start
    metadata["structures"] = list(structures)
    headline = results[structures[0]][0]
    inherent = results["inherent"][0] if len(structures) == 2 else None
    summary = report.write_report(headline, out, metadata, relaxation=relaxation,
                                  inherent=inherent, figures=not drawn)
    return summary


def _start_kernel_warmup() -> list:
    """Compile skii's path kernels in two more processes, one per selection mode (see
    :mod:`skii._warmup`), while this one computes descriptors: on a first run after
    installation the compilations then overlap. Returns the processes that started; the
    analyses wait for them, then load the kernels from numba's on-disk cache."""
    procs = []
    for mode in ("supervised", "unsupervised"):
        try:
            procs.append(subprocess.Popen([sys.executable, "-m", "skii._warmup", mode],
                                          stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        except OSError:
            break
    return procs


def _study_stages(cache: Path, tables: dict, structures, scale: Scale, n_jobs,
                  progress: bool, headline_done: Callable | None = None) -> dict:
    """The analyses of every structure: ``{structure: (results, seconds or None)}``.

    Two structures still to analyse run side by side, one thread each with half of
    numba's threads: the Python-level work of one (fold bookkeeping, the baselines'
    scikit-learn fits, waits on joblib) then overlaps with the other's kernels (bundled
    data, warm, 2 cores: 53 s against 63 s one after the other). If the first
    (headline) structure finishes first, ``headline_done(results)`` runs in this thread
    while the other goes on (the pipeline draws the headline's figures there, on the
    core the finished analyses left idle). Their stage times
    overlap, so ``wall_seconds`` (the sum of the stages) counts that time twice. The
    study's ``catch_warnings`` blocks only silence warning categories (which the other
    thread may also see silenced meanwhile); the outer block here restores the
    process's filters once both are done.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from skii._parallel import call_with_threads, threads_per_worker

    jobs = []
    for position, structure in enumerate(structures):
        suffix = "" if structure == "thermal" else "_inherent"
        jobs.append((structure, cache / f"study{suffix}.joblib", f"analyses ({structure})",
                     position))
    pending = [job for job in jobs if not job[1].exists()]
    if len(pending) < 2:
        return {s_: _study_stage(path, tables[s_], scale, n_jobs, progress, label)
                for s_, path, label, _ in jobs}
    threads = threads_per_worker(len(pending))
    with warnings.catch_warnings(), ThreadPoolExecutor(len(pending)) as pool:
        futures = {
            s_: pool.submit(call_with_threads, threads, _study_stage, path, tables[s_], scale,
                            n_jobs, progress, label, position)
            for s_, path, label, position in jobs
        }
        first = futures[structures[0]]
        done, _ = wait(list(futures.values()), return_when=FIRST_COMPLETED)
        if headline_done is not None and first in done and len(done) < len(futures):
            headline_done(first.result()[0])
        return {s_: future.result() for s_, future in futures.items()}


def _study_stage(path: Path, table: pd.DataFrame, scale: Scale, n_jobs, progress: bool,
                 label: str, position: int | None = None):
    """The analyses of :func:`skii_glass.study.run_study`, cached in ``path``.

    Returns (results, seconds spent, or None when loaded from the cache).
    """
    import joblib

    from . import study

    if path.exists():
        return joblib.load(path), None
    t0 = time.perf_counter()
    steps = ["pearson", "single-feature imbalances", "supervised paths",
             "unsupervised paths", "regression"]
    bar = _progress(len(steps), label, progress, position)

    def advance(name):
        if bar is not None:
            bar.set_postfix_str(name)
            if name != steps[0]:
                bar.update(1)

    results = study.run_study(
        table,
        n_path_features=scale.n_path_features,
        max_d=scale.max_d,
        n_random_draws=scale.n_random_draws,
        baseline_max_rows=scale.baseline_max_rows,
        seed=scale.seed,
        n_jobs=n_jobs,
        progress=advance,
        selection_protocol=scale.selection_protocol,
    )
    if bar is not None:
        bar.update(1)
        bar.close()
    tmp = path.with_name(path.name + ".tmp")
    joblib.dump(results, tmp)
    os.replace(tmp, path)
    return results, time.perf_counter() - t0
