"""``skii-glass propensity-from-trajectories``: propensities of a user's own ensemble."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ._inputs import add_species_map

DESCRIPTION = """\
Dynamic propensity of every particle from an iso-configurational ensemble simulated
elsewhere (LAMMPS, HOOMD, your own code): FILE... are trajectories that all start from
the same configuration (their first frame) with different random velocities or numbers.
Each file is a LAMMPS text dump (id optional, type or element, x y / xu yu / xs ys /
xsu ysu, image flags ix iy), an extended XYZ or GSD trajectory, or the trajectory.npz of
`skii-glass simulate`. Positions are unwrapped (from unwrapped columns or image flags;
else each step between stored frames is taken as its minimum image).

At TIME after the first frame (in the files' time unit: the dump's TIMESTEP numbers, or
TIMESTEP x DT with --timestep DT), for each particle i:

  propensity      mean over the files of |dr_i^CR(t)|, the displacement relative to the
                  cage (neighbours r < 1.4 sigma_ab in the first frame), drift removed;
  bond_breaking   1 - fraction of the first frame's bonds (r < 1.4 sigma_ab) still
                  intact (r < 1.8 sigma_ab), averaged over the files;

the same code as `skii-glass propensity`.
"""

EPILOG = """\
outputs in DIR:
  propensity.csv     configuration (the --configuration label), particle (0-based, the
                     file's atom order sorted by id), species, propensity,
                     displacement_plain, bond_breaking
  configuration.xyz  the common first frame (extended XYZ), for `describe` and `study`
The last line on stdout is a JSON summary.

example (30 LAMMPS runs from one configuration, dumps every 1000 steps of 0.005):
  skii-glass propensity-from-trajectories run*/dump.lammpstrj --time 50 --timestep 0.005 \\
      --species-map 1=A,2=B,3=C --out prop0
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "propensity-from-trajectories",
        help="per-particle propensity from your own iso-configurational trajectories",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", metavar="FILE", nargs="+",
                   help="trajectories starting from the same configuration")
    p.add_argument("--time", type=float, required=True, metavar="T",
                   help="time after the first frame, in the files' unit (x DT with --timestep)")
    p.add_argument("--timestep", type=float, default=None, metavar="DT",
                   help="multiply the files' frame times (e.g. LAMMPS TIMESTEP) by DT")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--configuration", type=int, default=0, metavar="K",
                   help="label written in the 'configuration' column (default 0): the "
                        "0-based position of this configuration in your list for `study`")
    p.add_argument("--preset", default=None,
                   help="model the species belong to (default: the file's preset entry, "
                        "else ka2d)")
    add_species_map(p)
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    import pandas as pd

    from ..io import _atomic_write, read_trajectory, write_xyz
    from ..propensity import propensity_from_trajectories

    if args.configuration < 0:
        raise ValueError(f"--configuration must be >= 0, got {args.configuration}")
    if not (np.isfinite(args.time) and args.time > 0):
        raise ValueError(f"--time must be positive, got {args.time}")
    # Validate every input before writing anything.
    trajs = [read_trajectory(f, mixture=args.preset, species_map=args.species_map,
                             timestep=args.timestep) for f in args.files]
    res = propensity_from_trajectories(trajs, args.time)
    c = res.config
    frame = pd.DataFrame({
        "configuration": args.configuration,
        "particle": np.arange(c.n_particles),
        "species": c.species_names,
        "propensity": res.displacement[0],
        "displacement_plain": res.displacement_plain[0],
        "bond_breaking": res.bond_breaking[0],
    })
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, xyz_path = out / "propensity.csv", out / "configuration.xyz"
    _atomic_write(csv_path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.8g"))
    write_xyz(xyz_path, c, info={"source": Path(args.files[0]).name})
    summary = {
        "files": [str(f) for f in args.files],
        "n_trajectories": res.n_trajectories,
        "n_particles": c.n_particles,
        "preset": c.mixture.name,
        "time": args.time,
        "timestep": args.timestep,
        "configuration": args.configuration,
        "mean_propensity": float(res.displacement.mean()),
        "mean_bond_breaking": float(res.bond_breaking.mean()),
        "fs_cr_mean": float(res.fs_cr.mean()),
        "outputs": {"csv": str(csv_path), "configuration": str(xyz_path)},
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0
