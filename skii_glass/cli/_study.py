"""``skii-glass study``: the paper's analyses (Figs. 4-7) and report on your own data."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ._inputs import add_species_map

DESCRIPTION = """\
Run the analyses of Sharma, Liu & Ozawa, J. Chem. Phys. 161 (2024), Figs. 4-7, and write
the report on configurations and per-particle propensities that you computed yourself
(e.g. with LAMMPS and `skii-glass propensity-from-trajectories`).

--configurations: one configuration per file (its frame --frame, default the last; with
--all-frames every frame of every file, in order), at least 3 in all: extended XYZ, GSD,
LAMMPS text dumps (numeric types map to the model's species in order unless
--species-map says otherwise) or simulate's trajectory.npz. Boxes must exceed twice the
largest coarse-graining length (L = 5 sigma_AA).

--propensity: a CSV with the columns configuration (0-based position of the
configuration in the list above), particle (0-based, the file's atom order after sorting
by id) and the propensity column (default 'propensity'; e.g. 'bond_breaking'), every
(configuration, particle) exactly once; or the .npz that `skii-glass make-dataset`
writes (its propensities, in the order of --configurations).

The model: --preset (default ka2d), or --model MODEL.json for a model that is not a
preset, with the presets' potential form (a Lennard-Jones pair potential smoothed to zero
at x_cut sigma_ab): {"name": ..., "species": ["A", "B"], "sigma": [[...]],
"epsilon": [[...]], "x_cut": 2.5}. sigma sets the coarse-graining neighbourhoods and
the area fraction, epsilon and x_cut the energy descriptor.

Validation is leave-one-configuration-out, as in `skii-glass reproduce`; the report
(OUT/report.md, figures/, tables/, summary.json) names the files the data came from.
"""

EPILOG = """\
example (three LAMMPS configurations and their propensities):
  for k in 0 1 2; do
    skii-glass propensity-from-trajectories conf$k/run*.lammpstrj --time 50 \\
        --timestep 0.005 --configuration $k --out prop$k
  done
  python -c "import pandas as pd; pd.concat(pd.read_csv(f'prop{k}/propensity.csv') \\
      for k in range(3)).to_csv('propensity.csv', index=False)"
  skii-glass study --configurations prop0/configuration.xyz prop1/configuration.xyz \\
      prop2/configuration.xyz --propensity propensity.csv --out study
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "study",
        help="the paper's analyses and report on your own configurations and propensities",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--configurations", nargs="+", required=True, metavar="FILE",
                   help="configuration files, one configuration each (at least 3 in all)")
    p.add_argument("--propensity", required=True, metavar="CSV",
                   help="per-particle propensities: CSV (configuration, particle, column) "
                        "or a make-dataset .npz")
    p.add_argument("--propensity-column", default="propensity", metavar="NAME",
                   help="column of the CSV to predict (default: propensity)")
    model = p.add_mutually_exclusive_group()
    model.add_argument("--preset", default=None,
                       help="model of the species (default: the files' preset, else ka2d)")
    model.add_argument("--model", metavar="MODEL.json", default=None,
                       help="a model that is not a preset (see above)")
    add_species_map(p)
    frames = p.add_mutually_exclusive_group()
    frames.add_argument("--frame", type=int, default=-1,
                        help="frame of each file (default: the last)")
    frames.add_argument("--all-frames", action="store_true",
                        help="every frame of every file is a configuration")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--max-d", type=int, default=15, metavar="D",
                   help="largest number of selected features in Figs. 5-7 (default 15)")
    p.add_argument("--random-draws", type=int, default=100, metavar="R",
                   help="random orderings averaged for the random baseline (default 100)")
    p.add_argument("--n-jobs", type=int, default=None, metavar="J",
                   help="parallel joblib workers (default 1; -1 = all cores)")
    p.add_argument("--quiet", action="store_true", help="no stage messages")
    p.set_defaults(func=run)
    return p


def _load_model(path: str, first_config_density=None):
    from ..models import Mixture, smoothing_coefficients

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such model file: {p}")
    try:
        spec = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{p}: not a JSON file ({err})") from None
    if not isinstance(spec, dict):
        raise ValueError(f"{p}: expected a JSON object with species, sigma, epsilon")
    missing = [k for k in ("species", "sigma", "epsilon") if k not in spec]
    if missing:
        raise ValueError(f"{p}: missing {', '.join(missing)} (see `skii-glass study --help`)")
    unknown = set(spec) - {"name", "species", "sigma", "epsilon", "x_cut", "smoothing",
                           "density", "reference_counts", "description"}
    if unknown:
        raise ValueError(f"{p}: unknown keys {', '.join(sorted(unknown))}")
    species = tuple(str(s) for s in spec["species"])
    x_cut = float(spec.get("x_cut", 2.5))
    if not (np.isfinite(x_cut) and x_cut > 1):
        raise ValueError(f"{p}: x_cut must be a number above 1, got {spec.get('x_cut')}")
    try:
        return Mixture(
            name=str(spec.get("name", p.stem)),
            species=species,
            reference_counts=tuple(spec.get("reference_counts", [1] * len(species))),
            sigma=np.asarray(spec["sigma"], dtype=np.float64),
            epsilon=np.asarray(spec["epsilon"], dtype=np.float64),
            density=float(spec.get("density", 1.0)),
            x_cut=x_cut,
            smoothing=tuple(spec.get("smoothing", smoothing_coefficients(x_cut))),
            description=str(spec.get("description", f"user model from {p.name}")),
        )
    except (ValueError, TypeError) as err:
        raise ValueError(f"{p}: {err}") from None


