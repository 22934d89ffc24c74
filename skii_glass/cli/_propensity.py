"""``skii-glass propensity``: iso-configurational ensemble of one configuration file."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ._inputs import add_species_map

DESCRIPTION = """\
Dynamic propensity of every particle of one configuration (iso-configurational ensemble,
Widmer-Cooper & Harrowell 2004).

From CONFIG (extended XYZ or HOOMD GSD, e.g. the final.xyz written by `skii-glass
simulate`), run N_TRAJ Metropolis Monte Carlo trajectories at temperature T that all start
from the same positions but use different random numbers, and measure at each TIME (in MC
sweeps; one sweep = N trial moves, usually tau_alpha^CR of the state point):

  displacement propensity   p_i = mean over trajectories of |dr_i^CR(t)|, the
                            displacement relative to the particle's cage (the mean
                            displacement of its neighbours r < 1.4 sigma_ab at t = 0;
                            removes the long-wavelength fluctuations of 2D solids), with
                            the centre-of-mass drift removed;
  bond-breaking propensity  1 - fraction of the initial bonds (r < 1.4 sigma_ab) still
                            intact (r < 1.8 sigma_ab) at t, averaged over trajectories.

The configuration should be equilibrated at T (see `skii-glass simulate`). Results do not
depend on --n-jobs: trajectory m always uses SeedSequence(seed).spawn(N_TRAJ)[m].

A long run can be stopped at any moment: each finished trajectory is saved in
DIR/trajectories/, and rerunning the same command finishes the missing ones only (without
--seed, the seed drawn the first time is kept in DIR/seed.txt and reused).
"""

EPILOG = """\
outputs in DIR:
  propensity.csv   one row per particle: particle, species, x, y and for each time t
                   displacement_t<t>, displacement_plain_t<t>, bond_breaking_t<t>
  propensity.npz   the same arrays plus each trajectory's values, F_s^CR(2 pi, t),
                   energies and acceptance rates
  trajectories/    one checkpoint per finished trajectory (for resuming)
  seed.txt         the root seed, when --seed was not given
The last line on stdout is a JSON summary; progress goes to stderr.

example:
  skii-glass propensity run/final.xyz --temperature 0.7 --time 8000 --trajectories 30 \\
      --out prop --seed 1 --n-jobs 2
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "propensity",
        help="per-particle dynamic propensity from an iso-configurational ensemble",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", metavar="CONFIG",
                   help="starting configuration: .xyz/.extxyz (extended XYZ), .gsd or a "
                        "LAMMPS text dump")
    p.add_argument("--temperature", "-T", type=float, required=True, metavar="T",
                   help="temperature k_B T in units of epsilon_AA (> 0)")
    p.add_argument("--time", type=int, nargs="+", required=True, metavar="SWEEPS",
                   help="measurement time(s) in MC sweeps after the start, e.g. tau_alpha")
    p.add_argument("--trajectories", type=int, default=30, metavar="N_TRAJ",
                   help="number of trajectories in the ensemble (default: 30)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder (created if missing)")
    p.add_argument("--seed", type=int, default=None,
                   help="root random seed (default: fresh entropy, kept in DIR/seed.txt "
                        "and printed in the summary)")
    p.add_argument("--n-jobs", type=int, default=1, metavar="N",
                   help="parallel trajectories (joblib workers; -1: all cores; default 1)")
    p.add_argument("--max-displacement", type=float, default=0.1, metavar="DELTA",
                   help="side of the square of uniform trial displacements, in sigma_AA "
                        "(default: 0.1, as in the reference tau_alpha table)")
    p.add_argument("--preset", default=None,
                   help="model the species names belong to (default: the file's 'preset' "
                        "entry, else ka2d)")
    add_species_map(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..io import read_configuration
    from . import check_preset_arg, output_dir

    t0 = time.perf_counter()
    path = Path(args.config)
    if not path.exists():
        raise FileNotFoundError(f"no such configuration file: {path}")
    check_preset_arg(args.preset)
    config = read_configuration(path, mixture=args.preset, species_map=args.species_map)
    with output_dir(args.out) as out:
        return _run(args, out, config, t0)


def _run(args, out: Path, config, t0: float) -> int:
    from ..io import _atomic_write
    from ..propensity import iso_configurational

    seed_file = out / "seed.txt"
    if args.seed is not None:
        root = args.seed
    elif seed_file.exists():
        # a rerun without --seed resumes the same ensemble
        try:
            root = int(seed_file.read_text().strip())
        except ValueError:
            raise ValueError(
                f"{seed_file}: not an integer seed; delete it or pass --seed"
            ) from None
    else:
        root = int(np.random.SeedSequence().entropy)
        _atomic_write(seed_file, lambda tmp: Path(tmp).write_text(f"{root}\n"))
    seed = np.random.SeedSequence(root)
    res = iso_configurational(
        config,
        args.temperature,
        args.time,
        n_trajectories=args.trajectories,
        seed=seed,
        n_jobs=args.n_jobs,
        max_displacement=args.max_displacement,
        progress=not args.quiet,
        checkpoint_dir=out / "trajectories",
    )
    csv_path = out / "propensity.csv"
    npz_path = out / "propensity.npz"
    frame = res.to_frame()
    _atomic_write(csv_path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.8g"))

    def _write_npz(tmp):
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                times=res.times,
                displacement=res.displacement,
                displacement_plain=res.displacement_plain,
                bond_breaking=res.bond_breaking,
                per_trajectory_displacement=res.per_trajectory_displacement,
                per_trajectory_bond_breaking=res.per_trajectory_bond_breaking,
                fs_cr=res.fs_cr,
                k=res.k,
                energy_per_particle=res.energy_per_particle,
                acceptance=res.acceptance,
                positions=config.positions,
                species=config.species,
                box=config.box,
                species_names=np.asarray(config.mixture.species),
                temperature=res.temperature,
                max_displacement=res.max_displacement,
                seed_entropy=str(seed.entropy),
            )

    _atomic_write(npz_path, _write_npz)
    summary = {
        "config": str(Path(args.config)),
        "n_particles": config.n_particles,
        "preset": config.mixture.name,
        "temperature": res.temperature,
        "max_displacement": res.max_displacement,
        "times": res.times.tolist(),
        "n_trajectories": res.n_trajectories,
        "seed": int(seed.entropy),
        "n_jobs": args.n_jobs,
        "trajectories_run": res.info["trajectories_run"],
        "trajectories_loaded": res.info["trajectories_loaded"],
        "mean_displacement_propensity": res.displacement.mean(axis=1).tolist(),
        "mean_bond_breaking_propensity": res.bond_breaking.mean(axis=1).tolist(),
        "fs_cr_mean": res.fs_cr.mean(axis=0).tolist(),
        "energy_per_particle": float(res.energy_per_particle.mean()),
        "acceptance": float(res.acceptance.mean()),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        "outputs": {"csv": str(csv_path), "npz": str(npz_path)},
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    sys.stdout.flush()
    return 0
