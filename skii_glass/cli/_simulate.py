"""``skii-glass simulate``: equilibrate a 2D Lennard-Jones mixture by Metropolis Monte Carlo,
then run a production trajectory.

Output directory layout (one replica; with ``--replicas R`` each replica gets its own
``replica_XXX/`` subdirectory holding the same files):

* ``equilibrated.xyz`` – configuration at the end of equilibration (extended XYZ);
* ``final.xyz`` – configuration at the end of the production run;
* ``trajectory.npz`` – ``times`` (sweeps), ``positions`` (unwrapped, shape (n_times, N, 2)),
  ``species``, ``box``, ``energies`` (E/N after every production sweep), ``preset``,
  ``temperature``, ``max_displacement``;
* ``equilibration.ckpt.npz``, ``production.ckpt.npz`` – checkpoints: rerunning the same
  command after an interruption resumes where it stopped and gives bit-identical results;
* ``summary.json`` – the JSON object printed as the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

from ._inputs import MAP_HELP, parse_species_map

HELP = "equilibrate a glass-former by Monte Carlo and record a trajectory"

DESCRIPTION = """\
Metropolis Monte Carlo (NVT) of a 2D Lennard-Jones mixture in a periodic square box.

A trial move displaces one randomly chosen particle uniformly in a square of side
--max-displacement and is accepted with probability min(1, exp(-dE/T)). Time is counted in
sweeps (one sweep = N trial moves). Units: lengths in sigma_AA, energies and temperature in
eps_AA (k_B = 1).

The run starts from a random lattice (species shuffled over lattice sites), melts it for
--melt-sweeps sweeps at T = 5, equilibrates for --equilibration-sweeps at --temperature
(optionally with species-swap moves, which speed up equilibration but are not a physical
dynamics), then runs --sweeps production sweeps with plain displacement moves and stores the
positions at log-spaced and linearly spaced times. The energy trace of the equilibration is
tested for a remaining drift (a warning says when it still drifts: equilibrate at least
~30 tau_alpha). For ka2d, tau_alpha^CR is ~900 sweeps at T = 2 and ~4e4 at T = 0.5
(delta = 0.1).

