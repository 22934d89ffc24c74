"""``skii-glass describe``: the coarse-grained descriptor matrix of a configuration file.

Reads an extended XYZ file (``Lattice="Lx 0 0 0 Ly 0 0 0 1"
Properties=species:S:1:pos:R:3``, species named as in the model, e.g. A, B, C for ka2d;
the z coordinate is ignored; positions outside the box are wrapped, with a warning; x and
y must be periodic) or a HOOMD GSD file,
a LAMMPS text dump (recognised by its content, whatever the extension) or the
trajectory.npz of `skii-glass simulate`, and writes a CSV with one row per particle: the
columns ``particle`` (0-based, in the file's order, sorted by id for dumps), ``species``
and ``rho_L0.5 ... z_L5.0`` (60 by default) in the paper's order. With ``--all-frames``
every frame of a trajectory is described and a leading ``configuration`` column (the
frame number) is added. With
``--inherent`` the descriptors are those of each configuration's inherent structure (its
local energy minimum, by a FIRE quench to a largest force below 1e-8).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ..descriptors import (
    DEFAULT_DENSITY,
    DEFAULT_LENGTHS,
    DEFAULT_NEIGHBOR_CUTOFF,
    DENSITY_DEFINITIONS,
    DESCRIPTORS,
)
from . import DefaultsHelpFormatter, check_preset_arg
from ._inputs import add_species_map


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "describe",
        help="compute the coarse-grained structural descriptors of a configuration",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=DefaultsHelpFormatter,
    )
    p.add_argument("config", metavar="CONFIG",
                   help="configuration file (.xyz, .extxyz, .gsd, LAMMPS dump, .npz)")
    p.add_argument("--out", "-o", required=True, metavar="FEATURES.csv",
                   help="output CSV file")
    p.add_argument("--preset", default=None,
                   help="model of the species names (default: the file's preset key, "
                   "else ka2d)")
    add_species_map(p)
    p.add_argument("--lengths", type=float, nargs="+", default=list(DEFAULT_LENGTHS),
                   metavar="L", help="coarse-graining lengths")
    p.add_argument("--neighbor-cutoff", type=float, default=DEFAULT_NEIGHBOR_CUTOFF,
                   help="neighbour cutoff for z, psi6 and theta, in units of sigma_ab")
    p.add_argument("--descriptors", nargs="+", default=list(DESCRIPTORS),
                   choices=DESCRIPTORS, help="descriptor families, in column order")
    p.add_argument("--density", default=DEFAULT_DENSITY, choices=DENSITY_DEFINITIONS,
                   help="rho and phi from the disk areas inside each circle (overlap, smooth "
                   "in L) or from counting the centres within L (count)")
    frames = p.add_mutually_exclusive_group()
    frames.add_argument("--frame", type=int, default=-1,
                        help="frame of a multi-frame file (default: the last)")
    frames.add_argument("--all-frames", action="store_true",
                        help="describe every frame; adds a 'configuration' column")
    p.add_argument("--inherent", action="store_true",
                   help="describe the inherent structure (FIRE energy minimum) of each "
                   "configuration instead of the configuration itself")
    p.add_argument("--allow-overlaps", action="store_true",
                   help="describe a configuration even if two particles are closer than "
                   "0.5 sigma_ab (by default an error: the energy u would be ~1e24 or NaN)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress or summary")
    p.set_defaults(func=run)
    return p


def _progress(items, quiet: bool):
    if quiet or len(items) < 2:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return items
    return tqdm(items, desc="describe", unit="frame", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..io import _read_frames
    from ..transformers import StructuralDescriptors

    check_preset_arg(args.preset)
    configs = _read_frames(args.config, None if args.all_frames else args.frame,
                           mixture=args.preset, species_map=args.species_map)
    desc = StructuralDescriptors(
        lengths=args.lengths,
        neighbor_cutoff=args.neighbor_cutoff,
        descriptors=tuple(args.descriptors),
        structure="inherent" if args.inherent else "thermal",
        density=args.density,
        allow_overlaps=args.allow_overlaps,
    ).fit(configs)  # validates every frame before any work
    blocks = [desc.transform(c) for c in _progress(configs, args.quiet)]
    frame = pd.DataFrame(np.vstack(blocks), columns=desc.get_feature_names_out())
    # Keys, so the table joins with propensity tables by value, not by row order.
    frame.insert(0, "species", np.concatenate([c.species_names for c in configs]))
    frame.insert(0, "particle", np.concatenate([np.arange(c.n_particles) for c in configs]))
    if args.all_frames:
        frame.insert(0, "configuration", desc.groups_)
    frame.to_csv(args.out, index=False)
    if not args.quiet:
        print(
            f"wrote {frame.shape[0]} rows x {len(desc.get_feature_names_out())} descriptor "
            f"columns ({len(configs)} configuration(s)) to {args.out}",
            file=sys.stderr,
        )
    return 0