def _propensities_from_csv(path: Path, column: str, configs) -> list[np.ndarray]:
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a readable CSV file ({err})") from None
    missing = [c for c in ("configuration", "particle", column) if c not in df.columns]
    if missing:
        raise ValueError(
            f"{path}: no column {missing[0]!r} (columns: {', '.join(map(str, df.columns))}); "
            "the CSV needs configuration, particle and the propensity column "
            "(--propensity-column)"
        )
    keys = df[["configuration", "particle"]]
    for name in ("configuration", "particle"):
        values = pd.to_numeric(keys[name], errors="coerce")
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{path}:{row + 2}: {name} {keys[name].iloc[row]!r} is not an "
                             "integer")
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        row = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ValueError(f"{path}:{row + 2}: {column} {df[column].iloc[row]!r} is not a finite "
                         "number")
    conf = keys["configuration"].to_numpy(dtype=np.int64)
    part = keys["particle"].to_numpy(dtype=np.int64)
    dup = pd.Series(list(zip(conf, part, strict=True))).duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ValueError(f"{path}:{row + 2}: (configuration {conf[row]}, particle {part[row]}) "
                         "appears twice; give each particle once")
    sizes = np.array([c.n_particles for c in configs])
    known = (conf >= 0) & (conf < len(configs))
    known &= (part >= 0) & (part < sizes[np.clip(conf, 0, len(configs) - 1)])
    if not known.all():
        row = int(np.flatnonzero(~known)[0])
        raise ValueError(
            f"{path}:{row + 2}: (configuration {conf[row]}, particle {part[row]}) matches no "
            f"particle of the {len(configs)} configurations given (both keys are 0-based)"
        )
    out = []
    for k, c in enumerate(configs):
        mask = conf == k
        got = np.full(c.n_particles, np.nan)
        got[part[mask]] = values[mask]
        if np.isnan(got).any():
            i = int(np.flatnonzero(np.isnan(got))[0])
            raise ValueError(
                f"{path}: no row for (configuration {k}, particle {i}); configuration {k} "
                f"has {c.n_particles} particles, the CSV {int(mask.sum())} rows for it: "
                "keys must match the configurations given, in order"
            )
        out.append(got)
    return out


def run(args) -> int:
    from ..datasets import load_propensity
    from ..io import _read_frames
    from ..pipeline import descriptor_table
    from ..report import write_report
    from ..study import run_study

    t0 = time.perf_counter()
    if args.max_d < 1:
        raise ValueError(f"--max-d must be >= 1, got {args.max_d}")
    if args.random_draws < 1:
        raise ValueError(f"--random-draws must be >= 1, got {args.random_draws}")
    mixture = _load_model(args.model) if args.model else args.preset
    configs, sources = [], []
    for f in args.configurations:
        frames = _read_frames(f, None if args.all_frames else args.frame, mixture=mixture,
                              species_map=args.species_map)
        configs += frames
        sources += [f"{f}" if len(frames) == 1 else f"{f} frame {i}"
                    for i in range(len(frames))]
    if len(configs) < 3:
        raise ValueError(
            f"got {len(configs)} configuration(s); the leave-one-configuration-out analyses "
            "need at least 3 (more files, or --all-frames)"
        )
    names = {c.mixture.name for c in configs}
    if len(names) > 1:
        raise ValueError(f"the configurations belong to different models ({', '.join(names)})"
                         "; pass --preset or --model")
    prop_path = Path(args.propensity)
    if not prop_path.exists():
        raise FileNotFoundError(f"no such propensity file: {prop_path}")
    if prop_path.suffix.lower() == ".npz":
        data = load_propensity(prop_path, descriptors=False)
        propensities = [np.asarray(p, dtype=np.float64) for p in data.propensity]
        if len(propensities) != len(configs):
            raise ValueError(f"{prop_path}: {len(propensities)} configurations, but "
                             f"{len(configs)} were given with --configurations")
        for k, (c, p) in enumerate(zip(configs, propensities, strict=True)):
            if p.shape != (c.n_particles,):
                raise ValueError(f"{prop_path}: configuration {k} has {p.shape[0]} "
                                 f"propensities for {c.n_particles} particles ({sources[k]})")
    else:
        propensities = _propensities_from_csv(prop_path, args.propensity_column, configs)

    say = (lambda s: None) if args.quiet else (
        lambda s: print(s, file=sys.stderr, flush=True))
    say(f"[1/3] structural descriptors of {len(configs)} configurations")
    table = descriptor_table(configs, propensities, n_jobs=args.n_jobs)
    say("[2/3] analyses (Figs. 4-7, leave one configuration out)")
    results = run_study(table, n_path_features=args.max_d, max_d=args.max_d,
                        n_random_draws=args.random_draws, n_jobs=args.n_jobs,
                        progress=lambda name: say(f"      {name}"))
    say("[3/3] report")
    sizes = sorted({c.n_particles for c in configs})
    metadata = {
        "source": "your data: configurations " + ", ".join(sources) + f"; propensities "
                  f"{prop_path}" + (f" (column {args.propensity_column})"
                                    if prop_path.suffix.lower() != ".npz" else ""),
        "preset": configs[0].mixture.name,
        "n_particles": sizes[0] if len(sizes) == 1 else sizes,
        "wall_seconds": time.perf_counter() - t0,
    }
    summary = write_report(results, args.out, metadata)
    print(json.dumps({
        "out": str(args.out), "n_configurations": len(configs),
        "best_feature": summary.get("best_feature"),
        "best_abs_pearson": summary.get("best_abs_pearson"),
        "wall_seconds": round(time.perf_counter() - t0, 2),
    }))
    return 0