The last line on stdout is one JSON object: energy_per_particle (potential energy per
particle, each pair counted once, mean over the production sweeps), its block error,
acceptance, trial_moves_per_second (one chain, production only), sweeps, temperature,
n_particles, seed, the equilibration check and the files written. The check's "flat" is
true only if the production mean E/N differs from the mean of the second half of the
equilibration by less than twice their combined block standard error (blocks at least as
long as the energy's measured correlation time), false if it differs by more, and "too
short to judge" when either run holds fewer than 5 such blocks. Progress bars go to
stderr. Rerunning an interrupted command with the same arguments resumes from the
checkpoints in --out.
"""

EXAMPLE = """\
example:
  skii-glass simulate --preset ka2d --n-particles 1290 --temperature 2.0 \\
      --equilibration-sweeps 30000 --sweeps 10000 --seed 5 --out runs/T2.0
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "simulate",
        help=HELP,
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--preset", default="ka2d",
                   help="model: ka2d (default; 2D ternary Kob-Andersen-like mixture, "
                        "density 1.192) or barbot_ternary (reconstructed seed model)")
    p.add_argument("--n-particles", type=int, default=1290, metavar="N",
                   help="number of particles (default 1290); the composition scales with N")
    p.add_argument("--start", metavar="FILE",
                   help="start from this configuration (.xyz/.extxyz/.gsd, a LAMMPS dump) "
                        "instead of a melted random lattice; --preset/--n-particles are then "
                        "taken from it")
    p.add_argument("--species-map", type=parse_species_map, default=None,
                   metavar="LABEL=species,...", help=f"with --start: {MAP_HELP}")
    p.add_argument("--temperature", "-T", type=float, required=True, metavar="T",
                   help="temperature k_B T / eps_AA (> 0)")
    p.add_argument("--equilibration-sweeps", type=int, default=0, metavar="S",
                   help="sweeps of equilibration at T before production (default 0)")
    p.add_argument("--sweeps", type=int, required=True, metavar="S",
                   help="production sweeps (plain displacement moves)")
    p.add_argument("--melt-sweeps", type=int, default=1000, metavar="S",
                   help="sweeps at T = 5 that melt the random lattice start "
                        "(default 1000, as the reference runs)")
    p.add_argument("--max-displacement", type=float, default=0.1, metavar="DELTA",
                   help="side of the square of uniform trial displacements, i.e. moves in "
                        "[-DELTA/2, DELTA/2]^2, in sigma_AA (default 0.1)")
    p.add_argument("--swap-probability", type=float, default=0.0, metavar="P",
                   help="fraction of equilibration trials that swap the species of two "
                        "random particles (swap Monte Carlo; default 0). Never used in "
                        "production")
    p.add_argument("--samples-per-decade", type=int, default=10, metavar="K",
                   help="log-spaced trajectory frames per decade of sweeps (default 10)")
    p.add_argument("--linear-samples", type=int, default=10, metavar="K",
                   help="evenly spaced trajectory frames over the production run (default 10)")
    p.add_argument("--seed", type=int, default=None,
                   help="random seed (numpy SeedSequence entropy); default: fresh entropy, "
                        "kept in OUT/seed.txt (a rerun resumes) and reported in the JSON")
    p.add_argument("--replicas", type=int, default=1, metavar="R",
                   help="independent chains (different seeds spawned from --seed), each in "
                        "OUT/replica_XXX (default 1)")
    p.add_argument("--n-jobs", type=int, default=1,
                   help="replicas run at the same time (joblib; -1 = all cores; default 1)")
    p.add_argument("--checkpoint-every", type=int, default=10000, metavar="S",
                   help="sweeps between checkpoints (default 10000)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)
    return p


def _finite_or_none(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _block_error(e: np.ndarray, n_blocks: int = 10) -> float | None:
    if e.size < 2 * n_blocks:
        return None
    means = np.array([b.mean() for b in np.array_split(e, n_blocks)])
    return float(means.std(ddof=1) / math.sqrt(n_blocks))


def _one_replica(args, out: Path, seed_seq: np.random.SeedSequence, start, progress: bool):
    from ..io import write_xyz
    from ..simulation import (
        _write_atomic,
        energy_plateau,
        equilibrate,
        log_linear_times,
        run_mc,
    )

    out.mkdir(parents=True, exist_ok=True)
    s_eq, s_prod = seed_seq.spawn(2)
    source = start if start is not None else args.preset
    config, eq = equilibrate(
        source,
        args.temperature,
        n_particles=None if start is not None else args.n_particles,
        n_sweeps=args.equilibration_sweeps,
        max_displacement=args.max_displacement,
        swap_probability=args.swap_probability,
        seed=s_eq,
        checkpoint=out / "equilibration.ckpt.npz",
        checkpoint_every=args.checkpoint_every,
        progress=progress,
        melt_sweeps=args.melt_sweeps,
    )
    files = {"equilibrated": str(out / "equilibrated.xyz")}
    write_xyz(out / "equilibrated.xyz", config, times=[args.equilibration_sweeps],
              info={"temperature": args.temperature})
    times = log_linear_times(args.sweeps, args.samples_per_decade, args.linear_samples)
    res = run_mc(config, args.temperature, args.sweeps, max_displacement=args.max_displacement,
                 seed=s_prod, sample_times=times, checkpoint=out / "production.ckpt.npz",
                 checkpoint_every=args.checkpoint_every, progress=progress)
    write_xyz(out / "final.xyz", res.final, times=[args.sweeps],
              info={"temperature": args.temperature})
    _write_atomic(out / "trajectory.npz", dict(
        times=res.times, positions=res.positions, species=res.final.species,
        box=res.final.box, energies=res.energies, preset=np.array(res.final.mixture.name),
        temperature=np.float64(args.temperature),
        max_displacement=np.float64(args.max_displacement)))
    files.update(final=str(out / "final.xyz"), trajectory=str(out / "trajectory.npz"))
    drift = eq.get("drift")
    # Flat only if production continues the end of equilibration within 2 sigma (blocks
    # longer than the energy's correlation time); a slope test alone misses a level shift.
    eq_e = np.asarray(eq["energies"])
    plateau = energy_plateau(eq_e[eq_e.size // 2:], res.energies)
    if plateau["flat"] is False:
        print(f"skii-glass simulate: production E/N differs from the end of equilibration "
              f"by {plateau['difference']:.3g} (+- {plateau['stderr']:.2g}): equilibrate "
              "longer", file=sys.stderr)
    summary = {
        "energy_per_particle": res.energy_per_particle,
        "energy_per_particle_err": _block_error(res.energies),
        "acceptance": res.acceptance,
        "trial_moves_per_second": res.trial_moves_per_second,
        "sweeps": args.sweeps,
        "equilibration_sweeps": args.equilibration_sweeps,
        "equilibration": {
            "energy_per_particle_second_half": eq["energy_per_particle"],
            "acceptance": eq["acceptance"],
            "swap_acceptance": eq["swap_acceptance"],
            "flat": plateau["flat"] if eq_e.size else None,
            "production_minus_second_half": plateau["difference"],
            "difference_stderr": plateau["stderr"],
            "energy_correlation_time_sweeps": plateau["correlation_time"],
            "slope_per_sweep": None if drift is None else drift["slope_per_sweep"],
            "slope_stderr": None if drift is None else drift["slope_stderr"],
        },
        "n_particles": res.final.n_particles,
        "energy_bookkeeping_error": res.energy_error,
        "files": files,
    }
    with open(out / "summary.json", "w") as fh:  # rewritten below with the merged summary
        json.dump(_clean(summary), fh, indent=1)
    return summary


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return _finite_or_none(float(obj))
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _check_args(args) -> None:
    if not (math.isfinite(args.temperature) and args.temperature > 0):
        raise ValueError(f"--temperature must be positive, got {args.temperature}")
    for name in ("sweeps", "equilibration_sweeps", "melt_sweeps"):
        if getattr(args, name) < 0:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 0")
    if args.n_particles < 1:
        raise ValueError("--n-particles must be positive")
    if args.replicas < 1:
        raise ValueError("--replicas must be at least 1")
    if not 0.0 <= args.swap_probability <= 1.0:
        raise ValueError("--swap-probability must lie in [0, 1]")
    if args.checkpoint_every < 1:
        raise ValueError("--checkpoint-every must be at least 1")
    if not (math.isfinite(args.max_displacement) and args.max_displacement > 0):
        raise ValueError(f"--max-displacement must be positive, got {args.max_displacement}")
    if args.seed is not None and args.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.samples_per_decade < 0 or args.linear_samples < 0:
        raise ValueError("--samples-per-decade and --linear-samples must be >= 0")
    if args.n_jobs == 0:
        raise ValueError("--n-jobs must be a non-zero integer (-1 = all cores)")


def run(args) -> int:
    from ..models import get_preset
    from . import output_dir

    _check_args(args)
    start = None
    if args.start is not None:
        from ..io import read_configuration

        start = read_configuration(args.start, species_map=args.species_map)
        args.preset = start.mixture.name
        args.n_particles = start.n_particles
    else:
        get_preset(args.preset)  # unknown preset: clear error before any work
    with output_dir(args.out) as out:
        return _run(args, out, start)


def _run(args, out: Path, start) -> int:
    seed = args.seed
    seed_file = out / "seed.txt"
    if seed is None:
        # a fresh seed is kept in OUT so that rerunning the command resumes the same run
        if seed_file.exists():
            seed = int(seed_file.read_text().strip())
        else:
            seed = int(np.random.SeedSequence().entropy % (2**63))
            seed_file.write_text(f"{seed}\n")
    root = np.random.SeedSequence(seed)
    progress = not args.quiet
    if args.replicas == 1:
        summaries = [_one_replica(args, out, root.spawn(1)[0], start, progress)]
    else:
        from joblib import Parallel, delayed

        children = root.spawn(args.replicas)
        dirs = [out / f"replica_{r:03d}" for r in range(args.replicas)]
        serial = args.n_jobs == 1
        summaries = Parallel(n_jobs=args.n_jobs, prefer="threads")(
            delayed(_one_replica)(args, d, s, start, progress and serial)
            for d, s in zip(dirs, children, strict=True)
        )
    result = _merge(summaries, args, seed)
    text = json.dumps(_clean(result))
    with open(out / "summary.json", "w") as fh:
        fh.write(text + "\n")
    sys.stdout.flush()
    print(text)
    return 0


def _merge(summaries: list[dict], args, seed: int) -> dict:
    if len(summaries) == 1:
        result = dict(summaries[0])
    else:
        e = np.array([s["energy_per_particle"] for s in summaries])
        result = {
            "energy_per_particle": float(e.mean()),
            "energy_per_particle_err": float(e.std(ddof=1) / math.sqrt(e.size)),
            "acceptance": float(np.mean([s["acceptance"] for s in summaries])),
            "trial_moves_per_second": _mean_rate(summaries),
            "sweeps": args.sweeps,
            "equilibration_sweeps": args.equilibration_sweeps,
            "n_particles": summaries[0]["n_particles"],
            "replicas": summaries,
            "files": {"replicas": [os.path.dirname(s["files"]["final"]) for s in summaries]},
        }
    result.update(temperature=args.temperature, seed=seed, preset=args.preset,
                  max_displacement=args.max_displacement,
                  swap_probability_equilibration=args.swap_probability,
                  n_replicas=args.replicas)
    return result


def _mean_rate(summaries: list[dict]) -> float | None:
    rates = [s["trial_moves_per_second"] for s in summaries]
    rates = [r for r in rates if r is not None and math.isfinite(r)]
    return float(np.mean(rates)) if rates else None
