"""``skii-glass reproduce``: the paper's whole study, end to end."""

from __future__ import annotations

import argparse
import json
import sys
import time

DESCRIPTION = """\
Reproduce Sharma, Liu & Ozawa, J. Chem. Phys. 161 (2024): which local structure predicts
where a supercooled 2D liquid relaxes first.

Stages (each cached in OUT/cache; run the same command again to resume after a stop):
  1. equilibrate independent configurations (Monte Carlo; swap moves allowed here)
  2. measure tau_alpha: the time at which the cage-relative self-intermediate scattering
     function F_s^CR(k = 2 pi, t) falls to 1/e (plain displacement MC, time in sweeps)
  3. iso-configurational propensity: many trajectories of length tau_alpha from each
     configuration; propensity = mean cage-relative displacement |dr^CR(tau_alpha)|
  4. 60 structural descriptors: density, area fraction, potential energy, psi6,
     Tong-Tanaka Theta and coordination, each coarse-grained over L = 0.5 ... 5.0
  5. analyses: Pearson r per descriptor (Fig. 4a), information imbalance of each
     descriptor with the propensity (Figs. 4b-d), supervised and unsupervised greedy
     selection (Figs. 5, 6), leave-one-configuration-out linear regression with
     information imbalance, Lasso, random, sklearn SFS and mutual-information
     selection (Fig. 7)
  6. report: OUT/report.md, OUT/figures/*.png, OUT/tables/*.csv, OUT/summary.json,
     with the paper's numbers beside ours

Scales:
  quick   (default) N = 400, 4 configurations x 10 trajectories, T = 1.0, delta = 0.2,
          4e4 equilibration sweeps (~30 tau_alpha):
          76 s on a first run (numba compiles its kernels), 41 s once they are cached
          (measured on 2 cores). T = 1.0 is far above the glass regime (weak dynamic
          heterogeneity), so this checks the machinery, not the physics.
  paper   the paper's size, N = 4000, 10 configurations x 30 trajectories, at the
          bundle's T = 0.45 (the paper does not state its temperature; tau_alpha ~ 3.5e4
          sweeps), swap-MC equilibration: ~4.4e10 trial moves, about 2.5 hours with
          --n-jobs 2 on 2 cores (extrapolated from the measured bundle run). Spread the
          300 trajectories over a Dask cluster with --dask-scheduler tcp://HOST:8786
          (all stages use joblib; OUT must be on a shared file system).
  bundle  the settings of the packaged dataset (N = 1290, 10 x 30, T = 0.45, delta = 0.2,
          swap-MC equilibration): 1.4e10 trial moves, measured 2646 s with --n-jobs 2
          on 2 shared cores.
  tiny    N = 128, 3 x 3, T = 2: seconds; for tests (numbers are meaningless).
  --from-bundled skips stages 1-3 and analyses the packaged dataset: no simulation;
          75-91 s on a first run on 2 cores (numba compiling; thermal and inherent
          structures, 10 x 1290 particles; the leave-one-configuration-out selections
          dominate; 61 s with --structure thermal, less with --max-d 5).
"""

EPILOG = """\
examples:
  skii-glass reproduce                          # quick run into ./skii-reproduce
  skii-glass reproduce --from-bundled --out bundled-report
  skii-glass reproduce --scale paper --out paper-run --n-jobs 16
  skii-glass reproduce --scale quick --temperature 0.7 --max-displacement 0.1
"""


def add_simulation_arguments(p: argparse.ArgumentParser, default_scale: str = "quick") -> None:
    """Scale and override options shared with ``make-dataset``."""
    from ..pipeline import SCALES

    p.add_argument("--scale", choices=sorted(SCALES), default=default_scale,
                   help=f"preset sizes and temperature (default {default_scale}; see above)")
    p.add_argument("--preset", default=None,
                   help="pair-potential model (default ka2d: 2D ternary Lennard-Jones)")
    g = p.add_argument_group("overrides of the scale's settings")
    g.add_argument("--n-particles", type=int, metavar="N", help="particles per configuration")
    g.add_argument("--n-configurations", type=int, metavar="C",
                   help="independent equilibrium configurations (>= 2)")
    g.add_argument("--trajectories", type=int, dest="n_trajectories", metavar="R",
                   help="iso-configurational trajectories per configuration")
    g.add_argument("--temperature", type=float, metavar="T", help="k_B T / eps_AA")
    g.add_argument("--max-displacement", type=float, metavar="DELTA",
                   help="MC step: side of the square of trial displacements (sigma_AA)")
    g.add_argument("--equilibration-sweeps", type=int, metavar="S",
                   help="sweeps at T before sampling (use >= 30 tau_alpha)")
    g.add_argument("--swap-probability", type=float, metavar="P",
                   help="fraction of species-swap trials during equilibration only")
    g.add_argument("--tau-sweeps-guess", type=int, metavar="S",
                   help="first length of the tau_alpha run (doubled until F_s^CR < 1/e)")
    g.add_argument("--seed", type=int, help="master seed (SeedSequence)")
    p.add_argument("--n-jobs", type=int, default=None, metavar="J",
                   help="parallel joblib workers (default: 1; -1 = all cores)")
    p.add_argument("--dask-scheduler", metavar="ADDRESS", default=None,
                   help="run joblib work on a dask.distributed cluster at ADDRESS")
    p.add_argument("--quiet", action="store_true", help="no progress bars or stage messages")


def scale_from_args(args):
    from ..pipeline import get_scale

    if args.n_jobs == 0:
        raise ValueError("--n-jobs must be a non-zero integer (-1 = all cores)")
    return get_scale(
        args.scale,
        preset=args.preset,
        n_particles=args.n_particles,
        n_configurations=args.n_configurations,
        n_trajectories=args.n_trajectories,
        temperature=args.temperature,
        max_displacement=args.max_displacement,
        equilibration_sweeps=args.equilibration_sweeps,
        swap_probability=args.swap_probability,
        tau_sweeps_guess=args.tau_sweeps_guess,
        seed=args.seed,
        **{k: getattr(args, k) for k in ("max_d", "n_random_draws", "structure",
                                         "selection_protocol") if hasattr(args, k)},
    )


def backend_context(args):
    """joblib backend: dask when a scheduler is given, else joblib's default."""
    import contextlib

    if not args.dask_scheduler:
        return contextlib.nullcontext()
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise ValueError("--dask-scheduler needs dask[distributed] installed") from err
    import joblib

    stack = contextlib.ExitStack()
    stack.enter_context(Client(args.dask_scheduler))
    stack.enter_context(joblib.parallel_config(backend="dask"))
    return stack


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "reproduce",
        help="run the paper's whole study (simulation -> propensity -> descriptors -> "
             "feature selection -> report)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_simulation_arguments(p)
    p.add_argument("--out", default="skii-reproduce", metavar="DIR",
                   help="output folder (default ./skii-reproduce); holds the cache too")
    p.add_argument("--from-bundled", nargs="?", const=True, default=False, metavar="FILE",
                   help="skip the simulation: analyse the packaged dataset (or FILE made by "
                        "make-dataset)")
    p.add_argument("--max-d", type=int, metavar="D",
                   help="largest number of selected features in Figs. 5-7 (default 15)")
    p.add_argument("--random-draws", type=int, dest="n_random_draws", metavar="R",
                   help="random orderings averaged for the random baseline (default 100)")
    p.add_argument("--structure", choices=("thermal", "inherent", "both"), default=None,
                   help="descriptors of the sampled configurations, of their inherent "
                        "structures (FIRE energy minima), or both side by side (default "
                        "both; the thermal numbers stay the headline)")
    p.add_argument("--selection-protocol", choices=("held-out", "paper"), default=None,
                   help="headline supervised-II curve of Fig. 7: features chosen on the "
                        "training configurations only (held-out, default) or on the test "
                        "configuration's own propensity as in the authors' code (paper); "
                        "the report shows both")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..pipeline import run_pipeline

    scale = scale_from_args(args)
    if args.max_d is not None:
        from dataclasses import replace

        scale = replace(scale, n_path_features=args.max_d)
    verbose = not args.quiet

    def log(msg):
        if verbose:
            print(msg, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    with backend_context(args):
        summary = run_pipeline(scale, args.out, n_jobs=args.n_jobs, progress=verbose, log=log,
                               from_bundled=args.from_bundled)
    wall = time.perf_counter() - t0
    print(format_summary(summary, args.out, wall))
    return 0


def format_summary(summary: dict, out, wall: float) -> str:
    from ..study import REGRESSION_METHODS

    reg = summary["regression_abs_pearson"]

    def at(m, d):
        v = reg.get(m, [])
        return f"{v[d - 1]:.3f}" if len(v) >= d else "  -  "

    lines = [
        f"skii-glass reproduce: done in {wall:.1f} s -> {out}/report.md",
        f"  {summary['n_configurations']} configurations x N = {summary['n_particles']} at "
        f"T = {summary['temperature']}, tau_alpha^CR = "
        + (f"{summary['tau_alpha_sweeps']:.0f} sweeps"
           if isinstance(summary.get("tau_alpha_sweeps"), int | float) else "n/a"),
        f"  best descriptor: {summary['best_feature']} |r| = {summary['best_abs_pearson']:.3f}"
        "   (paper: theta_L2.0 |r| = 0.557)",
    ]
    if summary.get("noise_ceiling"):
        lines.append(f"  noise ceiling of the propensity: {summary['noise_ceiling']:.3f} "
                     f"(reliability R = {summary['propensity_reliability']:.3f})")
    lines.append("  Fig. 7 |r(pred, true)|      d=1    d=2    d=10")
    for m in REGRESSION_METHODS:
        if m in reg:
            lines.append(f"    {m:<22}   {at(m, 1)}  {at(m, 2)}  {at(m, 10)}")
    lines.append("  details: " + json.dumps({k: summary[k] for k in
                                             ("supervised_first_feature",
                                              "unsupervised_first_feature")}))
    return "\n".join(lines)
